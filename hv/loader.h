/* Guest image loaders: multiboot v1 (ELF32 or a.out kludge) exactly as
 * `qemu -kernel` runs them, and raw binaries in real, protected or long
 * mode. Pure logic over a guest-memory writer, so host tests can check
 * what lands where and the initial register state. */
#ifndef HV_LOADER_H
#define HV_LOADER_H

#include "hv/compiler.h"
#include "hv/config.h"
#include "hv/regs.h"

#define MB_INFO_GPA 0x9000    /* info block, memory map, command line: 0x9000-0x9FFF */
#define MB_MMAP_GPA 0x9100
#define MB_CMDLINE_GPA 0x9400
#define MB_AREA_END 0xA000
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

/* Each returns 0, or -EINVAL with `err` saying what is wrong with the image
 * ("not a multiboot image: no header in the first 8 KiB", "segment at
 * 0x100000 (0x20000 bytes) does not fit in 16 MiB of RAM", ...). */
int load_multiboot(const struct guest_mem *mem, const uint8_t *image, size_t len,
		   const char *image_name, const char *cmdline, struct boot_state *st, char *err,
		   size_t errlen);
int load_raw(const struct guest_mem *mem, const uint8_t *image, size_t len, enum entry_mode mode,
	     uint64_t load_addr, uint64_t entry_addr, struct boot_state *st, char *err, size_t errlen);

/* Architectural reset state of an x86 CPU (SDM 3A 10.1.1, table 10-1). */
void boot_state_reset(struct boot_state *st);

#endif
