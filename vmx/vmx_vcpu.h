/* Intel-specific per-VM and per-vCPU state (the `arch` pointers of struct
 * vm and struct vcpu). */
#ifndef VMX_VMX_VCPU_H
#define VMX_VMX_VCPU_H

#include "hv/compiler.h"
#include "hv/insn_cache.h"
#include "hv/vm.h"
#include "vmx/ept.h"

#define VMX_MTRR_VAR_COUNT 8

#define EPT_DEFERRED_MAX 64

struct vmx_vm {
	struct ept ept;
	/* Tables unlinked by an EPT change, freed only after the INVEPT that
	 * makes the CPU forget them. */
	uint64_t deferred_free[EPT_DEFERRED_MAX];
	uint32_t deferred_count;
	uint64_t io_bitmap[2];  /* physical addresses of bitmaps A and B */
	uint64_t msr_bitmap;
	uint64_t apic_access_page; /* host page behind the guest's xAPIC page, 0: none */
};

/* MSRs the guest reads and writes that the core emulates (vmx/msr.c). */
struct vmx_msr_state {
	uint64_t apic_base;
	uint64_t pat;
	uint64_t misc_enable;
	uint64_t tsc_offset;
	uint64_t mtrr_def_type;
	uint64_t mtrr_fixed[11];
	uint64_t mtrr_var[2 * VMX_MTRR_VAR_COUNT];
	uint64_t xcr0;
};

/* The guest's CPUID answers, computed once per (leaf, subleaf): they never
 * change for a vCPU, and a host CPUID is slow (an exit of its own when the
 * hypervisor itself runs nested). Direct-mapped. */
#define CPUID_CACHE_SIZE 32
#define CPUID_DIRECT_LEAVES 32
struct cpuid_cache_entry {
	uint32_t leaf, subleaf;
	bool valid;
	uint32_t eax, ebx, ecx, edx;
};

struct vmx_vcpu {
	uint64_t vmcs;          /* physical address of the VMCS region */
	int loaded_cpu;         /* -1: not current anywhere */
	bool launched;
	uint16_t vpid;
	uint64_t host_rsp;      /* last HOST_RSP written (vmx/entry.asm) */
	bool regs_cached;       /* v->regs RSP/RFLAGS read since the last exit */
	uint64_t cr0_shadow, cr4_shadow; /* what the guest believes */
	uint64_t cr8;           /* task priority until the in-core LAPIC owns it */
	struct vmx_msr_state msr;
	struct cpuid_cache_entry cpuid_cache[CPUID_CACHE_SIZE];
	struct cpuid_cache_entry cpuid_direct[CPUID_DIRECT_LEAVES];
	uint32_t exit_reason;   /* of the current exit */
	uint32_t reinject;      /* VM-entry info of an event an exit interrupted, 0: none */
	uint32_t reinject_error, reinject_len;
	bool timer_armed;       /* the preemption timer is in the pin controls */
	uint64_t exit_qual;
	/* An IN or MMIO read the VMM layer answers: finished at the next run. */
	struct {
		enum { PENDING_NONE, PENDING_IN, PENDING_INS, PENDING_MMIO_READ } kind;
		uint8_t size;
		uint32_t count;
		uint64_t gla;      /* INS: linear address of the first element */
		uint64_t gpa;      /* MMIO: address the read went to */
		uint64_t mmio_gla;
		uint64_t addr_mask;
		bool rep, df;
	} pending;
	bool mmio_have_value; /* the VMM's answer for pending.gpa is in run->mmio.data */
	struct insn_cache insn_cache; /* decoded MMIO instructions (vmx/exit_ept.c) */
	uint32_t proc, proc2;   /* this vCPU's execution controls at reset */
	uint32_t *vapic;        /* virtual-APIC page (vmx/apicv.c), NULL: none */
	uint32_t tpr_threshold;
	uint32_t vapic_generation; /* of the LAPIC when the page was filled */
	bool apic_access_on;    /* PROC2_VIRTUALIZE_APIC_ACCESSES is set now */
};

static inline struct vmx_vcpu *to_vmx(struct vcpu *v)
{
	return (struct vmx_vcpu *)v->arch;
}

static inline struct vmx_vm *to_vmx_vm(struct vm *vm)
{
	return (struct vmx_vm *)vm->arch;
}

/* vmcs.c */
int vmcs_load(struct vcpu *v);          /* VMCLEAR+VMPTRLD+full set-up on first use */
void vmcs_write_guest_sregs(struct vcpu *v);
void vmcs_write_run_controls(struct vcpu *v); /* the VMCS is current */
/* backend.c: n pages from the frame allocator, filled with `fill`; 0 when out */
uint64_t vmx_zeroed_pages(uint64_t n, uint8_t fill);
void vmcs_read_guest_sregs(struct vcpu *v, struct sregs *s);
void vmcs_dump(struct vcpu *v);
struct guest_state;
void vmcs_snapshot_guest(struct vcpu *v, struct guest_state *g);
uint64_t vmx_guest_cr0_for(uint64_t guest_cr0);
uint64_t vmx_guest_cr0(struct vmx_vcpu *x); /* as the guest sees it now */
uint64_t vmx_guest_cr4(struct vmx_vcpu *x);
uint64_t vmx_guest_cr4_for(uint64_t guest_cr4);

/* Reads RSP and RFLAGS into v->regs (the exit path reads only RIP). */
void vmx_cache_regs(struct vcpu *v);

/* cpuid.c: computes the vCPU's CPUID table (before its first run) */
void vmx_cpuid_prepare(struct vcpu *v);

void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);

/* inject.c */
void vmx_prepare_entry_events(struct vcpu *v);
bool vmx_interrupt_window_open(struct vcpu *v);
int vmx_halt(struct vcpu *v);
/* Serves a VCPU_REQ_SNAPSHOT (the registers into v->snap). */
void vmx_serve_snapshot(struct vcpu *v);
int vmx_wait_for_sipi(struct vcpu *v);

/* msr.c */
void vmx_msr_reset(struct vcpu *v);
int vmx_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);   /* -EINVAL: #GP */
int vmx_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
int vmx_msr_bitmap_init(uint64_t bitmap_phys);

#endif
