/* Host local APIC (SDM 3A chapter 11). */
#include "drivers/lapic.h"
#include "drivers/tsc.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/trap.h"
#include "hv/x86.h"
#include "mm/paging.h"

/* Register offsets, SDM 3A table 11-1; x2APIC MSR = 0x800 + offset/16 (11.12.1.2). */
#define APIC_REG_ID 0x020
#define APIC_REG_VERSION 0x030
#define APIC_REG_TPR 0x080
#define APIC_REG_EOI 0x0B0
#define APIC_REG_SVR 0x0F0
#define APIC_REG_ESR 0x280
#define APIC_REG_ICR_LO 0x300
#define APIC_REG_ICR_HI 0x310
#define APIC_REG_LVT_TIMER 0x320
#define APIC_REG_LVT_THERMAL 0x330
#define APIC_REG_LVT_PMC 0x340
#define APIC_REG_LVT_LINT0 0x350
#define APIC_REG_LVT_LINT1 0x360
#define APIC_REG_LVT_ERROR 0x370
#define APIC_REG_TIMER_INIT 0x380
#define APIC_REG_TIMER_CUR 0x390
#define APIC_REG_TIMER_DIV 0x3E0
#define X2APIC_MSR_BASE 0x800

#define APIC_BASE_EXTD (1ULL << 10) /* IA32_APIC_BASE: x2APIC mode */
#define APIC_BASE_EN (1ULL << 11)
#define APIC_BASE_ADDR_MASK 0xFFFFFF000ULL
#define APIC_SVR_ENABLE (1U << 8)
#define APIC_LVT_MASKED (1U << 16)
#define APIC_LVT_DM_NMI (4U << 8)
#define APIC_TIMER_DIV_16 0x3
/* ICR fields, SDM 3A 11.6.1 */
#define ICR_DM_FIXED (0U << 8)
#define ICR_DM_NMI (4U << 8)
#define ICR_DM_INIT (5U << 8)
#define ICR_DM_STARTUP (6U << 8)
#define ICR_DELIVERY_PENDING (1U << 12)
#define ICR_LEVEL_ASSERT (1U << 14)
#define ICR_SH_ALL_BUT_SELF (3U << 18)
#define ICR_SEND_TIMEOUT_US 100000

#define APIC_LVT_TSC_DEADLINE (2U << 17)
#define CALIBRATE_US 1000

static bool x2apic;
static bool tsc_deadline;
static uint64_t timer_ticks_per_ms; /* LAPIC timer at divide-by-16 */
static volatile uint32_t *mmio;
static bool ready;

static uint32_t apic_read(uint32_t reg)
{
	return x2apic ? (uint32_t)rdmsr(X2APIC_MSR_BASE + (reg >> 4)) : mmio[reg / 4];
}

static void apic_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(X2APIC_MSR_BASE + (reg >> 4), v);
	else
		mmio[reg / 4] = v;
}

static void lapic_error_irq(struct trap_frame *f)
{
	apic_write(APIC_REG_ESR, 0); /* latch the error bits, SDM 3A 11.5.3 */
	pr_warn("lapic: error interrupt, ESR=0x%x", apic_read(APIC_REG_ESR));
	lapic_eoi();
}

int lapic_init(bool allow_x2apic, uint64_t mmio_base)
{
	struct cpuid_regs r = cpuid(1, 0);

	if (!(r.edx & CPUID1_EDX_APIC))
		return -ENODEV;
	x2apic = allow_x2apic && (r.ecx & CPUID1_ECX_X2APIC);
	if (!x2apic) {
		uint64_t base = mmio_base ? mmio_base : rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_ADDR_MASK;
		int err = paging_map_mmio(base, PAGE_SIZE);
		if (err)
			return err;
		mmio = (volatile uint32_t *)base;
	}
	irq_register(VEC_LAPIC_ERROR, lapic_error_irq);
	return 0;
}

void lapic_init_cpu(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);

	/* x2APIC is entered from xAPIC mode: EN first, then EN|EXTD (11.12.5). */
	if (!(base & APIC_BASE_EN))
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EN);
	if (x2apic)
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);

	apic_write(APIC_REG_TPR, 0);
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_REG_LVT_THERMAL, APIC_LVT_MASKED);
	apic_write(APIC_REG_LVT_PMC, APIC_LVT_MASKED);
	apic_write(APIC_REG_LVT_LINT0, APIC_LVT_MASKED);
	apic_write(APIC_REG_LVT_LINT1, APIC_LVT_DM_NMI);
	apic_write(APIC_REG_LVT_ERROR, VEC_LAPIC_ERROR);
	apic_write(APIC_REG_ESR, 0);
	apic_write(APIC_REG_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
	apic_write(APIC_REG_EOI, 0);
	ready = true;
}

bool lapic_ready(void)
{
	return ready;
}

bool lapic_is_x2apic(void)
{
	return x2apic;
}

uint32_t lapic_id(void)
{
	uint32_t id = apic_read(APIC_REG_ID);
	return x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	apic_write(APIC_REG_EOI, 0);
}

bool lapic_ipi_wait_idle(void)
{
	if (x2apic)
		return true; /* x2APIC has no delivery-status bit (11.12.9) */
	uint64_t deadline = tsc_deadline_us(ICR_SEND_TIMEOUT_US);
	while (apic_read(APIC_REG_ICR_LO) & ICR_DELIVERY_PENDING) {
		if (tsc_passed(deadline))
			return false;
		cpu_relax();
	}
	return true;
}

static void send_icr(uint32_t dest, uint32_t lo)
{
	if (x2apic) {
		/* WRMSR to the ICR is not serializing: order earlier stores first. */
		__asm__ volatile("mfence" ::: "memory");
		wrmsr(X2APIC_MSR_BASE + (APIC_REG_ICR_LO >> 4), ((uint64_t)dest << 32) | lo);
		return;
	}
	lapic_ipi_wait_idle();
	apic_write(APIC_REG_ICR_HI, dest << 24);
	apic_write(APIC_REG_ICR_LO, lo);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	send_icr(apic_id, ICR_DM_FIXED | ICR_LEVEL_ASSERT | vector);
}

void lapic_send_nmi_all_but_self(void)
{
	send_icr(0, ICR_DM_NMI | ICR_LEVEL_ASSERT | ICR_SH_ALL_BUT_SELF);
}

void lapic_send_init(uint32_t apic_id)
{
	send_icr(apic_id, ICR_DM_INIT | ICR_LEVEL_ASSERT);
}

void lapic_send_startup(uint32_t apic_id, uint8_t vector_page)
{
	send_icr(apic_id, ICR_DM_STARTUP | ICR_LEVEL_ASSERT | vector_page);
}

void lapic_timer_oneshot(uint32_t count, uint8_t vector)
{
	apic_write(APIC_REG_TIMER_DIV, APIC_TIMER_DIV_16);
	apic_write(APIC_REG_LVT_TIMER, vector); /* one-shot mode, unmasked */
	apic_write(APIC_REG_TIMER_INIT, count);
}

void lapic_timer_stop(void)
{
	apic_write(APIC_REG_TIMER_INIT, 0);
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED);
}

void lapic_timer_calibrate(void)
{
	tsc_deadline = cpuid(1, 0).ecx & CPUID1_ECX_TSC_DEADLINE;
	apic_write(APIC_REG_TIMER_DIV, APIC_TIMER_DIV_16);
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_REG_TIMER_INIT, 0xFFFFFFFF);
	udelay(CALIBRATE_US);
	uint32_t left = apic_read(APIC_REG_TIMER_CUR);
	apic_write(APIC_REG_TIMER_INIT, 0);
	timer_ticks_per_ms = 0xFFFFFFFFu - left;
	if (!timer_ticks_per_ms)
		timer_ticks_per_ms = 1;
}

void lapic_timer_at_tsc(uint64_t tsc, uint8_t vector)
{
	if (tsc_deadline) {
		apic_write(APIC_REG_LVT_TIMER, APIC_LVT_TSC_DEADLINE | vector);
		/* WRMSR to the deadline MSR is not ordered with the LVT write
		 * on every CPU: fence it (SDM 3A 12.5.4.1). */
		__asm__ volatile("mfence" ::: "memory");
		wrmsr(MSR_IA32_TSC_DEADLINE, tsc ? tsc : 1);
		return;
	}
	uint64_t now = rdtsc();
	uint64_t hz = tsc_hz();
	uint64_t dt = tsc > now ? MIN(tsc - now, hz) : 0; /* at most 1 s ahead: re-armed */
	uint64_t count = hz ? dt * timer_ticks_per_ms / (hz / 1000) : 1;
	if (count == 0)
		count = 1;
	if (count > 0xFFFFFFFFu)
		count = 0xFFFFFFFFu; /* wakes early: the caller re-arms */
	lapic_timer_oneshot((uint32_t)count, vector);
}
