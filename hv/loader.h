/* Guest image loaders: multiboot v1 (ELF32 or a.out kludge) exactly as
 * `qemu -kernel` runs them, and raw binaries in real, protected or long
 * mode. Pure logic over a guest-memory writer, so host tests can check
 * what lands where and the initial register state. */
#ifndef HV_LOADER_H
#define HV_LOADER_H

#include "hv/compiler.h"
#include "hv/config.h"
#include "hv/regs.h"

/* The multiboot info area, 0x9000-0x9FFF (docs/guest-abi.md): the info
 * block, the memory map, the module array, then the command line followed
 * by the module strings. Modules themselves go above the image. */
#define MB_INFO_GPA 0x9000    /* info block, memory map, command line: 0x9000-0x9FFF */
#define MB_MMAP_GPA 0x9100
#define MB_MODS_GPA 0x9200    /* up to MB_MODULES_MAX entries of 16 bytes */
#define MB_CMDLINE_GPA 0x9400 /* command line, then each module's string */
#define MB_AREA_END 0xA000
#define MB_MODULES_MAX 16
#define LONG_MODE_PT_GPA 0xA000 /* raw long-mode images: loader-built tables 0xA000-0xFFFF */

struct guest_mem {
	/* Copies into guest-physical memory; -EFAULT outside the VM's RAM. */
	int (*write)(void *ctx, uint64_t gpa, const void *src, size_t len);
	int (*zero)(void *ctx, uint64_t gpa, size_t len);
	uint64_t ram_size; /* RAM at [0, ram_size) */
	void *ctx;
};

struct boot_state {
	struct regs regs;
	struct sregs sregs;
};

/* A multiboot module: its bytes and the string the guest reads for it,
 * "NAME ARGS" as on GRUB's `module` line or in QEMU's -initrd "file args"
 * (NULL reads as ""). */
struct mb_module {
	const uint8_t *data;
	size_t len;
	const char *cmdline;
};

/* Each returns 0, or -EINVAL with `err` saying what is wrong with the image
 * ("not a multiboot image: no header in the first 8 KiB", "segment at
 * 0x100000 (0x20000 bytes) does not fit in 16 MiB of RAM", ...).
 *
 * load_multiboot_modules() also loads `count` modules (at most
 * MB_MODULES_MAX), page-aligned one after the other from the first page at
 * or above 1 MiB past the image's highest segment, and lists them in the
 * info block (flags bit 3, mods_count, mods_addr = MB_MODS_GPA), their
 * strings after the command line. Module errors: -E2BIG (more than 16, or
 * the strings and command line overflow the info area), -ENOSPC (a module
 * does not fit in RAM), -EINVAL (one would end above 4 GiB, or has no data).
 * Everything is checked before the first byte is written: a refused load
 * leaves guest memory untouched. load_multiboot() is the same with no
 * modules (flags bit 3 clear, mods_count 0). */
int load_multiboot_modules(const struct guest_mem *mem, const uint8_t *image, size_t len,
			   const char *image_name, const char *cmdline,
			   const struct mb_module *mods, size_t count, struct boot_state *st,
			   char *err, size_t errlen);
int load_multiboot(const struct guest_mem *mem, const uint8_t *image, size_t len,
		   const char *image_name, const char *cmdline, struct boot_state *st, char *err,
		   size_t errlen);
int load_raw(const struct guest_mem *mem, const uint8_t *image, size_t len, enum entry_mode mode,
	     uint64_t load_addr, uint64_t entry_addr, struct boot_state *st, char *err, size_t errlen);

/* Architectural reset state of an x86 CPU (SDM 3A 10.1.1, table 10-1). */
void boot_state_reset(struct boot_state *st);

#endif
