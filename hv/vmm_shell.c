/* The operator shell's view of the VMs (struct shell_ops, hv/shell.h):
 * what `vms`, `regs`, `stats`, `mem`, `start`... see and do. Runs on the
 * boot CPU, from the console poll. */
#include "hv/vmm_priv.h"
#include "hv/arch.h"
#include "hv/console.h"
#include "hv/errno.h"
#include "hv/format.h"
#include "hv/log.h"
#include "hv/percpu.h"
#include "hv/poweroff.h"
#include "hv/shutdown.h"
#include "hv/string.h"

#define SNAPSHOT_WAIT_NS 100000000ULL /* 100 ms: a vCPU that does not answer is stuck */

/* The console adds CR before LF itself: drop the shell's own. */
static void shell_write(void *ctx, const char *s, size_t len)
{
	char buf[128];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
			continue;
		buf[n++] = s[i];
		if (n == sizeof(buf)) {
			console_write_line(buf, n);
			n = 0;
		}
	}
	if (n)
		console_write_line(buf, n);
}

static uint32_t shell_vm_count(void *ctx)
{
	return vmm_vm_count();
}

static struct vm *vm_at(uint32_t i)
{
	return i < vmm_vm_count() ? vmm_vm_at(i) : NULL;
}

static int shell_vm_info(void *ctx, uint32_t index, struct shell_vm_info *out)
{
	struct vm *vm = vm_at(index);
	if (!vm)
		return -ENOENT;
	struct vmm_vm *m = vmm_of(vm);
	struct vcpu_stats st;
	vcpu_stats_sum(vm, &st);
	hv_snprintf(out->name, sizeof(out->name), "%s", vm->name);
	out->state = vmm_vm_state(vm);
	out->reason = m->reason;
	out->cpu_count = MIN(vm->vcpu_count, (uint32_t)SHELL_VM_CPUS_MAX);
	for (uint32_t i = 0; i < out->cpu_count; i++)
		out->cpus[i] = vm->vcpus[i]->pcpu;
	out->memory = m->cfg->memory;
	out->exits = st.exits;
	out->restarts = m->restarts;
	return 0;
}

static const char *vcpu_state(struct vcpu *v)
{
	if (v->vm->state != VM_RUNNING || !vmm_of(v->vm)->threads)
		return "stopped";
	if (v->mp_state == VCPU_MP_WAIT_SIPI)
		return "wait-for-sipi";
	return v->halted ? "halted" : "running";
}

static struct vcpu *vcpu_at(uint32_t vmi, uint32_t i)
{
	struct vm *vm = vm_at(vmi);
	return vm && i < vm->vcpu_count ? vm->vcpus[i] : NULL;
}

static int shell_vcpu_info(void *ctx, uint32_t vmi, uint32_t i, struct shell_vcpu_info *out)
{
	struct vcpu *v = vcpu_at(vmi, i);
	if (!v)
		return -ENOENT;
	out->pcpu = v->pcpu;
	out->state = vcpu_state(v);
	out->exits = v->stats.exits;
	out->rip = v->regs.rip;
	return 0;
}

static void put(struct shell_values *out, const char *name, uint64_t value)
{
	if (out->count >= SHELL_VALUES_MAX)
		return;
	struct shell_value *sv = &out->v[out->count++];
	hv_snprintf(sv->name, sizeof(sv->name), "%s", name);
	sv->value = value;
}

static void put_segment(struct shell_values *out, const char *name, const struct segment *s)
{
	char n[SHELL_VALUE_NAME];
	hv_snprintf(n, sizeof(n), "%s", name);
	put(out, n, s->selector);
	hv_snprintf(n, sizeof(n), "%s.base", name);
	put(out, n, s->base);
}

/* A running vCPU copies its registers on its own CPU when asked; one on
 * this CPU (the shell runs in its thread's host poll) copies them now; a
 * stopped one left its last copy when its thread ended. */
static int shell_vcpu_regs(void *ctx, uint32_t vmi, uint32_t i, struct shell_values *out)
{
	static const char *const gpr_names[GPR_COUNT] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
							 "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
	struct vcpu *v = vcpu_at(vmi, i);
	if (!v)
		return -ENOENT;
	bool live = v->vm->state == VM_RUNNING && vmm_of(v->vm)->threads;
	if (live && v->pcpu == this_cpu_index())
		vcpu_take_snapshot(v);
	else if (live && vcpu_request_snapshot(v, SNAPSHOT_WAIT_NS))
		return -EBUSY;
	const struct regs *r = &v->snap.regs;
	const struct sregs *s = &v->snap.sregs;
	put(out, "rip", r->rip);
	put(out, "rflags", r->rflags);
	for (int g = 0; g < GPR_COUNT; g++)
		put(out, gpr_names[g], r->gpr[g]);
	put(out, "cr0", s->cr0);
	put(out, "cr2", s->cr2);
	put(out, "cr3", s->cr3);
	put(out, "cr4", s->cr4);
	put(out, "efer", s->efer);
	put_segment(out, "cs", &s->cs);
	put_segment(out, "ss", &s->ss);
	put_segment(out, "ds", &s->ds);
	put_segment(out, "es", &s->es);
	put_segment(out, "fs", &s->fs);
	put_segment(out, "gs", &s->gs);
	put(out, "gdt.base", s->gdt.base);
	put(out, "idt.base", s->idt.base);
	return 0;
}

static int shell_vm_stats(void *ctx, uint32_t vmi, struct shell_values *out)
{
	struct vm *vm = vm_at(vmi);
	if (!vm)
		return -ENOENT;
	struct vcpu_stats st;
	vcpu_stats_sum(vm, &st);
	put(out, "exits", st.exits);
	put(out, "injections", st.injections);
	put(out, "halts", st.halts);
	put(out, "io_to_vmm", st.io_exits);
	put(out, "mmio_to_vmm", st.mmio_exits);
	put(out, "mmio_emulated", st.emulated_mmio);
	put(out, "hypercalls", st.hypercalls);
	for (int r = 0; r < STATS_EXIT_REASONS; r++) {
		if (st.exit_reason[r] && g_arch) {
			char n[SHELL_VALUE_NAME];
			hv_snprintf(n, sizeof(n), "exit.%s", g_arch->exit_reason_name((uint32_t)r));
			put(out, n, st.exit_reason[r]);
		}
	}
	return 0;
}

static int shell_read_guest(void *ctx, uint32_t vmi, uint64_t gpa, void *buf, size_t len)
{
	struct vm *vm = vm_at(vmi);
	if (!vm)
		return -ENOENT;
	/* page by page: a range may span two slots (RAM, then a shared one) */
	for (size_t done = 0; done < len;) {
		uint64_t a = gpa + done;
		size_t n = (size_t)MIN((uint64_t)(len - done), PAGE_SIZE - (a & (PAGE_SIZE - 1)));
		if (vm_read_phys(vm, a, (uint8_t *)buf + done, n))
			return -EFAULT;
		done += n;
	}
	return 0;
}

static int shell_vm_control(void *ctx, uint32_t vmi, enum shell_vm_action a, char *msg, size_t msglen)
{
	struct vm *vm = vm_at(vmi);
	if (!vm)
		return -ENOENT;
	switch (a) {
	case SHELL_VM_START: return vmm_vm_start(vm, msg, msglen);
	case SHELL_VM_STOP: return vmm_vm_stop(vm, msg, msglen);
	case SHELL_VM_RESTART: return vmm_vm_restart(vm, msg, msglen);
	}
	return -EINVAL;
}

static int shell_set_log_level(void *ctx, int level)
{
	printk_set_level(level);
	return 0;
}

static int shell_get_log_level(void *ctx)
{
	return printk_get_level();
}

static void shell_machine(void *ctx, enum shell_machine_action a)
{
	if (a == SHELL_POWEROFF)
		poweroff();
	else
		machine_reboot();
}

static int shell_attach(void *ctx, uint32_t vmi)
{
	struct vm *vm = vm_at(vmi);
	return vm ? vmm_console_attach(vm) : -ENOENT;
}

const struct shell_ops vmm_shell_ops = {
	.write = shell_write,
	.vm_count = shell_vm_count,
	.vm_info = shell_vm_info,
	.vcpu_info = shell_vcpu_info,
	.vcpu_regs = shell_vcpu_regs,
	.vm_stats = shell_vm_stats,
	.read_guest = shell_read_guest,
	.vm_control = shell_vm_control,
	.set_log_level = shell_set_log_level,
	.get_log_level = shell_get_log_level,
	.machine = shell_machine,
	.attach = shell_attach,
};
