/* Event injection before VM entry (SDM 3C 27.6, 28.2.4 IDT-vectoring
 * information): an event whose delivery an exit interrupted is re-injected
 * first; then a pending NMI; then the highest external interrupt if the
 * guest can take it now (RFLAGS.IF, no STI/MOV-SS blocking), else an
 * interrupt window is requested. Timers arm the VMX preemption timer. */
#include "vmx/exit.h"
#include "vmx/exit_info.h"
#include "vmx/vmx.h"
#include "hv/devmodel.h"
#include "hv/irqchip.h"
#include "hv/x86.h"
#include "hv/trap.h"
#include "hv/vcpu_mp.h"
#include "hv/percpu.h"
#include "vmx/apicv.h"
#include "drivers/lapic.h"

#define IDT_INFO_ERROR_VALID (1U << 11)
#define IDT_INFO_TYPE(i) (((i) >> 8) & 7)
#define INTERRUPTIBILITY_STI (1U << 0)
#define INTERRUPTIBILITY_MOV_SS (1U << 1)
#define INTERRUPTIBILITY_NMI (1U << 3)
#define RFLAGS_IF_BIT (1ULL << 9)

void vmx_save_idt_vectoring(struct vcpu *v, uint32_t info)
{
	struct vmx_vcpu *x = to_vmx(v);

	__atomic_fetch_or(&v->requests, VCPU_REQ_EVENT, __ATOMIC_RELAXED);
	x->reinject = vmx_idt_vectoring_to_entry(info);
	x->reinject_error = info & IDT_INFO_ERROR_VALID ? (uint32_t)vmread(VMCS_IDT_VECTORING_ERROR_CODE) : 0;
	uint32_t type = IDT_INFO_TYPE(info);
	/* software interrupts and exceptions need their instruction length */
	x->reinject_len = type >= VMX_INTR_TYPE_SW_INTERRUPT ? (uint32_t)vmread(VMCS_EXIT_INSTRUCTION_LEN) : 0;
}

bool vmx_interrupt_window_open(struct vcpu *v)
{
	vmx_cache_regs(v);
	uint32_t block = (uint32_t)vmread(VMCS_GUEST_INTERRUPTIBILITY);
	return (v->regs.rflags & RFLAGS_IF_BIT) && !(block & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

static void request_window(uint32_t bit)
{
	uint32_t proc = (uint32_t)vmread(VMCS_CTRL_PROC_BASED);
	if (!(proc & bit))
		vmwrite(VMCS_CTRL_PROC_BASED, proc | bit);
}

static void arm_preemption_timer(struct vcpu *v, struct vmx_vcpu *x)
{
	uint64_t deadline = irqchip_next_deadline(v);
	/* the host's own work on this CPU (the console) has a deadline too */
	uint64_t tsc = MIN(deadline != DEADLINE_NONE ? vm_ns_to_tsc(v->vm, deadline) : UINT64_MAX, host_poll_run());
	bool want = tsc != UINT64_MAX && g_vmx.preemption_timer;

	if (want) {
		uint64_t now = rdtsc();
		uint64_t ticks = tsc > now ? (tsc - now) >> g_vmx.preemption_timer_shift : 0;
		vmwrite(VMCS_GUEST_PREEMPTION_TIMER, ticks > 0xFFFFFFFFu ? 0xFFFFFFFFu : ticks);
	}
	if (want != x->timer_armed) {
		uint32_t pin = (uint32_t)vmread(VMCS_CTRL_PIN_BASED);
		vmwrite(VMCS_CTRL_PIN_BASED, want ? pin | PIN_PREEMPTION_TIMER : pin & ~PIN_PREEMPTION_TIMER);
		if (g_vmx.save_preemption_timer) {
			/* "save the timer value" is valid only with the timer on */
			uint32_t exit = (uint32_t)vmread(VMCS_CTRL_EXIT_CONTROLS);
			vmwrite(VMCS_CTRL_EXIT_CONTROLS, want ? exit | EXIT_SAVE_PREEMPTION_TIMER
							      : exit & ~EXIT_SAVE_PREEMPTION_TIMER);
		}
		x->timer_armed = want;
	}
	/* With the remaining count saved at every exit the timer keeps
	 * running on its own; it needs re-arming only when a device changes
	 * (VCPU_REQ_EVENT) or it fires. Without that control, re-arm at
	 * every entry. */
	if (want && !g_vmx.save_preemption_timer)
		__atomic_fetch_or(&v->requests, VCPU_REQ_TIMER, __ATOMIC_RELAXED);
}

static void inject(struct vcpu *v, uint32_t info, uint32_t error, uint32_t len)
{
	vmwrite(VMCS_CTRL_ENTRY_INTR_INFO, info);
	if (info & IDT_INFO_ERROR_VALID)
		vmwrite(VMCS_CTRL_ENTRY_EXCEPTION_ERROR_CODE, error);
	if (len)
		vmwrite(VMCS_CTRL_ENTRY_INSTRUCTION_LEN, len);
	v->stats.injections++;
}

/* Runs before an entry when something may need injecting. */
void vmx_prepare_entry_events(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);

	uint32_t req = __atomic_fetch_and(&v->requests, ~VCPU_REQ_DEVICE, __ATOMIC_SEQ_CST);
	/* Polling every device timer and re-arming is only needed when a
	 * device was touched or the timer fired, not after an EOI or TPR write. */
	if (req & VCPU_REQ_TIMER) {
		irqchip_poll(v);
		arm_preemption_timer(v, x);
	}
	if (x->reinject) {
		inject(v, x->reinject, x->reinject_error, x->reinject_len);
		x->reinject = 0;
		return; /* one event per entry; the rest waits for the next exit */
	}
	if (v->nmi_pending) {
		if (!((uint32_t)vmread(VMCS_GUEST_INTERRUPTIBILITY) & (INTERRUPTIBILITY_NMI | INTERRUPTIBILITY_STI |
								       INTERRUPTIBILITY_MOV_SS))) {
			v->nmi_pending = false;
			inject(v, vmx_entry_intr_info(2, VMX_INTR_TYPE_NMI, false), 0, 0);
			return;
		}
		if (g_vmx.nmi_window)
			request_window(PROC_NMI_WINDOW_EXITING);
	}
	if (!irqchip_has_interrupt(v))
		return;
	if (vmx_interrupt_window_open(v)) {
		int vector = irqchip_ack(v);
		if (vector >= 0)
			inject(v, vmx_entry_intr_info((uint8_t)vector, VMX_INTR_TYPE_EXTERNAL, false), 0, 0);
	} else {
		request_window(PROC_INTERRUPT_WINDOW_EXITING);
	}
}

/* The vCPU's CPU sleeps until a kick (stop, event, INIT/SIPI) or the TSC
 * reaches `wake_tsc` (UINT64_MAX: no deadline); the CPU's own host work
 * (the console on the boot CPU) still runs on time. */
void vmx_serve_snapshot(struct vcpu *v)
{
	__atomic_and_fetch(&v->requests, ~VCPU_REQ_SNAPSHOT, __ATOMIC_SEQ_CST);
	vcpu_take_snapshot(v);
}

static void sleep_until_kicked(struct vcpu *v, uint64_t wake_tsc)
{
	wake_tsc = MIN(wake_tsc, host_poll_run());
	irq_disable();
	if (!(v->requests & (VCPU_REQ_STOP | VCPU_REQ_EVENT | VCPU_REQ_SNAPSHOT)) && !v->mp_events) {
		if (wake_tsc != UINT64_MAX)
			lapic_timer_at_tsc(wake_tsc, VEC_WAKE);
		/* STI's shadow covers HLT: a kick cannot slip in between */
		__asm__ volatile("sti; hlt" ::: "memory");
	}
	irq_enable();
}

/* HLT: the vCPU sleeps in the host until something can wake it: an
 * interrupt it can take, an NMI, a stop request, or the next timer
 * deadline (armed on this CPU's LAPIC timer; nothing busy-polls).
 * Returns 1 to re-enter the guest, 0 to leave vcpu_run(). */
int vmx_halt(struct vcpu *v)
{
	vmx_cache_regs(v);
	vmx_apicv_take_tpr(v, to_vmx(v));
	bool can_take_interrupts = v->regs.rflags & RFLAGS_IF_BIT;

	/* HLT has "executed": the STI or MOV-SS shadow it sat in is over
	 * (the idiom is "sti; hlt"), or no interrupt could ever be injected. */
	uint32_t block = (uint32_t)vmread(VMCS_GUEST_INTERRUPTIBILITY);
	if (block & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, block & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));

	for (;;) {
		if (v->requests & VCPU_REQ_STOP) {
			v->run->exit_reason = EXIT_STOPPED;
			return 0;
		}
		irqchip_poll(v);
		if (v->nmi_pending || v->mp_events || (can_take_interrupts && irqchip_has_interrupt(v))) {
			__atomic_fetch_or(&v->requests, VCPU_REQ_EVENT, __ATOMIC_RELAXED);
			return 1;
		}
		uint64_t deadline = irqchip_next_deadline(v);
		if (!v->vm->irqchip && deadline == DEADLINE_NONE) {
			/* no interrupt source exists: this halt is forever */
			v->run->exit_reason = EXIT_HLT;
			return 0;
		}
		if (v->requests & VCPU_REQ_SNAPSHOT)
			vmx_serve_snapshot(v);
		v->halted = true;
		sleep_until_kicked(v, deadline != DEADLINE_NONE ? vm_ns_to_tsc(v->vm, deadline) : UINT64_MAX);
		v->halted = false;
		__atomic_and_fetch(&v->requests, ~VCPU_REQ_EVENT, __ATOMIC_RELAXED);
		/* the timers were polled here: re-arm for the guest on entry */
		__atomic_fetch_or(&v->requests, VCPU_REQ_TIMER, __ATOMIC_RELAXED);
	}
}

/* INIT and SIPI: apply what arrived; a vCPU waiting for a SIPI sleeps in
 * the host until its LAPIC gets one (the sender's kick wakes this CPU).
 * Returns 1 when it can run, 0 to leave vcpu_run() (a stop request). */
int vmx_wait_for_sipi(struct vcpu *v)
{
	for (;;) {
		if (v->requests & VCPU_REQ_STOP) {
			v->run->exit_reason = EXIT_STOPPED;
			return 0;
		}
		/* cleared first: an event arriving from now on sets it again */
		__atomic_and_fetch(&v->requests, ~VCPU_REQ_MP, __ATOMIC_SEQ_CST);
		irqchip_poll(v); /* collects INIT/SIPI from the LAPIC */
		vcpu_mp_apply_events(v);
		if (v->mp_state == VCPU_MP_RUNNABLE && !v->mp_events) {
			__atomic_fetch_or(&v->requests, VCPU_REQ_DEVICE, __ATOMIC_RELAXED);
			return 1;
		}
		if (v->requests & VCPU_REQ_SNAPSHOT)
			vmx_serve_snapshot(v);
		sleep_until_kicked(v, UINT64_MAX);
		__atomic_and_fetch(&v->requests, ~VCPU_REQ_DEVICE, __ATOMIC_RELAXED);
	}
}
