/* Unit tests for the fw_cfg model (hv/vfwcfg.c): the selector and data
 * port sequences firmware and kvm-unit-tests use (outw key to 0x510, inb
 * from 0x511), item contents, reads past the end, and odd accesses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/iobus.h"
#include "hv/vfwcfg.h"
#include "test_log.h"

#define BIG_RAM 0x0000000123456000ULL /* above 4 GiB: the upper half matters */
#define CPUS 6

static struct vfwcfg fw;
static struct io_bus bus;

static int setup(void **state)
{
	(void)state;
	test_log_reset();
	memset(&bus, 0, sizeof(bus));
	assert_int_equal(vfwcfg_init(&fw, BIG_RAM, CPUS), 0);
	assert_int_equal(vfwcfg_register(&fw, &bus), 0);
	return 0;
}

static void outw(uint16_t port, uint16_t v)
{
	assert_int_equal(io_bus_write(&bus, port, 2, v), 0);
}

static void outb(uint16_t port, uint8_t v)
{
	assert_int_equal(io_bus_write(&bus, port, 1, v), 0);
}

static uint8_t inb(uint16_t port)
{
	uint64_t v = 0x5555;

	assert_int_equal(io_bus_read(&bus, port, 1, &v), 0);
	assert_true(v <= 0xFF);
	return (uint8_t)v;
}

static void select_key(uint16_t key)
{
	outw(VFWCFG_PORT_SELECTOR, key);
}

/* What a guest's "read n bytes of item key" loop gets. */
static void read_item(uint16_t key, uint8_t *buf, size_t n)
{
	select_key(key);
	for (size_t i = 0; i < n; i++)
		buf[i] = inb(VFWCFG_PORT_DATA);
}

static uint64_t read_le(uint16_t key, size_t n)
{
	uint8_t b[8];
	uint64_t v = 0;

	read_item(key, b, n);
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static void test_fwcfg_signature_reads_QEMU(void **state)
{
	(void)state;
	uint8_t sig[4];

	read_item(VFWCFG_KEY_SIGNATURE, sig, sizeof(sig));
	assert_memory_equal(sig, "QEMU", 4);
}

static void test_fwcfg_signature_is_selected_at_power_on(void **state)
{
	(void)state;
	uint8_t sig[4];

	for (int i = 0; i < 4; i++)
		sig[i] = inb(VFWCFG_PORT_DATA);
	assert_memory_equal(sig, "QEMU", 4);
}

static void test_fwcfg_id_says_traditional_interface_without_dma(void **state)
{
	(void)state;
	assert_int_equal(read_le(VFWCFG_KEY_ID, 4), 1);
}

static void test_fwcfg_nb_cpus_reads_the_cpu_count(void **state)
{
	(void)state;
	assert_int_equal(read_le(VFWCFG_KEY_NB_CPUS, 2), CPUS);
	assert_int_equal(read_le(VFWCFG_KEY_MAX_CPUS, 2), CPUS);
}

static void test_fwcfg_nb_cpus_uses_both_bytes(void **state)
{
	(void)state;
	assert_int_equal(vfwcfg_init(&fw, BIG_RAM, 0x1234), 0);
	assert_int_equal(read_le(VFWCFG_KEY_NB_CPUS, 2), 0x1234);
}

static void test_fwcfg_ram_size_reads_64_bit_little_endian(void **state)
{
	(void)state;
	uint8_t b[8];
	const uint8_t want[8] = { 0x00, 0x60, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00 };

	read_item(VFWCFG_KEY_RAM_SIZE, b, sizeof(b));
	assert_memory_equal(b, want, 8);
	assert_int_equal(read_le(VFWCFG_KEY_RAM_SIZE, 8), BIG_RAM);
}

static void test_fwcfg_ram_size_uses_all_8_bytes(void **state)
{
	(void)state;
	assert_int_equal(vfwcfg_init(&fw, 0xFEDCBA9876543210ULL, CPUS), 0);
	assert_int_equal(read_le(VFWCFG_KEY_RAM_SIZE, 8), 0xFEDCBA9876543210ULL);
}

static void test_fwcfg_file_dir_holds_zero_files(void **state)
{
	(void)state;
	uint8_t b[8];
	const uint8_t zero[8] = { 0 };

	memset(b, 0xAA, sizeof(b));
	read_item(VFWCFG_KEY_FILE_DIR, b, sizeof(b)); /* count, then past the end */
	assert_memory_equal(b, zero, 8);
	assert_int_equal(fw.item_len, 4);
}

static void test_fwcfg_unknown_keys_read_zeros(void **state)
{
	(void)state;
	static const uint16_t keys[] = { 0x0002, 0x0004, 0x0010, 0x0020, 0x8000, 0x8003, 0xFFFF };

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		assert_int_equal(read_le(keys[k], 8), 0);
}

static void test_fwcfg_reads_past_the_end_return_0(void **state)
{
	(void)state;
	uint8_t b[12];
	const uint8_t want[12] = { 6, 0 };

	read_item(VFWCFG_KEY_NB_CPUS, b, sizeof(b));
	assert_memory_equal(b, want, sizeof(b));
	for (int i = 0; i < 300; i++) /* the offset must not wrap */
		assert_int_equal(inb(VFWCFG_PORT_DATA), 0);
}

static void test_fwcfg_reselecting_rewinds_the_item(void **state)
{
	(void)state;
	select_key(VFWCFG_KEY_SIGNATURE);
	assert_int_equal(inb(VFWCFG_PORT_DATA), 'Q');
	assert_int_equal(inb(VFWCFG_PORT_DATA), 'E');
	select_key(VFWCFG_KEY_SIGNATURE);
	assert_int_equal(inb(VFWCFG_PORT_DATA), 'Q');
	select_key(VFWCFG_KEY_NB_CPUS);
	assert_int_equal(inb(VFWCFG_PORT_DATA), CPUS);
	select_key(VFWCFG_KEY_SIGNATURE);
	assert_int_equal(inb(VFWCFG_PORT_DATA), 'Q');
}

static void test_fwcfg_write_channel_bit_reads_the_same_item(void **state)
{
	(void)state;
	assert_int_equal(read_le(VFWCFG_KEY_WRITE_CHANNEL | VFWCFG_KEY_NB_CPUS, 2), CPUS);
	/* Bit 15 is a different item space, empty here. */
	assert_int_equal(read_le(VFWCFG_KEY_ARCH_LOCAL | VFWCFG_KEY_NB_CPUS, 2), 0);
}

static void test_fwcfg_data_port_writes_are_ignored(void **state)
{
	(void)state;
	select_key(VFWCFG_KEY_SIGNATURE);
	outb(VFWCFG_PORT_DATA, 'X');
	assert_int_equal(inb(VFWCFG_PORT_DATA), 'Q');
	assert_int_equal(fw.selector, VFWCFG_KEY_SIGNATURE);
}

static void test_fwcfg_byte_writes_to_the_selector_are_ignored(void **state)
{
	(void)state;
	select_key(VFWCFG_KEY_NB_CPUS);
	outb(VFWCFG_PORT_SELECTOR, VFWCFG_KEY_SIGNATURE);
	assert_int_equal(inb(VFWCFG_PORT_DATA), CPUS); /* neither reselected nor rewound */
	assert_int_equal(fw.selector, VFWCFG_KEY_NB_CPUS);
}

static void test_fwcfg_other_reads_return_0_and_consume_nothing(void **state)
{
	(void)state;
	uint64_t v = 0x5555;

	select_key(VFWCFG_KEY_SIGNATURE);
	assert_int_equal(inb(VFWCFG_PORT_SELECTOR), 0);
	assert_int_equal(io_bus_read(&bus, VFWCFG_PORT_SELECTOR, 2, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(inb(VFWCFG_PORT_DATA), 'Q');
}

static void test_fwcfg_accesses_outside_its_ports_are_refused(void **state)
{
	(void)state;
	uint64_t v = 0;

	assert_int_equal(vfwcfg_read(&fw, 0x50F, 1, &v), -EINVAL);
	assert_int_equal(vfwcfg_read(&fw, 0x512, 1, &v), -EINVAL);
	assert_int_equal(vfwcfg_read(&fw, 0x511, 2, &v), -EINVAL);
	assert_int_equal(vfwcfg_write(&fw, 0x510, 4, 0), -EINVAL);
	assert_int_equal(vfwcfg_write(&fw, 0x510, 3, 0), -EINVAL);
	assert_int_equal(vfwcfg_write(&fw, 0x510, 0, 0), -EINVAL);
	/* The bus: nothing at the DMA port, nothing wider than the block. */
	assert_int_equal(io_bus_read(&bus, 0x514, 4, &v), -ENODEV);
	assert_int_equal(io_bus_write(&bus, 0x510, 4, 5), -ENODEV);
	assert_int_equal(fw.selector, VFWCFG_KEY_SIGNATURE);
}

static void test_fwcfg_reset_selects_the_signature(void **state)
{
	(void)state;
	select_key(VFWCFG_KEY_RAM_SIZE);
	assert_int_equal(inb(VFWCFG_PORT_DATA), 0x00);
	vfwcfg_reset(&fw);
	assert_int_equal(inb(VFWCFG_PORT_DATA), 'Q');
	assert_int_equal(read_le(VFWCFG_KEY_RAM_SIZE, 8), BIG_RAM); /* configuration kept */
}

static void test_fwcfg_zero_cpus_is_rejected(void **state)
{
	(void)state;
	struct vfwcfg other;

	assert_int_equal(vfwcfg_init(&other, BIG_RAM, 0), -EINVAL);
	assert_true(test_log_contains("fw_cfg: a VM needs at least one CPU"));
}

static void test_fwcfg_claiming_taken_ports_fails_with_a_message(void **state)
{
	(void)state;
	assert_int_equal(vfwcfg_register(&fw, &bus), -EEXIST);
	assert_true(test_log_contains("fw_cfg: cannot claim ports 0x510-0x511: error -17"));
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fwcfg_signature_reads_QEMU),
		T(test_fwcfg_signature_is_selected_at_power_on),
		T(test_fwcfg_id_says_traditional_interface_without_dma),
		T(test_fwcfg_nb_cpus_reads_the_cpu_count),
		T(test_fwcfg_nb_cpus_uses_both_bytes),
		T(test_fwcfg_ram_size_reads_64_bit_little_endian),
		T(test_fwcfg_ram_size_uses_all_8_bytes),
		T(test_fwcfg_file_dir_holds_zero_files),
		T(test_fwcfg_unknown_keys_read_zeros),
		T(test_fwcfg_reads_past_the_end_return_0),
		T(test_fwcfg_reselecting_rewinds_the_item),
		T(test_fwcfg_write_channel_bit_reads_the_same_item),
		T(test_fwcfg_data_port_writes_are_ignored),
		T(test_fwcfg_byte_writes_to_the_selector_are_ignored),
		T(test_fwcfg_other_reads_return_0_and_consume_nothing),
		T(test_fwcfg_accesses_outside_its_ports_are_refused),
		T(test_fwcfg_reset_selects_the_signature),
		T(test_fwcfg_zero_cpus_is_rejected),
		T(test_fwcfg_claiming_taken_ports_fails_with_a_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
