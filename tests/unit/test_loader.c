/* Guest loaders: what lands in guest memory and the entry state, for
 * multiboot v1 ELF32 and a.out-kludge images (with and without modules)
 * and raw images; broken images and modules that cannot be placed are
 * refused with a message, before anything is written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/loader.h"

#define RAM (16u << 20)
static uint8_t ram[RAM];

static int w(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	if (gpa + len > RAM)
		return -EFAULT;
	memcpy(ram + gpa, src, len);
	return 0;
}

static int z(void *ctx, uint64_t gpa, size_t len)
{
	if (gpa + len > RAM)
		return -EFAULT;
	memset(ram + gpa, 0, len);
	return 0;
}

static const struct guest_mem mem = {w, z, RAM, NULL};

/* A large VM whose memory keeps nothing: it counts the calls and refuses
 * any outside its RAM, for placements near 4 GiB. */
static unsigned sink_calls;

static int sink_w(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	sink_calls++;
	return gpa + len > *(const uint64_t *)ctx ? -EFAULT : 0;
}

static int sink_z(void *ctx, uint64_t gpa, size_t len)
{
	return sink_w(ctx, gpa, NULL, len);
}

static uint64_t sink_ram = 8ULL << 30;
static const struct guest_mem big = {sink_w, sink_z, 8ULL << 30, &sink_ram};

/* Every byte of RAM still holds the fill: nothing was written. */
static void assert_ram_untouched(void)
{
	for (size_t i = 0; i < RAM; i++)
		if (ram[i] != 0xCC)
			fail_msg("guest byte 0x%zx was written", i);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* An ELF32 with one PT_LOAD at 1 MiB: 16 bytes of file, 64 of memory. */
static size_t make_elf(uint8_t *img, uint32_t paddr, uint32_t memsz)
{
	memset(img, 0, 4096);
	put32(img, 0x464C457F);
	img[4] = 1; /* ELFCLASS32 */
	put16(img + 18, 3); /* EM_386 */
	put32(img + 24, paddr + 0x10); /* entry */
	put32(img + 28, 52); /* phoff */
	put16(img + 42, 32);
	put16(img + 44, 1);
	uint8_t *ph = img + 52;
	put32(ph, 1); /* PT_LOAD */
	put32(ph + 4, 0x100); /* offset */
	put32(ph + 12, paddr);
	put32(ph + 16, 16);
	put32(ph + 20, memsz);
	put32(img + 0x100 + 0, 0x1BADB002); /* header inside the loaded bytes */
	put32(img + 0x104, 3);
	put32(img + 0x108, (uint32_t)-(0x1BADB002 + 3));
	put32(img + 0x10C, 0xDEADBEEF);
	return 4096;
}

static void test_elf32_segments_load_with_bss_zeroed(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160] = "";
	memset(ram, 0xCC, RAM);
	size_t n = make_elf(img, 0x100000, 64);
	assert_int_equal(load_multiboot(&mem, img, n, "guest.elf", "a=1", &st, err, sizeof(err)), 0);
	assert_int_equal(get32(ram + 0x10000C), 0xDEADBEEF);
	for (int i = 16; i < 64; i++)
		assert_int_equal(ram[0x100000 + i], 0);
	assert_int_equal(ram[0x100000 + 64], 0xCC); /* past memsz: untouched */
	assert_int_equal(st.regs.rip, 0x100010);
	assert_int_equal(st.regs.gpr[GPR_RAX], 0x2BADB002);
	assert_int_equal(st.regs.gpr[GPR_RBX], MB_INFO_GPA);
	assert_int_equal(st.sregs.cr0 & 0x80000001, 1); /* PE on, PG off */
	assert_true(st.sregs.cs.attrib & SEG_DB);
	assert_int_equal(st.sregs.cs.limit, 0xFFFFFFFF);
	assert_int_equal(st.regs.rflags & 0x200, 0); /* interrupts off */
}

static void test_info_block_has_memory_and_named_command_line(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	size_t n = make_elf(img, 0x100000, 16);
	assert_int_equal(load_multiboot(&mem, img, n, "guest.elf", "exit=5", &st, err, sizeof(err)), 0);
	const uint8_t *info = ram + MB_INFO_GPA;
	assert_int_equal(get32(info) & 0x45, 0x45); /* MEM, CMDLINE, MMAP */
	assert_int_equal(get32(info + 4), 640);
	assert_int_equal(get32(info + 8), (RAM - 0x100000) / 1024);
	assert_string_equal((const char *)ram + get32(info + 16), "guest.elf exit=5");
	uint32_t mmap = get32(info + 48), mlen = get32(info + 44);
	assert_true(mmap >= MB_INFO_GPA && mmap + mlen <= MB_AREA_END);
	assert_int_equal(mlen, 2 * 24);
	uint64_t base1;
	memcpy(&base1, ram + mmap + 24 + 4, 8);
	assert_int_equal(base1, 0x100000);
}

static void test_aout_kludge_loads_by_address_fields(void **s)
{
	static uint8_t img[8192];
	struct boot_state st;
	char err[160];
	memset(img, 0, sizeof(img));
	memset(ram, 0xCC, RAM);
	/* file offset 0 -> 0x200000; header at 0x40; 0x80 bytes; bss to 0x200100 */
	uint8_t *h = img + 0x40;
	put32(h, 0x1BADB002);
	put32(h + 4, 1u << 16);
	put32(h + 8, (uint32_t)-(0x1BADB002 + (1u << 16)));
	put32(h + 12, 0x200040);
	put32(h + 16, 0x200000);
	put32(h + 20, 0x200080);
	put32(h + 24, 0x200100);
	put32(h + 28, 0x200044);
	img[0x7F] = 0x77;
	assert_int_equal(load_multiboot(&mem, img, sizeof(img), "k", "", &st, err, sizeof(err)), 0);
	assert_int_equal(ram[0x20007F], 0x77);
	assert_int_equal(ram[0x200080], 0);
	assert_int_equal(ram[0x2000FF], 0);
	assert_int_equal(ram[0x200100], 0xCC);
	assert_int_equal(st.regs.rip, 0x200044);
}

static void test_image_without_header_is_refused(void **s)
{
	static uint8_t img[16384];
	struct boot_state st;
	char err[160];
	memset(img, 0, sizeof(img));
	put32(img + 8192, 0x1BADB002); /* too late: beyond the first 8 KiB */
	assert_int_equal(load_multiboot(&mem, img, sizeof(img), "x", "", &st, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "not a multiboot image: no valid header in the first 8 KiB");
}

static void test_segment_beyond_ram_is_refused(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	size_t n = make_elf(img, RAM - 8, 64);
	assert_int_equal(load_multiboot(&mem, img, n, "x", "", &st, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not fit in the VM's RAM"));
}

static void test_segment_over_info_area_is_refused(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	size_t n = make_elf(img, 0x9800, 16);
	assert_int_equal(load_multiboot(&mem, img, n, "x", "", &st, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "overlaps the multiboot info area"));
}

static void test_truncated_program_headers_are_refused(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	make_elf(img, 0x100000, 16);
	put16(img + 44, 200); /* 200 headers cannot fit */
	assert_int_equal(load_multiboot(&mem, img, 4096, "x", "", &st, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "program headers run past"));
}

/* --- multiboot modules ---------------------------------------------------- */

struct mod_entry {
	uint32_t start, end, string, reserved;
};

static struct mod_entry mod_entry(uint32_t i)
{
	struct mod_entry e;
	memcpy(&e, ram + get32(ram + MB_INFO_GPA + 24) + 16 * i, sizeof(e));
	return e;
}

static uint8_t mod_a[5000], mod_b[100];

static void fill_modules(void)
{
	for (size_t i = 0; i < sizeof(mod_a); i++)
		mod_a[i] = (uint8_t)(i * 7 + 1);
	memset(mod_b, 0xB2, sizeof(mod_b));
}

static void test_elf_with_two_modules_lists_them_in_the_info_block(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160] = "";
	const struct mb_module mods[] = {
		{mod_a, sizeof(mod_a), "a.bin arg1 arg2"},
		{mod_b, sizeof(mod_b), "b.bin"},
	};
	memset(ram, 0xCC, RAM);
	fill_modules();
	size_t n = make_elf(img, 0x100000, 0x1800); /* image 0x100000-0x1017ff */
	assert_int_equal(load_multiboot_modules(&mem, img, n, "guest.elf", "x=1", mods, 2, &st, err,
						sizeof(err)), 0);
	assert_string_equal(err, "");
	const uint8_t *info = ram + MB_INFO_GPA;
	assert_int_equal(get32(info), 0x4D); /* MEM, CMDLINE, MODS, MMAP */
	assert_int_equal(get32(info + 20), 2);       /* mods_count */
	assert_int_equal(get32(info + 24), MB_MODS_GPA);
	assert_true(MB_MODS_GPA >= MB_INFO_GPA && MB_MODS_GPA + 2 * 16 <= MB_AREA_END);

	struct mod_entry a = mod_entry(0), b = mod_entry(1);
	assert_int_equal(a.start, 0x102000); /* the first page past the image */
	assert_int_equal(a.end, 0x102000 + sizeof(mod_a));
	assert_int_equal(b.start, 0x104000); /* a's last page is its own */
	assert_int_equal(b.end, 0x104000 + sizeof(mod_b));
	assert_int_equal(a.reserved, 0);
	assert_int_equal(b.reserved, 0);
	assert_memory_equal(ram + a.start, mod_a, sizeof(mod_a));
	assert_memory_equal(ram + b.start, mod_b, sizeof(mod_b));
	for (uint32_t i = a.end; i < b.start; i++)
		assert_int_equal(ram[i], 0); /* the rest of a page is zeroed */
	for (uint32_t i = b.end; i < 0x105000; i++)
		assert_int_equal(ram[i], 0);
	assert_int_equal(ram[0x105000], 0xCC);

	/* The strings sit after the command line, inside the info area. */
	uint32_t cmdline = get32(info + 16);
	assert_string_equal((const char *)ram + cmdline, "guest.elf x=1");
	assert_string_equal((const char *)ram + a.string, "a.bin arg1 arg2");
	assert_string_equal((const char *)ram + b.string, "b.bin");
	assert_true(a.string >= cmdline + strlen("guest.elf x=1") + 1);
	assert_true(b.string >= a.string + strlen("a.bin arg1 arg2") + 1);
	assert_true(b.string + strlen("b.bin") + 1 <= MB_AREA_END);
	assert_int_equal(st.regs.gpr[GPR_RAX], 0x2BADB002);
	assert_int_equal(st.regs.gpr[GPR_RBX], MB_INFO_GPA);
	assert_int_equal(st.regs.rip, 0x100010);
}

/* The memory map, memory sizes and command line are what the same image
 * gets without modules: modules sit in RAM the map calls usable. */
static void test_modules_leave_memory_map_and_command_line_unchanged(void **s)
{
	uint8_t img[4096], without[MB_AREA_END - MB_INFO_GPA];
	struct boot_state st;
	char err[160];
	const struct mb_module mods[] = {{mod_a, sizeof(mod_a), "a.bin"}};
	size_t n = make_elf(img, 0x100000, 64);
	fill_modules();

	memset(ram, 0xCC, RAM);
	assert_int_equal(load_multiboot(&mem, img, n, "k", "quiet", &st, err, sizeof(err)), 0);
	memcpy(without, ram + MB_INFO_GPA, sizeof(without));
	memset(ram, 0xCC, RAM);
	assert_int_equal(load_multiboot_modules(&mem, img, n, "k", "quiet", mods, 1, &st, err,
						sizeof(err)), 0);
	const uint8_t *with = ram + MB_INFO_GPA;
	assert_memory_equal(with + 4, without + 4, 16);        /* mem_lower .. cmdline */
	assert_memory_equal(with + 28, without + 28, 88 - 28); /* syms .. boot_loader_name */
	assert_int_equal(get32(with), get32(without) | 8);
	uint32_t mmap = get32(with + 48), mlen = get32(with + 44);
	assert_memory_equal(ram + mmap, without + (mmap - MB_INFO_GPA), mlen);
	assert_string_equal((const char *)ram + get32(with + 16), "k quiet");
	/* the module lies inside the map's usable range above 1 MiB */
	uint64_t base, len;
	memcpy(&base, ram + mmap + 24 + 4, 8);
	memcpy(&len, ram + mmap + 24 + 12, 8);
	assert_true(mod_entry(0).start >= base && mod_entry(0).end <= base + len);
}

static void test_no_modules_leaves_flag_clear_and_module_array_untouched(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	size_t n = make_elf(img, 0x100000, 64);
	memset(ram, 0xCC, RAM);
	assert_int_equal(load_multiboot_modules(&mem, img, n, "k", "", NULL, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(get32(ram + MB_INFO_GPA) & 8, 0);
	assert_int_equal(get32(ram + MB_INFO_GPA + 20), 0);
	assert_int_equal(get32(ram + MB_INFO_GPA + 24), 0);
	for (int i = 0; i < 16 * MB_MODULES_MAX; i++)
		assert_int_equal(ram[MB_MODS_GPA + i], 0xCC);
	assert_int_equal(ram[0x101000], 0xCC); /* nothing past the image */
}

static void test_modules_start_at_1mib_above_a_low_image(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	const struct mb_module mods[] = {{mod_b, sizeof(mod_b), "b"}};
	size_t n = make_elf(img, 0x20000, 0x100); /* an image below 1 MiB */
	memset(ram, 0xCC, RAM);
	assert_int_equal(load_multiboot_modules(&mem, img, n, "k", "", mods, 1, &st, err, sizeof(err)), 0);
	assert_int_equal(mod_entry(0).start, 0x100000); /* never in the BIOS area */
}

/* The highest segment decides, bss included, whatever the header order. */
static void test_modules_follow_the_highest_segment_and_its_bss(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	const struct mb_module mods[] = {{mod_b, sizeof(mod_b), "b"}, {mod_b, 1, "c"}};
	size_t n = make_elf(img, 0x300000, 0x2345); /* header 0: 0x300000-0x302344 */
	put16(img + 44, 2);
	uint8_t *ph = img + 52 + 32; /* header 1: 16 bytes at 0x100000 */
	put32(ph, 1);
	put32(ph + 4, 0x100);
	put32(ph + 12, 0x100000);
	put32(ph + 16, 16);
	put32(ph + 20, 16);
	memset(ram, 0xCC, RAM);
	assert_int_equal(load_multiboot_modules(&mem, img, n, "k", "", mods, 2, &st, err, sizeof(err)), 0);
	assert_int_equal(ram[0x302344], 0); /* bss */
	assert_int_equal(mod_entry(0).start, 0x303000);
	assert_int_equal(mod_entry(1).start, 0x304000);
	assert_int_equal(mod_entry(1).end, 0x304001);
}

static void test_modules_follow_an_aout_image_bss(void **s)
{
	static uint8_t img[8192];
	struct boot_state st;
	char err[160];
	const struct mb_module mods[] = {{mod_b, sizeof(mod_b), "b"}};
	memset(img, 0, sizeof(img));
	uint8_t *h = img + 0x40; /* file -> 0x200000, bss to 0x205001 */
	put32(h, 0x1BADB002);
	put32(h + 4, (1u << 16) | 1); /* a.out kludge, modules page-aligned */
	put32(h + 8, (uint32_t)-(0x1BADB002 + ((1u << 16) | 1)));
	put32(h + 12, 0x200040);
	put32(h + 16, 0x200000);
	put32(h + 20, 0x200080);
	put32(h + 24, 0x205001);
	put32(h + 28, 0x200044);
	memset(ram, 0xCC, RAM);
	assert_int_equal(load_multiboot_modules(&mem, img, sizeof(img), "k", "", mods, 1, &st, err,
						sizeof(err)), 0);
	assert_int_equal(mod_entry(0).start, 0x206000);
	assert_int_equal(ram[0x205000], 0);
}

/* An empty module still gets its own page: no two modules share a start. */
static void test_empty_module_has_start_equal_end_and_its_own_page(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	const struct mb_module mods[] = {{NULL, 0, "empty"}, {mod_b, sizeof(mod_b), NULL}};
	size_t n = make_elf(img, 0x100000, 64);
	memset(ram, 0xCC, RAM);
	assert_int_equal(load_multiboot_modules(&mem, img, n, "k", "", mods, 2, &st, err, sizeof(err)), 0);
	assert_int_equal(mod_entry(0).start, 0x101000);
	assert_int_equal(mod_entry(0).end, 0x101000);
	assert_int_equal(mod_entry(1).start, 0x102000);
	assert_string_equal((const char *)ram + mod_entry(0).string, "empty");
	assert_string_equal((const char *)ram + mod_entry(1).string, ""); /* NULL string */
}

static void test_sixteen_modules_load_and_seventeen_are_refused(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	struct mb_module mods[17];
	size_t n = make_elf(img, 0x100000, 64);
	for (int i = 0; i < 17; i++)
		mods[i] = (struct mb_module){mod_b, sizeof(mod_b), "m"};
	memset(ram, 0xCC, RAM);
	assert_int_equal(load_multiboot_modules(&mem, img, n, "k", "", mods, 17, &st, err, sizeof(err)),
			 -E2BIG);
	assert_string_equal(err, "too many multiboot modules (17, at most 16)");
	assert_ram_untouched();
	assert_int_equal(load_multiboot_modules(&mem, img, n, "k", "", mods, 16, &st, err, sizeof(err)), 0);
	assert_int_equal(get32(ram + MB_INFO_GPA + 20), 16);
	assert_int_equal(mod_entry(15).start, 0x101000 + 15 * 0x1000);
}

static void test_module_past_the_end_of_ram_is_refused_before_any_write(void **s)
{
	static uint8_t huge[RAM];
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	const struct mb_module mods[] = {
		{mod_b, sizeof(mod_b), "b.bin"},
		{huge, RAM - 0x102000 + 1, "rootfs.img ro"}, /* one byte too many */
	};
	size_t n = make_elf(img, 0x100000, 64);
	memset(ram, 0xCC, RAM);
	assert_int_equal(load_multiboot_modules(&mem, img, n, "k", "", mods, 2, &st, err, sizeof(err)),
			 -ENOSPC);
	assert_string_equal(err, "module 2 'rootfs.img' at 0x102000 (0xefe001 bytes) does not fit in "
				 "the VM's RAM, which ends at 0x1000000");
	assert_ram_untouched();

	/* One byte less fits exactly, up to the last byte of RAM. */
	const struct mb_module fit[] = {mods[0], {huge, RAM - 0x102000, "rootfs.img ro"}};
	assert_int_equal(load_multiboot_modules(&mem, img, n, "k", "", fit, 2, &st, err, sizeof(err)), 0);
	assert_int_equal(mod_entry(1).end, RAM);
}

static void test_module_ending_above_4gib_is_refused(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	static uint8_t m[0x8000];
	size_t n = make_elf(img, 0xFFFF0000, 0x8000); /* image ends at 0xFFFF8000 */
	/* mod_end is one past the last byte: 0x100000000 does not fit in it. */
	const struct mb_module mods[] = {{m, 0x8000, "m"}};
	sink_calls = 0;
	assert_int_equal(load_multiboot_modules(&big, img, n, "k", "", mods, 1, &st, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "module 1 'm' at 0xffff8000 (0x8000 bytes) would end above 4 GiB, "
				 "beyond multiboot's 32-bit addresses");
	assert_int_equal(sink_calls, 0);

	const struct mb_module last[] = {{m, 0x7FFF, "m"}};
	int rc = load_multiboot_modules(&big, img, n, "k", "", last, 1, &st, err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	assert_true(sink_calls > 0);
}

static void test_module_strings_that_overflow_the_info_area_are_refused(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[200];
	static char cmdline[3000], arg[100];
	size_t n = make_elf(img, 0x100000, 64);
	memset(cmdline, 'c', sizeof(cmdline) - 1);
	memset(arg, 'a', sizeof(arg) - 1);
	const struct mb_module mods[] = {{mod_b, 1, arg}};
	memset(ram, 0xCC, RAM);
	/* "k " + 2999 + NUL = 3002 bytes, the string 100: 3102 > 3072 */
	assert_int_equal(load_multiboot_modules(&mem, img, n, "k", cmdline, mods, 1, &st, err,
						sizeof(err)), -E2BIG);
	assert_string_equal(err, "the command line and the module strings (3102 bytes) do not fit in "
				 "the multiboot info area (3072 bytes at 0x9400)");
	assert_ram_untouched();

	/* The command line alone: as without modules. */
	static char longer[3100];
	memset(longer, 'c', sizeof(longer) - 1);
	assert_int_equal(load_multiboot_modules(&mem, img, n, "k", longer, mods, 1, &st, err,
						sizeof(err)), -EINVAL);
	assert_string_equal(err, "command line too long for the multiboot info area");
	assert_ram_untouched();
}

static void test_module_without_data_is_refused_with_its_name_quoted_safely(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	size_t n = make_elf(img, 0x100000, 64);
	const struct mb_module mods[] = {
		{mod_b, 1, "ok"},
		{NULL, 10, "a\x01" "bcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH args"},
	};
	memset(ram, 0xCC, RAM);
	assert_int_equal(load_multiboot_modules(&mem, img, n, "k", "", mods, 2, &st, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "module 2 'a?bcdefghijklmnopqrstuvwxyz0123456789ABC...' has no data");
	assert_ram_untouched();
}

/* Image errors too are found before anything is written. */
static void test_bad_second_segment_writes_nothing(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	size_t n = make_elf(img, 0x100000, 64);
	put16(img + 44, 2);
	uint8_t *ph = img + 52 + 32;
	put32(ph, 1);
	put32(ph + 12, RAM - 8); /* past the end of RAM */
	put32(ph + 20, 64);
	memset(ram, 0xCC, RAM);
	assert_int_equal(load_multiboot(&mem, img, n, "k", "", &st, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "segment at 0xfffff8 (0x40 bytes) does not fit in the VM's RAM");
	assert_ram_untouched();
}

/* A segment that wraps 32 bits from below the info area still overlaps it. */
static void test_segment_wrapping_32_bits_over_info_area_is_refused(void **s)
{
	uint8_t img[4096];
	struct boot_state st;
	char err[160];
	size_t n = make_elf(img, 0x8000, 0xFFFFF000);
	sink_calls = 0;
	assert_int_equal(load_multiboot(&big, img, n, "k", "", &st, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "segment at 0x8000 overlaps the multiboot info area 0x9000-0x9fff");
	assert_int_equal(sink_calls, 0);
}

static void test_raw_real_mode_starts_at_entry_with_cs_zero(void **s)
{
	uint8_t img[16] = {0xF4};
	struct boot_state st;
	char err[160];
	assert_int_equal(load_raw(&mem, img, sizeof(img), ENTRY_REAL, 0x8000, 0x8000, &st, err, sizeof(err)), 0);
	assert_int_equal(ram[0x8000], 0xF4);
	assert_int_equal(st.sregs.cs.selector, 0);
	assert_int_equal(st.sregs.cs.base, 0);
	assert_int_equal(st.regs.rip, 0x8000);
	assert_int_equal(st.sregs.cr0 & 1, 0);
}

static void test_raw_long_mode_builds_identity_tables(void **s)
{
	uint8_t img[16] = {0x90};
	struct boot_state st;
	char err[160];
	assert_int_equal(load_raw(&mem, img, sizeof(img), ENTRY_LONG, 0x200000, 0x200000, &st, err, sizeof(err)), 0);
	assert_int_equal(st.sregs.cr3, LONG_MODE_PT_GPA);
	assert_true(st.sregs.efer & 0x500);
	assert_true(st.sregs.cs.attrib & SEG_L);
	/* walk 0x40201000 -> itself: PML4[0] -> PDPT[1] -> PD[1] 2 MiB page */
	uint64_t e;
	memcpy(&e, ram + LONG_MODE_PT_GPA, 8);
	uint64_t pdpt = e & ~0xFFFULL;
	memcpy(&e, ram + pdpt + 8, 8);
	uint64_t pd = e & ~0xFFFULL;
	memcpy(&e, ram + pd + 8, 8);
	assert_true(e & 0x80);
	assert_int_equal(e & ~0x1FFFFFULL, 0x40200000);
}

static void test_real_mode_entry_above_64k_uses_a_segment(void **s)
{
	uint8_t img[16] = {0};
	struct boot_state st;
	char err[160];
	assert_int_equal(load_raw(&mem, img, sizeof(img), ENTRY_REAL, 0x20000, 0x21234, &st, err, sizeof(err)), 0);
	assert_int_equal(st.sregs.cs.selector, 0x2000);
	assert_int_equal(st.sregs.cs.base, 0x20000);
	assert_int_equal(st.regs.rip, 0x1234);
	assert_int_equal(load_raw(&mem, img, sizeof(img), ENTRY_REAL, 0x20000, 0x100000, &st, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf32_segments_load_with_bss_zeroed),
		cmocka_unit_test(test_info_block_has_memory_and_named_command_line),
		cmocka_unit_test(test_aout_kludge_loads_by_address_fields),
		cmocka_unit_test(test_image_without_header_is_refused),
		cmocka_unit_test(test_segment_beyond_ram_is_refused),
		cmocka_unit_test(test_segment_over_info_area_is_refused),
		cmocka_unit_test(test_truncated_program_headers_are_refused),
		cmocka_unit_test(test_elf_with_two_modules_lists_them_in_the_info_block),
		cmocka_unit_test(test_modules_leave_memory_map_and_command_line_unchanged),
		cmocka_unit_test(test_no_modules_leaves_flag_clear_and_module_array_untouched),
		cmocka_unit_test(test_modules_start_at_1mib_above_a_low_image),
		cmocka_unit_test(test_modules_follow_the_highest_segment_and_its_bss),
		cmocka_unit_test(test_modules_follow_an_aout_image_bss),
		cmocka_unit_test(test_empty_module_has_start_equal_end_and_its_own_page),
		cmocka_unit_test(test_sixteen_modules_load_and_seventeen_are_refused),
		cmocka_unit_test(test_module_past_the_end_of_ram_is_refused_before_any_write),
		cmocka_unit_test(test_module_ending_above_4gib_is_refused),
		cmocka_unit_test(test_module_strings_that_overflow_the_info_area_are_refused),
		cmocka_unit_test(test_module_without_data_is_refused_with_its_name_quoted_safely),
		cmocka_unit_test(test_bad_second_segment_writes_nothing),
		cmocka_unit_test(test_segment_wrapping_32_bits_over_info_area_is_refused),
		cmocka_unit_test(test_raw_real_mode_starts_at_entry_with_cs_zero),
		cmocka_unit_test(test_raw_long_mode_builds_identity_tables),
		cmocka_unit_test(test_real_mode_entry_above_64k_uses_a_segment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
