/* APIC virtualization; see apicv.h. */
#include "vmx/apicv.h"
#include "vmx/caps.h"
#include "vmx/exit.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx.h"
#include "hv/insn.h"
#include "hv/irqchip.h"
#include "hv/log.h"
#include "hv/string.h"
#include "mm/pmm.h"

#define LAPIC_DEFAULT_GPA 0xFEE00000ULL
/* A private memory slot maps the APIC-access page where the guest's xAPIC
 * page is, so accesses there are APIC accesses (SDM 3C 30.4). */
#define APIC_ACCESS_SLOT (MEMSLOT_MAX - 1)
/* APIC-access exit qualification (SDM 3C table 28-? "APIC-access"): page
 * offset in bits 11:0, access type in bits 15:12. */
#define APIC_ACCESS_OFFSET(q) ((uint32_t)(q)&0xFFFu)
#define APIC_ACCESS_TYPE(q) (((uint32_t)(q) >> 12) & 0xFu)
#define APIC_ACCESS_LINEAR_READ 0
#define APIC_ACCESS_LINEAR_WRITE 1
#define APIC_WRITE_OFFSET(q) ((uint32_t)(q)&0xFF0u) /* 16-byte register */

/* One APIC-access page per VM, mapped at the xAPIC default base. */
static int vm_apic_access_page(struct vm *vm)
{
	struct vmx_vm *xm = to_vmx_vm(vm);
	if (xm->apic_access_page)
		return 0;
	uint64_t page = vmx_zeroed_pages(1, 0);
	if (!page)
		return -ENOMEM;
	struct memory_region r = {APIC_ACCESS_SLOT, 0, LAPIC_DEFAULT_GPA, PAGE_SIZE, page};
	int err = vm_set_memory_region(vm, &r);
	if (err) {
		pmm_free(&g_pmm, page, 1);
		return err;
	}
	xm->apic_access_page = page;
	return 0;
}

int vmx_apicv_vcpu_init(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);

	x->proc = g_vmx.proc;
	x->proc2 = g_vmx.proc2;
	x->vapic = NULL;
	if (!g_vmx.apic_register_virtualization || !v->vm->irqchip)
		return 0;
	int err = vm_apic_access_page(v->vm);
	if (err) {
		pr_warn("vm %s: no APIC virtualization: the xAPIC page cannot be mapped (%d)", v->vm->name, err);
		return 0;
	}
	uint64_t page = vmx_zeroed_pages(1, 0);
	if (!page)
		return -ENOMEM;
	x->vapic = (uint32_t *)page;
	/* CR8 becomes the shadow's TPR: no CR8 exits (SDM 3C 30.3) */
	x->proc = (x->proc | PROC_USE_TPR_SHADOW) & ~(PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING);
	x->proc2 |= PROC2_VIRTUALIZE_APIC_ACCESSES | PROC2_APIC_REGISTER_VIRTUALIZATION;
	x->apic_access_on = true;
	x->tpr_threshold = 0;
	return 0;
}

void vmx_apicv_vcpu_destroy(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	if (x->vapic)
		pmm_free(&g_pmm, (uint64_t)x->vapic, 1);
	x->vapic = NULL;
}

void vmx_apicv_write_controls(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	if (!x->vapic)
		return;
	vmwrite(VMCS_CTRL_VIRTUAL_APIC_ADDR, (uint64_t)x->vapic);
	vmwrite(VMCS_CTRL_APIC_ACCESS_ADDR, to_vmx_vm(v->vm)->apic_access_page);
	vmwrite(VMCS_CTRL_TPR_THRESHOLD, 0);
	x->tpr_threshold = 0;
	memset(x->vapic, 0, PAGE_SIZE); /* at set-up and reset: the LAPIC's reset values follow */
	x->vapic_generation = vlapic_generation(v->lapic) - 1;
	x->apic_access_on = true;
}

void vmx_apicv_sync_tpr(struct vcpu *v, struct vmx_vcpu *x)
{
	irqchip_lock(v->vm);
	vlapic_set_tpr(v->lapic, (uint8_t)x->vapic[LAPIC_REG_TPR / 4]);
	irqchip_unlock(v->vm);
	__atomic_fetch_or(&v->requests, VCPU_REQ_EVENT, __ATOMIC_RELAXED); /* TPR fell? */
}

/* A write to ICR high is virtualized without an exit (SDM 3C 30.4.3.2):
 * the page holds the guest's value until the ICR-low write sends. */
static void take_icr_high(struct vmx_vcpu *x, struct vlapic *l)
{
	uint32_t icr_hi = x->vapic[LAPIC_REG_ICR_HI / 4];
	/* most APIC writes (EOI above all) leave it alone: no model write then */
	if (x->apic_access_on && icr_hi != l->icr_hi)
		vlapic_mmio_write(l, LAPIC_DEFAULT_GPA + LAPIC_REG_ICR_HI, 4, icr_hi);
}

void vmx_apicv_before_entry(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	struct vlapic *l = v->lapic;

	if (!x->vapic)
		return;
	/* Read first: a change from another CPU during the fill makes the
	 * next entry fill again (it also kicks this vCPU). */
	uint32_t generation = vlapic_generation(l);
	if (generation == x->vapic_generation)
		return; /* the page is current */
	x->vapic_generation = generation;
	bool xapic_here = vlapic_mode(l) == VLAPIC_MODE_XAPIC && vlapic_mmio_base(l) == LAPIC_DEFAULT_GPA;
	if (xapic_here) {
		irqchip_lock(v->vm);
		if (x->apic_access_on)
			take_icr_high(x, l);
		vlapic_fill_page(l, x->vapic);
		irqchip_unlock(v->vm);
	} else {
		x->vapic[LAPIC_REG_TPR / 4] = vlapic_tpr(l); /* only CR8 reads the page */
	}

	/* An interrupt TPR holds back: exit when the guest lowers VTPR below
	 * its class (TPR-below-threshold, SDM 3C 30.1.2). Entry requires the
	 * threshold not to exceed VTPR[7:4] (27.2.1.1), which this keeps. */
	int irr = vlapic_highest_irr(l);
	uint32_t tpr_class = vlapic_tpr(l) >> 4;
	uint32_t threshold = irr >= 0 && ((uint32_t)irr >> 4) <= tpr_class ? (uint32_t)irr >> 4 : 0;
	if (threshold != x->tpr_threshold) {
		vmwrite(VMCS_CTRL_TPR_THRESHOLD, threshold);
		x->tpr_threshold = threshold;
	}
	/* In x2APIC mode, or with the APIC moved or disabled, the page at
	 * 0xFEE00000 is not the APIC's. */
	if (xapic_here != x->apic_access_on) {
		uint32_t proc2 = (uint32_t)vmread(VMCS_CTRL_PROC_BASED2);
		vmwrite(VMCS_CTRL_PROC_BASED2, xapic_here ? proc2 | PROC2_VIRTUALIZE_APIC_ACCESSES
							  : proc2 & ~PROC2_VIRTUALIZE_APIC_ACCESSES);
		x->apic_access_on = xapic_here;
	}
}

/* Fault-like: an access the CPU does not virtualize (PPR, the current
 * count, odd sizes...): emulated like any MMIO access to the register. */
int vmx_handle_apic_access(struct vcpu *v)
{
	uint64_t q = vmread(VMCS_EXIT_QUALIFICATION);
	uint32_t type = APIC_ACCESS_TYPE(q);

	vmx_check_idt_vectoring(v);
	vmx_apicv_take_tpr(v, to_vmx(v));
	if (type != APIC_ACCESS_LINEAR_READ && type != APIC_ACCESS_LINEAR_WRITE)
		return vmx_stop_with_report(v, INTERNAL_EMULATION_FAILED, "APIC access not by an instruction's data");
	__atomic_fetch_or(&v->requests, VCPU_REQ_EVENT, __ATOMIC_RELAXED); /* refill the page */
	return vmx_emulate_mmio_at(v, LAPIC_DEFAULT_GPA + APIC_ACCESS_OFFSET(q), INSN_GLA_UNKNOWN,
				   type == APIC_ACCESS_LINEAR_WRITE);
}

/* Trap-like: the write is in the virtual-APIC page and the instruction
 * has completed; the model performs it (EOI, ICR, timer, LVT...). */
int vmx_handle_apic_write(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	uint32_t off = APIC_WRITE_OFFSET(vmread(VMCS_EXIT_QUALIFICATION));

	vmx_apicv_take_tpr(v, x);
	irqchip_lock(v->vm);
	take_icr_high(x, v->lapic);
	vlapic_mmio_write(v->lapic, LAPIC_DEFAULT_GPA + off, 4, x->vapic[off / 4]);
	irqchip_unlock(v->vm);
	/* an EOI changes only what is deliverable; the rest may touch timers */
	__atomic_fetch_or(&v->requests, off == LAPIC_REG_EOI ? VCPU_REQ_EVENT : VCPU_REQ_DEVICE,
			  __ATOMIC_RELAXED);
	return 1;
}

int vmx_handle_tpr_below_threshold(struct vcpu *v)
{
	vmx_apicv_sync_tpr(v, to_vmx(v));
	return 1;
}
