/* panic(), fatal() and stopping all cores with NMIs. */
#include <stdarg.h>

#include "hv/panic.h"
#include "hv/format.h"
#include "hv/log.h"
#include "hv/percpu.h"
#include "hv/shutdown.h"
#include "drivers/lapic.h"
#include "drivers/tsc.h"

#define PANIC_NONE 0xFFFFFFFFu
#define STOP_WAIT_US 200000
#define BACKTRACE_MAX_FRAMES 16

static volatile uint32_t panic_cpu = PANIC_NONE;
static volatile uint32_t cpus_stopped;

bool panic_in_progress(void)
{
	return panic_cpu != PANIC_NONE;
}

void backtrace_from(uint64_t rip, uint64_t rbp)
{
	printk(LOG_FATAL, "hv: panic: backtrace (addr2line -e build/hv.elf):");
	printk(LOG_FATAL, "hv: panic:   #0 %016llx", (unsigned long long)rip);
	for (int i = 1; i < BACKTRACE_MAX_FRAMES && rbp; i++) {
		uint64_t next, ret;
		/* A broken frame chain must not fault again: read through probes. */
		if (!IS_ALIGNED(rbp, 8) || probe_read64((const uint64_t *)rbp, &next) ||
		    probe_read64((const uint64_t *)(rbp + 8), &ret))
			break;
		if (!ret)
			break;
		printk(LOG_FATAL, "hv: panic:   #%d %016llx", i, (unsigned long long)ret);
		if (next <= rbp)
			break; /* stacks grow down: callers' frames are higher */
		rbp = next;
	}
}

void panic_begin(void)
{
	uint32_t me = this_cpu_index();
	uint32_t expected = PANIC_NONE;

	irq_disable();
	if (!__atomic_compare_exchange_n(&panic_cpu, &expected, me, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST)) {
		/* Someone else is panicking (or we are, recursively): stop here. */
		if (expected != me)
			__atomic_fetch_add(&cpus_stopped, 1, __ATOMIC_SEQ_CST);
		halt_forever();
	}
}

void panic_stop_all(void)
{
	uint32_t others = g_cpu_count > 1 ? g_cpu_count - 1 : 0;

	if (others && lapic_ready()) {
		lapic_send_nmi_all_but_self();
		uint64_t deadline = tsc_deadline_us(STOP_WAIT_US);
		while (__atomic_load_n(&cpus_stopped, __ATOMIC_SEQ_CST) < others && !tsc_passed(deadline))
			cpu_relax();
	}
	printk(LOG_FATAL, "hv: panic: cpu%u stopped the machine (%u other cpus stopped)",
	       this_cpu_index(), (unsigned)cpus_stopped);
	hv_done(HV_EXIT_PANIC);
	halt_forever();
}

void panic_nmi(struct trap_frame *f)
{
	if (!panic_in_progress()) {
		pr_warn("trap: unexpected NMI on cpu%u at rip %016llx", this_cpu_index(),
			(unsigned long long)f->rip);
		return;
	}
	printk(LOG_FATAL, "hv: panic: cpu%u stopped at rip %016llx", this_cpu_index(),
	       (unsigned long long)f->rip);
	__atomic_fetch_add(&cpus_stopped, 1, __ATOMIC_SEQ_CST);
	halt_forever();
}

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	panic_begin();
	va_start(ap, fmt);
	hv_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(LOG_FATAL, "hv: panic: %s (cpu%u)", msg, this_cpu_index());
	backtrace_from((uint64_t)__builtin_return_address(0), (uint64_t)__builtin_frame_address(0));
	panic_stop_all();
}

void fatal(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	hv_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(LOG_FATAL, "hv: fatal: %s", msg);
	hv_done(HV_EXIT_FATAL);
	halt_forever();
}
