/* APIC virtualization (SDM 3C chapter 30): with a TPR shadow, virtualized
 * APIC accesses and APIC-register virtualization, a guest reads its xAPIC
 * registers from a per-vCPU virtual-APIC page without an exit, writes
 * reach the in-core LAPIC through trap-like APIC-write exits (no
 * instruction to decode), and CR8 is the shadow's TPR. The page mirrors
 * the model (hv/vlapic.c), refilled before entries that follow a change. */
#ifndef VMX_APICV_H
#define VMX_APICV_H

#include "hv/vlapic.h"
#include "vmx/vmx_vcpu.h"

/* Per vCPU, at creation: picks its control bits (x->proc, x->proc2) and,
 * on CPUs that have it and VMs with an irqchip, allocates its pages. */
int vmx_apicv_vcpu_init(struct vcpu *v);
void vmx_apicv_vcpu_destroy(struct vcpu *v);
/* VMCS fields at set-up (the VMCS is current). */
void vmx_apicv_write_controls(struct vcpu *v);
/* Before an entry that follows requests: the page from the model, the TPR
 * threshold, and APIC-access virtualization on only in xAPIC mode at the
 * default base. */
void vmx_apicv_before_entry(struct vcpu *v);
/* The guest may have written VTPR (MOV to CR8, an xAPIC TPR write)
 * without an exit: the model learns it before anything that depends on
 * TPR (injection, HLT, APIC reads and writes). A TPR lowered below a
 * held-back interrupt exits by itself (TPR threshold). */
void vmx_apicv_sync_tpr(struct vcpu *v, struct vmx_vcpu *x);

static inline void vmx_apicv_take_tpr(struct vcpu *v, struct vmx_vcpu *x)
{
	if (x->vapic && unlikely((x->vapic[LAPIC_REG_TPR / 4] & 0xFF) != vlapic_tpr(v->lapic)))
		vmx_apicv_sync_tpr(v, x);
}

int vmx_handle_apic_access(struct vcpu *v);
int vmx_handle_apic_write(struct vcpu *v);
int vmx_handle_tpr_below_threshold(struct vcpu *v);

#endif
