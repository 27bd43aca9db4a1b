/* Per-CPU state, reached through the GS base (this_cpu()). One CPU index per
 * logical processor brought online, 0 being the boot processor. */
#ifndef HV_PERCPU_H
#define HV_PERCPU_H

#include "hv/compiler.h"
#include "hv/x86.h"

struct vcpu;

#define HV_MAX_CPUS 64
#define CPU_STACK_SIZE (16 * KiB)
#define CPU_IST_STACK_SIZE (8 * KiB)

/* GDT selectors, the same on every CPU (hv/gdt.c). */
#define SEL_KERNEL_CS 0x08
#define SEL_KERNEL_DS 0x10
#define SEL_TSS 0x18

/* IST slots in the TSS (SDM 3A 7.7): exceptions that may arrive on a broken
 * stack get their own. */
#define IST_NMI 1
#define IST_DOUBLE_FAULT 2
#define IST_MACHINE_CHECK 3
#define IST_COUNT 3

/* 64-bit TSS, SDM 3A 7.7 figure 7-11. */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __packed;

struct host_poll {
	void (*fn)(void);
	uint64_t period_tsc;
	uint64_t next_tsc;
};

/* Runs the CPU's host poll if it is due; its next deadline (TSC), or
 * UINT64_MAX with none. Called by vCPU threads outside any lock. */
uint64_t host_poll_run(void);

struct percpu {
	struct percpu *self; /* must stay first: this_cpu() reads %gs:0 */
	uint32_t index;
	uint32_t apic_id;
	uint64_t stack_base; /* lowest usable byte; the page below is the guard */
	uint64_t stack_top;
	uint64_t ist_top[IST_COUNT];
	uint64_t gdt[5] __aligned(8); /* null, code, data, TSS (two slots) */
	struct tss64 tss __aligned(16);
	volatile uint32_t online;
	struct vcpu *current_vcpu; /* the vCPU this CPU runs, while it runs it */
	/* Host work a vCPU thread on this CPU does between entries (the
	 * console on the boot CPU when a VM runs there): fn at next_tsc. */
	struct host_poll *host_poll;
	/* self-test counters, touched from interrupt handlers */
	volatile uint64_t ipi_pings;
	volatile uint64_t ipi_pongs;
	volatile uint64_t timer_ticks;
};

extern struct percpu *g_cpus[HV_MAX_CPUS];
extern uint32_t g_cpu_count; /* CPUs online */

static inline struct percpu *this_cpu(void)
{
	struct percpu *c;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

static inline uint32_t this_cpu_index(void)
{
	struct percpu *c = this_cpu();
	return c ? c->index : 0;
}

/* Points GS at `c` (and c->self at c). */
void percpu_install(struct percpu *c);

/* Builds this CPU's GDT and TSS (IST stacks must be set) and loads them. */
void gdt_load_cpu(struct percpu *c);

#endif
