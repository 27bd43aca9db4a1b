/* VM and vCPU lifecycle, memory regions, and guest-physical copies. */
#include "hv/vm.h"
#include "hv/arch.h"
#include "hv/board.h"
#include "hv/irqchip.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"
#include "hv/percpu.h"
#include "hv/trap.h"
#include "drivers/lapic.h"
#include "drivers/tsc.h"
#include "mm/heap.h"

const struct arch_ops *g_arch;
static struct vm *vm_list;
static spinlock_t vm_list_lock = SPINLOCK_INIT;
static uint32_t next_vm_id = 1;

void arch_set(const struct arch_ops *ops)
{
	g_arch = ops;
}

struct vm *vm_first(void)
{
	return vm_list;
}

struct vm *vm_find(const char *name)
{
	for (struct vm *vm = vm_list; vm; vm = vm->next)
		if (!strcmp(vm->name, name))
			return vm;
	return NULL;
}

int vm_create(const char *name, struct vm **out)
{
	if (!g_arch)
		return -ENODEV;
	if (strlen(name) >= VM_NAME_MAX || !name[0])
		return -EINVAL;
	if (vm_find(name))
		return -EEXIST;
	struct vm *vm = kmalloc(sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	memcpy(vm->name, name, strlen(name) + 1);
	int err = g_arch->vm_init(vm);
	if (err) {
		kfree(vm);
		return err;
	}
	vm->clock_base_tsc = rdtsc();
	spin_lock(&vm_list_lock);
	vm->id = next_vm_id++;
	vm->next = vm_list;
	vm_list = vm;
	spin_unlock(&vm_list_lock);
	*out = vm;
	return 0;
}

void vm_destroy(struct vm *vm)
{
	spin_lock(&vm_list_lock);
	for (struct vm **p = &vm_list; *p; p = &(*p)->next) {
		if (*p == vm) {
			*p = vm->next;
			break;
		}
	}
	spin_unlock(&vm_list_lock);
	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		g_arch->vcpu_destroy(vm->vcpus[i]);
		kfree(vm->vcpus[i]->run);
		kfree(vm->vcpus[i]);
	}
	for (uint32_t i = 0; i < MEMSLOT_MAX; i++)
		kfree(vm->slots.slot[i].dirty_bitmap);
	if (vm->board)
		board_destroy(vm);
	if (vm->irqchip)
		irqchip_destroy(vm);
	g_arch->vm_destroy(vm);
	kfree(vm);
}

int vm_set_memory_region(struct vm *vm, const struct memory_region *r)
{
	enum memslot_change change;
	uint64_t *bitmap = NULL, *old_bitmap = NULL;

	/* Host page 0 is never guest RAM here, and "0" means "no backing" to
	 * memslot_gpa_to_hpa(). */
	if (r->memory_size && !r->host_phys_addr)
		return -EINVAL;
	if (r->memory_size && g_arch->max_gpa && r->guest_phys_addr + r->memory_size > g_arch->max_gpa)
		return -EINVAL;
	spin_lock(&vm->lock);
	int err = memslots_check(&vm->slots, r, &change);
	if (err || change == MEMSLOT_UNCHANGED)
		goto out;
	struct memslots before = vm->slots;
	if (memslot_change_needs_bitmap(&vm->slots, r, change)) {
		bitmap = kmalloc(memslot_dirty_words(r->memory_size) * sizeof(uint64_t));
		if (!bitmap) {
			err = -ENOMEM;
			goto out;
		}
	}
	const struct memslot old = vm->slots.slot[r->slot];
	memslots_apply(&vm->slots, r, change, bitmap, &old_bitmap);
	const struct memslot *new = vm->slots.slot[r->slot].used ? &vm->slots.slot[r->slot] : NULL;
	err = g_arch->memslot_changed(vm, old.used ? &old : NULL, new);
	if (err) {
		/* Put the slots and the second-level tables back as they were. */
		g_arch->memslot_changed(vm, new, old.used ? &old : NULL);
		/* A vCPU may have translated through the failed change: the
		 * restored slots carry a number never seen before. */
		before.generation = vm->slots.generation + 1;
		vm->slots = before;
		kfree(bitmap);
		goto out;
	}
	kfree(old_bitmap);
out:
	spin_unlock(&vm->lock);
	return err;
}

int vm_get_dirty_log(struct vm *vm, uint32_t slot, uint64_t *bitmap, size_t words)
{
	spin_lock(&vm->lock);
	int err = memslot_get_dirty_log(&vm->slots, slot, bitmap, words);
	/* Write-protect the slot again so the next writes are caught. */
	if (!err)
		err = g_arch->memslot_changed(vm, &vm->slots.slot[slot], &vm->slots.slot[slot]);
	spin_unlock(&vm->lock);
	return err;
}

int vm_read_phys(struct vm *vm, uint64_t gpa, void *buf, size_t len)
{
	uint64_t hpa = memslot_gpa_to_hpa(&vm->slots, gpa, len);
	if (!hpa || !len)
		return -EFAULT;
	memcpy(buf, (const void *)hpa, len);
	return 0;
}

int vm_write_phys(struct vm *vm, uint64_t gpa, const void *buf, size_t len)
{
	const struct memslot *s = memslot_find(&vm->slots, gpa);
	uint64_t hpa = memslot_gpa_to_hpa(&vm->slots, gpa, len);
	if (!hpa || !len || !s || (s->flags & MEM_READONLY))
		return -EFAULT;
	memcpy((void *)hpa, buf, len);
	return 0;
}

int vcpu_create(struct vm *vm, uint32_t id, uint32_t pcpu, struct vcpu **out)
{
	if (vm->vcpu_count == VM_MAX_VCPUS || id >= VM_MAX_VCPUS)
		return -EINVAL;
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i]->id == id)
			return -EEXIST;
	struct vcpu *v = kmalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->run = kmalloc(sizeof(*v->run));
	if (!v->run) {
		kfree(v);
		return -ENOMEM;
	}
	v->vm = vm;
	v->id = id;
	v->pcpu = pcpu;
	int err = g_arch->vcpu_init(v);
	if (err) {
		kfree(v->run);
		kfree(v);
		return err;
	}
	spin_lock(&vm->lock);
	vm->vcpus[vm->vcpu_count++] = v;
	spin_unlock(&vm->lock);
	*out = v;
	return 0;
}

int vcpu_run(struct vcpu *v)
{
	/* A hypercall the VMM layer answered: its result goes into RAX. */
	if (v->run->exit_reason == EXIT_HYPERCALL)
		v->regs.gpr[GPR_RAX] = v->run->hypercall.ret;
	v->run->exit_reason = EXIT_NONE;
	this_cpu()->current_vcpu = v;
	return g_arch->vcpu_run(v);
}

void vcpu_get_regs(struct vcpu *v, struct regs *r)
{
	*r = v->regs;
}

void vcpu_set_regs(struct vcpu *v, const struct regs *r)
{
	v->regs = *r;
	v->regs_dirty = true;
}

void vcpu_get_sregs(struct vcpu *v, struct sregs *s)
{
	*s = v->sregs;
}

void vcpu_set_sregs(struct vcpu *v, const struct sregs *s)
{
	v->sregs = *s;
	v->sregs_dirty = true;
}

void vcpu_take_snapshot(struct vcpu *v)
{
	if (g_arch && g_arch->vcpu_snapshot)
		g_arch->vcpu_snapshot(v);
	__atomic_add_fetch(&v->snap.seq, 1, __ATOMIC_RELEASE);
}

int vcpu_request_snapshot(struct vcpu *v, uint64_t timeout_ns)
{
	uint32_t seq = __atomic_load_n(&v->snap.seq, __ATOMIC_ACQUIRE);
	uint64_t end = rdtsc() + ns_to_tsc(timeout_ns);
	vcpu_kick(v, VCPU_REQ_SNAPSHOT);
	while (__atomic_load_n(&v->snap.seq, __ATOMIC_ACQUIRE) == seq) {
		if (rdtsc() > end)
			return -ETIMEDOUT;
		cpu_relax();
	}
	return 0;
}

void vcpu_kick(struct vcpu *v, uint32_t request)
{
	__atomic_fetch_or(&v->requests, request, __ATOMIC_SEQ_CST);
	if (v->pcpu != this_cpu_index() && v->pcpu < g_cpu_count)
		lapic_send_ipi(g_cpus[v->pcpu]->apic_id, VEC_WAKE);
}

uint64_t vm_clock_ns(const struct vm *vm)
{
	return tsc_to_ns(rdtsc() - vm->clock_base_tsc);
}

static uint64_t vclock_now_ns(void *vm)
{
	return vm_clock_ns(vm);
}

struct vclock vm_vclock(struct vm *vm)
{
	return (struct vclock){vclock_now_ns, vm};
}

uint64_t vm_ns_to_tsc(const struct vm *vm, uint64_t ns)
{
	uint64_t t = ns_to_tsc(ns);
	return t > UINT64_MAX - vm->clock_base_tsc ? UINT64_MAX : vm->clock_base_tsc + t;
}

int vcpu_get_msr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	return g_arch->get_msr(v, msr, val);
}

int vcpu_set_msr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	return g_arch->set_msr(v, msr, val);
}

void vcpu_stats_sum(const struct vm *vm, struct vcpu_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		const struct vcpu_stats *s = &vm->vcpus[i]->stats;
		out->exits += s->exits;
		for (int r = 0; r < STATS_EXIT_REASONS; r++)
			out->exit_reason[r] += s->exit_reason[r];
		out->io_exits += s->io_exits;
		out->mmio_exits += s->mmio_exits;
		out->emulated_mmio += s->emulated_mmio;
		out->halts += s->halts;
		out->hypercalls += s->hypercalls;
		out->injections += s->injections;
	}
}

long hv_check_extension(enum hv_cap cap)
{
	switch (cap) {
	case CAP_MAX_VCPUS: return VM_MAX_VCPUS;
	case CAP_NR_MEMSLOTS: return MEMSLOT_MAX;
	case CAP_READONLY_MEM: return 1;
	case CAP_DIRTY_LOG: return 1;
	default: return g_arch && g_arch->check_extension ? g_arch->check_extension(cap) : 0;
	}
}
