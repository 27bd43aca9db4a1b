/* Unit tests for the 8259A pair (hv/vpic.c): what a guest sees through
 * ports 0x20/0x21, 0xA0/0xA1 and 0x4D0/0x4D1, and the vectors the INTA
 * cycle returns. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/vpic.h"
#include "test_log.h"

#define M_CMD 0x20
#define M_DATA 0x21
#define S_CMD 0xA0
#define S_DATA 0xA1
#define ELCR0 0x4D0
#define ELCR1 0x4D1

#define OCW3_READ_IRR 0x0A
#define OCW3_READ_ISR 0x0B
#define OCW3_POLL 0x0C
#define OCW2_EOI 0x20

static struct vpic pic;
static const struct io_device_ops no_ops;
static struct io_bus bus;
static int intr_level;
static int intr_changes;

static void intr_cb(void *ctx, uint32_t line, int level)
{
	(void)ctx;
	assert_int_equal(line, 7);
	intr_level = level;
	intr_changes++;
}

static void outb(uint16_t port, uint8_t v)
{
	assert_int_equal(io_bus_write(&bus, port, 1, v), 0);
}

static uint8_t inb(uint16_t port)
{
	uint64_t v = 0xdead;

	assert_int_equal(io_bus_read(&bus, port, 1, &v), 0);
	assert_true(v <= 0xFF);
	return (uint8_t)v;
}

static uint8_t read_irr(uint16_t cmd)
{
	outb(cmd, OCW3_READ_IRR);
	return inb(cmd);
}

static uint8_t read_isr(uint16_t cmd)
{
	outb(cmd, OCW3_READ_ISR);
	return inb(cmd);
}

/* The sequence Linux's init_8259A writes (ICW1 edge + IC4, ICW2 base,
 * ICW3 cascade, ICW4), then the masks. */
static void init_pair(uint8_t mbase, uint8_t sbase, uint8_t m_icw4, uint8_t s_icw4)
{
	outb(M_CMD, 0x11);
	outb(M_DATA, mbase);
	outb(M_DATA, 0x04);
	outb(M_DATA, m_icw4);
	outb(S_CMD, 0x11);
	outb(S_DATA, sbase);
	outb(S_DATA, 0x02);
	outb(S_DATA, s_icw4);
	outb(M_DATA, 0x00);
	outb(S_DATA, 0x00);
}

static void raise_irq(uint32_t irq)
{
	assert_int_equal(vpic_set_irq(&pic, irq, 1), 0);
}

static void lower_irq(uint32_t irq)
{
	assert_int_equal(vpic_set_irq(&pic, irq, 0), 0);
}

static void pulse(uint32_t irq)
{
	raise_irq(irq);
	lower_irq(irq);
}

static void fresh_pic(void)
{
	struct irq_out out = { intr_cb, NULL, 7 };

	memset(&bus, 0, sizeof(bus));
	intr_level = 0;
	intr_changes = 0;
	vpic_init(&pic, &out);
	assert_int_equal(vpic_register(&pic, &bus), 0);
}

static int setup(void **state)
{
	(void)state;
	test_log_reset();
	fresh_pic();
	init_pair(0x20, 0x28, 0x01, 0x01);
	return 0;
}

static int setup_reset_state(void **state)
{
	(void)state;
	test_log_reset();
	fresh_pic();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* The callback always agrees with the output, and the model never logs. */
	assert_int_equal(intr_level, vpic_has_interrupt(&pic));
	assert_int_equal(test_log_count(), 0);
	return 0;
}

/* --- reset state and initialisation --------------------------------------- */

static void test_pic_reset_state_masks_every_line_with_bios_vector_bases(void **state)
{
	assert_int_equal(inb(M_DATA), 0xFF);
	assert_int_equal(inb(S_DATA), 0xFF);
	pulse(1);
	pulse(9);
	assert_false(vpic_has_interrupt(&pic));
	outb(M_DATA, 0xFD);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x09);
	outb(M_CMD, OCW2_EOI);
	outb(M_DATA, 0xFB);
	outb(S_DATA, 0xFD);
	assert_int_equal(vpic_ack(&pic), 0x71);
}

static void test_pic_init_sequence_programs_both_vector_bases(void **state)
{
	pulse(1);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x21);
	outb(M_CMD, OCW2_EOI);
	pulse(14);
	assert_int_equal(vpic_ack(&pic), 0x2E);
}

static void test_pic_icw2_low_three_bits_are_ignored(void **state)
{
	init_pair(0x37, 0x4F, 0x01, 0x01);
	pulse(3);
	assert_int_equal(vpic_ack(&pic), 0x33);
	outb(M_CMD, OCW2_EOI);
	pulse(15);
	assert_int_equal(vpic_ack(&pic), 0x4F);
}

static void test_pic_icw1_clears_imr_isr_and_selects_irr_reads(void **state)
{
	pulse(1);
	assert_int_equal(vpic_ack(&pic), 0x21);
	outb(M_DATA, 0xAA);
	outb(M_CMD, OCW3_READ_ISR);
	assert_int_equal(inb(M_CMD), 0x02);
	outb(M_CMD, 0x11);
	assert_int_equal(inb(M_DATA), 0x00);
	raise_irq(5);
	assert_int_equal(inb(M_CMD), 0x20); /* IRR, not ISR, after ICW1 */
	outb(M_DATA, 0x20);
	outb(M_DATA, 0x04);
	outb(M_DATA, 0x01);
	assert_int_equal(read_isr(M_CMD), 0x00);
}

static void test_pic_icw1_without_ic4_in_single_mode_takes_only_icw2(void **state)
{
	outb(M_CMD, 0x12); /* single, no ICW4 */
	outb(M_DATA, 0x40);
	outb(M_DATA, 0xFE); /* already OCW1 */
	assert_int_equal(inb(M_DATA), 0xFE);
	pulse(0);
	assert_int_equal(vpic_ack(&pic), 0x40);
}

static void test_pic_single_mode_master_answers_ir2_itself(void **state)
{
	outb(M_CMD, 0x13); /* single, ICW4 follows: no ICW3 */
	outb(M_DATA, 0x40);
	outb(M_DATA, 0x01);
	outb(M_DATA, 0x00);
	assert_int_equal(inb(M_DATA), 0x00);
	pulse(10);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x42);
	assert_int_equal(read_isr(S_CMD), 0x00);
	assert_int_equal(read_irr(S_CMD), 0x04);
}

static void test_pic_icw1_without_ic4_clears_auto_eoi(void **state)
{
	init_pair(0x20, 0x28, 0x03, 0x01); /* master AEOI */
	outb(M_CMD, 0x10);                 /* cascade, no ICW4 */
	outb(M_DATA, 0x20);
	outb(M_DATA, 0x04);
	outb(M_DATA, 0x00); /* OCW1 */
	pulse(3);
	assert_int_equal(vpic_ack(&pic), 0x23);
	assert_int_equal(read_isr(M_CMD), 0x08);
}

static void test_pic_icw1_requires_a_new_edge_on_a_line_held_high(void **state)
{
	raise_irq(3);
	assert_true(vpic_has_interrupt(&pic));
	init_pair(0x20, 0x28, 0x01, 0x01);
	assert_false(vpic_has_interrupt(&pic));
	assert_int_equal(read_irr(M_CMD), 0x00);
	raise_irq(3);
	assert_false(vpic_has_interrupt(&pic));
	pulse(3);
	pulse(3);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x23);
}

static void test_pic_icw1_keeps_request_of_a_level_line_held_high(void **state)
{
	outb(ELCR0, 0x10); /* IRQ4 level */
	raise_irq(4);
	init_pair(0x20, 0x28, 0x01, 0x01);
	assert_int_equal(read_irr(M_CMD), 0x10);
	assert_int_equal(vpic_ack(&pic), 0x24);
}

static void test_pic_cascade_id_mismatch_leaves_the_bus_floating(void **state)
{
	outb(S_CMD, 0x11);
	outb(S_DATA, 0x28);
	outb(S_DATA, 0x03); /* slave thinks it sits on IR3 */
	outb(S_DATA, 0x01);
	outb(S_DATA, 0x00);
	pulse(12);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0xFF);
	assert_int_equal(read_isr(S_CMD), 0x00);
}

/* --- OCW1: masks ----------------------------------------------------------- */

static void test_pic_masked_edge_stays_latched_until_unmasked(void **state)
{
	outb(M_DATA, 0x10);
	pulse(4);
	assert_false(vpic_has_interrupt(&pic));
	assert_int_equal(read_irr(M_CMD), 0x10);
	outb(M_DATA, 0x00);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x24);
}

static void test_pic_masked_cascade_input_holds_back_slave_irqs(void **state)
{
	outb(M_DATA, 0x04);
	pulse(9);
	assert_false(vpic_has_interrupt(&pic));
	assert_int_equal(read_irr(S_CMD), 0x02);
	outb(M_DATA, 0x00);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x29);
}

static void test_pic_slave_mask_hides_slave_line(void **state)
{
	outb(S_DATA, 0x40);
	pulse(14);
	assert_false(vpic_has_interrupt(&pic));
	assert_int_equal(inb(S_DATA), 0x40);
}

/* --- INTA, ISR and EOI ------------------------------------------------------ */

static void test_pic_ack_sets_isr_and_clears_irr_for_edge(void **state)
{
	raise_irq(3);
	assert_int_equal(read_irr(M_CMD), 0x08);
	assert_int_equal(vpic_ack(&pic), 0x23);
	assert_int_equal(read_irr(M_CMD), 0x00);
	assert_int_equal(read_isr(M_CMD), 0x08);
	assert_false(vpic_has_interrupt(&pic));
}

static void test_pic_edge_line_held_high_interrupts_once(void **state)
{
	raise_irq(4);
	assert_int_equal(vpic_ack(&pic), 0x24);
	outb(M_CMD, OCW2_EOI);
	assert_false(vpic_has_interrupt(&pic));
	raise_irq(4);
	assert_false(vpic_has_interrupt(&pic));
}

static void test_pic_in_service_level_blocks_itself_and_lower_levels(void **state)
{
	pulse(3);
	assert_int_equal(vpic_ack(&pic), 0x23);
	pulse(6);
	pulse(3);
	assert_false(vpic_has_interrupt(&pic));
	outb(M_CMD, OCW2_EOI);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x23);
	outb(M_CMD, OCW2_EOI);
	assert_int_equal(vpic_ack(&pic), 0x26);
}

static void test_pic_higher_priority_interrupts_the_level_in_service(void **state)
{
	pulse(5);
	assert_int_equal(vpic_ack(&pic), 0x25);
	pulse(1);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x21);
	assert_int_equal(read_isr(M_CMD), 0x22);
}

static void test_pic_non_specific_eoi_clears_highest_priority_isr_bit(void **state)
{
	pulse(5);
	vpic_ack(&pic);
	pulse(1);
	vpic_ack(&pic);
	assert_int_equal(read_isr(M_CMD), 0x22);
	outb(M_CMD, OCW2_EOI);
	assert_int_equal(read_isr(M_CMD), 0x20);
	outb(M_CMD, OCW2_EOI);
	assert_int_equal(read_isr(M_CMD), 0x00);
	outb(M_CMD, OCW2_EOI); /* nothing in service: harmless */
	assert_int_equal(read_isr(M_CMD), 0x00);
}

static void test_pic_specific_eoi_clears_isr_bit(void **state)
{
	pulse(5);
	vpic_ack(&pic);
	pulse(1);
	vpic_ack(&pic);
	outb(M_CMD, 0x65); /* specific EOI, level 5 */
	assert_int_equal(read_isr(M_CMD), 0x02);
	outb(M_CMD, 0x61);
	assert_int_equal(read_isr(M_CMD), 0x00);
}

static void test_pic_ocw2_nop_changes_nothing(void **state)
{
	pulse(5);
	vpic_ack(&pic);
	outb(M_CMD, 0x45); /* R=0 SL=1 EOI=0: no operation */
	assert_int_equal(read_isr(M_CMD), 0x20);
}

static void test_pic_auto_eoi_leaves_isr_clear(void **state)
{
	init_pair(0x20, 0x28, 0x03, 0x01);
	pulse(3);
	assert_int_equal(vpic_ack(&pic), 0x23);
	assert_int_equal(read_isr(M_CMD), 0x00);
	pulse(5);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x25);
}

static void test_pic_ack_without_request_returns_master_irq7(void **state)
{
	assert_false(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x27);
	assert_int_equal(read_isr(M_CMD), 0x00);
}

/* --- rotation --------------------------------------------------------------- */

static void test_pic_rotate_on_non_specific_eoi_makes_served_level_lowest(void **state)
{
	pulse(0);
	assert_int_equal(vpic_ack(&pic), 0x20);
	outb(M_CMD, 0xA0); /* rotate on non-specific EOI */
	assert_int_equal(read_isr(M_CMD), 0x00);
	pulse(0);
	pulse(7);
	assert_int_equal(vpic_ack(&pic), 0x27);
	outb(M_CMD, 0x67);
	assert_int_equal(vpic_ack(&pic), 0x20);
}

static void test_pic_rotate_on_specific_eoi_sets_lowest_level(void **state)
{
	pulse(3);
	vpic_ack(&pic);
	outb(M_CMD, 0xE3); /* rotate on specific EOI, level 3 */
	assert_int_equal(read_isr(M_CMD), 0x00);
	pulse(2 + 1);
	pulse(4);
	pulse(1);
	/* Order is now 4 5 6 7 0 1 2 3. */
	assert_int_equal(vpic_ack(&pic), 0x24);
	outb(M_CMD, 0x64);
	assert_int_equal(vpic_ack(&pic), 0x21);
	outb(M_CMD, 0x61);
	assert_int_equal(vpic_ack(&pic), 0x23);
}

static void test_pic_set_priority_command_makes_next_level_highest(void **state)
{
	outb(M_CMD, 0xC4); /* IR4 lowest: IR5 highest */
	pulse(0);
	pulse(5);
	assert_int_equal(vpic_ack(&pic), 0x25);
	/* IR5 in service now blocks IR0, which ranks below it. */
	assert_false(vpic_has_interrupt(&pic));
	outb(M_CMD, OCW2_EOI);
	assert_int_equal(vpic_ack(&pic), 0x20);
}

static void test_pic_rotate_in_auto_eoi_mode_rotates_on_every_ack_until_cleared(void **state)
{
	init_pair(0x20, 0x28, 0x03, 0x01);
	outb(M_CMD, 0x80); /* rotate in AEOI mode: set */
	pulse(0);
	assert_int_equal(vpic_ack(&pic), 0x20);
	pulse(0);
	pulse(6);
	assert_int_equal(vpic_ack(&pic), 0x26); /* IR0 went to the bottom */
	/* IR6 is now lowest: IR0 ranks second only to IR7. */
	outb(M_CMD, 0x00); /* rotate in AEOI mode: clear */
	assert_int_equal(vpic_ack(&pic), 0x20);
	pulse(0);
	pulse(1);
	assert_int_equal(vpic_ack(&pic), 0x20); /* no rotation any more */
	assert_int_equal(vpic_ack(&pic), 0x21);
}

/* --- OCW3: special mask mode, poll, register reads ------------------------ */

static void test_pic_special_mask_mode_lets_lower_levels_through(void **state)
{
	pulse(3);
	assert_int_equal(vpic_ack(&pic), 0x23);
	pulse(5);
	assert_false(vpic_has_interrupt(&pic));
	outb(M_DATA, 0x08);
	outb(M_CMD, 0x28); /* SMM bit without ESMM: ignored */
	assert_false(vpic_has_interrupt(&pic));
	outb(M_CMD, 0x68); /* enable special mask mode */
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x25);
	assert_int_equal(read_isr(M_CMD), 0x28);
	outb(M_CMD, 0x65);
	outb(M_CMD, 0x48); /* reset special mask mode */
	pulse(6);
	assert_false(vpic_has_interrupt(&pic));
}

static void test_pic_poll_returns_level_and_takes_it_in_service(void **state)
{
	pulse(4);
	outb(M_CMD, OCW3_POLL);
	assert_int_equal(inb(M_CMD), 0x84);
	assert_false(vpic_has_interrupt(&pic));
	outb(M_CMD, OCW3_READ_ISR);
	assert_int_equal(inb(M_CMD), 0x10);
	assert_int_equal(inb(M_CMD), 0x10); /* the poll was for one read only */
}

static void test_pic_poll_through_data_port_and_without_request(void **state)
{
	outb(M_CMD, OCW3_POLL);
	assert_int_equal(inb(M_CMD), 0x00);
	pulse(6);
	outb(M_CMD, OCW3_POLL);
	assert_int_equal(inb(M_DATA), 0x86);
	assert_int_equal(inb(M_DATA), 0x00); /* back to the IMR */
}

static void test_pic_poll_on_slave_reports_slave_level(void **state)
{
	pulse(13);
	outb(M_CMD, OCW3_POLL);
	assert_int_equal(inb(M_CMD), 0x82);
	outb(S_CMD, OCW3_POLL);
	assert_int_equal(inb(S_CMD), 0x85);
	assert_int_equal(read_isr(S_CMD), 0x20);
	assert_int_equal(read_isr(M_CMD), 0x04);
}

static void test_pic_ocw3_selects_irr_or_isr_and_keeps_the_choice(void **state)
{
	pulse(3);
	vpic_ack(&pic);
	raise_irq(1);
	lower_irq(1);
	outb(M_DATA, 0x02);
	pulse(1);
	outb(M_CMD, OCW3_READ_IRR);
	assert_int_equal(inb(M_CMD), 0x02);
	outb(M_CMD, 0x08); /* RR=0: selection unchanged */
	assert_int_equal(inb(M_CMD), 0x02);
	outb(M_CMD, OCW3_READ_ISR);
	assert_int_equal(inb(M_CMD), 0x08);
	outb(M_CMD, 0x09); /* RIS without RR: unchanged */
	assert_int_equal(inb(M_CMD), 0x08);
}

/* --- cascade ---------------------------------------------------------------- */

static void test_pic_slave_irq_cascades_through_master_ir2(void **state)
{
	pulse(12);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(read_irr(M_CMD), 0x04);
	assert_int_equal(vpic_ack(&pic), 0x2C);
	assert_int_equal(read_isr(M_CMD), 0x04);
	assert_int_equal(read_isr(S_CMD), 0x10);
	assert_false(vpic_has_interrupt(&pic));
	outb(S_CMD, OCW2_EOI);
	outb(M_CMD, OCW2_EOI);
	assert_int_equal(read_isr(M_CMD), 0x00);
	assert_int_equal(read_isr(S_CMD), 0x00);
}

static void test_pic_slave_irqs_rank_at_master_ir2(void **state)
{
	pulse(3);
	pulse(8);
	pulse(1);
	assert_int_equal(vpic_ack(&pic), 0x21);
	outb(M_CMD, OCW2_EOI);
	assert_int_equal(vpic_ack(&pic), 0x28);
	outb(S_CMD, OCW2_EOI);
	outb(M_CMD, OCW2_EOI);
	assert_int_equal(vpic_ack(&pic), 0x23);
}

static void test_pic_second_slave_irq_follows_after_both_eois(void **state)
{
	pulse(12);
	pulse(9);
	assert_int_equal(vpic_ack(&pic), 0x29);
	assert_false(vpic_has_interrupt(&pic));
	outb(S_CMD, OCW2_EOI);
	assert_false(vpic_has_interrupt(&pic)); /* master IR2 still in service */
	outb(M_CMD, OCW2_EOI);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x2C);
}

static void test_pic_without_sfnm_higher_slave_irq_waits_for_master_eoi(void **state)
{
	pulse(12);
	assert_int_equal(vpic_ack(&pic), 0x2C);
	pulse(9);
	assert_false(vpic_has_interrupt(&pic));
}

static void test_pic_special_fully_nested_master_accepts_higher_slave_irq(void **state)
{
	init_pair(0x20, 0x28, 0x11, 0x01); /* master SFNM */
	pulse(12);
	assert_int_equal(vpic_ack(&pic), 0x2C);
	pulse(14); /* lower than 12 on the slave: the slave holds it back */
	assert_false(vpic_has_interrupt(&pic));
	pulse(9);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x29);
	assert_int_equal(read_isr(S_CMD), 0x12);
	pulse(5); /* IR2 in service still blocks lower master levels */
	assert_false(vpic_has_interrupt(&pic));
}

static void test_pic_slave_auto_eoi_keeps_second_request_coming(void **state)
{
	init_pair(0x20, 0x28, 0x01, 0x03); /* slave AEOI */
	pulse(9);
	pulse(12);
	assert_int_equal(vpic_ack(&pic), 0x29);
	assert_int_equal(read_isr(S_CMD), 0x00);
	assert_false(vpic_has_interrupt(&pic));
	outb(M_CMD, OCW2_EOI);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x2C);
}

/* --- edge/level: ELCR and LTIM ------------------------------------------------ */

static void test_pic_elcr_bits_of_irq0_1_2_8_13_read_zero(void **state)
{
	outb(ELCR0, 0xFF);
	outb(ELCR1, 0xFF);
	assert_int_equal(inb(ELCR0), 0xF8);
	assert_int_equal(inb(ELCR1), 0xDE);
	uint64_t v = 0;

	assert_int_equal(io_bus_write(&bus, ELCR0, 2, 0x0000), 0);
	assert_int_equal(io_bus_read(&bus, ELCR0, 2, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(io_bus_write(&bus, ELCR0, 2, 0xFFFF), 0);
	assert_int_equal(io_bus_read(&bus, ELCR0, 2, &v), 0);
	assert_int_equal(v, 0xDEF8);
}

static void test_pic_irq0_stays_edge_triggered_whatever_elcr_says(void **state)
{
	outb(ELCR0, 0xFF);
	raise_irq(0);
	assert_int_equal(vpic_ack(&pic), 0x20);
	outb(M_CMD, OCW2_EOI);
	assert_false(vpic_has_interrupt(&pic));
}

static void test_pic_elcr_level_line_reraises_after_eoi_while_asserted(void **state)
{
	outb(ELCR1, 0x08); /* IRQ11 level */
	raise_irq(11);
	assert_int_equal(vpic_ack(&pic), 0x2B);
	assert_int_equal(read_irr(S_CMD), 0x08); /* IRR follows the wire */
	outb(S_CMD, OCW2_EOI);
	outb(M_CMD, OCW2_EOI);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x2B);
	lower_irq(11);
	outb(S_CMD, OCW2_EOI);
	outb(M_CMD, OCW2_EOI);
	assert_false(vpic_has_interrupt(&pic));
	assert_int_equal(read_irr(S_CMD), 0x00);
}

static void test_pic_level_line_dropped_withdraws_the_request(void **state)
{
	outb(ELCR0, 0x20); /* IRQ5 level */
	raise_irq(5);
	assert_true(vpic_has_interrupt(&pic));
	lower_irq(5);
	assert_false(vpic_has_interrupt(&pic));
	assert_int_equal(read_irr(M_CMD), 0x00);
}

static void test_pic_elcr_switch_to_level_drops_latched_edge_of_low_line(void **state)
{
	outb(M_DATA, 0x20);
	pulse(5);
	assert_int_equal(read_irr(M_CMD), 0x20);
	outb(ELCR0, 0x20);
	assert_int_equal(read_irr(M_CMD), 0x00);
	raise_irq(5);
	outb(ELCR0, 0x00);
	assert_int_equal(read_irr(M_CMD), 0x20); /* held high: the request stays */
}

static void test_pic_ltim_makes_every_line_level_triggered(void **state)
{
	outb(M_CMD, 0x19); /* ICW1 with LTIM */
	outb(M_DATA, 0x20);
	outb(M_DATA, 0x04);
	outb(M_DATA, 0x01);
	outb(M_DATA, 0x00);
	raise_irq(0);
	assert_int_equal(vpic_ack(&pic), 0x20);
	outb(M_CMD, OCW2_EOI);
	assert_true(vpic_has_interrupt(&pic));
	lower_irq(0);
	assert_false(vpic_has_interrupt(&pic));
}

/* --- spurious interrupts ------------------------------------------------------ */

static void test_pic_level_request_gone_before_inta_gives_spurious_irq7(void **state)
{
	outb(ELCR0, 0x20);
	raise_irq(5);
	assert_true(vpic_has_interrupt(&pic));
	lower_irq(5);
	assert_int_equal(vpic_ack(&pic), 0x27);
	assert_int_equal(read_isr(M_CMD), 0x00);
}

static void test_pic_masked_before_inta_gives_spurious_irq7(void **state)
{
	pulse(3);
	assert_true(vpic_has_interrupt(&pic));
	outb(M_DATA, 0x08);
	assert_int_equal(vpic_ack(&pic), 0x27);
	assert_int_equal(read_isr(M_CMD), 0x00);
	assert_int_equal(read_irr(M_CMD), 0x08);
}

static void test_pic_spurious_irq15_takes_master_ir2_in_service(void **state)
{
	pulse(10);
	assert_true(vpic_has_interrupt(&pic));
	outb(S_DATA, 0x04); /* the slave's request goes away */
	/* Master IR2 is edge-triggered: its latched request stays. */
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x2F);
	assert_int_equal(read_isr(S_CMD), 0x00);
	assert_int_equal(read_isr(M_CMD), 0x04);
	outb(M_CMD, OCW2_EOI);
	assert_int_equal(read_isr(M_CMD), 0x00);
	assert_false(vpic_has_interrupt(&pic));
}

/* --- interface ---------------------------------------------------------------- */

static void test_pic_intr_callback_follows_master_output(void **state)
{
	intr_changes = 0;
	pulse(1);
	assert_int_equal(intr_level, 1);
	pulse(4);
	assert_int_equal(intr_changes, 1);
	assert_int_equal(vpic_ack(&pic), 0x21);
	assert_int_equal(intr_level, 0);
	outb(M_CMD, OCW2_EOI);
	assert_int_equal(intr_level, 1);
	assert_int_equal(intr_changes, 3);
}

static void test_pic_set_irq_rejects_cascade_and_out_of_range_lines(void **state)
{
	assert_int_equal(vpic_set_irq(&pic, 2, 1), -EINVAL);
	assert_int_equal(vpic_set_irq(&pic, 16, 1), -EINVAL);
	assert_int_equal(vpic_set_irq(&pic, 0xFFFFFFFFu, 1), -EINVAL);
	assert_false(vpic_has_interrupt(&pic));
	vpic_irq_set(&pic, 15, 1);
	assert_int_equal(vpic_ack(&pic), 0x2F);
	assert_int_equal(read_isr(S_CMD), 0x80);
}

static void test_pic_word_access_splits_into_byte_ports(void **state)
{
	uint64_t v = 0;

	assert_int_equal(io_bus_write(&bus, M_CMD, 2, 0xFB0A), 0); /* OCW3 read IRR, IMR 0xFB */
	assert_int_equal(inb(M_DATA), 0xFB);
	pulse(0);
	assert_int_equal(io_bus_read(&bus, M_CMD, 2, &v), 0);
	assert_int_equal(v, 0xFB01);
}

static void test_pic_odd_widths_and_foreign_ports_do_not_crash(void **state)
{
	uint64_t v = 0;

	/* Called directly, as a bus with other rules might: bytes outside the
	 * chip's ports read as a floating bus and writes to them vanish. */
	assert_int_equal(pic.dev[0].ops->read(&pic.dev[0], 0x21, 4, &v), 0);
	assert_int_equal(v, 0xFFFFFF00);
	assert_int_equal(pic.dev[0].ops->write(&pic.dev[0], 0x22, 8, ~0ull), 0);
	assert_int_equal(pic.dev[0].ops->read(&pic.dev[0], 0x20, 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(inb(M_DATA), 0x00);
}

static void test_pic_register_claims_three_port_pairs_and_rolls_back(void **state)
{
	struct vpic other;

	assert_true(io_bus_claims(&bus, 0x20, 2));
	assert_true(io_bus_claims(&bus, 0xA0, 2));
	assert_true(io_bus_claims(&bus, 0x4D0, 2));
	assert_false(io_bus_claims(&bus, 0x22, 1));
	assert_int_equal(bus.count, 3);
	vpic_init(&other, NULL);
	assert_int_equal(vpic_register(&other, &bus), -EEXIST);
	assert_int_equal(bus.count, 3);

	struct io_bus b2;
	struct io_device blocker = { &no_ops, NULL, "blocker", 0 };

	memset(&b2, 0, sizeof(b2));

	assert_int_equal(io_bus_register(&b2, 0x4D1, 1, &blocker), 0);
	assert_int_equal(vpic_register(&other, &b2), -EEXIST);
	assert_int_equal(b2.count, 1); /* master and slave were taken back */
}

static void test_pic_reset_returns_to_bios_state(void **state)
{
	pulse(3);
	vpic_ack(&pic);
	outb(ELCR0, 0x20);
	vpic_reset(&pic);
	assert_int_equal(inb(M_DATA), 0xFF);
	assert_int_equal(inb(ELCR0), 0x00);
	assert_int_equal(read_isr(M_CMD), 0x00);
	outb(M_DATA, 0xF7);
	pulse(3);
	assert_int_equal(vpic_ack(&pic), 0x0B);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define R(name) cmocka_unit_test_setup_teardown(name, setup_reset_state, teardown)
	const struct CMUnitTest tests[] = {
		R(test_pic_reset_state_masks_every_line_with_bios_vector_bases),
		T(test_pic_init_sequence_programs_both_vector_bases),
		T(test_pic_icw2_low_three_bits_are_ignored),
		T(test_pic_icw1_clears_imr_isr_and_selects_irr_reads),
		T(test_pic_icw1_without_ic4_in_single_mode_takes_only_icw2),
		T(test_pic_single_mode_master_answers_ir2_itself),
		T(test_pic_icw1_without_ic4_clears_auto_eoi),
		T(test_pic_icw1_requires_a_new_edge_on_a_line_held_high),
		T(test_pic_icw1_keeps_request_of_a_level_line_held_high),
		T(test_pic_cascade_id_mismatch_leaves_the_bus_floating),
		T(test_pic_masked_edge_stays_latched_until_unmasked),
		T(test_pic_masked_cascade_input_holds_back_slave_irqs),
		T(test_pic_slave_mask_hides_slave_line),
		T(test_pic_ack_sets_isr_and_clears_irr_for_edge),
		T(test_pic_edge_line_held_high_interrupts_once),
		T(test_pic_in_service_level_blocks_itself_and_lower_levels),
		T(test_pic_higher_priority_interrupts_the_level_in_service),
		T(test_pic_non_specific_eoi_clears_highest_priority_isr_bit),
		T(test_pic_specific_eoi_clears_isr_bit),
		T(test_pic_ocw2_nop_changes_nothing),
		T(test_pic_auto_eoi_leaves_isr_clear),
		T(test_pic_ack_without_request_returns_master_irq7),
		T(test_pic_rotate_on_non_specific_eoi_makes_served_level_lowest),
		T(test_pic_rotate_on_specific_eoi_sets_lowest_level),
		T(test_pic_set_priority_command_makes_next_level_highest),
		T(test_pic_rotate_in_auto_eoi_mode_rotates_on_every_ack_until_cleared),
		T(test_pic_special_mask_mode_lets_lower_levels_through),
		T(test_pic_poll_returns_level_and_takes_it_in_service),
		T(test_pic_poll_through_data_port_and_without_request),
		T(test_pic_poll_on_slave_reports_slave_level),
		T(test_pic_ocw3_selects_irr_or_isr_and_keeps_the_choice),
		T(test_pic_slave_irq_cascades_through_master_ir2),
		T(test_pic_slave_irqs_rank_at_master_ir2),
		T(test_pic_second_slave_irq_follows_after_both_eois),
		T(test_pic_without_sfnm_higher_slave_irq_waits_for_master_eoi),
		T(test_pic_special_fully_nested_master_accepts_higher_slave_irq),
		T(test_pic_slave_auto_eoi_keeps_second_request_coming),
		T(test_pic_elcr_bits_of_irq0_1_2_8_13_read_zero),
		T(test_pic_irq0_stays_edge_triggered_whatever_elcr_says),
		T(test_pic_elcr_level_line_reraises_after_eoi_while_asserted),
		T(test_pic_level_line_dropped_withdraws_the_request),
		T(test_pic_elcr_switch_to_level_drops_latched_edge_of_low_line),
		T(test_pic_ltim_makes_every_line_level_triggered),
		T(test_pic_level_request_gone_before_inta_gives_spurious_irq7),
		T(test_pic_masked_before_inta_gives_spurious_irq7),
		T(test_pic_spurious_irq15_takes_master_ir2_in_service),
		T(test_pic_intr_callback_follows_master_output),
		T(test_pic_set_irq_rejects_cascade_and_out_of_range_lines),
		T(test_pic_word_access_splits_into_byte_ports),
		T(test_pic_odd_widths_and_foreign_ports_do_not_crash),
		T(test_pic_register_claims_three_port_pairs_and_rolls_back),
		T(test_pic_reset_returns_to_bios_state),
	};
#undef T
#undef R
	return cmocka_run_group_tests(tests, NULL, NULL);
}
