/* Unit tests for GSI routing and MSI decoding (hv/irq_routing.c): first
 * against recording fake chips, then wired to the real PIC and IOAPIC. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/irq_routing.h"
#include "hv/vioapic.h"
#include "hv/vpic.h"
#include "test_log.h"

struct pin_call {
	char chip; /* 'P' or 'I' */
	uint32_t pin;
	int level;
};

static struct irq_routing rt;
static struct pin_call calls[64];
static int ncalls;
static struct irq_message msgs[16];
static int nmsgs;
static int pic_ctx, ioapic_ctx, msi_ctx;

static void record(char chip, uint32_t pin, int level)
{
	assert_true(ncalls < (int)ARRAY_SIZE(calls));
	calls[ncalls++] = (struct pin_call){ chip, pin, level };
}

static void fake_pic_set(void *ctx, uint32_t pin, int level)
{
	assert_ptr_equal(ctx, &pic_ctx);
	record('P', pin, level);
}

static void fake_ioapic_set(void *ctx, uint32_t pin, int level)
{
	assert_ptr_equal(ctx, &ioapic_ctx);
	record('I', pin, level);
}

static void fake_msi(void *ctx, const struct irq_message *m)
{
	assert_ptr_equal(ctx, &msi_ctx);
	assert_true(nmsgs < (int)ARRAY_SIZE(msgs));
	msgs[nmsgs++] = *m;
}

static const struct irq_routing_chips fake_chips = {
	.pic_set = fake_pic_set,
	.pic = &pic_ctx,
	.ioapic_set = fake_ioapic_set,
	.ioapic = &ioapic_ctx,
	.msi = { fake_msi, &msi_ctx },
};

static void assert_call(int i, char chip, uint32_t pin, int level)
{
	assert_true(i < ncalls);
	assert_int_equal(calls[i].chip, chip);
	assert_int_equal(calls[i].pin, pin);
	assert_int_equal(calls[i].level, level);
}

static int setup(void **state)
{
	(void)state;
	test_log_reset();
	ncalls = 0;
	nmsgs = 0;
	irq_routing_init(&rt, &fake_chips);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return 0;
}

static struct irq_route_entry chip(uint32_t gsi, uint32_t c, uint32_t pin)
{
	return (struct irq_route_entry){ .gsi = gsi, .type = IRQ_ROUTE_IRQCHIP, .irqchip = { c, pin } };
}

static struct irq_route_entry msi(uint32_t gsi, uint64_t addr, uint32_t data)
{
	return (struct irq_route_entry){ .gsi = gsi, .type = IRQ_ROUTE_MSI, .msi = { addr, data } };
}

/* --- the default PC table ----------------------------------------------------- */

static void test_routing_default_pc_drives_pic_and_ioapic_pin_for_isa_irqs(void **state)
{
	assert_int_equal(irq_routing_default_pc(&rt), 0);
	for (uint32_t irq = 1; irq < 16; irq++) {
		if (irq == 2)
			continue;
		ncalls = 0;
		assert_int_equal(irq_line(&rt, irq, 1), 0);
		assert_int_equal(ncalls, 2);
		assert_call(0, 'P', irq, 1);
		assert_call(1, 'I', irq, 1);
		assert_int_equal(irq_line(&rt, irq, 0), 0);
		assert_call(2, 'P', irq, 0);
		assert_call(3, 'I', irq, 0);
	}
	assert_int_equal(test_log_count(), 0);
}

static void test_routing_default_pc_sends_irq0_to_ioapic_pin2(void **state)
{
	assert_int_equal(irq_routing_default_pc(&rt), 0);
	assert_int_equal(irq_line(&rt, 0, 1), 0);
	assert_int_equal(ncalls, 2);
	assert_call(0, 'P', 0, 1);
	assert_call(1, 'I', 2, 1);
}

static void test_routing_default_pc_leaves_cascade_irq2_unrouted(void **state)
{
	assert_int_equal(irq_routing_default_pc(&rt), 0);
	assert_int_equal(irq_line(&rt, 2, 1), -ENOENT);
	assert_int_equal(ncalls, 0);
}

static void test_routing_default_pc_sends_gsi16_to_23_to_ioapic_only(void **state)
{
	assert_int_equal(irq_routing_default_pc(&rt), 0);
	for (uint32_t gsi = 16; gsi < 24; gsi++) {
		ncalls = 0;
		assert_int_equal(irq_line(&rt, gsi, 1), 0);
		assert_int_equal(ncalls, 1);
		assert_call(0, 'I', gsi, 1);
	}
	assert_int_equal(irq_line(&rt, 24, 1), -ENOENT);
}

/* --- irq_line --------------------------------------------------------------------- */

static void test_irq_line_reports_only_changes_of_the_line(void **state)
{
	assert_int_equal(irq_routing_default_pc(&rt), 0);
	irq_line(&rt, 4, 1);
	irq_line(&rt, 4, 1);
	assert_int_equal(ncalls, 2);
	irq_line(&rt, 4, 0);
	irq_line(&rt, 4, 0);
	assert_int_equal(ncalls, 4);
}

static void test_irq_line_sources_share_a_gsi_as_wired_or(void **state)
{
	assert_int_equal(irq_routing_default_pc(&rt), 0);
	assert_int_equal(irq_line_source(&rt, 1, 17, 1), 0);
	assert_int_equal(irq_line_source(&rt, 2, 17, 1), 0);
	assert_int_equal(ncalls, 1);
	assert_int_equal(irq_line_source(&rt, 1, 17, 0), 0);
	assert_int_equal(ncalls, 1); /* source 2 still holds it */
	assert_int_equal(irq_line_source(&rt, 2, 17, 0), 0);
	assert_int_equal(ncalls, 2);
	assert_call(1, 'I', 17, 0);
}

static void test_irq_line_rejects_bad_gsi_and_source(void **state)
{
	assert_int_equal(irq_routing_default_pc(&rt), 0);
	assert_int_equal(irq_line(&rt, IRQ_ROUTING_NR_GSI, 1), -EINVAL);
	assert_int_equal(irq_line(&rt, 0xFFFFFFFFu, 1), -EINVAL);
	assert_int_equal(irq_line_source(&rt, IRQ_LINE_SOURCES, 3, 1), -EINVAL);
	assert_int_equal(irq_line(&rt, 200, 1), -ENOENT);
	assert_int_equal(ncalls, 0);
}

static void test_irq_line_on_empty_table_routes_nothing(void **state)
{
	assert_int_equal(irq_line(&rt, 0, 1), -ENOENT);
	assert_int_equal(ncalls, 0);
}

static void test_irq_line_with_missing_chip_callbacks_is_harmless(void **state)
{
	irq_routing_init(&rt, NULL);
	assert_int_equal(irq_routing_default_pc(&rt), 0);
	assert_int_equal(irq_line(&rt, 4, 1), 0);
	assert_int_equal(irq_signal_msi(&rt, 0xFEE00000, 0x30), 0);
}

/* --- custom tables ------------------------------------------------------------------ */

static void test_routing_set_accepts_gsi_on_both_chips_and_msi_gsis(void **state)
{
	struct irq_route_entry e[] = {
		chip(5, IRQ_CHIP_PIC, 11),
		chip(5, IRQ_CHIP_IOAPIC, 20),
		msi(40, 0xFEE03000, 0x4041),
	};

	assert_int_equal(irq_routing_set(&rt, e, ARRAY_SIZE(e)), 0);
	irq_line(&rt, 5, 1);
	assert_call(0, 'P', 11, 1);
	assert_call(1, 'I', 20, 1);
	assert_int_equal(irq_line(&rt, 40, 1), 0);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msgs[0].vector, 0x41);
	assert_int_equal(msgs[0].dest, 3);
	assert_int_equal(irq_line(&rt, 40, 0), 0); /* deasserting an MSI GSI sends nothing */
	assert_int_equal(irq_line(&rt, 40, 1), 0);
	assert_int_equal(nmsgs, 2); /* every assert sends */
}

struct reject_case {
	struct irq_route_entry e[2];
	uint32_t n;
	const char *msg;
};

static void test_routing_set_rejects_bad_tables_with_one_line_each(void **state)
{
	const struct reject_case cases[] = {
		{ { chip(256, IRQ_CHIP_PIC, 1) }, 1, "entry 0: GSI 256 out of range (0-255)" },
		{ { chip(3, IRQ_CHIP_PIC, 2) }, 1, "entry 0: GSI 3: PIC pin 2 is not routable" },
		{ { chip(3, IRQ_CHIP_PIC, 16) }, 1, "entry 0: GSI 3: PIC pin 16 is not routable" },
		{ { chip(3, IRQ_CHIP_IOAPIC, 24) }, 1, "entry 0: GSI 3: IOAPIC pin 24 out of range (0-23)" },
		{ { chip(3, 7, 1) }, 1, "entry 0: GSI 3: unknown irqchip 7" },
		{ { { .gsi = 3, .type = 9 } }, 1, "entry 0: GSI 3: unknown route type 9" },
		{ { chip(3, IRQ_CHIP_PIC, 3), chip(3, IRQ_CHIP_PIC, 4) }, 2,
		  "entry 1: GSI 3 is already routed to the PIC" },
		{ { chip(3, IRQ_CHIP_IOAPIC, 3), chip(3, IRQ_CHIP_IOAPIC, 4) }, 2,
		  "entry 1: GSI 3 is already routed to the IOAPIC" },
		{ { chip(3, IRQ_CHIP_IOAPIC, 3), msi(3, 0xFEE00000, 0x30) }, 2,
		  "entry 1: GSI 3: an MSI route cannot share its GSI" },
		{ { msi(3, 0xFEE00000, 0x30), chip(3, IRQ_CHIP_PIC, 3) }, 2,
		  "entry 1: GSI 3: an MSI route cannot share its GSI" },
		{ { msi(3, 0xFEE00000, 0x30), msi(3, 0xFEE00000, 0x31) }, 2,
		  "entry 1: GSI 3: an MSI route cannot share its GSI" },
		{ { msi(3, 0xFED00000, 0x30) }, 1,
		  "entry 0: GSI 3: invalid MSI address 0xfed00000 data 0x30" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		test_log_reset();
		int rc = irq_routing_set(&rt, cases[i].e, cases[i].n);

		if (rc != -EINVAL || test_log_count() != 1 || !test_log_contains(cases[i].msg))
			fail_msg("case %zu: rc %d, log \"%s\", wanted \"%s\"", i, rc, test_log_text(),
				 cases[i].msg);
	}
}

static void test_routing_rejected_table_keeps_the_old_one(void **state)
{
	struct irq_route_entry bad[] = { chip(9, IRQ_CHIP_IOAPIC, 1), chip(9, IRQ_CHIP_IOAPIC, 24) };

	assert_int_equal(irq_routing_default_pc(&rt), 0);
	assert_int_equal(irq_routing_set(&rt, bad, ARRAY_SIZE(bad)), -EINVAL);
	irq_line(&rt, 9, 1);
	assert_int_equal(ncalls, 2);
	assert_call(0, 'P', 9, 1);
	assert_call(1, 'I', 9, 1);
}

static void test_routing_new_table_replaces_the_old_one_entirely(void **state)
{
	struct irq_route_entry e[] = { chip(9, IRQ_CHIP_IOAPIC, 21) };

	assert_int_equal(irq_routing_default_pc(&rt), 0);
	assert_int_equal(irq_routing_set(&rt, e, 1), 0);
	irq_line(&rt, 9, 1);
	assert_int_equal(ncalls, 1);
	assert_call(0, 'I', 21, 1);
	assert_int_equal(irq_line(&rt, 4, 1), -ENOENT);
	assert_int_equal(irq_routing_set(&rt, NULL, 0), 0);
	assert_int_equal(irq_line(&rt, 9, 0), -ENOENT);
}

/* --- MSI -------------------------------------------------------------------------- */

static void test_msi_decode_reads_address_and_data_fields(void **state)
{
	struct irq_message m;

	/* Destination 0x5A, RH, logical; vector 0x61, lowest priority, level assert. */
	assert_int_equal(irq_msi_decode(0xFEE5A00C, 0xC161, false, &m), 0);
	assert_int_equal(m.dest, 0x5A);
	assert_true(m.redirect_hint);
	assert_true(m.dest_logical);
	assert_int_equal(m.vector, 0x61);
	assert_int_equal(m.delivery_mode, IRQ_DM_LOWEST);
	assert_true(m.trigger_level);
	assert_true(m.level);

	assert_int_equal(irq_msi_decode(0xFEEFF000, 0x0030, false, &m), 0);
	assert_int_equal(m.dest, 0xFF);
	assert_false(m.redirect_hint);
	assert_false(m.dest_logical);
	assert_int_equal(m.vector, 0x30);
	assert_int_equal(m.delivery_mode, IRQ_DM_FIXED);
	assert_false(m.trigger_level);
}

static void test_msi_decode_edge_ignores_the_level_bit(void **state)
{
	struct irq_message m;

	assert_int_equal(irq_msi_decode(0xFEE00000, 0x0031, false, &m), 0);
	assert_true(m.level);
	assert_int_equal(irq_msi_decode(0xFEE00000, 0x8031, false, &m), 0);
	assert_false(m.level); /* a level deassert */
}

static void test_msi_decode_delivery_modes(void **state)
{
	static const uint8_t ok[] = { IRQ_DM_FIXED, IRQ_DM_LOWEST, IRQ_DM_SMI, IRQ_DM_NMI,
				      IRQ_DM_INIT, IRQ_DM_EXTINT };
	struct irq_message m;

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(irq_msi_decode(0xFEE00000, (uint32_t)ok[i] << 8, false, &m), 0);
		assert_int_equal(m.delivery_mode, ok[i]);
	}
	assert_int_equal(irq_msi_decode(0xFEE00000, 3u << 8, false, &m), -EINVAL);
	assert_int_equal(irq_msi_decode(0xFEE00000, 6u << 8, false, &m), -EINVAL);
}

static void test_msi_decode_rejects_addresses_outside_0xfeexxxxx(void **state)
{
	static const uint64_t bad[] = { 0, 0xFED00000, 0xFEF00000, 0x7EE00000, 0xFFE00000,
					0x1FEE00000ull, 0xFFFFFFFFFEE00000ull };
	struct irq_message m;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(irq_msi_decode(bad[i], 0x30, false, &m), -EINVAL);
	assert_int_equal(irq_msi_decode(0xFEEFFFFF, 0x30, false, &m), 0);
	assert_int_equal(test_log_count(), 0);
}

static void test_msi_decode_x2apic_ids_take_destination_bits_from_the_high_address(void **state)
{
	struct irq_message m;

	assert_int_equal(irq_msi_decode(0x12345600FEE78000ull, 0x30, true, &m), 0);
	assert_int_equal(m.dest, 0x12345678);
	assert_int_equal(irq_msi_decode(0x00000001FEE78000ull, 0x30, true, &m), -EINVAL);
	assert_int_equal(irq_msi_decode(0x12345600FEE78000ull, 0x30, false, &m), -EINVAL);
}

static void test_signal_msi_delivers_decoded_message(void **state)
{
	assert_int_equal(irq_signal_msi(&rt, 0xFEE01000, 0x0445), 0);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msgs[0].vector, 0x45);
	assert_int_equal(msgs[0].delivery_mode, IRQ_DM_NMI);
	assert_int_equal(msgs[0].dest, 1);
	assert_int_equal(irq_signal_msi(&rt, 0xFEC00000, 0x0445), -EINVAL);
	assert_int_equal(nmsgs, 1);
	rt.x2apic_msi = true;
	assert_int_equal(irq_signal_msi(&rt, 0x00000100FEE01000ull, 0x0030), 0);
	assert_int_equal(msgs[1].dest, 0x101);
}

/* --- with the real chips ------------------------------------------------------------- */

static struct vpic pic;
static struct vioapic ioapic;

static void test_routing_drives_real_pic_and_ioapic(void **state)
{
	struct irq_msg_out out = { fake_msi, &msi_ctx };
	struct irq_routing_chips real = {
		.pic_set = vpic_irq_set,
		.pic = &pic,
		.ioapic_set = vioapic_irq_set,
		.ioapic = &ioapic,
		.msi = out,
	};
	struct io_bus mmio;

	memset(&mmio, 0, sizeof(mmio));
	vpic_init(&pic, NULL);
	vioapic_init(&ioapic, VIOAPIC_BASE, &out);
	assert_int_equal(vioapic_register(&ioapic, &mmio), 0);
	irq_routing_init(&rt, &real);
	assert_int_equal(irq_routing_default_pc(&rt), 0);
	/* Unmask IRQ0 on the PIC and IOAPIC pin 2 (edge, vector 0x30). */
	assert_int_equal(io_bus_write(&mmio, VIOAPIC_BASE, 4, 0x14), 0);
	assert_int_equal(io_bus_write(&mmio, VIOAPIC_BASE + 0x10, 4, 0x30), 0);
	pic.dev[0].ops->write(&pic.dev[0], 0x21, 1, 0xFE);

	assert_int_equal(irq_line(&rt, 0, 1), 0);
	assert_int_equal(irq_line(&rt, 0, 0), 0);
	assert_true(vpic_has_interrupt(&pic));
	assert_int_equal(vpic_ack(&pic), 0x08);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msgs[0].vector, 0x30);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_routing_default_pc_drives_pic_and_ioapic_pin_for_isa_irqs),
		T(test_routing_default_pc_sends_irq0_to_ioapic_pin2),
		T(test_routing_default_pc_leaves_cascade_irq2_unrouted),
		T(test_routing_default_pc_sends_gsi16_to_23_to_ioapic_only),
		T(test_irq_line_reports_only_changes_of_the_line),
		T(test_irq_line_sources_share_a_gsi_as_wired_or),
		T(test_irq_line_rejects_bad_gsi_and_source),
		T(test_irq_line_on_empty_table_routes_nothing),
		T(test_irq_line_with_missing_chip_callbacks_is_harmless),
		T(test_routing_set_accepts_gsi_on_both_chips_and_msi_gsis),
		T(test_routing_set_rejects_bad_tables_with_one_line_each),
		T(test_routing_rejected_table_keeps_the_old_one),
		T(test_routing_new_table_replaces_the_old_one_entirely),
		T(test_msi_decode_reads_address_and_data_fields),
		T(test_msi_decode_edge_ignores_the_level_bit),
		T(test_msi_decode_delivery_modes),
		T(test_msi_decode_rejects_addresses_outside_0xfeexxxxx),
		T(test_msi_decode_x2apic_ids_take_destination_bits_from_the_high_address),
		T(test_signal_msi_delivers_decoded_message),
		T(test_routing_drives_real_pic_and_ioapic),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
