/* Running work on another CPU. CPUs other than the boot CPU sit in an idle
 * loop waiting for work (hlt until an IPI); work runs in normal (not
 * interrupt) context, so it may run forever, e.g. a vCPU loop. */
#ifndef HV_SMP_CALL_H
#define HV_SMP_CALL_H

#include "hv/compiler.h"

typedef int (*cpu_work_fn)(void *arg);

/* Hands `fn(arg)` to CPU `cpu` and returns once it has started it.
 * -EBUSY if that CPU is running other work, -EINVAL for a bad index. */
int smp_run_on(uint32_t cpu, cpu_work_fn fn, void *arg);
/* Same, and waits for fn to return; gives fn's result. On the calling CPU
 * itself, just calls fn. */
int smp_run_on_sync(uint32_t cpu, cpu_work_fn fn, void *arg);
/* Runs fn on every online CPU (this one included), returns the first error. */
int smp_run_on_all(cpu_work_fn fn, void *arg);

/* The idle loop of a CPU that has no work: never returns. */
void __noreturn cpu_idle_loop(void);
void smp_call_init(void);

#endif
