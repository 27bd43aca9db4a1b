/* VM-exit handlers shared between vmx/exit*.c. */
#ifndef VMX_EXIT_H
#define VMX_EXIT_H

#include "vmx/vmx_vcpu.h"

#include "vmx/vmcs_fields.h"
#include "vmx/vmx_insn.h"

/* Bit 31 of the IDT-vectoring information: an event's delivery was
 * under way when the exit came (SDM 3C 25.9.3). */
#define VMX_IDT_VECTORING_VALID (1U << 31)

/* inject.c: keeps the interrupted event `info` for re-injection. */
void vmx_save_idt_vectoring(struct vcpu *v, uint32_t info);

/* For exits that can interrupt event delivery (exceptions, interrupts, EPT,
 * task switch, INIT, preemption timer; never instruction exits): keeps an
 * interrupted event for re-injection (SDM 3C 28.2.4). Inline: MMIO exits
 * are among them, and the event is rare. */
static inline void vmx_check_idt_vectoring(struct vcpu *v)
{
	uint32_t info = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);
	if (unlikely(info & VMX_IDT_VECTORING_VALID))
		vmx_save_idt_vectoring(v, info);
}

/* RIP past the instruction that exited (valid for instruction exits);
 * every entry writes v->regs.rip back. */
static inline void vmx_skip_instruction(struct vcpu *v)
{
	v->regs.rip += vmread(VMCS_EXIT_INSTRUCTION_LEN);
}

uint64_t vmx_gpr_width_mask(struct vcpu *v);
int vmx_stop_with_report(struct vcpu *v, uint32_t suberror, const char *what);

/* The dispatch table (exit.c), indexed by the basic exit reason; NULL
 * entries are unexpected exits. */
typedef int (*vmx_exit_handler)(struct vcpu *v);
#define VMX_EXIT_HANDLERS 80
extern const vmx_exit_handler vmx_exit_handlers[VMX_EXIT_HANDLERS];
int vmx_unexpected_exit(struct vcpu *v);

/* 1: back into the guest; 0: leave vcpu_run() with v->run filled. */
static inline int vmx_dispatch_exit(struct vcpu *v, uint32_t basic_reason)
{
	vmx_exit_handler h = likely(basic_reason < VMX_EXIT_HANDLERS) ? vmx_exit_handlers[basic_reason] : NULL;
	return likely(h) ? h(v) : vmx_unexpected_exit(v);
}

int vmx_handle_io(struct vcpu *v);
int vmx_handle_cpuid(struct vcpu *v);
int vmx_handle_rdmsr(struct vcpu *v);
int vmx_handle_wrmsr(struct vcpu *v);
int vmx_handle_ept_violation(struct vcpu *v);
/* Emulates the instruction at RIP as an MMIO access to `gpa` (gla may be
 * INSN_GLA_UNKNOWN); the exit handlers' return convention. */
int vmx_emulate_mmio_at(struct vcpu *v, uint64_t gpa, uint64_t gla, bool write);
int vmx_handle_cr_access(struct vcpu *v);
/* Completes an IN or MMIO read the VMM layer answered (at the next run):
 * 0 = enter the guest, 1 = leave again (v->run filled: the write half of a
 * read-modify-write), negative = failure. */
int vmx_complete_pending(struct vcpu *v);
int vmx_complete_io_in(struct vcpu *v, bool string);

#endif
