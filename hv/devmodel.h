/* Conventions shared by the in-core device models (vpic, vioapic, vlapic,
 * vpit, vrtc, vpmtimer, vuart, vpci, reset): each is pure logic, testable
 * on the host, and talks to the rest of the hypervisor only through these
 * callbacks and the io bus (hv/iobus.h). See docs/device-models.md. */
#ifndef HV_DEVMODEL_H
#define HV_DEVMODEL_H

#include "hv/compiler.h"

/* A VM's clock: monotonic nanoseconds since the VM started (derived from
 * the TSC on the machine, a counter in tests). All timer models use it. */
struct vclock {
	uint64_t (*now_ns)(void *ctx);
	void *ctx;
};

static inline uint64_t vclock_now(const struct vclock *c)
{
	return c->now_ns(c->ctx);
}

/* An interrupt output: level 1 asserts, 0 deasserts. Edge-triggered inputs
 * see a 0->1 transition; models that pulse call set(1) then set(0). */
struct irq_out {
	void (*set)(void *ctx, uint32_t line, int level);
	void *ctx;
	uint32_t line;
};

static inline void irq_out_set(const struct irq_out *o, int level)
{
	if (o->set)
		o->set(o->ctx, o->line, level);
}

/* Timer models say when they next need attention; the vCPU loop arms a
 * host timer (or the VMX preemption timer) for the earliest deadline and
 * calls the model's poll function then: no busy polling. */
#define DEADLINE_NONE UINT64_MAX

#endif
