/* The per-vCPU view of the in-core irqchip. Until a VM has an irqchip
 * (vm->irqchip), it has no interrupt sources at all. */
#include "hv/irqchip.h"
#include "hv/devmodel.h"

int irqchip_pending_vector(struct vcpu *v)
{
	return -1;
}

void irqchip_ack(struct vcpu *v, int vector)
{
}

uint64_t irqchip_next_deadline(struct vcpu *v)
{
	return DEADLINE_NONE;
}

void irqchip_poll(struct vcpu *v)
{
}
