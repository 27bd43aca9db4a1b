/* libFuzzer harness for the multiboot 1/2 parsers (hv/multiboot.c).
 * Input: a selector byte (protocol / magic), an info-offset byte, then the
 * bytes of a fake physical address space starting at address 0; the info
 * structure sits at the given offset (0 in the seeds; others reach the
 * alignment check). Every phys_map_fn
 * call returns a fresh heap copy of exactly the requested length, so
 * AddressSanitizer flags any read past what the parser asked for. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/bootinfo.h"
#include "test_log.h"

#define MAX_MAPS 8192

static const uint8_t *space;
static size_t space_len;
static void *maps[MAX_MAPS];
static size_t nmaps;

static const void *fuzz_map(uint64_t phys, uint64_t len)
{
	if (phys > space_len || len > space_len - phys || nmaps == MAX_MAPS)
		return NULL;
	/* malloc(0) may return NULL, which would read as "unreadable". */
	void *p = malloc(len ? len : 1);
	if (!p)
		return NULL;
	memcpy(p, space + phys, len);
	maps[nmaps++] = p;
	return p;
}

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static void check_result(const struct boot_info *bi)
{
	check(bi->mmap_count <= BOOTINFO_MAX_MMAP);
	check(bi->module_count <= BOOTINFO_MAX_MODULES);
	check(bi->reserved_count <= BOOTINFO_MAX_RESERVED);
	check(memchr(bi->cmdline, 0, sizeof(bi->cmdline)) != NULL);
	check(bi->rsdp_len == 0 || (bi->rsdp_len >= 20 && bi->rsdp_len <= 36));
	check(bi->info_end > bi->info_start);
	for (uint32_t i = 0; i < bi->module_count; i++) {
		check(bi->modules[i].end >= bi->modules[i].start);
		check(memchr(bi->modules[i].name, 0, sizeof(bi->modules[i].name)) != NULL);
	}
	for (uint32_t i = 0; i < bi->reserved_count; i++)
		check(bi->reserved[i].len > 0 && bi->reserved[i].type == MEM_RESERVED);

	/* Usable bytes can never exceed the sum of the usable ranges. */
	uint32_t ranges = 0;
	uint64_t bytes = bootinfo_usable_bytes(bi, &ranges);
	unsigned __int128 sum = 0;
	for (uint32_t i = 0; i < bi->mmap_count; i++)
		if (bi->mmap[i].type == MEM_USABLE)
			sum += bi->mmap[i].len;
	if (bi->mmap_count == 0)
		sum = (unsigned __int128)(bi->mem_lower_kib + bi->mem_upper_kib) * 1024;
	check(bytes <= sum);
	check(ranges <= 2 * BOOTINFO_MAX_MMAP);
	check((bytes == 0) == (ranges == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_info bi;
	int rc;

	if (size < 2)
		return 0;
	uint64_t info = data[1];
	space = data + 2;
	space_len = size - 2;
	nmaps = 0;
	test_log_reset();

	static const uint32_t magics[] = { MULTIBOOT1_BOOT_MAGIC, MULTIBOOT2_BOOT_MAGIC,
					   0x1BADB002 /* a header magic, not a boot one */ };
	switch (data[0] % 3) {
	case 0:
		rc = multiboot1_parse(info, fuzz_map, &bi);
		break;
	case 1:
		rc = multiboot2_parse(info, fuzz_map, &bi);
		break;
	default:
		rc = bootinfo_parse(magics[(data[0] >> 2) % 3], info, fuzz_map, &bi);
		break;
	}
	/* Errors are one line; success leaves a consistent structure. */
	if (rc == 0)
		check_result(&bi);
	else
		check(test_log_count() >= 1);

	for (size_t i = 0; i < nmaps; i++)
		free(maps[i]);
	return 0;
}
