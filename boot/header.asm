; Multiboot headers. GRUB's `multiboot2` command reads the multiboot2 header
; and loads the ELF by its program headers; QEMU's `-kernel` and GRUB's
; `multiboot` read the multiboot1 header, whose address fields (the "a.out
; kludge", spec 0.6.96 s3.1.3) let QEMU load this ELF64 as a flat image.
; The linker keeps .multiboot first and the file layout linear
; (tests/tools/check_elf.py checks both).

MB1_MAGIC        equ 0x1BADB002
MB1_PAGE_ALIGN   equ 1 << 0      ; modules on page boundaries
MB1_MEMORY_INFO  equ 1 << 1      ; we want mem_* and the memory map
MB1_AOUT_KLUDGE  equ 1 << 16     ; the address fields below are valid
MB1_FLAGS        equ MB1_PAGE_ALIGN | MB1_MEMORY_INFO | MB1_AOUT_KLUDGE

MB2_MAGIC        equ 0xE85250D6
MB2_ARCH_I386    equ 0
MB2_TAG_END      equ 0
MB2_TAG_INFO_REQ equ 1
MB2_TAG_CONSOLE  equ 4
MB2_CONSOLE_EGA  equ 1 << 1      ; we can use an EGA text console
MB2_OPTIONAL     equ 1

extern __image_start, __load_end, __bss_end, _start32

section .multiboot progbits alloc noexec nowrite align=8
mb1_header:
        dd MB1_MAGIC
        dd MB1_FLAGS
        dd -(MB1_MAGIC + MB1_FLAGS)
        dd mb1_header           ; header_addr
        dd __image_start        ; load_addr
        dd __load_end           ; load_end_addr
        dd __bss_end            ; bss_end_addr
        dd _start32             ; entry_addr

        align 8
mb2_header:
        dd MB2_MAGIC
        dd MB2_ARCH_I386
        dd mb2_header_end - mb2_header
        dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
        ; ask for the memory map, ACPI RSDP and framebuffer tags
        align 8
.info_req:
        dw MB2_TAG_INFO_REQ, MB2_OPTIONAL
        dd .info_req_end - .info_req
        dd 6, 14, 15, 8
.info_req_end:
        align 8
        dw MB2_TAG_CONSOLE, MB2_OPTIONAL
        dd 12
        dd MB2_CONSOLE_EGA
        align 8
        dw MB2_TAG_END, 0
        dd 8
mb2_header_end:
