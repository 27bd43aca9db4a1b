/* Control-register access exits (SDM 3C table 28-3). The guest owns most
 * CR0/CR4 bits; writes touching the bits the host keeps (VMX-fixed bits,
 * CR0.CD/NW) exit here, as do MOV to/from CR8, which has no in-core TPR
 * until the LAPIC model exists. */
#include "vmx/exit.h"
#include "vmx/exit_info.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx.h"
#include "vmx/vmx_insn.h"
#include "hv/irqchip.h"
#include "hv/vlapic.h"

#define VEC_GP 13
#define CR0_PE_BIT (1ULL << 0)
#define CR0_TS_BIT (1ULL << 3)
#define CR0_PG_BIT (1ULL << 31)
#define CR0_LMSW_BITS 0xFULL /* PE MP EM TS */
#define CR4_PAE_BIT (1ULL << 5)
#define CR4_VMXE_BIT (1ULL << 13)
#define EFER_LME_BIT (1ULL << 8)
#define EFER_LMA_BIT (1ULL << 10)

static uint64_t *gpr(struct vcpu *v, uint32_t n)
{
	return &v->regs.gpr[n]; /* RSP is kept in regs.gpr too, synced each exit */
}

/* MOV to CR0 as the CPU would do it, including entering and leaving long
 * mode (SDM 3A 10.8.5) since this write did not run in the guest. */
static int emulate_cr0_write(struct vcpu *v, uint64_t val)
{
	struct vmx_vcpu *x = to_vmx(v);
	uint64_t efer = vmread(VMCS_GUEST_IA32_EFER);

	/* PG and PAE are guest-owned: the guest may have changed them without
	 * an exit, so the VMCS, not the shadows, has their current values */
	bool was_paging = vmread(VMCS_GUEST_CR0) & CR0_PG_BIT;
	bool pae = vmread(VMCS_GUEST_CR4) & CR4_PAE_BIT;

	if ((val & CR0_PG_BIT) && !(val & CR0_PE_BIT))
		return -EINVAL;
	if ((val & CR0_PG_BIT) && !was_paging && (efer & EFER_LME_BIT)) {
		if (!pae)
			return -EINVAL;
		efer |= EFER_LMA_BIT;
	} else if (!(val & CR0_PG_BIT)) {
		efer &= ~EFER_LMA_BIT;
	}
	vmwrite(VMCS_GUEST_IA32_EFER, efer);
	uint32_t entry = (uint32_t)vmread(VMCS_CTRL_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE_GUEST;
	vmwrite(VMCS_CTRL_ENTRY_CONTROLS, entry | (efer & EFER_LMA_BIT ? ENTRY_IA32E_MODE_GUEST : 0));
	x->cr0_shadow = val;
	vmwrite(VMCS_CTRL_CR0_READ_SHADOW, val);
	vmwrite(VMCS_GUEST_CR0, vmx_guest_cr0_for(val));
	return 0;
}

static int emulate_cr4_write(struct vcpu *v, uint64_t val)
{
	struct vmx_vcpu *x = to_vmx(v);
	if (val & CR4_VMXE_BIT)
		return -EINVAL; /* VMX is hidden from guests */
	x->cr4_shadow = val;
	vmwrite(VMCS_CTRL_CR4_READ_SHADOW, val);
	vmwrite(VMCS_GUEST_CR4, vmx_guest_cr4_for(val));
	return 0;
}

int vmx_handle_cr_access(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	struct vmx_cr_access q = vmx_decode_cr_access(vmread(VMCS_EXIT_QUALIFICATION));
	int err = 0;

	if (q.gpr == GPR_RSP)
		vmx_cache_regs(v); /* RSP lives in the VMCS, not in the saved GPRs */
	switch (q.type) {
	case VMX_CR_MOV_TO_CR:
		if (q.cr == 0)
			err = emulate_cr0_write(v, *gpr(v, q.gpr));
		else if (q.cr == 4)
			err = emulate_cr4_write(v, *gpr(v, q.gpr));
		else if (q.cr == 3)
			vmwrite(VMCS_GUEST_CR3, *gpr(v, q.gpr));
		else if (q.cr == 8 && v->vm->irqchip) {
			irqchip_lock(v->vm);
			err = vlapic_set_cr8(irqchip_lapic(v), *gpr(v, q.gpr));
			irqchip_unlock(v->vm);
			__atomic_fetch_or(&v->requests, VCPU_REQ_EVENT, __ATOMIC_RELAXED); /* TPR fell? */
		} else if (q.cr == 8)
			x->cr8 = *gpr(v, q.gpr) & 0xF;
		else
			err = -EINVAL;
		break;
	case VMX_CR_MOV_FROM_CR:
		if (q.cr == 3)
			*gpr(v, q.gpr) = vmread(VMCS_GUEST_CR3);
		else if (q.cr == 8 && v->vm->irqchip)
			*gpr(v, q.gpr) = vlapic_get_cr8(irqchip_lapic(v));
		else if (q.cr == 8)
			*gpr(v, q.gpr) = x->cr8;
		else
			err = -EINVAL;
		break;
	case VMX_CR_CLTS:
		err = emulate_cr0_write(v, vmx_guest_cr0(x) & ~CR0_TS_BIT);
		break;
	case VMX_CR_LMSW:
		/* LMSW sets PE but never clears it (SDM 2A LMSW). */
		err = emulate_cr0_write(v, (vmx_guest_cr0(x) & ~(CR0_LMSW_BITS & ~CR0_PE_BIT)) | (q.lmsw_data & CR0_LMSW_BITS));
		break;
	}
	if (err) {
		vmx_inject_exception(v, VEC_GP, true, 0);
		return 1;
	}
	if (q.gpr == GPR_RSP && q.type == VMX_CR_MOV_FROM_CR)
		vmwrite(VMCS_GUEST_RSP, v->regs.gpr[GPR_RSP]); /* RSP lives in the VMCS */

	vmx_skip_instruction(v);
	return 1;
}
