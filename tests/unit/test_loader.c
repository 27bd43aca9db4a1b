/* Guest loaders: what lands in guest memory and the entry state, for
 * multiboot v1 ELF32 and a.out-kludge images and raw images; broken images
 * are refused with a message. */
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
		cmocka_unit_test(test_raw_real_mode_starts_at_entry_with_cs_zero),
		cmocka_unit_test(test_raw_long_mode_builds_identity_tables),
		cmocka_unit_test(test_real_mode_entry_above_64k_uses_a_segment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
