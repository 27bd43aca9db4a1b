/* Work hand-off between CPUs through a per-CPU mailbox and a wake-up IPI. */
#include "hv/smp_call.h"
#include "hv/errno.h"
#include "hv/percpu.h"
#include "hv/trap.h"
#include "drivers/lapic.h"

struct mailbox {
	volatile cpu_work_fn fn;
	void *volatile arg;
	volatile uint32_t state; /* MB_* */
	volatile int result;
};

/* IDLE/DONE -> CLAIMED (a sender owns it) -> POSTED -> RUNNING -> DONE */
enum { MB_IDLE, MB_CLAIMED, MB_POSTED, MB_RUNNING, MB_DONE };

static struct mailbox mailboxes[HV_MAX_CPUS];

static void wake_irq(struct trap_frame *f)
{
	lapic_eoi(); /* the wake-up is the point: the idle loop looks at its mailbox */
}

void smp_call_init(void)
{
	irq_register(VEC_WAKE, wake_irq);
}

static bool claim(struct mailbox *mb, uint32_t from)
{
	return __atomic_compare_exchange_n(&mb->state, &from, MB_CLAIMED, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

int smp_run_on(uint32_t cpu, cpu_work_fn fn, void *arg)
{
	if (cpu >= g_cpu_count || cpu == this_cpu_index())
		return -EINVAL;
	struct mailbox *mb = &mailboxes[cpu];
	if (!claim(mb, MB_IDLE) && !claim(mb, MB_DONE))
		return -EBUSY;
	mb->fn = fn;
	mb->arg = arg;
	__atomic_store_n(&mb->state, MB_POSTED, __ATOMIC_RELEASE);
	lapic_send_ipi(g_cpus[cpu]->apic_id, VEC_WAKE);
	while (__atomic_load_n(&mb->state, __ATOMIC_ACQUIRE) == MB_POSTED)
		cpu_relax();
	return 0;
}

int smp_run_on_sync(uint32_t cpu, cpu_work_fn fn, void *arg)
{
	if (cpu == this_cpu_index())
		return fn(arg);
	int err = smp_run_on(cpu, fn, arg);
	if (err)
		return err;
	struct mailbox *mb = &mailboxes[cpu];
	while (__atomic_load_n(&mb->state, __ATOMIC_ACQUIRE) != MB_DONE)
		cpu_relax();
	return mb->result;
}

int smp_run_on_all(cpu_work_fn fn, void *arg)
{
	int first = 0;
	for (uint32_t i = 0; i < g_cpu_count; i++) {
		int r = smp_run_on_sync(i, fn, arg);
		if (r && !first)
			first = r;
	}
	return first;
}

void cpu_idle_loop(void)
{
	struct mailbox *mb = &mailboxes[this_cpu_index()];
	for (;;) {
		irq_disable();
		if (__atomic_load_n(&mb->state, __ATOMIC_ACQUIRE) == MB_POSTED) {
			cpu_work_fn fn = mb->fn;
			void *arg = mb->arg;
			__atomic_store_n(&mb->state, MB_RUNNING, __ATOMIC_RELEASE);
			irq_enable();
			int r = fn(arg);
			mb->result = r;
			__atomic_store_n(&mb->state, MB_DONE, __ATOMIC_RELEASE);
			continue;
		}
		/* STI's one-instruction shadow makes "sti; hlt" race-free. */
		__asm__ volatile("sti; hlt" ::: "memory");
	}
}
