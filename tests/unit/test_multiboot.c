/* Multiboot 1/2 boot information parsers (hv/multiboot.c), driven through a
 * fake physical address space: a static buffer whose end is the end of
 * readable memory, so a parser that reads one byte too many fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hv/bootinfo.h"
#include "hv/errno.h"
#include "test_log.h"

#define FAKE_SIZE 0x200000u /* 2 MiB of "physical memory" at address 0 */

static uint8_t fake_mem[FAKE_SIZE];
static uint64_t fake_limit = FAKE_SIZE; /* readable: [0, fake_limit) */
static struct boot_info bi;

static const void *fake_map(uint64_t phys, uint64_t len)
{
	if (phys > fake_limit || len > fake_limit - phys)
		return NULL;
	return fake_mem + phys;
}

static int setup(void **state)
{
	(void)state;
	memset(fake_mem, 0xCC, sizeof(fake_mem)); /* garbage, not zeros */
	fake_limit = FAKE_SIZE;
	memset(&bi, 0x5A, sizeof(bi));            /* the parser must clear it */
	test_log_reset();
	return 0;
}

static void w8(uint64_t a, uint8_t v) { fake_mem[a] = v; }
static void w32(uint64_t a, uint32_t v) { memcpy(fake_mem + a, &v, 4); }
static void w64(uint64_t a, uint64_t v) { memcpy(fake_mem + a, &v, 8); }
static void wstr(uint64_t a, const char *s) { memcpy(fake_mem + a, s, strlen(s) + 1); }

static bool has_reserved(uint64_t base, uint64_t len)
{
	for (uint32_t i = 0; i < bi.reserved_count; i++)
		if (bi.reserved[i].base == base && bi.reserved[i].len == len &&
		    bi.reserved[i].type == MEM_RESERVED)
			return true;
	return false;
}

/* The memory map QEMU's SeaBIOS reports for -m 128M. */
static const struct mem_range qemu_128m[] = {
	{ 0x0, 0x9fc00, MEM_USABLE },
	{ 0x9fc00, 0x400, MEM_RESERVED },
	{ 0xf0000, 0x10000, MEM_RESERVED },
	{ 0x100000, 0x7ee0000, MEM_USABLE },
	{ 0x7fe0000, 0x20000, MEM_RESERVED },
	{ 0xfffc0000, 0x40000, MEM_RESERVED },
};
#define QEMU_128M_USABLE (0x9fc00ull + 0x7ee0000ull)

/* ---- multiboot 1 builders ---------------------------------------------- */

#define MB1_INFO 0x1000
#define MB1_CMDLINE 0x2000
#define MB1_MODS 0x3000
#define MB1_MMAP 0x4000

#define F_MEM (1u << 0)
#define F_CMDLINE (1u << 2)
#define F_MODS (1u << 3)
#define F_MMAP (1u << 6)
#define F_FB (1u << 12)

/* Writes one mmap entry with the given size field; returns the next address. */
static uint64_t mb1_mmap_entry(uint64_t a, uint32_t size, uint64_t base, uint64_t len,
			       uint32_t type)
{
	w32(a, size);
	w64(a + 4, base);
	w64(a + 12, len);
	w32(a + 20, type);
	return a + 4 + size;
}

static uint32_t mb1_write_qemu_mmap(uint64_t a)
{
	uint64_t p = a;

	for (size_t i = 0; i < ARRAY_SIZE(qemu_128m); i++)
		p = mb1_mmap_entry(p, 20, qemu_128m[i].base, qemu_128m[i].len, qemu_128m[i].type);
	return (uint32_t)(p - a);
}

static void mb1_full(void)
{
	w32(MB1_INFO + 0, F_MEM | F_CMDLINE | F_MODS | F_MMAP | F_FB);
	w32(MB1_INFO + 4, 639);
	w32(MB1_INFO + 8, 130048);
	w32(MB1_INFO + 16, MB1_CMDLINE);
	wstr(MB1_CMDLINE, "/boot/hv.elf console=com2 smp=2");
	w32(MB1_INFO + 20, 2);
	w32(MB1_INFO + 24, MB1_MODS);
	w32(MB1_MODS + 0, 0x100000);
	w32(MB1_MODS + 4, 0x180000);
	w32(MB1_MODS + 8, 0x3100);
	wstr(0x3100, "guest.bin");
	w32(MB1_MODS + 16, 0x180000);
	w32(MB1_MODS + 20, 0x180800);
	w32(MB1_MODS + 24, 0x3200);
	wstr(0x3200, "initrd arg=1");
	w32(MB1_INFO + 44, mb1_write_qemu_mmap(MB1_MMAP));
	w32(MB1_INFO + 48, MB1_MMAP);
	w64(MB1_INFO + 88, 0xB8000);
	w32(MB1_INFO + 96, 160);
	w32(MB1_INFO + 100, 80);
	w32(MB1_INFO + 104, 25);
	w8(MB1_INFO + 108, 16);
	w8(MB1_INFO + 109, 2); /* EGA text */
}

/* ---- multiboot2 builder ------------------------------------------------- */

#define MB2_INFO 0x10000

struct mb2b {
	uint64_t base;
	uint32_t off;
};

static struct mb2b mb2_begin(uint64_t base)
{
	struct mb2b b = { base, 8 };
	w32(base + 4, 0); /* reserved */
	return b;
}

/* A tag whose size field says `size`; `plen` payload bytes are written.
 * Returns the tag's offset. */
static uint32_t mb2_tag_raw(struct mb2b *b, uint32_t type, uint32_t size, const void *payload,
			    uint32_t plen)
{
	uint32_t off = b->off;

	w32(b->base + off, type);
	w32(b->base + off + 4, size);
	if (plen)
		memcpy(fake_mem + b->base + off + 8, payload, plen);
	b->off = (off + (size > 8 ? size : 8) + 7) & ~7u;
	return off;
}

static uint32_t mb2_tag(struct mb2b *b, uint32_t type, const void *payload, uint32_t plen)
{
	return mb2_tag_raw(b, type, 8 + plen, payload, plen);
}

static uint32_t mb2_str(struct mb2b *b, uint32_t type, const char *s)
{
	return mb2_tag(b, type, s, (uint32_t)strlen(s) + 1);
}

static uint32_t mb2_module(struct mb2b *b, uint32_t start, uint32_t end, const char *name)
{
	uint8_t p[512];
	size_t n = strlen(name) + 1;

	memcpy(p, &start, 4);
	memcpy(p + 4, &end, 4);
	memcpy(p + 8, name, n);
	return mb2_tag(b, 3, p, (uint32_t)(8 + n));
}

static uint32_t mb2_meminfo(struct mb2b *b, uint32_t lower, uint32_t upper)
{
	uint32_t p[2] = { lower, upper };
	return mb2_tag(b, 4, p, 8);
}

static uint32_t mb2_mmap(struct mb2b *b, uint32_t esz, const struct mem_range *m, uint32_t n)
{
	static uint8_t p[8 + 200 * 64];
	uint32_t ver = 0;

	memset(p, 0xEE, sizeof(p));
	memcpy(p, &esz, 4);
	memcpy(p + 4, &ver, 4);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *e = p + 8 + i * esz;
		memcpy(e, &m[i].base, 8);
		memcpy(e + 8, &m[i].len, 8);
		memcpy(e + 16, &m[i].type, 4);
		memset(e + 20, 0, 4);
	}
	return mb2_tag(b, 6, p, 8 + n * esz);
}

static uint32_t mb2_fb(struct mb2b *b, uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h,
		       uint8_t bpp, uint8_t type)
{
	uint8_t p[24] = { 0 };

	memcpy(p, &addr, 8);
	memcpy(p + 8, &pitch, 4);
	memcpy(p + 12, &w, 4);
	memcpy(p + 16, &h, 4);
	p[20] = bpp;
	p[21] = type;
	return mb2_tag(b, 8, p, sizeof(p));
}

static const uint8_t rsdp_v1[20] = "RSD PTR \x11OEMID1\x00\x00\x10\x00\x00";
static const uint8_t rsdp_v2[36] = "RSD PTR \x22OEMID2\x02\x00\x10\x00\x00\x24\x00\x00\x00"
				   "\x00\x20\x00\x00\x00\x00\x00\x00\x33\x00\x00\x00";

/* Writes total_size and the end tag; returns total_size. */
static uint32_t mb2_end(struct mb2b *b)
{
	mb2_tag_raw(b, 0, 8, NULL, 0);
	w32(b->base, b->off);
	return b->off;
}

static void mb2_full(bool new_rsdp_first)
{
	struct mb2b b = mb2_begin(MB2_INFO);

	mb2_str(&b, 1, "console=com1 loglevel=4");
	mb2_str(&b, 2, "GRUB 2.06"); /* boot loader name: not needed, skipped */
	mb2_meminfo(&b, 639, 130048);
	mb2_module(&b, 0x100000, 0x180000, "guest.bin");
	mb2_module(&b, 0x180000, 0x180800, "initrd arg=1");
	mb2_mmap(&b, 24, qemu_128m, ARRAY_SIZE(qemu_128m));
	mb2_fb(&b, 0xB8000, 160, 80, 25, 16, 2);
	if (new_rsdp_first) {
		mb2_tag(&b, 15, rsdp_v2, sizeof(rsdp_v2));
		mb2_tag(&b, 14, rsdp_v1, sizeof(rsdp_v1));
	} else {
		mb2_tag(&b, 14, rsdp_v1, sizeof(rsdp_v1));
		mb2_tag(&b, 15, rsdp_v2, sizeof(rsdp_v2));
	}
	mb2_end(&b);
}

/* ---- good multiboot 1 --------------------------------------------------- */

static void test_mb1_all_fields_are_parsed(void **state)
{
	(void)state;
	mb1_full();
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.protocol, 1);
	assert_int_equal(bi.mem_lower_kib, 639);
	assert_int_equal(bi.mem_upper_kib, 130048);
	assert_string_equal(bi.cmdline, "/boot/hv.elf console=com2 smp=2");
	assert_int_equal(bi.module_count, 2);
	assert_int_equal(bi.modules[0].start, 0x100000);
	assert_int_equal(bi.modules[0].end, 0x180000);
	assert_string_equal(bi.modules[0].name, "guest.bin");
	assert_int_equal(bi.modules[1].start, 0x180000);
	assert_int_equal(bi.modules[1].end, 0x180800);
	assert_string_equal(bi.modules[1].name, "initrd arg=1");
	assert_int_equal(bi.mmap_count, ARRAY_SIZE(qemu_128m));
	for (size_t i = 0; i < ARRAY_SIZE(qemu_128m); i++) {
		assert_int_equal(bi.mmap[i].base, qemu_128m[i].base);
		assert_int_equal(bi.mmap[i].len, qemu_128m[i].len);
		assert_int_equal(bi.mmap[i].type, qemu_128m[i].type);
	}
	assert_int_equal(bi.fb.type, FB_EGA_TEXT);
	assert_int_equal(bi.fb.addr, 0xB8000);
	assert_int_equal(bi.fb.pitch, 160);
	assert_int_equal(bi.fb.width, 80);
	assert_int_equal(bi.fb.height, 25);
	assert_int_equal(bi.fb.bpp, 16);
	assert_int_equal(bi.rsdp_len, 0);
	assert_int_equal(test_log_count(), 0);
}

static void test_mb1_reserves_every_loader_range(void **state)
{
	(void)state;
	mb1_full();
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.info_start, MB1_INFO);
	assert_int_equal(bi.info_end, MB1_INFO + 110); /* through framebuffer_type */
	assert_true(has_reserved(MB1_INFO, 110));
	assert_true(has_reserved(MB1_CMDLINE, strlen("/boot/hv.elf console=com2 smp=2") + 1));
	assert_true(has_reserved(MB1_MODS, 32));
	assert_true(has_reserved(0x3100, strlen("guest.bin") + 1));
	assert_true(has_reserved(0x3200, strlen("initrd arg=1") + 1));
	assert_true(has_reserved(0x100000, 0x80000));
	assert_true(has_reserved(0x180000, 0x800));
	assert_true(has_reserved(MB1_MMAP, 6 * 24));
	assert_int_equal(bi.reserved_count, 8);
}

static void test_mb1_fields_without_their_flag_are_ignored(void **state)
{
	(void)state;
	/* Only the cmdline is valid; the other fields hold garbage pointers. */
	w32(MB1_INFO, F_CMDLINE);
	w32(MB1_INFO + 4, 1234);
	w32(MB1_INFO + 16, MB1_CMDLINE);
	wstr(MB1_CMDLINE, "selftest");
	w32(MB1_INFO + 20, 99);
	w32(MB1_INFO + 24, 0xFFFFFFF0);
	w32(MB1_INFO + 44, 0x1000);
	w32(MB1_INFO + 48, 0xFFFFFFF0);
	w8(MB1_INFO + 109, 2);
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_string_equal(bi.cmdline, "selftest");
	assert_int_equal(bi.mem_lower_kib, 0);
	assert_int_equal(bi.module_count, 0);
	assert_int_equal(bi.mmap_count, 0);
	assert_int_equal(bi.fb.type, FB_NONE);
	assert_int_equal(bi.info_end, MB1_INFO + 20);
}

static void test_mb1_short_block_at_end_of_memory_is_read_exactly(void **state)
{
	(void)state;
	/* flags + mem_lower/upper: 12 bytes, the last readable ones. */
	uint64_t info = FAKE_SIZE - 12;
	w32(info, F_MEM);
	w32(info + 4, 640);
	w32(info + 8, 2048);
	assert_int_equal(multiboot1_parse(info, fake_map, &bi), 0);
	assert_int_equal(bi.mem_lower_kib, 640);
	assert_int_equal(bi.mem_upper_kib, 2048);
	assert_int_equal(bi.info_end, FAKE_SIZE);
}

static void test_mb1_mmap_entries_are_stepped_by_their_size(void **state)
{
	(void)state;
	/* size 24: four bytes of extension after the type, to be skipped. */
	uint64_t p = MB1_MMAP;
	p = mb1_mmap_entry(p, 24, 0x0, 0x9fc00, MEM_USABLE);
	p = mb1_mmap_entry(p, 20, 0x100000, 0x1000000, MEM_USABLE);
	p = mb1_mmap_entry(p, 28, 0x1100000, 0x1000, MEM_ACPI_NVS);
	w32(MB1_INFO, F_MMAP);
	w32(MB1_INFO + 44, (uint32_t)(p - MB1_MMAP));
	w32(MB1_INFO + 48, MB1_MMAP);
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.mmap_count, 3);
	assert_int_equal(bi.mmap[1].base, 0x100000);
	assert_int_equal(bi.mmap[1].len, 0x1000000);
	assert_int_equal(bi.mmap[2].base, 0x1100000);
	assert_int_equal(bi.mmap[2].type, MEM_ACPI_NVS);
}

static void test_mb1_indexed_and_rgb_framebuffers_map_to_their_types(void **state)
{
	(void)state;
	w32(MB1_INFO, F_FB);
	w64(MB1_INFO + 88, 0xFD000000);
	w32(MB1_INFO + 96, 4096);
	w32(MB1_INFO + 100, 1024);
	w32(MB1_INFO + 104, 768);
	w8(MB1_INFO + 108, 32);
	w8(MB1_INFO + 109, 1);
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.fb.type, FB_RGB);
	assert_int_equal(bi.fb.addr, 0xFD000000);
	assert_int_equal(bi.fb.bpp, 32);
	w8(MB1_INFO + 109, 0);
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.fb.type, FB_INDEXED);
}

static void test_mb1_unknown_framebuffer_type_is_ignored_with_warning(void **state)
{
	(void)state;
	w32(MB1_INFO, F_FB);
	w8(MB1_INFO + 109, 7);
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.fb.type, FB_NONE);
	assert_true(test_log_contains("multiboot1: unknown framebuffer type 7, ignored"));
}

static void test_mb1_long_cmdline_is_truncated_with_warning(void **state)
{
	(void)state;
	char s[700];
	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	w32(MB1_INFO, F_CMDLINE);
	w32(MB1_INFO + 16, MB1_CMDLINE);
	wstr(MB1_CMDLINE, s);
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(strlen(bi.cmdline), BOOTINFO_CMDLINE_MAX - 1);
	assert_true(test_log_contains("multiboot1: command line is longer than 511 bytes, truncated"));
}

static void test_mb1_cmdline_of_exactly_511_bytes_ending_memory_fits(void **state)
{
	(void)state;
	char s[512];
	memset(s, 'b', 511);
	s[511] = '\0';
	uint64_t at = FAKE_SIZE - 512; /* the NUL is the last readable byte */
	w32(MB1_INFO, F_CMDLINE);
	w32(MB1_INFO + 16, (uint32_t)at);
	wstr(at, s);
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_string_equal(bi.cmdline, s);
	assert_int_equal(test_log_count(), 0);
	assert_true(has_reserved(at, 512));
}

static void test_mb1_too_many_mmap_entries_keeps_the_first(void **state)
{
	(void)state;
	uint64_t p = MB1_MMAP;
	for (uint32_t i = 0; i < 130; i++)
		p = mb1_mmap_entry(p, 20, (uint64_t)i * 0x2000, 0x1000, MEM_USABLE);
	w32(MB1_INFO, F_MMAP);
	w32(MB1_INFO + 44, (uint32_t)(p - MB1_MMAP));
	w32(MB1_INFO + 48, MB1_MMAP);
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.mmap_count, BOOTINFO_MAX_MMAP);
	assert_int_equal(bi.mmap[127].base, 127 * 0x2000);
	assert_true(test_log_contains("multiboot1: memory map has 130 entries, keeping the first 128"));
}

static void test_mb1_too_many_modules_keeps_the_first(void **state)
{
	(void)state;
	wstr(0x3800, "m");
	for (uint32_t i = 0; i < 18; i++) {
		w32(MB1_MODS + i * 16, 0x100000 + i * 0x1000);
		w32(MB1_MODS + i * 16 + 4, 0x100000 + i * 0x1000 + 0x800);
		w32(MB1_MODS + i * 16 + 8, 0x3800);
	}
	w32(MB1_INFO, F_MODS);
	w32(MB1_INFO + 20, 18);
	w32(MB1_INFO + 24, MB1_MODS);
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.module_count, BOOTINFO_MAX_MODULES);
	assert_int_equal(bi.modules[15].start, 0x10f000);
	assert_true(has_reserved(MB1_MODS, 16 * 16));
	assert_true(test_log_contains("multiboot1: 18 modules, keeping the first 16"));
}

static void test_mb1_long_module_name_is_truncated_with_warning(void **state)
{
	(void)state;
	char s[300];
	memset(s, 'n', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	wstr(0x3800, s);
	w32(MB1_MODS, 0x100000);
	w32(MB1_MODS + 4, 0x101000);
	w32(MB1_MODS + 8, 0x3800);
	w32(MB1_INFO, F_MODS);
	w32(MB1_INFO + 20, 1);
	w32(MB1_INFO + 24, MB1_MODS);
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(strlen(bi.modules[0].name), BOOTINFO_MODNAME_MAX - 1);
	assert_true(test_log_contains("multiboot1: module 0 string is longer than 127 bytes, truncated"));
}

static void test_mb1_zero_modules_and_empty_mmap_are_fine(void **state)
{
	(void)state;
	w32(MB1_INFO, F_MODS | F_MMAP);
	w32(MB1_INFO + 20, 0);
	w32(MB1_INFO + 24, 0xFFFFFFF0);
	w32(MB1_INFO + 44, 0);
	w32(MB1_INFO + 48, 0xFFFFFFF0);
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.module_count, 0);
	assert_int_equal(bi.mmap_count, 0);
	assert_int_equal(bi.reserved_count, 1);
}

/* ---- good multiboot 2 --------------------------------------------------- */

static void check_mb2_full(void)
{
	assert_int_equal(bi.protocol, 2);
	assert_string_equal(bi.cmdline, "console=com1 loglevel=4");
	assert_int_equal(bi.mem_lower_kib, 639);
	assert_int_equal(bi.mem_upper_kib, 130048);
	assert_int_equal(bi.module_count, 2);
	assert_int_equal(bi.modules[0].start, 0x100000);
	assert_int_equal(bi.modules[0].end, 0x180000);
	assert_string_equal(bi.modules[0].name, "guest.bin");
	assert_string_equal(bi.modules[1].name, "initrd arg=1");
	assert_int_equal(bi.mmap_count, ARRAY_SIZE(qemu_128m));
	for (size_t i = 0; i < ARRAY_SIZE(qemu_128m); i++) {
		assert_int_equal(bi.mmap[i].base, qemu_128m[i].base);
		assert_int_equal(bi.mmap[i].len, qemu_128m[i].len);
		assert_int_equal(bi.mmap[i].type, qemu_128m[i].type);
	}
	assert_int_equal(bi.fb.type, FB_EGA_TEXT);
	assert_int_equal(bi.fb.addr, 0xB8000);
	assert_int_equal(bi.fb.width, 80);
	assert_int_equal(bi.fb.height, 25);
	assert_int_equal(bi.fb.pitch, 160);
	assert_int_equal(bi.fb.bpp, 16);
	assert_int_equal(bi.rsdp_len, 36);
	assert_memory_equal(bi.rsdp, rsdp_v2, 36);
	assert_int_equal(bi.info_start, MB2_INFO);
	assert_int_equal(test_log_count(), 0);
}

static void test_mb2_all_tags_new_rsdp_first(void **state)
{
	(void)state;
	mb2_full(true);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	check_mb2_full();
}

static void test_mb2_all_tags_new_rsdp_wins_when_it_comes_last(void **state)
{
	(void)state;
	mb2_full(false);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	check_mb2_full();
}

static void test_mb2_old_rsdp_alone_copies_20_bytes(void **state)
{
	(void)state;
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 14, rsdp_v1, sizeof(rsdp_v1));
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.rsdp_len, 20);
	assert_memory_equal(bi.rsdp, rsdp_v1, 20);
}

static void test_mb2_new_rsdp_longer_than_36_copies_36(void **state)
{
	(void)state;
	uint8_t big[48];
	memcpy(big, rsdp_v2, 36);
	memset(big + 36, 0x77, 12);
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 15, big, sizeof(big));
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.rsdp_len, 36);
	assert_memory_equal(bi.rsdp, rsdp_v2, 36);
}

static void test_mb2_info_range_and_reserved_cover_block_and_modules(void **state)
{
	(void)state;
	mb2_full(true);
	uint32_t total = 0;
	memcpy(&total, fake_mem + MB2_INFO, 4);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.info_start, MB2_INFO);
	assert_int_equal(bi.info_end, MB2_INFO + total);
	assert_int_equal(bi.reserved_count, 3);
	assert_true(has_reserved(MB2_INFO, total));
	assert_true(has_reserved(0x100000, 0x80000));
	assert_true(has_reserved(0x180000, 0x800));
}

static void test_mb2_block_ending_memory_is_read_exactly(void **state)
{
	(void)state;
	mb2_full(true);
	uint32_t total = 0;
	memcpy(&total, fake_mem + MB2_INFO, 4);
	/* Move the block so its last byte is the last readable byte. */
	uint64_t at = FAKE_SIZE - total;
	assert_true((at & 7) == 0);
	memmove(fake_mem + at, fake_mem + MB2_INFO, total);
	assert_int_equal(multiboot2_parse(at, fake_map, &bi), 0);
	assert_int_equal(bi.mmap_count, ARRAY_SIZE(qemu_128m));
	assert_int_equal(bi.info_end, FAKE_SIZE);
}

static void test_mb2_unknown_tags_are_skipped(void **state)
{
	(void)state;
	uint8_t junk[13] = "junkjunkjunk";
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 21, junk, 4);           /* load base address */
	mb2_tag(&b, 99, junk, sizeof(junk)); /* unknown, unaligned size */
	mb2_str(&b, 1, "smp=1");
	mb2_tag(&b, 0x7fffffff, NULL, 0);
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_string_equal(bi.cmdline, "smp=1");
	assert_int_equal(test_log_count(), 0);
}

static void test_mb2_bytes_after_end_tag_are_ignored(void **state)
{
	(void)state;
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_str(&b, 1, "x");
	uint32_t total = mb2_end(&b);
	w32(MB2_INFO, total + 32); /* 32 bytes of 0xCC garbage after the end */
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_string_equal(bi.cmdline, "x");
}

static void test_mb2_wide_mmap_entries_are_stepped_by_entry_size(void **state)
{
	(void)state;
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_mmap(&b, 40, qemu_128m, ARRAY_SIZE(qemu_128m));
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.mmap_count, ARRAY_SIZE(qemu_128m));
	assert_int_equal(bi.mmap[3].base, 0x100000);
	assert_int_equal(bi.mmap[5].base, 0xfffc0000);
	assert_int_equal(bi.mmap[5].type, MEM_RESERVED);
}

static void test_mb2_later_mmap_tag_replaces_earlier(void **state)
{
	(void)state;
	static const struct mem_range one[] = { { 0x1000, 0x1000, MEM_USABLE } };
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_mmap(&b, 24, qemu_128m, ARRAY_SIZE(qemu_128m));
	mb2_mmap(&b, 24, one, 1);
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.mmap_count, 1);
	assert_int_equal(bi.mmap[0].base, 0x1000);
}

static void test_mb2_empty_mmap_tag_gives_no_entries(void **state)
{
	(void)state;
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_mmap(&b, 24, NULL, 0);
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.mmap_count, 0);
}

static void test_mb2_rgb_framebuffer(void **state)
{
	(void)state;
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_fb(&b, 0xFD000000, 5120, 1280, 1024, 32, 1);
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.fb.type, FB_RGB);
	assert_int_equal(bi.fb.addr, 0xFD000000);
	assert_int_equal(bi.fb.pitch, 5120);
	assert_int_equal(bi.fb.width, 1280);
	assert_int_equal(bi.fb.height, 1024);
	assert_int_equal(bi.fb.bpp, 32);
}

static void test_mb2_unknown_framebuffer_type_is_ignored_with_warning(void **state)
{
	(void)state;
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_fb(&b, 0xFD000000, 5120, 1280, 1024, 32, 9);
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.fb.type, FB_NONE);
	assert_int_equal(bi.fb.addr, 0);
	assert_true(test_log_contains("multiboot2: unknown framebuffer type 9, ignored"));
}

static void test_mb2_long_cmdline_is_truncated_with_warning(void **state)
{
	(void)state;
	char s[600];
	memset(s, 'c', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_str(&b, 1, s);
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(strlen(bi.cmdline), 511);
	assert_int_equal(bi.cmdline[0], 'c');
	assert_true(test_log_contains("multiboot2: command line is longer than 511 bytes, truncated"));
}

static void test_mb2_cmdline_of_511_bytes_fits_without_warning(void **state)
{
	(void)state;
	char s[512];
	memset(s, 'd', 511);
	s[511] = '\0';
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_str(&b, 1, s);
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_string_equal(bi.cmdline, s);
	assert_int_equal(test_log_count(), 0);
}

static void test_mb2_cmdline_ends_at_first_nul_in_tag(void **state)
{
	(void)state;
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 1, "ab\0cd\0", 6);
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_string_equal(bi.cmdline, "ab");
}

static void test_mb2_too_many_mmap_entries_keeps_the_first(void **state)
{
	(void)state;
	static struct mem_range m[130];
	for (uint32_t i = 0; i < 130; i++)
		m[i] = (struct mem_range){ (uint64_t)i * 0x2000, 0x1000, MEM_USABLE };
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_mmap(&b, 24, m, 130);
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.mmap_count, 128);
	assert_int_equal(bi.mmap[127].base, 127 * 0x2000);
	assert_true(test_log_contains("multiboot2: memory map has 130 entries, keeping the first 128"));
}

static void test_mb2_too_many_modules_keeps_the_first(void **state)
{
	(void)state;
	struct mb2b b = mb2_begin(MB2_INFO);
	for (uint32_t i = 0; i < 18; i++) {
		char name[16];
		snprintf(name, sizeof(name), "mod%u", i);
		mb2_module(&b, 0x200000 + i * 0x1000, 0x200000 + i * 0x1000 + 0x100, name);
	}
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.module_count, 16);
	assert_string_equal(bi.modules[15].name, "mod15");
	assert_int_equal(bi.modules[15].start, 0x20f000);
	assert_int_equal(bi.reserved_count, 17);
	assert_true(test_log_contains("multiboot2: 18 modules, keeping the first 16"));
	assert_int_equal(test_log_count(), 1);
}

static void test_mb2_long_module_name_is_truncated_with_warning(void **state)
{
	(void)state;
	char s[200];
	memset(s, 'n', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_module(&b, 0x100000, 0x100000, s);
	mb2_end(&b);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(strlen(bi.modules[0].name), 127);
	assert_int_equal(bi.reserved_count, 1); /* an empty module reserves nothing */
	assert_true(test_log_contains("multiboot2: module 0 string is longer than 127 bytes, truncated"));
}

/* ---- bootinfo_parse ----------------------------------------------------- */

static void test_bootinfo_parse_dispatches_on_magic(void **state)
{
	(void)state;
	mb1_full();
	mb2_full(true);
	assert_int_equal(bootinfo_parse(MULTIBOOT1_BOOT_MAGIC, MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.protocol, 1);
	assert_string_equal(bi.cmdline, "/boot/hv.elf console=com2 smp=2");
	assert_int_equal(bootinfo_parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(bi.protocol, 2);
	assert_string_equal(bi.cmdline, "console=com1 loglevel=4");
}

static void test_bootinfo_parse_rejects_unknown_magic(void **state)
{
	(void)state;
	mb2_full(true);
	assert_int_equal(bootinfo_parse(0x12345678, MB2_INFO, fake_map, &bi), -EINVAL);
	assert_true(test_log_contains("boot: unknown boot loader magic 0x12345678"));
	assert_int_equal(test_log_count(), 1);
}

/* ---- malformed input: one table, each case one exact error line -------- */

struct bad_case {
	const char *name;
	int protocol;
	uint64_t (*build)(void); /* returns info_phys */
	const char *msg;
};

static uint64_t bad_mb2_total_too_small(void)
{
	w32(MB2_INFO, 8);
	return MB2_INFO;
}

static uint64_t bad_mb2_total_too_large(void)
{
	w32(MB2_INFO, 0x100008);
	return MB2_INFO;
}

static uint64_t bad_mb2_unaligned(void)
{
	struct mb2b b = mb2_begin(MB2_INFO + 4);
	mb2_end(&b);
	return MB2_INFO + 4;
}

static uint64_t bad_mb2_unreadable_header(void)
{
	return FAKE_SIZE;
}

static uint64_t bad_mb2_block_past_memory(void)
{
	w32(FAKE_SIZE - 0x100, 0x200);
	return FAKE_SIZE - 0x100;
}

static uint64_t bad_mb2_tag_shorter_than_header(void)
{
	char s[56];
	memset(s, 'x', sizeof(s) - 1);
	s[55] = '\0';
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 1, s, sizeof(s)); /* 0x40 bytes: next tag at 0x48 */
	mb2_tag_raw(&b, 6, 4, NULL, 0);
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_tag_size_zero(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag_raw(&b, 1, 0, NULL, 0);
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_tag_past_total(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag_raw(&b, 1, 0x100, NULL, 0);
	w32(MB2_INFO, 0x20);
	return MB2_INFO;
}

static uint64_t bad_mb2_tag_size_huge(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_str(&b, 1, "ok");
	w32(MB2_INFO + b.off, 4);
	w32(MB2_INFO + b.off + 4, 0xFFFFFFF8);
	w32(MB2_INFO, 0x40);
	return MB2_INFO;
}

static uint64_t bad_mb2_no_end_tag(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag_raw(&b, 99, 0x198, NULL, 0); /* fills up to 0x1a0 exactly */
	w32(MB2_INFO, 0x1a0);
	return MB2_INFO;
}

static uint64_t bad_mb2_no_end_tag_short_tail(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag_raw(&b, 99, 8, NULL, 0);
	w32(MB2_INFO, 0x14); /* 4 bytes left: no room for a tag header */
	return MB2_INFO;
}

static uint64_t bad_mb2_end_tag_wrong_size(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag_raw(&b, 0, 16, NULL, 0);
	w32(MB2_INFO, b.off);
	return MB2_INFO;
}

static uint64_t bad_mb2_cmdline_unterminated(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 1, "abcd", 4);
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_cmdline_empty_tag(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 1, NULL, 0);
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_module_short(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 3, "\0\0\x10\0", 4);
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_module_end_before_start(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_module(&b, 0x2000, 0x1000, "m");
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_module_string_unterminated(void)
{
	uint8_t p[12] = { 0, 0x10, 0, 0, 0, 0x20, 0, 0, 'a', 'b', 'c', 'd' };
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 3, p, sizeof(p));
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_meminfo_short(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 4, "\x80\x02\0\0", 4);
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_mmap_short(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 6, "\x18\0\0\0", 4);
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_mmap_entry_size_20(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_mmap(&b, 20, qemu_128m, 2);
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_mmap_entry_size_0(void)
{
	uint8_t p[8 + 48] = { 0 };
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 6, p, sizeof(p));
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_mmap_not_divisible(void)
{
	uint8_t p[8 + 40] = { 24 };
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 6, p, sizeof(p));
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_mmap_entry_larger_than_area(void)
{
	uint8_t p[8 + 24] = { 0, 1 }; /* entry_size 256, one 24-byte entry */
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 6, p, sizeof(p));
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_fb_short(void)
{
	uint8_t p[16] = { 0 };
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 8, p, sizeof(p));
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_acpi_old_short(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 14, rsdp_v1, 16);
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_acpi_new_short(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_tag(&b, 15, rsdp_v2, 10);
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb2_bad_tag_after_good_ones(void)
{
	struct mb2b b = mb2_begin(MB2_INFO);
	mb2_str(&b, 1, "hi");             /* size 11, next at 0x18 */
	mb2_tag(&b, 4, "\0\0\0\0", 4);     /* size 12: meminfo needs 16 */
	mb2_end(&b);
	return MB2_INFO;
}

static uint64_t bad_mb1_info_unreadable(void)
{
	return FAKE_SIZE;
}

static uint64_t bad_mb1_info_partly_readable(void)
{
	w32(FAKE_SIZE - 16, F_FB);
	return FAKE_SIZE - 16;
}

static uint64_t bad_mb1_cmdline_unreadable(void)
{
	w32(MB1_INFO, F_CMDLINE);
	w32(MB1_INFO + 16, 0xFFFFFFF0);
	return MB1_INFO;
}

static uint64_t bad_mb1_cmdline_runs_off_memory(void)
{
	w32(MB1_INFO, F_CMDLINE);
	w32(MB1_INFO + 16, FAKE_SIZE - 4);
	memcpy(fake_mem + FAKE_SIZE - 4, "abcd", 4);
	return MB1_INFO;
}

static uint64_t bad_mb1_module_list_unreadable(void)
{
	w32(MB1_INFO, F_MODS);
	w32(MB1_INFO + 20, 2);
	w32(MB1_INFO + 24, 0xFFF00000);
	return MB1_INFO;
}

static uint64_t bad_mb1_module_end_before_start(void)
{
	wstr(0x3800, "m");
	w32(MB1_MODS, 0x1000);
	w32(MB1_MODS + 4, 0x2000);
	w32(MB1_MODS + 8, 0x3800);
	w32(MB1_MODS + 16, 0x2000);
	w32(MB1_MODS + 20, 0x1000);
	w32(MB1_MODS + 24, 0x3800);
	w32(MB1_INFO, F_MODS);
	w32(MB1_INFO + 20, 2);
	w32(MB1_INFO + 24, MB1_MODS);
	return MB1_INFO;
}

static uint64_t bad_mb1_module_string_unreadable(void)
{
	w32(MB1_MODS, 0x1000);
	w32(MB1_MODS + 4, 0x2000);
	w32(MB1_MODS + 8, 0xFFFFFFF0);
	w32(MB1_INFO, F_MODS);
	w32(MB1_INFO + 20, 1);
	w32(MB1_INFO + 24, MB1_MODS);
	return MB1_INFO;
}

static uint64_t bad_mb1_module_string_runs_off_memory(void)
{
	w32(MB1_MODS, 0x1000);
	w32(MB1_MODS + 4, 0x2000);
	w32(MB1_MODS + 8, FAKE_SIZE - 2);
	memcpy(fake_mem + FAKE_SIZE - 2, "ab", 2);
	w32(MB1_INFO, F_MODS);
	w32(MB1_INFO + 20, 1);
	w32(MB1_INFO + 24, MB1_MODS);
	return MB1_INFO;
}

static uint64_t bad_mb1_mmap_too_large(void)
{
	w32(MB1_INFO, F_MMAP);
	w32(MB1_INFO + 44, 0x100004);
	w32(MB1_INFO + 48, MB1_MMAP);
	return MB1_INFO;
}

static uint64_t bad_mb1_mmap_unreadable(void)
{
	w32(MB1_INFO, F_MMAP);
	w32(MB1_INFO + 44, 0x18);
	w32(MB1_INFO + 48, 0xFFF00000);
	return MB1_INFO;
}

static uint64_t bad_mb1_mmap_entry_size_16(void)
{
	uint64_t p = mb1_mmap_entry(MB1_MMAP, 20, 0, 0x9fc00, MEM_USABLE);
	p = mb1_mmap_entry(p, 16, 0x100000, 0x100000, MEM_USABLE);
	w32(MB1_INFO, F_MMAP);
	w32(MB1_INFO + 44, 0x30);
	w32(MB1_INFO + 48, MB1_MMAP);
	return MB1_INFO;
}

static uint64_t bad_mb1_mmap_entry_size_0(void)
{
	w32(MB1_MMAP, 0);
	w32(MB1_INFO, F_MMAP);
	w32(MB1_INFO + 44, 0x30);
	w32(MB1_INFO + 48, MB1_MMAP);
	return MB1_INFO;
}

static uint64_t bad_mb1_mmap_entry_past_length(void)
{
	uint64_t p = mb1_mmap_entry(MB1_MMAP, 20, 0, 0x9fc00, MEM_USABLE);
	mb1_mmap_entry(p, 20, 0x100000, 0x100000, MEM_USABLE);
	w32(MB1_INFO, F_MMAP);
	w32(MB1_INFO + 44, 0x28);
	w32(MB1_INFO + 48, MB1_MMAP);
	return MB1_INFO;
}

static uint64_t bad_mb1_mmap_trailing_bytes(void)
{
	mb1_mmap_entry(MB1_MMAP, 20, 0, 0x9fc00, MEM_USABLE);
	w32(MB1_INFO, F_MMAP);
	w32(MB1_INFO + 44, 0x1a);
	w32(MB1_INFO + 48, MB1_MMAP);
	return MB1_INFO;
}

static const struct bad_case bad_cases[] = {
	{ "mb2 total_size < 16", 2, bad_mb2_total_too_small,
	  "multiboot2: total_size 0x8 is below the minimum 0x10" },
	{ "mb2 total_size > 1 MiB", 2, bad_mb2_total_too_large,
	  "multiboot2: total_size 0x100008 is larger than 1 MiB" },
	{ "mb2 unaligned", 2, bad_mb2_unaligned, "multiboot2: info at 0x10004 is not 8-byte aligned" },
	{ "mb2 header unreadable", 2, bad_mb2_unreadable_header,
	  "multiboot2: info at 0x200000 is not readable" },
	{ "mb2 block past memory", 2, bad_mb2_block_past_memory,
	  "multiboot2: info at 0x1fff00 (total_size 0x200) is not readable" },
	{ "mb2 tag shorter than header", 2, bad_mb2_tag_shorter_than_header,
	  "multiboot2: tag at offset 0x48 (type 6, size 4) is shorter than its header" },
	{ "mb2 tag size 0", 2, bad_mb2_tag_size_zero,
	  "multiboot2: tag at offset 0x8 (type 1, size 0) is shorter than its header" },
	{ "mb2 tag past total_size", 2, bad_mb2_tag_past_total,
	  "multiboot2: tag at offset 0x8 (type 1, size 256) runs past total_size 0x20" },
	{ "mb2 tag size near 4 GiB", 2, bad_mb2_tag_size_huge,
	  "multiboot2: tag at offset 0x18 (type 4, size 4294967288) runs past total_size 0x40" },
	{ "mb2 no end tag", 2, bad_mb2_no_end_tag, "multiboot2: no end tag within total_size 0x1a0" },
	{ "mb2 no end tag, short tail", 2, bad_mb2_no_end_tag_short_tail,
	  "multiboot2: no end tag within total_size 0x14" },
	{ "mb2 end tag size 16", 2, bad_mb2_end_tag_wrong_size,
	  "multiboot2: end tag at offset 0x8 has size 16, expected 8" },
	{ "mb2 cmdline unterminated", 2, bad_mb2_cmdline_unterminated,
	  "multiboot2: cmdline tag at offset 0x8: string is not NUL-terminated" },
	{ "mb2 cmdline empty", 2, bad_mb2_cmdline_empty_tag,
	  "multiboot2: cmdline tag at offset 0x8: string is not NUL-terminated" },
	{ "mb2 module short", 2, bad_mb2_module_short,
	  "multiboot2: module tag at offset 0x8 (size 12) is too short" },
	{ "mb2 module end < start", 2, bad_mb2_module_end_before_start,
	  "multiboot2: module tag at offset 0x8: mod_end 0x1000 is below mod_start 0x2000" },
	{ "mb2 module string unterminated", 2, bad_mb2_module_string_unterminated,
	  "multiboot2: module tag at offset 0x8: string is not NUL-terminated" },
	{ "mb2 meminfo short", 2, bad_mb2_meminfo_short,
	  "multiboot2: meminfo tag at offset 0x8 (size 12) is too short" },
	{ "mb2 mmap short", 2, bad_mb2_mmap_short,
	  "multiboot2: mmap tag at offset 0x8 (size 12) is too short" },
	{ "mb2 mmap entry_size 20", 2, bad_mb2_mmap_entry_size_20,
	  "multiboot2: mmap tag at offset 0x8: entry_size 20 is below 24" },
	{ "mb2 mmap entry_size 0", 2, bad_mb2_mmap_entry_size_0,
	  "multiboot2: mmap tag at offset 0x8: entry_size 0 is below 24" },
	{ "mb2 mmap area not a multiple", 2, bad_mb2_mmap_not_divisible,
	  "multiboot2: mmap tag at offset 0x8: entry_size 24 does not divide the 40-byte entry area" },
	{ "mb2 mmap entry larger than area", 2, bad_mb2_mmap_entry_larger_than_area,
	  "multiboot2: mmap tag at offset 0x8: entry_size 256 does not divide the 24-byte entry area" },
	{ "mb2 framebuffer short", 2, bad_mb2_fb_short,
	  "multiboot2: framebuffer tag at offset 0x8 (size 24) is too short" },
	{ "mb2 ACPI old short", 2, bad_mb2_acpi_old_short,
	  "multiboot2: ACPI old RSDP tag at offset 0x8 (size 24) is too short" },
	{ "mb2 ACPI new short", 2, bad_mb2_acpi_new_short,
	  "multiboot2: ACPI new RSDP tag at offset 0x8 (size 18) is too short" },
	{ "mb2 bad tag after good", 2, bad_mb2_bad_tag_after_good_ones,
	  "multiboot2: meminfo tag at offset 0x18 (size 12) is too short" },
	{ "mb1 info unreadable", 1, bad_mb1_info_unreadable,
	  "multiboot1: info block at 0x200000 (0x4 bytes) is not readable" },
	{ "mb1 info partly readable", 1, bad_mb1_info_partly_readable,
	  "multiboot1: info block at 0x1ffff0 (0x6e bytes) is not readable" },
	{ "mb1 cmdline unreadable", 1, bad_mb1_cmdline_unreadable,
	  "multiboot1: cmdline at 0xfffffff0 is not readable" },
	{ "mb1 cmdline runs off memory", 1, bad_mb1_cmdline_runs_off_memory,
	  "multiboot1: cmdline at 0x1ffffc runs into unreadable memory at 0x200000" },
	{ "mb1 module list unreadable", 1, bad_mb1_module_list_unreadable,
	  "multiboot1: module list at 0xfff00000 (2 entries) is not readable" },
	{ "mb1 module end < start", 1, bad_mb1_module_end_before_start,
	  "multiboot1: module 1: mod_end 0x1000 is below mod_start 0x2000" },
	{ "mb1 module string unreadable", 1, bad_mb1_module_string_unreadable,
	  "multiboot1: module 0 string at 0xfffffff0 is not readable" },
	{ "mb1 module string runs off memory", 1, bad_mb1_module_string_runs_off_memory,
	  "multiboot1: module 0 string at 0x1ffffe runs into unreadable memory at 0x200000" },
	{ "mb1 mmap_length > 1 MiB", 1, bad_mb1_mmap_too_large,
	  "multiboot1: mmap_length 0x100004 is larger than 1 MiB" },
	{ "mb1 mmap unreadable", 1, bad_mb1_mmap_unreadable,
	  "multiboot1: mmap at 0xfff00000 (mmap_length 0x18) is not readable" },
	{ "mb1 mmap entry size 16", 1, bad_mb1_mmap_entry_size_16,
	  "multiboot1: mmap entry at offset 0x18 has size 16 (minimum 20)" },
	{ "mb1 mmap entry size 0", 1, bad_mb1_mmap_entry_size_0,
	  "multiboot1: mmap entry at offset 0x0 has size 0 (minimum 20)" },
	{ "mb1 mmap entry past mmap_length", 1, bad_mb1_mmap_entry_past_length,
	  "multiboot1: mmap entry at offset 0x18 (size 20) runs past mmap_length 0x28" },
	{ "mb1 mmap trailing bytes", 1, bad_mb1_mmap_trailing_bytes,
	  "multiboot1: mmap entry at offset 0x18 runs past mmap_length 0x1a" },
};

static void test_malformed_info_is_rejected_with_one_exact_error(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		setup(state);
		uint64_t at = c->build();
		int rc = c->protocol == 1 ? multiboot1_parse(at, fake_map, &bi)
					  : multiboot2_parse(at, fake_map, &bi);
		if (rc != -EINVAL || !test_log_contains(c->msg) || test_log_count() != 1)
			fail_msg("case '%s': rc %d, expected -EINVAL and exactly\n  %s\ngot log:\n%s",
				 c->name, rc, c->msg, test_log_text());
	}
}

static void test_malformed_info_is_also_rejected_through_bootinfo_parse(void **state)
{
	setup(state);
	bad_mb2_tag_shorter_than_header();
	assert_int_equal(bootinfo_parse(MULTIBOOT2_BOOT_MAGIC, MB2_INFO, fake_map, &bi), -EINVAL);
	assert_true(test_log_contains(
		"multiboot2: tag at offset 0x48 (type 6, size 4) is shorter than its header"));
}

/* ---- bootinfo_usable_bytes ---------------------------------------------- */

static uint64_t usable_of(const struct mem_range *m, uint32_t n, uint32_t *ranges)
{
	memset(&bi, 0, sizeof(bi));
	if (n)
		memcpy(bi.mmap, m, n * sizeof(*m));
	bi.mmap_count = n;
	return bootinfo_usable_bytes(&bi, ranges);
}

static void test_usable_qemu_128m_map(void **state)
{
	(void)state;
	uint32_t ranges = 99;
	assert_int_equal(usable_of(qemu_128m, ARRAY_SIZE(qemu_128m), &ranges), QEMU_128M_USABLE);
	assert_int_equal(QEMU_128M_USABLE, 133692416ull);
	assert_int_equal(ranges, 2);
}

static void test_usable_qemu_128m_map_parsed_from_mb2(void **state)
{
	(void)state;
	uint32_t ranges = 0;
	mb2_full(true);
	assert_int_equal(multiboot2_parse(MB2_INFO, fake_map, &bi), 0);
	assert_int_equal(bootinfo_usable_bytes(&bi, &ranges), QEMU_128M_USABLE);
	assert_int_equal(ranges, 2);
}

static void test_usable_overlapping_ranges_count_once(void **state)
{
	(void)state;
	static const struct mem_range m[] = {
		{ 0x100000, 0x200000, MEM_USABLE },
		{ 0x200000, 0x200000, MEM_USABLE }, /* overlaps the first by 1 MiB */
		{ 0x180000, 0x10000, MEM_USABLE },  /* fully inside */
	};
	uint32_t ranges = 0;
	assert_int_equal(usable_of(m, ARRAY_SIZE(m), &ranges), 0x300000);
	assert_int_equal(ranges, 1);
}

static void test_usable_adjacent_ranges_merge_into_one(void **state)
{
	(void)state;
	static const struct mem_range m[] = {
		{ 0x200000, 0x100000, MEM_USABLE },
		{ 0x100000, 0x100000, MEM_USABLE }, /* unsorted, touching */
		{ 0x300000, 0x1000, MEM_USABLE },
	};
	uint32_t ranges = 0;
	assert_int_equal(usable_of(m, ARRAY_SIZE(m), &ranges), 0x201000);
	assert_int_equal(ranges, 1);
}

static void test_usable_reserved_overlap_wins_and_splits(void **state)
{
	(void)state;
	static const struct mem_range m[] = {
		{ 0x100000, 0x400000, MEM_USABLE },
		{ 0x200000, 0x1000, MEM_RESERVED }, /* inside: splits it */
		{ 0x480000, 0x100000, MEM_ACPI_NVS }, /* overlaps the tail */
	};
	uint32_t ranges = 0;
	assert_int_equal(usable_of(m, ARRAY_SIZE(m), &ranges), 0x400000 - 0x1000 - 0x80000);
	assert_int_equal(ranges, 2);
}

static void test_usable_reserved_listed_first_still_wins(void **state)
{
	(void)state;
	static const struct mem_range m[] = {
		{ 0x0, 0x100000, MEM_RESERVED },
		{ 0x0, 0x200000, MEM_USABLE },
	};
	uint32_t ranges = 0;
	assert_int_equal(usable_of(m, ARRAY_SIZE(m), &ranges), 0x100000);
	assert_int_equal(ranges, 1);
}

static void test_usable_fully_reserved_gives_nothing(void **state)
{
	(void)state;
	static const struct mem_range m[] = {
		{ 0x100000, 0x100000, MEM_USABLE },
		{ 0x0, 0x1000000, MEM_RESERVED },
	};
	uint32_t ranges = 7;
	assert_int_equal(usable_of(m, ARRAY_SIZE(m), &ranges), 0);
	assert_int_equal(ranges, 0);
}

static void test_usable_unknown_and_acpi_types_are_not_usable(void **state)
{
	(void)state;
	static const struct mem_range m[] = {
		{ 0x100000, 0x100000, MEM_USABLE },
		{ 0x200000, 0x100000, 12 }, /* unknown type: treated as reserved */
		{ 0x300000, 0x100000, MEM_ACPI_RECLAIM },
		{ 0x400000, 0x100000, MEM_BAD },
		{ 0x500000, 0x100000, MEM_USABLE },
	};
	uint32_t ranges = 0;
	assert_int_equal(usable_of(m, ARRAY_SIZE(m), &ranges), 0x200000);
	assert_int_equal(ranges, 2);
}

static void test_usable_zero_length_entries_are_ignored(void **state)
{
	(void)state;
	static const struct mem_range m[] = {
		{ 0x100000, 0x100000, MEM_USABLE },
		{ 0x180000, 0, MEM_RESERVED },
		{ 0x900000, 0, MEM_USABLE },
	};
	uint32_t ranges = 0;
	assert_int_equal(usable_of(m, ARRAY_SIZE(m), &ranges), 0x100000);
	assert_int_equal(ranges, 1);
}

static void test_usable_range_wrapping_past_2_64_is_clamped(void **state)
{
	(void)state;
	static const struct mem_range m[] = {
		{ 0xFFFFFFFFFFFFF000ull, 0x2000, MEM_USABLE },
		{ 0x1000, 0x1000, MEM_USABLE },
	};
	uint32_t ranges = 0;
	assert_int_equal(usable_of(m, ARRAY_SIZE(m), &ranges), 0x1000 + 0xFFF);
	assert_int_equal(ranges, 2);
}

static void test_usable_empty_map_without_meminfo_is_zero(void **state)
{
	(void)state;
	uint32_t ranges = 5;
	assert_int_equal(usable_of(NULL, 0, &ranges), 0);
	assert_int_equal(ranges, 0);
	assert_int_equal(usable_of(NULL, 0, NULL), 0);
}

static void test_usable_meminfo_stands_in_for_missing_mmap(void **state)
{
	(void)state;
	uint32_t ranges = 0;
	w32(MB1_INFO, F_MEM);
	w32(MB1_INFO + 4, 639);
	w32(MB1_INFO + 8, 130048);
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(bootinfo_usable_bytes(&bi, &ranges), (639ull + 130048ull) * 1024);
	assert_int_equal(ranges, 2);
}

static void test_usable_meminfo_with_no_low_memory_is_one_range(void **state)
{
	(void)state;
	uint32_t ranges = 0;
	memset(&bi, 0, sizeof(bi));
	bi.mem_upper_kib = 1024;
	assert_int_equal(bootinfo_usable_bytes(&bi, &ranges), 1024 * 1024);
	assert_int_equal(ranges, 1);
}

static void test_usable_mmap_takes_precedence_over_meminfo(void **state)
{
	(void)state;
	uint32_t ranges = 0;
	mb1_full(); /* both mem_lower/upper and the mmap */
	assert_int_equal(multiboot1_parse(MB1_INFO, fake_map, &bi), 0);
	assert_int_equal(bootinfo_usable_bytes(&bi, &ranges), QEMU_128M_USABLE);
	assert_int_equal(ranges, 2);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mb1_all_fields_are_parsed),
		T(test_mb1_reserves_every_loader_range),
		T(test_mb1_fields_without_their_flag_are_ignored),
		T(test_mb1_short_block_at_end_of_memory_is_read_exactly),
		T(test_mb1_mmap_entries_are_stepped_by_their_size),
		T(test_mb1_indexed_and_rgb_framebuffers_map_to_their_types),
		T(test_mb1_unknown_framebuffer_type_is_ignored_with_warning),
		T(test_mb1_long_cmdline_is_truncated_with_warning),
		T(test_mb1_cmdline_of_exactly_511_bytes_ending_memory_fits),
		T(test_mb1_too_many_mmap_entries_keeps_the_first),
		T(test_mb1_too_many_modules_keeps_the_first),
		T(test_mb1_long_module_name_is_truncated_with_warning),
		T(test_mb1_zero_modules_and_empty_mmap_are_fine),
		T(test_mb2_all_tags_new_rsdp_first),
		T(test_mb2_all_tags_new_rsdp_wins_when_it_comes_last),
		T(test_mb2_old_rsdp_alone_copies_20_bytes),
		T(test_mb2_new_rsdp_longer_than_36_copies_36),
		T(test_mb2_info_range_and_reserved_cover_block_and_modules),
		T(test_mb2_block_ending_memory_is_read_exactly),
		T(test_mb2_unknown_tags_are_skipped),
		T(test_mb2_bytes_after_end_tag_are_ignored),
		T(test_mb2_wide_mmap_entries_are_stepped_by_entry_size),
		T(test_mb2_later_mmap_tag_replaces_earlier),
		T(test_mb2_empty_mmap_tag_gives_no_entries),
		T(test_mb2_rgb_framebuffer),
		T(test_mb2_unknown_framebuffer_type_is_ignored_with_warning),
		T(test_mb2_long_cmdline_is_truncated_with_warning),
		T(test_mb2_cmdline_of_511_bytes_fits_without_warning),
		T(test_mb2_cmdline_ends_at_first_nul_in_tag),
		T(test_mb2_too_many_mmap_entries_keeps_the_first),
		T(test_mb2_too_many_modules_keeps_the_first),
		T(test_mb2_long_module_name_is_truncated_with_warning),
		T(test_bootinfo_parse_dispatches_on_magic),
		T(test_bootinfo_parse_rejects_unknown_magic),
		T(test_malformed_info_is_rejected_with_one_exact_error),
		T(test_malformed_info_is_also_rejected_through_bootinfo_parse),
		T(test_usable_qemu_128m_map),
		T(test_usable_qemu_128m_map_parsed_from_mb2),
		T(test_usable_overlapping_ranges_count_once),
		T(test_usable_adjacent_ranges_merge_into_one),
		T(test_usable_reserved_overlap_wins_and_splits),
		T(test_usable_reserved_listed_first_still_wins),
		T(test_usable_fully_reserved_gives_nothing),
		T(test_usable_unknown_and_acpi_types_are_not_usable),
		T(test_usable_zero_length_entries_are_ignored),
		T(test_usable_range_wrapping_past_2_64_is_clamped),
		T(test_usable_empty_map_without_meminfo_is_zero),
		T(test_usable_meminfo_stands_in_for_missing_mmap),
		T(test_usable_meminfo_with_no_low_memory_is_one_range),
		T(test_usable_mmap_takes_precedence_over_meminfo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
