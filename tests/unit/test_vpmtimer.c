/* Unit tests for the ACPI PM timer model (hv/vpmtimer.c): the counter a
 * guest reads at each instant of a fake clock, its wrap, and partial reads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/vpmtimer.h"
#include "test_log.h"

#define PORT 0x608 /* QEMU q35's PM_TMR_BLK */

static uint64_t now;
static struct vpmtimer pm;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return now;
}

static const struct vclock clk = { fake_now, NULL };

static uint64_t rd(uint64_t port, uint32_t len)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(pm.dev.ops->read(&pm.dev, port, len, &v), 0);
	return v;
}

static int setup(void **state)
{
	(void)state;
	now = 0;
	test_log_reset();
	vpmtimer_init(&pm, &clk, PORT, false);
	return 0;
}

static void test_pmtimer_reads_0_at_vm_start(void **state)
{
	(void)state;
	assert_int_equal(rd(PORT, 4), 0);
	assert_int_equal(vpmtimer_read(&pm), 0);
}

static void test_pmtimer_counts_3579545_ticks_a_second(void **state)
{
	(void)state;
	now = 279; /* one tick is 279.365 ns */
	assert_int_equal(rd(PORT, 4), 0);
	now = 280;
	assert_int_equal(rd(PORT, 4), 1);
	now = 1000000; /* 1 ms */
	assert_int_equal(rd(PORT, 4), 3579);
	now = 1000000000;
	assert_int_equal(rd(PORT, 4), 3579545);
	now = 1234567890123ULL;
	assert_int_equal(rd(PORT, 4), 0x7678216 & 0xffffff);
}

static void test_pmtimer_24_bit_counter_wraps_at_2_pow_24(void **state)
{
	(void)state;
	now = 4686968875ULL - 1; /* the ns before tick 2^24 */
	assert_int_equal(rd(PORT, 4), 0xffffff);
	now++;
	assert_int_equal(rd(PORT, 4), 0);
	now = 1000000000123456789ULL; /* 31 years */
	assert_int_equal(rd(PORT, 4), 0x35783f);
}

static void test_pmtimer_32_bit_counter_wraps_at_2_pow_32(void **state)
{
	(void)state;
	vpmtimer_init(&pm, &clk, PORT, true);
	now = 4686968875ULL;
	assert_int_equal(rd(PORT, 4), 0x1000000);
	now = 1199864031882ULL - 1;
	assert_int_equal(rd(PORT, 4), 0xffffffff);
	now++;
	assert_int_equal(rd(PORT, 4), 0);
	now = 1000000000123456789ULL;
	assert_int_equal(rd(PORT, 4), 0xc435783f);
}

static void test_pmtimer_byte_and_word_reads_return_those_bytes(void **state)
{
	(void)state;
	vpmtimer_init(&pm, &clk, PORT, true);
	now = 1000000000123456789ULL; /* 0xc435783f */
	assert_int_equal(rd(PORT, 1), 0x3f);
	assert_int_equal(rd(PORT + 1, 1), 0x78);
	assert_int_equal(rd(PORT + 2, 1), 0x35);
	assert_int_equal(rd(PORT + 3, 1), 0xc4);
	assert_int_equal(rd(PORT, 2), 0x783f);
	assert_int_equal(rd(PORT + 2, 2), 0xc435);
	assert_int_equal(rd(PORT + 1, 2), 0x3578);
	assert_int_equal(rd(PORT + 2, 4), 0xffffc435); /* beyond the register: floating */
}

static void test_pmtimer_writes_are_ignored(void **state)
{
	(void)state;
	now = 1000000000;
	assert_int_equal(pm.dev.ops->write(&pm.dev, PORT, 4, 0), 0);
	assert_int_equal(pm.dev.ops->write(&pm.dev, PORT + 1, 1, 0xff), 0);
	assert_int_equal(rd(PORT, 4), 3579545);
}

static void test_pmtimer_is_reached_through_the_io_bus(void **state)
{
	(void)state;
	struct io_bus bus = { 0 };
	uint64_t v;

	assert_int_equal(vpmtimer_register(&pm, &bus), 0);
	now = 1000000000;
	assert_int_equal(io_bus_read(&bus, PORT, 4, &v), 0);
	assert_int_equal(v, 3579545);
	assert_int_equal(io_bus_read(&bus, PORT + 3, 1, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(io_bus_read(&bus, PORT + 2, 4, &v), -ENODEV);
	assert_int_equal(vpmtimer_register(&pm, &bus), -EEXIST);
	assert_true(test_log_contains("pmtimer: cannot claim ports 0x608-0x60b: error -17"));
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pmtimer_reads_0_at_vm_start),
		T(test_pmtimer_counts_3579545_ticks_a_second),
		T(test_pmtimer_24_bit_counter_wraps_at_2_pow_24),
		T(test_pmtimer_32_bit_counter_wraps_at_2_pow_32),
		T(test_pmtimer_byte_and_word_reads_return_those_bytes),
		T(test_pmtimer_writes_are_ignored),
		T(test_pmtimer_is_reached_through_the_io_bus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
