; VM entry and exit (SDM 3C 27 and 28). vmx_enter() loads the guest's
; general-purpose registers from `gprs` (x86 encoding order, struct regs in
; hv/regs.h; RSP lives in the VMCS), enters the guest with VMLAUNCH or
; VMRESUME, and returns 0 when the guest exits, or 1 if the entry itself
; failed (VMfailValid/VMfailInvalid: the caller reads the VM-instruction
; error). HOST_RSP must point at our frame when HOST_RIP (vmx_exit) runs;
; it is rewritten only when it differs from *host_rsp_cache.

VMCS_HOST_RSP equ 0x6C14        ; SDM 3D appendix B.4.4

%define GPR(n) [rax + (n) * 8]
RAX_ equ 0
RCX_ equ 1
RDX_ equ 2
RBX_ equ 3
RBP_ equ 5
RSI_ equ 6
RDI_ equ 7

section .text
bits 64

; int vmx_enter(uint64_t *gprs, int launched, uint64_t *host_rsp_cache)
global vmx_enter
vmx_enter:
        push rbp
        push rbx
        push r12
        push r13
        push r14
        push r15
        push rdi                        ; gprs, found again at vmx_exit
        cmp rsp, [rdx]                  ; HOST_RSP only when it changed
        je .host_rsp_ok
        mov [rdx], rsp
        mov rax, VMCS_HOST_RSP
        vmwrite rax, rsp
        jc .vmwrite_failed
        jz .vmwrite_failed
.host_rsp_ok:
        mov rax, rdi
        cmp esi, 0                      ; flags survive the loads below
        mov rcx, GPR(RCX_)
        mov rdx, GPR(RDX_)
        mov rbx, GPR(RBX_)
        mov rbp, GPR(RBP_)
        mov rsi, GPR(RSI_)
        mov rdi, GPR(RDI_)
        mov r8, GPR(8)
        mov r9, GPR(9)
        mov r10, GPR(10)
        mov r11, GPR(11)
        mov r12, GPR(12)
        mov r13, GPR(13)
        mov r14, GPR(14)
        mov r15, GPR(15)
        mov rax, GPR(RAX_)
        jne .resume
        vmlaunch
        jmp .failed
.resume:
        vmresume
.failed:
.vmwrite_failed:
        pop rdi
        pop r15
        pop r14
        pop r13
        pop r12
        pop rbx
        pop rbp
        mov eax, 1
        ret

; HOST_RIP: the guest exited. RSP is what vmx_enter wrote; [rsp] = gprs.
global vmx_exit
vmx_exit:
        xchg rax, [rsp]                 ; rax = gprs, [rsp] = guest RAX
        mov GPR(RCX_), rcx
        mov GPR(RDX_), rdx
        mov GPR(RBX_), rbx
        mov GPR(RBP_), rbp
        mov GPR(RSI_), rsi
        mov GPR(RDI_), rdi
        mov GPR(8), r8
        mov GPR(9), r9
        mov GPR(10), r10
        mov GPR(11), r11
        mov GPR(12), r12
        mov GPR(13), r13
        mov GPR(14), r14
        mov GPR(15), r15
        pop rcx
        mov GPR(RAX_), rcx
        pop r15
        pop r14
        pop r13
        pop r12
        pop rbx
        pop rbp
        xor eax, eax
        ret
