/* Reading and writing guest memory by guest-linear address from an exit
 * handler (on the vCPU's own CPU, its VMCS current). */
#ifndef VMX_GUEST_MEM_H
#define VMX_GUEST_MEM_H

#include "hv/gpt.h"
#include "hv/vm.h"

int vmx_gla_to_gpa(struct vcpu *v, uint64_t gla, bool write, uint64_t *gpa);
/* A read translation with the paging state the caller read already, the
 * page-table entries it reads recorded in *path. */
int vmx_walk_for_fetch(struct vcpu *v, enum gpt_mode mode, uint64_t cr3, bool pse, uint64_t gla,
		       struct gpt_path *path, uint64_t *gpa);
int vmx_read_gla(struct vcpu *v, uint64_t gla, void *buf, size_t len);
int vmx_write_gla(struct vcpu *v, uint64_t gla, const void *buf, size_t len);

#endif
