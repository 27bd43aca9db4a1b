/* VM-exit dispatch (ACRN-style: a const table indexed by the basic exit
 * reason) and the handlers for the simple exits. I/O, EPT and control
 * register exits have their own files. Each handler returns 1 to re-enter
 * the guest, 0 to leave vcpu_run() with v->run filled, or a negative errno.
 * Guest behaviour never panics the hypervisor: anything unexpected stops
 * the VM with a register dump. */
#include "vmx/exit.h"
#include "vmx/apicv.h"
#include "vmx/cpuid.h"
#include "vmx/exit_info.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx.h"
#include "vmx/vmx_insn.h"
#include "hv/hypercall.h"
#include "hv/log.h"
#include "hv/x86.h"

#define VEC_UD 6
#define VEC_GP 13
#define XCR0_X87 (1ULL << 0)
#define XCR0_SSE (1ULL << 1)
#define XCR0_AVX (1ULL << 2)


void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	vmwrite(VMCS_CTRL_ENTRY_INTR_INFO, vmx_entry_intr_info(vector, VMX_INTR_TYPE_HW_EXCEPTION, has_error));
	if (has_error)
		vmwrite(VMCS_CTRL_ENTRY_EXCEPTION_ERROR_CODE, error);
	v->stats.injections++;
}

/* Registers as the guest sees them outside 64-bit mode: 32 bits. */
uint64_t vmx_gpr_width_mask(struct vcpu *v)
{
	uint32_t cs_ar = (uint32_t)vmread(VMCS_GUEST_CS_ACCESS_RIGHTS);
	return cs_ar & SEG_L ? ~0ULL : 0xFFFFFFFFULL;
}

int vmx_stop_with_report(struct vcpu *v, uint32_t suberror, const char *what)
{
	struct vmx_vcpu *x = to_vmx(v);
	pr_err("vm %s: vcpu%u: %s (exit reason %u %s, qualification 0x%llx)", v->vm->name, v->id, what,
	       x->exit_reason & 0xFFFF, vmx_exit_reason_name(x->exit_reason & 0xFFFF),
	       (unsigned long long)vmread(VMCS_EXIT_QUALIFICATION));
	vmcs_dump(v);
	v->run->exit_reason = EXIT_INTERNAL_ERROR;
	v->run->internal.suberror = suberror;
	v->run->internal.ndata = 1;
	v->run->internal.data[0] = x->exit_reason;
	return 0;
}

static int handle_exception_nmi(struct vcpu *v)
{
	vmx_check_idt_vectoring(v);
	uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
	if (((info >> 8) & 7) == VMX_INTR_TYPE_NMI) {
		/* The host's NMI (panic stop, or a real one): deliver it to our
		 * own handler as if it had arrived in root operation. */
		__asm__ volatile("int $2");
		return 1;
	}
	return vmx_stop_with_report(v, INTERNAL_UNHANDLED_EXIT, "unexpected exception exit");
}

static int handle_external_interrupt(struct vcpu *v)
{
	vmx_check_idt_vectoring(v);
	return 1; /* already taken: interrupts were enabled after the exit */
}

static int handle_triple_fault(struct vcpu *v)
{
	pr_err("vm %s: vcpu%u: triple fault", v->vm->name, v->id);
	vmcs_dump(v);
	v->run->exit_reason = EXIT_SHUTDOWN;
	return 0;
}

static int handle_hlt(struct vcpu *v)
{
	v->stats.halts++;
	vmx_skip_instruction(v);
	return vmx_halt(v);
}

static int handle_vmcall(struct vcpu *v)
{
	uint64_t mask = vmx_gpr_width_mask(v);
	v->stats.hypercalls++;
	vmx_skip_instruction(v);
	return hypercall_dispatch(v, mask);
}

/* XSETBV, SDM 2 (XSETBV): only XCR0, x87 always on, AVX needs SSE, and
 * nothing the host CPU does not support. */
static int handle_xsetbv(struct vcpu *v)
{
	uint32_t index = (uint32_t)v->regs.gpr[GPR_RCX];
	uint64_t val = (v->regs.gpr[GPR_RDX] << 32) | (uint32_t)v->regs.gpr[GPR_RAX];
	struct cpuid_regs d = cpuid(0xD, 0);
	uint64_t supported = ((uint64_t)d.edx << 32) | d.eax;

	if (index != 0 || !(val & XCR0_X87) || (val & ~supported) ||
	    ((val & XCR0_AVX) && !(val & XCR0_SSE))) {
		vmx_inject_exception(v, VEC_GP, true, 0);
		return 1;
	}
	/* XCR0 belongs to the one vCPU of this CPU; the hypervisor uses no
	 * extended state, so the guest's value simply stays loaded. */
	__asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
	to_vmx(v)->msr.xcr0 = val;
	vmx_skip_instruction(v);
	return 1;
}

static int handle_invd_wbinvd(struct vcpu *v)
{
	/* Guests (firmware, Linux) issue these around MTRR changes; with EPT
	 * write-back memory there is nothing to do. */
	vmx_skip_instruction(v);
	return 1;
}

static int handle_vmx_instruction(struct vcpu *v)
{
	vmx_inject_exception(v, VEC_UD, false, 0); /* VMX is hidden from guests */
	return 1;
}

static int handle_window(struct vcpu *v)
{
	uint32_t proc = (uint32_t)vmread(VMCS_CTRL_PROC_BASED);
	vmwrite(VMCS_CTRL_PROC_BASED, proc & ~(PROC_INTERRUPT_WINDOW_EXITING | PROC_NMI_WINDOW_EXITING));
	/* the guest can take the event now: evaluate injection again */
	__atomic_fetch_or(&v->requests, VCPU_REQ_EVENT, __ATOMIC_RELAXED);
	return 1;
}

static int handle_preemption_timer(struct vcpu *v)
{
	vmx_check_idt_vectoring(v);
	__atomic_fetch_or(&v->requests, VCPU_REQ_DEVICE, __ATOMIC_RELAXED); /* a timer is due */
	return 1;
}

static int handle_ept_misconfig(struct vcpu *v)
{
	pr_err("vm %s: EPT misconfiguration at gpa 0x%llx: a hypervisor bug", v->vm->name,
	       (unsigned long long)vmread(VMCS_GUEST_PHYSICAL_ADDRESS));
	return vmx_stop_with_report(v, INTERNAL_BAD_STATE, "EPT misconfiguration");
}

static int handle_task_switch(struct vcpu *v)
{
	vmx_check_idt_vectoring(v);
	return vmx_stop_with_report(v, INTERNAL_UNHANDLED_EXIT, "task switch (not emulated)");
}

static int handle_init_sipi(struct vcpu *v)
{
	vmx_check_idt_vectoring(v);
	return 1; /* guest SMP start-up comes with the in-core LAPIC */
}

const vmx_exit_handler vmx_exit_handlers[VMX_EXIT_HANDLERS] = {
	[EXIT_REASON_EXCEPTION_NMI] = handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_REASON_INIT_SIGNAL] = handle_init_sipi,
	[EXIT_REASON_SIPI] = handle_init_sipi,
	[EXIT_REASON_INTERRUPT_WINDOW] = handle_window,
	[EXIT_REASON_NMI_WINDOW] = handle_window,
	[EXIT_REASON_TASK_SWITCH] = handle_task_switch,
	[EXIT_REASON_CPUID] = vmx_handle_cpuid,
	[EXIT_REASON_HLT] = handle_hlt,
	[EXIT_REASON_INVD] = handle_invd_wbinvd,
	[EXIT_REASON_VMCALL] = handle_vmcall,
	[EXIT_REASON_VMCLEAR] = handle_vmx_instruction,
	[EXIT_REASON_VMLAUNCH] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRLD] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRST] = handle_vmx_instruction,
	[EXIT_REASON_VMREAD] = handle_vmx_instruction,
	[EXIT_REASON_VMRESUME] = handle_vmx_instruction,
	[EXIT_REASON_VMWRITE] = handle_vmx_instruction,
	[EXIT_REASON_VMXOFF] = handle_vmx_instruction,
	[EXIT_REASON_VMXON] = handle_vmx_instruction,
	[EXIT_REASON_CR_ACCESS] = vmx_handle_cr_access,
	[EXIT_REASON_IO_INSTRUCTION] = vmx_handle_io,
	[EXIT_REASON_RDMSR] = vmx_handle_rdmsr,
	[EXIT_REASON_WRMSR] = vmx_handle_wrmsr,
	[EXIT_REASON_EPT_VIOLATION] = vmx_handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG] = handle_ept_misconfig,
	[EXIT_REASON_INVEPT] = handle_vmx_instruction,
	[EXIT_REASON_PREEMPTION_TIMER] = handle_preemption_timer,
	[EXIT_REASON_INVVPID] = handle_vmx_instruction,
	[EXIT_REASON_WBINVD] = handle_invd_wbinvd,
	[EXIT_REASON_XSETBV] = handle_xsetbv,
	[EXIT_REASON_TPR_BELOW_THRESHOLD] = vmx_handle_tpr_below_threshold,
	[EXIT_REASON_APIC_ACCESS] = vmx_handle_apic_access,
	[EXIT_REASON_APIC_WRITE] = vmx_handle_apic_write,
};

int vmx_unexpected_exit(struct vcpu *v)
{
	return vmx_stop_with_report(v, INTERNAL_UNHANDLED_EXIT, "unexpected VM exit");
}
