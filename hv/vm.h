/* Virtual machines and vCPUs: KVM's object model (struct kvm, struct
 * kvm_vcpu) inside the hypervisor. See ../shared/DESIGN.md. */
#ifndef HV_VM_H
#define HV_VM_H

#include "hv/compiler.h"
#include "hv/devmodel.h"
#include "hv/errno.h"
#include "hv/iobus.h"
#include "hv/memslot.h"
#include "hv/regs.h"
#include "hv/run.h"
#include "hv/spinlock.h"
#include "hv/stats.h"

#define VM_MAX_VCPUS 16
#define VM_NAME_MAX 32

enum vm_state { VM_CREATED, VM_RUNNING, VM_STOPPED };

/* A vCPU's multiprocessor state (KVM's mp_state): application processors
 * start waiting for a STARTUP IPI and enter the guest only after one
 * (SDM 3A 10.4.4 MP initialization protocol). */
enum vcpu_mp_state { VCPU_MP_RUNNABLE, VCPU_MP_WAIT_SIPI };
#define VCPU_MP_EV_INIT (1U << 0)
#define VCPU_MP_EV_SIPI (1U << 1)

/* Requests to a vCPU (KVM's vcpu->requests): set by anyone, with a kick. */
#define VCPU_REQ_EVENT (1U << 0) /* an interrupt or NMI may be deliverable */
#define VCPU_REQ_STOP (1U << 1)  /* leave vcpu_run() with EXIT_STOPPED */
#define VCPU_REQ_TIMER (1U << 2) /* device timers may have changed: poll and re-arm */
#define VCPU_REQ_MP (1U << 3)    /* INIT/SIPI arrived, or the vCPU waits for a SIPI */
#define VCPU_REQ_SNAPSHOT (1U << 4) /* copy the registers into snap (the shell's `regs`) */
#define VCPU_REQ_DEVICE (VCPU_REQ_EVENT | VCPU_REQ_TIMER) /* a device was touched */

/* The registers of a vCPU as its own CPU last copied them. */
struct vcpu_snapshot {
	struct regs regs;
	struct sregs sregs;
	volatile uint32_t seq; /* bumped after each copy */
};

struct vcpu {
	struct vm *vm;
	volatile uint32_t requests;
	volatile bool nmi_pending;
	uint32_t id;
	uint32_t pcpu;          /* the physical CPU it runs on, exclusively */
	struct vcpu_run *run;
	struct regs regs;       /* GPRs, RIP, RFLAGS: current after every exit */
	struct sregs sregs;     /* loaded at the first entry, or when dirty */
	bool regs_dirty, sregs_dirty;
	bool started;
	volatile enum vcpu_mp_state mp_state;
	volatile uint32_t mp_events; /* VCPU_MP_EV_*, taken from its LAPIC */
	uint8_t sipi_vector;
	struct vcpu_stats stats;
	struct vcpu_snapshot snap; /* registers as of snap.seq (vcpu_snapshot()) */
	volatile bool halted;   /* sleeping in HLT (the shell's vCPU state) */
	struct io_bus_cache bus_cache[IO_BUS_COUNT];
	struct vlapic *lapic;   /* its in-core LAPIC, NULL without an irqchip */
	void *arch;
};

struct vlapic;

struct vm {
	char name[VM_NAME_MAX];
	uint32_t id;
	spinlock_t lock;        /* memslots and vCPU list */
	struct memslots slots;
	struct io_bus bus[IO_BUS_COUNT];
	struct vcpu *vcpus[VM_MAX_VCPUS];
	uint32_t vcpu_count;
	volatile enum vm_state state;
	uint64_t clock_base_tsc; /* the VM's clock starts at 0 here */
	void *irqchip;           /* hv/irqchip.c, NULL when the VM has none */
	spinlock_t irq_lock;     /* serializes the irqchip and board models */
	void *board;             /* hv/board.c */
	void *arch;
	void *vmm;              /* the VMM layer's own state */
	struct vm *next;        /* global VM list */
};

/* Capability query (KVM_CHECK_EXTENSION). */
enum hv_cap {
	CAP_MAX_VCPUS,
	CAP_NR_MEMSLOTS,
	CAP_IRQCHIP,
	CAP_READONLY_MEM,
	CAP_DIRTY_LOG,
	CAP_EPT_2M_PAGES,
	CAP_EPT_1G_PAGES,
	CAP_UNRESTRICTED_GUEST,
	CAP_VPID,
};
long hv_check_extension(enum hv_cap cap);

/* VMs: -ENODEV when the hardware cannot run VMs, -EEXIST for a taken name. */
int vm_create(const char *name, struct vm **out);
void vm_destroy(struct vm *vm);
struct vm *vm_find(const char *name);
struct vm *vm_first(void);

/* KVM_SET_USER_MEMORY_REGION; the second-level page tables follow. */
int vm_set_memory_region(struct vm *vm, const struct memory_region *r);
int vm_get_dirty_log(struct vm *vm, uint32_t slot, uint64_t *bitmap, size_t words);
/* Copies between guest-physical memory (inside one slot) and a buffer. */
int vm_read_phys(struct vm *vm, uint64_t gpa, void *buf, size_t len);
int vm_write_phys(struct vm *vm, uint64_t gpa, const void *buf, size_t len);

/* vCPUs */
int vcpu_create(struct vm *vm, uint32_t id, uint32_t pcpu, struct vcpu **out);
/* Runs on the vCPU's own physical CPU until an exit leaves the core; the
 * reason is in v->run->exit_reason. */
int vcpu_run(struct vcpu *v);
void vcpu_get_regs(struct vcpu *v, struct regs *r);
void vcpu_set_regs(struct vcpu *v, const struct regs *r);
void vcpu_get_sregs(struct vcpu *v, struct sregs *s);
void vcpu_set_sregs(struct vcpu *v, const struct sregs *s);
/* A vCPU's access to one of its VM's buses, as the exit handlers of any
 * backend make it: 0 or the device's result, -ENODEV when no in-core
 * device claims it (the access is the VMM layer's). In-core devices are
 * serialized by the VM's irq lock; a write may change what is deliverable
 * or when a timer fires, so it asks for both to be looked at again (unless
 * the device signals its own writes' effects: IO_DEV_WRITES_SIGNAL_THEMSELVES).
 * Inline, always: port I/O and MMIO exits go through it. */
static inline __attribute__((always_inline)) int vcpu_bus_access(struct vcpu *v, enum io_bus_kind kind,
								uint64_t addr, uint32_t len, bool write, uint64_t *val)
{
	const struct io_range *r = io_bus_find_cached(&v->vm->bus[kind], &v->bus_cache[kind], addr, len);
	if (!r)
		return -ENODEV;
	const struct io_device_ops *ops = r->dev->ops;
	if (write ? !ops->write : !ops->read)
		return -ENODEV;
	spin_lock(&v->vm->irq_lock);
	int err = write ? ops->write(r->dev, addr, len, *val) : ops->read(r->dev, addr, len, val);
	spin_unlock(&v->vm->irq_lock);
	if (write && !(r->dev->flags & IO_DEV_WRITES_SIGNAL_THEMSELVES))
		__atomic_fetch_or(&v->requests, VCPU_REQ_DEVICE, __ATOMIC_RELAXED);
	return err;
}

/* Makes the vCPU look at its requests soon: an IPI takes its CPU out of
 * guest mode or out of a halt. */
void vcpu_kick(struct vcpu *v, uint32_t request);
/* The VM's clock (struct vclock, hv/devmodel.h) and conversions. */
uint64_t vm_clock_ns(const struct vm *vm);
struct vclock vm_vclock(struct vm *vm);
uint64_t vm_ns_to_tsc(const struct vm *vm, uint64_t ns);

/* KVM_GET/SET_MSRS for one MSR; call on the vCPU's physical CPU (-EBUSY
 * elsewhere). */
int vcpu_get_msr(struct vcpu *v, uint32_t msr, uint64_t *val);
int vcpu_set_msr(struct vcpu *v, uint32_t msr, uint64_t val);
void vcpu_stats_sum(const struct vm *vm, struct vcpu_stats *out);
/* On the vCPU's own CPU, between entries: the registers into v->snap. */
void vcpu_take_snapshot(struct vcpu *v);
/* From any CPU: asks the vCPU's thread for a fresh copy and waits up to
 * timeout_ns for it; -ETIMEDOUT when it did not come (the copy in v->snap
 * is then the last one taken). */
int vcpu_request_snapshot(struct vcpu *v, uint64_t timeout_ns);

#endif
