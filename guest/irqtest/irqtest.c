/* Interrupts through the in-core irqchip, each waking the vCPU from HLT:
 * the LAPIC timer (one-shot and periodic, xAPIC MMIO), the PIT through the
 * 8259 (virtual wire: LINT0 = ExtINT), the PIT through the IOAPIC (IRQ0 is
 * IOAPIC pin 2), and the RTC's periodic interrupt through IOAPIC pin 8. */
#include <stdint.h>

#include "check.h"
#include "guest.h"
#include "printf.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "irqtest";

#define LAPIC 0xFEE00000u
#define LAPIC_EOI 0xB0
#define LAPIC_SVR 0xF0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3E0
#define LVT_PERIODIC (1u << 17)
#define LVT_MASKED (1u << 16)
#define IOAPIC 0xFEC00000u
#define VEC_LAPIC_TIMER 0x30
#define VEC_PIC_BASE 0x20
#define VEC_IOAPIC_PIT 0x31
#define VEC_IOAPIC_RTC 0x32
#define PIT_HZ 1193182u
#define VEC_TSC_DEADLINE 0x33
#define VEC_IOAPIC_RTC_LEVEL 0x34
#define LVT_TSC_DEADLINE (2u << 17)
#define MSR_TSC_DEADLINE 0x6E0
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define REDIR_LEVEL (1u << 15)
#define REDIR_REMOTE_IRR (1u << 14)

static volatile uint32_t ticks[64];

static void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(LAPIC + reg) = v; }
static uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(LAPIC + reg); }

static void ioapic_write(uint32_t index, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = index;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

static void on_lapic_irq(uint32_t vector)
{
	ticks[vector]++;
	lapic_write(LAPIC_EOI, 0);
}

static void on_pic_irq(uint32_t vector)
{
	ticks[vector]++;
	outb(0x20, 0x20); /* non-specific EOI */
}

static void on_rtc_irq(uint32_t vector)
{
	ticks[vector]++;
	outb(0x70, 0x0C);
	(void)inb(0x71); /* reading register C lowers IRQ8 */
	lapic_write(LAPIC_EOI, 0);
}

/* sti; hlt until `n` interrupts of `vector` arrived (bounded). */
static uint32_t wait_for(uint32_t vector, uint32_t n)
{
	for (uint32_t i = 0; i < 1000 && ticks[vector] < n; i++)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	return ticks[vector];
}

static void lapic_timer(void)
{
	lapic_write(LAPIC_SVR, 0x1FF); /* software-enable, spurious vector 0xFF */
	lapic_write(LAPIC_TIMER_DIV, 0xB); /* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, 1000000); /* 1 ms at the 1 GHz bus */
	check(wait_for(VEC_LAPIC_TIMER, 1) == 1, "lapic_oneshot_wakes_hlt", "ticks %u", ticks[VEC_LAPIC_TIMER]);
	check(lapic_read(LAPIC_TIMER_CUR) == 0, "lapic_oneshot_count_reaches_zero", "current %u",
	      lapic_read(LAPIC_TIMER_CUR));
	lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER | LVT_PERIODIC);
	lapic_write(LAPIC_TIMER_INIT, 200000); /* 200 us */
	check(wait_for(VEC_LAPIC_TIMER, 6) >= 6, "lapic_periodic_keeps_firing", "ticks %u", ticks[VEC_LAPIC_TIMER]);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_INIT, 0);
}

static void tsc_deadline(void)
{
	if (!(cpuid(1, 0).ecx & CPUID1_ECX_TSC_DEADLINE)) {
		check_skip("lapic_tsc_deadline_wakes_hlt", "no TSC-deadline timer in CPUID");
		return;
	}
	lapic_write(LAPIC_LVT_TIMER, VEC_TSC_DEADLINE | LVT_TSC_DEADLINE);
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + 2000000);
	check(wait_for(VEC_TSC_DEADLINE, 1) == 1, "lapic_tsc_deadline_wakes_hlt", "ticks %u",
	      ticks[VEC_TSC_DEADLINE]);
	check(rdmsr(MSR_TSC_DEADLINE) == 0, "lapic_tsc_deadline_disarms_after_firing", "msr %llx",
	      (unsigned long long)rdmsr(MSR_TSC_DEADLINE));
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
}

static void pit_rate_generator(uint16_t hz)
{
	uint16_t count = (uint16_t)(PIT_HZ / hz);
	outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2 */
	outb(0x40, count & 0xFF);
	outb(0x40, count >> 8);
}

static void pit_through_pic(void)
{
	outb(0x20, 0x11); outb(0xA0, 0x11);         /* ICW1: edge, cascade, ICW4 */
	outb(0x21, VEC_PIC_BASE); outb(0xA1, 0x28); /* ICW2: vector bases */
	outb(0x21, 0x04); outb(0xA1, 0x02);         /* ICW3: slave on IR2 */
	outb(0x21, 0x01); outb(0xA1, 0x01);         /* ICW4: 8086 mode */
	outb(0x21, 0xFE); outb(0xA1, 0xFF);         /* only IRQ0 unmasked */
	pit_rate_generator(1000);
	check(wait_for(VEC_PIC_BASE, 10) >= 10, "pit_irq0_through_8259", "ticks %u", ticks[VEC_PIC_BASE]);
	outb(0x21, 0xFF); /* mask it again */
}

static void pit_through_ioapic(void)
{
	/* IRQ0 is IOAPIC pin 2 (the MADT's override); edge, active high,
	 * physical destination APIC 0 */
	ioapic_write(0x10 + 2 * 2 + 1, 0);
	ioapic_write(0x10 + 2 * 2, VEC_IOAPIC_PIT);
	check(wait_for(VEC_IOAPIC_PIT, 10) >= 10, "pit_irq0_through_ioapic_pin2", "ticks %u",
	      ticks[VEC_IOAPIC_PIT]);
	ioapic_write(0x10 + 2 * 2, 1u << 16);
	outb(0x43, 0x30); /* PIT back to mode 0: no more periodic edges */
}

static void rtc_through_ioapic(void)
{
	outb(0x70, 0x0A);
	outb(0x71, 0x26); /* divider on, rate 6: 1024 Hz */
	outb(0x70, 0x0B);
	uint8_t b = inb(0x71);
	outb(0x70, 0x0B);
	outb(0x71, b | 0x40); /* PIE */
	outb(0x70, 0x0C);
	(void)inb(0x71);
	ioapic_write(0x10 + 8 * 2 + 1, 0);
	ioapic_write(0x10 + 8 * 2, VEC_IOAPIC_RTC);
	check(wait_for(VEC_IOAPIC_RTC, 5) >= 5, "rtc_periodic_through_ioapic_pin8", "ticks %u",
	      ticks[VEC_IOAPIC_RTC]);
	ioapic_write(0x10 + 8 * 2, 1u << 16);
}

static uint32_t ioapic_read(uint32_t index)
{
	*(volatile uint32_t *)IOAPIC = index;
	return *(volatile uint32_t *)(IOAPIC + 0x10);
}

/* The RTC holds IRQ8 until register C is read: a level-triggered IOAPIC
 * line sets remote IRR on delivery and is cleared by the LAPIC's EOI. */
static void rtc_level_triggered(void)
{
	ioapic_write(0x10 + 8 * 2, VEC_IOAPIC_RTC_LEVEL | REDIR_LEVEL);
	check(wait_for(VEC_IOAPIC_RTC_LEVEL, 5) >= 5, "ioapic_level_line_with_eoi", "ticks %u",
	      ticks[VEC_IOAPIC_RTC_LEVEL]);
	ioapic_write(0x10 + 8 * 2, (1u << 16) | REDIR_LEVEL);
	check(!(ioapic_read(0x10 + 8 * 2) & REDIR_REMOTE_IRR), "ioapic_remote_irr_cleared_by_eoi", "entry %x",
	      ioapic_read(0x10 + 8 * 2));
	outb(0x70, 0x0B);
	uint8_t b = inb(0x71);
	outb(0x70, 0x0B);
	outb(0x71, b & (uint8_t)~0x40); /* PIE off */
}

static uint8_t rtc_reg(uint8_t r)
{
	outb(0x70, r);
	return inb(0x71);
}

static uint8_t from_bcd(uint8_t v) { return (uint8_t)((v >> 4) * 10 + (v & 15)); }

static void rtc_date(void)
{
	while (rtc_reg(0x0A) & 0x80) /* update in progress */
		;
	bool binary = rtc_reg(0x0B) & 0x04;
	uint8_t y = rtc_reg(0x09), m = rtc_reg(0x08), d = rtc_reg(0x07), c = rtc_reg(0x32);
	if (!binary) {
		y = from_bcd(y);
		m = from_bcd(m);
		d = from_bcd(d);
		c = from_bcd(c);
	}
	printf("irqtest: RTC date %u%02u-%02u-%02u\n", c, y, m, d);
	check(c == 20 && y >= 24 && m >= 1 && m <= 12 && d >= 1 && d <= 31, "rtc_reads_a_sane_date",
	      "%u%02u-%02u-%02u", c, y, m, d);
}

int guest_main(void)
{
	trap_set_irq_handler(VEC_LAPIC_TIMER, on_lapic_irq);
	trap_set_irq_handler(VEC_PIC_BASE, on_pic_irq);
	trap_set_irq_handler(VEC_IOAPIC_PIT, on_lapic_irq);
	trap_set_irq_handler(VEC_IOAPIC_RTC, on_rtc_irq);
	trap_set_irq_handler(VEC_TSC_DEADLINE, on_lapic_irq);
	trap_set_irq_handler(VEC_IOAPIC_RTC_LEVEL, on_rtc_irq);
	/* A BIOS (QEMU's SeaBIOS) leaves the 8259 at vector 8 with the PIT's
	 * IRQ0 unmasked: masked here, or the first "sti; hlt" would take the
	 * BIOS tick as a #DF. pit_through_pic() sets it up properly. */
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
	rtc_date();
	lapic_timer();
	tsc_deadline();
	pit_through_pic();
	pit_through_ioapic();
	rtc_through_ioapic();
	rtc_level_triggered();
	return check_finish();
}
