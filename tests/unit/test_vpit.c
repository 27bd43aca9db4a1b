/* Unit tests for the 8254 PIT model (hv/vpit.c): what a guest reads from
 * ports 0x40-0x43 and 0x61, and when IRQ0 rises, against a fake clock.
 * Times are given in PIT clock pulses ("ticks", 1.193182 MHz); a count
 * written between pulse T and T+1 is loaded by pulse T+1. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/vpit.h"
#include "test_log.h"

#define HZ 1193182ULL
#define NONE DEADLINE_NONE

static uint64_t now;
static struct vpit pit;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return now;
}

static const struct vclock clk = { fake_now, NULL };

/* IRQ0 as the routing layer would see it. */
static struct {
	int level;
	int rises;
	int repeats; /* set() with the level already there: never expected */
	uint64_t last_rise;
} irq;

static void irq_set(void *ctx, uint32_t line, int level)
{
	(void)ctx;
	assert_int_equal(line, 0);
	if (level == irq.level)
		irq.repeats++;
	if (level && !irq.level) {
		irq.rises++;
		irq.last_rise = now;
	}
	irq.level = level;
}

static const struct irq_out irq0 = { irq_set, NULL, 0 };

/* First ns at which pulse t has happened. */
static uint64_t tns(uint64_t t)
{
	return (t * 1000000000ULL + HZ - 1) / HZ;
}

static void at(uint64_t tick)
{
	now = tns(tick);
}

static uint8_t in(uint16_t port)
{
	return vpit_inb(&pit, port);
}

static void out(uint16_t port, uint8_t v)
{
	vpit_outb(&pit, port, v);
}

static uint16_t read_word(unsigned int ch)
{
	uint16_t lo = in((uint16_t)(0x40 + ch));

	return (uint16_t)(lo | in((uint16_t)(0x40 + ch)) << 8);
}

/* Counter latch command, then LSB and MSB. */
static uint16_t latched(unsigned int ch)
{
	out(0x43, (uint8_t)(ch << 6));
	return read_word(ch);
}

static void program(unsigned int ch, unsigned int mode, uint16_t count)
{
	out(0x43, (uint8_t)(ch << 6 | 0x30 | mode << 1));
	out((uint16_t)(0x40 + ch), (uint8_t)count);
	out((uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

/* Read-back of one counter's status. */
static uint8_t status(unsigned int ch)
{
	out(0x43, (uint8_t)(0xe0 | 2u << ch));
	return in((uint16_t)(0x40 + ch));
}

static void poll_at(uint64_t ns)
{
	now = ns;
	vpit_poll(&pit, ns);
}

static bool out2(void)
{
	return in(0x61) & 0x20;
}

static void gate2(bool high)
{
	out(0x61, high ? 1 : 0);
}

static int setup(void **state)
{
	(void)state;
	now = 0;
	memset(&irq, 0, sizeof(irq));
	test_log_reset();
	vpit_init(&pit, &clk, &irq0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(irq.repeats, 0);
	return 0;
}

/* --- power-on state ---------------------------------------------------- */

static void test_pit_power_on_counters_run_mode_3_from_65536(void **state)
{
	(void)state;
	at(0);
	/* Loaded by pulse 1: null count until then. */
	assert_int_equal(status(0), 0x80 | 0x40 | 0x36);
	at(1);
	assert_int_equal(status(0), 0xb6); /* OUT high, LSB/MSB, mode 3, binary */
	assert_int_equal(status(1), 0xb6);
	assert_int_equal(latched(0), 0); /* 65536 */
	at(11);
	assert_int_equal(latched(0), 65536 - 20); /* mode 3 counts by two */
	assert_int_equal(latched(1), 65536 - 20);
}

static void test_pit_power_on_channel_2_waits_for_its_gate(void **state)
{
	(void)state;
	at(500);
	assert_int_equal(status(2), 0x80 | 0x40 | 0x36); /* count not loaded yet */
	assert_int_equal(in(0x61) & 0x21, 0x20);          /* gate low, OUT2 high */
	gate2(true);
	at(502);
	assert_int_equal(latched(2), 65534);
}

static void test_pit_power_on_irq0_rises_every_65536_ticks(void **state)
{
	(void)state;
	assert_int_equal(vpit_next_deadline(&pit), tns(1 + 65536));
	poll_at(tns(65537) - 1);
	assert_int_equal(irq.rises, 0);
	poll_at(tns(65537));
	assert_int_equal(irq.rises, 1);
	assert_int_equal(irq.level, 1);
	assert_int_equal(vpit_next_deadline(&pit), tns(1 + 2 * 65536));
	poll_at(tns(1 + 2 * 65536));
	assert_int_equal(irq.rises, 2);
}

static void test_pit_accesses_before_the_first_edge_leave_irq0_low(void **state)
{
	(void)state;
	at(100);
	in(0x40);
	in(0x61);
	out(0x43, 0x00);
	in(0x40);
	in(0x40);
	assert_int_equal(irq.rises, 0);
	assert_int_equal(irq.level, 0);
}

static void test_pit_control_port_reads_as_floating_bus(void **state)
{
	(void)state;
	assert_int_equal(in(0x43), 0xff);
	out(0x43, 0x34);
	assert_int_equal(in(0x43), 0xff);
}

/* --- port 0x61 --------------------------------------------------------- */

static void test_pit_port_b_low_bits_read_back_and_refresh_alternates(void **state)
{
	(void)state;
	out(0x61, 0xff);
	uint8_t a = in(0x61), b = in(0x61), c = in(0x61);

	assert_int_equal(a & 0x0f, 0x0f);
	assert_int_equal(a & 0xc0, 0);
	assert_int_equal((a ^ b) & 0x10, 0x10);
	assert_int_equal((b ^ c) & 0x10, 0x10);
	out(0x61, 0x0a);
	assert_int_equal(in(0x61) & 0x0f, 0x0a);
	out(0x61, 0xf0); /* bits 7:4 are not writable */
	assert_int_equal(in(0x61) & 0xcf, 0x00);
}

static void test_pit_port_b_bit5_follows_out2_not_writes(void **state)
{
	(void)state;
	out(0x43, 0xb0); /* channel 2, mode 0: OUT low */
	out(0x61, 0x20);
	assert_false(out2());
	assert_false(vpit_out(&pit, 2));
}

/* --- mode 0 ------------------------------------------------------------ */

static void test_pit_mode0_out_rises_n_plus_1_ticks_after_the_count(void **state)
{
	(void)state;
	at(100);
	program(0, 0, 100);
	assert_int_equal(status(0), 0x40 | 0x30); /* OUT low, null count */
	at(101);
	assert_int_equal(status(0), 0x30);
	assert_int_equal(latched(0), 100);
	at(151);
	assert_int_equal(latched(0), 50);
	at(200);
	assert_int_equal(latched(0), 1);
	assert_false(vpit_out(&pit, 0));
	at(201);
	assert_int_equal(latched(0), 0);
	assert_true(vpit_out(&pit, 0));
	at(202);
	assert_int_equal(latched(0), 0xffff); /* keeps counting, OUT stays high */
	assert_true(vpit_out(&pit, 0));
}

static void test_pit_mode0_irq0_rises_once_at_terminal_count(void **state)
{
	(void)state;
	at(100);
	program(0, 0, 100);
	assert_int_equal(vpit_next_deadline(&pit), tns(201));
	poll_at(tns(201) - 1);
	assert_int_equal(irq.rises, 0);
	poll_at(tns(201));
	assert_int_equal(irq.rises, 1);
	assert_int_equal(irq.last_rise, tns(201));
	assert_int_equal(vpit_next_deadline(&pit), NONE);
	poll_at(tns(201 + 200000));
	assert_int_equal(irq.rises, 1);
	assert_int_equal(irq.level, 1);
}

static void test_pit_mode0_new_count_lowers_out_and_restarts(void **state)
{
	(void)state;
	at(100);
	program(0, 0, 10);
	poll_at(tns(120));
	assert_int_equal(irq.level, 1);
	at(130);
	program(0, 0, 20);
	assert_int_equal(irq.level, 0); /* OUT went low with the new count */
	assert_int_equal(vpit_next_deadline(&pit), tns(151));
	poll_at(tns(151));
	assert_int_equal(irq.rises, 2);
}

static void test_pit_mode0_first_byte_stops_counting_and_lowers_out(void **state)
{
	(void)state;
	at(100);
	program(0, 0, 10);
	at(120);
	assert_true(vpit_out(&pit, 0));
	out(0x40, 50); /* LSB only */
	assert_false(vpit_out(&pit, 0));
	uint16_t held = latched(0);

	at(150);
	assert_int_equal(latched(0), held);
	assert_int_equal(vpit_next_deadline(&pit), NONE);
	out(0x40, 0); /* MSB: count 50 loaded by pulse 151 */
	at(151);
	assert_int_equal(latched(0), 50);
	assert_int_equal(vpit_next_deadline(&pit), tns(201));
}

static void test_pit_mode0_gate_low_pauses_the_count(void **state)
{
	(void)state;
	gate2(true);
	at(1000);
	program(2, 0, 100);
	at(1051);
	assert_int_equal(latched(2), 50);
	gate2(false);
	at(1100);
	assert_int_equal(latched(2), 50);
	assert_false(out2());
	gate2(true);
	at(1101);
	assert_int_equal(latched(2), 49);
	at(1149);
	assert_false(out2());
	at(1150);
	assert_true(out2());
}

static void test_pit_mode0_count_written_with_gate_low_waits_for_the_gate(void **state)
{
	(void)state;
	at(1000);
	program(2, 0, 10);
	at(2000);
	assert_int_equal(latched(2), 10); /* loaded, not counting */
	assert_false(out2());
	gate2(true);
	at(2009);
	assert_false(out2());
	at(2010);
	assert_true(out2()); /* N pulses after the gate rose */
}

/* Linux's pit_calibrate_tsc(): channel 2, mode 0, polls port 0x61 bit 5. */
static void test_pit_linux_tsc_calibration_sees_out2_after_exactly_latch_plus_1_ticks(void **state)
{
	(void)state;
	const uint16_t latch = (HZ * 50 + 500) / 1000; /* CALIBRATE_LATCH, 50 ms */

	at(5000);
	out(0x61, (uint8_t)((in(0x61) & ~0x02) | 0x01));
	out(0x43, 0xb0);
	out(0x42, latch & 0xff);
	out(0x42, latch >> 8);
	uint64_t start = now;

	now = tns(5000 + 1 + latch) - 1;
	assert_false(out2());
	now++;
	assert_true(out2());
	/* 59660 ticks: 50.0008 ms of TSC, which Linux scales by 1000/50. */
	assert_int_equal((now - start) / 1000, 50000);
	assert_int_equal(irq.rises, 0); /* channel 2 is not IRQ0 */
}

/* Linux's quick_pit_calibrate(): count 0xffff, reads LSB and MSB unlatched. */
static void test_pit_linux_quick_calibration_msb_steps_every_256_ticks(void **state)
{
	(void)state;
	out(0x61, (uint8_t)((in(0x61) & ~0x02) | 0x01));
	at(7000);
	out(0x43, 0xb0);
	out(0x42, 0xff);
	out(0x42, 0xff);
	for (unsigned int i = 0; i < 200; i += 37) {
		at(7001 + 256 * i + 255);
		in(0x42);
		assert_int_equal(in(0x42), 0xff - i);
		at(7001 + 256 * i + 256);
		in(0x42);
		assert_int_equal(in(0x42), 0xfe - i);
	}
}

/* --- mode 1 ------------------------------------------------------------ */

static void test_pit_mode1_gate_edge_starts_one_shot(void **state)
{
	(void)state;
	at(900);
	program(2, 1, 5);
	assert_true(out2()); /* armed, OUT high */
	at(1000);
	gate2(true);
	assert_true(out2());
	at(1001);
	assert_false(out2());
	assert_int_equal(latched(2), 5);
	at(1005);
	assert_false(out2());
	assert_int_equal(latched(2), 1);
	at(1006);
	assert_true(out2());
	at(1007);
	assert_int_equal(latched(2), 0xffff);
	gate2(false); /* the level does not matter once triggered */
	at(1010);
	assert_int_equal(latched(2), 0xfffc);
}

static void test_pit_mode1_retrigger_extends_the_pulse(void **state)
{
	(void)state;
	program(2, 1, 5);
	at(1000);
	gate2(true);
	at(1003);
	gate2(false);
	at(1004);
	gate2(true); /* reloaded by pulse 1005 */
	at(1009);
	assert_false(out2());
	at(1010);
	assert_true(out2());
}

static void test_pit_mode1_new_count_waits_for_the_next_trigger(void **state)
{
	(void)state;
	program(2, 1, 5);
	at(1000);
	gate2(true);
	at(1002);
	out(0x42, 50);
	out(0x42, 0);
	assert_int_equal(status(2) & 0x40, 0x40); /* null count until a trigger */
	at(1006);
	assert_true(out2()); /* still the old count */
	gate2(false);
	gate2(true);
	at(1007);
	assert_false(out2());
	assert_int_equal(latched(2), 50);
}

static void test_pit_mode1_count_written_before_the_trigger_loads_is_the_one_loaded(void **state)
{
	(void)state;
	program(2, 1, 5);
	at(1000);
	gate2(true); /* loads on pulse 1001 ... */
	out(0x42, 9); /* ... the count register as it is then */
	out(0x42, 0);
	at(1001);
	assert_int_equal(latched(2), 9);
	at(1010);
	assert_true(out2());
	assert_int_equal(status(2) & 0x40, 0);
}

/* --- mode 2 ------------------------------------------------------------ */

static void test_pit_mode2_out_low_for_one_tick_each_period(void **state)
{
	(void)state;
	at(1000);
	program(0, 2, 10);
	at(1001);
	assert_int_equal(latched(0), 10);
	assert_true(vpit_out(&pit, 0));
	at(1009);
	assert_int_equal(latched(0), 2);
	assert_true(vpit_out(&pit, 0));
	at(1010);
	assert_int_equal(latched(0), 1);
	assert_false(vpit_out(&pit, 0));
	at(1011);
	assert_int_equal(latched(0), 10);
	assert_true(vpit_out(&pit, 0));
	at(1020);
	assert_false(vpit_out(&pit, 0));
}

static void test_pit_mode2_irq0_rises_every_period(void **state)
{
	(void)state;
	at(1000);
	program(0, 2, 1193); /* ~1 kHz */
	for (unsigned int k = 1; k <= 5; k++) {
		uint64_t edge = tns(1001 + 1193ULL * k);

		assert_int_equal(vpit_next_deadline(&pit), edge);
		poll_at(edge - 1);
		assert_int_equal(irq.rises, k - 1);
		poll_at(edge);
		assert_int_equal(irq.rises, k);
		assert_int_equal(irq.level, 1);
	}
}

static void test_pit_mode2_missed_periods_coalesce_into_one_edge(void **state)
{
	(void)state;
	at(1000);
	program(0, 2, 10);
	poll_at(tns(1055)); /* edges at 1011, ..., 1051 */
	assert_int_equal(irq.rises, 1);
	assert_int_equal(vpit_next_deadline(&pit), tns(1061));
}

static void test_pit_mode2_new_count_takes_effect_at_the_end_of_the_period(void **state)
{
	(void)state;
	at(1000);
	program(0, 2, 10);
	at(1005);
	out(0x40, 20);
	out(0x40, 0);
	assert_int_equal(status(0) & 0x40, 0x40);
	at(1010);
	assert_int_equal(latched(0), 1);
	assert_int_equal(vpit_next_deadline(&pit), tns(1011));
	at(1011); /* the access delivers the edge due now */
	assert_int_equal(latched(0), 20);
	assert_int_equal(status(0) & 0x40, 0);
	assert_int_equal(irq.rises, 1);
	assert_int_equal(vpit_next_deadline(&pit), tns(1031));
}

static void test_pit_mode2_gate_low_forces_out_high_and_rising_gate_reloads(void **state)
{
	(void)state;
	gate2(true);
	at(1000);
	program(2, 2, 10);
	at(1010);
	assert_false(out2());
	gate2(false);
	assert_true(out2());
	at(1015);
	assert_int_equal(latched(2), 1); /* held */
	at(1020);
	gate2(true);
	at(1021);
	assert_int_equal(latched(2), 10);
	at(1029);
	assert_true(out2());
	at(1030);
	assert_false(out2());
}

static void test_pit_mode6_behaves_as_mode2_and_reports_its_bits(void **state)
{
	(void)state;
	at(1000);
	out(0x43, 0x3c); /* mode bits 110 */
	out(0x40, 10);
	out(0x40, 0);
	at(1001);
	assert_int_equal(status(0), 0x80 | 0x3c);
	assert_int_equal(vpit_next_deadline(&pit), tns(1011));
}

/* --- mode 3 ------------------------------------------------------------ */

static void test_pit_mode3_even_count_square_wave(void **state)
{
	(void)state;
	static const uint16_t ce[] = { 10, 8, 6, 4, 2, 10, 8, 6, 4, 2, 10 };

	at(1000);
	program(0, 3, 10);
	for (unsigned int k = 0; k < ARRAY_SIZE(ce); k++) {
		at(1001 + k);
		assert_int_equal(latched(0), ce[k]);
		assert_int_equal(vpit_out(&pit, 0), k % 10 < 5);
	}
}

static void test_pit_mode3_odd_count_is_high_one_tick_longer(void **state)
{
	(void)state;
	static const uint16_t ce[] = { 4, 2, 0, 4, 2, 4, 2, 0 };
	static const bool level[] = { 1, 1, 1, 0, 0, 1, 1, 1 };

	at(1000);
	program(0, 3, 5);
	for (unsigned int k = 0; k < ARRAY_SIZE(ce); k++) {
		at(1001 + k);
		assert_int_equal(latched(0), ce[k]);
		assert_int_equal(vpit_out(&pit, 0), level[k]);
	}
}

static void test_pit_mode3_irq0_rises_every_period(void **state)
{
	(void)state;
	at(1000);
	program(0, 3, 11932); /* ~100 Hz */
	for (unsigned int k = 1; k <= 4; k++) {
		poll_at(vpit_next_deadline(&pit));
		assert_int_equal(irq.rises, k);
		assert_int_equal(irq.last_rise, tns(1001 + 11932ULL * k));
	}
	/* An access in the low half lowers the line; the next edge raises it. */
	at(1001 + 11932 * 4 + 6000);
	in(0x61);
	assert_int_equal(irq.level, 0);
	poll_at(vpit_next_deadline(&pit));
	assert_int_equal(irq.rises, 5);
}

static void test_pit_mode3_new_count_takes_effect_at_the_end_of_the_half_cycle(void **state)
{
	(void)state;
	at(1000);
	program(0, 3, 10);
	at(1003); /* high half, CE 6 */
	out(0x40, 6);
	out(0x40, 0);
	at(1005);
	assert_int_equal(latched(0), 2);
	at(1006); /* low half of the new count: 3 ticks */
	assert_int_equal(latched(0), 6);
	assert_false(vpit_out(&pit, 0));
	at(1008);
	assert_int_equal(latched(0), 2);
	assert_int_equal(vpit_next_deadline(&pit), tns(1009));
	at(1009);
	assert_true(vpit_out(&pit, 0));
	assert_int_equal(latched(0), 6);
	assert_int_equal(irq.rises, 1);
	assert_int_equal(vpit_next_deadline(&pit), tns(1015));
}

static void test_pit_mode3_gate_low_forces_out_high(void **state)
{
	(void)state;
	gate2(true);
	at(1000);
	program(2, 3, 10);
	at(1007);
	assert_false(out2());
	gate2(false);
	assert_true(out2());
	at(1050);
	assert_true(out2());
	gate2(true);
	at(1051);
	assert_int_equal(latched(2), 10);
}

static void test_pit_mode3_bcd_period_of_count_0_is_10000(void **state)
{
	(void)state;
	at(1000);
	out(0x43, 0x37); /* channel 0, LSB/MSB, mode 3, BCD */
	out(0x40, 0);
	out(0x40, 0);
	assert_int_equal(vpit_next_deadline(&pit), tns(1001 + 10000));
	at(1002);
	assert_int_equal(latched(0), 0x9998);
}

/* --- modes 4 and 5 ----------------------------------------------------- */

static void test_pit_mode4_strobe_one_tick_low_at_terminal_count(void **state)
{
	(void)state;
	at(1000);
	program(0, 4, 5);
	assert_true(vpit_out(&pit, 0));
	assert_int_equal(vpit_next_deadline(&pit), tns(1007));
	at(1005);
	assert_true(vpit_out(&pit, 0));
	at(1006);
	assert_int_equal(latched(0), 0);
	assert_false(vpit_out(&pit, 0));
	at(1007);
	assert_true(vpit_out(&pit, 0));
	assert_int_equal(latched(0), 0xffff);
	/* IRQ0 rose at the end of the strobe, once. */
	assert_int_equal(irq.rises, 1);
	assert_int_equal(irq.last_rise, tns(1007));
	assert_int_equal(vpit_next_deadline(&pit), NONE);
}

static void test_pit_mode4_count_is_reloaded_by_a_new_write(void **state)
{
	(void)state;
	at(1000);
	program(0, 4, 100);
	at(1050);
	out(0x40, 10);
	out(0x40, 0);
	at(1051);
	assert_int_equal(latched(0), 10);
	assert_int_equal(vpit_next_deadline(&pit), tns(1062));
}

static void test_pit_mode5_gate_edge_triggers_the_strobe(void **state)
{
	(void)state;
	program(2, 5, 3);
	at(1000);
	assert_true(out2());
	gate2(true);
	at(1001);
	assert_int_equal(latched(2), 3);
	at(1003);
	assert_true(out2());
	at(1004);
	assert_false(out2());
	at(1005);
	assert_true(out2());
	at(2000);
	assert_true(out2());
}

static void test_pit_mode4_strobe_ends_after_one_tick_even_if_the_gate_stops_it(void **state)
{
	(void)state;
	gate2(true);
	at(1000);
	program(2, 4, 5);
	at(1006);
	assert_false(out2());
	gate2(false);
	at(1007);
	assert_true(out2());
	at(1010);
	gate2(true); /* counting resumes past 0: no second strobe */
	for (uint64_t t = 1010; t < 1020; t++) {
		at(t);
		assert_true(out2());
	}
	assert_int_equal(latched(2), 0xfff7);
}

/* --- latches and read-back --------------------------------------------- */

static void test_pit_latched_count_holds_until_read_and_second_latch_is_ignored(void **state)
{
	(void)state;
	at(1000);
	program(0, 0, 1000);
	at(1101);
	out(0x43, 0x00);
	at(1201);
	out(0x43, 0x00); /* ignored: the first latch is unread */
	at(1301);
	assert_int_equal(read_word(0), 900);
	assert_int_equal(read_word(0), 700); /* unlatched: the live count */
	assert_int_equal(latched(0), 700);
}

static void test_pit_latch_in_lsb_mode_is_released_by_one_read(void **state)
{
	(void)state;
	at(1000);
	out(0x43, 0x10); /* channel 0, LSB only, mode 0 */
	out(0x40, 200);
	at(1051);
	out(0x43, 0x00);
	at(1100);
	assert_int_equal(in(0x40), 150);
	assert_int_equal(in(0x40), 101);
}

static void test_pit_control_word_drops_a_latched_count(void **state)
{
	(void)state;
	at(1000);
	program(0, 0, 1000);
	at(1101);
	out(0x43, 0x00);
	at(1200);
	program(0, 0, 500);
	at(1211);
	assert_int_equal(read_word(0), 490);
}

static void test_pit_read_back_latches_status_then_count_for_several_counters(void **state)
{
	(void)state;
	gate2(true);
	at(1000);
	program(0, 2, 100);
	program(2, 0, 300);
	at(1051);
	out(0x43, 0xc0 | 0x02 | 0x08); /* count and status of counters 0 and 2 */
	at(1071);
	assert_int_equal(in(0x40), 0x80 | 0x34);
	assert_int_equal(read_word(0), 50);
	assert_int_equal(in(0x42), 0x30);
	assert_int_equal(read_word(2), 250);
	assert_int_equal(read_word(2), 230);
}

static void test_pit_read_back_count_only_and_status_only(void **state)
{
	(void)state;
	at(1000);
	program(1, 0, 100);
	at(1021);
	out(0x43, 0xd4); /* count of counter 1 */
	at(1031);
	assert_int_equal(read_word(1), 80);
	out(0x43, 0xe4); /* status of counter 1 */
	out(0x43, 0xe4); /* second status latch ignored */
	assert_int_equal(in(0x41), 0x30);
	assert_int_equal(read_word(1), 70);
}

static void test_pit_status_reports_null_count_until_the_count_is_loaded(void **state)
{
	(void)state;
	at(1000);
	out(0x43, 0x34);
	assert_int_equal(status(0), 0x80 | 0x40 | 0x34); /* mode 2 sets OUT high */
	out(0x40, 10);
	out(0x40, 0);
	assert_int_equal(status(0) & 0x40, 0x40);
	at(1001);
	assert_int_equal(status(0) & 0x40, 0);
}

static void test_pit_count_accessor_leaves_latches_and_flip_flops_alone(void **state)
{
	(void)state;
	at(1000);
	program(0, 0, 0x1234);
	at(1001);
	out(0x43, 0x00);
	assert_int_equal(in(0x40), 0x34);
	at(1101);
	assert_int_equal(vpit_count(&pit, 0), 0x1234 - 100);
	assert_int_equal(vpit_count(&pit, 3), 0);
	assert_false(vpit_out(&pit, 3));
	assert_int_equal(in(0x40), 0x12); /* still the latched MSB */
}

/* --- access modes ------------------------------------------------------ */

static void test_pit_lsb_only_access_writes_and_reads_the_low_byte(void **state)
{
	(void)state;
	at(1000);
	out(0x43, 0x10);
	out(0x40, 0x20);
	at(1001);
	assert_int_equal(in(0x40), 0x20);
	assert_int_equal(in(0x40), 0x20);
	at(1011);
	assert_int_equal(in(0x40), 0x16);
	assert_int_equal(status(0), 0x10);
}

static void test_pit_msb_only_access_writes_and_reads_the_high_byte(void **state)
{
	(void)state;
	at(1000);
	out(0x43, 0x20);
	out(0x40, 0x02); /* count 0x200 */
	at(1001);
	assert_int_equal(in(0x40), 0x02);
	at(1002);
	assert_int_equal(in(0x40), 0x01); /* 0x1ff */
	assert_int_equal(vpit_next_deadline(&pit), tns(1001 + 0x200));
}

static void test_pit_read_and_write_flip_flops_are_independent(void **state)
{
	(void)state;
	at(1000);
	program(0, 0, 0x1234);
	at(1001);
	out(0x43, 0x00);
	assert_int_equal(in(0x40), 0x34); /* read LSB */
	out(0x40, 0x78);                  /* write LSB */
	assert_int_equal(in(0x40), 0x12); /* read MSB */
	out(0x40, 0x56);                  /* write MSB */
	at(1002);
	assert_int_equal(latched(0), 0x5678);
}

static void test_pit_bcd_count_reads_decimal_digits_and_wraps_to_9999(void **state)
{
	(void)state;
	at(1000);
	out(0x43, 0x31); /* mode 0, BCD */
	out(0x40, 0x00);
	out(0x40, 0x01); /* 100 */
	at(1001);
	assert_int_equal(latched(0), 0x0100);
	at(1002);
	assert_int_equal(latched(0), 0x0099);
	at(1090);
	assert_int_equal(latched(0), 0x0011);
	at(1101);
	assert_int_equal(latched(0), 0x0000);
	assert_true(vpit_out(&pit, 0));
	at(1102);
	assert_int_equal(latched(0), 0x9999);
	assert_int_equal(status(0), 0x80 | 0x31);
}

/* --- IRQ0 and the bus --------------------------------------------------- */

static void test_pit_control_word_raising_out0_is_an_irq0_edge(void **state)
{
	(void)state;
	at(1000);
	program(0, 0, 100);
	at(1010);
	out(0x43, 0x34); /* mode 2: OUT goes high at once */
	assert_int_equal(irq.rises, 1);
	assert_int_equal(irq.last_rise, tns(1010));
}

static void test_pit_reset_restores_power_on_state(void **state)
{
	(void)state;
	gate2(true);
	at(1000);
	program(0, 0, 100);
	program(2, 4, 7);
	at(2000);
	vpit_reset(&pit);
	assert_int_equal(in(0x61) & 0x0f, 0);
	at(2001);
	assert_int_equal(status(0), 0xb6);
	assert_int_equal(vpit_next_deadline(&pit), tns(2001 + 65536));
}

static void test_pit_io_bus_splits_wide_accesses_into_bytes(void **state)
{
	(void)state;
	struct io_bus bus = { 0 };
	uint64_t v;

	assert_int_equal(vpit_register(&pit, &bus), 0);
	at(1000);
	assert_int_equal(io_bus_write(&bus, 0x43, 1, 0x10), 0); /* counter 0: LSB only, mode 0 */
	assert_int_equal(io_bus_write(&bus, 0x43, 1, 0x50), 0); /* counter 1: LSB only, mode 0 */
	assert_int_equal(io_bus_write(&bus, 0x40, 2, 0x2010), 0); /* 0x40 <- 0x10, 0x41 <- 0x20 */
	at(1001);
	/* counter 0, counter 1, counter 2 (LSB of 0), 0x43 floating */
	assert_int_equal(io_bus_read(&bus, 0x40, 4, &v), 0);
	assert_int_equal(v, 0xff002010);
	at(1006);
	assert_int_equal(io_bus_read(&bus, 0x40, 2, &v), 0);
	assert_int_equal(v, 0x1b0b);
	assert_int_equal(io_bus_write(&bus, 0x61, 1, 0x03), 0);
	assert_int_equal(io_bus_read(&bus, 0x61, 1, &v), 0);
	assert_int_equal(v & 0x0f, 0x03);
}

static void test_pit_register_twice_is_refused_with_a_message(void **state)
{
	(void)state;
	struct io_bus bus = { 0 };
	struct vpit other;

	assert_int_equal(vpit_register(&pit, &bus), 0);
	vpit_init(&other, &clk, NULL);
	assert_int_equal(vpit_register(&other, &bus), -EEXIST);
	assert_true(test_log_contains("pit: cannot claim ports 0x40-0x43 and 0x61: error -17"));
	assert_int_equal(bus.count, 2);
}

static void test_pit_clock_going_back_never_moves_counts_back(void **state)
{
	(void)state;
	at(1000);
	program(0, 0, 1000);
	at(1500);
	assert_int_equal(latched(0), 501);
	at(1200);
	assert_int_equal(latched(0), 501);
	poll_at(0);
	assert_int_equal(irq.rises, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pit_power_on_counters_run_mode_3_from_65536),
		T(test_pit_power_on_channel_2_waits_for_its_gate),
		T(test_pit_power_on_irq0_rises_every_65536_ticks),
		T(test_pit_accesses_before_the_first_edge_leave_irq0_low),
		T(test_pit_control_port_reads_as_floating_bus),
		T(test_pit_port_b_low_bits_read_back_and_refresh_alternates),
		T(test_pit_port_b_bit5_follows_out2_not_writes),
		T(test_pit_mode0_out_rises_n_plus_1_ticks_after_the_count),
		T(test_pit_mode0_irq0_rises_once_at_terminal_count),
		T(test_pit_mode0_new_count_lowers_out_and_restarts),
		T(test_pit_mode0_first_byte_stops_counting_and_lowers_out),
		T(test_pit_mode0_gate_low_pauses_the_count),
		T(test_pit_mode0_count_written_with_gate_low_waits_for_the_gate),
		T(test_pit_linux_tsc_calibration_sees_out2_after_exactly_latch_plus_1_ticks),
		T(test_pit_linux_quick_calibration_msb_steps_every_256_ticks),
		T(test_pit_mode1_gate_edge_starts_one_shot),
		T(test_pit_mode1_retrigger_extends_the_pulse),
		T(test_pit_mode1_new_count_waits_for_the_next_trigger),
		T(test_pit_mode1_count_written_before_the_trigger_loads_is_the_one_loaded),
		T(test_pit_mode2_out_low_for_one_tick_each_period),
		T(test_pit_mode2_irq0_rises_every_period),
		T(test_pit_mode2_missed_periods_coalesce_into_one_edge),
		T(test_pit_mode2_new_count_takes_effect_at_the_end_of_the_period),
		T(test_pit_mode2_gate_low_forces_out_high_and_rising_gate_reloads),
		T(test_pit_mode6_behaves_as_mode2_and_reports_its_bits),
		T(test_pit_mode3_even_count_square_wave),
		T(test_pit_mode3_odd_count_is_high_one_tick_longer),
		T(test_pit_mode3_irq0_rises_every_period),
		T(test_pit_mode3_new_count_takes_effect_at_the_end_of_the_half_cycle),
		T(test_pit_mode3_gate_low_forces_out_high),
		T(test_pit_mode3_bcd_period_of_count_0_is_10000),
		T(test_pit_mode4_strobe_one_tick_low_at_terminal_count),
		T(test_pit_mode4_count_is_reloaded_by_a_new_write),
		T(test_pit_mode5_gate_edge_triggers_the_strobe),
		T(test_pit_mode4_strobe_ends_after_one_tick_even_if_the_gate_stops_it),
		T(test_pit_latched_count_holds_until_read_and_second_latch_is_ignored),
		T(test_pit_latch_in_lsb_mode_is_released_by_one_read),
		T(test_pit_control_word_drops_a_latched_count),
		T(test_pit_read_back_latches_status_then_count_for_several_counters),
		T(test_pit_read_back_count_only_and_status_only),
		T(test_pit_status_reports_null_count_until_the_count_is_loaded),
		T(test_pit_count_accessor_leaves_latches_and_flip_flops_alone),
		T(test_pit_lsb_only_access_writes_and_reads_the_low_byte),
		T(test_pit_msb_only_access_writes_and_reads_the_high_byte),
		T(test_pit_read_and_write_flip_flops_are_independent),
		T(test_pit_bcd_count_reads_decimal_digits_and_wraps_to_9999),
		T(test_pit_control_word_raising_out0_is_an_irq0_edge),
		T(test_pit_reset_restores_power_on_state),
		T(test_pit_io_bus_splits_wide_accesses_into_bytes),
		T(test_pit_register_twice_is_refused_with_a_message),
		T(test_pit_clock_going_back_never_moves_counts_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
