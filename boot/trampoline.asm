; Application-processor start-up code. hv/smp.c copies it to a page below
; 1 MiB (the SIPI vector page) and fills the data page that follows it
; (struct trampoline_data in hv/smp.c, whose layout the TD_* offsets below
; mirror). After STARTUP the AP runs here in real mode at CS = page >> 4,
; IP = 0 (SDM 3A 9.4.4). It goes protected, then long mode on the
; hypervisor's page tables, and calls entry(arg) on its own stack.

%include "boot/x86.inc"

; struct trampoline_data, at code page + 4096
TD_GDTR   equ 0     ; dw limit, dd base (linear)
TD_PM_PTR equ 8     ; dd offset, dw selector: far pointer to pm32
TD_LM_PTR equ 16    ; dd offset, dw selector: far pointer to lm64
TD_CR3    equ 24    ; dd
TD_EFER   equ 28    ; dd EFER bits to set
TD_STACK  equ 32    ; dq
TD_ARG    equ 40    ; dq
TD_ENTRY  equ 48    ; dq
DATA      equ 4096
SEL_DATA  equ 0x10  ; in the data page's GDT: null, code32, data, code64

section .trampoline progbits alloc noexec nowrite align=16
bits 16
global trampoline_start, trampoline_pm32_offset, trampoline_lm64_offset
trampoline_start:
        cli
        cld
        mov ax, cs
        mov ds, ax
        movzx ebx, ax
        shl ebx, 4                      ; linear address of this page
        o32 lgdt [DATA + TD_GDTR]
        mov eax, cr0
        or eax, CR0_PE
        mov cr0, eax
        jmp dword far [DATA + TD_PM_PTR]

bits 32
pm32:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov eax, cr4
        or eax, CR4_PAE
        mov cr4, eax
        mov eax, [ebx + DATA + TD_CR3]
        mov cr3, eax
        mov ecx, MSR_EFER
        rdmsr
        or eax, EFER_LME
        or eax, [ebx + DATA + TD_EFER]
        wrmsr
        mov eax, cr0
        or eax, CR0_PG | CR0_WP
        mov cr0, eax
        jmp far [ebx + DATA + TD_LM_PTR]

bits 64
lm64:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov rsp, [rbx + DATA + TD_STACK]
        mov rdi, [rbx + DATA + TD_ARG]
        mov rax, [rbx + DATA + TD_ENTRY]
        xor ebp, ebp
        call rax
.hang:
        cli
        hlt
        jmp .hang
global trampoline_end
trampoline_end:

section .rodata
align 4
trampoline_pm32_offset: dd pm32 - trampoline_start
trampoline_lm64_offset: dd lm64 - trampoline_start
