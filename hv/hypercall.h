/* The hypercall ABI (docs/guest-abi.md): VMCALL with RAX = number,
 * arguments in RBX, RCX, RDX, RSI, result in RAX. */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include "hv/vm.h"

#define HC_NOP 0
#define HC_PRINT 1
#define HC_EXIT 2
#define HC_ENOSYS ((uint64_t)-1000) /* KVM's -KVM_ENOSYS */
#define HC_PRINT_MAX 4096

/* Called after RIP moved past the VMCALL. `mask` is the guest's register
 * width (32 bits outside 64-bit mode). Returns 1 when handled in the core,
 * 0 when the VMM layer takes it (EXIT_HYPERCALL; its result goes into RAX
 * at the next vcpu_run()). */
int hypercall_dispatch(struct vcpu *v, uint64_t mask);

#endif
