/* Unit tests for the hypervisor's own string functions (hv/string.c).
 *
 * The host C library provides functions with the same names, so hv/string.c
 * is compiled into this file under hv_test_* names: the tests then exercise
 * the hypervisor's code while cmocka and ASan keep the real libc. (That is
 * why test_string.srcs lists no sources.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/compiler.h"

#define memcpy hv_test_memcpy
#define memmove hv_test_memmove
#define memset hv_test_memset
#define memcmp hv_test_memcmp
#define strlen hv_test_strlen
#define strnlen hv_test_strnlen
#define strcmp hv_test_strcmp
#define strncmp hv_test_strncmp
#define strchr hv_test_strchr
#include "hv/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr

#define BUF 512

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void fill_pattern(unsigned char *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 131 + seed * 7 + 1);
}

static bool direction_flag_clear(void)
{
	uint64_t flags;
	__asm__ volatile("pushfq\n\tpopq %0" : "=r"(flags));
	return !(flags & (1u << 10)); /* RFLAGS.DF, SDM Vol. 1 3.4.3 */
}

static void test_memcpy_copies_exactly_n_bytes_at_every_offset(void **state)
{
	static unsigned char src[BUF], dst[BUF], want[BUF];

	fill_pattern(src, BUF, 1);
	for (size_t n = 0; n <= 300; n = n < 40 ? n + 1 : n + 37)
		for (size_t so = 0; so < 16; so++)
			for (size_t d_off = 0; d_off < 16; d_off++) {
				memset(dst, 0xee, BUF);
				memset(want, 0xee, BUF);
				memcpy(want + d_off, src + so, n);
				void *r = hv_test_memcpy(dst + d_off, src + so, n);
				assert_ptr_equal(r, dst + d_off);
				assert_memory_equal(dst, want, BUF); /* guards untouched */
			}
}

static void check_memmove(size_t n, size_t from, size_t to)
{
	static unsigned char buf[BUF], want[BUF], tmp[BUF];

	fill_pattern(buf, BUF, (unsigned int)(n + from + to));
	memcpy(want, buf, BUF);
	memcpy(tmp, want + from, n);
	memcpy(want + to, tmp, n);
	void *r = hv_test_memmove(buf + to, buf + from, n);
	assert_ptr_equal(r, buf + to);
	assert_memory_equal(buf, want, BUF);
}

static void test_memmove_overlapping_forward_copies_from_the_end(void **state)
{
	/* dst above src inside it: a naive forward copy would smear. */
	for (size_t n = 1; n <= 200; n += 7)
		for (size_t d = 1; d <= 33; d++)
			check_memmove(n, 10, 10 + d);
	assert_true(direction_flag_clear());
}

static void test_memmove_overlapping_backward_copies_from_the_start(void **state)
{
	for (size_t n = 1; n <= 200; n += 7)
		for (size_t d = 1; d <= 33; d++)
			check_memmove(n, 10 + d, 10);
}

static void test_memmove_disjoint_same_and_empty_ranges(void **state)
{
	check_memmove(100, 0, 300);
	check_memmove(100, 300, 0);
	check_memmove(100, 50, 50);
	check_memmove(0, 10, 11);
	check_memmove(1, 10, 11);
	check_memmove(BUF / 2, 0, BUF / 2); /* touching, not overlapping */
}

static void test_memmove_leaves_direction_flag_clear(void **state)
{
	unsigned char buf[64];

	fill_pattern(buf, sizeof(buf), 3);
	hv_test_memmove(buf + 8, buf, 32);
	assert_true(direction_flag_clear());
	/* A following forward copy still goes forward. */
	unsigned char a[8] = "abcdefg", b[8] = { 0 };
	hv_test_memcpy(b, a, 8);
	assert_string_equal((char *)b, "abcdefg");
}

static void test_memset_fills_n_bytes_with_low_byte_of_value(void **state)
{
	static unsigned char buf[BUF], want[BUF];

	for (size_t n = 0; n <= 300; n += 13)
		for (size_t off = 0; off < 9; off++) {
			memset(buf, 0x11, BUF);
			memset(want, 0x11, BUF);
			memset(want + off, 0xab, n);
			void *r = hv_test_memset(buf + off, 0x12ab, n);
			assert_ptr_equal(r, buf + off);
			assert_memory_equal(buf, want, BUF);
		}
	hv_test_memset(buf, -1, 4);
	assert_int_equal(buf[3], 0xff);
}

static void test_memcmp_orders_bytes_as_unsigned(void **state)
{
	unsigned char a[4] = { 1, 2, 3, 0x80 }, b[4] = { 1, 2, 3, 0x01 };

	assert_true(hv_test_memcmp(a, b, 4) > 0);
	assert_true(hv_test_memcmp(b, a, 4) < 0);
	assert_int_equal(hv_test_memcmp(a, b, 3), 0);
	assert_int_equal(hv_test_memcmp(a, b, 0), 0);
	assert_int_equal(hv_test_memcmp(a, a, 4), 0);
}

static void test_memcmp_and_strcmp_signs_match_libc(void **state)
{
	static const char *words[] = { "", "a", "b", "ab", "abc", "abd", "abcd", "\x80", "\x7f",
				       "hello", "help", "hello world", "HELLO" };

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		for (size_t j = 0; j < ARRAY_SIZE(words); j++) {
			const char *x = words[i], *y = words[j];
			size_t n = MIN(strlen(x), strlen(y)) + 1;
			assert_int_equal(sign(hv_test_strcmp(x, y)), sign(strcmp(x, y)));
			assert_int_equal(sign(hv_test_memcmp(x, y, n)), sign(memcmp(x, y, n)));
			for (size_t k = 0; k < 6; k++)
				assert_int_equal(sign(hv_test_strncmp(x, y, k)), sign(strncmp(x, y, k)));
		}
}

static void test_strlen_counts_bytes_before_terminator(void **state)
{
	assert_int_equal(hv_test_strlen(""), 0);
	assert_int_equal(hv_test_strlen("a"), 1);
	assert_int_equal(hv_test_strlen("hypervisor"), 10);
	assert_int_equal(hv_test_strlen("ab\0cd"), 2);
	assert_int_equal(hv_test_strlen("\xff\x80"), 2);
}

static void test_strnlen_stops_at_max_without_reading_further(void **state)
{
	const char unterminated[4] = { 'a', 'b', 'c', 'd' }; /* ASan checks reads */

	assert_int_equal(hv_test_strnlen(unterminated, 4), 4);
	assert_int_equal(hv_test_strnlen(unterminated, 2), 2);
	assert_int_equal(hv_test_strnlen(unterminated, 0), 0);
	assert_int_equal(hv_test_strnlen("ab", 100), 2);
}

static void test_strcmp_orders_strings_and_treats_prefix_as_smaller(void **state)
{
	assert_int_equal(hv_test_strcmp("abc", "abc"), 0);
	assert_true(hv_test_strcmp("abc", "abd") < 0);
	assert_true(hv_test_strcmp("abd", "abc") > 0);
	assert_true(hv_test_strcmp("ab", "abc") < 0);
	assert_true(hv_test_strcmp("abc", "ab") > 0);
	assert_true(hv_test_strcmp("", "a") < 0);
	assert_true(hv_test_strcmp("\xe9", "e") > 0); /* unsigned: 0xe9 > 'e' */
}

static void test_strncmp_compares_at_most_n_and_stops_at_terminator(void **state)
{
	const char a[3] = { 'x', 'y', 'z' }, b[3] = { 'x', 'y', 'q' }; /* unterminated */

	assert_int_equal(hv_test_strncmp(a, b, 2), 0);
	assert_true(hv_test_strncmp(a, b, 3) > 0);
	assert_int_equal(hv_test_strncmp("abc\0x", "abc\0y", 5), 0);
	assert_int_equal(hv_test_strncmp("abc", "abd", 0), 0);
	assert_true(hv_test_strncmp("ab", "abc", 5) < 0);
}

static void test_strchr_finds_first_match_terminator_or_null(void **state)
{
	const char *s = "hello, world";

	assert_ptr_equal(hv_test_strchr(s, 'o'), s + 4);
	assert_ptr_equal(hv_test_strchr(s, 'h'), s);
	assert_ptr_equal(hv_test_strchr(s, 'd'), s + 11);
	assert_null(hv_test_strchr(s, 'z'));
	/* The terminator is part of the string. */
	assert_ptr_equal(hv_test_strchr(s, '\0'), s + 12);
	/* The value is converted to char: 0x100 + 'w' finds 'w'. */
	assert_ptr_equal(hv_test_strchr(s, 0x100 + 'w'), s + 7);
	const char *hi = "caf\xe9!";
	assert_ptr_equal(hv_test_strchr(hi, 0xe9), hi + 3);
	assert_ptr_equal(hv_test_strchr(hi, (char)0xe9), hi + 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcpy_copies_exactly_n_bytes_at_every_offset),
		cmocka_unit_test(test_memmove_overlapping_forward_copies_from_the_end),
		cmocka_unit_test(test_memmove_overlapping_backward_copies_from_the_start),
		cmocka_unit_test(test_memmove_disjoint_same_and_empty_ranges),
		cmocka_unit_test(test_memmove_leaves_direction_flag_clear),
		cmocka_unit_test(test_memset_fills_n_bytes_with_low_byte_of_value),
		cmocka_unit_test(test_memcmp_orders_bytes_as_unsigned),
		cmocka_unit_test(test_memcmp_and_strcmp_signs_match_libc),
		cmocka_unit_test(test_strlen_counts_bytes_before_terminator),
		cmocka_unit_test(test_strnlen_stops_at_max_without_reading_further),
		cmocka_unit_test(test_strcmp_orders_strings_and_treats_prefix_as_smaller),
		cmocka_unit_test(test_strncmp_compares_at_most_n_and_stops_at_terminator),
		cmocka_unit_test(test_strchr_finds_first_match_terminator_or_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
