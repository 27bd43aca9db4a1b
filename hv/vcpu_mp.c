/* INIT/SIPI handling for one vCPU; see vcpu_mp.h. */
#include "hv/vcpu_mp.h"
#include "hv/arch.h"
#include "hv/loader.h"
#include "hv/log.h"

#define SIPI_PAGE_SHIFT 12 /* a SIPI vector VV starts at VV000h (SDM 3A 10.4.4.1) */
#define SIPI_SELECTOR_SHIFT 8

/* Architectural reset/INIT state (SDM 3A table 10-1; the LAPIC keeps its
 * ID and base, handled by the irqchip): the BSP restarts at the reset
 * vector, the others wait for a SIPI. Every request is dropped. */
static void reset_state(struct vcpu *v)
{
	struct boot_state st;

	g_arch->vcpu_reset(v);
	boot_state_reset(&st);
	vcpu_set_regs(v, &st.regs);
	vcpu_set_sregs(v, &st.sregs);
	v->mp_state = v->id == 0 ? VCPU_MP_RUNNABLE : VCPU_MP_WAIT_SIPI;
	__atomic_fetch_or(&v->requests, VCPU_REQ_DEVICE | (v->id != 0 ? VCPU_REQ_MP : 0), __ATOMIC_SEQ_CST);
}

/* A stop asked for meanwhile still stops the vCPU. */
static void apply_init(struct vcpu *v)
{
	uint32_t keep = v->requests & VCPU_REQ_STOP;

	reset_state(v);
	__atomic_fetch_or(&v->requests, keep, __ATOMIC_SEQ_CST);
	pr_debug("vm %s: vcpu%u: INIT", v->vm->name, v->id);
}

static void apply_sipi(struct vcpu *v, uint8_t vector)
{
	struct sregs s;

	vcpu_get_sregs(v, &s);
	s.cs.selector = (uint16_t)((uint32_t)vector << SIPI_SELECTOR_SHIFT);
	s.cs.base = (uint64_t)vector << SIPI_PAGE_SHIFT;
	vcpu_set_sregs(v, &s);
	v->regs.rip = 0;
	v->regs_dirty = true;
	v->mp_state = VCPU_MP_RUNNABLE;
	pr_debug("vm %s: vcpu%u: SIPI vector 0x%02x", v->vm->name, v->id, vector);
}

bool vcpu_mp_apply_events(struct vcpu *v)
{
	uint32_t ev = __atomic_exchange_n(&v->mp_events, 0, __ATOMIC_ACQ_REL);
	bool changed = false;

	if (ev & VCPU_MP_EV_INIT) {
		apply_init(v);
		changed = true;
	}
	/* a SIPI reaches only a processor waiting for one; others ignore it */
	if ((ev & VCPU_MP_EV_SIPI) && v->mp_state == VCPU_MP_WAIT_SIPI) {
		apply_sipi(v, v->sipi_vector);
		changed = true;
	}
	return changed;
}

void vcpu_mp_power_on(struct vcpu *v)
{
	v->mp_events = 0;
	reset_state(v);
}
