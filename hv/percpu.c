/* Per-CPU areas: the table of online CPUs and the GS-base install. */
#include "hv/percpu.h"

struct percpu *g_cpus[HV_MAX_CPUS];
uint32_t g_cpu_count;

void percpu_install(struct percpu *c)
{
	c->self = c;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

uint64_t host_poll_run(void)
{
	struct host_poll *p = this_cpu()->host_poll;
	if (!p)
		return UINT64_MAX;
	uint64_t now = rdtsc();
	if (now >= p->next_tsc) {
		p->fn();
		p->next_tsc = rdtsc() + p->period_tsc;
	}
	return p->next_tsc;
}
