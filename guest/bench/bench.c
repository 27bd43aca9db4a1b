/* The benchmark guest: the cost of one round trip through each kind of
 * exit, in TSC ticks (instructions under Bochs with `clock: sync=none`).
 * Each operation runs `iters=N` times (default 10000) in the same loop as
 * an empty baseline; the line printed is the per-iteration difference:
 *   bench empty_loop <ticks>     the baseline itself
 *   bench <op> <ticks>           average per <op>, minus the baseline
 * `nohc` skips the VMCALL (plain qemu: #UD). Under plain qemu `out 0xE9`
 * is ignored and 0xFEBF0000 is unassigned memory or a PCI BAR: harmless
 * reads, so the guest still runs there. */
#include <stdbool.h>

#include "cmdline.h"
#include "div64.h"
#include "guest.h"
#include "hypercall.h"
#include "printf.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "bench";

#define DEFAULT_ITERS 10000
#define DEBUG_PORT 0xE9 /* handled outside the core (docs/guest-abi.md) */
#define TEST_MMIO 0xFEBF0000U /* the VMM layer's test MMIO page */
/* The byte written to the debug port: NUL, so a console that prints
 * what arrives there shows nothing for 10000 writes. */
#define DEBUG_PORT_BYTE 0

/* Each operation is a separate function called through a pointer, the
 * baseline too, so the call and loop cost cancels out exactly. */
typedef void (*op_fn)(void);

__attribute__((noinline)) static void op_empty(void) { __asm__ volatile(""); }
__attribute__((noinline)) static void op_cpuid(void) { cpuid(0, 0); }
__attribute__((noinline)) static void op_vmcall(void) { hypercall0(HC_NOP); }
__attribute__((noinline)) static void op_rdmsr(void) { rdmsr(MSR_IA32_APIC_BASE); }
__attribute__((noinline)) static void op_pio_out(void) { outb(DEBUG_PORT, DEBUG_PORT_BYTE); }
__attribute__((noinline)) static void op_mmio_read(void) { (void)*(volatile uint32_t *)TEST_MMIO; }

/* The in-core irqchip (issue: interrupt controllers). */
#define PIC_MASTER_IMR 0x21
#define IOAPIC_BASE 0xFEC00000u
#define IOAPIC_VERSION 0x01
#define LAPIC_BASE 0xFEE00000u
#define LAPIC_ID 0x20
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xB0
#define LAPIC_SVR 0xF0
#define X2APIC_EOI_MSR 0x80B
#define APIC_BASE_EXTD (1ULL << 10)

__attribute__((noinline)) static void op_pic_read(void) { (void)inb(PIC_MASTER_IMR); }
__attribute__((noinline)) static void op_ioapic_read(void)
{
	*(volatile uint32_t *)IOAPIC_BASE = IOAPIC_VERSION;
	(void)*(volatile uint32_t *)(IOAPIC_BASE + 0x10);
}
__attribute__((noinline)) static void op_lapic_id_read(void) { (void)*(volatile uint32_t *)(LAPIC_BASE + LAPIC_ID); }
__attribute__((noinline)) static void op_eoi_xapic(void) { *(volatile uint32_t *)(LAPIC_BASE + LAPIC_EOI) = 0; }
__attribute__((noinline)) static void op_tpr_write(void) { *(volatile uint32_t *)(LAPIC_BASE + LAPIC_TPR) = 0; }
__attribute__((noinline)) static void op_eoi_x2apic(void) { wrmsr(X2APIC_EOI_MSR, 0); }

/* x2APIC mode only: a self-IPI delivered, injected and handled (its
 * handler EOIs), and the LAPIC timer's expiry-to-handler latency. */
#define X2APIC_SELF_IPI_MSR 0x83F
#define X2APIC_LVT_TIMER_MSR 0x832
#define MSR_TSC_DEADLINE 0x6E0
#define VEC_BENCH_IPI 0x30
#define VEC_BENCH_TIMER 0x31
#define LVT_TSC_DEADLINE (2u << 17)
#define TIMER_DELAY_TICKS 20000

static volatile uint32_t ipis_handled;
static volatile uint64_t timer_fired_tsc;

static void on_bench_ipi(uint32_t vector)
{
	(void)vector;
	ipis_handled++;
	wrmsr(X2APIC_EOI_MSR, 0);
}

static void on_bench_timer(uint32_t vector)
{
	(void)vector;
	timer_fired_tsc = rdtsc();
	wrmsr(X2APIC_EOI_MSR, 0);
}

__attribute__((noinline)) static void op_self_ipi(void)
{
	uint32_t before = ipis_handled;
	wrmsr(X2APIC_SELF_IPI_MSR, VEC_BENCH_IPI);
	__asm__ volatile("sti; nop; cli" ::: "memory"); /* let it in */
	while (ipis_handled == before)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* Average ticks from the programmed TSC deadline to the handler's RDTSC. */
static uint64_t timer_latency(uint32_t iters)
{
	uint64_t total = 0;
	wrmsr(X2APIC_LVT_TIMER_MSR, VEC_BENCH_TIMER | LVT_TSC_DEADLINE);
	for (uint32_t i = 0; i < iters; i++) {
		uint64_t deadline = rdtsc() + TIMER_DELAY_TICKS;
		timer_fired_tsc = 0;
		wrmsr(MSR_TSC_DEADLINE, deadline);
		while (!timer_fired_tsc)
			__asm__ volatile("sti; hlt; cli" ::: "memory");
		total += timer_fired_tsc - deadline;
	}
	return udiv64(total, iters, 0);
}

struct bench_op {
	const char *name;
	op_fn fn;
	bool is_hypercall;
};

static const struct bench_op ops[] = {
	{ "cpuid", op_cpuid, false },
	{ "vmcall", op_vmcall, true },
	{ "rdmsr_apic_base", op_rdmsr, false },
	{ "pio_out_vmm", op_pio_out, false },
	{ "mmio_read_vmm", op_mmio_read, false },
	{ "pic_port_read", op_pic_read, false },
	{ "ioapic_read", op_ioapic_read, false },
	{ "lapic_id_read", op_lapic_id_read, false },
	{ "lapic_eoi_xapic", op_eoi_xapic, false },
	{ "lapic_tpr_write", op_tpr_write, false },
};

/* LFENCE orders RDTSC after everything before it (SDM 2B RDTSC), and the
 * second LFENCE keeps later instructions from starting early. Neither
 * CPUID (a VM exit of its own under VMX) nor RDTSCP (#UD in a guest unless
 * the VMM enables it) is needed for that. */
static inline uint64_t tsc_fenced(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

__attribute__((noinline)) static uint64_t measure(op_fn fn, uint32_t iters)
{
	uint64_t start;

	fn(); /* warm up: first-touch costs (TLB, EPT) are not the round trip */
	start = tsc_fenced();
	for (uint32_t i = 0; i < iters; i++)
		fn();
	return tsc_fenced() - start;
}

/* (total - baseline) / iters, rounded toward zero; noise may make it < 0. */
static int64_t per_iteration(uint64_t total, uint64_t baseline, uint32_t iters)
{
	if (total >= baseline)
		return (int64_t)udiv64(total - baseline, iters, 0);
	return -(int64_t)udiv64(baseline - total, iters, 0);
}

int guest_main(void)
{
	uint32_t iters = DEFAULT_ITERS;
	bool nohc = cmdline_has("nohc");
	uint64_t baseline;

	if (!cmdline_uint("iters", &iters) || iters == 0)
		iters = DEFAULT_ITERS;
	printf("bench: %u iterations per operation\n", iters);
	baseline = measure(op_empty, iters);
	printf("bench empty_loop %llu\n", udiv64(baseline, iters, 0));
	for (unsigned int i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (ops[i].is_hypercall && nohc) {
			printf("bench %s skipped (nohc)\n", ops[i].name);
			continue;
		}
		printf("bench %s %lld\n", ops[i].name, per_iteration(measure(ops[i].fn, iters), baseline, iters));
	}
	/* x2APIC last: once in x2APIC mode the MMIO page is gone. Only where
	 * the CPU offers it (plain QEMU's default model does not). */
	if (cpuid(1, 0).ecx & (1u << 21)) {
		*(volatile uint32_t *)(LAPIC_BASE + LAPIC_SVR) = 0x1FF;
		wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_EXTD);
		printf("bench lapic_eoi_x2apic %lld\n", per_iteration(measure(op_eoi_x2apic, iters), baseline, iters));
		trap_set_irq_handler(VEC_BENCH_IPI, on_bench_ipi);
		trap_set_irq_handler(VEC_BENCH_TIMER, on_bench_timer);
		printf("bench self_ipi_handled %lld\n", per_iteration(measure(op_self_ipi, iters), baseline, iters));
		printf("bench timer_expiry_to_handler %llu\n", timer_latency(iters / 10 ? iters / 10 : 1));
	} else {
		printf("bench lapic_eoi_x2apic skipped (no x2APIC)\n");
	}
	printf("bench: done\n");
	return 0;
}
