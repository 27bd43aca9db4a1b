; A real-mode guest: a raw flat binary loaded at 0x8000 and started with
; CS=0, IP=0x8000 (the hypervisor's raw loader, docs/guest-abi.md). No BIOS
; is used: output goes straight to COM1, the exit to isa-debug-exit.
; Checks real-mode behaviour a VMX "unrestricted guest" must get right:
; CR0.PE clear, segment:offset arithmetic (two aliases of one byte), a far
; call into another code segment, and 32-bit registers via the
; operand-size prefix. Output format as the ELF guests (lib/check.h).

bits 16
org 0x8000

COM1_THR        equ 0x3F8
COM1_LSR        equ 0x3FD
LSR_THRE        equ 1 << 5
DEBUG_EXIT_PORT equ 0xF4
STACK_TOP       equ 0x7000          ; below the image; 0x500-0x7BFF is free RAM in a PC
FAR_SEGMENT     equ 0x0800          ; 0x0800:0000 is linear 0x8000, our org
SCRATCH_PATTERN equ 0x5A

start:
        cli
        cld
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, STACK_TOP

        mov si, msg_hello
        call puts

        ; CR0.PE must be clear: we are in real mode, not a VM86 or PE imitation.
        mov eax, cr0
        test al, 1
        mov si, name_cr0
        call report                 ; ZF=1 (PE clear) is a pass

        ; One byte, two addresses: linear = segment * 16 + offset, so
        ; ((scratch >> 4) - 1):((scratch & 15) + 16) is 0:scratch.
        mov ax, scratch
        shr ax, 4
        dec ax
        mov es, ax
        mov di, scratch
        and di, 0xF
        add di, 16
        mov byte [es:di], SCRATCH_PATTERN
        xor ax, ax
        mov es, ax
        cmp byte [scratch], SCRATCH_PATTERN
        mov si, name_segments
        call report

        ; A far call lands in CS=FAR_SEGMENT and RETF brings us back.
        call FAR_SEGMENT:(far_target - FAR_SEGMENT * 16)
        cmp ax, FAR_SEGMENT
        mov si, name_far_call
        call report

        ; 32-bit registers with the 0x66 prefix (NASM adds it for EAX).
        mov eax, 0x12345678
        ror eax, 16
        cmp eax, 0x56781234
        mov si, name_regs32
        call report

        call print_done
        xor eax, eax
        cmp byte [failed], 0
        je .exit
        inc eax                     ; exit code 1 if anything failed
.exit:
        mov dx, DEBUG_EXIT_PORT
        out dx, eax                 ; 32-bit OUT: operand-size prefix
.hang:
        hlt
        jmp .hang

; Runs with CS=FAR_SEGMENT: only relative jumps and DS-based data here.
far_target:
        mov ax, cs
        retf

; Prints "realmode: PASS <name>" if ZF=1, else "realmode: FAIL <name> (...)".
; SI = name. CALL leaves the flags alone, so the caller's compare decides.
report:
        jnz .fail
        inc byte [passed]
        push si
        mov si, msg_pass
        call puts
        pop si
        call puts
        jmp .newline
.fail:
        inc byte [failed]
        push si
        mov si, msg_fail
        call puts
        pop si
        call puts
        mov si, msg_mismatch
        call puts
.newline:
        mov al, 10
        jmp putc

print_done:
        mov si, msg_done
        call puts
        mov al, [passed]
        call putdigit
        mov si, msg_passed
        call puts
        mov al, [failed]
        call putdigit
        mov si, msg_failed
        jmp puts

; AL = 0..9
putdigit:
        add al, '0'
        jmp putc

; DS:SI = NUL-terminated string. Clobbers AX, SI.
puts:
        lodsb
        test al, al
        jz .done
        call putc
        jmp puts
.done:
        ret

; AL = byte. Polls LSR for THRE, as lib/serial.c does.
putc:
        push dx
        push cx
        push ax
        mov dx, COM1_LSR
        mov cx, 0xFFFF              ; bounded: never hang on a silent UART
.wait:
        in al, dx
        test al, LSR_THRE
        jnz .ready
        loop .wait
.ready:
        pop ax
        mov dx, COM1_THR
        out dx, al
        pop cx
        pop dx
        ret

msg_hello:      db "realmode: hello from real mode", 10, 0
msg_pass:       db "realmode: PASS ", 0
msg_fail:       db "realmode: FAIL ", 0
msg_mismatch:   db " (unexpected value)", 0
msg_done:       db "realmode: done ", 0
msg_passed:     db " passed ", 0
msg_failed:     db " failed", 10, 0
name_cr0:       db "cr0_pe_clear", 0
name_segments:  db "segment_alias", 0
name_far_call:  db "far_call", 0
name_regs32:    db "32bit_registers", 0
passed:         db 0
failed:         db 0
scratch:        db 0
