/* A VM's in-core interrupt sources as the backend sees them for one vCPU
 * (KVM's kvm_cpu_has_interrupt / kvm_cpu_get_interrupt and the timers):
 * the LAPIC, the PIC through LINT0/ExtINT, and every device timer. */
#ifndef HV_IRQCHIP_H
#define HV_IRQCHIP_H

#include "hv/vm.h"

/* The highest-priority external interrupt the vCPU could take now, or -1. */
int irqchip_pending_vector(struct vcpu *v);
/* The vector is being injected: in service from now on. */
void irqchip_ack(struct vcpu *v, int vector);
/* When a timer of this vCPU (or, for vCPU 0, of the board) next needs
 * attention, in VM-clock nanoseconds; DEADLINE_NONE if never. */
uint64_t irqchip_next_deadline(struct vcpu *v);
/* Fires whatever is due; may raise interrupts (setting VCPU_REQ_EVENT). */
void irqchip_poll(struct vcpu *v);

#endif
