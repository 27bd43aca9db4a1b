/* libFuzzer harness for both sides of multiboot v1: the hypervisor's own
 * boot-information parsers (multiboot 1 and 2, hv/multiboot.c) and the
 * guest loader that builds a multiboot v1 machine state for a guest image
 * and its modules (load_multiboot_modules(), hv/loader.c).
 *
 * Parsers, a first byte below 0xF0: that selector byte (protocol / magic),
 * an info-offset byte, then the bytes of a fake physical address space
 * starting at address 0; the info structure sits at the given offset (0 in
 * the seeds; others reach the alignment check). Every phys_map_fn call
 * returns a fresh heap copy of exactly the requested length, so
 * AddressSanitizer flags any read past what the parser asked for.
 *
 * Loader, a first byte 0xF0-0xFF: see fuzz_loader() below. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/bootinfo.h"
#include "hv/errno.h"
#include "hv/loader.h"
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

/* --- the guest loader ------------------------------------------------------
 *
 * Input: byte 0 = 0xF0 | bits: 0-1 the module count (0-3); 2 "fix the
 * multiboot header's checksum" (so mutations get past the header search);
 * 3 a large VM (RAM in 32 MiB steps, up to 8 GiB) rather than a small one
 * (64 KiB steps up to 16 MiB, some below the 2 MiB minimum). Byte 1: the
 * RAM size in those steps. Bytes 2-3: the command line's length (LE, low
 * 12 bits), then its bytes. Per module: 1 byte string length, the string,
 * 3 bytes module length (LE, up to 16 MiB), then up to 64 bytes of its data
 * (the rest zero). The remaining bytes are the image. Strings, module data
 * and the image are exact-size heap copies, so ASan sees any over-read.
 *
 * Guest memory keeps only the info area 0x9000-0x9FFF; every write is
 * recorded, must lie inside RAM, and has the first and last bytes of its
 * source read. Checked: a refused load writes nothing and says why in one
 * line; a successful one leaves an info block that lists each module at a
 * page-aligned address at or above 1 MiB, inside RAM and 32 bits, in order,
 * with its string; the memory map and command line are what they always
 * are; and no write but the module's own lands on a module's pages. */

#define LOADER_SELECTOR 0xF0
#define FUZZ_MODS_MAX 3
#define MOD_DATA_FROM_INPUT 64
#define RECORDS_MAX 4096
#define AREA_SIZE (MB_AREA_END - MB_INFO_GPA)

struct record {
	uint64_t gpa, len;
	const void *src; /* NULL: zeroed */
};

static struct record records[RECORDS_MAX];
static size_t nrecords;
static bool records_lost;
static uint8_t area[AREA_SIZE];
static uint64_t ram_size;
static volatile uint8_t sink;

static int rec(uint64_t gpa, const void *src, size_t len)
{
	check(gpa <= ram_size && len <= ram_size - gpa); /* never outside RAM */
	if (src && len) {
		sink = ((const uint8_t *)src)[0];
		sink = ((const uint8_t *)src)[len - 1];
	}
	if (nrecords < RECORDS_MAX)
		records[nrecords++] = (struct record){gpa, len, src};
	else
		records_lost = true;
	/* Keep what lands in the info area. */
	uint64_t lo = gpa > MB_INFO_GPA ? gpa : MB_INFO_GPA;
	uint64_t hi = gpa + len < MB_AREA_END ? gpa + len : MB_AREA_END;
	for (uint64_t a = lo; a < hi; a++)
		area[a - MB_INFO_GPA] = src ? ((const uint8_t *)src)[a - gpa] : 0;
	return 0;
}

static int fuzz_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	(void)ctx;
	return rec(gpa, src, len);
}

static int fuzz_zero(void *ctx, uint64_t gpa, size_t len)
{
	(void)ctx;
	return rec(gpa, NULL, len);
}

static uint32_t area32(uint64_t gpa)
{
	uint32_t v;
	check(gpa >= MB_INFO_GPA && gpa + 4 <= MB_AREA_END);
	memcpy(&v, area + (gpa - MB_INFO_GPA), 4);
	return v;
}

static uint64_t area64(uint64_t gpa)
{
	return area32(gpa) | (uint64_t)area32(gpa + 4) << 32;
}

/* The NUL-terminated string at gpa, inside the area after the info block. */
static const char *area_str(uint32_t gpa)
{
	check(gpa >= MB_CMDLINE_GPA && gpa < MB_AREA_END);
	const char *s = (const char *)area + (gpa - MB_INFO_GPA);
	check(memchr(s, 0, MB_AREA_END - gpa) != NULL);
	return s;
}

struct taker {
	const uint8_t *p;
	size_t left;
};

static size_t take(struct taker *t, size_t n)
{
	n = n < t->left ? n : t->left;
	t->p += n;
	t->left -= n;
	return n;
}

static uint32_t take_le(struct taker *t, size_t bytes)
{
	uint32_t v = 0;
	const uint8_t *p = t->p;
	size_t n = take(t, bytes);
	for (size_t i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* An exact-size NUL-terminated copy of the next `len` input bytes. */
static char *take_string(struct taker *t, size_t len)
{
	const uint8_t *p = t->p;
	size_t n = take(t, len);
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* With "fix the checksum": the first header candidate gets a valid one. */
static void fix_checksum(uint8_t *img, size_t len)
{
	for (size_t off = 0; off + 12 <= len && off < 8192; off += 4) {
		uint32_t magic, flags;
		memcpy(&magic, img + off, 4);
		if (magic != 0x1BADB002)
			continue;
		memcpy(&flags, img + off + 4, 4);
		uint32_t sum = (uint32_t)-(magic + flags);
		memcpy(img + off + 8, &sum, 4);
		return;
	}
}

static void check_loaded(const struct mb_module *mods, size_t count, const char *cmdline,
			 const struct boot_state *st)
{
	char line[AREA_SIZE];
	uint32_t flags = area32(MB_INFO_GPA);

	check(st->regs.gpr[GPR_RAX] == 0x2BADB002 && st->regs.gpr[GPR_RBX] == MB_INFO_GPA);
	check((flags & 0x45) == 0x45 && !!(flags & 8) == (count > 0));
	check(area32(MB_INFO_GPA + 4) == 640);
	check(area32(MB_INFO_GPA + 8) == (uint32_t)((ram_size - 0x100000) / 1024));
	check(area32(MB_INFO_GPA + 20) == count);
	check(area32(MB_INFO_GPA + 24) == (count ? MB_MODS_GPA : 0));
	/* The memory map: what it always is, modules or not. */
	check(area32(MB_INFO_GPA + 44) == 48 && area32(MB_INFO_GPA + 48) == MB_MMAP_GPA);
	check(area32(MB_MMAP_GPA) == 20 && area64(MB_MMAP_GPA + 4) == 0 &&
	      area64(MB_MMAP_GPA + 12) == 0x9FC00 && area32(MB_MMAP_GPA + 20) == 1);
	check(area32(MB_MMAP_GPA + 24) == 20 && area64(MB_MMAP_GPA + 28) == 0x100000 &&
	      area64(MB_MMAP_GPA + 36) == ram_size - 0x100000 && area32(MB_MMAP_GPA + 44) == 1);
	snprintf(line, sizeof(line), "fuzz.elf%s%s", cmdline[0] ? " " : "", cmdline);
	check(area32(MB_INFO_GPA + 16) == MB_CMDLINE_GPA);
	check(strcmp(area_str(MB_CMDLINE_GPA), line) == 0);

	uint64_t next = 0x100000, start[FUZZ_MODS_MAX], pages_end[FUZZ_MODS_MAX];
	for (size_t i = 0; i < count; i++) {
		uint64_t e = MB_MODS_GPA + 16 * i;
		start[i] = area32(e);
		check(start[i] % 4096 == 0 && start[i] >= next);
		check(area32(e + 4) == start[i] + mods[i].len); /* mod_end: 32 bits, no wrap */
		check(start[i] + mods[i].len <= ram_size && area32(e + 12) == 0);
		check(strcmp(area_str(area32(e + 8)), mods[i].cmdline) == 0);
		pages_end[i] = (start[i] + (mods[i].len ? mods[i].len : 1) + 4095) & ~4095ULL;
		next = pages_end[i];
	}
	if (records_lost)
		return;
	/* On a module's pages: its bytes, then zeros to the page end. */
	for (size_t r = 0; r < nrecords; r++) {
		const struct record *w = &records[r];
		for (size_t i = 0; i < count; i++) {
			if (w->len == 0 || w->gpa + w->len <= start[i] || w->gpa >= pages_end[i])
				continue;
			uint64_t end = start[i] + mods[i].len;
			check((w->src == mods[i].data && w->gpa == start[i] && w->len == mods[i].len) ||
			      (!w->src && w->gpa == end && w->gpa + w->len <= pages_end[i]));
		}
	}
}

static void fuzz_loader(const uint8_t *data, size_t size)
{
	struct taker t = {data + 2, size - 2};
	struct mb_module mods[FUZZ_MODS_MAX];
	size_t count = data[0] & 3;
	char *cmdline = NULL, *strings[FUZZ_MODS_MAX] = {0};
	uint8_t *bufs[FUZZ_MODS_MAX] = {0}, *img = NULL;
	struct boot_state st;
	char err[200];

	ram_size = data[0] & 8 ? ((uint64_t)data[1] + 1) << 25 : (uint64_t)data[1] << 16;
	cmdline = take_string(&t, take_le(&t, 2) & 0xFFF);
	if (!cmdline)
		goto out;
	for (size_t i = 0; i < count; i++) {
		strings[i] = take_string(&t, take_le(&t, 1));
		size_t len = take_le(&t, 3);
		bufs[i] = calloc(len ? len : 1, 1);
		if (!strings[i] || !bufs[i])
			goto out;
		const uint8_t *p = t.p;
		memcpy(bufs[i], p, take(&t, len < MOD_DATA_FROM_INPUT ? len : MOD_DATA_FROM_INPUT));
		mods[i] = (struct mb_module){bufs[i], len, strings[i]};
	}
	img = malloc(t.left ? t.left : 1);
	if (!img)
		goto out;
	memcpy(img, t.p, t.left);
	if (data[0] & 4)
		fix_checksum(img, t.left);

	struct guest_mem mem = {fuzz_write, fuzz_zero, ram_size, NULL};
	nrecords = 0;
	records_lost = false;
	memset(area, 0xCC, sizeof(area));
	memset(err, 'X', sizeof(err));
	int rc = load_multiboot_modules(&mem, img, t.left, "fuzz.elf", cmdline, mods, count, &st, err,
					sizeof(err));
	check(test_log_count() == 0); /* the caller reports, not the loader */
	if (rc == 0) {
		check_loaded(mods, count, cmdline, &st);
	} else {
		/* Everything is checked before anything is written. */
		check(rc == -EINVAL || rc == -E2BIG || rc == -ENOSPC);
		check(nrecords == 0 && !records_lost);
		check(memchr(err, 0, sizeof(err)) != NULL && err[0] != '\0' && !strchr(err, '\n'));
	}
out:
	free(img);
	for (size_t i = 0; i < count; i++) {
		free(strings[i]);
		free(bufs[i]);
	}
	free(cmdline);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_info bi;
	int rc;

	if (size < 2)
		return 0;
	if (data[0] >= LOADER_SELECTOR) {
		test_log_reset();
		fuzz_loader(data, size);
		return 0;
	}
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
