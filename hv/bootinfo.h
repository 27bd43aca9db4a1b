/* What the boot loader told us, in one validated, protocol-neutral form.
 * Filled by multiboot1_parse()/multiboot2_parse() (hv/multiboot.c). */
#ifndef HV_BOOTINFO_H
#define HV_BOOTINFO_H

#include "hv/compiler.h"
#include "hv/physmem.h"

#define MULTIBOOT1_BOOT_MAGIC 0x2BADB002u /* EAX at entry, multiboot 0.6.96 s3.2 */
#define MULTIBOOT2_BOOT_MAGIC 0x36D76289u /* EAX at entry, multiboot2 s3.3 */

#define BOOTINFO_MAX_MMAP 128
#define BOOTINFO_MAX_MODULES 16
#define BOOTINFO_CMDLINE_MAX 512
#define BOOTINFO_MODNAME_MAX 128
/* Enough for multiboot1's worst case: info block, cmdline, mmap buffer,
 * module list, and each module's string and contents. */
#define BOOTINFO_MAX_RESERVED (4 + 2 * BOOTINFO_MAX_MODULES)

/* Memory map entry types, as in the BIOS e820 map / multiboot mmap. */
enum mem_type {
	MEM_USABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI_RECLAIM = 3,
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
};

struct mem_range {
	uint64_t base;
	uint64_t len;
	uint32_t type; /* enum mem_type; unknown types are kept as given */
};

struct boot_module {
	uint64_t start; /* physical, inclusive */
	uint64_t end;   /* physical, exclusive */
	char name[BOOTINFO_MODNAME_MAX]; /* the module's command line */
};

enum fb_type {
	FB_NONE = 0,     /* the loader said nothing about the display */
	FB_INDEXED = 1,
	FB_RGB = 2,
	FB_EGA_TEXT = 3, /* VGA text mode: mirror the console there */
};

struct boot_framebuffer {
	enum fb_type type;
	uint64_t addr;
	uint32_t pitch, width, height; /* text mode: width/height in characters */
	uint8_t bpp;
};

struct boot_info {
	int protocol; /* 1 or 2 */
	char cmdline[BOOTINFO_CMDLINE_MAX];
	uint64_t info_start, info_end; /* the info structure itself, to reserve */
	struct mem_range mmap[BOOTINFO_MAX_MMAP];
	uint32_t mmap_count;
	struct boot_module modules[BOOTINFO_MAX_MODULES];
	uint32_t module_count;
	/* ACPI RSDP copied from the multiboot2 tag (v1 20 bytes, v2 36 bytes). */
	uint8_t rsdp[36];
	uint32_t rsdp_len; /* 0: not given */
	struct boot_framebuffer fb;
	uint64_t mem_lower_kib, mem_upper_kib; /* basic memory info, 0 if absent */
	/* Every physical range the loader's data occupies (the info structure,
	 * the strings and tables it points to, and the modules' contents), all
	 * typed MEM_RESERVED: hand them to pmm_init() as `reserved` so the frame
	 * allocator never gives them out. */
	struct mem_range reserved[BOOTINFO_MAX_RESERVED];
	uint32_t reserved_count;
};

/* Each returns 0, or a negative errno with one clear message already logged
 * (pr_err "multiboot2: ..." naming the structure and what is wrong).
 * `map` reaches physical memory; `info_phys` is EBX at entry. `out` is
 * cleared first; after an error its contents are meaningless. Survivable
 * oddities (too many mmap entries or modules, an over-long command line or
 * module name) are reported with pr_warn and the rest kept. When several
 * tags of one kind are given, the last wins (modules accumulate). */
int multiboot1_parse(uint64_t info_phys, phys_map_fn map, struct boot_info *out);
int multiboot2_parse(uint64_t info_phys, phys_map_fn map, struct boot_info *out);

/* Dispatches on the EAX magic; -EINVAL for an unknown magic. */
int bootinfo_parse(uint32_t magic, uint64_t info_phys, phys_map_fn map, struct boot_info *out);

/* Usable RAM in bytes and the number of usable ranges (after merging
 * overlapping/adjacent usable ranges and removing any overlap with
 * non-usable ranges: any type other than MEM_USABLE wins). Without a memory
 * map, the basic meminfo stands in: 0..mem_lower KiB and 1 MiB..+mem_upper
 * KiB. `ranges` may be NULL. */
uint64_t bootinfo_usable_bytes(const struct boot_info *bi, uint32_t *ranges);

#endif
