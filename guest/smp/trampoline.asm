; Start-up code for the second CPU: copied by the BSP to physical address 0
; and started there by a STARTUP IPI with vector 0 (CS = 0, IP = 0: SDM 3A
; 10.4.4.1). Real mode -> flat 32-bit protected mode with its own GDT
; (same selectors as the runtime's), then calls the C entry the BSP
; patched in, on the stack it patched in. Every address is an offset from
; tramp_start, which is the physical address once copied to 0.

%include "segments.inc"

CR0_PE equ 1

global tramp_start, tramp_end, tramp_stack, tramp_entry

section .data
bits 16
tramp_start:
        cli
        cld
        xor ax, ax
        mov ds, ax
        lgdt [tgdt_desc - tramp_start]
        mov eax, cr0
        or eax, CR0_PE
        mov cr0, eax
        jmp dword SEL_CODE32:(pm32 - tramp_start)
bits 32
pm32:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, [tramp_stack - tramp_start]
        call [tramp_entry - tramp_start]
.hang:
        cli
        hlt
        jmp .hang

align 8
tgdt:
        dq 0
        dq 0x00CF9A000000FFFF       ; SEL_CODE32: flat, exec/read, D=1
        dq 0x00CF92000000FFFF       ; SEL_DATA: flat, read/write
tgdt_desc:
        dw tgdt_desc - tgdt - 1
        dd tgdt - tramp_start
align 4
tramp_stack:
        dd 0                        ; patched: the AP's stack top
tramp_entry:
        dd 0                        ; patched: the AP's C entry point
tramp_end:
