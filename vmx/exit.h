/* VM-exit handlers shared between vmx/exit*.c. */
#ifndef VMX_EXIT_H
#define VMX_EXIT_H

#include "vmx/vmx_vcpu.h"

void vmx_skip_instruction(struct vcpu *v);
uint64_t vmx_gpr_width_mask(struct vcpu *v);
int vmx_stop_with_report(struct vcpu *v, uint32_t suberror, const char *what);

int vmx_handle_io(struct vcpu *v);
int vmx_handle_ept_violation(struct vcpu *v);
int vmx_handle_cr_access(struct vcpu *v);
/* Completes an IN or MMIO read the VMM layer answered (at the next run). */
int vmx_complete_pending(struct vcpu *v);
int vmx_complete_io_in(struct vcpu *v, bool string);

#endif
