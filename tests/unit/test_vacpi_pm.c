/* Unit tests for the ACPI PM1 event/control registers (hv/vacpi_pm.c): the
 * sleep sequence an OS performs (ACPICA writes SLP_TYP, then SLP_TYP with
 * SLP_EN; others write the upper byte), SCI_EN, write-1-to-clear status,
 * enables, and the SCI level, all through port I/O at 0x600-0x605. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/iobus.h"
#include "hv/vacpi_pm.h"
#include "test_log.h"

#define STS VACPI_PM1_STS
#define EN VACPI_PM1_EN
#define CNT VACPI_PM1_CNT
#define SLP_TYP(t) ((uint32_t)(t) << VACPI_PM1_CNT_SLP_TYP_SHIFT)

static struct vacpi_pm pm;
static struct io_bus bus;

static struct {
	int calls;
	uint32_t typ;
	uint16_t cnt_seen; /* PM1_CNT as the guest would read it during the call */
} slp;

static struct {
	int calls;
	uint32_t line;
	int level;
} sci;

static uint64_t in(uint16_t port, uint32_t len)
{
	uint64_t v = 0xdeadbeefULL;

	assert_int_equal(io_bus_read(&bus, port, len, &v), 0);
	return v;
}

static void out(uint16_t port, uint32_t len, uint64_t v)
{
	assert_int_equal(io_bus_write(&bus, port, len, v), 0);
}

static void sleep_cb(void *ctx, uint32_t typ)
{
	uint64_t v = 0;

	assert_ptr_equal(ctx, &slp);
	slp.calls++;
	slp.typ = typ;
	assert_int_equal(vacpi_pm_read(&pm, CNT, 2, &v), 0);
	slp.cnt_seen = (uint16_t)v;
}

static void sci_set(void *ctx, uint32_t line, int level)
{
	assert_ptr_equal(ctx, &sci);
	sci.calls++;
	sci.line = line;
	sci.level = level;
}

static int setup(void **state)
{
	(void)state;
	struct vacpi_pm_config c = {
		.sleep = sleep_cb,
		.ctx = &slp,
		.sci = { .set = sci_set, .ctx = &sci, .line = VACPI_PM_SCI_IRQ },
	};

	test_log_reset();
	memset(&slp, 0, sizeof(slp));
	memset(&sci, 0, sizeof(sci));
	memset(&bus, 0, sizeof(bus));
	assert_int_equal(vacpi_pm_init(&pm, &c), 0);
	assert_int_equal(vacpi_pm_register(&pm, &bus), 0);
	return 0;
}

static void test_pm1_registers_start_clear_with_sci_en_set(void **state)
{
	(void)state;
	assert_int_equal(in(STS, 2), 0);
	assert_int_equal(in(EN, 2), 0);
	assert_int_equal(in(CNT, 2), VACPI_PM1_CNT_SCI_EN);
	assert_int_equal(sci.calls, 0);
}

static void test_pm1_sci_en_reads_1_whatever_is_written(void **state)
{
	(void)state;
	out(CNT, 2, 0);
	assert_int_equal(in(CNT, 2), 1);
	out(CNT, 1, 0);
	assert_int_equal(in(CNT, 1), 1);
	out(CNT, 2, VACPI_PM1_CNT_SCI_EN);
	assert_int_equal(in(CNT, 2), 1);
}

static void test_pm1_slp_en_write_calls_sleep_with_the_type(void **state)
{
	(void)state;
	out(CNT, 2, SLP_TYP(VACPI_PM_S5_SLP_TYP) | VACPI_PM1_CNT_SLP_EN | VACPI_PM1_CNT_SCI_EN);
	assert_int_equal(slp.calls, 1);
	assert_int_equal(slp.typ, VACPI_PM_S5_SLP_TYP);
	assert_int_equal(pm.sleeps, 1);
}

static void test_pm1_every_slp_typ_reaches_the_callback(void **state)
{
	(void)state;
	for (uint32_t t = 0; t < 8; t++) {
		out(CNT, 2, SLP_TYP(t) | VACPI_PM1_CNT_SLP_EN);
		assert_int_equal(slp.calls, (int)t + 1);
		assert_int_equal(slp.typ, t);
	}
}

static void test_pm1_slp_en_reads_back_0_and_slp_typ_as_written(void **state)
{
	(void)state;
	out(CNT, 2, SLP_TYP(5) | VACPI_PM1_CNT_SLP_EN);
	assert_int_equal(in(CNT, 2), SLP_TYP(5) | VACPI_PM1_CNT_SCI_EN);
	/* The callback already sees the final register. */
	assert_int_equal(slp.cnt_seen, SLP_TYP(5) | VACPI_PM1_CNT_SCI_EN);
}

static void test_pm1_acpica_sequence_sleeps_once_on_the_second_write(void **state)
{
	(void)state;
	/* Read, set SLP_TYP alone, then SLP_TYP | SLP_EN. */
	uint16_t v = (uint16_t)in(CNT, 2);

	v = (uint16_t)((v & ~(VACPI_PM1_CNT_SLP_TYP | VACPI_PM1_CNT_SLP_EN)) | SLP_TYP(5));
	out(CNT, 2, v);
	assert_int_equal(slp.calls, 0);
	out(CNT, 2, v | VACPI_PM1_CNT_SLP_EN);
	assert_int_equal(slp.calls, 1);
	assert_int_equal(slp.typ, 5);
}

static void test_pm1_byte_write_to_the_upper_half_sets_slp_typ_and_sleeps(void **state)
{
	(void)state;
	out(CNT, 2, VACPI_PM1_CNT_BM_RLD);
	out(CNT + 1, 1, (SLP_TYP(3) | VACPI_PM1_CNT_SLP_EN) >> 8);
	assert_int_equal(slp.calls, 1);
	assert_int_equal(slp.typ, 3);
	/* The lower half kept BM_RLD. */
	assert_int_equal(in(CNT, 2), SLP_TYP(3) | VACPI_PM1_CNT_BM_RLD | VACPI_PM1_CNT_SCI_EN);
	assert_int_equal(in(CNT + 1, 1), SLP_TYP(3) >> 8);
}

static void test_pm1_upper_byte_without_slp_en_only_stores_slp_typ(void **state)
{
	(void)state;
	out(CNT + 1, 1, SLP_TYP(7) >> 8);
	assert_int_equal(slp.calls, 0);
	assert_int_equal(in(CNT, 2), SLP_TYP(7) | VACPI_PM1_CNT_SCI_EN);
	out(CNT, 1, 0); /* a lower-byte write leaves SLP_TYP alone */
	assert_int_equal(in(CNT, 2), SLP_TYP(7) | VACPI_PM1_CNT_SCI_EN);
}

static void test_pm1_write_only_and_reserved_control_bits_read_0(void **state)
{
	(void)state;
	out(CNT, 2, 0xFFFF & ~VACPI_PM1_CNT_SLP_EN);
	assert_int_equal(in(CNT, 2),
			 VACPI_PM1_CNT_SCI_EN | VACPI_PM1_CNT_BM_RLD | VACPI_PM1_CNT_SLP_TYP);
	assert_int_equal(slp.calls, 0);
}

static void test_pm1_sleep_without_callback_is_accepted(void **state)
{
	(void)state;
	assert_int_equal(vacpi_pm_init(&pm, NULL), 0);
	out(CNT, 2, SLP_TYP(5) | VACPI_PM1_CNT_SLP_EN);
	assert_int_equal(slp.calls, 0);
	assert_int_equal(pm.sleeps, 1);
}

static void test_pm1_status_is_write_1_to_clear(void **state)
{
	(void)state;
	vacpi_pm_event(&pm, VACPI_PM1_STS_PWRBTN | VACPI_PM1_STS_WAK);
	assert_int_equal(in(STS, 2), 0x8100);
	out(STS, 2, 0); /* zeros leave bits alone */
	assert_int_equal(in(STS, 2), 0x8100);
	out(STS, 2, VACPI_PM1_STS_PWRBTN);
	assert_int_equal(in(STS, 2), VACPI_PM1_STS_WAK);
	out(STS, 2, 0xFFFF);
	assert_int_equal(in(STS, 2), 0);
}

static void test_pm1_status_bits_cannot_be_set_by_the_guest(void **state)
{
	(void)state;
	out(STS, 2, 0xFFFF);
	out(STS, 1, 0xFF);
	assert_int_equal(in(STS, 2), 0);
}

static void test_pm1_status_byte_write_clears_only_that_byte(void **state)
{
	(void)state;
	vacpi_pm_event(&pm, VACPI_PM1_STS_WAK | VACPI_PM1_STS_PWRBTN | VACPI_PM1_STS_GBL);
	out(STS + 1, 1, VACPI_PM1_STS_WAK >> 8);
	assert_int_equal(in(STS, 2), VACPI_PM1_STS_PWRBTN | VACPI_PM1_STS_GBL);
	out(STS, 1, 0xFF);
	assert_int_equal(in(STS, 2), VACPI_PM1_STS_PWRBTN);
	assert_int_equal(in(STS + 1, 1), VACPI_PM1_STS_PWRBTN >> 8);
}

static void test_pm1_event_drops_undefined_status_bits(void **state)
{
	(void)state;
	vacpi_pm_event(&pm, 0xFFFF);
	assert_int_equal(in(STS, 2), VACPI_PM1_STS_MASK);
	assert_int_equal(VACPI_PM1_STS_MASK, 0xC731);
}

static void test_pm1_enable_keeps_only_defined_bits(void **state)
{
	(void)state;
	out(EN, 2, 0xFFFF);
	assert_int_equal(in(EN, 2), 0x4721);
	out(EN + 1, 1, 0);
	assert_int_equal(in(EN, 2), 0x21);
	out(EN, 2, 0);
	assert_int_equal(in(EN, 2), 0);
}

static void test_pm1_enabled_power_button_raises_and_clearing_lowers_the_sci(void **state)
{
	(void)state;
	out(EN, 2, VACPI_PM1_EN_PWRBTN);
	assert_int_equal(sci.calls, 0);
	vacpi_pm_event(&pm, VACPI_PM1_STS_PWRBTN);
	assert_int_equal(sci.calls, 1);
	assert_int_equal(sci.line, VACPI_PM_SCI_IRQ);
	assert_int_equal(sci.level, 1);
	vacpi_pm_event(&pm, VACPI_PM1_STS_PWRBTN); /* already high: no new call */
	assert_int_equal(sci.calls, 1);
	out(STS, 2, VACPI_PM1_STS_PWRBTN);
	assert_int_equal(sci.calls, 2);
	assert_int_equal(sci.level, 0);
}

static void test_pm1_pending_event_raises_the_sci_when_enabled(void **state)
{
	(void)state;
	vacpi_pm_event(&pm, VACPI_PM1_STS_PWRBTN);
	assert_int_equal(sci.calls, 0);
	out(EN + 1, 1, VACPI_PM1_EN_PWRBTN >> 8);
	assert_int_equal(sci.calls, 1);
	assert_int_equal(sci.level, 1);
	out(EN, 2, 0); /* disabling lowers it with the status still set */
	assert_int_equal(sci.calls, 2);
	assert_int_equal(sci.level, 0);
	assert_int_equal(in(STS, 2), VACPI_PM1_STS_PWRBTN);
}

static void test_pm1_wake_status_never_raises_the_sci(void **state)
{
	(void)state;
	out(EN, 2, 0xFFFF);
	vacpi_pm_event(&pm, VACPI_PM1_STS_WAK | VACPI_PM1_STS_BM | VACPI_PM1_STS_PCIEXP_WAKE);
	assert_int_equal(sci.calls, 0);
	vacpi_pm_event(&pm, VACPI_PM1_STS_RTC);
	assert_int_equal(sci.calls, 1);
	assert_int_equal(sci.level, 1);
}

static void test_pm1_dword_read_returns_status_and_enable(void **state)
{
	(void)state;
	vacpi_pm_event(&pm, VACPI_PM1_STS_WAK);
	out(EN, 2, VACPI_PM1_EN_RTC);
	assert_int_equal(in(STS, 4), 0x04008000);
	assert_int_equal(in(STS + 1, 2), 0x0080);
}

static void test_pm1_word_write_across_status_and_enable(void **state)
{
	(void)state;
	vacpi_pm_event(&pm, VACPI_PM1_STS_WAK | VACPI_PM1_STS_TMR);
	out(STS + 1, 2, 0x2180); /* clears WAK_STS, sets GBL_EN and TMR_EN */
	assert_int_equal(in(STS, 2), VACPI_PM1_STS_TMR);
	assert_int_equal(in(EN, 2), VACPI_PM1_EN_GBL | VACPI_PM1_EN_TMR);
	assert_int_equal(sci.level, 1);
	out(STS, 4, 0x01000001); /* both registers in one go */
	assert_int_equal(in(STS, 2), 0);
	assert_int_equal(in(EN, 2), VACPI_PM1_EN_PWRBTN);
	assert_int_equal(sci.calls, 2);
	assert_int_equal(sci.level, 0);
}

static void test_pm1_reset_clears_everything_and_lowers_the_sci(void **state)
{
	(void)state;
	out(EN, 2, VACPI_PM1_EN_PWRBTN);
	out(CNT, 2, SLP_TYP(2) | VACPI_PM1_CNT_BM_RLD);
	vacpi_pm_event(&pm, VACPI_PM1_STS_PWRBTN);
	assert_int_equal(sci.level, 1);
	vacpi_pm_reset(&pm);
	assert_int_equal(sci.calls, 2);
	assert_int_equal(sci.level, 0);
	assert_int_equal(in(STS, 2), 0);
	assert_int_equal(in(EN, 2), 0);
	assert_int_equal(in(CNT, 2), VACPI_PM1_CNT_SCI_EN);
}

static void test_pm1_accesses_outside_its_ports_are_refused(void **state)
{
	(void)state;
	uint64_t v = 0;

	assert_int_equal(vacpi_pm_read(&pm, 0x5FF, 1, &v), -EINVAL);
	assert_int_equal(vacpi_pm_read(&pm, 0x5FF, 2, &v), -EINVAL);
	assert_int_equal(vacpi_pm_read(&pm, 0x606, 1, &v), -EINVAL);
	assert_int_equal(vacpi_pm_write(&pm, 0x604, 4, 0xFFFFFFFF), -EINVAL);
	assert_int_equal(vacpi_pm_write(&pm, 0x605, 2, 0xFFFF), -EINVAL);
	assert_int_equal(vacpi_pm_write(&pm, 0x600, 3, 0), -EINVAL);
	assert_int_equal(vacpi_pm_write(&pm, 0x600, 8, 0), -EINVAL);
	assert_int_equal(io_bus_read(&bus, 0x608, 4, &v), -ENODEV); /* the PM timer's */
	assert_int_equal(io_bus_write(&bus, 0x604, 4, 0x2000), -ENODEV);
	assert_int_equal(slp.calls, 0);
	assert_int_equal(in(EN, 2), 0);
}

static void test_pm1_claiming_taken_ports_fails_with_a_message(void **state)
{
	(void)state;
	assert_int_equal(vacpi_pm_register(&pm, &bus), -EEXIST);
	assert_true(test_log_contains("acpi-pm: cannot claim ports 0x600-0x605: error -17"));
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pm1_registers_start_clear_with_sci_en_set),
		T(test_pm1_sci_en_reads_1_whatever_is_written),
		T(test_pm1_slp_en_write_calls_sleep_with_the_type),
		T(test_pm1_every_slp_typ_reaches_the_callback),
		T(test_pm1_slp_en_reads_back_0_and_slp_typ_as_written),
		T(test_pm1_acpica_sequence_sleeps_once_on_the_second_write),
		T(test_pm1_byte_write_to_the_upper_half_sets_slp_typ_and_sleeps),
		T(test_pm1_upper_byte_without_slp_en_only_stores_slp_typ),
		T(test_pm1_write_only_and_reserved_control_bits_read_0),
		T(test_pm1_sleep_without_callback_is_accepted),
		T(test_pm1_status_is_write_1_to_clear),
		T(test_pm1_status_bits_cannot_be_set_by_the_guest),
		T(test_pm1_status_byte_write_clears_only_that_byte),
		T(test_pm1_event_drops_undefined_status_bits),
		T(test_pm1_enable_keeps_only_defined_bits),
		T(test_pm1_enabled_power_button_raises_and_clearing_lowers_the_sci),
		T(test_pm1_pending_event_raises_the_sci_when_enabled),
		T(test_pm1_wake_status_never_raises_the_sci),
		T(test_pm1_dword_read_returns_status_and_enable),
		T(test_pm1_word_write_across_status_and_enable),
		T(test_pm1_reset_clears_everything_and_lowers_the_sci),
		T(test_pm1_accesses_outside_its_ports_are_refused),
		T(test_pm1_claiming_taken_ports_fails_with_a_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
