/* Reading and writing guest memory by guest-linear address from an exit
 * handler (on the vCPU's own CPU, its VMCS current). */
#ifndef VMX_GUEST_MEM_H
#define VMX_GUEST_MEM_H

#include "hv/vm.h"

int vmx_gla_to_gpa(struct vcpu *v, uint64_t gla, bool write, uint64_t *gpa);
int vmx_read_gla(struct vcpu *v, uint64_t gla, void *buf, size_t len);
int vmx_write_gla(struct vcpu *v, uint64_t gla, const void *buf, size_t len);

#endif
