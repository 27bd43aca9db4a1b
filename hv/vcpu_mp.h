/* INIT and STARTUP IPIs applied to a vCPU (SDM 3A 10.4 MP initialization,
 * 12.6.1 delivery modes): INIT puts it in its INIT state, waiting for a
 * SIPI unless it is the BSP; a SIPI starts a waiting vCPU in real mode at
 * the vector's page. Generic: the backend calls it on the vCPU's CPU. */
#ifndef HV_VCPU_MP_H
#define HV_VCPU_MP_H

#include "hv/vm.h"

/* Applies the INIT/SIPI events that arrived (v->mp_events); true when the
 * vCPU's register state was replaced. */
bool vcpu_mp_apply_events(struct vcpu *v);

/* Power-on reset of a vCPU, on its own CPU: the architectural reset
 * state, every request and event dropped; application processors then
 * wait for a SIPI. The caller may load another state into the BSP. */
void vcpu_mp_power_on(struct vcpu *v);

#endif
