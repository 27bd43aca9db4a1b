/* The backend interface (KVM's kvm_x86_ops): everything vendor-specific the
 * generic core needs. vmx/backend.c provides the Intel implementation; an
 * AMD SVM backend would provide another table and touch nothing in hv/. */
#ifndef HV_ARCH_H
#define HV_ARCH_H

#include "hv/compiler.h"
#include "hv/memslot.h"
#include "hv/regs.h"

struct vm;
struct vcpu;

struct arch_ops {
	const char *name;
	uint64_t max_gpa; /* guest-physical addresses the second-level tables reach */
	int (*hardware_init)(void); /* on every CPU; 0 or -ENODEV with a logged reason */
	int (*vm_init)(struct vm *vm);
	void (*vm_destroy)(struct vm *vm);
	/* Keeps the second-level page tables in step with a slot change. */
	int (*memslot_changed)(struct vm *vm, const struct memslot *old, const struct memslot *new);
	int (*vcpu_init)(struct vcpu *v);    /* allocate: any CPU */
	void (*vcpu_destroy)(struct vcpu *v);
	/* Runs the vCPU on the current CPU until an exit leaves the core. */
	int (*vcpu_run)(struct vcpu *v);
	void (*vcpu_dump)(struct vcpu *v); /* register dump for reports */
	/* Copies the guest's registers into v->snap (operator tools); on the
	 * vCPU's own CPU, between entries. */
	void (*vcpu_snapshot)(struct vcpu *v);
	/* Back to power-on state before new regs/sregs are set; on its CPU. */
	void (*vcpu_reset)(struct vcpu *v);
	/* MSRs as the guest sees them; on the vCPU's own CPU (its state lives
	 * there). -EINVAL for an MSR the guest could not access either. */
	int (*get_msr)(struct vcpu *v, uint32_t msr, uint64_t *val);
	int (*set_msr)(struct vcpu *v, uint32_t msr, uint64_t val);
	uint64_t (*gva_to_gpa)(struct vcpu *v, uint64_t gva, bool *ok);
	long (*check_extension)(int cap);
	const char *(*exit_reason_name)(uint32_t reason);
};

extern const struct arch_ops *g_arch;
void arch_set(const struct arch_ops *ops);

#endif
