/* The I/O bus (hv/iobus.c): range registration, dispatch, and the per-vCPU
 * lookup cache, which must answer exactly as a fresh search would. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/iobus.h"
#include "test_log.h"

static int rd(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	*val = addr;
	return 0;
}

static const struct io_device_ops ops = { rd, NULL };
static struct io_device a = { &ops, NULL, "a", 0 }, b = { &ops, NULL, "b", 0 }, c = { &ops, NULL, "c", 0 };
static struct io_bus bus;
static struct io_bus_cache cache;

static int setup(void **state)
{
	(void)state;
	memset(&bus, 0, sizeof(bus));
	memset(&cache, 0, sizeof(cache));
	assert_int_equal(io_bus_register(&bus, 0x100, 0x10, &a), 0);
	assert_int_equal(io_bus_register(&bus, 0x200, 0x10, &b), 0);
	return 0;
}

static struct io_device *dev_at(uint64_t addr, uint32_t len)
{
	const struct io_range *r = io_bus_find_cached(&bus, &cache, addr, len);

	return r ? r->dev : NULL;
}

static void test_one_cached_range_serves_every_register_of_a_device(void **state)
{
	(void)state;
	assert_ptr_equal(dev_at(0x100, 4), &a); /* an index register */
	assert_ptr_equal(dev_at(0x10C, 4), &a); /* its data register */
	assert_int_equal(cache.base, 0x100);
	assert_int_equal(cache.end, 0x110);
	assert_ptr_equal(dev_at(0x204, 4), &b);
	assert_ptr_equal(dev_at(0x100, 1), &a);
}

static void test_a_gap_is_cached_and_a_later_registration_shows(void **state)
{
	(void)state;
	assert_null(dev_at(0x150, 4));
	assert_int_equal(cache.base, 0x110); /* everything between the devices */
	assert_int_equal(cache.end, 0x200);
	assert_null(dev_at(0x1F8, 8));
	assert_ptr_equal(dev_at(0x1FC, 8), NULL); /* runs into b: unclaimed, not a gap hit */
	assert_int_equal(io_bus_register(&bus, 0x180, 0x10, &c), 0);
	assert_ptr_equal(dev_at(0x184, 4), &c);
	assert_null(dev_at(0x150, 4));
	assert_int_equal(cache.end, 0x180);
}

static void test_an_access_running_past_a_device_end_caches_no_gap(void **state)
{
	(void)state;
	assert_null(dev_at(0x10E, 4));
	assert_ptr_equal(dev_at(0x10C, 4), &a);
	assert_null(dev_at(0x10E, 4));
	assert_ptr_equal(dev_at(0x10E, 2), &a);
}

static void test_unregistering_drops_the_cached_range(void **state)
{
	(void)state;
	assert_ptr_equal(dev_at(0x100, 4), &a);
	assert_int_equal(io_bus_unregister(&bus, &a), 0);
	assert_null(dev_at(0x100, 4));
	assert_ptr_equal(dev_at(0x200, 4), &b);
}

static void test_gaps_below_the_first_and_above_the_last_device(void **state)
{
	(void)state;
	assert_null(dev_at(0, 1));
	assert_int_equal(cache.base, 0);
	assert_int_equal(cache.end, 0x100);
	assert_null(dev_at(0xFEC00000, 4));
	assert_int_equal(cache.base, 0x210);
	assert_ptr_equal(dev_at(0x100, 4), &a);
}

/* One cache through every address and size, in two orders: the same
 * answer as the search each time. */
static void test_cached_lookups_always_agree_with_the_search(void **state)
{
	static const uint32_t sizes[] = { 1, 2, 4, 8 };

	(void)state;
	assert_int_equal(io_bus_register(&bus, 0x110, 0x8, &c), 0); /* adjacent to a */
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t i = 0; i < 0x300; i++) {
			uint64_t addr = pass ? 0x2FF - i : (i * 37) % 0x300;

			for (unsigned s = 0; s < 4; s++)
				assert_ptr_equal(io_bus_find_cached(&bus, &cache, addr, sizes[s]),
						 io_bus_find(&bus, addr, sizes[s]));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup(name, setup)
		T(test_one_cached_range_serves_every_register_of_a_device),
		T(test_a_gap_is_cached_and_a_later_registration_shows),
		T(test_an_access_running_past_a_device_end_caches_no_gap),
		T(test_unregistering_drops_the_cached_range),
		T(test_gaps_below_the_first_and_above_the_last_device),
		T(test_cached_lookups_always_agree_with_the_search),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
