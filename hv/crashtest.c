/* Deliberate crashes for testing the fatal paths. */
#include "hv/crashtest.h"
#include "hv/cmdline.h"
#include "hv/log.h"
#include "hv/panic.h"
#include "hv/percpu.h"
#include "hv/trap.h"
#include "drivers/lapic.h"

/* Volatile so the compiler cannot see (and replace) the bad access. */
static volatile uint64_t crash_address = 0x10;

static void fault_now(void)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)crash_address;
	*p = 0xDEAD;
}

static void crash_irq(struct trap_frame *f)
{
	fault_now();
}

void crashtest_run(int which)
{
	switch (which) {
	case CRASHTEST_PAGEFAULT:
		pr_info("crashtest: cpu%u writes to unmapped address 0x%llx", this_cpu_index(),
			(unsigned long long)crash_address);
		fault_now();
		break;
	case CRASHTEST_PANIC:
		panic("crashtest: deliberate panic");
	case CRASHTEST_AP: {
		struct percpu *target = g_cpus[g_cpu_count - 1];
		if (g_cpu_count < 2) {
			pr_err("crashtest: ap needs a second CPU");
			return;
		}
		pr_info("crashtest: asking cpu%u to fault", target->index);
		irq_register(VEC_CRASHTEST, crash_irq);
		lapic_send_ipi(target->apic_id, VEC_CRASHTEST);
		for (;;) {
			irq_enable(); /* the NMI from the panicking CPU stops us */
			halt();
		}
	}
	default:
		break;
	}
}
