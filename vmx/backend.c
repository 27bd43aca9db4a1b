/* The Intel VMX implementation of the backend interface (hv/arch.h). */
#include "hv/arch.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/percpu.h"
#include "hv/string.h"
#include "hv/x86.h"
#include "mm/heap.h"
#include "mm/pmm.h"
#include "vmx/exit_info.h"
#include "vmx/fpu.h"
#include "vmx/guest_check.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx.h"
#include "vmx/vmx_insn.h"
#include "vmx/vmx_vcpu.h"
#include "vmx/exit.h"
#include "vmx/apicv.h"

int vmx_enter(uint64_t *gprs, int launched, uint64_t *host_rsp_cache);

static volatile uint32_t next_vpid = 1;

/* Page-table pages for EPT come from the frame allocator, identity mapped. */
static void *ept_alloc(void *ctx, uint64_t *phys)
{
	uint64_t pa = pmm_alloc(&g_pmm, 1, PAGE_SIZE, 0);
	if (!pa)
		return NULL;
	memset((void *)pa, 0, PAGE_SIZE);
	*phys = pa;
	return (void *)pa;
}

static void ept_free(void *ctx, void *table, uint64_t phys)
{
	struct vmx_vm *x = ctx;
	if (x->deferred_count < EPT_DEFERRED_MAX)
		x->deferred_free[x->deferred_count++] = phys;
	else
		pr_warn("vmx: EPT table at 0x%llx leaked (deferred-free list full)", (unsigned long long)phys);
}

static void *ept_to_virt(void *ctx, uint64_t phys)
{
	return (void *)phys;
}


uint64_t vmx_zeroed_pages(uint64_t n, uint8_t fill)
{
	uint64_t pa = pmm_alloc(&g_pmm, n, PAGE_SIZE, 0);
	if (pa)
		memset((void *)pa, fill, n * PAGE_SIZE);
	return pa;
}

static int vmx_vm_init(struct vm *vm)
{
	struct vmx_vm *x = kmalloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	struct ept_ops ops = {ept_alloc, ept_free, ept_to_virt, x};
	int err = ept_init(&x->ept, &ops, g_vmx.ept_2m, g_vmx.ept_1g, false);
	/* Every port exits: in-core devices and the VMM layer decide. */
	x->io_bitmap[0] = vmx_zeroed_pages(1, 0xFF);
	x->io_bitmap[1] = vmx_zeroed_pages(1, 0xFF);
	x->msr_bitmap = vmx_zeroed_pages(1, 0xFF);
	if (err || !x->io_bitmap[0] || !x->io_bitmap[1] || !x->msr_bitmap) {
		pr_err("vmx: out of memory for a VM's EPT and bitmaps");
		return -ENOMEM;
	}
	vmx_msr_bitmap_init(x->msr_bitmap);
	vm->arch = x;
	return 0;
}

static void release_deferred(struct vmx_vm *x)
{
	for (uint32_t i = 0; i < x->deferred_count; i++)
		pmm_free(&g_pmm, x->deferred_free[i], 1);
	x->deferred_count = 0;
}

static void vmx_vm_destroy(struct vm *vm)
{
	struct vmx_vm *x = to_vmx_vm(vm);
	ept_destroy(&x->ept);
	release_deferred(x); /* its vCPUs are gone: nothing caches these */
	pmm_free(&g_pmm, x->io_bitmap[0], 1);
	pmm_free(&g_pmm, x->io_bitmap[1], 1);
	pmm_free(&g_pmm, x->msr_bitmap, 1);
	kfree(x);
}

/* Flushes guest-physical mappings of this VM on every CPU that may cache
 * them. Each VM's vCPUs run on their own CPUs, and a changing VM is
 * stopped or on its own CPU, so a global flush here is enough. */
static void flush_ept(struct vmx_vm *x)
{
	if (g_vmx.invept_single)
		invept(INVEPT_SINGLE_CONTEXT, ept_pointer(&x->ept));
	else
		invept(INVEPT_ALL_CONTEXTS, 0);
}

static uint32_t slot_prot(const struct memslot *s)
{
	/* Dirty logging write-protects the slot; the first write to each page
	 * faults, is logged, and makes that page writable again. */
	return s->flags & (MEM_READONLY | MEM_LOG_DIRTY_PAGES) ? EPT_READ | EPT_EXEC : EPT_RWX;
}

static int vmx_memslot_changed(struct vm *vm, const struct memslot *old, const struct memslot *new)
{
	struct vmx_vm *x = to_vmx_vm(vm);
	int err = 0;

	if (old && new && old->gpa == new->gpa && old->hpa == new->hpa && old->size == new->size) {
		/* same mapping, other rights (dirty logging on/off, log fetched) */
		err = ept_protect(&x->ept, new->gpa, new->size, slot_prot(new));
	} else {
		if (old)
			err = ept_unmap(&x->ept, old->gpa, old->size);
		if (!err && new)
			err = ept_map(&x->ept, new->gpa, new->hpa, new->size, slot_prot(new));
	}
	if (vmx_available())
		flush_ept(x);
	release_deferred(x);
	return err;
}

static int vmx_vcpu_init(struct vcpu *v)
{
	struct vmx_vcpu *x = kmalloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->vmcs = vmx_zeroed_pages(1, 0);
	if (!x->vmcs) {
		kfree(x);
		return -ENOMEM;
	}
	x->loaded_cpu = -1;
	insn_cache_clear(&x->insn_cache);
	x->vpid = (uint16_t)__atomic_fetch_add(&next_vpid, 1, __ATOMIC_RELAXED);
	v->arch = x;
	int err = vmx_apicv_vcpu_init(v);
	if (err) {
		pmm_free(&g_pmm, x->vmcs, 1);
		kfree(x);
		v->arch = NULL;
	}
	return err;
}

static void vmx_vcpu_destroy(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	if (x->loaded_cpu == (int)this_cpu_index())
		vmclear(x->vmcs);
	vmx_apicv_vcpu_destroy(v);
	pmm_free(&g_pmm, x->vmcs, 1);
	kfree(x);
}

static void report_entry_failure(struct vcpu *v, bool vmfail)
{
	uint32_t err = vmfail ? (uint32_t)vmread(VMCS_VM_INSTRUCTION_ERROR) : 0;
	uint32_t reason = (uint32_t)vmread(VMCS_EXIT_REASON) & 0xFFFF;

	if (vmfail) {
		pr_err("vm %s: vcpu%u: VM entry failed: VM-instruction error %u (%s)", v->vm->name, v->id,
		       err, vmx_instruction_error_name(err));
		v->run->fail_entry.hardware_entry_failure_reason = err;
	} else {
		pr_err("vm %s: vcpu%u: VM entry failed: exit reason %u (%s), qualification 0x%llx",
		       v->vm->name, v->id, reason, vmx_exit_reason_name(reason),
		       (unsigned long long)vmread(VMCS_EXIT_QUALIFICATION));
		v->run->fail_entry.hardware_entry_failure_reason = reason;
	}
	if (!vmfail) { /* exit reason 33: invalid guest state, say which */
		struct guest_state g;
		char problems[GUEST_CHECK_MAX][96];
		vmcs_snapshot_guest(v, &g);
		int n = vmx_guest_state_problems(&g, problems, GUEST_CHECK_MAX);
		for (int i = 0; i < n && i < GUEST_CHECK_MAX; i++)
			pr_err("vm %s: vcpu%u:   offending guest state: %s", v->vm->name, v->id, problems[i]);
	}
	vmcs_dump(v);
	v->run->exit_reason = EXIT_FAIL_ENTRY;
}

void vmx_cache_regs(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	if (x->regs_cached)
		return;
	v->regs.gpr[GPR_RSP] = vmread(VMCS_GUEST_RSP);
	v->regs.rflags = vmread(VMCS_GUEST_RFLAGS);
	x->regs_cached = true;
}

static void sync_before_entry(struct vcpu *v)
{
	if (unlikely(v->sregs_dirty | v->regs_dirty)) {
		if (v->sregs_dirty) {
			vmcs_write_guest_sregs(v);
			v->sregs_dirty = false;
		}
		if (v->regs_dirty) {
			/* whole-register writes (loaders, emulation) have RSP/RFLAGS */
			vmwrite(VMCS_GUEST_RSP, v->regs.gpr[GPR_RSP]);
			vmwrite(VMCS_GUEST_RFLAGS, v->regs.rflags);
			v->regs_dirty = false;
		}
	}
	/* Unconditionally: most exits are instructions that advance RIP, and
	 * one VMWRITE costs less than tracking whether it changed. */
	vmwrite_unchecked(VMCS_GUEST_RIP, v->regs.rip);
}

/* Power-on (or post-INIT) state the VMCS does not hold by itself. */
static void first_run(struct vcpu *v, struct vmx_vcpu *x)
{
	vmx_msr_reset(v);
	vmx_cpuid_prepare(v);
	vmx_fpu_reset();
	vmwrite(VMCS_GUEST_IA32_PAT, x->msr.pat);
	v->started = true;
	/* first entry: arm whatever timers the devices start with */
	__atomic_fetch_or(&v->requests, VCPU_REQ_DEVICE, __ATOMIC_RELAXED);
}

static int vmx_vcpu_run(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	int err = vmcs_load(v);
	if (err)
		return err;
	if (!v->started)
		first_run(v, x);
	if (x->pending.kind != PENDING_NONE) {
		int c = vmx_complete_pending(v);
		if (c < 0) {
			vmx_stop_with_report(v, INTERNAL_EMULATION_FAILED, "completing I/O for the VMM layer failed");
			return 0;
		}
		if (c > 0)
			return 0;
	}
	for (;;) {
		/* One word says whether anything but "enter" is to be done:
		 * stop, events to inject, timers to re-arm. */
		if (unlikely(v->requests)) {
			if (v->requests & VCPU_REQ_STOP) {
				v->run->exit_reason = EXIT_STOPPED;
				return 0;
			}
			if (unlikely(v->requests & VCPU_REQ_SNAPSHOT))
				vmx_serve_snapshot(v);
			if (unlikely(!v->started)) /* after an INIT */
				first_run(v, x);
			vmx_apicv_take_tpr(v, x);
			vmx_prepare_entry_events(v);
			vmx_apicv_before_entry(v);
			/* INIT or SIPI arrived, or the vCPU waits for a SIPI */
			if (unlikely(v->requests & VCPU_REQ_MP)) {
				if (!vmx_wait_for_sipi(v))
					return 0;
				continue;
			}
		}
		sync_before_entry(v);
		irq_disable();
		int failed = vmx_enter(v->regs.gpr, x->launched, &x->host_rsp);
		if (unlikely(failed)) {
			irq_enable();
			report_entry_failure(v, true);
			return 0;
		}
		x->launched = true;
		x->exit_reason = (uint32_t)vmread(VMCS_EXIT_REASON);
		v->regs.rip = vmread(VMCS_GUEST_RIP);
		x->regs_cached = false;
		v->stats.exits++;
		v->stats.exit_reason[x->exit_reason & (STATS_EXIT_REASONS - 1)]++;
		if (unlikely(x->exit_reason & EXIT_REASON_ENTRY_FAILURE)) {
			irq_enable();
			report_entry_failure(v, false);
			return 0;
		}
		/* A host interrupt caused the exit (or arrived meanwhile): let
		 * the host take it now that we are back in root operation. */
		irq_enable();
		int r = vmx_dispatch_exit(v, x->exit_reason & 0xFFFF);
		if (r <= 0)
			return r;
	}
}

/* A guest-initiated reset: forget everything in flight and start over as
 * at the first run (MSRs, CPUID table, FPU state reset then). */
static void vmx_vcpu_reset(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	x->pending.kind = PENDING_NONE;
	x->mmio_have_value = false;
	x->reinject = 0;
	v->nmi_pending = false;
	__atomic_store_n(&v->requests, 0, __ATOMIC_SEQ_CST);
	v->started = false;
	if (x->loaded_cpu == (int)this_cpu_index()) {
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
		vmwrite(VMCS_GUEST_ACTIVITY_STATE, 0);
		vmwrite(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
		vmcs_write_run_controls(v);
	}
	x->timer_armed = false; /* a VMCS loaded elsewhere is set up again at its next load */
}

static int vmx_get_msr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	if (vmcs_load(v))
		return -EBUSY;
	return vmx_msr_read(v, msr, val);
}

static int vmx_set_msr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	if (vmcs_load(v))
		return -EBUSY;
	return vmx_msr_write(v, msr, val);
}

/* What the guest would see now: values set since the last exit (a reset,
 * emulation) are still in v->regs/v->sregs, not yet in the VMCS; reading
 * the VMCS over them would lose them. */
static void vmx_vcpu_snapshot(struct vcpu *v)
{
	bool current = to_vmx(v)->loaded_cpu == (int)this_cpu_index();
	if (current && !v->regs_dirty)
		vmx_cache_regs(v);
	v->snap.regs = v->regs;
	if (current && !v->sregs_dirty)
		vmcs_read_guest_sregs(v, &v->snap.sregs);
	else
		v->snap.sregs = v->sregs;
}

static void vmx_vcpu_dump(struct vcpu *v)
{
	vmcs_dump(v);
}

static long vmx_check_extension(int cap)
{
	switch (cap) {
	case CAP_EPT_2M_PAGES: return g_vmx.ept_2m;
	case CAP_EPT_1G_PAGES: return g_vmx.ept_1g;
	case CAP_UNRESTRICTED_GUEST: return g_vmx.unrestricted_guest;
	case CAP_VPID: return g_vmx.vpid;
	default: return 0;
	}
}

static const struct arch_ops vmx_ops = {
	.name = "vmx",
	.max_gpa = EPT_GPA_LIMIT,
	.vm_init = vmx_vm_init,
	.vm_destroy = vmx_vm_destroy,
	.memslot_changed = vmx_memslot_changed,
	.vcpu_init = vmx_vcpu_init,
	.vcpu_destroy = vmx_vcpu_destroy,
	.vcpu_run = vmx_vcpu_run,
	.vcpu_dump = vmx_vcpu_dump,
	.vcpu_snapshot = vmx_vcpu_snapshot,
	.vcpu_reset = vmx_vcpu_reset,
	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
	.check_extension = vmx_check_extension,
	.exit_reason_name = vmx_exit_reason_name,
};

int vmx_backend_init(void)
{
	if (!vmx_available())
		return -ENODEV;
	arch_set(&vmx_ops);
	return 0;
}
