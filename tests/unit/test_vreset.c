/* Unit tests for the reset and miscellaneous ports (hv/vreset.c): 0xCF9,
 * port 0x92, the i8042's reset paths, the POST code port; and 0xCF9
 * reached through the PCI host bridge's port range (hv/vpci.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/iobus.h"
#include "hv/vpci.h"
#include "hv/vreset.h"
#include "test_log.h"

static struct vreset r;
static struct {
	int calls;
	const char *reason;
} req;

static void reset_request(void *ctx, const char *reason)
{
	assert_ptr_equal(ctx, &req);
	req.calls++;
	req.reason = reason;
}

static int setup(void **state)
{
	(void)state;
	memset(&req, 0, sizeof(req));
	struct vreset_config c = { .reset_request = reset_request, .ctx = &req };

	assert_int_equal(vreset_init(&r, &c), 0);
	return 0;
}

static uint8_t in(uint16_t port)
{
	uint64_t v = 0x5555;

	assert_int_equal(vreset_read(&r, port, 1, &v), 0);
	assert_true(v <= 0xFF);
	return (uint8_t)v;
}

static void out(uint16_t port, uint8_t v)
{
	assert_int_equal(vreset_write(&r, port, 1, v), 0);
}

static void assert_one_request(const char *reason)
{
	assert_int_equal(req.calls, 1);
	assert_string_equal(req.reason, reason);
	assert_int_equal(r.requests, 1);
}

/* --- power-on state ---------------------------------------------------- */

static void test_reset_ports_have_power_on_values(void **state)
{
	assert_int_equal(in(VRESET_PORT_RST_CNT), 0x00);
	assert_int_equal(in(VRESET_PORT_SYSCTL_A), 0x02); /* A20 on */
	assert_int_equal(in(VRESET_PORT_KBC_CMD), 0x1C);
	assert_int_equal(in(VRESET_PORT_KBC_DATA), 0x00);
	assert_int_equal(in(VRESET_PORT_POST), 0x00);
	assert_true(vreset_a20_enabled(&r));
	assert_int_equal(req.calls, 0);
}

static void test_reset_other_ports_read_all_ones_and_ignore_writes(void **state)
{
	uint64_t v;

	out(0x61, 0x00);
	out(0xCF8, 0x06);
	out(0xCFA, 0x06);
	assert_int_equal(in(0x61), 0xFF);
	assert_int_equal(in(0xCF8), 0xFF);
	assert_int_equal(req.calls, 0);
	assert_int_equal(vreset_read(&r, 0x92, 0, &v), -EINVAL);
	assert_int_equal(vreset_write(&r, 0x92, 9, 0x01), -EINVAL);
	assert_int_equal(req.calls, 0);
}

/* --- 0xCF9 ------------------------------------------------------------- */

static void test_reset_cf9_write_06_requests_one_hard_reset(void **state)
{
	out(VRESET_PORT_RST_CNT, 0x06);
	assert_one_request(VRESET_REASON_CF9_HARD);
	assert_string_equal(req.reason, "CF9 hard reset");
}

static void test_reset_cf9_write_0e_requests_one_full_reset(void **state)
{
	out(VRESET_PORT_RST_CNT, 0x0E);
	assert_one_request(VRESET_REASON_CF9_FULL);
}

static void test_reset_cf9_write_04_requests_one_soft_reset(void **state)
{
	out(VRESET_PORT_RST_CNT, 0x04);
	assert_one_request(VRESET_REASON_CF9_SOFT);
}

static void test_reset_cf9_write_02_selects_hard_reset_without_resetting(void **state)
{
	/* Linux's reboot=pci: 0x02 first, then 0x06. */
	out(VRESET_PORT_RST_CNT, 0x02);
	assert_int_equal(req.calls, 0);
	assert_int_equal(in(VRESET_PORT_RST_CNT), 0x02);
	out(VRESET_PORT_RST_CNT, 0x06);
	assert_one_request(VRESET_REASON_CF9_HARD);
	/* RST_CPU reads 0: the reset it started is over for the guest. */
	assert_int_equal(in(VRESET_PORT_RST_CNT), 0x02);
}

static void test_reset_cf9_each_write_with_rst_cpu_resets_again(void **state)
{
	out(VRESET_PORT_RST_CNT, 0x06);
	out(VRESET_PORT_RST_CNT, 0x06);
	assert_int_equal(req.calls, 2);
}

static void test_reset_cf9_reserved_bits_read_zero(void **state)
{
	out(VRESET_PORT_RST_CNT, 0xFA);
	assert_int_equal(req.calls, 0);
	assert_int_equal(in(VRESET_PORT_RST_CNT), 0x0A);
}

/* --- port 0x92 --------------------------------------------------------- */

static void test_reset_port92_rising_edge_of_bit0_requests_one_reset(void **state)
{
	out(VRESET_PORT_SYSCTL_A, 0x03);
	assert_one_request(VRESET_REASON_PORT92);
	assert_int_equal(in(VRESET_PORT_SYSCTL_A), 0x03);
	out(VRESET_PORT_SYSCTL_A, 0x03); /* no edge */
	assert_int_equal(req.calls, 1);
	out(VRESET_PORT_SYSCTL_A, 0x02);
	assert_int_equal(in(VRESET_PORT_SYSCTL_A), 0x02);
	assert_int_equal(req.calls, 1); /* a falling edge does nothing */
	out(VRESET_PORT_SYSCTL_A, 0x01);
	assert_int_equal(req.calls, 2);
}

static void test_reset_port92_a20_bit_reads_back(void **state)
{
	out(VRESET_PORT_SYSCTL_A, 0x00);
	assert_int_equal(in(VRESET_PORT_SYSCTL_A), 0x00);
	assert_int_equal(req.calls, 0);
	/* The keyboard controller's A20 line still holds the gate open. */
	assert_true(vreset_a20_enabled(&r));
	out(VRESET_PORT_KBC_CMD, VRESET_KBC_WRITE_OUTPUT);
	out(VRESET_PORT_KBC_DATA, VRESET_KBC_OUT_RESET);
	assert_false(vreset_a20_enabled(&r));
	out(VRESET_PORT_SYSCTL_A, 0x02);
	assert_true(vreset_a20_enabled(&r));
}

static void test_reset_port92_lock_bit_stays_set_until_platform_reset(void **state)
{
	out(VRESET_PORT_SYSCTL_A, 0x0A);
	out(VRESET_PORT_SYSCTL_A, 0x02);
	assert_int_equal(in(VRESET_PORT_SYSCTL_A), 0x0A);
	vreset_reset(&r);
	assert_int_equal(in(VRESET_PORT_SYSCTL_A), 0x02);
}

static void test_reset_port92_reserved_bits_read_zero(void **state)
{
	out(VRESET_PORT_SYSCTL_A, 0x36);
	assert_int_equal(in(VRESET_PORT_SYSCTL_A), 0x02);
	out(VRESET_PORT_SYSCTL_A, 0xC2);
	assert_int_equal(in(VRESET_PORT_SYSCTL_A), 0xC2);
}

/* --- i8042 ------------------------------------------------------------- */

static void test_reset_i8042_command_fe_requests_one_reset(void **state)
{
	out(VRESET_PORT_KBC_CMD, 0xFE);
	assert_one_request(VRESET_REASON_KBC_PULSE);
}

static void test_reset_i8042_pulse_commands_reset_only_when_they_pulse_bit0(void **state)
{
	out(VRESET_PORT_KBC_CMD, 0xFF); /* pulses nothing */
	out(VRESET_PORT_KBC_CMD, 0xFD); /* pulses bit 1 */
	out(VRESET_PORT_KBC_CMD, 0xF1);
	assert_int_equal(req.calls, 0);
	out(VRESET_PORT_KBC_CMD, 0xF0); /* pulses bits 3:0 */
	assert_one_request(VRESET_REASON_KBC_PULSE);
}

static void test_reset_i8042_unknown_commands_are_ignored(void **state)
{
	static const uint8_t cmds[] = { 0x20, 0x60, 0xA7, 0xAA, 0xAB, 0xAD,
					0xAE, 0xC0, 0xDD, 0xDF, 0xED, 0x00 };

	for (size_t i = 0; i < sizeof(cmds); i++) {
		out(VRESET_PORT_KBC_CMD, cmds[i]);
		assert_int_equal(in(VRESET_PORT_KBC_CMD), 0x1C);
		assert_int_equal(in(VRESET_PORT_KBC_DATA), 0x00);
	}
	assert_int_equal(req.calls, 0);
}

static void test_reset_i8042_status_command_flag_follows_last_write(void **state)
{
	out(VRESET_PORT_KBC_DATA, 0xF4); /* a keyboard command: nobody there */
	assert_int_equal(in(VRESET_PORT_KBC_CMD), 0x14);
	out(VRESET_PORT_KBC_CMD, 0xAE);
	assert_int_equal(in(VRESET_PORT_KBC_CMD), 0x1C);
	assert_int_equal(req.calls, 0);
}

static void test_reset_i8042_output_port_write_with_reset_low_requests_one_reset(void **state)
{
	out(VRESET_PORT_KBC_CMD, VRESET_KBC_WRITE_OUTPUT);
	assert_int_equal(req.calls, 0);
	out(VRESET_PORT_KBC_DATA, 0xFE);
	assert_one_request(VRESET_REASON_KBC_OUTPUT);
}

static void test_reset_i8042_output_port_write_sets_a20_without_reset(void **state)
{
	out(VRESET_PORT_SYSCTL_A, 0x00);
	/* Linux's real-mode A20 enabling: 0xD1, then 0xDF. */
	out(VRESET_PORT_KBC_CMD, VRESET_KBC_WRITE_OUTPUT);
	out(VRESET_PORT_KBC_DATA, 0xDD);
	assert_false(vreset_a20_enabled(&r));
	out(VRESET_PORT_KBC_CMD, VRESET_KBC_WRITE_OUTPUT);
	out(VRESET_PORT_KBC_DATA, 0xDF);
	assert_true(vreset_a20_enabled(&r));
	assert_int_equal(req.calls, 0);
}

static void test_reset_i8042_read_output_port_comes_through_data_port(void **state)
{
	out(VRESET_PORT_KBC_CMD, VRESET_KBC_READ_OUTPUT);
	assert_int_equal(in(VRESET_PORT_KBC_CMD), 0x1D); /* output buffer full */
	assert_int_equal(in(VRESET_PORT_KBC_DATA), VRESET_KBC_OUT_DEFAULT);
	assert_int_equal(in(VRESET_PORT_KBC_CMD), 0x1C);
	assert_int_equal(in(VRESET_PORT_KBC_DATA), 0x00);
	out(VRESET_PORT_KBC_CMD, VRESET_KBC_WRITE_OUTPUT);
	out(VRESET_PORT_KBC_DATA, 0xCF);
	out(VRESET_PORT_KBC_CMD, VRESET_KBC_READ_OUTPUT);
	assert_int_equal(in(VRESET_PORT_KBC_DATA), 0xCF);
}

static void test_reset_i8042_data_byte_without_output_write_command_is_ignored(void **state)
{
	out(VRESET_PORT_KBC_DATA, 0x00);
	assert_int_equal(req.calls, 0);
	out(VRESET_PORT_KBC_CMD, VRESET_KBC_WRITE_OUTPUT);
	out(VRESET_PORT_KBC_DATA, 0xDF);
	out(VRESET_PORT_KBC_DATA, 0x00); /* the command took only one byte */
	assert_int_equal(req.calls, 0);
}

static void test_reset_i8042_new_command_abandons_pending_output_write(void **state)
{
	out(VRESET_PORT_KBC_CMD, VRESET_KBC_WRITE_OUTPUT);
	out(VRESET_PORT_KBC_CMD, 0x20);
	out(VRESET_PORT_KBC_DATA, 0x00);
	assert_int_equal(req.calls, 0);
}

/* --- POST code, platform reset ----------------------------------------- */

static void test_reset_post_code_port_keeps_the_last_value(void **state)
{
	out(VRESET_PORT_POST, 0x12);
	out(VRESET_PORT_POST, 0x34);
	assert_int_equal(in(VRESET_PORT_POST), 0x34);
	assert_int_equal(vreset_post_code(&r), 0x34);
	assert_int_equal(req.calls, 0);
	vreset_reset(&r); /* what a POST card shows after a reset */
	assert_int_equal(in(VRESET_PORT_POST), 0x34);
}

static void test_reset_platform_reset_restores_power_on_values(void **state)
{
	out(VRESET_PORT_RST_CNT, 0x0E);
	out(VRESET_PORT_SYSCTL_A, 0x01);
	out(VRESET_PORT_KBC_CMD, VRESET_KBC_WRITE_OUTPUT);
	out(VRESET_PORT_KBC_DATA, 0x00);
	out(VRESET_PORT_KBC_CMD, VRESET_KBC_WRITE_OUTPUT);
	assert_int_equal(req.calls, 3);
	vreset_reset(&r);
	assert_int_equal(in(VRESET_PORT_RST_CNT), 0x00);
	assert_int_equal(in(VRESET_PORT_SYSCTL_A), 0x02);
	assert_int_equal(in(VRESET_PORT_KBC_CMD), 0x1C);
	out(VRESET_PORT_KBC_DATA, 0x00); /* the pending 0xD1 is gone */
	assert_int_equal(req.calls, 3);
	out(VRESET_PORT_KBC_CMD, VRESET_KBC_READ_OUTPUT);
	assert_int_equal(in(VRESET_PORT_KBC_DATA), VRESET_KBC_OUT_DEFAULT);
	/* Bit 0 low again after the reset: the next 0->1 resets again. */
	out(VRESET_PORT_SYSCTL_A, 0x03);
	assert_int_equal(req.calls, 4);
}

static void test_reset_each_path_calls_reset_request_exactly_once(void **state)
{
	static const struct {
		uint16_t port;
		uint8_t val;
		const char *reason;
	} paths[] = {
		{ VRESET_PORT_RST_CNT, 0x06, VRESET_REASON_CF9_HARD },
		{ VRESET_PORT_RST_CNT, 0x0E, VRESET_REASON_CF9_FULL },
		{ VRESET_PORT_RST_CNT, 0x04, VRESET_REASON_CF9_SOFT },
		{ VRESET_PORT_SYSCTL_A, 0x01, VRESET_REASON_PORT92 },
		{ VRESET_PORT_KBC_CMD, 0xFE, VRESET_REASON_KBC_PULSE },
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		setup(NULL);
		out(paths[i].port, paths[i].val);
		assert_one_request(paths[i].reason);
	}
	setup(NULL);
	out(VRESET_PORT_KBC_CMD, VRESET_KBC_WRITE_OUTPUT);
	out(VRESET_PORT_KBC_DATA, 0x02);
	assert_one_request(VRESET_REASON_KBC_OUTPUT);
}

static void test_reset_without_callback_still_counts_requests(void **state)
{
	assert_int_equal(vreset_init(&r, NULL), 0);
	out(VRESET_PORT_KBC_CMD, 0xFE);
	assert_int_equal(r.requests, 1);
	assert_int_equal(vreset_init(NULL, NULL), -EINVAL);
}

/* --- on the bus ------------------------------------------------------- */

static void test_reset_registered_on_bus_claims_exactly_its_ports(void **state)
{
	struct io_bus bus = { 0 };
	uint64_t v;

	assert_int_equal(vreset_register(&r, &bus), 0);
	assert_true(io_bus_claims(&bus, 0x60, 1));
	assert_true(io_bus_claims(&bus, 0x64, 1));
	assert_true(io_bus_claims(&bus, 0x80, 1));
	assert_true(io_bus_claims(&bus, 0x92, 1));
	/* 0x61 (port B) belongs to the PIT/speaker, 0xCF9 goes through vpci. */
	assert_false(io_bus_claims(&bus, 0x61, 1));
	assert_false(io_bus_claims(&bus, 0x63, 1));
	assert_false(io_bus_claims(&bus, 0xCF9, 1));
	assert_int_equal(io_bus_write(&bus, 0x64, 1, 0xFE), 0);
	assert_one_request(VRESET_REASON_KBC_PULSE);
	assert_int_equal(io_bus_read(&bus, 0x92, 1, &v), 0);
	assert_int_equal(v, 0x02);
}

static void test_reset_register_cf9_serves_a_board_without_pci(void **state)
{
	struct io_bus bus = { 0 };

	assert_int_equal(vreset_register_cf9(&r, &bus), 0);
	assert_int_equal(io_bus_write(&bus, 0xCF9, 1, 0x06), 0);
	assert_one_request(VRESET_REASON_CF9_HARD);
}

static void test_reset_register_failure_leaves_no_ranges_behind(void **state)
{
	static const struct io_device_ops none = { 0 };
	struct io_device other = { .ops = &none, .name = "other" };
	struct io_bus bus = { 0 };

	assert_int_equal(io_bus_register(&bus, 0x80, 1, &other), 0);
	assert_int_equal(vreset_register(&r, &bus), -EEXIST);
	assert_false(io_bus_claims(&bus, 0x60, 1));
	assert_false(io_bus_claims(&bus, 0x64, 1));
	assert_int_equal(bus.count, 1);
}

static void test_reset_cf9_reached_through_pci_host_bridge_ports(void **state)
{
	struct vpci pci;
	struct vpci_config pc = { .narrow = &r.dev };
	struct io_bus bus = { 0 };
	uint64_t v;

	assert_int_equal(vpci_init(&pci, &pc), 0);
	assert_int_equal(vpci_register(&pci, &bus), 0);
	assert_int_equal(vreset_register(&r, &bus), 0);
	/* Dword accesses to 0xCF8 are CONFIG_ADDRESS, never the reset. */
	assert_int_equal(io_bus_write(&bus, 0xCF8, 4, 0x80000000), 0);
	assert_int_equal(io_bus_read(&bus, 0xCFC, 4, &v), 0);
	assert_int_equal(v, 0x12378086);
	assert_int_equal(req.calls, 0);
	assert_int_equal(io_bus_write(&bus, 0xCF9, 1, 0x02), 0);
	assert_int_equal(io_bus_read(&bus, 0xCF9, 1, &v), 0);
	assert_int_equal(v, 0x02);
	assert_int_equal(req.calls, 0);
	assert_int_equal(io_bus_write(&bus, 0xCF9, 1, 0x06), 0);
	assert_one_request(VRESET_REASON_CF9_HARD);
	assert_int_equal(io_bus_read(&bus, 0xCF8, 4, &v), 0);
	assert_int_equal(v, 0x80000000);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reset_ports_have_power_on_values),
		T(test_reset_other_ports_read_all_ones_and_ignore_writes),
		T(test_reset_cf9_write_06_requests_one_hard_reset),
		T(test_reset_cf9_write_0e_requests_one_full_reset),
		T(test_reset_cf9_write_04_requests_one_soft_reset),
		T(test_reset_cf9_write_02_selects_hard_reset_without_resetting),
		T(test_reset_cf9_each_write_with_rst_cpu_resets_again),
		T(test_reset_cf9_reserved_bits_read_zero),
		T(test_reset_port92_rising_edge_of_bit0_requests_one_reset),
		T(test_reset_port92_a20_bit_reads_back),
		T(test_reset_port92_lock_bit_stays_set_until_platform_reset),
		T(test_reset_port92_reserved_bits_read_zero),
		T(test_reset_i8042_command_fe_requests_one_reset),
		T(test_reset_i8042_pulse_commands_reset_only_when_they_pulse_bit0),
		T(test_reset_i8042_unknown_commands_are_ignored),
		T(test_reset_i8042_status_command_flag_follows_last_write),
		T(test_reset_i8042_output_port_write_with_reset_low_requests_one_reset),
		T(test_reset_i8042_output_port_write_sets_a20_without_reset),
		T(test_reset_i8042_read_output_port_comes_through_data_port),
		T(test_reset_i8042_data_byte_without_output_write_command_is_ignored),
		T(test_reset_i8042_new_command_abandons_pending_output_write),
		T(test_reset_post_code_port_keeps_the_last_value),
		T(test_reset_platform_reset_restores_power_on_values),
		T(test_reset_each_path_calls_reset_request_exactly_once),
		T(test_reset_without_callback_still_counts_requests),
		T(test_reset_registered_on_bus_claims_exactly_its_ports),
		T(test_reset_register_cf9_serves_a_board_without_pci),
		T(test_reset_register_failure_leaves_no_ranges_behind),
		T(test_reset_cf9_reached_through_pci_host_bridge_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
