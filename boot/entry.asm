; 32-bit entry from a multiboot loader: protected mode, paging off,
; EAX = loader magic, EBX = info (multiboot 0.6.96 s3.2, multiboot2 s3.3).
; Checks for long mode, identity-maps the first 4 GiB with 2 MiB pages,
; enables PAE, EFER.LME (and NXE when present), paging, and calls
; boot_main(magic, info) in 64-bit mode. C then builds the real page tables.

%include "boot/x86.inc"

EARLY_MAP_GIB   equ 4
BOOT_STACK_SIZE equ 16384

extern boot_main

section .boot32 progbits alloc exec nowrite align=16
bits 32
global _start32
_start32:
        cli
        cld
        mov esp, boot_stack_top
        mov [boot_magic], eax
        mov [boot_info], ebx
        rdtsc                           ; start-up cost is measured from here
        mov [boot_tsc], eax
        mov [boot_tsc + 4], edx

        ; CPUID exists when EFLAGS.ID can be toggled (SDM 1 s3.4.3)
        pushfd
        pop eax
        mov ecx, eax
        xor eax, 1 << 21
        push eax
        popfd
        pushfd
        pop eax
        push ecx
        popfd
        cmp eax, ecx
        je no_long_mode

        mov eax, CPUID_EXT_MAX
        cpuid
        cmp eax, CPUID_EXT_FEATURES
        jb no_long_mode
        mov eax, CPUID_EXT_FEATURES
        cpuid
        test edx, CPUID_EXT_EDX_LM
        jz no_long_mode
        mov [boot_cpu_has_nx], dword 0
        test edx, CPUID_EXT_EDX_NX
        jz .build_tables
        mov [boot_cpu_has_nx], dword 1

.build_tables:
        ; PML4[0] -> PDPT; PDPT[i] -> PD i; PD entries map 2 MiB pages.
        mov eax, early_pdpt
        or eax, PTE_P | PTE_W
        mov [early_pml4], eax
        mov ecx, 0
.pdpt_loop:
        mov eax, ecx
        shl eax, 12
        add eax, early_pd
        or eax, PTE_P | PTE_W
        mov [early_pdpt + ecx * 8], eax
        inc ecx
        cmp ecx, EARLY_MAP_GIB
        jb .pdpt_loop

        mov ecx, 0                      ; 2 MiB page index, 0 .. 4*512-1
.pd_loop:
        mov eax, ecx
        shl eax, 21
        or eax, PTE_P | PTE_W | PTE_PS
        mov [early_pd + ecx * 8], eax
        mov [early_pd + ecx * 8 + 4], dword 0
        inc ecx
        cmp ecx, EARLY_MAP_GIB * 512
        jb .pd_loop

        mov eax, cr4
        or eax, CR4_PAE
        mov cr4, eax
        mov eax, early_pml4
        mov cr3, eax

        mov ecx, MSR_EFER
        rdmsr
        or eax, EFER_LME
        cmp dword [boot_cpu_has_nx], 0
        je .no_nx
        or eax, EFER_NXE
.no_nx:
        wrmsr

        mov eax, cr0
        or eax, CR0_PG | CR0_PE | CR0_WP
        mov cr0, eax

        lgdt [early_gdt_ptr]
        jmp EARLY_CS64:long_mode_entry

; Long mode is missing: say so on COM1 (115200 8N1) and stop.
no_long_mode:
        mov dx, COM1 + UART_LCR
        mov al, 0x80                    ; DLAB
        out dx, al
        mov dx, COM1 + UART_DLL
        mov al, 1                       ; 115200 baud
        out dx, al
        mov dx, COM1 + UART_DLM
        xor al, al
        out dx, al
        mov dx, COM1 + UART_LCR
        mov al, 0x03                    ; 8N1
        out dx, al
        mov esi, no_lm_msg
.next:
        lodsb
        test al, al
        jz .stop
        mov bl, al
        mov dx, COM1 + UART_LSR
.wait:
        in al, dx
        test al, UART_LSR_THRE
        jz .wait
        mov dx, COM1
        mov al, bl
        out dx, al
        jmp .next
.stop:
        cli
        hlt
        jmp .stop

bits 64
long_mode_entry:
        mov ax, EARLY_DS
        mov ds, ax
        mov es, ax
        mov ss, ax
        xor eax, eax
        mov fs, ax
        mov gs, ax
        mov rsp, boot_stack_top
        xor ebp, ebp                    ; ends frame-pointer backtraces
        mov edi, [boot_magic]
        mov esi, [boot_info]
        call boot_main
.hang:
        cli
        hlt
        jmp .hang

section .rodata
no_lm_msg: db "hv: fatal: CPU lacks long mode", 13, 10, 0

align 16
early_gdt:
        dq 0
        dq 0x00AF9A000000FFFF           ; 0x08: 64-bit code, DPL0
        dq 0x00CF92000000FFFF           ; 0x10: data, DPL0
early_gdt_end:
EARLY_CS64 equ 0x08
EARLY_DS   equ 0x10
early_gdt_ptr:
        dw early_gdt_end - early_gdt - 1
        dq early_gdt

section .bss
align 4096
global early_pml4
early_pml4:     resb 4096
early_pdpt:     resb 4096
early_pd:       resb 4096 * EARLY_MAP_GIB
global boot_stack_bottom, boot_stack_top
boot_stack_bottom:
                resb BOOT_STACK_SIZE
boot_stack_top:
global boot_cpu_has_nx, boot_tsc
boot_tsc:       resq 1
boot_magic:     resd 1
boot_info:      resd 1
boot_cpu_has_nx: resd 1

section .text
bits 64
; void call_on_stack(void *arg, void (*fn)(void *), uint64_t stack_top)
; Moves the boot CPU off the boot stack onto its guarded per-CPU stack.
global call_on_stack
call_on_stack:
        mov rsp, rdx
        xor ebp, ebp
        call rsi
.hang:
        cli
        hlt
        jmp .hang
