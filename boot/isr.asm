; Interrupt and exception entry stubs: every vector pushes an error code
; (the CPU's, or 0 where it pushes none; SDM 3A 6.13), then its vector, saves
; all general-purpose registers into a struct trap_frame (hv/trap.h) and
; calls trap_dispatch(frame).

extern trap_dispatch

section .text
bits 64

; Vectors for which the CPU pushes an error code: #DF #TS #NP #SS #GP #PF #AC #CP
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21)

%macro ISR 1
isr_%1:
%if HAS_ERROR(%1) == 0
        push 0
%endif
        push %1
        jmp trap_common
%endmacro

%assign v 0
%rep 256
        align 16
        ISR v
%assign v v + 1
%endrep

trap_common:
        push rax
        push rbx
        push rcx
        push rdx
        push rsi
        push rdi
        push rbp
        push r8
        push r9
        push r10
        push r11
        push r12
        push r13
        push r14
        push r15
        cld
        mov rdi, rsp
        ; the frame is 8 mod 16 here when the CPU aligned the stack; align for C
        mov rbx, rsp
        and rsp, -16
        call trap_dispatch
        mov rsp, rbx
        pop r15
        pop r14
        pop r13
        pop r12
        pop r11
        pop r10
        pop r9
        pop r8
        pop rbp
        pop rdi
        pop rsi
        pop rdx
        pop rcx
        pop rbx
        pop rax
        add rsp, 16                     ; vector and error code
        iretq

section .rodata
align 8
global isr_stub_table
isr_stub_table:
%assign v 0
%rep 256
        dq isr_ %+ v
%assign v v + 1
%endrep
