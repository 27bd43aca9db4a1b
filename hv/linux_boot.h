/* Linux/x86 bzImage loader: the 32-bit and 64-bit boot protocols of
 * Documentation/arch/x86/boot.rst ("THE LINUX/x86 BOOT PROTOCOL"), entered
 * directly (the kernel's real-mode setup code is never run, so there is no
 * BIOS to need). Pure logic over a guest-memory writer.
 *
 * Guest-physical layout (everything the loader builds sits in conventional
 * memory, 0x1000-0x9FBFF, below the EBDA; 0-0xFFF, the real-mode IVT and
 * BIOS data area, is left alone):
 *
 *   0x01000-0x0101F  boot GDT: null, null, __BOOT_CS (0x10), __BOOT_DS (0x18)
 *   0x07000-0x07FFF  zero page (struct boot_params)
 *   0x10000-0x15FFF  64-bit entry only: identity map of 0-4 GiB with 2 MiB
 *                    pages: PML4, PDPT, four page directories
 *   0x20000-0x2FFFF  kernel command line, NUL-terminated
 *   0x100000-        protected-mode kernel (the bzImage after its setup
 *                    sectors), as boot.rst's memory layout places it; the
 *                    kernel decompresses itself to pref_address (or, if
 *                    relocatable, the load address rounded up to
 *                    kernel_alignment if that is higher) and needs init_size
 *                    bytes from there
 *   initrd           as high as fits in usable RAM below 4 GiB and
 *                    initrd_addr_max, page aligned, above the kernel's
 *                    init_size area */
#ifndef HV_LINUX_BOOT_H
#define HV_LINUX_BOOT_H

#include "hv/compiler.h"
#include "hv/e820.h"
#include "hv/loader.h"

#define LINUX_GDT_GPA 0x1000ULL
#define LINUX_ZERO_PAGE_GPA 0x7000ULL
#define LINUX_ZERO_PAGE_SIZE 0x1000ULL
#define LINUX_PT_GPA 0x10000ULL /* PML4; PDPT at +0x1000; PDs at +0x2000..+0x5FFF */
#define LINUX_PT_END 0x16000ULL
#define LINUX_CMDLINE_GPA 0x20000ULL
#define LINUX_CMDLINE_MAX 0x10000ULL /* bytes, the terminating NUL included */
#define LINUX_KERNEL_GPA 0x100000ULL
#define LINUX_BOOT_CS 0x10 /* boot.rst, "32-bit BOOT PROTOCOL": __BOOT_CS */
#define LINUX_BOOT_DS 0x18 /* __BOOT_DS */
#define LINUX_E820_MAX 128 /* zero-page.rst: e820_table holds 128 entries */
#define LINUX_MIN_VERSION 0x0206 /* 2.06: cmdline_size in the header */

struct linux_boot_params {
	const uint8_t *kernel; /* the whole bzImage file */
	size_t kernel_len;
	const uint8_t *initrd; /* may be NULL when initrd_len is 0 */
	size_t initrd_len;
	const char *cmdline; /* NULL: empty */
	const struct e820_entry *e820; /* from e820_build(): what the guest is told */
	size_t e820_count;
	uint64_t rsdp_gpa; /* ACPI RSDP for boot_params.acpi_rsdp_addr; 0: none */
};

/* Loads kernel, command line, initrd and zero page into guest memory and
 * fills `st` for the 64-bit entry (when the kernel has one: protocol 2.12+
 * with XLF_KERNEL_64) or else the 32-bit entry. Returns 0, or -EINVAL with
 * `err` saying what is wrong ("bzImage: setup header version 2.03 is older
 * than 2.06", "bzImage: kernel needs 37 MiB (init_size) but the VM has 32
 * MiB", ...). The kernel's placement is checked against the e820 map as
 * well as mem->ram_size: the map is what the kernel will believe. */
int load_linux(const struct guest_mem *mem, const struct linux_boot_params *p, struct boot_state *st,
	       char *err, size_t errlen);

#endif
