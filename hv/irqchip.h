/* A VM's in-core irqchip (KVM_CREATE_IRQCHIP): the 8259 pair, the IOAPIC,
 * the GSI routing table and one LAPIC per vCPU, wired together; plus the
 * per-vCPU view the backend uses at every entry (KVM's
 * kvm_cpu_has_interrupt / kvm_cpu_get_interrupt) and the timers. */
#ifndef HV_IRQCHIP_H
#define HV_IRQCHIP_H

#include "hv/vm.h"

struct vlapic;

int irqchip_create(struct vm *vm);
void irqchip_destroy(struct vm *vm);
/* Platform reset: every controller back to its power-on state. */
void irqchip_reset(struct vm *vm);
/* The vCPU's LAPIC (APIC id = vCPU id; vCPU 0 is the BSP). */
int irqchip_add_vcpu(struct vcpu *v);
struct vlapic *irqchip_lapic(struct vcpu *v);

/* irq_line(vm, gsi, level) and MSIs (KVM_IRQ_LINE, KVM_SIGNAL_MSI). */
int irq_line_vm(struct vm *vm, uint32_t gsi, int level);
int signal_msi(struct vm *vm, uint64_t addr, uint32_t data);

/* Board timers (PIT, RTC, UART...): polled by vCPU 0 at their deadlines. */
int irqchip_add_timer(struct vm *vm, uint64_t (*next)(void *ctx), void (*poll)(void *ctx, uint64_t now),
		      void *ctx);

/* Per vCPU, on its own CPU: */
bool irqchip_has_interrupt(struct vcpu *v);
int irqchip_ack(struct vcpu *v);          /* the vector to inject now, or -1 */
uint64_t irqchip_next_deadline(struct vcpu *v);
void irqchip_poll(struct vcpu *v);        /* fires due timers, collects NMIs */

/* Serializes every model of the VM; callbacks run under it. Inline: taken
 * on every in-core device access. */
static inline void irqchip_lock(struct vm *vm)
{
	spin_lock(&vm->irq_lock);
}

static inline void irqchip_unlock(struct vm *vm)
{
	spin_unlock(&vm->irq_lock);
}

#endif
