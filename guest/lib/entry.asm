; Multiboot v1 header and 32-bit entry shared by every ELF guest.
; The loader (qemu -kernel, or the hypervisor's multiboot loader, see
; docs/guest-abi.md) enters at _start in flat 32-bit protected mode, paging
; off, EAX = 0x2BADB002, EBX = the multiboot info block (multiboot 0.6.96 s3.2).
; The loader's GDT may be anywhere (s3.2: "the OS image must create its own
; GDT"), so we load ours before touching a segment register, then call
; guest_start(magic, info) in C.

%include "segments.inc"

MB_MAGIC        equ 0x1BADB002
MB_PAGE_ALIGN   equ 1 << 0          ; modules page-aligned (s3.1.2 bit 0)
MB_MEMORY_INFO  equ 1 << 1          ; ask for mem_lower/mem_upper (bit 1)
MB_FLAGS        equ MB_PAGE_ALIGN | MB_MEMORY_INFO
STACK_SIZE      equ 16384

extern guest_start
global _start

; Placed first by guest.ld: the header must sit in the first 8 KiB of the file.
section .multiboot progbits alloc noexec nowrite align=4
        dd MB_MAGIC
        dd MB_FLAGS
        dd -(MB_MAGIC + MB_FLAGS)

section .text
bits 32
_start:
        cli
        cld
        mov esp, stack_top
        lgdt [gdt_desc]
        jmp SEL_CODE32:.reload_cs
.reload_cs:
        mov cx, SEL_DATA
        mov ds, cx
        mov es, cx
        mov fs, cx
        mov gs, cx
        mov ss, cx
        sub esp, 8                  ; keep the i386 ABI's 16-byte call alignment
        push ebx
        push eax
        call guest_start            ; does not return
.hang:
        hlt
        jmp .hang

section .rodata
align 8
; Flat 4 GiB descriptors (SDM 3A 3.4.5); the 64-bit code segment (L=1) is
; used only by the longmode guest but costs nothing here.
gdt:
        dq 0                        ; SEL_NULL
        dq 0x00CF9A000000FFFF       ; SEL_CODE32: base 0, limit 4G, exec/read, D=1
        dq 0x00CF92000000FFFF       ; SEL_DATA: base 0, limit 4G, read/write
        dq 0x00AF9A000000FFFF       ; SEL_CODE64: exec/read, L=1, D=0
gdt_end:
gdt_desc:
        dw gdt_end - gdt - 1
        dd gdt

section .bss
align 16
stack:
        resb STACK_SIZE
stack_top:
