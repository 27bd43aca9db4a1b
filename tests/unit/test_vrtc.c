/* Unit tests for the MC146818 RTC/CMOS model (hv/vrtc.c): what a guest
 * reads through ports 0x70/0x71 and when IRQ8 rises, against a fake clock.
 * The model is created at VM time 0; its first update falls at 0.5 s and
 * then every second. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/vrtc.h"
#include "test_log.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define UPDATE(k) (500 * MS + (uint64_t)(k) * SEC) /* the (k+1)th update */
#define NONE DEADLINE_NONE

/* 2024-02-29 13:45:30, a Thursday. */
#define EPOCH_LEAP_DAY 1709214330LL

static uint64_t now;
static struct vrtc rtc;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return now;
}

static const struct vclock clk = { fake_now, NULL };

static struct {
	int level;
	int rises;
	int repeats;
} irq;

static void irq_set(void *ctx, uint32_t line, int level)
{
	(void)ctx;
	assert_int_equal(line, 8);
	if (level == irq.level)
		irq.repeats++;
	if (level && !irq.level)
		irq.rises++;
	irq.level = level;
}

static const struct irq_out irq8 = { irq_set, NULL, 8 };

static void init_at(int64_t epoch)
{
	now = 0;
	memset(&irq, 0, sizeof(irq));
	vrtc_init(&rtc, &clk, &irq8, epoch);
}

static uint8_t reg(uint8_t idx)
{
	vrtc_outb(&rtc, 0x70, idx);
	return vrtc_inb(&rtc, 0x71);
}

static void wreg(uint8_t idx, uint8_t v)
{
	vrtc_outb(&rtc, 0x70, idx);
	vrtc_outb(&rtc, 0x71, v);
}

static void poll_at(uint64_t ns)
{
	now = ns;
	vrtc_poll(&rtc, ns);
}

/* Calendar registers, in register order, as a guest reads them. */
struct regs {
	uint8_t sec, min, hour, wday, mday, mon, year, century;
};

static struct regs read_time(void)
{
	struct regs r;

	r.sec = reg(RTC_SECONDS);
	r.min = reg(RTC_MINUTES);
	r.hour = reg(RTC_HOURS);
	r.wday = reg(RTC_DAY_OF_WEEK);
	r.mday = reg(RTC_DAY_OF_MONTH);
	r.mon = reg(RTC_MONTH);
	r.year = reg(RTC_YEAR);
	r.century = reg(RTC_CENTURY);
	return r;
}

#define assert_time(r, c, y, mo, d, wd, h, mi, s)                                                 \
	do {                                                                                      \
		struct regs r_ = (r);                                                             \
		assert_int_equal(r_.century, c);                                                  \
		assert_int_equal(r_.year, y);                                                     \
		assert_int_equal(r_.mon, mo);                                                     \
		assert_int_equal(r_.mday, d);                                                     \
		assert_int_equal(r_.wday, wd);                                                    \
		assert_int_equal(r_.hour, h);                                                     \
		assert_int_equal(r_.min, mi);                                                     \
		assert_int_equal(r_.sec, s);                                                      \
	} while (0)

static int setup(void **state)
{
	(void)state;
	test_log_reset();
	init_at(EPOCH_LEAP_DAY);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(irq.repeats, 0);
	return 0;
}

/* --- power-on state and encodings --------------------------------------- */

static void test_rtc_power_on_registers_are_as_firmware_leaves_them(void **state)
{
	(void)state;
	assert_int_equal(reg(RTC_REG_A), 0x26);
	assert_int_equal(reg(RTC_REG_B), 0x02);
	assert_int_equal(reg(RTC_REG_C), 0x00);
	assert_int_equal(reg(RTC_REG_D), 0x80);
	assert_int_equal(reg(0x40), 0x00);
	assert_false(vrtc_nmi_disabled(&rtc));
	assert_int_equal(irq.level, 0);
	assert_int_equal(vrtc_next_deadline(&rtc), NONE);
}

static void test_rtc_time_reads_in_bcd_24_hour_from_the_base_time(void **state)
{
	(void)state;
	assert_time(read_time(), 0x20, 0x24, 0x02, 0x29, 5, 0x13, 0x45, 0x30);
}

static void test_rtc_binary_mode_reads_plain_values(void **state)
{
	(void)state;
	wreg(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
	assert_time(read_time(), 20, 24, 2, 29, 5, 13, 45, 30);
}

static void test_rtc_12_hour_mode_encodes_pm_in_bit_7(void **state)
{
	(void)state;
	static const struct {
		int64_t epoch;
		uint8_t b, hour;
	} cases[] = {
		{ 1709164800LL, 0x00, 0x12 },            /* 00:00 BCD: 12 AM */
		{ 1709164800LL + 11 * 3600, 0x00, 0x11 }, /* 11 AM */
		{ 1709164800LL + 12 * 3600, 0x00, 0x92 }, /* 12 PM */
		{ 1709164800LL + 13 * 3600, 0x00, 0x81 }, /* 1 PM */
		{ 1709164800LL + 23 * 3600, 0x00, 0x91 }, /* 11 PM */
		{ 1709164800LL, 0x04, 0x0c },            /* binary 12 AM */
		{ 1709164800LL + 12 * 3600, 0x04, 0x8c }, /* binary 12 PM */
		{ 1709164800LL + 23 * 3600, 0x04, 0x8b }, /* binary 11 PM */
		{ 1709164800LL + 23 * 3600, 0x06, 23 },   /* binary 24-hour */
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		init_at(cases[i].epoch);
		wreg(RTC_REG_B, cases[i].b);
		assert_int_equal(reg(RTC_HOURS), cases[i].hour);
	}
}

static void test_rtc_changing_the_data_mode_reencodes_at_once(void **state)
{
	(void)state;
	assert_int_equal(reg(RTC_MINUTES), 0x45);
	wreg(RTC_REG_B, 0x06);
	assert_int_equal(reg(RTC_MINUTES), 45);
	wreg(RTC_REG_B, 0x02);
	assert_int_equal(reg(RTC_MINUTES), 0x45);
}

/* --- counting --------------------------------------------------------- */

static void test_rtc_seconds_advance_at_each_update(void **state)
{
	(void)state;
	now = UPDATE(0) - 1;
	assert_int_equal(reg(RTC_SECONDS), 0x30);
	now = UPDATE(0);
	assert_int_equal(reg(RTC_SECONDS), 0x31);
	now = UPDATE(1) - 1;
	assert_int_equal(reg(RTC_SECONDS), 0x31);
	now = UPDATE(29);
	assert_time(read_time(), 0x20, 0x24, 0x02, 0x29, 5, 0x13, 0x46, 0x00);
}

static void test_rtc_leap_day_follows_february_28th_and_rolls_to_march(void **state)
{
	(void)state;
	init_at(1709164799LL); /* 2024-02-28 23:59:59, Wednesday */
	assert_time(read_time(), 0x20, 0x24, 0x02, 0x28, 4, 0x23, 0x59, 0x59);
	now = UPDATE(0);
	assert_time(read_time(), 0x20, 0x24, 0x02, 0x29, 5, 0x00, 0x00, 0x00);
	now = UPDATE(86400);
	assert_time(read_time(), 0x20, 0x24, 0x03, 0x01, 6, 0x00, 0x00, 0x00);
}

static void test_rtc_february_28th_rolls_to_march_in_common_years(void **state)
{
	(void)state;
	init_at(1677628799LL); /* 2023-02-28 23:59:59, Tuesday */
	now = UPDATE(0);
	assert_time(read_time(), 0x20, 0x23, 0x03, 0x01, 4, 0x00, 0x00, 0x00);
	init_at(4107542399LL); /* 2100-02-28 23:59:59: not a leap year */
	now = UPDATE(0);
	assert_time(read_time(), 0x21, 0x00, 0x03, 0x01, 2, 0x00, 0x00, 0x00);
	init_at(951782399LL); /* 2000-02-28 23:59:59: a leap year */
	now = UPDATE(0);
	assert_time(read_time(), 0x20, 0x00, 0x02, 0x29, 3, 0x00, 0x00, 0x00);
}

static void test_rtc_year_and_century_roll_over(void **state)
{
	(void)state;
	init_at(946684799LL); /* 1999-12-31 23:59:59, Friday */
	assert_time(read_time(), 0x19, 0x99, 0x12, 0x31, 6, 0x23, 0x59, 0x59);
	now = UPDATE(0);
	assert_time(read_time(), 0x20, 0x00, 0x01, 0x01, 7, 0x00, 0x00, 0x00);
}

static void test_rtc_uip_is_set_for_244us_before_each_update(void **state)
{
	(void)state;
	now = UPDATE(0) - 244001;
	assert_int_equal(reg(RTC_REG_A), 0x26);
	now = UPDATE(0) - 244000;
	assert_int_equal(reg(RTC_REG_A), 0xa6);
	now = UPDATE(0) - 1;
	assert_int_equal(reg(RTC_REG_A), 0xa6);
	assert_int_equal(reg(RTC_SECONDS), 0x30);
	now = UPDATE(0);
	assert_int_equal(reg(RTC_REG_A), 0x26);
	assert_int_equal(reg(RTC_SECONDS), 0x31);
	now = UPDATE(7) - 100000;
	assert_int_equal(reg(RTC_REG_A), 0xa6);
}

static void test_rtc_set_bit_freezes_the_time_for_writing(void **state)
{
	(void)state;
	now = 200 * MS;
	wreg(RTC_REG_B, 0x82);
	assert_int_equal(reg(RTC_REG_B), 0x82);
	now = UPDATE(0) - 1000;
	assert_int_equal(reg(RTC_REG_A) & RTC_A_UIP, 0); /* no update is coming */
	wreg(RTC_SECONDS, 0x00);
	wreg(RTC_MINUTES, 0x00);
	wreg(RTC_HOURS, 0x08);
	wreg(RTC_DAY_OF_MONTH, 0x15);
	wreg(RTC_MONTH, 0x06);
	wreg(RTC_YEAR, 0x25);
	now = 3200 * MS;
	assert_time(read_time(), 0x20, 0x25, 0x06, 0x15, 5, 0x08, 0x00, 0x00);
	wreg(RTC_REG_B, 0x02);
	assert_int_equal(reg(RTC_SECONDS), 0x00);
	/* The divider kept its phase: the next update is at 3.5 s. */
	now = UPDATE(3) - 1;
	assert_int_equal(reg(RTC_SECONDS), 0x00);
	now = UPDATE(3);
	/* Day of week is not derived from the date: the chip just counts it. */
	assert_time(read_time(), 0x20, 0x25, 0x06, 0x15, 5, 0x08, 0x00, 0x01);
}

static void test_rtc_day_of_week_as_written_advances_at_midnight(void **state)
{
	(void)state;
	init_at(1709164799LL); /* 2024-02-28 23:59:59 */
	wreg(RTC_REG_B, 0x82);
	wreg(RTC_DAY_OF_WEEK, 0x02);
	wreg(RTC_REG_B, 0x02);
	assert_int_equal(reg(RTC_DAY_OF_WEEK), 0x02);
	now = UPDATE(0);
	assert_int_equal(reg(RTC_DAY_OF_WEEK), 0x03);
	now = UPDATE(5 * 86400);
	assert_int_equal(reg(RTC_DAY_OF_WEEK), 0x01);
}

static void test_rtc_set_bit_going_high_clears_uie(void **state)
{
	(void)state;
	wreg(RTC_REG_B, 0x12);
	assert_int_equal(reg(RTC_REG_B), 0x12);
	wreg(RTC_REG_B, 0x92);
	assert_int_equal(reg(RTC_REG_B), 0x82);
	wreg(RTC_REG_B, 0x92); /* SET already high: UIE sticks */
	assert_int_equal(reg(RTC_REG_B), 0x92);
}

static void test_rtc_time_written_while_running_counts_on_from_it(void **state)
{
	(void)state;
	now = 700 * MS;
	wreg(RTC_SECONDS, 0x10);
	assert_int_equal(reg(RTC_SECONDS), 0x10);
	assert_int_equal(reg(RTC_MINUTES), 0x45);
	now = UPDATE(1);
	assert_int_equal(reg(RTC_SECONDS), 0x11);
}

static void test_rtc_divider_reset_holds_time_and_first_update_is_half_a_second_after(void **state)
{
	(void)state;
	now = 1700 * MS;
	reg(RTC_REG_C);
	wreg(RTC_REG_A, 0x76); /* DV = 111: chain held in reset */
	assert_int_equal(reg(RTC_SECONDS), 0x32);
	now = 5 * SEC;
	assert_int_equal(reg(RTC_SECONDS), 0x32);
	assert_int_equal(reg(RTC_REG_C), 0x00); /* no updates, no periodic flag */
	wreg(RTC_REG_A, 0x26);
	now = 5 * SEC + 500 * MS - 1;
	assert_int_equal(reg(RTC_SECONDS), 0x32);
	now = 5 * SEC + 500 * MS;
	assert_int_equal(reg(RTC_SECONDS), 0x33);
}

static void test_rtc_register_a_uip_bit_is_read_only(void **state)
{
	(void)state;
	wreg(RTC_REG_A, 0xa6);
	assert_int_equal(reg(RTC_REG_A), 0x26);
}

static void test_rtc_registers_c_and_d_are_read_only(void **state)
{
	(void)state;
	wreg(RTC_REG_C, 0xff);
	assert_int_equal(reg(RTC_REG_C), 0x00);
	wreg(RTC_REG_D, 0x00);
	assert_int_equal(reg(RTC_REG_D), 0x80);
}

/* --- interrupts ------------------------------------------------------- */

static void test_rtc_periodic_rates_follow_the_rate_select(void **state)
{
	(void)state;
	static const struct {
		uint8_t rs;
		uint64_t period_cycles; /* of 32768 Hz */
	} rates[] = {
		{ 1, 128 }, { 2, 256 }, { 3, 4 }, { 6, 32 }, { 10, 512 }, { 15, 16384 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(rates); i++) {
		uint64_t p = rates[i].period_cycles;

		init_at(EPOCH_LEAP_DAY);
		wreg(RTC_REG_A, (uint8_t)(0x20 | rates[i].rs));
		wreg(RTC_REG_B, 0x42);
		for (uint64_t m = 1; m <= 3; m++) {
			uint64_t due = (m * p * SEC + 32767) / 32768;

			assert_int_equal(vrtc_next_deadline(&rtc), due);
			poll_at(due - 1);
			assert_int_equal(irq.level, 0);
			poll_at(due);
			assert_int_equal(irq.level, 1);
			assert_int_equal(vrtc_next_deadline(&rtc), NONE);
			assert_int_equal(reg(RTC_REG_C) & 0xc0, 0xc0);
			assert_int_equal(irq.level, 0);
		}
		assert_int_equal(irq.rises, 3);
	}
}

static void test_rtc_periodic_flag_is_set_without_pie_but_irq_stays_low(void **state)
{
	(void)state;
	now = 2 * MS; /* 1024 Hz */
	assert_int_equal(reg(RTC_REG_C), RTC_C_PF);
	assert_int_equal(irq.level, 0);
	assert_int_equal(vrtc_next_deadline(&rtc), NONE);
	wreg(RTC_REG_A, 0x20); /* rate 0: no periodic flag */
	now = 20 * MS;
	assert_int_equal(reg(RTC_REG_C), 0);
}

static void test_rtc_enabling_an_interrupt_whose_flag_is_set_raises_irq_at_once(void **state)
{
	(void)state;
	now = 2 * MS;
	wreg(RTC_REG_B, 0x42);
	assert_int_equal(irq.level, 1);
	wreg(RTC_REG_B, 0x02); /* clearing the enable lowers it again */
	assert_int_equal(irq.level, 0);
	assert_int_equal(reg(RTC_REG_C), RTC_C_PF);
}

static void test_rtc_update_ended_interrupt_each_second(void **state)
{
	(void)state;
	wreg(RTC_REG_A, 0x20);
	wreg(RTC_REG_B, 0x12);
	assert_int_equal(vrtc_next_deadline(&rtc), UPDATE(0));
	poll_at(UPDATE(0));
	assert_int_equal(irq.level, 1);
	assert_int_equal(reg(RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
	assert_int_equal(vrtc_next_deadline(&rtc), UPDATE(1));
	poll_at(UPDATE(1));
	assert_int_equal(irq.rises, 2);
}

static void test_rtc_irq_is_held_until_register_c_is_read(void **state)
{
	(void)state;
	wreg(RTC_REG_B, 0x12);
	poll_at(UPDATE(0));
	assert_int_equal(irq.level, 1);
	assert_int_equal(vrtc_next_deadline(&rtc), NONE);
	poll_at(UPDATE(3));
	assert_int_equal(irq.rises, 1);
	assert_int_equal(irq.level, 1);
	assert_int_equal(reg(RTC_REG_C) & 0xf0, RTC_C_IRQF | RTC_C_PF | RTC_C_UF);
	assert_int_equal(irq.level, 0);
	assert_int_equal(reg(RTC_REG_C), 0); /* read clears */
	assert_int_equal(vrtc_next_deadline(&rtc), UPDATE(4));
}

static void test_rtc_alarm_at_an_exact_time_fires_once_a_day(void **state)
{
	(void)state;
	wreg(RTC_HOURS_ALARM, 0x13);
	wreg(RTC_MINUTES_ALARM, 0x45);
	wreg(RTC_SECONDS_ALARM, 0x35);
	wreg(RTC_REG_B, 0x22);
	assert_int_equal(vrtc_next_deadline(&rtc), UPDATE(4));
	poll_at(UPDATE(4) - 1);
	assert_int_equal(irq.level, 0);
	poll_at(UPDATE(4));
	assert_int_equal(irq.level, 1);
	assert_int_equal(reg(RTC_SECONDS), 0x35);
	assert_int_equal(reg(RTC_REG_C) & 0xb0, RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	assert_int_equal(vrtc_next_deadline(&rtc), UPDATE(4 + 86400));
}

static void test_rtc_alarm_dont_care_hours_and_minutes_fires_every_minute(void **state)
{
	(void)state;
	wreg(RTC_HOURS_ALARM, 0xff);
	wreg(RTC_MINUTES_ALARM, 0xc0);
	wreg(RTC_SECONDS_ALARM, 0x00);
	wreg(RTC_REG_B, 0x22);
	assert_int_equal(vrtc_next_deadline(&rtc), UPDATE(29)); /* 13:46:00 */
	poll_at(UPDATE(29));
	assert_int_equal(reg(RTC_REG_C) & RTC_C_AF, RTC_C_AF);
	assert_int_equal(vrtc_next_deadline(&rtc), UPDATE(89)); /* 13:47:00 */
}

static void test_rtc_alarm_all_dont_care_fires_at_every_update(void **state)
{
	(void)state;
	wreg(RTC_HOURS_ALARM, 0xc0);
	wreg(RTC_MINUTES_ALARM, 0xc0);
	wreg(RTC_SECONDS_ALARM, 0xc0);
	wreg(RTC_REG_B, 0x22);
	for (unsigned int k = 0; k < 3; k++) {
		assert_int_equal(vrtc_next_deadline(&rtc), UPDATE(k));
		poll_at(UPDATE(k));
		assert_int_equal(reg(RTC_REG_C) & RTC_C_AF, RTC_C_AF);
	}
}

static void test_rtc_alarm_in_12_hour_mode_compares_the_pm_flag(void **state)
{
	(void)state;
	wreg(RTC_REG_B, 0x20); /* 12-hour, BCD, AIE */
	wreg(RTC_HOURS_ALARM, 0x81); /* 1 PM */
	wreg(RTC_MINUTES_ALARM, 0x46);
	wreg(RTC_SECONDS_ALARM, 0x00);
	assert_int_equal(vrtc_next_deadline(&rtc), UPDATE(29));
	wreg(RTC_HOURS_ALARM, 0x01); /* 1 AM: tomorrow */
	assert_int_equal(vrtc_next_deadline(&rtc), UPDATE(29 + 12 * 3600));
}

static void test_rtc_alarm_byte_no_time_encodes_to_never_matches(void **state)
{
	(void)state;
	static const uint8_t bad[][3] = {
		{ 0xc0, 0xc0, 0x7a }, /* not BCD */
		{ 0xc0, 0xc0, 0x60 }, /* second 60 */
		{ 0xc0, 0x60, 0xc0 }, /* minute 60 */
		{ 0x24, 0xc0, 0xc0 }, /* hour 24 */
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		init_at(EPOCH_LEAP_DAY);
		wreg(RTC_HOURS_ALARM, bad[i][0]);
		wreg(RTC_MINUTES_ALARM, bad[i][1]);
		wreg(RTC_SECONDS_ALARM, bad[i][2]);
		wreg(RTC_REG_B, 0x22);
		assert_int_equal(vrtc_next_deadline(&rtc), NONE);
		poll_at(UPDATE(100000));
		assert_int_equal(reg(RTC_REG_C) & RTC_C_AF, 0);
	}
}

static void test_rtc_alarm_flag_is_set_without_aie(void **state)
{
	(void)state;
	wreg(RTC_SECONDS_ALARM, 0x32);
	wreg(RTC_MINUTES_ALARM, 0xc0);
	wreg(RTC_HOURS_ALARM, 0xc0);
	now = UPDATE(1);
	assert_int_equal(reg(RTC_REG_C) & 0xb0, RTC_C_AF | RTC_C_UF);
	assert_int_equal(irq.level, 0);
}

static void test_rtc_no_interrupts_while_set_but_periodic_continues(void **state)
{
	(void)state;
	wreg(RTC_REG_B, 0xa2); /* SET, AIE */
	wreg(RTC_SECONDS_ALARM, 0xc0);
	wreg(RTC_MINUTES_ALARM, 0xc0);
	wreg(RTC_HOURS_ALARM, 0xc0);
	assert_int_equal(vrtc_next_deadline(&rtc), NONE);
	now = UPDATE(2);
	assert_int_equal(reg(RTC_REG_C), RTC_C_PF);
}

/* --- CMOS memory ------------------------------------------------------- */

static void test_rtc_cmos_ram_reads_back_and_the_index_has_7_bits(void **state)
{
	(void)state;
	wreg(0x40, 0x5a);
	wreg(0x7f, 0xa5);
	assert_int_equal(reg(0x40), 0x5a);
	vrtc_outb(&rtc, 0x70, 0xc0); /* NMI disable + register 0x40 */
	assert_true(vrtc_nmi_disabled(&rtc));
	assert_int_equal(vrtc_inb(&rtc, 0x71), 0x5a);
	assert_int_equal(reg(0x7f), 0xa5);
	assert_false(vrtc_nmi_disabled(&rtc));
	assert_int_equal(vrtc_inb(&rtc, 0x70), 0xff);
	wreg(RTC_SECONDS_ALARM, 0x12);
	assert_int_equal(reg(RTC_SECONDS_ALARM), 0x12);
}

static void assert_mem(uint8_t idx, unsigned int v)
{
	assert_int_equal(reg(idx), v & 0xff);
	assert_int_equal(reg((uint8_t)(idx + 1)), v >> 8);
}

static void test_rtc_memory_size_16m(void **state)
{
	(void)state;
	vrtc_set_memory_size(&rtc, 16ULL << 20);
	assert_mem(0x15, 640);
	assert_mem(0x17, 15360);
	assert_mem(0x30, 15360);
	assert_mem(0x34, 0);
	assert_int_equal(reg(0x5b) | reg(0x5c) | reg(0x5d), 0);
	assert_int_equal(reg(0x2e), 0x00); /* checksum of 0x10-0x2d, big endian */
	assert_int_equal(reg(0x2f), 0x80 + 0x02 + 0x00 + 0x3c);
}

static void test_rtc_memory_size_512m_caps_extended_kib(void **state)
{
	(void)state;
	vrtc_set_memory_size(&rtc, 512ULL << 20);
	assert_mem(0x15, 640);
	assert_mem(0x17, 0xffff);
	assert_mem(0x30, 0xffff);
	assert_mem(0x34, (512 - 16) * 16);
	assert_int_equal(reg(0x5b) | reg(0x5c) | reg(0x5d), 0);
	assert_int_equal(reg(0x2e) << 8 | reg(0x2f), 0x80 + 0x02 + 0xff + 0xff);
}

static void test_rtc_memory_size_6g_splits_at_4g(void **state)
{
	(void)state;
	vrtc_set_memory_size(&rtc, 6ULL << 30);
	assert_mem(0x17, 0xffff);
	assert_mem(0x34, (4096 - 16) * 16);
	assert_int_equal(reg(0x5b), 0x00);
	assert_int_equal(reg(0x5c), 0x80); /* 2 GiB = 0x8000 * 64 KiB */
	assert_int_equal(reg(0x5d), 0x00);
}

/* --- bus, calendar helpers, edges --------------------------------------- */

static void test_rtc_word_write_to_the_index_port_selects_and_writes(void **state)
{
	(void)state;
	struct io_bus bus = { 0 };
	uint64_t v;

	assert_int_equal(vrtc_register(&rtc, &bus), 0);
	assert_int_equal(io_bus_write(&bus, 0x70, 2, 0x5a41), 0);
	assert_int_equal(reg(0x41), 0x5a);
	assert_int_equal(io_bus_write(&bus, 0x70, 1, 0x09), 0);
	assert_int_equal(io_bus_read(&bus, 0x70, 2, &v), 0);
	assert_int_equal(v, 0x24ff);
	assert_int_equal(vrtc_register(&rtc, &bus), -EEXIST);
	assert_true(test_log_contains("rtc: cannot claim ports 0x70-0x71: error -17"));
}

static void test_rtc_calendar_helpers_agree_with_known_dates(void **state)
{
	(void)state;
	static const struct {
		struct rtc_time tm;
		int64_t epoch;
	} dates[] = {
		{ { 1970, 1, 1, 0, 0, 0, 4 }, 0 },
		{ { 2024, 2, 29, 13, 45, 30, 4 }, 1709214330LL },
		{ { 2000, 2, 29, 0, 0, 0, 2 }, 951782400LL },
		{ { 2100, 2, 28, 23, 59, 59, 0 }, 4107542399LL },
		{ { 1900, 3, 1, 0, 0, 0, 4 }, -2203891200LL },
		{ { 1, 1, 1, 0, 0, 0, 1 }, -62135596800LL },
		{ { 9999, 12, 31, 23, 59, 59, 5 }, 253402300799LL },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(dates); i++) {
		struct rtc_time tm;
		int64_t e = 1;

		assert_int_equal(vrtc_time_to_epoch(&dates[i].tm, &e), 0);
		assert_int_equal(e, dates[i].epoch);
		vrtc_epoch_to_time(dates[i].epoch, &tm);
		assert_memory_equal(&tm, &dates[i].tm, sizeof(tm));
	}
}

/* Every day of years 0-9999, counted one by one, against both helpers. */
static void test_rtc_calendar_helpers_agree_with_day_by_day_counting(void **state)
{
	(void)state;
	static const uint8_t mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct rtc_time want = { 0, 1, 1, 0, 0, 0, 6 }, got; /* 0000-01-01 was a Saturday */
	int64_t epoch = -62167219200LL, e;

	while (want.year <= 9999) {
		bool leap = (want.year % 4 == 0 && want.year % 100 != 0) || want.year % 400 == 0;

		want.hour = (uint8_t)(want.day % 24);
		want.min = (uint8_t)(want.month * 4);
		want.sec = (uint8_t)(want.year % 60);
		e = epoch + want.hour * 3600 + want.min * 60 + want.sec;
		vrtc_epoch_to_time(e, &got);
		if (memcmp(&got, &want, sizeof(got)))
			fail_msg("%04u-%02u-%02u", want.year, want.month, want.day);
		got.wday = 0;
		assert_int_equal(vrtc_time_to_epoch(&got, &e), 0);
		assert_int_equal(e, epoch + want.hour * 3600 + want.min * 60 + want.sec);
		epoch += 86400;
		want.wday = (uint8_t)((want.wday + 1) % 7);
		if (++want.day > mdays[want.month - 1] + (want.month == 2 && leap)) {
			want.day = 1;
			if (++want.month > 12) {
				want.month = 1;
				want.year++;
			}
		}
	}
	assert_int_equal(epoch, 253402300800LL); /* 10000-01-01 */
}

static void test_rtc_time_to_epoch_rejects_february_29th_of_a_common_year(void **state)
{
	(void)state;
	struct rtc_time tm = { 2023, 2, 29, 0, 0, 0, 0 };
	int64_t e = 7;

	assert_int_equal(vrtc_time_to_epoch(&tm, &e), -EINVAL);
	assert_int_equal(e, 7);
	assert_true(test_log_contains("rtc: invalid time 2023-02-29 00:00:00"));
}

static void test_rtc_base_time_beyond_year_9999_is_clamped(void **state)
{
	(void)state;
	init_at(INT64_MAX);
	assert_time(read_time(), 0x99, 0x99, 0x12, 0x31, 6, 0x23, 0x59, 0x59);
	init_at(INT64_MIN);
	assert_time(read_time(), 0x00, 0x00, 0x01, 0x01, 7, 0x00, 0x00, 0x00);
}

static void test_rtc_out_of_range_written_fields_are_brought_into_range(void **state)
{
	(void)state;
	wreg(RTC_REG_B, 0x82);
	wreg(RTC_MONTH, 0x13);
	wreg(RTC_DAY_OF_MONTH, 0x45);
	wreg(RTC_HOURS, 0x3f);
	wreg(RTC_REG_B, 0x02);
	assert_int_equal(reg(RTC_MONTH), 0x12);
	assert_int_equal(reg(RTC_DAY_OF_MONTH), 0x31);
	assert_int_equal(reg(RTC_HOURS), 0x23);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_rtc_power_on_registers_are_as_firmware_leaves_them),
		T(test_rtc_time_reads_in_bcd_24_hour_from_the_base_time),
		T(test_rtc_binary_mode_reads_plain_values),
		T(test_rtc_12_hour_mode_encodes_pm_in_bit_7),
		T(test_rtc_changing_the_data_mode_reencodes_at_once),
		T(test_rtc_seconds_advance_at_each_update),
		T(test_rtc_leap_day_follows_february_28th_and_rolls_to_march),
		T(test_rtc_february_28th_rolls_to_march_in_common_years),
		T(test_rtc_year_and_century_roll_over),
		T(test_rtc_uip_is_set_for_244us_before_each_update),
		T(test_rtc_set_bit_freezes_the_time_for_writing),
		T(test_rtc_day_of_week_as_written_advances_at_midnight),
		T(test_rtc_set_bit_going_high_clears_uie),
		T(test_rtc_time_written_while_running_counts_on_from_it),
		T(test_rtc_divider_reset_holds_time_and_first_update_is_half_a_second_after),
		T(test_rtc_register_a_uip_bit_is_read_only),
		T(test_rtc_registers_c_and_d_are_read_only),
		T(test_rtc_periodic_rates_follow_the_rate_select),
		T(test_rtc_periodic_flag_is_set_without_pie_but_irq_stays_low),
		T(test_rtc_enabling_an_interrupt_whose_flag_is_set_raises_irq_at_once),
		T(test_rtc_update_ended_interrupt_each_second),
		T(test_rtc_irq_is_held_until_register_c_is_read),
		T(test_rtc_alarm_at_an_exact_time_fires_once_a_day),
		T(test_rtc_alarm_dont_care_hours_and_minutes_fires_every_minute),
		T(test_rtc_alarm_all_dont_care_fires_at_every_update),
		T(test_rtc_alarm_in_12_hour_mode_compares_the_pm_flag),
		T(test_rtc_alarm_byte_no_time_encodes_to_never_matches),
		T(test_rtc_alarm_flag_is_set_without_aie),
		T(test_rtc_no_interrupts_while_set_but_periodic_continues),
		T(test_rtc_cmos_ram_reads_back_and_the_index_has_7_bits),
		T(test_rtc_memory_size_16m),
		T(test_rtc_memory_size_512m_caps_extended_kib),
		T(test_rtc_memory_size_6g_splits_at_4g),
		T(test_rtc_word_write_to_the_index_port_selects_and_writes),
		T(test_rtc_calendar_helpers_agree_with_known_dates),
		T(test_rtc_calendar_helpers_agree_with_day_by_day_counting),
		T(test_rtc_time_to_epoch_rejects_february_29th_of_a_common_year),
		T(test_rtc_base_time_beyond_year_9999_is_clamped),
		T(test_rtc_out_of_range_written_fields_are_brought_into_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
