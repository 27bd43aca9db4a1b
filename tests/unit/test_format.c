/* Unit tests for the formatter (hv/format.c), checked against the host C
 * library's snprintf wherever C99 defines the result. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hv/format.h"

/* One argument list shape per entry; the same call is made to both
 * implementations through a pointer with snprintf's type. */
enum kind {
	K_NONE,
	K_INT,
	K_UINT,
	K_LONG,
	K_ULONG,
	K_LLONG,
	K_ULLONG,
	K_SIZE,
	K_PTRDIFF,
	K_INTMAX,
	K_UINTMAX,
	K_STR,
	K_STAR_INT,      /* int width, int value */
	K_STAR_STAR_INT, /* int width, int precision, int value */
	K_STAR_STAR_STR, /* int width, int precision, string */
	K_TWO_INTS,
};

struct fmt_case {
	const char *fmt;
	enum kind kind;
	long long i; /* signed values, and '*' arguments */
	unsigned long long u;
	const char *s;
	int w, p;
};

typedef int (*snprintf_fn)(char *, size_t, const char *, ...);

static int call(snprintf_fn fn, char *buf, size_t n, const struct fmt_case *c)
{
	switch (c->kind) {
	case K_NONE: return fn(buf, n, c->fmt);
	case K_INT: return fn(buf, n, c->fmt, (int)c->i);
	case K_UINT: return fn(buf, n, c->fmt, (unsigned int)c->u);
	case K_LONG: return fn(buf, n, c->fmt, (long)c->i);
	case K_ULONG: return fn(buf, n, c->fmt, (unsigned long)c->u);
	case K_LLONG: return fn(buf, n, c->fmt, c->i);
	case K_ULLONG: return fn(buf, n, c->fmt, c->u);
	case K_SIZE: return fn(buf, n, c->fmt, (size_t)c->u);
	case K_PTRDIFF: return fn(buf, n, c->fmt, (ptrdiff_t)c->i);
	case K_INTMAX: return fn(buf, n, c->fmt, (intmax_t)c->i);
	case K_UINTMAX: return fn(buf, n, c->fmt, (uintmax_t)c->u);
	case K_STR: return fn(buf, n, c->fmt, c->s);
	case K_STAR_INT: return fn(buf, n, c->fmt, c->w, (int)c->i);
	case K_STAR_STAR_INT: return fn(buf, n, c->fmt, c->w, c->p, (int)c->i);
	case K_STAR_STAR_STR: return fn(buf, n, c->fmt, c->w, c->p, c->s);
	case K_TWO_INTS: return fn(buf, n, c->fmt, c->w, (int)c->i);
	}
	return -2;
}

#define I(f, v) { f, K_INT, (v), 0, NULL, 0, 0 }
#define U(f, v) { f, K_UINT, 0, (v), NULL, 0, 0 }
#define L(f, v) { f, K_LONG, (v), 0, NULL, 0, 0 }
#define UL(f, v) { f, K_ULONG, 0, (v), NULL, 0, 0 }
#define LL(f, v) { f, K_LLONG, (v), 0, NULL, 0, 0 }
#define ULL(f, v) { f, K_ULLONG, 0, (v), NULL, 0, 0 }
#define S(f, v) { f, K_STR, 0, 0, (v), 0, 0 }

static const struct fmt_case table[] = {
	{ "", K_NONE, 0, 0, NULL, 0, 0 },
	{ "plain text, no conversions", K_NONE, 0, 0, NULL, 0, 0 },
	{ "100%% sure %%", K_NONE, 0, 0, NULL, 0, 0 },
	I("%d", 0), I("%d", 1), I("%d", -1), I("%d", INT_MAX), I("%d", INT_MIN),
	I("%i", 42), I("%i", -42), I("[%5d]", 42), I("[%-5d]", 42), I("[%05d]", -42),
	I("[%+d]", 7), I("[%+d]", -7), I("[% d]", 7), I("[% d]", -7), I("[%+ d]", 7),
	I("[%.3d]", 7), I("[%.3d]", -7), I("[%8.3d]", -7), I("[%-8.3d]", 7),
	I("[%08.3d]", 7), I("[%.0d]", 0), I("[%5.0d]", 0), I("[%+.0d]", 0), I("[%.d]", 0),
	I("[%-+08d]", 99), I("[%0-8d]", 99), I("[%1d]", 12345), I("x%dy%%z", 5),
	U("%u", 0), U("%u", 4294967295u), U("%x", 0xdeadbeef), U("%X", 0xdeadbeef),
	U("%o", 8), U("%o", 0), U("%#o", 8), U("%#o", 0), U("%#.0o", 0), U("%#.5o", 8),
	U("%#x", 255), U("%#X", 255), U("%#x", 0), U("%#.0x", 0), U("%#10x", 255),
	U("%#-10x|", 255), U("%#010x", 255), U("%#.6x", 255), U("%010.6x", 255),
	U("%.0u", 0), U("%.0x", 0), U("%.0o", 0), U("%08X", 0xabc),
	I("%hhd", 300), I("%hhd", -129), I("%hhd", 127), I("%hhu", -1), I("%hhx", 0x1ff),
	I("%hd", 70000), I("%hd", -32769), I("%hu", -1), I("%hx", 0x12345), I("%ho", -1),
	L("%ld", LONG_MIN), L("%ld", LONG_MAX), UL("%lu", ULONG_MAX), UL("%lx", 0x123456789abcdefUL),
	LL("%lld", INT64_MIN), LL("%lld", INT64_MAX), LL("%lli", -1), LL("[%30lld]", INT64_MIN),
	LL("[%-30lld]", INT64_MIN), LL("[%030lld]", INT64_MIN), LL("[%.25lld]", INT64_MIN),
	LL("[%+lld]", INT64_MAX), LL("[% lld]", 0),
	ULL("%llu", UINT64_MAX), ULL("%llx", UINT64_MAX), ULL("%llX", UINT64_MAX),
	ULL("%llo", UINT64_MAX), ULL("%#llo", UINT64_MAX), ULL("%#llx", UINT64_MAX),
	ULL("[%25llu]", UINT64_MAX), ULL("[%.22llo]", 1),
	{ "%zu", K_SIZE, 0, SIZE_MAX, NULL, 0, 0 },
	{ "%zx", K_SIZE, 0, 0x1000, NULL, 0, 0 },
	{ "%zd", K_SIZE, 0, (size_t)-5, NULL, 0, 0 },
	{ "%td", K_PTRDIFF, PTRDIFF_MIN, 0, NULL, 0, 0 },
	{ "%td", K_PTRDIFF, -12345, 0, NULL, 0, 0 },
	{ "%tx", K_PTRDIFF, 0x7fff, 0, NULL, 0, 0 },
	{ "%jd", K_INTMAX, INTMAX_MIN, 0, NULL, 0, 0 },
	{ "%jd", K_INTMAX, INTMAX_MAX, 0, NULL, 0, 0 },
	{ "%ju", K_UINTMAX, 0, UINTMAX_MAX, NULL, 0, 0 },
	{ "%jx", K_UINTMAX, 0, 0xfeedULL, NULL, 0, 0 },
	I("[%c]", 'A'), I("[%5c]", 'z'), I("[%-5c]", 'z'), I("[%c]", 0x141),
	S("%s", ""), S("%s", "hello"), S("[%10s]", "hello"), S("[%-10s]", "hello"),
	S("[%.3s]", "hello"), S("[%.0s]", "hello"), S("[%.10s]", "hello"),
	S("[%8.3s]", "hello"), S("[%-8.3s]", "hello"), S("[%2s]", "hello"),
	S("%s and more %%", "text"), S("%s", "a long string that goes on and on for quite a while"),
	{ "[%*d]", K_STAR_INT, 42, 0, NULL, 6, 0 },
	{ "[%*d]", K_STAR_INT, 42, 0, NULL, -6, 0 },  /* negative width: '-' flag */
	{ "[%-*d]", K_STAR_INT, 42, 0, NULL, -6, 0 },
	{ "[%*d]", K_STAR_INT, 42, 0, NULL, 0, 0 },
	{ "[%*.*d]", K_STAR_STAR_INT, 42, 0, NULL, 8, 4 },
	{ "[%*.*d]", K_STAR_STAR_INT, 42, 0, NULL, 8, -1 }, /* negative precision: none */
	{ "[%0*.*d]", K_STAR_STAR_INT, 42, 0, NULL, 8, -3 },
	{ "[%.*d]", K_TWO_INTS, 0, 0, NULL, 0, 0 },
	{ "[%.*d]", K_TWO_INTS, -5, 0, NULL, 3, 0 },
	{ "[%*.*s]", K_STAR_STAR_STR, 0, 0, "abcdef", 6, 2 },
	{ "[%*.*s]", K_STAR_STAR_STR, 0, 0, "abcdef", -6, 2 },
	{ "[%*.*s]", K_STAR_STAR_STR, 0, 0, "abcdef", 3, -1 },
	{ "%d%%%d", K_TWO_INTS, 4, 0, NULL, 3, 0 },
};

/* hv_snprintf without the printf attribute: the compiler would otherwise
 * reject formats and arguments that these tests pass on purpose. */
static int unchecked(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = hv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void check_case(const struct fmt_case *c)
{
	char want[512], got[512];

	int wn = call(snprintf, want, sizeof(want), c);
	int gn = call(hv_snprintf, got, sizeof(got), c);
	if (wn != gn || strcmp(want, got) != 0)
		print_error("format \"%s\": libc \"%s\" (%d), hv \"%s\" (%d)\n", c->fmt, want, wn,
			    got, gn);
	assert_int_equal(gn, wn);
	assert_string_equal(got, want);
}

static void test_format_table_matches_libc(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		check_case(&table[i]);
}

/* Every truncation size gives libc's bytes, the full length as result, a
 * NUL at the end, and no write past `size`. */
static void test_format_truncation_at_every_size_matches_libc(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		const struct fmt_case *c = &table[i];
		char full[512];
		int len = call(snprintf, full, sizeof(full), c);

		for (size_t size = 0; size <= (size_t)len + 1; size++) {
			char want[520], got[520];
			memset(want, '#', sizeof(want));
			memset(got, '#', sizeof(got));
			assert_int_equal(call(snprintf, want, size, c), len);
			assert_int_equal(call(hv_snprintf, got, size, c), len);
			assert_memory_equal(got, want, sizeof(got));
			if (size > 0)
				assert_int_equal(got[MIN(size - 1, (size_t)len)], '\0');
			assert_int_equal(got[size], '#');
		}
	}
}

static void test_format_size_zero_writes_nothing_and_returns_full_length(void **state)
{
	char buf[4] = "abc";

	assert_int_equal(hv_snprintf(buf, 0, "%d-%s", 12345, "xyz"), 9);
	assert_string_equal(buf, "abc");
	assert_int_equal(hv_snprintf(NULL, 0, "%llu", (unsigned long long)UINT64_MAX), 20);
	assert_int_equal(hv_snprintf(buf, 1, "hello"), 5);
	assert_string_equal(buf, "");
}

/* Flags x width x precision x conversion x value, all compared with libc. */
static void test_format_flag_width_precision_combinations_match_libc(void **state)
{
	static const char *flag_sets[] = { "", "-", "0", "+", " ", "#", "-0", "+0", " 0", "#0",
					   "-+", "- #", "+ ", "#-", "-+ #0" };
	static const char *widths[] = { "", "1", "5", "24" };
	static const char *precs[] = { "", ".", ".0", ".1", ".5", ".23" };
	static const char *convs[] = { "lld", "lli", "llu", "llx", "llX", "llo" };
	static const long long values[] = { 0, 1, -1, 7, -42, 255, 4096, 1234567890123LL,
					    INT64_MIN, INT64_MAX, INT32_MIN };
	int checked = 0;

	for (size_t f = 0; f < ARRAY_SIZE(flag_sets); f++)
		for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
			for (size_t p = 0; p < ARRAY_SIZE(precs); p++)
				for (size_t c = 0; c < ARRAY_SIZE(convs); c++)
					for (size_t v = 0; v < ARRAY_SIZE(values); v++) {
						char fmt[32];
						snprintf(fmt, sizeof(fmt), "[%%%s%s%s%s]", flag_sets[f],
							 widths[w], precs[p], convs[c]);
						struct fmt_case k = { fmt, K_LLONG, values[v], 0, NULL, 0, 0 };
						check_case(&k);
						checked++;
					}
	/* The same for %s and %c (libc ignores '0', '+', ' ' and '#' there). */
	for (size_t f = 0; f < ARRAY_SIZE(flag_sets); f++)
		for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
			for (size_t p = 0; p < ARRAY_SIZE(precs); p++) {
				char fmt[32];
				snprintf(fmt, sizeof(fmt), "[%%%s%s%ss]", flag_sets[f], widths[w],
					 precs[p]);
				struct fmt_case s = { fmt, K_STR, 0, 0, "string", 0, 0 };
				check_case(&s);
				snprintf(fmt, sizeof(fmt), "[%%%s%sc]", flag_sets[f], widths[w]);
				struct fmt_case ch = { fmt, K_INT, 'q', 0, NULL, 0, 0 };
				check_case(&ch);
				checked += 2;
			}
	assert_true(checked > 20000);
}

static void test_format_pointer_prints_0x_and_16_hex_digits(void **state)
{
	char buf[64];

	assert_int_equal(hv_snprintf(buf, sizeof(buf), "%p", (void *)0x1234abcdULL), 18);
	assert_string_equal(buf, "0x000000001234abcd");
	hv_snprintf(buf, sizeof(buf), "%p", (void *)NULL);
	assert_string_equal(buf, "0x0000000000000000");
	hv_snprintf(buf, sizeof(buf), "%p", (void *)UINTPTR_MAX);
	assert_string_equal(buf, "0xffffffffffffffff");
	hv_snprintf(buf, sizeof(buf), "[%20p]", (void *)0xffULL);
	assert_string_equal(buf, "[  0x00000000000000ff]");
	hv_snprintf(buf, sizeof(buf), "[%-20p]", (void *)0xffULL);
	assert_string_equal(buf, "[0x00000000000000ff  ]");
}

static void test_format_null_string_prints_null_marker(void **state)
{
	char buf[32];
	const char *null = NULL;

	assert_int_equal(unchecked(buf, sizeof(buf), "[%s]", null), 8);
	assert_string_equal(buf, "[(null)]");
	unchecked(buf, sizeof(buf), "[%8s]", null);
	assert_string_equal(buf, "[  (null)]");
	unchecked(buf, sizeof(buf), "[%.6s]", null);
	assert_string_equal(buf, "[(null)]");
	/* Too short a precision for the marker prints nothing, as glibc does. */
	unchecked(buf, sizeof(buf), "[%.3s]", null);
	assert_string_equal(buf, "[]");
}

static void test_format_string_precision_reads_no_further_than_precision(void **state)
{
	char buf[16];
	const char unterminated[3] = { 'a', 'b', 'c' }; /* ASan checks the reads */

	assert_int_equal(hv_snprintf(buf, sizeof(buf), "%.3s", unterminated), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(hv_snprintf(buf, sizeof(buf), "%.*s", 2, unterminated), 2);
	assert_string_equal(buf, "ab");
}

static void test_format_unsupported_conversions_print_literally_and_consume_nothing(void **state)
{
	/* Through a variable, so the compiler does not check these formats. */
	static const struct {
		const char *fmt, *want;
	} cases[] = {
		{ "%f|%d", "%f|7" },
		{ "%5.2f|%d", "%5.2f|7" },
		{ "%e %g %a|%d", "%e %g %a|7" },
		{ "%n|%d", "%n|7" },
		{ "%ls|%lc|%d", "%ls|%lc|7" },
		{ "%Lf|%d", "%Lf|7" },
		{ "%*.*f|%d", "%*.*f|7" },
		{ "%q%d", "%q7" },
		{ "%d|trailing %", "7|trailing %" },
		{ "%d|%-08", "7|%-08" },
		{ "%d|%ll", "7|%ll" },
	};
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *fmt = cases[i].fmt;
		int n = unchecked(buf, sizeof(buf), fmt, 7);
		assert_string_equal(buf, cases[i].want);
		assert_int_equal(n, (int)strlen(cases[i].want));
	}
}

static void test_format_width_beyond_int_max_prints_literally(void **state)
{
	char buf[64];
	const char *fmt = "%99999999999d|%.99999999999d|%d";

	unchecked(buf, sizeof(buf), fmt, 5);
	assert_string_equal(buf, "%99999999999d|%.99999999999d|5");
}

static void test_format_huge_width_counts_but_stays_in_buffer(void **state)
{
	char buf[16];

	memset(buf, '#', sizeof(buf));
	assert_int_equal(hv_snprintf(buf, 8, "%100000d", 42), 100000);
	assert_string_equal(buf, "       ");
	assert_int_equal(buf[8], '#');
	assert_int_equal(hv_snprintf(buf, 8, "%-100000s|", "ab"), 100001);
	assert_string_equal(buf, "ab     ");
}

static void test_format_output_longer_than_int_max_returns_minus_one(void **state)
{
	char buf[8];

	assert_int_equal(unchecked(buf, sizeof(buf), "%2147483647d%d", 1, 2), -1);
	assert_int_equal(buf[sizeof(buf) - 1], '\0');
	assert_int_equal(hv_snprintf(buf, sizeof(buf), "%2147483646d%d", 1, 2), INT_MAX);
}

static void test_format_vsnprintf_takes_caller_va_list(void **state)
{
	char buf[64];

	assert_int_equal(unchecked(buf, sizeof(buf), "%s=%d,%llx", "a", -3, 0xffULL), 7);
	assert_string_equal(buf, "a=-3,ff");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_table_matches_libc),
		cmocka_unit_test(test_format_truncation_at_every_size_matches_libc),
		cmocka_unit_test(test_format_size_zero_writes_nothing_and_returns_full_length),
		cmocka_unit_test(test_format_flag_width_precision_combinations_match_libc),
		cmocka_unit_test(test_format_pointer_prints_0x_and_16_hex_digits),
		cmocka_unit_test(test_format_null_string_prints_null_marker),
		cmocka_unit_test(test_format_string_precision_reads_no_further_than_precision),
		cmocka_unit_test(test_format_unsupported_conversions_print_literally_and_consume_nothing),
		cmocka_unit_test(test_format_width_beyond_int_max_prints_literally),
		cmocka_unit_test(test_format_huge_width_counts_but_stays_in_buffer),
		cmocka_unit_test(test_format_output_longer_than_int_max_returns_minus_one),
		cmocka_unit_test(test_format_vsnprintf_takes_caller_va_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
