; realmode-boot.img: a BIOS boot sector followed by realmode.bin, so the
; raw real-mode guest can be tested under plain qemu (which has no raw
; loader). The BIOS loads this sector at 0x7C00; it reads the payload with
; INT 13h to 0x8000 and jumps to 0:0x8000, the state the hypervisor's raw
; loader gives (docs/guest-abi.md). The payload is the unchanged bytes of
; realmode.bin, included from the build directory (nasm -I build/guest/).

bits 16
org 0x7C00

LOAD_ADDR       equ 0x8000
SECTOR_SIZE     equ 512
DEBUG_EXIT_PORT equ 0xF4
COM1_THR        equ 0x3F8

boot:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        ; INT 13h AH=02h: read AL sectors from C0 H0 S2 to ES:BX; DL is
        ; still the boot drive the BIOS passed us.
        mov ax, 0x0200 | PAYLOAD_SECTORS
        mov cx, 0x0002
        xor dh, dh
        mov bx, LOAD_ADDR
        int 0x13
        jc .failed
        jmp 0:LOAD_ADDR
.failed:
        mov si, msg_failed
.print:
        lodsb
        test al, al
        jz .exit
        mov dx, COM1_THR
        out dx, al
        jmp .print
.exit:
        mov eax, 1
        mov dx, DEBUG_EXIT_PORT
        out dx, eax
        hlt

msg_failed:     db "realmode-boot: reading the payload failed", 10, 0

        times 510 - ($ - $$) db 0
        dw 0xAA55                   ; boot signature

payload:
        incbin "realmode.bin"
        times (SECTOR_SIZE - ($ - payload) % SECTOR_SIZE) % SECTOR_SIZE db 0
PAYLOAD_SECTORS equ ($ - payload) / SECTOR_SIZE
