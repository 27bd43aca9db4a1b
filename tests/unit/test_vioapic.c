/* Unit tests for the I/O APIC (hv/vioapic.c): registers as the guest sees
 * them through IOREGSEL/IOWIN, and the messages pins send to the LAPICs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/vioapic.h"
#include "test_log.h"

#define BASE VIOAPIC_BASE
#define MASKED (1u << 16)
#define LEVEL (1u << 15)
#define REMOTE_IRR (1u << 14)
#define ACTIVE_LOW (1u << 13)
#define DELIVS (1u << 12)
#define LOGICAL (1u << 11)
#define DM(x) ((uint32_t)(x) << 8)

static struct vioapic io;
static struct io_bus bus;
static struct irq_message msgs[64];
static int nmsgs;
/* What the fake LAPIC does on a delivery. */
static int eoi_in_callback;
static int raise_in_callback = -1;
static int depth, max_depth;

static void deliver(void *ctx, const struct irq_message *m)
{
	assert_ptr_equal(ctx, &io);
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (nmsgs < (int)ARRAY_SIZE(msgs))
		msgs[nmsgs] = *m;
	nmsgs++;
	if (eoi_in_callback)
		vioapic_eoi(&io, m->vector);
	if (raise_in_callback >= 0) {
		int pin = raise_in_callback;

		raise_in_callback = -1;
		vioapic_set_irq(&io, (uint32_t)pin, 1);
	}
	depth--;
}

static void mmio_write(uint64_t off, uint32_t len, uint64_t v)
{
	assert_int_equal(io_bus_write(&bus, BASE + off, len, v), 0);
}

static uint64_t mmio_read(uint64_t off, uint32_t len)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(io_bus_read(&bus, BASE + off, len, &v), 0);
	return v;
}

static void write_reg(uint8_t index, uint32_t v)
{
	mmio_write(VIOAPIC_IOREGSEL, 4, index);
	mmio_write(VIOAPIC_IOWIN, 4, v);
}

static uint32_t read_reg(uint8_t index)
{
	mmio_write(VIOAPIC_IOREGSEL, 4, index);
	return (uint32_t)mmio_read(VIOAPIC_IOWIN, 4);
}

/* Guests write the high half (destination) first, then the low half. */
static void set_rte(unsigned pin, uint32_t low, uint8_t dest)
{
	write_reg((uint8_t)(0x11 + 2 * pin), (uint32_t)dest << 24);
	write_reg((uint8_t)(0x10 + 2 * pin), low);
}

static uint32_t rte_low(unsigned pin)
{
	return read_reg((uint8_t)(0x10 + 2 * pin));
}

static void pin(uint32_t p, int level)
{
	assert_int_equal(vioapic_set_irq(&io, p, level), 0);
}

static void assert_msg(int i, uint8_t vector, uint8_t dm, bool logical, uint32_t dest, bool level_trig)
{
	assert_true(i < nmsgs);
	assert_int_equal(msgs[i].vector, vector);
	assert_int_equal(msgs[i].delivery_mode, dm);
	assert_int_equal(msgs[i].dest_logical, logical);
	assert_int_equal(msgs[i].dest, dest);
	assert_int_equal(msgs[i].trigger_level, level_trig);
	assert_true(msgs[i].level);
	assert_false(msgs[i].redirect_hint);
}

static int setup(void **state)
{
	struct irq_msg_out out = { deliver, &io };

	(void)state;
	test_log_reset();
	memset(&bus, 0, sizeof(bus));
	memset(msgs, 0, sizeof(msgs));
	nmsgs = 0;
	eoi_in_callback = 0;
	raise_in_callback = -1;
	depth = max_depth = 0;
	vioapic_init(&io, BASE, &out);
	assert_int_equal(vioapic_register(&io, &bus), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(test_log_count(), 0);
	assert_false(io.in_service);
	return 0;
}

/* --- registers ---------------------------------------------------------------- */

static void test_ioapic_version_register_reads_0x00170020(void **state)
{
	assert_int_equal(read_reg(VIOAPIC_REG_VERSION), 0x00170020);
	write_reg(VIOAPIC_REG_VERSION, 0);
	assert_int_equal(read_reg(VIOAPIC_REG_VERSION), 0x00170020);
}

static void test_ioapic_id_register_keeps_bits_27_24_only(void **state)
{
	assert_int_equal(read_reg(VIOAPIC_REG_ID), 0);
	write_reg(VIOAPIC_REG_ID, 0xFFFFFFFF);
	assert_int_equal(read_reg(VIOAPIC_REG_ID), 0x0F000000);
	write_reg(VIOAPIC_REG_ID, 0x02000000);
	assert_int_equal(read_reg(VIOAPIC_REG_ID), 0x02000000);
}

static void test_ioapic_arbitration_register_follows_id_and_is_read_only(void **state)
{
	write_reg(VIOAPIC_REG_ID, 0x05000000);
	write_reg(VIOAPIC_REG_ARB, 0x0A000000);
	assert_int_equal(read_reg(VIOAPIC_REG_ARB), 0x05000000);
	assert_int_equal(read_reg(VIOAPIC_REG_ID), 0x05000000);
}

static void test_ioapic_redirection_entries_reset_masked(void **state)
{
	for (unsigned p = 0; p < VIOAPIC_PINS; p++) {
		assert_int_equal(rte_low(p), MASKED);
		assert_int_equal(read_reg((uint8_t)(0x11 + 2 * p)), 0);
	}
}

static void test_ioapic_redirection_entry_halves_read_back(void **state)
{
	uint32_t low = 0x31 | DM(IRQ_DM_LOWEST) | LOGICAL | ACTIVE_LOW | LEVEL | MASKED;

	write_reg(0x10 + 2 * 23, low | 0xFFFE0000u); /* reserved bits 31:17 */
	write_reg(0x11 + 2 * 23, 0xA5FFFFFF);        /* reserved bits 55:32 */
	assert_int_equal(read_reg(0x10 + 2 * 23), low);
	assert_int_equal(read_reg(0x11 + 2 * 23), 0xA5000000);
	/* The neighbours are untouched. */
	assert_int_equal(rte_low(22), MASKED);
	assert_int_equal(read_reg(0x11 + 2 * 22), 0);
}

static void test_ioapic_delivery_status_and_remote_irr_are_read_only(void **state)
{
	set_rte(3, 0x40 | DELIVS | REMOTE_IRR | MASKED, 0);
	assert_int_equal(rte_low(3), 0x40 | MASKED);
	set_rte(3, 0x40 | LEVEL, 0);
	pin(3, 1);
	assert_int_equal(rte_low(3), 0x40 | LEVEL | REMOTE_IRR);
	set_rte(3, 0x40 | LEVEL, 0); /* writing 0 to remote IRR does not clear it */
	assert_int_equal(rte_low(3), 0x40 | LEVEL | REMOTE_IRR);
	assert_int_equal(nmsgs, 1);
}

static void test_ioapic_ioregsel_reads_back_and_unknown_registers_read_zero(void **state)
{
	mmio_write(VIOAPIC_IOREGSEL, 4, 0x12345603);
	assert_int_equal(mmio_read(VIOAPIC_IOREGSEL, 4), 0x03);
	assert_int_equal(mmio_read(VIOAPIC_IOWIN, 4), 0);
	write_reg(0x40, 0xFFFFFFFF); /* past entry 23 */
	assert_int_equal(read_reg(0x40), 0);
	assert_int_equal(read_reg(0xFF), 0);
	assert_int_equal(mmio_read(0x20, 4), 0); /* reserved offset */
	assert_int_equal(mmio_read(VIOAPIC_EOI, 4), 0); /* write-only */
	for (unsigned p = 0; p < VIOAPIC_PINS; p++)
		assert_int_equal(rte_low(p), MASKED);
}

static void test_ioapic_byte_and_word_accesses_reach_the_registers(void **state)
{
	mmio_write(VIOAPIC_IOREGSEL, 1, VIOAPIC_REG_VERSION);
	assert_int_equal(mmio_read(VIOAPIC_IOWIN, 1), 0x20);
	assert_int_equal(mmio_read(VIOAPIC_IOWIN + 2, 1), 0x17);
	assert_int_equal(mmio_read(VIOAPIC_IOWIN, 2), 0x0020);
	assert_int_equal(mmio_read(VIOAPIC_IOWIN, 8), 0x00170020);
	/* A byte write to IOWIN changes only the vector of entry 5. */
	set_rte(5, 0x30 | LEVEL | MASKED, 0x11);
	mmio_write(VIOAPIC_IOREGSEL, 1, 0x10 + 2 * 5);
	mmio_write(VIOAPIC_IOWIN, 1, 0x44);
	assert_int_equal(rte_low(5), 0x44 | LEVEL | MASKED);
	/* An unaligned access starting in reserved space reaches IOWIN. */
	mmio_write(VIOAPIC_IOREGSEL, 1, 0x10 + 2 * 5);
	mmio_write(0x0C, 8, (uint64_t)(0xF1 | LEVEL | MASKED) << 32 | 0xFFFFFFFF);
	assert_int_equal(rte_low(5), 0xF1 | LEVEL | MASKED);
	assert_int_equal(mmio_read(0x0C, 8), (uint64_t)(0xF1 | LEVEL | MASKED) << 32);
}

static void test_ioapic_accesses_outside_its_window_are_harmless(void **state)
{
	uint64_t v = 1;

	assert_int_equal(io.dev.ops->read(&io.dev, BASE - 4, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(io.dev.ops->write(&io.dev, BASE - 4, 8, ~0ull), 0);
	assert_int_equal(io.dev.ops->write(&io.dev, BASE + VIOAPIC_MMIO_SIZE - 2, 4, ~0ull), 0);
	assert_int_equal(io.dev.ops->read(&io.dev, BASE + VIOAPIC_MMIO_SIZE, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(io.dev.ops->read(&io.dev, BASE, 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(mmio_read(VIOAPIC_IOREGSEL, 4), 0);
}

/* A whole aligned register, the short way through the device, reads and
 * writes exactly what its four bytes one at a time do. */
static void test_ioapic_whole_register_accesses_match_byte_accesses(void **state)
{
	set_rte(3, 0x55 | LEVEL | MASKED, 0x7);
	for (uint32_t reg = 0; reg < 0x10 + 2 * VIOAPIC_PINS + 2; reg++) {
		uint64_t bytes = 0;

		mmio_write(VIOAPIC_IOREGSEL, 4, reg);
		for (uint32_t i = 0; i < 4; i++)
			bytes |= mmio_read(VIOAPIC_IOWIN + i, 1) << (8 * i);
		assert_int_equal(mmio_read(VIOAPIC_IOWIN, 4), bytes);
		assert_int_equal(mmio_read(VIOAPIC_IOREGSEL, 4), reg & 0xFF);
	}
	assert_int_equal(mmio_read(VIOAPIC_EOI, 4), 0);
	mmio_write(VIOAPIC_IOREGSEL, 4, 0x10 + 2 * 3);
	mmio_write(VIOAPIC_IOWIN, 4, 0x66 | LEVEL | MASKED);
	uint32_t whole = rte_low(3);
	mmio_write(VIOAPIC_IOREGSEL, 4, 0x10 + 2 * 4);
	for (uint32_t i = 0; i < 4; i++)
		mmio_write(VIOAPIC_IOWIN + i, 1, ((0x66 | LEVEL | MASKED) >> (8 * i)) & 0xFF);
	assert_int_equal(rte_low(4), whole);
}

/* Its writes change no timer and deliver through the irqchip (which kicks
 * whom it reaches): the bus need not make the vCPU poll everything. */
static void test_ioapic_writes_signal_their_own_effects(void **state)
{
	assert_true(io.dev.flags & IO_DEV_WRITES_SIGNAL_THEMSELVES);
}

static void test_ioapic_register_claims_its_page(void **state)
{
	assert_true(io_bus_claims(&bus, BASE, 4));
	assert_true(io_bus_claims(&bus, BASE + 0x40, 4));
	assert_true(io_bus_claims(&bus, BASE + 0xFFC, 4));
	assert_false(io_bus_claims(&bus, BASE + 0x1000, 4));
	assert_int_equal(vioapic_register(&io, &bus), -EEXIST);
}

/* --- delivery ----------------------------------------------------------------- */

static void test_ioapic_edge_pin_delivers_once_per_rising_edge(void **state)
{
	set_rte(4, 0x34, 1);
	assert_int_equal(nmsgs, 0);
	pin(4, 1);
	assert_int_equal(nmsgs, 1);
	assert_msg(0, 0x34, IRQ_DM_FIXED, false, 1, false);
	pin(4, 1);
	pin(4, 0);
	assert_int_equal(nmsgs, 1);
	pin(4, 1);
	assert_int_equal(nmsgs, 2);
	assert_int_equal(rte_low(4), 0x34); /* no remote IRR for edge */
}

static void test_ioapic_masked_edge_is_lost_after_unmask(void **state)
{
	set_rte(4, 0x34 | MASKED, 0);
	pin(4, 1);
	set_rte(4, 0x34, 0);
	assert_int_equal(nmsgs, 0);
	pin(4, 0);
	pin(4, 1);
	assert_int_equal(nmsgs, 1);
}

static void test_ioapic_level_pin_sets_remote_irr_and_waits_for_eoi(void **state)
{
	set_rte(9, 0x49 | LEVEL, 0);
	pin(9, 1);
	assert_int_equal(nmsgs, 1);
	assert_msg(0, 0x49, IRQ_DM_FIXED, false, 0, true);
	assert_int_equal(rte_low(9), 0x49 | LEVEL | REMOTE_IRR);
	pin(9, 0);
	pin(9, 1);
	assert_int_equal(nmsgs, 1);
}

static void test_ioapic_eoi_redelivers_a_level_pin_still_asserted(void **state)
{
	set_rte(9, 0x49 | LEVEL, 0);
	pin(9, 1);
	vioapic_eoi(&io, 0x49);
	assert_int_equal(nmsgs, 2);
	assert_int_equal(rte_low(9), 0x49 | LEVEL | REMOTE_IRR);
}

static void test_ioapic_eoi_after_deassert_clears_remote_irr_without_delivery(void **state)
{
	set_rte(9, 0x49 | LEVEL, 0);
	pin(9, 1);
	pin(9, 0);
	vioapic_eoi(&io, 0x49);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(rte_low(9), 0x49 | LEVEL);
	pin(9, 1);
	assert_int_equal(nmsgs, 2);
}

static void test_ioapic_eoi_for_another_vector_keeps_remote_irr(void **state)
{
	set_rte(9, 0x49 | LEVEL, 0);
	pin(9, 1);
	pin(9, 0);
	vioapic_eoi(&io, 0x48);
	assert_int_equal(rte_low(9), 0x49 | LEVEL | REMOTE_IRR);
}

static void test_ioapic_eoi_clears_every_entry_with_that_vector(void **state)
{
	set_rte(10, 0x50 | LEVEL, 0);
	set_rte(11, 0x50 | LEVEL, 0);
	pin(10, 1);
	pin(11, 1);
	pin(10, 0);
	pin(11, 0);
	assert_int_equal(nmsgs, 2);
	vioapic_eoi(&io, 0x50);
	assert_int_equal(rte_low(10), 0x50 | LEVEL);
	assert_int_equal(rte_low(11), 0x50 | LEVEL);
}

static void test_ioapic_eoi_register_at_0x40_acts_like_the_lapic_eoi(void **state)
{
	set_rte(9, 0x49 | LEVEL, 0);
	pin(9, 1);
	mmio_write(VIOAPIC_EOI, 4, 0x49);
	assert_int_equal(nmsgs, 2);
	pin(9, 0);
	mmio_write(VIOAPIC_EOI, 1, 0x49);
	assert_int_equal(rte_low(9), 0x49 | LEVEL);
}

static void test_ioapic_masked_level_pin_delivers_when_unmasked(void **state)
{
	set_rte(9, 0x49 | LEVEL | MASKED, 0);
	pin(9, 1);
	assert_int_equal(nmsgs, 0);
	assert_int_equal(rte_low(9), 0x49 | LEVEL | MASKED);
	set_rte(9, 0x49 | LEVEL, 0);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(rte_low(9), 0x49 | LEVEL | REMOTE_IRR);
}

static void test_ioapic_masking_after_delivery_keeps_remote_irr_until_eoi(void **state)
{
	set_rte(9, 0x49 | LEVEL, 0);
	pin(9, 1);
	set_rte(9, 0x49 | LEVEL | MASKED, 0);
	assert_int_equal(rte_low(9), 0x49 | LEVEL | MASKED | REMOTE_IRR);
	vioapic_eoi(&io, 0x49);
	assert_int_equal(rte_low(9), 0x49 | LEVEL | MASKED);
	assert_int_equal(nmsgs, 1);
}

static void test_ioapic_active_low_level_pin_asserts_while_wire_is_low(void **state)
{
	set_rte(16, 0x60 | LEVEL | ACTIVE_LOW, 0);
	assert_int_equal(nmsgs, 1); /* the idle wire is low: asserted */
	pin(16, 1);
	vioapic_eoi(&io, 0x60);
	assert_int_equal(nmsgs, 1);
	pin(16, 0);
	assert_int_equal(nmsgs, 2);
}

static void test_ioapic_active_low_edge_pin_fires_on_falling_wire(void **state)
{
	pin(17, 1);
	set_rte(17, 0x61 | ACTIVE_LOW, 0);
	assert_int_equal(nmsgs, 0);
	pin(17, 0);
	assert_int_equal(nmsgs, 1);
	pin(17, 1);
	assert_int_equal(nmsgs, 1);
}

static void test_ioapic_polarity_rewrite_alone_makes_no_edge(void **state)
{
	set_rte(17, 0x61, 0);
	set_rte(17, 0x61 | ACTIVE_LOW, 0);
	assert_int_equal(nmsgs, 0);
}

static void test_ioapic_message_carries_entry_fields(void **state)
{
	set_rte(12, 0x61 | DM(IRQ_DM_LOWEST) | LOGICAL | LEVEL, 0x0F);
	pin(12, 1);
	assert_msg(0, 0x61, IRQ_DM_LOWEST, true, 0x0F, true);
	set_rte(13, 0x62 | DM(IRQ_DM_FIXED), 0xFF);
	pin(13, 1);
	assert_msg(1, 0x62, IRQ_DM_FIXED, false, 0xFF, false);
}

static void test_ioapic_switch_to_edge_clears_remote_irr(void **state)
{
	set_rte(9, 0x49 | LEVEL, 0);
	pin(9, 1);
	set_rte(9, 0x49 | MASKED, 0);
	assert_int_equal(rte_low(9), 0x49 | MASKED);
	/* Back to level while the line is still asserted: delivered again. */
	set_rte(9, 0x49 | LEVEL, 0);
	assert_int_equal(nmsgs, 2);
}

static void test_ioapic_nmi_entry_is_edge_triggered_even_with_level_bit(void **state)
{
	set_rte(1, DM(IRQ_DM_NMI) | LEVEL, 0);
	pin(1, 1);
	assert_int_equal(nmsgs, 1);
	assert_msg(0, 0, IRQ_DM_NMI, false, 0, false);
	assert_int_equal(rte_low(1), DM(IRQ_DM_NMI) | LEVEL);
	vioapic_eoi(&io, 0);
	assert_int_equal(nmsgs, 1);
}

static void test_ioapic_extint_and_smi_entries_send_their_mode(void **state)
{
	set_rte(0, DM(IRQ_DM_EXTINT), 0);
	set_rte(2, DM(IRQ_DM_SMI), 0);
	set_rte(3, DM(IRQ_DM_INIT), 0);
	pin(0, 1);
	pin(2, 1);
	pin(3, 1);
	assert_int_equal(nmsgs, 3);
	assert_int_equal(msgs[0].delivery_mode, IRQ_DM_EXTINT);
	assert_int_equal(msgs[1].delivery_mode, IRQ_DM_SMI);
	assert_int_equal(msgs[2].delivery_mode, IRQ_DM_INIT);
}

static void test_ioapic_reserved_delivery_modes_send_nothing(void **state)
{
	set_rte(5, 0x55 | DM(3) | LEVEL, 0);
	set_rte(6, 0x56 | DM(6), 0);
	pin(5, 1);
	pin(6, 1);
	assert_int_equal(nmsgs, 0);
	assert_int_equal(rte_low(5), 0x55 | DM(3) | LEVEL);
}

static void test_ioapic_set_irq_rejects_pins_beyond_23(void **state)
{
	assert_int_equal(vioapic_set_irq(&io, 24, 1), -EINVAL);
	assert_int_equal(vioapic_set_irq(&io, 0xFFFFFFFFu, 1), -EINVAL);
	set_rte(23, 0x77, 0);
	vioapic_irq_set(&io, 23, 1);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msgs[0].vector, 0x77);
}

static void test_ioapic_reset_masks_entries_but_keeps_wire_levels(void **state)
{
	write_reg(VIOAPIC_REG_ID, 0x03000000);
	set_rte(9, 0x49 | LEVEL, 0);
	pin(9, 1);
	vioapic_reset(&io);
	assert_int_equal(read_reg(VIOAPIC_REG_ID), 0);
	assert_int_equal(rte_low(9), MASKED);
	set_rte(9, 0x49 | LEVEL, 0);
	assert_int_equal(nmsgs, 2);
}

static void test_ioapic_eoi_from_inside_delivery_is_bounded_and_not_nested(void **state)
{
	eoi_in_callback = 1;
	set_rte(9, 0x49 | LEVEL, 0);
	pin(9, 1);
	assert_int_equal(max_depth, 1);
	assert_true(nmsgs > 1);
	assert_true(nmsgs <= 16);
	eoi_in_callback = 0;
	/* The pin is still asserted: the next event delivers it again. */
	int before = nmsgs;

	vioapic_eoi(&io, 0x49);
	assert_int_equal(nmsgs, before + 1);
	assert_int_equal(rte_low(9), 0x49 | LEVEL | REMOTE_IRR);
}

static void test_ioapic_line_raised_from_inside_delivery_follows_it(void **state)
{
	set_rte(4, 0x34, 0);
	set_rte(6, 0x36, 0);
	raise_in_callback = 6;
	pin(4, 1);
	assert_int_equal(nmsgs, 2);
	assert_int_equal(max_depth, 1);
	assert_int_equal(msgs[0].vector, 0x34);
	assert_int_equal(msgs[1].vector, 0x36);
}

static void test_ioapic_without_callback_still_tracks_remote_irr(void **state)
{
	vioapic_init(&io, BASE, NULL);
	memset(&bus, 0, sizeof(bus));
	assert_int_equal(vioapic_register(&io, &bus), 0);
	set_rte(9, 0x49 | LEVEL, 0);
	pin(9, 1);
	assert_int_equal(rte_low(9), 0x49 | LEVEL | REMOTE_IRR);
	assert_int_equal(nmsgs, 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ioapic_version_register_reads_0x00170020),
		T(test_ioapic_id_register_keeps_bits_27_24_only),
		T(test_ioapic_arbitration_register_follows_id_and_is_read_only),
		T(test_ioapic_redirection_entries_reset_masked),
		T(test_ioapic_redirection_entry_halves_read_back),
		T(test_ioapic_delivery_status_and_remote_irr_are_read_only),
		T(test_ioapic_ioregsel_reads_back_and_unknown_registers_read_zero),
		T(test_ioapic_byte_and_word_accesses_reach_the_registers),
		T(test_ioapic_accesses_outside_its_window_are_harmless),
		T(test_ioapic_whole_register_accesses_match_byte_accesses),
		T(test_ioapic_writes_signal_their_own_effects),
		T(test_ioapic_register_claims_its_page),
		T(test_ioapic_edge_pin_delivers_once_per_rising_edge),
		T(test_ioapic_masked_edge_is_lost_after_unmask),
		T(test_ioapic_level_pin_sets_remote_irr_and_waits_for_eoi),
		T(test_ioapic_eoi_redelivers_a_level_pin_still_asserted),
		T(test_ioapic_eoi_after_deassert_clears_remote_irr_without_delivery),
		T(test_ioapic_eoi_for_another_vector_keeps_remote_irr),
		T(test_ioapic_eoi_clears_every_entry_with_that_vector),
		T(test_ioapic_eoi_register_at_0x40_acts_like_the_lapic_eoi),
		T(test_ioapic_masked_level_pin_delivers_when_unmasked),
		T(test_ioapic_masking_after_delivery_keeps_remote_irr_until_eoi),
		T(test_ioapic_active_low_level_pin_asserts_while_wire_is_low),
		T(test_ioapic_active_low_edge_pin_fires_on_falling_wire),
		T(test_ioapic_polarity_rewrite_alone_makes_no_edge),
		T(test_ioapic_message_carries_entry_fields),
		T(test_ioapic_switch_to_edge_clears_remote_irr),
		T(test_ioapic_nmi_entry_is_edge_triggered_even_with_level_bit),
		T(test_ioapic_extint_and_smi_entries_send_their_mode),
		T(test_ioapic_reserved_delivery_modes_send_nothing),
		T(test_ioapic_set_irq_rejects_pins_beyond_23),
		T(test_ioapic_reset_masks_entries_but_keeps_wire_levels),
		T(test_ioapic_eoi_from_inside_delivery_is_bounded_and_not_nested),
		T(test_ioapic_line_raised_from_inside_delivery_follows_it),
		T(test_ioapic_without_callback_still_tracks_remote_irr),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
