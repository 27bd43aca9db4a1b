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
