; lm_enter(uint32_t pml4, struct lm_result *out): switches from 32-bit
; protected mode to 64-bit mode (SDM 3A 10.8.5 "Initializing IA-32e Mode"),
; fills *out from 64-bit code, prints a line from 64-bit mode, and returns
; to its 32-bit caller in compatibility mode (still long mode, paging on).
; Called with paging off and the 4-level tables at pml4 identity-mapping
; everything the guest touches.

%include "segments.inc"

MSR_EFER        equ 0xC0000080
EFER_LME        equ 1 << 8
CR0_PG          equ 1 << 31
CR4_PAE         equ 1 << 5
COM1_THR        equ 0x3F8
COM1_LSR        equ 0x3FD
LSR_THRE        equ 1 << 5
THRE_POLL_LIMIT equ 100000          ; as in lib/serial.c

; struct lm_result in longmode.c
RESULT_EFER     equ 0
RESULT_VALUE    equ 8

global lm_enter

section .text
bits 32
lm_enter:
        push ebx
        push esi
        push edi
        push ebp
        mov eax, cr4
        or eax, CR4_PAE
        mov cr4, eax
        mov eax, [esp + 20]         ; pml4
        mov cr3, eax
        mov ecx, MSR_EFER
        rdmsr
        or eax, EFER_LME
        wrmsr
        mov edi, [esp + 24]         ; out
        mov eax, cr0
        or eax, CR0_PG
        mov cr0, eax                ; now EFER.LMA = 1, compatibility mode
        jmp SEL_CODE64:long64       ; CS.L = 1: 64-bit mode

bits 64
long64:
        ; Writing a 32-bit register zero-extends it: the upper halves are
        ; undefined in 32-bit modes (SDM 1 3.4.1.1).
        mov esp, esp
        mov edi, edi
        mov ecx, MSR_EFER
        rdmsr
        shl rdx, 32
        or rax, rdx
        mov [rdi + RESULT_EFER], rax
        ; A value only 64-bit registers hold, built in R8/R9: their REX
        ; prefixes would be INC/DEC in 32-bit code, so a wrong mode shows.
        mov r8d, 0xFEDCBA98
        shl r8, 32
        mov r9d, 0x76543210
        or r8, r9
        mov [rdi + RESULT_VALUE], r8

        mov esi, hello_64
        call puts64
        mov rax, r8
        call puthex64
        mov al, 10
        call putc64

        ; Far return to 32-bit code: compatibility mode.
        push SEL_CODE32
        push compat
        retfq

bits 32
compat:
        pop ebp
        pop edi
        pop esi
        pop ebx
        ret

bits 64
; AL = byte. Clobbers ECX, EDX.
putc64:
        push rax
        mov dx, COM1_LSR
        mov ecx, THRE_POLL_LIMIT
.wait:
        in al, dx
        test al, LSR_THRE
        jnz .ready
        dec ecx
        jnz .wait
.ready:
        pop rax
        mov dx, COM1_THR
        out dx, al
        ret

; RSI = NUL-terminated string. Clobbers RAX, RCX, RDX, RSI.
puts64:
        lodsb
        test al, al
        jz .done
        call putc64
        jmp puts64
.done:
        ret

; RAX = value, printed as 16 hex digits. Clobbers RAX, RCX, RDX, R10, R11.
puthex64:
        mov r10, rax
        mov r11d, 16
.digit:
        rol r10, 4
        mov eax, r10d
        and eax, 0xF
        mov al, [hex_digits + rax]
        call putc64
        dec r11d
        jnz .digit
        ret

section .rodata
hello_64:       db "longmode: hello from 64-bit mode, value 0x", 0
hex_digits:     db "0123456789abcdef"
