; Memory probes that survive a fault: trap_dispatch() sees the faulting RIP
; in the exception table below and resumes at the fixup with RAX = -EFAULT.
; Used by the self-test (deliberate page fault, W^X and guard-page checks).

EFAULT equ 14

section .text
bits 64

; int probe_read64(const volatile uint64_t *addr, uint64_t *out)
global probe_read64
probe_read64:
        xor eax, eax
.insn:  mov rdx, [rdi]
        mov [rsi], rdx
        ret
.fixup: mov rax, -EFAULT
        ret

; int probe_write64(volatile uint64_t *addr, uint64_t value)
global probe_write64
probe_write64:
        xor eax, eax
.insn:  mov [rdi], rsi
        ret
.fixup: mov rax, -EFAULT
        ret

section .rodata
align 8
global extable_start, extable_end
extable_start:
        dq probe_read64.insn, probe_read64.fixup
        dq probe_write64.insn, probe_write64.fixup
extable_end:
