/* Unit tests for PCI configuration mechanism #1 and the host bridge
 * (hv/vpci.c): what a guest reads and writes through ports 0xCF8-0xCFF. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/iobus.h"
#include "hv/vpci.h"
#include "test_log.h"

static struct vpci pci;

/* The host bridge's first 16 bytes, as the 440FX has them. */
static const uint8_t host_header[16] = {
	0x86, 0x80, 0x37, 0x12, /* vendor 8086, device 1237 */
	0x06, 0x00, 0x80, 0x02, /* command: memory, master; status: fast b2b, devsel medium */
	0x02, 0x00, 0x00, 0x06, /* revision 2, class 06/00/00 */
	0x00, 0x00, 0x00, 0x00, /* cache line, latency, header type 0, BIST */
};

/* A function that records the cycles it sees. */
static struct {
	uint32_t reads, writes;
	uint32_t offset, len, val;
} rec;

static uint32_t rec_read(void *ctx, uint32_t offset, uint32_t len)
{
	rec.reads++;
	rec.offset = offset;
	rec.len = len;
	return 0xA1B2C3D4u; /* more bytes than asked: the caller masks */
}

static void rec_write(void *ctx, uint32_t offset, uint32_t len, uint32_t val)
{
	rec.writes++;
	rec.offset = offset;
	rec.len = len;
	rec.val = val;
}

static const struct vpci_func_ops rec_ops = { .read = rec_read, .write = rec_write };

/* A stand-in for the device behind 0xCF8-0xCFB's narrow accesses. */
static struct {
	uint32_t reads, writes;
	uint64_t port[8], val[8];
	uint32_t len[8];
} nar;

static int nar_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	if (addr != 0xCF9)
		return -ENODEV;
	nar.reads++;
	*val = 0x0A;
	return 0;
}

static int nar_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	if (nar.writes < 8) {
		nar.port[nar.writes] = addr;
		nar.val[nar.writes] = val;
		nar.len[nar.writes] = len;
	}
	nar.writes++;
	return 0;
}

static const struct io_device_ops nar_ops = { .read = nar_read, .write = nar_write };
static struct io_device nar_dev = { .ops = &nar_ops, .name = "narrow" };

static int setup(void **state)
{
	(void)state;
	memset(&rec, 0, sizeof(rec));
	memset(&nar, 0, sizeof(nar));
	test_log_reset();
	assert_int_equal(vpci_init(&pci, NULL), 0);
	return 0;
}

static uint32_t addr(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t reg)
{
	return VPCI_ADDR_ENABLE | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 |
	       (reg & 0xFC);
}

static uint64_t in(uint16_t port, uint32_t len)
{
	uint64_t v = 0x5555;

	assert_int_equal(vpci_read(&pci, port, len, &v), 0);
	return v;
}

static void out(uint16_t port, uint32_t len, uint64_t v)
{
	assert_int_equal(vpci_write(&pci, port, len, v), 0);
}

/* A configuration read the way a guest does it: address, then data. */
static uint32_t cfg_read(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t off, uint32_t len)
{
	out(VPCI_CONFIG_ADDRESS, 4, addr(bus, dev, fn, off));
	return (uint32_t)in((uint16_t)(VPCI_CONFIG_DATA + (off & 3)), len);
}

static void cfg_write(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t off, uint32_t len, uint32_t v)
{
	out(VPCI_CONFIG_ADDRESS, 4, addr(bus, dev, fn, off));
	out((uint16_t)(VPCI_CONFIG_DATA + (off & 3)), len, v);
}

static uint32_t expected(const uint8_t *bytes, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)bytes[off + i] << (8 * i);
	return v;
}

/* --- the host bridge ------------------------------------------------- */

static void test_pci_host_bridge_header_reads_at_every_width_and_offset(void **state)
{
	for (uint32_t len = 1; len <= 4; len *= 2) {
		for (uint32_t off = 0; off < 16; off++) {
			if (off % 4 + len > 4)
				continue;
			assert_int_equal(cfg_read(0, 0, 0, off, len), expected(host_header, off, len));
		}
	}
	assert_int_equal(cfg_read(0, 0, 0, 0, 4), 0x12378086);
	assert_int_equal(cfg_read(0, 0, 0, 8, 4), 0x06000002);
}

static void test_pci_host_bridge_ids_and_class_ignore_writes(void **state)
{
	cfg_write(0, 0, 0, VPCI_VENDOR_ID, 4, 0);
	cfg_write(0, 0, 0, VPCI_REVISION_ID, 4, 0xFFFFFFFF);
	cfg_write(0, 0, 0, VPCI_HEADER_TYPE, 1, 0x80);
	cfg_write(0, 0, 0, VPCI_PROG_IF, 1, 0x01);
	assert_int_equal(cfg_read(0, 0, 0, 0, 4), 0x12378086);
	assert_int_equal(cfg_read(0, 0, 0, 8, 4), 0x06000002);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_HEADER_TYPE, 1), 0x00);
}

static void test_pci_host_bridge_command_keeps_memory_and_master_bits(void **state)
{
	cfg_write(0, 0, 0, VPCI_COMMAND, 2, 0xFFFF);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_COMMAND, 2), 0x0146);
	cfg_write(0, 0, 0, VPCI_COMMAND, 2, 0x0000);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_COMMAND, 2), 0x0006);
	/* A dword write to command/status changes only the command half. */
	cfg_write(0, 0, 0, VPCI_COMMAND, 4, 0xFFFF0040);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_COMMAND, 4), 0x02800046);
}

static void test_pci_host_bridge_status_ignores_writes(void **state)
{
	cfg_write(0, 0, 0, VPCI_STATUS, 2, 0xFFFF);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_STATUS, 2), 0x0280);
	cfg_write(0, 0, 0, VPCI_STATUS, 2, 0x0000);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_STATUS, 2), 0x0280);
}

static void test_pci_host_bridge_bars_read_zero_even_after_sizing(void **state)
{
	for (uint32_t off = VPCI_BAR0; off <= VPCI_BAR5; off += 4) {
		cfg_write(0, 0, 0, off, 4, 0xFFFFFFFF);
		assert_int_equal(cfg_read(0, 0, 0, off, 4), 0);
	}
	cfg_write(0, 0, 0, VPCI_ROM_ADDRESS, 4, 0xFFFFFFFF);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_ROM_ADDRESS, 4), 0);
}

static void test_pci_host_bridge_has_no_capabilities_or_interrupt(void **state)
{
	assert_int_equal(cfg_read(0, 0, 0, VPCI_CAPABILITY_LIST, 1), 0);
	cfg_write(0, 0, 0, VPCI_INTERRUPT_LINE, 1, 0x0B);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_INTERRUPT_LINE, 2), 0);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_SUBSYSTEM_VENDOR_ID, 4), 0);
}

static void test_pci_host_bridge_latency_timer_low_bits_are_fixed(void **state)
{
	cfg_write(0, 0, 0, VPCI_LATENCY_TIMER, 1, 0xFF);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_LATENCY_TIMER, 1), 0xF8);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_CACHE_LINE_SIZE, 4), 0x0000F800);
}

static void test_pci_host_bridge_chipset_registers_read_zero(void **state)
{
	for (uint32_t off = 0x40; off < 0x100; off += 4) {
		cfg_write(0, 0, 0, off, 4, 0xFFFFFFFF);
		assert_int_equal(cfg_read(0, 0, 0, off, 4), 0);
	}
}

static void test_pci_reset_restores_host_bridge_and_config_address(void **state)
{
	cfg_write(0, 0, 0, VPCI_COMMAND, 2, 0x0140);
	cfg_write(0, 0, 0, VPCI_LATENCY_TIMER, 1, 0x40);
	vpci_reset(&pci);
	assert_int_equal(in(VPCI_CONFIG_ADDRESS, 4), 0);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_COMMAND, 2), 0x0006);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_LATENCY_TIMER, 1), 0);
}

/* --- the mechanism --------------------------------------------------- */

static void test_pci_config_address_reads_back_with_reserved_bits_zero(void **state)
{
	assert_int_equal(in(VPCI_CONFIG_ADDRESS, 4), 0);
	out(VPCI_CONFIG_ADDRESS, 4, 0xFFFFFFFF);
	assert_int_equal(in(VPCI_CONFIG_ADDRESS, 4), 0x80FFFFFC);
	out(VPCI_CONFIG_ADDRESS, 4, 0x12345678);
	assert_int_equal(in(VPCI_CONFIG_ADDRESS, 4), 0x00345678);
}

static void test_pci_low_address_bits_do_not_move_the_register(void **state)
{
	out(VPCI_CONFIG_ADDRESS, 4, VPCI_ADDR_ENABLE | 0x0B); /* reg 8, bits 1:0 set */
	assert_int_equal(in(VPCI_CONFIG_DATA, 4), 0x06000002);
}

static void test_pci_enable_bit_clear_reads_all_ones_and_ignores_writes(void **state)
{
	out(VPCI_CONFIG_ADDRESS, 4, addr(0, 0, 0, 0) & ~VPCI_ADDR_ENABLE);
	assert_int_equal(in(VPCI_CONFIG_DATA, 4), 0xFFFFFFFF);
	assert_int_equal(in(VPCI_CONFIG_DATA + 2, 2), 0xFFFF);
	assert_int_equal(in(VPCI_CONFIG_DATA + 1, 1), 0xFF);
	out(VPCI_CONFIG_ADDRESS, 4, addr(0, 0, 0, VPCI_COMMAND) & ~VPCI_ADDR_ENABLE);
	out(VPCI_CONFIG_DATA, 2, 0x0140);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_COMMAND, 2), 0x0006);
}

static void test_pci_absent_functions_read_all_ones_at_every_width(void **state)
{
	for (uint8_t dev = 0; dev < 32; dev++) {
		for (uint8_t fn = 0; fn < 8; fn++) {
			if (!dev && !fn)
				continue;
			assert_int_equal(cfg_read(0, dev, fn, 0, 4), 0xFFFFFFFF);
			assert_int_equal(cfg_read(0, dev, fn, 2, 2), 0xFFFF);
			assert_int_equal(cfg_read(0, dev, fn, 3, 1), 0xFF);
		}
	}
	assert_int_equal(cfg_read(1, 0, 0, 0, 4), 0xFFFFFFFF);
	assert_int_equal(cfg_read(255, 31, 7, 0xFC, 4), 0xFFFFFFFF);
}

static void test_pci_writes_to_absent_functions_are_ignored(void **state)
{
	assert_int_equal(vpci_add_function(&pci, 0, 3, 0, &rec_ops, NULL), 0);
	cfg_write(0, 4, 0, VPCI_COMMAND, 2, 0x0007);
	cfg_write(0, 3, 1, VPCI_COMMAND, 2, 0x0007);
	cfg_write(1, 3, 0, VPCI_COMMAND, 2, 0x0007);
	assert_int_equal(rec.writes, 0);
	assert_int_equal(cfg_read(0, 0, 0, VPCI_COMMAND, 2), 0x0006);
}

static void test_pci_data_port_offset_selects_bytes_within_the_register(void **state)
{
	assert_int_equal(vpci_add_function(&pci, 0, 3, 0, &rec_ops, NULL), 0);
	cfg_write(0, 3, 0, 0x10, 4, 0xFFFFFFFF);
	assert_int_equal(rec.offset, 0x10);
	assert_int_equal(rec.len, 4);
	assert_int_equal(rec.val, 0xFFFFFFFF);
	out(VPCI_CONFIG_DATA + 2, 1, 0x1AB);
	assert_int_equal(rec.offset, 0x12);
	assert_int_equal(rec.len, 1);
	assert_int_equal(rec.val, 0xAB); /* only the byte the port carries */
	out(VPCI_CONFIG_DATA + 1, 2, 0xBEEF);
	assert_int_equal(rec.offset, 0x11);
	assert_int_equal(rec.len, 2);
	assert_int_equal(rec.val, 0xBEEF);
	/* A handler returning more bytes than asked is masked to the width. */
	assert_int_equal(in(VPCI_CONFIG_DATA + 3, 1), 0xD4);
	assert_int_equal(rec.offset, 0x13);
	assert_int_equal(in(VPCI_CONFIG_DATA + 2, 2), 0xC3D4);
}

static void test_pci_word_read_at_odd_port_spans_the_middle_bytes(void **state)
{
	out(VPCI_CONFIG_ADDRESS, 4, addr(0, 0, 0, 0));
	assert_int_equal(in(VPCI_CONFIG_DATA + 1, 2), 0x3780);
}

static void test_pci_bus_device_function_fields_select_the_function(void **state)
{
	assert_int_equal(vpci_add_function(&pci, 2, 5, 3, &rec_ops, NULL), 0);
	assert_int_equal(cfg_read(2, 5, 3, 0x20, 4), 0xA1B2C3D4);
	assert_int_equal(rec.offset, 0x20);
	assert_int_equal(cfg_read(0, 5, 3, 0x20, 4), 0xFFFFFFFF);
	assert_int_equal(cfg_read(2, 4, 3, 0x20, 4), 0xFFFFFFFF);
	assert_int_equal(cfg_read(2, 5, 2, 0x20, 4), 0xFFFFFFFF);
	assert_int_equal(rec.reads, 1);
}

static void test_pci_narrow_accesses_leave_config_address_alone(void **state)
{
	out(VPCI_CONFIG_ADDRESS, 4, 0x80001234 & VPCI_ADDR_MASK);
	out(VPCI_CONFIG_ADDRESS, 1, 0x56);
	out(VPCI_CONFIG_ADDRESS + 2, 2, 0x789A);
	out(VPCI_CONFIG_ADDRESS, 2, 0x0000);
	assert_int_equal(in(VPCI_CONFIG_ADDRESS, 4), 0x80001234);
	/* Nobody behind the narrow accesses: the bus floats high. */
	assert_int_equal(in(VPCI_CONFIG_ADDRESS, 1), 0xFF);
	assert_int_equal(in(VPCI_CONFIG_ADDRESS + 2, 2), 0xFFFF);
}

static void test_pci_narrow_accesses_reach_the_reset_control_device_byte_by_byte(void **state)
{
	struct vpci_config c = { .narrow = &nar_dev };

	assert_int_equal(vpci_init(&pci, &c), 0);
	out(0xCF9, 1, 0x06);
	assert_int_equal(nar.writes, 1);
	assert_int_equal(nar.port[0], 0xCF9);
	assert_int_equal(nar.val[0], 0x06);
	assert_int_equal(nar.len[0], 1);
	out(VPCI_CONFIG_ADDRESS, 2, 0x0E00);
	assert_int_equal(nar.writes, 3);
	assert_int_equal(nar.port[1], 0xCF8);
	assert_int_equal(nar.val[1], 0x00);
	assert_int_equal(nar.port[2], 0xCF9);
	assert_int_equal(nar.val[2], 0x0E);
	assert_int_equal(in(0xCF9, 1), 0x0A);
	assert_int_equal(in(VPCI_CONFIG_ADDRESS, 2), 0x0AFF); /* 0xCF8 refuses: ones */
	/* Dword accesses are CONFIG_ADDRESS's alone. */
	out(VPCI_CONFIG_ADDRESS, 4, 0x80000000);
	assert_int_equal(nar.writes, 3);
	assert_int_equal(in(VPCI_CONFIG_ADDRESS, 4), 0x80000000);
}

static void test_pci_unaligned_dword_is_split_between_narrow_io_and_data(void **state)
{
	out(VPCI_CONFIG_ADDRESS, 4, addr(0, 0, 0, 0));
	/* 0xCFA-0xCFB: ordinary I/O (nothing there); 0xCFC-0xCFD: vendor ID. */
	assert_int_equal(in(0xCFA, 4), 0x8086FFFF);
	assert_int_equal(in(0xCFB, 4), 0x378086FF);
}

static void test_pci_accesses_outside_the_eight_ports_are_refused(void **state)
{
	uint64_t v = 1;

	assert_int_equal(vpci_read(&pci, 0xCF7, 1, &v), -EINVAL);
	assert_int_equal(vpci_read(&pci, 0xD00, 1, &v), -EINVAL);
	assert_int_equal(vpci_read(&pci, 0xCFF, 2, &v), -EINVAL);
	assert_int_equal(vpci_read(&pci, 0xCFC, 3, &v), -EINVAL);
	assert_int_equal(vpci_write(&pci, 0xCFE, 4, 0), -EINVAL);
	assert_int_equal(v, 1);
}

static void test_pci_registered_on_bus_claims_cf8_to_cff(void **state)
{
	struct io_bus bus = { 0 };
	uint64_t v;

	assert_int_equal(vpci_register(&pci, &bus), 0);
	assert_int_equal(io_bus_write(&bus, VPCI_CONFIG_ADDRESS, 4, addr(0, 0, 0, 0)), 0);
	assert_int_equal(io_bus_read(&bus, VPCI_CONFIG_DATA + 2, 2, &v), 0);
	assert_int_equal(v, 0x1237);
	assert_false(io_bus_claims(&bus, 0xD00, 1));
	assert_false(io_bus_claims(&bus, 0xCF7, 1));
}

/* --- registration ---------------------------------------------------- */

static void test_pci_added_function_is_reachable_until_removed(void **state)
{
	assert_int_equal(vpci_add_function(&pci, 0, 1, 0, &rec_ops, NULL), 0);
	assert_int_equal(cfg_read(0, 1, 0, 0, 4), 0xA1B2C3D4);
	assert_int_equal(vpci_remove_function(&pci, 0, 1, 0), 0);
	assert_int_equal(cfg_read(0, 1, 0, 0, 4), 0xFFFFFFFF);
	assert_int_equal(vpci_remove_function(&pci, 0, 1, 0), -ENOENT);
	assert_int_equal(vpci_remove_function(&pci, 0, 32, 0), -ENOENT);
	/* The host bridge is unaffected. */
	assert_int_equal(cfg_read(0, 0, 0, 0, 4), 0x12378086);
}

static void test_pci_add_function_rejects_taken_address(void **state)
{
	assert_int_equal(vpci_add_function(&pci, 0, 0, 0, &rec_ops, NULL), -EEXIST);
	assert_true(test_log_contains("vpci: 00:00.0 is already taken"));
	assert_int_equal(cfg_read(0, 0, 0, 0, 4), 0x12378086);
}

static void test_pci_add_function_rejects_bad_address_and_missing_ops(void **state)
{
	static const struct vpci_func_ops no_read = { .write = rec_write };

	assert_int_equal(vpci_add_function(&pci, 0, 32, 0, &rec_ops, NULL), -EINVAL);
	assert_true(test_log_contains("vpci: cannot add 00:20.0: bad address or no read handler"));
	assert_int_equal(vpci_add_function(&pci, 0, 1, 8, &rec_ops, NULL), -EINVAL);
	assert_int_equal(vpci_add_function(&pci, 0, 1, 0, NULL, NULL), -EINVAL);
	assert_int_equal(vpci_add_function(&pci, 0, 1, 0, &no_read, NULL), -EINVAL);
}

static void test_pci_add_function_fails_when_table_is_full(void **state)
{
	uint32_t added = 0;

	for (uint8_t dev = 1; dev < 32 && added < VPCI_MAX_FUNCS - 1; dev++, added++)
		assert_int_equal(vpci_add_function(&pci, 0, dev, 0, &rec_ops, NULL), 0);
	assert_int_equal(vpci_add_function(&pci, 1, 0, 0, &rec_ops, NULL), -ENOSPC);
	assert_true(test_log_contains("vpci: no room for 01:00.0 (32 functions)"));
	assert_int_equal(cfg_read(1, 0, 0, 0, 4), 0xFFFFFFFF);
}

static void test_pci_function_without_write_handler_ignores_writes(void **state)
{
	static const struct vpci_func_ops ro = { .read = rec_read };

	assert_int_equal(vpci_add_function(&pci, 0, 2, 0, &ro, NULL), 0);
	cfg_write(0, 2, 0, 4, 2, 7);
	assert_int_equal(rec.writes, 0);
	assert_int_equal(cfg_read(0, 2, 0, 4, 2), 0xC3D4);
}

static void test_pci_direct_config_access_rejects_cycles_crossing_a_dword(void **state)
{
	assert_int_equal(vpci_config_read(&pci, 0, 0, 0, 0, 4), 0x12378086);
	assert_int_equal(vpci_config_read(&pci, 0, 0, 0, 3, 2), 0xFFFF);
	assert_int_equal(vpci_config_read(&pci, 0, 0, 0, 0x100, 1), 0xFF);
	assert_int_equal(vpci_config_read(&pci, 0, 0, 0, 0, 0), 0);
	assert_int_equal(vpci_config_read(&pci, 0, 32, 0, 0, 4), 0xFFFFFFFF);
	vpci_config_write(&pci, 0, 0, 0, 3, 2, 0xFFFF);
	vpci_config_write(&pci, 0, 0, 0, VPCI_COMMAND, 2, 0x0040);
	assert_int_equal(vpci_config_read(&pci, 0, 0, 0, VPCI_COMMAND, 2), 0x0046);
}

/* --- the configuration-space helper ---------------------------------- */

static void test_pci_cfgspace_applies_write_mask_and_write_one_to_clear(void **state)
{
	static struct vpci_cfgspace cs;

	memset(&cs, 0, sizeof(cs));
	vpci_cfgspace_set(&cs, 0x06, 2, 0xF910);
	vpci_cfgspace_set_w1cmask(&cs, 0x06, 2, 0xF900);
	vpci_cfgspace_set(&cs, 0x04, 2, 0x0002);
	vpci_cfgspace_set_wmask(&cs, 0x04, 2, 0x0007);
	/* One dword: command takes 0x5, status clears 0x8100 and keeps 0x0010. */
	vpci_cfgspace_write(&cs, 0x04, 4, 0x81000005);
	assert_int_equal(vpci_cfgspace_read(&cs, 0x04, 4), 0x78100005);
	vpci_cfgspace_write(&cs, 0x06, 2, 0x0010); /* 1s in non-w1c bits do nothing */
	assert_int_equal(vpci_cfgspace_read(&cs, 0x06, 2), 0x7810);
	assert_int_equal(vpci_cfgspace_read(&cs, 0xFE, 4), 0xFFFFFFFF);
	vpci_cfgspace_set(&cs, 0xFF, 2, 0x1234); /* ignored: past the end */
	assert_int_equal(vpci_cfgspace_read(&cs, 0xFF, 1), 0);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pci_host_bridge_header_reads_at_every_width_and_offset),
		T(test_pci_host_bridge_ids_and_class_ignore_writes),
		T(test_pci_host_bridge_command_keeps_memory_and_master_bits),
		T(test_pci_host_bridge_status_ignores_writes),
		T(test_pci_host_bridge_bars_read_zero_even_after_sizing),
		T(test_pci_host_bridge_has_no_capabilities_or_interrupt),
		T(test_pci_host_bridge_latency_timer_low_bits_are_fixed),
		T(test_pci_host_bridge_chipset_registers_read_zero),
		T(test_pci_reset_restores_host_bridge_and_config_address),
		T(test_pci_config_address_reads_back_with_reserved_bits_zero),
		T(test_pci_low_address_bits_do_not_move_the_register),
		T(test_pci_enable_bit_clear_reads_all_ones_and_ignores_writes),
		T(test_pci_absent_functions_read_all_ones_at_every_width),
		T(test_pci_writes_to_absent_functions_are_ignored),
		T(test_pci_data_port_offset_selects_bytes_within_the_register),
		T(test_pci_word_read_at_odd_port_spans_the_middle_bytes),
		T(test_pci_bus_device_function_fields_select_the_function),
		T(test_pci_narrow_accesses_leave_config_address_alone),
		T(test_pci_narrow_accesses_reach_the_reset_control_device_byte_by_byte),
		T(test_pci_unaligned_dword_is_split_between_narrow_io_and_data),
		T(test_pci_accesses_outside_the_eight_ports_are_refused),
		T(test_pci_registered_on_bus_claims_cf8_to_cff),
		T(test_pci_added_function_is_reachable_until_removed),
		T(test_pci_add_function_rejects_taken_address),
		T(test_pci_add_function_rejects_bad_address_and_missing_ops),
		T(test_pci_add_function_fails_when_table_is_full),
		T(test_pci_function_without_write_handler_ignores_writes),
		T(test_pci_direct_config_access_rejects_cycles_crossing_a_dword),
		T(test_pci_cfgspace_applies_write_mask_and_write_one_to_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
