/* Unit tests for the pc-testdev model (hv/vtestdev.c): the scratch register
 * at every width and offset and through its byte view, the flush-page port,
 * the ISA IRQ line ports, and the 64 KiB memory window, driven through the
 * io buses as a guest's in/out and MMIO exits would. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/iobus.h"
#include "hv/vtestdev.h"
#include "test_log.h"

#define BASE VTESTDEV_MMIO_BASE
#define SIZE VTESTDEV_MMIO_SIZE

static struct vtestdev td;
static struct io_bus pio, mmio;

static struct {
	int calls;
	uint32_t line;
	int level;
} irq;

static struct {
	int calls;
	uint64_t gpa;
} flush;

static void set_irq(void *ctx, uint32_t line, int level)
{
	assert_ptr_equal(ctx, &td);
	irq.calls++;
	irq.line = line;
	irq.level = level;
}

static void flush_page(void *ctx, uint64_t gpa)
{
	assert_ptr_equal(ctx, &td);
	flush.calls++;
	flush.gpa = gpa;
}

static int setup(void **state)
{
	(void)state;
	struct vtestdev_config c = { .set_irq = set_irq, .flush_page = flush_page, .ctx = &td };

	test_log_reset();
	memset(&irq, 0, sizeof(irq));
	memset(&flush, 0, sizeof(flush));
	memset(&pio, 0, sizeof(pio));
	memset(&mmio, 0, sizeof(mmio));
	assert_int_equal(vtestdev_init(&td, &c), 0);
	assert_int_equal(vtestdev_register(&td, &pio, &mmio), 0);
	return 0;
}

static uint64_t in(uint16_t port, uint32_t len)
{
	uint64_t v = 0xdeadbeefcafeULL;

	assert_int_equal(io_bus_read(&pio, port, len, &v), 0);
	return v;
}

static void out(uint16_t port, uint32_t len, uint64_t v)
{
	assert_int_equal(io_bus_write(&pio, port, len, v), 0);
}

static uint64_t mem_rd(uint64_t gpa, uint32_t len)
{
	uint64_t v = 0xdeadbeefcafeULL;

	assert_int_equal(io_bus_read(&mmio, gpa, len, &v), 0);
	return v;
}

static void mem_wr(uint64_t gpa, uint32_t len, uint64_t v)
{
	assert_int_equal(io_bus_write(&mmio, gpa, len, v), 0);
}

static void test_testdev_scratch_reads_back_a_dword(void **state)
{
	(void)state;
	assert_int_equal(in(0xE0, 4), 0);
	out(0xE0, 4, 0x12345678);
	assert_int_equal(in(0xE0, 4), 0x12345678);
	assert_int_equal(td.scratch, 0x12345678);
}

static void test_testdev_scratch_byte_reads_at_each_offset(void **state)
{
	(void)state;
	out(0xE0, 4, 0x12345678);
	assert_int_equal(in(0xE0, 1), 0x78);
	assert_int_equal(in(0xE1, 1), 0x56);
	assert_int_equal(in(0xE2, 1), 0x34);
	assert_int_equal(in(0xE3, 1), 0x12);
}

static void test_testdev_scratch_word_reads_at_each_offset(void **state)
{
	(void)state;
	out(0xE0, 4, 0x12345678);
	assert_int_equal(in(0xE0, 2), 0x5678);
	assert_int_equal(in(0xE1, 2), 0x3456);
	assert_int_equal(in(0xE2, 2), 0x1234);
}

static void test_testdev_scratch_byte_write_changes_only_that_byte(void **state)
{
	(void)state;
	out(0xE0, 4, 0x12345678);
	out(0xE1, 1, 0xAB);
	assert_int_equal(in(0xE0, 4), 0x1234AB78);
	out(0xE3, 1, 0xCD);
	assert_int_equal(in(0xE0, 4), 0xCD34AB78);
	out(0xE0, 1, 0x0);
	out(0xE2, 1, 0xEF);
	assert_int_equal(in(0xE0, 4), 0xCDEFAB00);
}

static void test_testdev_scratch_word_write_changes_only_those_bytes(void **state)
{
	(void)state;
	out(0xE0, 4, 0x12345678);
	out(0xE2, 2, 0xBEEF);
	assert_int_equal(in(0xE0, 4), 0xBEEF5678);
	out(0xE1, 2, 0xCAFE);
	assert_int_equal(in(0xE0, 4), 0xBECAFE78);
	out(0xE0, 2, 0xFFFFAAAA); /* bits above the width are not written */
	assert_int_equal(in(0xE0, 4), 0xBECAAAAA);
}

static void test_testdev_byte_view_is_the_same_register(void **state)
{
	(void)state;
	out(0xE0, 4, 0x12345678);
	assert_int_equal(in(0xE8, 1), 0x78);
	assert_int_equal(in(0xE9, 1), 0x56);
	assert_int_equal(in(0xEA, 1), 0x34);
	assert_int_equal(in(0xEB, 1), 0x12);
	out(0xEA, 1, 0x99);
	assert_int_equal(in(0xE0, 4), 0x12995678);
	out(0xE8, 4, 0xA1B2C3D4); /* split into bytes: all four land */
	assert_int_equal(in(0xE0, 4), 0xA1B2C3D4);
	assert_int_equal(in(0xE8, 4), 0xA1B2C3D4);
	assert_int_equal(in(0xE9, 2), 0xB2C3);
}

static void test_testdev_flush_port_takes_a_dword_address(void **state)
{
	(void)state;
	out(0xE0, 4, 0x11223344);
	out(0xE4, 4, 0x00123ABC);
	assert_int_equal(flush.calls, 1);
	assert_int_equal(flush.gpa, 0x00123000);
	assert_int_equal(in(0xE0, 4), 0x11223344); /* not the scratch register */
	assert_int_equal(in(0xE4, 4), 0);
	out(0xE4, 1, 0xFF); /* QEMU accepts only dwords there */
	out(0xE4, 2, 0xFFFF);
	out(0xE6, 2, 0xFFFF);
	assert_int_equal(flush.calls, 1);
	assert_int_equal(in(0xE0, 4), 0x11223344);
}

static void test_testdev_flush_without_callback_is_accepted(void **state)
{
	(void)state;
	struct vtestdev_config c = { .set_irq = set_irq, .ctx = &td };

	assert_int_equal(vtestdev_init(&td, &c), 0);
	out(0xE4, 4, 0x1000);
	assert_int_equal(flush.calls, 0);
	assert_int_equal(in(0xE0, 4), 0);
}

static void test_testdev_access_across_scratch_and_flush_splits_by_port(void **state)
{
	(void)state;
	out(0xE0, 4, 0x12345678);
	assert_int_equal(in(0xE2, 4), 0x1234); /* bytes 2-3, then the write-only port */
	out(0xE3, 2, 0xAA55);                   /* byte 3 changes, the flush byte is dropped */
	assert_int_equal(in(0xE0, 4), 0x55345678);
	assert_int_equal(flush.calls, 0);
}

static void test_testdev_irq_port_write_sets_that_line(void **state)
{
	(void)state;
	out(0x2000 + 10, 1, 1);
	assert_int_equal(irq.calls, 1);
	assert_int_equal(irq.line, 10);
	assert_int_equal(irq.level, 1);
	out(0x2000 + 10, 1, 0);
	assert_int_equal(irq.calls, 2);
	assert_int_equal(irq.line, 10);
	assert_int_equal(irq.level, 0);
}

static void test_testdev_irq_any_nonzero_byte_is_high(void **state)
{
	(void)state;
	out(0x2000 + 23, 1, 0x80);
	assert_int_equal(irq.line, 23);
	assert_int_equal(irq.level, 1);
	out(0x2000, 1, 0xFF);
	assert_int_equal(irq.line, 0);
	assert_int_equal(irq.level, 1);
	out(0x2000 + 14, 1, 0x100); /* only the byte is written: 0 */
	assert_int_equal(irq.line, 14);
	assert_int_equal(irq.level, 0);
	assert_int_equal(irq.calls, 3);
}

static void test_testdev_irq_repeated_level_is_passed_on(void **state)
{
	(void)state;
	out(0x2000 + 4, 1, 1);
	out(0x2000 + 4, 1, 1);
	assert_int_equal(irq.calls, 2);
	assert_int_equal(irq.level, 1);
}

static void test_testdev_irq_ports_ignore_wide_writes_and_read_0(void **state)
{
	(void)state;
	uint64_t v;

	out(0x2000, 2, 0x0101);
	out(0x2004, 4, 0x01010101);
	assert_int_equal(irq.calls, 0);
	assert_int_equal(in(0x2000, 1), 0);
	assert_int_equal(in(0x2014, 4), 0);
	assert_int_equal(io_bus_write(&pio, 0x2000 + 24, 1, 1), -ENODEV);
	assert_int_equal(io_bus_read(&pio, 0x2016, 4, &v), -ENODEV);
	assert_int_equal(irq.calls, 0);
}

static void test_testdev_irq_without_callback_is_accepted(void **state)
{
	(void)state;
	assert_int_equal(vtestdev_init(&td, NULL), 0);
	out(0x2001, 1, 1);
	assert_int_equal(irq.calls, 0);
}

static void test_testdev_memory_starts_zeroed(void **state)
{
	(void)state;
	assert_int_equal(mem_rd(BASE, 8), 0);
	assert_int_equal(mem_rd(BASE + SIZE - 8, 8), 0);
}

static void test_testdev_memory_reads_back_at_each_width(void **state)
{
	(void)state;
	static const uint32_t widths[] = { 1, 2, 4, 8 };
	static const uint64_t offs[] = { 0, 1, 3, 0x7FF, 0x1000, SIZE - 8 };

	for (size_t w = 0; w < 4; w++) {
		for (size_t o = 0; o < sizeof(offs) / sizeof(offs[0]); o++) {
			uint32_t len = widths[w];
			uint64_t mask = len == 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
			uint64_t v = (0x0102030405060708ULL * (o + 1) + w) & mask;

			mem_wr(BASE + offs[o], len, v);
			assert_int_equal(mem_rd(BASE + offs[o], len), v);
		}
	}
}

static void test_testdev_memory_is_little_endian(void **state)
{
	(void)state;
	mem_wr(BASE + 0x100, 8, 0x8877665544332211ULL);
	assert_int_equal(mem_rd(BASE + 0x100, 1), 0x11);
	assert_int_equal(mem_rd(BASE + 0x107, 1), 0x88);
	assert_int_equal(mem_rd(BASE + 0x102, 2), 0x4433);
	assert_int_equal(mem_rd(BASE + 0x103, 4), 0x77665544);
	mem_wr(BASE + 0x104, 2, 0xBBAA);
	assert_int_equal(mem_rd(BASE + 0x100, 8), 0x8877BBAA44332211ULL);
	assert_int_equal(td.mem[0x104], 0xAA);
}

static void test_testdev_memory_last_byte_is_reachable(void **state)
{
	(void)state;
	mem_wr(BASE + SIZE - 1, 1, 0x5A);
	assert_int_equal(mem_rd(BASE + SIZE - 1, 1), 0x5A);
	mem_wr(BASE + SIZE - 4, 4, 0x01020304);
	assert_int_equal(mem_rd(BASE + SIZE - 2, 2), 0x0102);
}

static void test_testdev_memory_access_crossing_the_end_is_refused(void **state)
{
	(void)state;
	uint64_t v = 0;

	assert_int_equal(vtestdev_mmio_write(&td, BASE + SIZE - 7, 8, ~0ULL), -EINVAL);
	assert_int_equal(vtestdev_mmio_read(&td, BASE + SIZE - 1, 2, &v), -EINVAL);
	assert_int_equal(vtestdev_mmio_read(&td, BASE + SIZE, 1, &v), -EINVAL);
	assert_int_equal(vtestdev_mmio_read(&td, BASE - 1, 1, &v), -EINVAL);
	assert_int_equal(vtestdev_mmio_read(&td, BASE - 1, 2, &v), -EINVAL);
	assert_int_equal(vtestdev_mmio_read(&td, 0, 1, &v), -EINVAL);
	assert_int_equal(vtestdev_mmio_read(&td, UINT64_MAX, 8, &v), -EINVAL);
	assert_int_equal(io_bus_write(&mmio, BASE + SIZE - 4, 8, ~0ULL), -ENODEV);
	assert_int_equal(mem_rd(BASE + SIZE - 8, 8), 0); /* nothing was written */
}

static void test_testdev_memory_odd_widths_are_refused(void **state)
{
	(void)state;
	uint64_t v = 0;

	assert_int_equal(vtestdev_mmio_read(&td, BASE, 0, &v), -EINVAL);
	assert_int_equal(vtestdev_mmio_read(&td, BASE, 3, &v), -EINVAL);
	assert_int_equal(vtestdev_mmio_write(&td, BASE, 16, 1), -EINVAL);
	assert_int_equal(mem_rd(BASE, 8), 0);
}

static void test_testdev_ports_outside_its_windows_are_refused(void **state)
{
	(void)state;
	uint64_t v = 0;

	assert_int_equal(vtestdev_pio_read(&td, 0xDF, 1, &v), -EINVAL);
	assert_int_equal(vtestdev_pio_read(&td, 0xDF, 2, &v), -EINVAL);
	assert_int_equal(vtestdev_pio_write(&td, 0xEC, 1, 1), -EINVAL);
	assert_int_equal(vtestdev_pio_write(&td, 0xEA, 4, 1), -EINVAL);
	assert_int_equal(vtestdev_pio_write(&td, 0x1FFF, 1, 1), -EINVAL);
	assert_int_equal(vtestdev_pio_write(&td, 0x2017, 2, 1), -EINVAL);
	assert_int_equal(vtestdev_pio_write(&td, 0xE0, 3, 1), -EINVAL);
	assert_int_equal(vtestdev_pio_write(&td, 0xE0, 8, 1), -EINVAL);
	assert_int_equal(io_bus_read(&pio, 0xEA, 4, &v), -ENODEV);
	assert_int_equal(td.scratch, 0);
	assert_int_equal(irq.calls, 0);
}

static void test_testdev_registration_conflict_leaves_nothing_behind(void **state)
{
	(void)state;
	struct io_bus p = { 0 }, m = { 0 };
	struct io_device other = { .ops = td.mmio.ops };
	struct vtestdev *t2 = test_calloc(1, sizeof(*t2));

	assert_int_equal(io_bus_register(&m, BASE + 0x8000, 0x1000, &other), 0);
	assert_int_equal(vtestdev_init(t2, NULL), 0);
	assert_int_equal(vtestdev_register(t2, &p, &m), -EEXIST);
	assert_int_equal(p.count, 0);
	assert_int_equal(m.count, 1);
	assert_true(test_log_contains("pc-testdev: cannot claim ports 0xe0-0xeb, 0x2000-0x2017, "
				      "memory 0xff000000-0xff00ffff: error -17"));
	test_free(t2);
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_testdev_scratch_reads_back_a_dword),
		T(test_testdev_scratch_byte_reads_at_each_offset),
		T(test_testdev_scratch_word_reads_at_each_offset),
		T(test_testdev_scratch_byte_write_changes_only_that_byte),
		T(test_testdev_scratch_word_write_changes_only_those_bytes),
		T(test_testdev_byte_view_is_the_same_register),
		T(test_testdev_flush_port_takes_a_dword_address),
		T(test_testdev_flush_without_callback_is_accepted),
		T(test_testdev_access_across_scratch_and_flush_splits_by_port),
		T(test_testdev_irq_port_write_sets_that_line),
		T(test_testdev_irq_any_nonzero_byte_is_high),
		T(test_testdev_irq_repeated_level_is_passed_on),
		T(test_testdev_irq_ports_ignore_wide_writes_and_read_0),
		T(test_testdev_irq_without_callback_is_accepted),
		T(test_testdev_memory_starts_zeroed),
		T(test_testdev_memory_reads_back_at_each_width),
		T(test_testdev_memory_is_little_endian),
		T(test_testdev_memory_last_byte_is_reachable),
		T(test_testdev_memory_access_crossing_the_end_is_refused),
		T(test_testdev_memory_odd_widths_are_refused),
		T(test_testdev_ports_outside_its_windows_are_refused),
		T(test_testdev_registration_conflict_leaves_nothing_behind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
