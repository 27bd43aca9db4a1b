/* Unit tests for the local APIC model (hv/vlapic.c): registers as the guest
 * sees them through the xAPIC page and the x2APIC MSRs, IA32_APIC_BASE mode
 * transitions, priority, EOI, IPIs, destination matching, LVTs and the
 * timer against a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/vlapic.h"
#include "test_log.h"

#define BASE LAPIC_DEFAULT_BASE
#define EN LAPIC_BASE_EN
#define EXTD LAPIC_BASE_EXTD
#define BSP LAPIC_BASE_BSP
#define X2(off) (LAPIC_X2APIC_MSR_BASE + ((off) >> 4))
#define TSC_HZ 2000000000ULL /* 2 TSC ticks per ns */
#define MASKED LAPIC_LVT_MASKED

struct fake {
	uint64_t now;
	uint64_t tsc; /* what read_tsc returns */
	struct lapic_ipi ipi[16];
	int nipi;
	uint8_t eoi[16];
	int neoi;
	int kicks;
};

static struct fake F;
static struct vlapic L;

static uint64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static void fake_send_ipi(void *ctx, const struct lapic_ipi *ipi)
{
	struct fake *f = ctx;

	assert_true(f->nipi < (int)ARRAY_SIZE(f->ipi));
	f->ipi[f->nipi++] = *ipi;
}

static void fake_eoi(void *ctx, uint8_t vector)
{
	struct fake *f = ctx;

	assert_true(f->neoi < (int)ARRAY_SIZE(f->eoi));
	f->eoi[f->neoi++] = vector;
}

static void fake_kick(void *ctx)
{
	((struct fake *)ctx)->kicks++;
}

static uint64_t fake_tsc(void *ctx)
{
	return ((struct fake *)ctx)->tsc;
}

static const struct vlapic_ops fake_ops = { fake_send_ipi, fake_eoi, fake_kick, NULL };
static const struct vlapic_ops fake_ops_tsc = { fake_send_ipi, fake_eoi, fake_kick, fake_tsc };

static struct vlapic_config cfg(uint32_t id)
{
	return (struct vlapic_config){
		.apic_id = id,
		.bsp = id == 0,
		.x2apic = true,
		.tsc_deadline = true,
		.tsc_hz = TSC_HZ,
		.clock = { fake_now, &F },
		.ops = &fake_ops,
		.ctx = &F,
	};
}

static void make(struct vlapic *l, struct vlapic_config c)
{
	assert_int_equal(vlapic_init(l, &c), 0);
}

static uint32_t rd(struct vlapic *l, uint32_t off)
{
	uint64_t v = 0xDEADBEEF;

	assert_int_equal(vlapic_mmio_read(l, vlapic_mmio_base(l) + off, 4, &v), 0);
	assert_true(v <= 0xFFFFFFFFULL);
	return (uint32_t)v;
}

static void wr(struct vlapic *l, uint32_t off, uint32_t val)
{
	assert_int_equal(vlapic_mmio_write(l, vlapic_mmio_base(l) + off, 4, val), 0);
}

static uint64_t mrd(struct vlapic *l, uint32_t msr)
{
	uint64_t v = 0xDEADBEEF;

	assert_int_equal(vlapic_msr_read(l, msr, &v), 0);
	return v;
}

static void sw_enable(struct vlapic *l)
{
	wr(l, LAPIC_REG_SVR, LAPIC_SVR_ENABLE | 0xFF);
}

static void go_x2apic(struct vlapic *l)
{
	assert_int_equal(vlapic_set_apic_base(l, vlapic_get_apic_base(l) | EXTD), 0);
}

/* The guest's ESR read sequence: write, then read. */
static uint32_t esr(struct vlapic *l)
{
	wr(l, LAPIC_REG_ESR, 0);
	return rd(l, LAPIC_REG_ESR);
}

static int setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	test_log_reset();
	make(&L, cfg(0));
	return 0;
}

/* --- reset state and set-up ------------------------------------------------ */

static void test_reset_is_xapic_at_default_base_with_bsp_bit(void **state)
{
	assert_int_equal(vlapic_get_apic_base(&L), BASE | EN | BSP);
	assert_int_equal(vlapic_mode(&L), VLAPIC_MODE_XAPIC);
	assert_int_equal(vlapic_mmio_base(&L), BASE);
	assert_int_equal(mrd(&L, LAPIC_MSR_APIC_BASE), BASE | EN | BSP);
}

static void test_application_processor_reset_has_no_bsp_bit(void **state)
{
	struct vlapic ap;

	make(&ap, cfg(3));
	assert_int_equal(vlapic_get_apic_base(&ap), BASE | EN);
	assert_int_equal(rd(&ap, LAPIC_REG_ID), 3U << 24);
}

static void test_reset_register_values(void **state)
{
	struct vlapic l;

	make(&l, cfg(5));
	assert_int_equal(rd(&l, LAPIC_REG_ID), 5U << 24);
	assert_int_equal(rd(&l, LAPIC_REG_VERSION), 0x00050014);
	assert_int_equal(rd(&l, LAPIC_REG_TPR), 0);
	assert_int_equal(rd(&l, LAPIC_REG_APR), 0);
	assert_int_equal(rd(&l, LAPIC_REG_PPR), 0);
	assert_int_equal(rd(&l, LAPIC_REG_EOI), 0);
	assert_int_equal(rd(&l, LAPIC_REG_RRD), 0);
	assert_int_equal(rd(&l, LAPIC_REG_LDR), 0);
	assert_int_equal(rd(&l, LAPIC_REG_DFR), 0xFFFFFFFF);
	assert_int_equal(rd(&l, LAPIC_REG_SVR), 0xFF);
	for (uint32_t i = 0; i < 8; i++) {
		assert_int_equal(rd(&l, LAPIC_REG_ISR + i * 16), 0);
		assert_int_equal(rd(&l, LAPIC_REG_TMR + i * 16), 0);
		assert_int_equal(rd(&l, LAPIC_REG_IRR + i * 16), 0);
	}
	assert_int_equal(rd(&l, LAPIC_REG_ESR), 0);
	assert_int_equal(rd(&l, LAPIC_REG_ICR_LO), 0);
	assert_int_equal(rd(&l, LAPIC_REG_ICR_HI), 0);
	for (uint32_t off = LAPIC_REG_LVT_TIMER; off <= LAPIC_REG_LVT_ERROR; off += 16)
		assert_int_equal(rd(&l, off), MASKED);
	assert_int_equal(rd(&l, LAPIC_REG_TIMER_ICR), 0);
	assert_int_equal(rd(&l, LAPIC_REG_TIMER_CCR), 0);
	assert_int_equal(rd(&l, LAPIC_REG_TIMER_DCR), 0);
	assert_int_equal(vlapic_next_deadline(&l), DEADLINE_NONE);
	assert_int_equal(vlapic_pending_vector(&l), -1);
}

static void test_version_offers_eoi_broadcast_suppression_only_when_configured(void **state)
{
	struct vlapic_config c = cfg(0);
	struct vlapic l;

	c.directed_eoi = true;
	make(&l, c);
	assert_int_equal(rd(&l, LAPIC_REG_VERSION), 0x01050014);
	assert_int_equal(rd(&L, LAPIC_REG_VERSION) & LAPIC_VERSION_DIRECTED_EOI, 0);
}

static void test_init_rejects_bad_configuration_with_one_message(void **state)
{
	struct vlapic l;
	struct vlapic_config c;

	c = cfg(1);
	c.clock.now_ns = NULL;
	assert_int_equal(vlapic_init(&l, &c), -EINVAL);
	assert_true(test_log_contains("vlapic: APIC 1 has no clock"));

	c = cfg(1);
	c.bus_hz = 20000000000ULL;
	assert_int_equal(vlapic_init(&l, &c), -EINVAL);
	assert_true(test_log_contains("vlapic: APIC 1 bus frequency 20000000000 Hz outside 1 kHz..10 GHz"));

	c = cfg(1);
	c.tsc_hz = 0;
	assert_int_equal(vlapic_init(&l, &c), -EINVAL);
	assert_true(test_log_contains("vlapic: APIC 1 TSC frequency 0 Hz outside 1 kHz..10 GHz"));

	c = cfg(300);
	c.x2apic = false;
	assert_int_equal(vlapic_init(&l, &c), -EINVAL);
	assert_true(test_log_contains("vlapic: APIC ID 300 needs x2APIC"));

	c = cfg(1);
	c.phys_addr_bits = 60;
	assert_int_equal(vlapic_init(&l, &c), -EINVAL);
	assert_true(test_log_contains("vlapic: APIC 1 physical address width 60 outside 32..52"));
	assert_int_equal(test_log_count(), 5);

	/* Without TSC-deadline support no TSC rate is needed. */
	c = cfg(1);
	c.tsc_deadline = false;
	c.tsc_hz = 0;
	assert_int_equal(vlapic_init(&l, &c), 0);
}

/* --- register read/write rules ----------------------------------------------- */

static void test_xapic_id_register_keeps_bits_31_24(void **state)
{
	wr(&L, LAPIC_REG_ID, 0xFFFFFFFF);
	assert_int_equal(rd(&L, LAPIC_REG_ID), 0xFF000000);
	wr(&L, LAPIC_REG_ID, 0x07123456);
	assert_int_equal(rd(&L, LAPIC_REG_ID), 0x07000000);
	assert_int_equal(vlapic_id(&L), 7);
}

static void test_tpr_keeps_low_8_bits(void **state)
{
	wr(&L, LAPIC_REG_TPR, 0xFFFFFFFF);
	assert_int_equal(rd(&L, LAPIC_REG_TPR), 0xFF);
	assert_int_equal(vlapic_get_tpr(&L), 0xFF);
}

static void test_ldr_keeps_bits_31_24_and_dfr_only_its_model(void **state)
{
	wr(&L, LAPIC_REG_LDR, 0xFFFFFFFF);
	assert_int_equal(rd(&L, LAPIC_REG_LDR), 0xFF000000);
	wr(&L, LAPIC_REG_DFR, 0);
	assert_int_equal(rd(&L, LAPIC_REG_DFR), 0x0FFFFFFF);
	wr(&L, LAPIC_REG_DFR, 0xF0000000);
	assert_int_equal(rd(&L, LAPIC_REG_DFR), 0xFFFFFFFF);
}

static void test_svr_keeps_vector_enable_and_focus_bits(void **state)
{
	struct vlapic_config c = cfg(0);
	struct vlapic l;

	wr(&L, LAPIC_REG_SVR, 0xFFFFFFFF);
	assert_int_equal(rd(&L, LAPIC_REG_SVR), 0x3FF);
	c.directed_eoi = true;
	make(&l, c);
	wr(&l, LAPIC_REG_SVR, 0xFFFFFFFF);
	assert_int_equal(rd(&l, LAPIC_REG_SVR), 0x13FF);
}

static void test_read_only_registers_ignore_writes(void **state)
{
	static const uint32_t ro[] = { LAPIC_REG_VERSION, LAPIC_REG_APR, LAPIC_REG_PPR,
				       LAPIC_REG_RRD, LAPIC_REG_TIMER_CCR };

	sw_enable(&L);
	vlapic_accept(&L, 0x40, true);
	for (size_t i = 0; i < ARRAY_SIZE(ro); i++)
		wr(&L, ro[i], 0xFFFFFFFF);
	for (uint32_t i = 0; i < 8; i++) {
		wr(&L, LAPIC_REG_ISR + i * 16, 0xFFFFFFFF);
		wr(&L, LAPIC_REG_TMR + i * 16, 0xFFFFFFFF);
		wr(&L, LAPIC_REG_IRR + i * 16, 0xFFFFFFFF);
	}
	assert_int_equal(rd(&L, LAPIC_REG_VERSION), 0x00050014);
	assert_int_equal(rd(&L, LAPIC_REG_APR), 0);
	assert_int_equal(rd(&L, LAPIC_REG_PPR), 0);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 0);
	assert_int_equal(rd(&L, LAPIC_REG_ISR + 0x20), 0);
	assert_int_equal(rd(&L, LAPIC_REG_IRR + 0x20), 1);
	assert_int_equal(rd(&L, LAPIC_REG_TMR + 0x20), 1);
	assert_int_equal(rd(&L, LAPIC_REG_IRR), 0);
	assert_int_equal(esr(&L), 0);
}

static void test_esr_reads_errors_latched_by_the_previous_write(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_ICR_LO, 0x05); /* fixed IPI with illegal vector 5 */
	assert_int_equal(rd(&L, LAPIC_REG_ESR), 0); /* not latched yet */
	wr(&L, LAPIC_REG_ESR, 0xFFFFFFFF); /* the value written does not matter */
	assert_int_equal(rd(&L, LAPIC_REG_ESR), LAPIC_ESR_SEND_ILLEGAL_VECTOR);
	assert_int_equal(rd(&L, LAPIC_REG_ESR), LAPIC_ESR_SEND_ILLEGAL_VECTOR);
	wr(&L, LAPIC_REG_ESR, 0);
	assert_int_equal(rd(&L, LAPIC_REG_ESR), 0);
}

static void test_unimplemented_register_reads_zero_and_sets_illegal_register_error(void **state)
{
	static const uint32_t holes[] = { 0x000, 0x010, 0x040, 0x070, 0x2A0, LAPIC_REG_LVT_CMCI,
					  0x3A0, 0x3D0, LAPIC_REG_SELF_IPI, 0xFF0 };

	for (size_t i = 0; i < ARRAY_SIZE(holes); i++) {
		assert_int_equal(rd(&L, holes[i]), 0);
		assert_int_equal(esr(&L), LAPIC_ESR_ILLEGAL_REGISTER);
		wr(&L, holes[i], 0x12345678);
		assert_int_equal(esr(&L), LAPIC_ESR_ILLEGAL_REGISTER);
		assert_int_equal(rd(&L, holes[i]), 0);
		assert_int_equal(esr(&L), LAPIC_ESR_ILLEGAL_REGISTER);
		assert_int_equal(esr(&L), 0);
	}
}

static void test_mmio_access_of_other_sizes_or_offsets_reads_zero_and_writes_nothing(void **state)
{
	uint64_t v;

	wr(&L, LAPIC_REG_TPR, 0x20);
	for (uint32_t len = 1; len <= 8; len *= 2) {
		if (len == 4)
			continue;
		v = 0xDEAD;
		assert_int_equal(vlapic_mmio_read(&L, BASE + LAPIC_REG_TPR, len, &v), 0);
		assert_int_equal(v, 0);
		assert_int_equal(vlapic_mmio_write(&L, BASE + LAPIC_REG_TPR, len, 0x77), 0);
	}
	assert_int_equal(vlapic_mmio_read(&L, BASE + LAPIC_REG_TPR + 4, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vlapic_mmio_write(&L, BASE + LAPIC_REG_TPR + 4, 4, 0x77), 0);
	assert_int_equal(vlapic_mmio_write(&L, BASE + LAPIC_REG_TPR + 1, 4, 0x77), 0);
	assert_int_equal(rd(&L, LAPIC_REG_TPR), 0x20);
	assert_int_equal(esr(&L), 0);
}

static void test_mmio_outside_the_page_or_outside_xapic_mode_is_unclaimed(void **state)
{
	uint64_t v;

	assert_int_equal(vlapic_mmio_read(&L, BASE - 4, 4, &v), -ENODEV);
	assert_int_equal(vlapic_mmio_read(&L, BASE + 0x1000, 4, &v), -ENODEV);
	assert_int_equal(vlapic_mmio_read(&L, BASE + 0xFFC, 8, &v), -ENODEV);
	assert_int_equal(vlapic_mmio_read(&L, BASE + 0xFFC, 4, &v), 0);
	go_x2apic(&L);
	assert_int_equal(vlapic_mmio_read(&L, BASE + LAPIC_REG_ID, 4, &v), -ENODEV);
	assert_int_equal(vlapic_mmio_write(&L, BASE + LAPIC_REG_TPR, 4, 0x10), -ENODEV);
	assert_int_equal(vlapic_set_apic_base(&L, BASE), 0);
	assert_int_equal(vlapic_mmio_read(&L, BASE + LAPIC_REG_ID, 4, &v), -ENODEV);
}

static void test_lvt_writable_bits_per_entry(void **state)
{
	struct vlapic_config c = cfg(0);
	struct vlapic l;

	sw_enable(&L);
	for (uint32_t off = LAPIC_REG_LVT_TIMER; off <= LAPIC_REG_LVT_ERROR; off += 16)
		wr(&L, off, 0xFFFFFFFF);
	/* Timer: vector, mask, mode (bit 18 only with TSC deadline). */
	assert_int_equal(rd(&L, LAPIC_REG_LVT_TIMER), 0x000700FF);
	assert_int_equal(rd(&L, LAPIC_REG_LVT_THERMAL), 0x000107FF);
	assert_int_equal(rd(&L, LAPIC_REG_LVT_PMC), 0x000107FF);
	/* LINT: also polarity and trigger; remote IRR and status are read-only. */
	assert_int_equal(rd(&L, LAPIC_REG_LVT_LINT0), 0x0001A7FF);
	assert_int_equal(rd(&L, LAPIC_REG_LVT_LINT1), 0x0001A7FF);
	assert_int_equal(rd(&L, LAPIC_REG_LVT_ERROR), 0x000100FF);

	c.tsc_deadline = false;
	make(&l, c);
	sw_enable(&l);
	wr(&l, LAPIC_REG_LVT_TIMER, 0xFFFFFFFF);
	assert_int_equal(rd(&l, LAPIC_REG_LVT_TIMER), 0x000300FF);
}

static void test_icr_keeps_its_fields_and_reads_delivery_status_idle(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_ICR_HI, 0xFFFFFFFF);
	assert_int_equal(rd(&L, LAPIC_REG_ICR_HI), 0xFF000000);
	assert_int_equal(F.nipi, 0); /* writing the high half sends nothing */
	wr(&L, LAPIC_REG_ICR_LO, 0xFFFFFFFF & ~0x700U); /* fixed, all other bits set */
	assert_int_equal(rd(&L, LAPIC_REG_ICR_LO), 0x000CC8FF);
	assert_int_equal(rd(&L, LAPIC_REG_ICR_LO) & LAPIC_ICR_STATUS, 0);
	assert_int_equal(F.nipi, 1);
}

static void test_divide_configuration_keeps_bits_0_1_and_3(void **state)
{
	wr(&L, LAPIC_REG_TIMER_DCR, 0xFFFFFFFF);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_DCR), 0xB);
}

/* --- software enable ---------------------------------------------------------- */

static void test_software_disable_masks_every_lvt(void **state)
{
	sw_enable(&L);
	for (uint32_t off = LAPIC_REG_LVT_TIMER; off <= LAPIC_REG_LVT_ERROR; off += 16)
		wr(&L, off, 0x40);
	assert_int_equal(rd(&L, LAPIC_REG_LVT_LINT0), 0x40);
	wr(&L, LAPIC_REG_SVR, 0xFF);
	for (uint32_t off = LAPIC_REG_LVT_TIMER; off <= LAPIC_REG_LVT_ERROR; off += 16)
		assert_int_equal(rd(&L, off), MASKED | 0x40);
}

static void test_lvt_mask_cannot_be_cleared_while_software_disabled(void **state)
{
	wr(&L, LAPIC_REG_LVT_LINT1, (IRQ_DM_NMI << 8) | 0x22);
	assert_int_equal(rd(&L, LAPIC_REG_LVT_LINT1), MASKED | (IRQ_DM_NMI << 8) | 0x22);
	sw_enable(&L);
	assert_int_equal(rd(&L, LAPIC_REG_LVT_LINT1), MASKED | (IRQ_DM_NMI << 8) | 0x22);
	wr(&L, LAPIC_REG_LVT_LINT1, IRQ_DM_NMI << 8);
	assert_int_equal(rd(&L, LAPIC_REG_LVT_LINT1), IRQ_DM_NMI << 8);
}

static void test_software_disabled_apic_drops_fixed_interrupts_but_takes_nmi_and_init(void **state)
{
	struct irq_message nmi = { .delivery_mode = IRQ_DM_NMI, .level = true };
	struct irq_message init = { .delivery_mode = IRQ_DM_INIT, .level = true };
	struct irq_message fixed = { .vector = 0x40, .delivery_mode = IRQ_DM_FIXED, .level = true };

	assert_false(vlapic_accept(&L, 0x40, false));
	assert_false(vlapic_deliver(&L, &fixed));
	assert_int_equal(rd(&L, LAPIC_REG_IRR + 0x20), 0);
	assert_true(vlapic_deliver(&L, &nmi));
	assert_true(vlapic_deliver(&L, &init));
	assert_int_equal(vlapic_take_events(&L, NULL), VLAPIC_EV_NMI | VLAPIC_EV_INIT);
	assert_int_equal(vlapic_take_events(&L, NULL), 0);
}

static void test_software_disabled_apic_still_sends_ipis(void **state)
{
	wr(&L, LAPIC_REG_ICR_HI, 1U << 24);
	wr(&L, LAPIC_REG_ICR_LO, (IRQ_DM_INIT << 8) | LAPIC_ICR_LEVEL_ASSERT);
	assert_int_equal(F.nipi, 1);
	assert_int_equal(F.ipi[0].msg.delivery_mode, IRQ_DM_INIT);
}

/* --- IA32_APIC_BASE mode transitions ---------------------------------------------- */

static void test_xapic_to_x2apic_keeps_registers_and_derives_logical_id(void **state)
{
	struct vlapic l;

	make(&l, cfg(0x23));
	sw_enable(&l);
	wr(&l, LAPIC_REG_TPR, 0x30);
	wr(&l, LAPIC_REG_LVT_LINT0, 0x41);
	assert_true(vlapic_accept(&l, 0x50, false));
	go_x2apic(&l);
	assert_int_equal(vlapic_mode(&l), VLAPIC_MODE_X2APIC);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_ID)), 0x23);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_LDR)), 0x00020008);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_TPR)), 0x30);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_SVR)), 0x1FF);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_LVT_LINT0)), 0x41);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_IRR) + 2), 1U << 16);
	assert_int_equal(vlapic_pending_vector(&l), 0x50);
}

static void test_x2apic_to_xapic_is_rejected(void **state)
{
	go_x2apic(&L);
	assert_int_equal(vlapic_set_apic_base(&L, BASE | EN | BSP), -EINVAL);
	assert_int_equal(vlapic_msr_write(&L, LAPIC_MSR_APIC_BASE, BASE | EN | BSP), -EINVAL);
	assert_int_equal(vlapic_mode(&L), VLAPIC_MODE_X2APIC);
	assert_int_equal(vlapic_get_apic_base(&L), BASE | EN | EXTD | BSP);
}

static void test_disabled_to_x2apic_is_rejected_but_to_xapic_allowed(void **state)
{
	assert_int_equal(vlapic_set_apic_base(&L, BASE | BSP), 0);
	assert_int_equal(vlapic_mode(&L), VLAPIC_MODE_DISABLED);
	assert_int_equal(vlapic_set_apic_base(&L, BASE | EN | EXTD), -EINVAL);
	assert_int_equal(vlapic_mode(&L), VLAPIC_MODE_DISABLED);
	assert_int_equal(vlapic_set_apic_base(&L, BASE | EN), 0);
	assert_int_equal(vlapic_mode(&L), VLAPIC_MODE_XAPIC);
}

static void test_extd_without_en_is_rejected_from_every_mode(void **state)
{
	assert_int_equal(vlapic_set_apic_base(&L, BASE | EXTD), -EINVAL);
	go_x2apic(&L);
	assert_int_equal(vlapic_set_apic_base(&L, BASE | EXTD), -EINVAL);
	assert_int_equal(vlapic_mode(&L), VLAPIC_MODE_X2APIC);
	assert_int_equal(vlapic_set_apic_base(&L, BASE), 0);
	assert_int_equal(vlapic_set_apic_base(&L, BASE | EXTD), -EINVAL);
	assert_int_equal(vlapic_mode(&L), VLAPIC_MODE_DISABLED);
}

static void test_x2apic_to_disabled_to_xapic_comes_back_reset_with_ids_kept(void **state)
{
	struct vlapic l;

	make(&l, cfg(0x123));
	sw_enable(&l);
	go_x2apic(&l);
	assert_int_equal(vlapic_msr_write(&l, X2(LAPIC_REG_TPR), 0x40), 0);
	assert_int_equal(vlapic_msr_write(&l, X2(LAPIC_REG_LVT_LINT1), 0x400), 0);
	assert_true(vlapic_accept(&l, 0x80, false));
	assert_int_equal(vlapic_set_apic_base(&l, BASE), 0);
	assert_int_equal(vlapic_pending_vector(&l), -1);
	assert_int_equal(vlapic_set_apic_base(&l, BASE | EN), 0);
	assert_int_equal(rd(&l, LAPIC_REG_ID), 0x23U << 24); /* legacy ID: low 8 bits */
	assert_int_equal(rd(&l, LAPIC_REG_TPR), 0);
	assert_int_equal(rd(&l, LAPIC_REG_SVR), 0xFF);
	assert_int_equal(rd(&l, LAPIC_REG_LVT_LINT1), MASKED);
	assert_int_equal(rd(&l, LAPIC_REG_IRR + 0x40), 0);
	assert_int_equal(rd(&l, LAPIC_REG_DFR), 0xFFFFFFFF);
	go_x2apic(&l);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_ID)), 0x123);
}

static void test_extd_is_reserved_without_x2apic_support(void **state)
{
	struct vlapic_config c = cfg(0);
	struct vlapic l;
	uint64_t v;

	c.x2apic = false;
	make(&l, c);
	assert_int_equal(vlapic_set_apic_base(&l, BASE | EN | EXTD | BSP), -EINVAL);
	assert_int_equal(vlapic_mode(&l), VLAPIC_MODE_XAPIC);
	assert_int_equal(vlapic_msr_read(&l, X2(LAPIC_REG_ID), &v), -EINVAL);
}

static void test_apic_base_reserved_bits_are_rejected(void **state)
{
	static const uint64_t bad[] = { 1ULL << 0, 1ULL << 7, 1ULL << 9, 1ULL << 36, 1ULL << 63 };
	struct vlapic_config c = cfg(0);
	struct vlapic l;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(vlapic_set_apic_base(&L, BASE | EN | bad[i]), -EINVAL);
	assert_int_equal(vlapic_get_apic_base(&L), BASE | EN | BSP);

	c.phys_addr_bits = 46;
	make(&l, c);
	assert_int_equal(vlapic_set_apic_base(&l, (1ULL << 45) | EN), 0);
	assert_int_equal(vlapic_set_apic_base(&l, (1ULL << 46) | EN), -EINVAL);
}

static void test_bsp_bit_is_writable(void **state)
{
	assert_int_equal(vlapic_set_apic_base(&L, BASE | EN), 0);
	assert_int_equal(vlapic_get_apic_base(&L), BASE | EN);
	assert_int_equal(vlapic_mode(&L), VLAPIC_MODE_XAPIC);
	assert_int_equal(vlapic_set_apic_base(&L, BASE | EN | BSP), 0);
	assert_int_equal(vlapic_get_apic_base(&L), BASE | EN | BSP);
}

static void test_apic_base_relocation_moves_the_mmio_page(void **state)
{
	uint64_t v;

	wr(&L, LAPIC_REG_TPR, 0x50);
	assert_int_equal(vlapic_set_apic_base(&L, 0xFED00000ULL | EN | BSP), 0);
	assert_int_equal(vlapic_mmio_base(&L), 0xFED00000ULL);
	assert_int_equal(vlapic_mmio_read(&L, BASE + LAPIC_REG_TPR, 4, &v), -ENODEV);
	assert_int_equal(vlapic_mmio_read(&L, 0xFED00000ULL + LAPIC_REG_TPR, 4, &v), 0);
	assert_int_equal(v, 0x50); /* relocation keeps the registers */
}

static void test_init_keeps_mode_and_id_and_resets_the_rest(void **state)
{
	struct vlapic l;

	make(&l, cfg(0x42));
	sw_enable(&l);
	go_x2apic(&l);
	assert_int_equal(vlapic_msr_write(&l, X2(LAPIC_REG_TPR), 0x40), 0);
	assert_true(vlapic_accept(&l, 0x80, false));
	assert_int_equal(vlapic_msr_write(&l, X2(LAPIC_REG_TIMER_ICR), 1000), 0);
	vlapic_init_reset(&l);
	assert_int_equal(vlapic_mode(&l), VLAPIC_MODE_X2APIC);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_ID)), 0x42);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_LDR)), 0x00040004);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_TPR)), 0);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_SVR)), 0xFF);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_IRR) + 4), 0);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_TIMER_ICR)), 0);
	assert_int_equal(vlapic_next_deadline(&l), DEADLINE_NONE);
}

static void test_globally_disabled_apic_receives_nothing(void **state)
{
	struct irq_message nmi = { .delivery_mode = IRQ_DM_NMI, .level = true };

	sw_enable(&L);
	assert_true(vlapic_accept(&L, 0x40, false));
	assert_int_equal(vlapic_set_apic_base(&L, BASE | BSP), 0);
	assert_false(vlapic_accept(&L, 0x40, false));
	assert_false(vlapic_deliver(&L, &nmi));
	assert_int_equal(vlapic_pending_vector(&L), -1);
	assert_false(vlapic_matches_destination(&L, 0, false, false));
	assert_false(vlapic_matches_destination(&L, 0xFF, false, false));
}

/* --- x2APIC MSR interface ------------------------------------------------------------ */

static void test_x2apic_msrs_fault_outside_x2apic_mode(void **state)
{
	uint64_t v;

	assert_int_equal(vlapic_msr_read(&L, X2(LAPIC_REG_ID), &v), -EINVAL);
	assert_int_equal(vlapic_msr_write(&L, X2(LAPIC_REG_TPR), 0), -EINVAL);
	assert_int_equal(vlapic_set_apic_base(&L, BASE), 0);
	assert_int_equal(vlapic_msr_read(&L, X2(LAPIC_REG_VERSION), &v), -EINVAL);
}

static void test_x2apic_id_is_32_bit_and_read_only(void **state)
{
	struct vlapic l;

	make(&l, cfg(0x12345));
	go_x2apic(&l);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_ID)), 0x12345);
	assert_int_equal(vlapic_id(&l), 0x12345);
	assert_int_equal(vlapic_msr_write(&l, X2(LAPIC_REG_ID), 0x1), -EINVAL);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_LDR)), 0x12340020);
}

static void test_x2apic_registers_that_do_not_exist_fault(void **state)
{
	static const uint32_t absent[] = { 0x800, 0x801, 0x804, 0x807, X2(LAPIC_REG_APR),
					   X2(LAPIC_REG_RRD), X2(LAPIC_REG_DFR), 0x829, X2(LAPIC_REG_LVT_CMCI),
					   0x831, 0x83A, 0x83D, 0x840, 0x8FF };
	uint64_t v;

	go_x2apic(&L);
	for (size_t i = 0; i < ARRAY_SIZE(absent); i++) {
		if (vlapic_msr_read(&L, absent[i], &v) != -EINVAL)
			fail_msg("read of MSR %#x did not fault", absent[i]);
		if (vlapic_msr_write(&L, absent[i], 0) != -EINVAL)
			fail_msg("write of MSR %#x did not fault", absent[i]);
	}
}

static void test_x2apic_write_only_registers_fault_on_read(void **state)
{
	uint64_t v;

	go_x2apic(&L);
	assert_int_equal(vlapic_msr_read(&L, X2(LAPIC_REG_EOI), &v), -EINVAL);
	assert_int_equal(vlapic_msr_read(&L, X2(LAPIC_REG_SELF_IPI), &v), -EINVAL);
}

static void test_x2apic_read_only_registers_fault_on_write(void **state)
{
	static const uint32_t ro[] = { X2(LAPIC_REG_ID), X2(LAPIC_REG_VERSION), X2(LAPIC_REG_PPR),
				       X2(LAPIC_REG_LDR), X2(LAPIC_REG_TIMER_CCR) };

	go_x2apic(&L);
	for (size_t i = 0; i < ARRAY_SIZE(ro); i++)
		assert_int_equal(vlapic_msr_write(&L, ro[i], 0), -EINVAL);
	for (uint32_t i = 0; i < 8; i++) {
		assert_int_equal(vlapic_msr_write(&L, X2(LAPIC_REG_ISR) + i, 0), -EINVAL);
		assert_int_equal(vlapic_msr_write(&L, X2(LAPIC_REG_TMR) + i, 0), -EINVAL);
		assert_int_equal(vlapic_msr_write(&L, X2(LAPIC_REG_IRR) + i, 0), -EINVAL);
	}
}

static void test_x2apic_non_zero_reserved_bits_fault(void **state)
{
	struct {
		uint32_t msr;
		uint64_t val;
	} bad[] = {
		{ X2(LAPIC_REG_TPR), 0x100 },
		{ X2(LAPIC_REG_TPR), 1ULL << 32 },
		{ X2(LAPIC_REG_SVR), 1U << 10 },
		{ X2(LAPIC_REG_SVR), LAPIC_SVR_SUPPRESS_EOI_BROADCAST }, /* not offered */
		{ X2(LAPIC_REG_EOI), 1 },
		{ X2(LAPIC_REG_ESR), 1 },
		{ X2(LAPIC_REG_TIMER_DCR), 4 },
		{ X2(LAPIC_REG_TIMER_ICR), 1ULL << 32 },
		{ X2(LAPIC_REG_LVT_TIMER), 3U << 17 }, /* reserved timer mode */
		{ X2(LAPIC_REG_LVT_TIMER), 0x700 }, /* no delivery mode field */
		{ X2(LAPIC_REG_LVT_ERROR), 1U << 15 },
		{ X2(LAPIC_REG_LVT_LINT0), 1U << 17 },
		{ X2(LAPIC_REG_ICR_LO), 1U << 13 },
		{ X2(LAPIC_REG_ICR_LO), 1U << 16 },
		{ X2(LAPIC_REG_ICR_LO), 1U << 20 },
		{ X2(LAPIC_REG_SELF_IPI), 0x100 },
	};

	sw_enable(&L);
	go_x2apic(&L);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (vlapic_msr_write(&L, bad[i].msr, bad[i].val) != -EINVAL)
			fail_msg("MSR %#x = %#llx did not fault", bad[i].msr, (unsigned long long)bad[i].val);
	assert_int_equal(F.nipi, 0);
	assert_int_equal(mrd(&L, X2(LAPIC_REG_TPR)), 0);
	assert_int_equal(mrd(&L, X2(LAPIC_REG_SVR)), 0x1FF);
}

static void test_x2apic_lvt_write_back_of_read_only_bits_is_accepted(void **state)
{
	sw_enable(&L);
	go_x2apic(&L);
	assert_int_equal(vlapic_msr_write(&L, X2(LAPIC_REG_LVT_LINT0),
					  LAPIC_LVT_STATUS | LAPIC_LVT_REMOTE_IRR | 0x30),
			 0);
	assert_int_equal(mrd(&L, X2(LAPIC_REG_LVT_LINT0)), 0x30);
}

static void test_x2apic_icr_is_one_64_bit_msr(void **state)
{
	struct vlapic l;

	make(&l, cfg(7));
	sw_enable(&l);
	go_x2apic(&l);
	assert_int_equal(vlapic_msr_write(&l, X2(LAPIC_REG_ICR_LO), 0x1234567800000831ULL), 0);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_ICR_LO)), 0x1234567800000831ULL);
	assert_int_equal(F.nipi, 1);
	assert_int_equal(F.ipi[0].msg.dest, 0x12345678);
	assert_true(F.ipi[0].msg.dest_logical);
	assert_int_equal(F.ipi[0].msg.vector, 0x31);
	assert_int_equal(F.ipi[0].msg.delivery_mode, IRQ_DM_FIXED);
	assert_int_equal(F.ipi[0].source_id, 7);
	assert_true(F.ipi[0].x2apic);
}

static void test_x2apic_self_ipi_register_sends_fixed_ipi_to_self(void **state)
{
	struct vlapic l;

	make(&l, cfg(9));
	sw_enable(&l);
	go_x2apic(&l);
	assert_int_equal(vlapic_msr_write(&l, X2(LAPIC_REG_SELF_IPI), 0xEC), 0);
	assert_int_equal(F.nipi, 1);
	assert_int_equal(F.ipi[0].msg.vector, 0xEC);
	assert_int_equal(F.ipi[0].msg.delivery_mode, IRQ_DM_FIXED);
	assert_int_equal(F.ipi[0].shorthand, LAPIC_SH_SELF);
	assert_false(F.ipi[0].msg.trigger_level);
	assert_int_equal(F.ipi[0].source_id, 9);
	assert_true(vlapic_ipi_targets(&l, &F.ipi[0], true));
	/* An illegal vector is not sent. */
	assert_int_equal(vlapic_msr_write(&l, X2(LAPIC_REG_SELF_IPI), 0x0F), 0);
	assert_int_equal(F.nipi, 1);
	assert_int_equal(vlapic_msr_write(&l, X2(LAPIC_REG_ESR), 0), 0);
	assert_int_equal(mrd(&l, X2(LAPIC_REG_ESR)), LAPIC_ESR_SEND_ILLEGAL_VECTOR);
}

static void test_msr_ownership_and_unowned_msrs(void **state)
{
	uint64_t v;

	assert_true(vlapic_msr_owned(0x1B));
	assert_true(vlapic_msr_owned(0x6E0));
	assert_true(vlapic_msr_owned(0x800));
	assert_true(vlapic_msr_owned(0x8FF));
	assert_false(vlapic_msr_owned(0x7FF));
	assert_false(vlapic_msr_owned(0x900));
	assert_int_equal(vlapic_msr_read(&L, 0x10, &v), -ENOENT);
	assert_int_equal(vlapic_msr_write(&L, 0x10, 0), -ENOENT);
}

/* --- priority ------------------------------------------------------------------------------- */

static void test_ppr_is_tpr_when_tpr_class_is_at_least_the_in_service_class(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_TPR, 0x35);
	assert_int_equal(rd(&L, LAPIC_REG_PPR), 0x35);
	vlapic_accept(&L, 0x3F, false);
	assert_int_equal(vlapic_ack(&L, 0x3F), 0);
	assert_int_equal(rd(&L, LAPIC_REG_PPR), 0x35);
}

static void test_ppr_is_in_service_class_when_it_beats_tpr(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_TPR, 0x25);
	vlapic_accept(&L, 0x47, false);
	assert_int_equal(vlapic_ack(&L, 0x47), 0);
	assert_int_equal(rd(&L, LAPIC_REG_PPR), 0x40);
	assert_int_equal(vlapic_get_ppr(&L), 0x40);
}

static void test_pending_vector_is_the_highest_irr_vector_above_ppr(void **state)
{
	sw_enable(&L);
	vlapic_accept(&L, 0x31, false);
	vlapic_accept(&L, 0x8F, false);
	vlapic_accept(&L, 0x80, false);
	vlapic_accept(&L, 0x61, false);
	assert_int_equal(vlapic_pending_vector(&L), 0x8F);
	assert_int_equal(vlapic_ack_pending(&L), 0x8F);
	/* 0x80 is in the class of 0x8F, which is in service. */
	assert_int_equal(vlapic_pending_vector(&L), -1);
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_equal(vlapic_ack_pending(&L), 0x80);
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_equal(vlapic_ack_pending(&L), 0x61);
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_equal(vlapic_ack_pending(&L), 0x31);
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_equal(vlapic_ack_pending(&L), -1);
}

static void test_higher_class_preempts_a_vector_in_service(void **state)
{
	sw_enable(&L);
	vlapic_accept(&L, 0x40, false);
	assert_int_equal(vlapic_ack_pending(&L), 0x40);
	vlapic_accept(&L, 0x50, false);
	assert_int_equal(vlapic_ack_pending(&L), 0x50);
	assert_int_equal(rd(&L, LAPIC_REG_ISR + 0x20), 0x10001); /* 0x40 and 0x50 nest */
	assert_int_equal(rd(&L, LAPIC_REG_PPR), 0x50);
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_equal(rd(&L, LAPIC_REG_ISR + 0x20), 1);
	assert_int_equal(rd(&L, LAPIC_REG_PPR), 0x40);
}

static void test_tpr_blocks_vectors_of_its_class_and_below(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_TPR, 0x50);
	vlapic_accept(&L, 0x5F, false);
	vlapic_accept(&L, 0x21, false);
	assert_int_equal(vlapic_pending_vector(&L), -1);
	wr(&L, LAPIC_REG_TPR, 0x4F);
	assert_int_equal(vlapic_pending_vector(&L), 0x5F);
	wr(&L, LAPIC_REG_TPR, 0x60);
	vlapic_accept(&L, 0x70, false);
	assert_int_equal(vlapic_pending_vector(&L), 0x70);
}

static void test_ack_moves_irr_to_isr_and_refuses_vectors_not_requested(void **state)
{
	sw_enable(&L);
	vlapic_accept(&L, 0x41, false);
	assert_int_equal(vlapic_ack(&L, 0x42), -EINVAL);
	assert_int_equal(vlapic_ack(&L, 0x41), 0);
	assert_int_equal(rd(&L, LAPIC_REG_IRR + 0x20), 0);
	assert_int_equal(rd(&L, LAPIC_REG_ISR + 0x20), 2);
	assert_int_equal(vlapic_ack(&L, 0x41), -EINVAL);
}

static void test_illegal_vector_is_refused_and_sets_receive_illegal_vector(void **state)
{
	sw_enable(&L);
	for (unsigned v = 0; v < 16; v++)
		assert_false(vlapic_accept(&L, (uint8_t)v, false));
	assert_int_equal(rd(&L, LAPIC_REG_IRR), 0);
	assert_int_equal(esr(&L), LAPIC_ESR_RECV_ILLEGAL_VECTOR);
	assert_true(vlapic_accept(&L, 16, false));
	assert_int_equal(rd(&L, LAPIC_REG_IRR), 1U << 16);
}

static void test_level_acceptance_sets_tmr_and_edge_clears_it(void **state)
{
	sw_enable(&L);
	assert_true(vlapic_accept(&L, 0x61, true));
	assert_int_equal(rd(&L, LAPIC_REG_TMR + 0x30), 2);
	assert_int_equal(rd(&L, LAPIC_REG_IRR + 0x30), 2);
	assert_true(vlapic_accept(&L, 0x61, false));
	assert_int_equal(rd(&L, LAPIC_REG_TMR + 0x30), 0);
	assert_int_equal(rd(&L, LAPIC_REG_IRR + 0x30), 2);
	assert_true(F.kicks >= 2);
}

static void test_focus_processor_has_the_vector_in_irr_or_isr(void **state)
{
	sw_enable(&L);
	assert_false(vlapic_is_focus(&L, 0x41));
	vlapic_accept(&L, 0x41, false);
	assert_true(vlapic_is_focus(&L, 0x41));
	vlapic_ack(&L, 0x41);
	assert_true(vlapic_is_focus(&L, 0x41));
	wr(&L, LAPIC_REG_SVR, 0x1FF | LAPIC_SVR_FOCUS_DISABLE);
	assert_false(vlapic_is_focus(&L, 0x41));
}

/* --- EOI ------------------------------------------------------------------------------------------ */

static void test_eoi_clears_only_the_highest_in_service_vector(void **state)
{
	sw_enable(&L);
	vlapic_accept(&L, 0x30, false);
	vlapic_ack(&L, 0x30);
	vlapic_accept(&L, 0xE0, false);
	vlapic_ack(&L, 0xE0);
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_equal(rd(&L, LAPIC_REG_ISR + 0x70), 0);
	assert_int_equal(rd(&L, LAPIC_REG_ISR + 0x10), 1U << 16);
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_equal(rd(&L, LAPIC_REG_ISR + 0x10), 0);
}

static void test_eoi_of_level_vector_broadcasts_to_ioapic(void **state)
{
	sw_enable(&L);
	vlapic_accept(&L, 0x91, true);
	vlapic_ack_pending(&L);
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_equal(F.neoi, 1);
	assert_int_equal(F.eoi[0], 0x91);
	assert_int_equal(rd(&L, LAPIC_REG_ISR + 0x40), 0);
}

static void test_eoi_of_edge_vector_is_not_broadcast(void **state)
{
	sw_enable(&L);
	vlapic_accept(&L, 0x91, false);
	vlapic_ack_pending(&L);
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_equal(F.neoi, 0);
}

static void test_eoi_with_nothing_in_service_does_nothing(void **state)
{
	sw_enable(&L);
	vlapic_accept(&L, 0x91, true);
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_equal(F.neoi, 0);
	assert_int_equal(vlapic_pending_vector(&L), 0x91);
}

static void test_suppressed_eoi_broadcast_leaves_the_ioapic_alone(void **state)
{
	struct vlapic_config c = cfg(0);
	struct vlapic l;

	c.directed_eoi = true;
	make(&l, c);
	wr(&l, LAPIC_REG_SVR, 0x1FF | LAPIC_SVR_SUPPRESS_EOI_BROADCAST);
	vlapic_accept(&l, 0x91, true);
	vlapic_ack_pending(&l);
	wr(&l, LAPIC_REG_EOI, 0);
	assert_int_equal(F.neoi, 0);
	assert_int_equal(rd(&l, LAPIC_REG_ISR + 0x40), 0);
	/* Without the SVR bit the broadcast happens. */
	wr(&l, LAPIC_REG_SVR, 0x1FF);
	vlapic_accept(&l, 0x91, true);
	vlapic_ack_pending(&l);
	wr(&l, LAPIC_REG_EOI, 0);
	assert_int_equal(F.neoi, 1);
}

static void test_x2apic_eoi_takes_only_zero(void **state)
{
	sw_enable(&L);
	go_x2apic(&L);
	vlapic_accept(&L, 0x91, true);
	vlapic_ack_pending(&L);
	assert_int_equal(vlapic_msr_write(&L, X2(LAPIC_REG_EOI), 1), -EINVAL);
	assert_int_equal(F.neoi, 0);
	assert_int_equal(vlapic_msr_write(&L, X2(LAPIC_REG_EOI), 0), 0);
	assert_int_equal(F.neoi, 1);
}

/* --- ICR encodings ----------------------------------------------------------------------------- */

static const struct lapic_ipi *send(struct vlapic *l, uint32_t hi, uint32_t lo)
{
	int before = F.nipi;

	wr(l, LAPIC_REG_ICR_HI, hi);
	wr(l, LAPIC_REG_ICR_LO, lo);
	assert_int_equal(F.nipi, before + 1);
	return &F.ipi[before];
}

static void assert_ipi(const struct lapic_ipi *ipi, uint8_t mode, uint8_t vector, uint32_t dest,
		       bool logical, uint8_t shorthand)
{
	assert_int_equal(ipi->msg.delivery_mode, mode);
	assert_int_equal(ipi->msg.vector, vector);
	assert_int_equal(ipi->msg.dest, dest);
	assert_int_equal(ipi->msg.dest_logical, logical);
	assert_int_equal(ipi->shorthand, shorthand);
}

static void test_icr_fixed_physical_ipi(void **state)
{
	struct vlapic l;
	const struct lapic_ipi *ipi;

	make(&l, cfg(2));
	sw_enable(&l);
	ipi = send(&l, 0x05000000, LAPIC_ICR_LEVEL_ASSERT | 0x31);
	assert_ipi(ipi, IRQ_DM_FIXED, 0x31, 5, false, LAPIC_SH_NONE);
	assert_int_equal(ipi->source_id, 2);
	assert_false(ipi->x2apic);
	assert_false(ipi->msg.trigger_level);
	assert_true(ipi->msg.level);
}

static void test_icr_lowest_priority_logical_ipi(void **state)
{
	sw_enable(&L);
	assert_ipi(send(&L, 0x0F000000, (IRQ_DM_LOWEST << 8) | LAPIC_ICR_LOGICAL | 0x41),
		   IRQ_DM_LOWEST, 0x41, 0x0F, true, LAPIC_SH_NONE);
}

static void test_icr_smi_and_nmi_ipis(void **state)
{
	sw_enable(&L);
	assert_ipi(send(&L, 0x01000000, IRQ_DM_SMI << 8), IRQ_DM_SMI, 0, 1, false,
		   LAPIC_SH_NONE);
	assert_ipi(send(&L, 0x03000000, (IRQ_DM_NMI << 8) | LAPIC_ICR_LOGICAL), IRQ_DM_NMI, 0,
		   3, true, LAPIC_SH_NONE);
}

static void test_icr_init_assert_and_level_deassert(void **state)
{
	const struct lapic_ipi *ipi;

	sw_enable(&L);
	ipi = send(&L, 0x01000000, (IRQ_DM_INIT << 8) | LAPIC_ICR_LEVEL_ASSERT | LAPIC_ICR_TRIGGER_LEVEL);
	assert_ipi(ipi, IRQ_DM_INIT, 0, 1, false, LAPIC_SH_NONE);
	assert_true(ipi->msg.level);
	assert_false(ipi->msg.trigger_level);
	ipi = send(&L, 0xFF000000, (IRQ_DM_INIT << 8) | LAPIC_ICR_TRIGGER_LEVEL);
	assert_ipi(ipi, IRQ_DM_INIT, 0, 0xFF, false, LAPIC_SH_NONE);
	assert_false(ipi->msg.level);
	assert_true(ipi->msg.trigger_level);
}

static void test_icr_startup_ipi_carries_the_start_page_vector(void **state)
{
	sw_enable(&L);
	assert_ipi(send(&L, 0x01000000, (IRQ_DM_STARTUP << 8) | LAPIC_ICR_LEVEL_ASSERT | 0x09),
		   IRQ_DM_STARTUP, 0x09, 1, false, LAPIC_SH_NONE);
}

static void test_icr_shorthands(void **state)
{
	sw_enable(&L);
	assert_ipi(send(&L, 0, (1U << 18) | 0xF3), IRQ_DM_FIXED, 0xF3, 0, false, LAPIC_SH_SELF);
	assert_ipi(send(&L, 0, (2U << 18) | 0xF4), IRQ_DM_FIXED, 0xF4, 0, false,
		   LAPIC_SH_ALL_INCL_SELF);
	assert_ipi(send(&L, 0, (3U << 18) | (IRQ_DM_INIT << 8) | LAPIC_ICR_LEVEL_ASSERT),
		   IRQ_DM_INIT, 0, 0, false, LAPIC_SH_ALL_EXCL_SELF);
	assert_ipi(send(&L, 0, (3U << 18) | (IRQ_DM_STARTUP << 8) | 0x10), IRQ_DM_STARTUP, 0x10,
		   0, false, LAPIC_SH_ALL_EXCL_SELF);
}

static void test_icr_level_trigger_on_a_fixed_ipi_is_issued_as_edge(void **state)
{
	const struct lapic_ipi *ipi;

	sw_enable(&L);
	ipi = send(&L, 0x01000000, LAPIC_ICR_TRIGGER_LEVEL | 0x55);
	assert_false(ipi->msg.trigger_level);
	assert_true(ipi->msg.level);
}

static void test_icr_illegal_vector_is_not_sent_and_sets_send_illegal_vector(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_ICR_LO, 0x0F);
	wr(&L, LAPIC_REG_ICR_LO, (IRQ_DM_LOWEST << 8) | 0x01);
	assert_int_equal(F.nipi, 0);
	assert_int_equal(esr(&L), LAPIC_ESR_SEND_ILLEGAL_VECTOR);
	/* NMI, INIT and SMI ignore the vector field. */
	wr(&L, LAPIC_REG_ICR_LO, (IRQ_DM_NMI << 8) | 0x01);
	assert_int_equal(F.nipi, 1);
	assert_int_equal(esr(&L), 0);
}

static void test_icr_reserved_delivery_modes_send_nothing(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_ICR_LO, (3U << 8) | 0x40);
	wr(&L, LAPIC_REG_ICR_LO, (IRQ_DM_EXTINT << 8) | 0x40);
	assert_int_equal(F.nipi, 0);
}

/* --- destination matching ---------------------------------------------------------------------- */

static void test_physical_destination_matches_own_id_and_broadcast(void **state)
{
	struct vlapic l;

	make(&l, cfg(3));
	assert_true(vlapic_matches_destination(&l, 3, false, false));
	assert_false(vlapic_matches_destination(&l, 4, false, false));
	assert_true(vlapic_matches_destination(&l, 0xFF, false, false));
	assert_true(vlapic_matches_destination(&l, 0x103, false, false)); /* 8 bits only */
	wr(&l, LAPIC_REG_ID, 9U << 24);
	assert_true(vlapic_matches_destination(&l, 9, false, false));
	assert_false(vlapic_matches_destination(&l, 3, false, false));
}

static void test_flat_logical_destination_is_a_bitmap(void **state)
{
	wr(&L, LAPIC_REG_LDR, 0x04000000);
	assert_true(vlapic_matches_destination(&L, 0x04, true, false));
	assert_true(vlapic_matches_destination(&L, 0x0C, true, false));
	assert_false(vlapic_matches_destination(&L, 0x0B, true, false));
	assert_true(vlapic_matches_destination(&L, 0xFF, true, false));
	/* LDR 0 is in no logical group but still sees a broadcast. */
	wr(&L, LAPIC_REG_LDR, 0);
	assert_false(vlapic_matches_destination(&L, 0x7F, true, false));
	assert_true(vlapic_matches_destination(&L, 0xFF, true, false));
}

static void test_cluster_logical_destination_matches_cluster_and_member(void **state)
{
	wr(&L, LAPIC_REG_DFR, 0x0FFFFFFF);
	wr(&L, LAPIC_REG_LDR, 0x32000000); /* cluster 3, member bit 1 */
	assert_true(vlapic_matches_destination(&L, 0x32, true, false));
	assert_true(vlapic_matches_destination(&L, 0x3E, true, false));
	assert_false(vlapic_matches_destination(&L, 0x3D, true, false));
	assert_false(vlapic_matches_destination(&L, 0x22, true, false));
	assert_true(vlapic_matches_destination(&L, 0xFF, true, false));
	/* The same LDR read as flat matches on any of its bits. */
	wr(&L, LAPIC_REG_DFR, 0xFFFFFFFF);
	assert_true(vlapic_matches_destination(&L, 0x22, true, false));
}

static void test_x2apic_logical_destination_comes_from_the_x2apic_id(void **state)
{
	struct vlapic l;

	make(&l, cfg(0x23)); /* cluster 2, bit 1 << 3 */
	go_x2apic(&l);
	assert_true(vlapic_matches_destination(&l, 0x00020008, true, true));
	assert_true(vlapic_matches_destination(&l, 0x0002FFFF, true, true));
	assert_false(vlapic_matches_destination(&l, 0x00020004, true, true));
	assert_false(vlapic_matches_destination(&l, 0x00030008, true, true));
	assert_true(vlapic_matches_destination(&l, 0xFFFFFFFF, true, true));
}

static void test_x2apic_physical_destination_is_32_bit_with_all_ones_broadcast(void **state)
{
	struct vlapic l;

	make(&l, cfg(0x1FF));
	go_x2apic(&l);
	assert_true(vlapic_matches_destination(&l, 0x1FF, false, true));
	assert_false(vlapic_matches_destination(&l, 0xFF, false, true)); /* not a broadcast in x2APIC format */
	assert_true(vlapic_matches_destination(&l, 0xFFFFFFFF, false, true));
	assert_false(vlapic_matches_destination(&l, 0x10001FF, false, true));
}

static void test_ipi_targets_follow_shorthands(void **state)
{
	struct lapic_ipi ipi = { .msg = { .dest = 0, .delivery_mode = IRQ_DM_FIXED, .vector = 0x40 } };

	ipi.shorthand = LAPIC_SH_SELF;
	assert_true(vlapic_ipi_targets(&L, &ipi, true));
	assert_false(vlapic_ipi_targets(&L, &ipi, false));
	ipi.shorthand = LAPIC_SH_ALL_INCL_SELF;
	assert_true(vlapic_ipi_targets(&L, &ipi, true));
	assert_true(vlapic_ipi_targets(&L, &ipi, false));
	ipi.shorthand = LAPIC_SH_ALL_EXCL_SELF;
	assert_false(vlapic_ipi_targets(&L, &ipi, true));
	assert_true(vlapic_ipi_targets(&L, &ipi, false));
	ipi.shorthand = LAPIC_SH_NONE;
	ipi.msg.dest = 1;
	assert_false(vlapic_ipi_targets(&L, &ipi, false));
	ipi.msg.dest = 0;
	assert_true(vlapic_ipi_targets(&L, &ipi, false));
}

/* A four-CPU router: every send goes to the matching APICs. */
static struct vlapic cpus[4];
static int sender;

static void route_ipi(void *ctx, const struct lapic_ipi *ipi)
{
	int from = (int)(intptr_t)ctx;

	sender = from;
	for (int i = 0; i < 4; i++)
		if (vlapic_ipi_targets(&cpus[i], ipi, i == from))
			vlapic_deliver(&cpus[i], &ipi->msg);
}

static const struct vlapic_ops route_ops = { route_ipi, NULL, NULL, NULL };

static void make_cpus(void)
{
	for (int i = 0; i < 4; i++) {
		struct vlapic_config c = cfg((uint32_t)i);

		c.ops = &route_ops;
		c.ctx = (void *)(intptr_t)i;
		make(&cpus[i], c);
	}
}

static void test_init_and_startup_ipis_reach_the_target_as_events(void **state)
{
	uint8_t sipi = 0;

	make_cpus();
	sw_enable(&cpus[0]);
	wr(&cpus[0], LAPIC_REG_ICR_HI, 2U << 24);
	wr(&cpus[0], LAPIC_REG_ICR_LO, (IRQ_DM_INIT << 8) | LAPIC_ICR_LEVEL_ASSERT | LAPIC_ICR_TRIGGER_LEVEL);
	wr(&cpus[0], LAPIC_REG_ICR_LO, (IRQ_DM_INIT << 8) | LAPIC_ICR_TRIGGER_LEVEL); /* de-assert */
	assert_int_equal(vlapic_take_events(&cpus[2], &sipi), VLAPIC_EV_INIT);
	assert_int_equal(vlapic_take_events(&cpus[1], &sipi), 0);
	vlapic_init_reset(&cpus[2]);
	wr(&cpus[0], LAPIC_REG_ICR_LO, (IRQ_DM_STARTUP << 8) | LAPIC_ICR_LEVEL_ASSERT | 0x9A);
	assert_int_equal(vlapic_take_events(&cpus[2], &sipi), VLAPIC_EV_SIPI);
	assert_int_equal(sipi, 0x9A);
}

static void test_fixed_ipi_to_all_excluding_self_reaches_every_other_enabled_apic(void **state)
{
	make_cpus();
	for (int i = 0; i < 4; i++)
		sw_enable(&cpus[i]);
	wr(&cpus[3], LAPIC_REG_SVR, 0xFF); /* software-disabled: drops fixed */
	wr(&cpus[1], LAPIC_REG_ICR_LO, (3U << 18) | 0xC1);
	assert_int_equal(sender, 1);
	assert_int_equal(vlapic_pending_vector(&cpus[0]), 0xC1);
	assert_int_equal(vlapic_pending_vector(&cpus[1]), -1);
	assert_int_equal(vlapic_pending_vector(&cpus[2]), 0xC1);
	assert_int_equal(vlapic_pending_vector(&cpus[3]), -1);
	wr(&cpus[1], LAPIC_REG_ICR_LO, (1U << 18) | 0xC2);
	assert_int_equal(vlapic_pending_vector(&cpus[1]), 0xC2);
}

/* --- LVTs and LINT pins ----------------------------------------------------------------------- */

static void test_lint0_extint_is_pending_while_the_line_is_high(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_LVT_LINT0, IRQ_DM_EXTINT << 8);
	assert_false(vlapic_extint_pending(&L));
	vlapic_set_lint(&L, 0, true);
	assert_true(vlapic_extint_pending(&L));
	assert_int_equal(vlapic_pending_vector(&L), -1); /* ExtINT bypasses the IRR */
	vlapic_set_lint(&L, 0, false);
	assert_false(vlapic_extint_pending(&L));
	vlapic_set_lint(&L, 0, true);
	wr(&L, LAPIC_REG_LVT_LINT0, MASKED | (IRQ_DM_EXTINT << 8));
	assert_false(vlapic_extint_pending(&L));
}

static void test_virtual_wire_bsp_takes_8259_interrupts_from_reset(void **state)
{
	struct vlapic_config c = cfg(0);
	struct vlapic bsp, ap;

	c.virtual_wire = true;
	make(&bsp, c);
	assert_int_equal(rd(&bsp, LAPIC_REG_LVT_LINT0), IRQ_DM_EXTINT << 8);
	assert_int_equal(rd(&bsp, LAPIC_REG_LVT_LINT1), IRQ_DM_NMI << 8);
	vlapic_set_lint(&bsp, 0, true);
	assert_true(vlapic_extint_pending(&bsp));
	c = cfg(1);
	c.virtual_wire = true;
	make(&ap, c);
	assert_int_equal(rd(&ap, LAPIC_REG_LVT_LINT0), MASKED);
}

static void test_globally_disabled_apic_passes_lint0_as_intr_and_lint1_as_nmi(void **state)
{
	assert_int_equal(vlapic_set_apic_base(&L, BASE | BSP), 0);
	vlapic_set_lint(&L, 0, true);
	assert_true(vlapic_extint_pending(&L));
	vlapic_set_lint(&L, 1, true);
	vlapic_set_lint(&L, 1, true); /* no new edge */
	assert_int_equal(vlapic_take_events(&L, NULL), VLAPIC_EV_NMI);
	vlapic_set_lint(&L, 1, false);
	vlapic_set_lint(&L, 1, true);
	assert_int_equal(vlapic_take_events(&L, NULL), VLAPIC_EV_NMI);
}

static void test_lint1_nmi_is_delivered_on_the_rising_edge(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_LVT_LINT1, IRQ_DM_NMI << 8);
	vlapic_set_lint(&L, 1, true);
	assert_int_equal(vlapic_take_events(&L, NULL), VLAPIC_EV_NMI);
	vlapic_set_lint(&L, 1, true);
	vlapic_set_lint(&L, 1, false);
	assert_int_equal(vlapic_take_events(&L, NULL), 0);
}

static void test_edge_fixed_lint_sets_irr_on_each_rising_edge(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_LVT_LINT0, 0x45);
	vlapic_set_lint(&L, 0, true);
	assert_int_equal(vlapic_ack_pending(&L), 0x45);
	vlapic_set_lint(&L, 0, true);
	assert_int_equal(vlapic_pending_vector(&L), -1);
	vlapic_set_lint(&L, 0, false);
	wr(&L, LAPIC_REG_EOI, 0);
	vlapic_set_lint(&L, 0, true);
	assert_int_equal(vlapic_pending_vector(&L), 0x45);
	assert_int_equal(rd(&L, LAPIC_REG_TMR + 0x20), 0);
}

static void test_level_fixed_lint_holds_remote_irr_until_eoi_and_redelivers(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_LVT_LINT0, LAPIC_LVT_LEVEL | 0x45);
	vlapic_set_lint(&L, 0, true);
	assert_int_equal(rd(&L, LAPIC_REG_LVT_LINT0), LAPIC_LVT_LEVEL | LAPIC_LVT_REMOTE_IRR | 0x45);
	assert_int_equal(rd(&L, LAPIC_REG_TMR + 0x20), 1U << 5);
	assert_int_equal(vlapic_ack_pending(&L), 0x45);
	/* Still high: EOI clears remote IRR and the line delivers again. */
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_equal(F.neoi, 1);
	assert_int_equal(vlapic_pending_vector(&L), 0x45);
	assert_int_equal(rd(&L, LAPIC_REG_LVT_LINT0) & LAPIC_LVT_REMOTE_IRR, LAPIC_LVT_REMOTE_IRR);
	assert_int_equal(vlapic_ack_pending(&L), 0x45);
	vlapic_set_lint(&L, 0, false);
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_equal(rd(&L, LAPIC_REG_LVT_LINT0), LAPIC_LVT_LEVEL | 0x45);
	assert_int_equal(vlapic_pending_vector(&L), -1);
}

static void test_masked_lint_delivers_nothing(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_LVT_LINT1, MASKED | (IRQ_DM_NMI << 8));
	wr(&L, LAPIC_REG_LVT_LINT0, MASKED | 0x45);
	vlapic_set_lint(&L, 0, true);
	vlapic_set_lint(&L, 1, true);
	assert_int_equal(vlapic_take_events(&L, NULL), 0);
	assert_int_equal(vlapic_pending_vector(&L), -1);
}

static void test_pmc_lvt_masks_itself_after_delivering(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_LVT_PMC, 0xFE);
	vlapic_raise_lvt(&L, VLAPIC_LVT_PMC);
	assert_int_equal(vlapic_pending_vector(&L), 0xFE);
	assert_int_equal(rd(&L, LAPIC_REG_LVT_PMC), MASKED | 0xFE);
	vlapic_ack_pending(&L);
	vlapic_raise_lvt(&L, VLAPIC_LVT_PMC);
	assert_int_equal(rd(&L, LAPIC_REG_IRR + 0x70), 0);
	/* PMC as NMI, the usual perf set-up. */
	wr(&L, LAPIC_REG_LVT_PMC, IRQ_DM_NMI << 8);
	vlapic_raise_lvt(&L, VLAPIC_LVT_PMC);
	assert_int_equal(vlapic_take_events(&L, NULL), VLAPIC_EV_NMI);
}

static void test_thermal_lvt_delivers_its_vector_unless_masked(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_LVT_THERMAL, MASKED | 0xFA);
	vlapic_raise_lvt(&L, VLAPIC_LVT_THERMAL);
	assert_int_equal(vlapic_pending_vector(&L), -1);
	wr(&L, LAPIC_REG_LVT_THERMAL, 0xFA);
	vlapic_raise_lvt(&L, VLAPIC_LVT_THERMAL);
	assert_int_equal(vlapic_pending_vector(&L), 0xFA);
	assert_int_equal(rd(&L, LAPIC_REG_LVT_THERMAL), 0xFA);
}

static void test_error_raises_the_error_lvt(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_LVT_ERROR, 0xFE);
	wr(&L, LAPIC_REG_ICR_LO, 0x03); /* illegal vector */
	assert_int_equal(vlapic_pending_vector(&L), 0xFE);
	assert_int_equal(esr(&L), LAPIC_ESR_SEND_ILLEGAL_VECTOR);
}

static void test_error_lvt_with_an_illegal_vector_only_records_the_error(void **state)
{
	sw_enable(&L);
	wr(&L, LAPIC_REG_LVT_ERROR, 0x02);
	wr(&L, LAPIC_REG_ICR_LO, 0x03);
	assert_int_equal(vlapic_pending_vector(&L), -1);
	assert_int_equal(esr(&L), LAPIC_ESR_SEND_ILLEGAL_VECTOR | LAPIC_ESR_RECV_ILLEGAL_VECTOR);
}

static void test_extint_message_is_pending_until_acknowledged(void **state)
{
	struct irq_message m = { .delivery_mode = IRQ_DM_EXTINT, .level = true };

	sw_enable(&L);
	assert_true(vlapic_deliver(&L, &m));
	assert_true(vlapic_extint_pending(&L));
	vlapic_extint_ack(&L);
	assert_false(vlapic_extint_pending(&L));
}

static void test_delivered_messages_become_irr_bits_or_events(void **state)
{
	struct irq_message m = { .level = true };
	uint8_t sipi = 0;

	sw_enable(&L);
	m.delivery_mode = IRQ_DM_LOWEST;
	m.vector = 0x66;
	m.trigger_level = true;
	assert_true(vlapic_deliver(&L, &m));
	assert_int_equal(rd(&L, LAPIC_REG_TMR + 0x30), 1U << 6);
	m.trigger_level = false;
	m.delivery_mode = IRQ_DM_SMI;
	assert_true(vlapic_deliver(&L, &m));
	m.delivery_mode = IRQ_DM_STARTUP;
	m.vector = 0x10;
	assert_true(vlapic_deliver(&L, &m));
	m.delivery_mode = 3;
	assert_false(vlapic_deliver(&L, &m));
	m.delivery_mode = IRQ_DM_INIT;
	m.trigger_level = true;
	m.level = false;
	assert_false(vlapic_deliver(&L, &m)); /* level de-assert: ignored */
	assert_int_equal(vlapic_take_events(&L, &sipi), VLAPIC_EV_SMI | VLAPIC_EV_SIPI);
	assert_int_equal(sipi, 0x10);
	assert_int_equal(vlapic_pending_vector(&L), 0x66);
}

/* --- timer ------------------------------------------------------------------------------------------ */

static void start_timer(struct vlapic *l, uint32_t lvt, uint32_t dcr, uint32_t count)
{
	sw_enable(l);
	wr(l, LAPIC_REG_TIMER_DCR, dcr);
	wr(l, LAPIC_REG_LVT_TIMER, lvt);
	wr(l, LAPIC_REG_TIMER_ICR, count);
}

#define PERIODIC (LAPIC_TIMER_PERIODIC << 17)
#define DEADLINE (LAPIC_TIMER_TSC_DEADLINE << 17)
#define DIV1 0xB

static void test_one_shot_timer_counts_down_and_fires_once(void **state)
{
	F.now = 1000;
	start_timer(&L, 0xEF, DIV1, 100000); /* 1 GHz bus: 100 us */
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 100000);
	assert_int_equal(vlapic_next_deadline(&L), 101000);
	F.now = 41000;
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 60000);
	vlapic_poll(&L, F.now);
	assert_int_equal(vlapic_pending_vector(&L), -1);
	F.now = 101000;
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 0);
	vlapic_poll(&L, F.now);
	assert_int_equal(vlapic_ack_pending(&L), 0xEF);
	assert_int_equal(vlapic_next_deadline(&L), DEADLINE_NONE);
	F.now = 500000;
	vlapic_poll(&L, F.now);
	assert_int_equal(vlapic_pending_vector(&L), -1);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 0);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_ICR), 100000);
}

static void test_periodic_timer_reloads_and_fires_every_period(void **state)
{
	start_timer(&L, PERIODIC | 0xEF, DIV1, 100000);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(vlapic_next_deadline(&L), (uint64_t)i * 100000);
		F.now = (uint64_t)i * 100000;
		vlapic_poll(&L, F.now);
		assert_int_equal(vlapic_ack_pending(&L), 0xEF);
		wr(&L, LAPIC_REG_EOI, 0);
		assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 100000);
	}
	F.now += 25000;
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 75000);
}

static void test_divide_configuration_values(void **state)
{
	static const struct {
		uint32_t dcr, divisor;
	} div[] = { { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 }, { 0x8, 32 }, { 0x9, 64 },
		    { 0xA, 128 }, { 0xB, 1 } };

	for (size_t i = 0; i < ARRAY_SIZE(div); i++) {
		make(&L, cfg(0));
		F.now = 0;
		start_timer(&L, 0xEF, div[i].dcr, 1000);
		if (vlapic_next_deadline(&L) != 1000ULL * div[i].divisor)
			fail_msg("DCR %#x: deadline %llu, expected divide by %u", div[i].dcr,
				 (unsigned long long)vlapic_next_deadline(&L), div[i].divisor);
		F.now = div[i].divisor * 10ULL;
		assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 990);
	}
}

static void test_current_count_steps_once_per_divided_tick(void **state)
{
	start_timer(&L, 0xEF, 0x3, 1000); /* divide by 16: a tick every 16 ns */
	F.now = 15;
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 1000);
	F.now = 16;
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 999);
	F.now = 16 * 999 + 15;
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 1);
	F.now = 16 * 1000;
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 0);
}

static void test_bus_frequency_sets_the_tick(void **state)
{
	struct vlapic_config c = cfg(0);
	struct vlapic l;

	c.bus_hz = 100000000; /* 100 MHz: 10 ns per tick */
	make(&l, c);
	start_timer(&l, 0xEF, 0x0, 500); /* divide by 2: 20 ns per count */
	assert_int_equal(vlapic_next_deadline(&l), 10000);
	F.now = 2000;
	assert_int_equal(rd(&l, LAPIC_REG_TIMER_CCR), 400);
}

static void test_writing_initial_count_zero_stops_the_timer(void **state)
{
	start_timer(&L, PERIODIC | 0xEF, DIV1, 1000000);
	F.now = 500;
	wr(&L, LAPIC_REG_TIMER_ICR, 0);
	assert_int_equal(vlapic_next_deadline(&L), DEADLINE_NONE);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 0);
}

static void test_rewriting_initial_count_restarts_the_countdown(void **state)
{
	start_timer(&L, 0xEF, DIV1, 1000000);
	F.now = 400000;
	wr(&L, LAPIC_REG_TIMER_ICR, 1000000);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 1000000);
	assert_int_equal(vlapic_next_deadline(&L), 1400000);
}

static void test_masked_timer_counts_but_does_not_interrupt(void **state)
{
	start_timer(&L, MASKED | PERIODIC | 0xEF, DIV1, 100000);
	F.now = 100000;
	vlapic_poll(&L, F.now);
	assert_int_equal(vlapic_pending_vector(&L), -1);
	F.now = 130000;
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 70000);
	wr(&L, LAPIC_REG_LVT_TIMER, PERIODIC | 0xEF);
	F.now = 200000;
	vlapic_poll(&L, F.now);
	assert_int_equal(vlapic_pending_vector(&L), 0xEF);
}

static void test_divide_change_mid_count_keeps_the_current_count(void **state)
{
	start_timer(&L, 0xEF, DIV1, 1000);
	F.now = 400;
	wr(&L, LAPIC_REG_TIMER_DCR, 0x1); /* divide by 4 from now on */
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 600);
	assert_int_equal(vlapic_next_deadline(&L), 400 + 600 * 4);
	F.now = 800;
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 500);
}

static void test_periodic_timer_coalesces_missed_periods_and_keeps_its_phase(void **state)
{
	start_timer(&L, PERIODIC | 0xEF, DIV1, 100000);
	F.now = 350000; /* three periods passed unpolled */
	vlapic_poll(&L, F.now);
	assert_int_equal(vlapic_ack_pending(&L), 0xEF);
	assert_int_equal(vlapic_pending_vector(&L), -1);
	assert_int_equal(vlapic_next_deadline(&L), 400000);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 50000);
}

static void test_tiny_periodic_timer_is_scheduled_no_faster_than_the_floor(void **state)
{
	start_timer(&L, PERIODIC | 0xEF, DIV1, 10); /* 10 ns period */
	assert_true(vlapic_next_deadline(&L) >= 50000);
	F.now = vlapic_next_deadline(&L);
	vlapic_poll(&L, F.now);
	assert_int_equal(vlapic_pending_vector(&L), 0xEF);
	assert_true(vlapic_next_deadline(&L) >= F.now + 50000);
}

static void test_one_shot_to_periodic_switch_keeps_the_count(void **state)
{
	start_timer(&L, 0xEF, DIV1, 1000000);
	F.now = 300000;
	wr(&L, LAPIC_REG_LVT_TIMER, PERIODIC | 0xEF);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 700000);
	assert_int_equal(vlapic_next_deadline(&L), 1000000);
	F.now = 1000000;
	vlapic_poll(&L, F.now);
	assert_int_equal(vlapic_pending_vector(&L), 0xEF);
	assert_int_equal(vlapic_next_deadline(&L), 2000000);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 1000000);
}

static void test_periodic_to_one_shot_switch_stops_after_the_current_period(void **state)
{
	start_timer(&L, PERIODIC | 0xEF, DIV1, 1000000);
	F.now = 1500000;
	wr(&L, LAPIC_REG_LVT_TIMER, 0xEF); /* the first period fired on the way */
	assert_int_equal(vlapic_ack_pending(&L), 0xEF);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 500000);
	F.now = 2000000;
	vlapic_poll(&L, F.now);
	assert_int_equal(vlapic_pending_vector(&L), -1); /* 0xEF still in service */
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_equal(vlapic_pending_vector(&L), 0xEF);
	assert_int_equal(vlapic_next_deadline(&L), DEADLINE_NONE);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 0);
}

static void test_tsc_deadline_fires_at_the_deadline_and_clears_the_msr(void **state)
{
	uint64_t v;

	start_timer(&L, DEADLINE | 0xEC, DIV1, 0);
	F.now = 1000; /* TSC 2000 */
	assert_int_equal(vlapic_msr_write(&L, LAPIC_MSR_TSC_DEADLINE, 12000), 0);
	assert_int_equal(vlapic_msr_read(&L, LAPIC_MSR_TSC_DEADLINE, &v), 0);
	assert_int_equal(v, 12000);
	assert_int_equal(vlapic_next_deadline(&L), 6000);
	vlapic_poll(&L, 5999);
	assert_int_equal(vlapic_pending_vector(&L), -1);
	vlapic_poll(&L, 6000);
	assert_int_equal(vlapic_pending_vector(&L), 0xEC);
	assert_int_equal(vlapic_read_tsc_deadline(&L, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vlapic_next_deadline(&L), DEADLINE_NONE);
}

static void test_tsc_deadline_in_the_past_fires_at_once(void **state)
{
	start_timer(&L, DEADLINE | 0xEC, DIV1, 0);
	F.now = 1000;
	assert_int_equal(vlapic_write_tsc_deadline(&L, 5), 0);
	assert_int_equal(vlapic_pending_vector(&L), 0xEC);
	assert_int_equal(vlapic_next_deadline(&L), DEADLINE_NONE);
}

static void test_tsc_deadline_write_of_zero_disarms(void **state)
{
	uint64_t v;

	start_timer(&L, DEADLINE | 0xEC, DIV1, 0);
	assert_int_equal(vlapic_write_tsc_deadline(&L, 1000000), 0);
	assert_int_equal(vlapic_write_tsc_deadline(&L, 0), 0);
	assert_int_equal(vlapic_next_deadline(&L), DEADLINE_NONE);
	assert_int_equal(vlapic_read_tsc_deadline(&L, &v), 0);
	assert_int_equal(v, 0);
}

static void test_tsc_deadline_write_is_ignored_outside_deadline_mode(void **state)
{
	uint64_t v;

	start_timer(&L, 0xEC, DIV1, 0);
	assert_int_equal(vlapic_write_tsc_deadline(&L, 1000), 0);
	assert_int_equal(vlapic_next_deadline(&L), DEADLINE_NONE);
	assert_int_equal(vlapic_read_tsc_deadline(&L, &v), 0);
	assert_int_equal(v, 0);
}

static void test_tsc_deadline_mode_ignores_initial_count_and_reads_count_zero(void **state)
{
	start_timer(&L, DEADLINE | 0xEC, DIV1, 5000);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_ICR), 0);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_CCR), 0);
	assert_int_equal(vlapic_next_deadline(&L), DEADLINE_NONE);
}

static void test_entering_or_leaving_tsc_deadline_mode_disarms_the_timer(void **state)
{
	uint64_t v;

	start_timer(&L, 0xEC, DIV1, 5000);
	wr(&L, LAPIC_REG_LVT_TIMER, DEADLINE | 0xEC);
	assert_int_equal(vlapic_next_deadline(&L), DEADLINE_NONE);
	assert_int_equal(rd(&L, LAPIC_REG_TIMER_ICR), 0);
	assert_int_equal(vlapic_write_tsc_deadline(&L, 100000), 0);
	assert_int_equal(vlapic_next_deadline(&L), 50000);
	wr(&L, LAPIC_REG_LVT_TIMER, 0xEC);
	assert_int_equal(vlapic_next_deadline(&L), DEADLINE_NONE);
	wr(&L, LAPIC_REG_LVT_TIMER, DEADLINE | 0xEC);
	assert_int_equal(vlapic_read_tsc_deadline(&L, &v), 0);
	assert_int_equal(v, 0);
}

static void test_tsc_deadline_uses_the_read_tsc_callback_when_given(void **state)
{
	struct vlapic_config c = cfg(0);
	struct vlapic l;

	c.ops = &fake_ops_tsc;
	make(&l, c);
	start_timer(&l, DEADLINE | 0xEC, DIV1, 0);
	F.now = 1000;
	F.tsc = 1000000; /* the guest's TSC is far from 2 * ns */
	assert_int_equal(vlapic_write_tsc_deadline(&l, 1000000 + 2000), 0);
	assert_int_equal(vlapic_next_deadline(&l), 2000);
}

static void test_tsc_deadline_msr_faults_without_support(void **state)
{
	struct vlapic_config c = cfg(0);
	struct vlapic l;
	uint64_t v;

	c.tsc_deadline = false;
	make(&l, c);
	assert_int_equal(vlapic_msr_write(&l, LAPIC_MSR_TSC_DEADLINE, 1), -EINVAL);
	assert_int_equal(vlapic_msr_read(&l, LAPIC_MSR_TSC_DEADLINE, &v), -EINVAL);
}

static void test_far_tsc_deadline_does_not_wrap(void **state)
{
	start_timer(&L, DEADLINE | 0xEC, DIV1, 0);
	F.now = 1000;
	assert_int_equal(vlapic_write_tsc_deadline(&L, UINT64_MAX), 0);
	assert_true(vlapic_next_deadline(&L) > 1000000000000ULL);
	assert_true(vlapic_next_deadline(&L) != DEADLINE_NONE);
	vlapic_poll(&L, 1000000);
	assert_int_equal(vlapic_pending_vector(&L), -1);
}

static void test_x2apic_timer_registers(void **state)
{
	sw_enable(&L);
	go_x2apic(&L);
	assert_int_equal(vlapic_msr_write(&L, X2(LAPIC_REG_TIMER_DCR), DIV1), 0);
	assert_int_equal(vlapic_msr_write(&L, X2(LAPIC_REG_LVT_TIMER), 0xEF), 0);
	assert_int_equal(vlapic_msr_write(&L, X2(LAPIC_REG_TIMER_ICR), 0xFFFFFFFF), 0);
	F.now = 1;
	assert_int_equal(mrd(&L, X2(LAPIC_REG_TIMER_CCR)), 0xFFFFFFFE);
	assert_int_equal(vlapic_next_deadline(&L), 0xFFFFFFFFULL);
}

/* --- CR8 -------------------------------------------------------------------------------------------- */

static void test_cr8_reads_tpr_bits_7_4(void **state)
{
	wr(&L, LAPIC_REG_TPR, 0x9C);
	assert_int_equal(vlapic_get_cr8(&L), 0x9);
}

static void test_cr8_write_sets_tpr_class_and_clears_its_low_bits(void **state)
{
	wr(&L, LAPIC_REG_TPR, 0x0C);
	assert_int_equal(vlapic_set_cr8(&L, 0x7), 0);
	assert_int_equal(rd(&L, LAPIC_REG_TPR), 0x70);
	sw_enable(&L);
	vlapic_accept(&L, 0x75, false);
	assert_int_equal(vlapic_pending_vector(&L), -1);
	assert_int_equal(vlapic_set_cr8(&L, 0x6), 0);
	assert_int_equal(vlapic_pending_vector(&L), 0x75);
}

static void test_cr8_write_with_reserved_bits_faults(void **state)
{
	wr(&L, LAPIC_REG_TPR, 0x30);
	assert_int_equal(vlapic_set_cr8(&L, 0x10), -EINVAL);
	assert_int_equal(rd(&L, LAPIC_REG_TPR), 0x30);
}

/* --- the virtual-APIC page (APIC-register virtualization) ------------------- */

/* Offsets a CPU reads from the page without an exit (SDM 3C 30.4.2). */
static const uint32_t page_offsets[] = {
	LAPIC_REG_ID, LAPIC_REG_VERSION, LAPIC_REG_TPR, LAPIC_REG_LDR, LAPIC_REG_DFR, LAPIC_REG_SVR,
	LAPIC_REG_ISR, LAPIC_REG_ISR + 0x70, LAPIC_REG_TMR + 0x10, LAPIC_REG_IRR, LAPIC_REG_IRR + 0x70,
	LAPIC_REG_ICR_LO, LAPIC_REG_ICR_HI, LAPIC_REG_LVT_TIMER, LAPIC_REG_LVT_LINT0, LAPIC_REG_LVT_ERROR,
	LAPIC_REG_TIMER_ICR, LAPIC_REG_TIMER_DCR,
};

static void test_filled_page_reads_like_the_registers(void **state)
{
	static uint32_t page[1024];
	sw_enable(&L);
	wr(&L, LAPIC_REG_ID, 0x05000000);
	wr(&L, LAPIC_REG_TPR, 0x20);
	wr(&L, LAPIC_REG_LDR, 0x01000000);
	wr(&L, LAPIC_REG_LVT_LINT0, 0x0001003F);
	wr(&L, LAPIC_REG_TIMER_DCR, 0xB);
	wr(&L, LAPIC_REG_ICR_HI, 0x03000000);
	assert_true(vlapic_accept(&L, 0xF1, true)); /* IRR + TMR bit in the last word */
	assert_true(vlapic_accept(&L, 0x31, false));
	assert_int_equal(vlapic_ack_pending(&L), 0xF1); /* ISR */
	memset(page, 0xEE, sizeof(page));
	vlapic_fill_page(&L, page);
	for (size_t i = 0; i < ARRAY_SIZE(page_offsets); i++)
		assert_int_equal(page[page_offsets[i] / 4], rd(&L, page_offsets[i]));
	assert_int_equal(page[LAPIC_REG_ID / 4], 0x05000000);
	assert_int_equal(page[(LAPIC_REG_ISR + 0x70) / 4], 1u << (0xF1 & 31));
	assert_int_equal(page[(LAPIC_REG_IRR + 0x10) / 4], 1u << (0x31 & 31));
	assert_int_equal(vlapic_highest_irr(&L), 0x31);
}

static void test_generation_moves_with_every_visible_change(void **state)
{
	uint32_t g = vlapic_generation(&L);
	sw_enable(&L);
	assert_int_not_equal(vlapic_generation(&L), g);
	g = vlapic_generation(&L);
	assert_true(vlapic_accept(&L, 0x40, false));
	assert_int_not_equal(vlapic_generation(&L), g);
	g = vlapic_generation(&L);
	assert_int_equal(vlapic_ack_pending(&L), 0x40);
	assert_int_not_equal(vlapic_generation(&L), g);
	g = vlapic_generation(&L);
	wr(&L, LAPIC_REG_EOI, 0);
	assert_int_not_equal(vlapic_generation(&L), g);
	g = vlapic_generation(&L);
	vlapic_set_tpr(&L, 0x50);
	assert_int_not_equal(vlapic_generation(&L), g);
	assert_int_equal(rd(&L, LAPIC_REG_TPR), 0x50);
	g = vlapic_generation(&L);
	(void)rd(&L, LAPIC_REG_TPR); /* reads change nothing */
	assert_int_equal(vlapic_generation(&L), g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, setup)
		T(test_reset_is_xapic_at_default_base_with_bsp_bit),
		T(test_application_processor_reset_has_no_bsp_bit),
		T(test_reset_register_values),
		T(test_version_offers_eoi_broadcast_suppression_only_when_configured),
		T(test_init_rejects_bad_configuration_with_one_message),
		T(test_xapic_id_register_keeps_bits_31_24),
		T(test_tpr_keeps_low_8_bits),
		T(test_filled_page_reads_like_the_registers),
		T(test_generation_moves_with_every_visible_change),
		T(test_ldr_keeps_bits_31_24_and_dfr_only_its_model),
		T(test_svr_keeps_vector_enable_and_focus_bits),
		T(test_read_only_registers_ignore_writes),
		T(test_esr_reads_errors_latched_by_the_previous_write),
		T(test_unimplemented_register_reads_zero_and_sets_illegal_register_error),
		T(test_mmio_access_of_other_sizes_or_offsets_reads_zero_and_writes_nothing),
		T(test_mmio_outside_the_page_or_outside_xapic_mode_is_unclaimed),
		T(test_lvt_writable_bits_per_entry),
		T(test_icr_keeps_its_fields_and_reads_delivery_status_idle),
		T(test_divide_configuration_keeps_bits_0_1_and_3),
		T(test_software_disable_masks_every_lvt),
		T(test_lvt_mask_cannot_be_cleared_while_software_disabled),
		T(test_software_disabled_apic_drops_fixed_interrupts_but_takes_nmi_and_init),
		T(test_software_disabled_apic_still_sends_ipis),
		T(test_xapic_to_x2apic_keeps_registers_and_derives_logical_id),
		T(test_x2apic_to_xapic_is_rejected),
		T(test_disabled_to_x2apic_is_rejected_but_to_xapic_allowed),
		T(test_extd_without_en_is_rejected_from_every_mode),
		T(test_x2apic_to_disabled_to_xapic_comes_back_reset_with_ids_kept),
		T(test_extd_is_reserved_without_x2apic_support),
		T(test_apic_base_reserved_bits_are_rejected),
		T(test_bsp_bit_is_writable),
		T(test_apic_base_relocation_moves_the_mmio_page),
		T(test_init_keeps_mode_and_id_and_resets_the_rest),
		T(test_globally_disabled_apic_receives_nothing),
		T(test_x2apic_msrs_fault_outside_x2apic_mode),
		T(test_x2apic_id_is_32_bit_and_read_only),
		T(test_x2apic_registers_that_do_not_exist_fault),
		T(test_x2apic_write_only_registers_fault_on_read),
		T(test_x2apic_read_only_registers_fault_on_write),
		T(test_x2apic_non_zero_reserved_bits_fault),
		T(test_x2apic_lvt_write_back_of_read_only_bits_is_accepted),
		T(test_x2apic_icr_is_one_64_bit_msr),
		T(test_x2apic_self_ipi_register_sends_fixed_ipi_to_self),
		T(test_msr_ownership_and_unowned_msrs),
		T(test_ppr_is_tpr_when_tpr_class_is_at_least_the_in_service_class),
		T(test_ppr_is_in_service_class_when_it_beats_tpr),
		T(test_pending_vector_is_the_highest_irr_vector_above_ppr),
		T(test_higher_class_preempts_a_vector_in_service),
		T(test_tpr_blocks_vectors_of_its_class_and_below),
		T(test_ack_moves_irr_to_isr_and_refuses_vectors_not_requested),
		T(test_illegal_vector_is_refused_and_sets_receive_illegal_vector),
		T(test_level_acceptance_sets_tmr_and_edge_clears_it),
		T(test_focus_processor_has_the_vector_in_irr_or_isr),
		T(test_eoi_clears_only_the_highest_in_service_vector),
		T(test_eoi_of_level_vector_broadcasts_to_ioapic),
		T(test_eoi_of_edge_vector_is_not_broadcast),
		T(test_eoi_with_nothing_in_service_does_nothing),
		T(test_suppressed_eoi_broadcast_leaves_the_ioapic_alone),
		T(test_x2apic_eoi_takes_only_zero),
		T(test_icr_fixed_physical_ipi),
		T(test_icr_lowest_priority_logical_ipi),
		T(test_icr_smi_and_nmi_ipis),
		T(test_icr_init_assert_and_level_deassert),
		T(test_icr_startup_ipi_carries_the_start_page_vector),
		T(test_icr_shorthands),
		T(test_icr_level_trigger_on_a_fixed_ipi_is_issued_as_edge),
		T(test_icr_illegal_vector_is_not_sent_and_sets_send_illegal_vector),
		T(test_icr_reserved_delivery_modes_send_nothing),
		T(test_physical_destination_matches_own_id_and_broadcast),
		T(test_flat_logical_destination_is_a_bitmap),
		T(test_cluster_logical_destination_matches_cluster_and_member),
		T(test_x2apic_logical_destination_comes_from_the_x2apic_id),
		T(test_x2apic_physical_destination_is_32_bit_with_all_ones_broadcast),
		T(test_ipi_targets_follow_shorthands),
		T(test_init_and_startup_ipis_reach_the_target_as_events),
		T(test_fixed_ipi_to_all_excluding_self_reaches_every_other_enabled_apic),
		T(test_lint0_extint_is_pending_while_the_line_is_high),
		T(test_virtual_wire_bsp_takes_8259_interrupts_from_reset),
		T(test_globally_disabled_apic_passes_lint0_as_intr_and_lint1_as_nmi),
		T(test_lint1_nmi_is_delivered_on_the_rising_edge),
		T(test_edge_fixed_lint_sets_irr_on_each_rising_edge),
		T(test_level_fixed_lint_holds_remote_irr_until_eoi_and_redelivers),
		T(test_masked_lint_delivers_nothing),
		T(test_pmc_lvt_masks_itself_after_delivering),
		T(test_thermal_lvt_delivers_its_vector_unless_masked),
		T(test_error_raises_the_error_lvt),
		T(test_error_lvt_with_an_illegal_vector_only_records_the_error),
		T(test_extint_message_is_pending_until_acknowledged),
		T(test_delivered_messages_become_irr_bits_or_events),
		T(test_one_shot_timer_counts_down_and_fires_once),
		T(test_periodic_timer_reloads_and_fires_every_period),
		T(test_divide_configuration_values),
		T(test_current_count_steps_once_per_divided_tick),
		T(test_bus_frequency_sets_the_tick),
		T(test_writing_initial_count_zero_stops_the_timer),
		T(test_rewriting_initial_count_restarts_the_countdown),
		T(test_masked_timer_counts_but_does_not_interrupt),
		T(test_divide_change_mid_count_keeps_the_current_count),
		T(test_periodic_timer_coalesces_missed_periods_and_keeps_its_phase),
		T(test_tiny_periodic_timer_is_scheduled_no_faster_than_the_floor),
		T(test_one_shot_to_periodic_switch_keeps_the_count),
		T(test_periodic_to_one_shot_switch_stops_after_the_current_period),
		T(test_tsc_deadline_fires_at_the_deadline_and_clears_the_msr),
		T(test_tsc_deadline_in_the_past_fires_at_once),
		T(test_tsc_deadline_write_of_zero_disarms),
		T(test_tsc_deadline_write_is_ignored_outside_deadline_mode),
		T(test_tsc_deadline_mode_ignores_initial_count_and_reads_count_zero),
		T(test_entering_or_leaving_tsc_deadline_mode_disarms_the_timer),
		T(test_tsc_deadline_uses_the_read_tsc_callback_when_given),
		T(test_tsc_deadline_msr_faults_without_support),
		T(test_far_tsc_deadline_does_not_wrap),
		T(test_x2apic_timer_registers),
		T(test_cr8_reads_tpr_bits_7_4),
		T(test_cr8_write_sets_tpr_class_and_clears_its_low_bits),
		T(test_cr8_write_with_reserved_bits_faults),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
