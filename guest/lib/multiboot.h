/* The parts of the multiboot v1 information block guests read
 * (Multiboot Specification 0.6.96, section 3.3). */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include <stdint.h>

#define MB_BOOT_MAGIC 0x2BADB002 /* EAX at entry, s3.2 */
#define MB_INFO_MEMORY (1U << 0) /* mem_lower/mem_upper valid */
#define MB_INFO_CMDLINE (1U << 2) /* cmdline valid */
#define MB_INFO_MODS (1U << 3)    /* mods_count/mods_addr valid */

/* One boot module (s3.3): [mod_start, mod_end) and its command line. */
struct mb_module {
	uint32_t mod_start, mod_end;
	uint32_t string; /* physical address of a NUL-terminated string */
	uint32_t reserved;
};

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower; /* KiB of memory from 0, at most 640 */
	uint32_t mem_upper; /* KiB of contiguous memory from 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline; /* physical address of a NUL-terminated string */
	uint32_t mods_count;
	uint32_t mods_addr; /* physical address of mods_count struct mb_module */
};

#endif
