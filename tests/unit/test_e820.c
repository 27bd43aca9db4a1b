/* Guest e820 maps: what a guest reading INT 15h E820 or its Linux zero page
 * would see for the VM's RAM ranges, with the PC's holes below 1 MiB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "hv/e820.h"
#include "hv/errno.h"

#define MAXE 16

struct want {
	uint64_t addr, size;
	uint32_t type;
};

static void assert_map(const struct e820_entry *got, int n, const struct want *want, int nwant)
{
	assert_int_equal(n, nwant);
	for (int i = 0; i < nwant; i++) {
		assert_int_equal(got[i].addr, want[i].addr);
		assert_int_equal(got[i].size, want[i].size);
		assert_int_equal(got[i].type, want[i].type);
	}
}

static int build(const struct e820_range *ram, size_t nram, const struct e820_range *acpi,
		 struct e820_entry *out, size_t max, char *err)
{
	memset(out, 0xEE, sizeof(*out) * max);
	strcpy(err, "untouched");
	return e820_build(ram, nram, acpi, out, max, err, 160);
}

static void test_16mib_has_conventional_ebda_bios_and_high_memory(void **s)
{
	struct e820_range ram[] = {{0, 16 << 20}};
	struct e820_entry out[MAXE];
	char err[160];
	const struct want want[] = {
		{0, 0x9FC00, E820_TYPE_RAM},
		{0x9FC00, 0x400, E820_TYPE_RESERVED},
		{0xF0000, 0x10000, E820_TYPE_RESERVED},
		{0x100000, (16 << 20) - 0x100000, E820_TYPE_RAM},
	};
	assert_map(out, build(ram, 1, NULL, out, MAXE, err), want, 4);
}

static void test_512mib_reports_all_ram_above_1mib_as_one_entry(void **s)
{
	struct e820_range ram[] = {{0, 512ULL << 20}};
	struct e820_entry out[MAXE];
	char err[160];
	const struct want want[] = {
		{0, 0x9FC00, E820_TYPE_RAM},
		{0x9FC00, 0x400, E820_TYPE_RESERVED},
		{0xF0000, 0x10000, E820_TYPE_RESERVED},
		{0x100000, 511ULL << 20, E820_TYPE_RAM},
	};
	assert_map(out, build(ram, 1, NULL, out, MAXE, err), want, 4);
}

static void test_two_ranges_leave_the_gap_out_in_address_order(void **s)
{
	/* Given high range first: the map still comes out sorted. */
	struct e820_range ram[] = {{4ULL << 30, 2ULL << 30}, {0, 2ULL << 30}};
	struct e820_entry out[MAXE];
	char err[160];
	const struct want want[] = {
		{0, 0x9FC00, E820_TYPE_RAM},
		{0x9FC00, 0x400, E820_TYPE_RESERVED},
		{0xF0000, 0x10000, E820_TYPE_RESERVED},
		{0x100000, (2ULL << 30) - 0x100000, E820_TYPE_RAM},
		{4ULL << 30, 2ULL << 30, E820_TYPE_RAM},
	};
	assert_map(out, build(ram, 2, NULL, out, MAXE, err), want, 5);
}

static void test_ram_below_640k_is_one_usable_entry(void **s)
{
	struct e820_range ram[] = {{0, 512 << 10}};
	struct e820_entry out[MAXE];
	char err[160];
	const struct want want[] = {{0, 512 << 10, E820_TYPE_RAM}};
	assert_map(out, build(ram, 1, NULL, out, MAXE, err), want, 1);
}

static void test_ram_ending_in_the_vga_hole_reports_only_the_ebda_beyond_640k(void **s)
{
	struct e820_range ram[] = {{0, 0xC0000}};
	struct e820_entry out[MAXE];
	char err[160];
	const struct want want[] = {
		{0, 0x9FC00, E820_TYPE_RAM},
		{0x9FC00, 0x400, E820_TYPE_RESERVED},
	};
	assert_map(out, build(ram, 1, NULL, out, MAXE, err), want, 2);
}

static void test_too_small_output_is_refused_with_the_needed_count(void **s)
{
	struct e820_range ram[] = {{0, 16 << 20}};
	struct e820_entry out[MAXE];
	char err[160];
	memset(out, 0xEE, sizeof(out));
	assert_int_equal(build(ram, 1, NULL, out, 3, err), -ENOSPC);
	assert_string_equal(err, "e820: the memory map needs 4 entries, more than the 3 allowed");
	assert_int_equal(out[3].addr, 0xEEEEEEEEEEEEEEEEULL); /* nothing past max */
	assert_int_equal(build(ram, 1, NULL, out, 0, err), -ENOSPC);
	assert_string_equal(err, "e820: the memory map needs 4 entries, more than the 0 allowed");
}

static void test_adjacent_and_overlapping_ranges_merge(void **s)
{
	struct e820_range ram[] = {
		{2 << 20, 2 << 20}, {0, 0x9FC00}, {1 << 20, 1 << 20}, {3 << 20, 3 << 20}, {0x10000, 0}};
	struct e820_entry out[MAXE];
	char err[160];
	const struct want want[] = {
		{0, 0x9FC00, E820_TYPE_RAM},
		{1 << 20, 5 << 20, E820_TYPE_RAM},
	};
	assert_map(out, build(ram, ARRAY_SIZE(ram), NULL, out, MAXE, err), want, 2);
}

static void test_acpi_range_is_type_3_over_hole_and_bios_area(void **s)
{
	struct e820_range ram[] = {{0, 16 << 20}};
	struct e820_range acpi = {0xE0000, 0x20000};
	struct e820_entry out[MAXE];
	char err[160];
	const struct want want[] = {
		{0, 0x9FC00, E820_TYPE_RAM},
		{0x9FC00, 0x400, E820_TYPE_RESERVED},
		{0xE0000, 0x20000, E820_TYPE_ACPI},
		{0x100000, (16 << 20) - 0x100000, E820_TYPE_RAM},
	};
	assert_map(out, build(ram, 1, &acpi, out, MAXE, err), want, 4);
}

static void test_acpi_range_inside_high_ram_splits_it(void **s)
{
	struct e820_range ram[] = {{0, 16 << 20}};
	struct e820_range acpi = {8 << 20, 0x3000};
	struct e820_entry out[MAXE];
	char err[160];
	const struct want want[] = {
		{0, 0x9FC00, E820_TYPE_RAM},
		{0x9FC00, 0x400, E820_TYPE_RESERVED},
		{0xF0000, 0x10000, E820_TYPE_RESERVED},
		{0x100000, (8 << 20) - 0x100000, E820_TYPE_RAM},
		{8 << 20, 0x3000, E820_TYPE_ACPI},
		{(8 << 20) + 0x3000, (8 << 20) - 0x3000, E820_TYPE_RAM},
	};
	assert_map(out, build(ram, 1, &acpi, out, MAXE, err), want, 6);
}

static void test_empty_acpi_range_means_none(void **s)
{
	struct e820_range ram[] = {{0, 16 << 20}};
	struct e820_range acpi = {0xE0000, 0};
	struct e820_entry out[MAXE];
	char err[160];
	assert_int_equal(build(ram, 1, &acpi, out, MAXE, err), 4);
	assert_int_equal(out[2].type, E820_TYPE_RESERVED);
}

static void test_no_ram_gives_an_empty_map(void **s)
{
	struct e820_entry out[MAXE];
	char err[160];
	assert_int_equal(build(NULL, 0, NULL, out, MAXE, err), 0);
}

static void test_range_ending_at_top_of_address_space_is_kept_whole(void **s)
{
	struct e820_range ram[] = {{0, 1 << 20}, {0xFFFFFFFF00000000ULL, 0x100000000ULL}};
	struct e820_entry out[MAXE];
	char err[160];
	const struct want want[] = {
		{0, 0x9FC00, E820_TYPE_RAM},
		{0x9FC00, 0x400, E820_TYPE_RESERVED},
		{0xF0000, 0x10000, E820_TYPE_RESERVED},
		{0xFFFFFFFF00000000ULL, 0x100000000ULL, E820_TYPE_RAM},
	};
	assert_map(out, build(ram, 2, NULL, out, MAXE, err), want, 4);
}

static void test_range_wrapping_past_2_64_is_refused(void **s)
{
	struct e820_range ram[] = {{0xFFFFFFFFFFFFF000ULL, 0x2000}};
	struct e820_range acpi = {0xFFFFFFFFFFFFFFFFULL, 2};
	struct e820_entry out[MAXE];
	char err[160];
	assert_int_equal(build(ram, 1, NULL, out, MAXE, err), -EINVAL);
	assert_string_equal(err, "e820: RAM range at 0xfffffffffffff000 (0x2000 bytes) runs past 2^64");
	assert_int_equal(build(NULL, 0, &acpi, out, MAXE, err), -EINVAL);
	assert_string_equal(err, "e820: ACPI range at 0xffffffffffffffff (0x2 bytes) runs past 2^64");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_16mib_has_conventional_ebda_bios_and_high_memory),
		cmocka_unit_test(test_512mib_reports_all_ram_above_1mib_as_one_entry),
		cmocka_unit_test(test_two_ranges_leave_the_gap_out_in_address_order),
		cmocka_unit_test(test_ram_below_640k_is_one_usable_entry),
		cmocka_unit_test(test_ram_ending_in_the_vga_hole_reports_only_the_ebda_beyond_640k),
		cmocka_unit_test(test_too_small_output_is_refused_with_the_needed_count),
		cmocka_unit_test(test_adjacent_and_overlapping_ranges_merge),
		cmocka_unit_test(test_acpi_range_is_type_3_over_hole_and_bios_area),
		cmocka_unit_test(test_acpi_range_inside_high_ram_splits_it),
		cmocka_unit_test(test_empty_acpi_range_means_none),
		cmocka_unit_test(test_no_ram_gives_an_empty_map),
		cmocka_unit_test(test_range_ending_at_top_of_address_space_is_kept_whole),
		cmocka_unit_test(test_range_wrapping_past_2_64_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
