/* VMM layer: static VMs from hv.cfg, one vCPU thread per physical CPU. */
#include <stdarg.h>

#include "hv/vmm.h"
#include "hv/vmm_priv.h"
#include "hv/config_check.h"
#include "hv/format.h"
#include "hv/config.h"
#include "hv/errno.h"
#include "hv/arch.h"
#include "hv/board.h"
#include "hv/e820.h"
#include "hv/guest_acpi.h"
#include "hv/guest_mptable.h"
#include "hv/hypercall.h"
#include "hv/linux_boot.h"
#include "hv/irqchip.h"
#include "hv/loader.h"
#include "hv/log.h"
#include "hv/percpu.h"
#include "hv/poweroff.h"
#include "hv/smp_call.h"
#include "hv/string.h"
#include "hv/vm.h"
#include "hv/vcpu_mp.h"
#include "mm/heap.h"
#include "mm/pmm.h"
#include "hv/vuart.h"
#include "drivers/uart16550.h"
#include "drivers/tsc.h"

/* Devices the VMM layer owns (docs/guest-abi.md); the PC board (COM1,
 * PIT, RTC...) is in-core (hv/board.c). */
#define DEBUG_EXIT_PORT 0xF4
#define DEBUG_CONSOLE_PORT 0xE9
#define TEST_MMIO_BASE 0xFEBF0000ULL
#define TEST_MMIO_SIZE 0x1000ULL
#define RAM_ALIGN (2 * MiB) /* lets EPT use large pages */
#define READONLY_FILL 0xA5

#define FAILURE_STREAK_NS 2000000000ULL /* failures closer than 2 s are a streak */
#define RESTART_PAUSE_MIN_NS 5000000ULL  /* doubled per failure in a streak */
#define RESTART_PAUSE_MAX_NS 1000000000ULL

static struct hv_config config;
static volatile uint32_t vms_running;
static struct vm *vms[CONFIG_MAX_VMS];
static uint32_t vm_count;
static struct vcpu *volatile local_vcpu; /* the boot CPU's, waiting to run */
static char config_error[CONFIG_ERR_MAX];

uint32_t vmm_vm_count(void)
{
	return vm_count;
}

struct vm *vmm_vm_at(uint32_t index)
{
	return vms[index];
}

const struct hv_config *vmm_config(void)
{
	return &config;
}

/* "vm NAME: stats exits=... by reason: CPUID 12, I/O 340, ..." */
static void print_stats(struct vm *vm)
{
	struct vcpu_stats st;
	char line[240];
	int n;

	vcpu_stats_sum(vm, &st);
	n = hv_snprintf(line, sizeof(line), "exits=%llu io=%llu mmio=%llu emulated_mmio=%llu hypercalls=%llu halts=%llu injections=%llu",
			(unsigned long long)st.exits, (unsigned long long)st.io_exits,
			(unsigned long long)st.mmio_exits, (unsigned long long)st.emulated_mmio,
			(unsigned long long)st.hypercalls, (unsigned long long)st.halts,
			(unsigned long long)st.injections);
	for (int r = 0; r < STATS_EXIT_REASONS && n > 0 && (size_t)n < sizeof(line); r++) {
		if (st.exit_reason[r])
			n += hv_snprintf(line + n, sizeof(line) - (size_t)n, " %s=%llu",
					 g_arch->exit_reason_name((uint32_t)r), (unsigned long long)st.exit_reason[r]);
	}
	printk(LOG_INFO, "vm %s: stats %s", vm->name, line);
}

static void request_reset(struct vm *vm, const char *fmt, ...) __printf(2, 3);

static void all_stopped(void)
{
	printk(LOG_MARKER, "vmm: all VMs stopped");
	switch (config.on_all_stopped) {
	case ALL_STOPPED_POWEROFF: poweroff();
	case ALL_STOPPED_SHELL: vmm_console_want_shell(NULL); break;
	case ALL_STOPPED_HALT: break;
	}
}

/* The VM stops for good (until the shell starts it): the first caller
 * reports why and stops every vCPU; later calls change nothing. */
static void vm_stopped(struct vm *vm, const char *fmt, ...) __printf(2, 3);
static void vm_stopped(struct vm *vm, const char *fmt, ...)
{
	char why[VMM_REASON_MAX];
	struct vmm_vm *m = vm->vmm;
	va_list ap;
	vmm_console_flush(vm);
	va_start(ap, fmt);
	hv_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	enum vm_state running = VM_RUNNING;
	if (!__atomic_compare_exchange_n(&vm->state, &running, VM_STOPPED, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&m->reset_pending, 0, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		vcpu_kick(vm->vcpus[i], VCPU_REQ_STOP);
	memcpy(m->reason, why, sizeof(why));
	printk(LOG_MARKER, "vm %s: %s", vm->name, why);
	print_stats(vm);
	vmm_console_want_shell(vm);
	if (__atomic_sub_fetch(&vms_running, 1, __ATOMIC_ACQ_REL) == 0)
		all_stopped();
}

/* A guest that broke (triple fault, unmapped access, failed entry...):
 * stopped, or restarted when its configuration says on_stop = "restart". */
static void vm_failed(struct vm *vm, const char *fmt, ...) __printf(2, 3);
static void vm_failed(struct vm *vm, const char *fmt, ...)
{
	char why[VMM_REASON_MAX];
	va_list ap;
	va_start(ap, fmt);
	hv_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	struct vmm_vm *m = vm->vmm;
	if (m->cfg->on_stop != ON_STOP_RESTART) {
		vm_stopped(vm, "stopped: %s", why);
		return;
	}
	if (vm->state != VM_RUNNING)
		return; /* stopped meanwhile (the shell, another vCPU) */
	/* A guest that fails again at once restarts after a growing pause
	 * (10 ms doubling to 1 s), so it cannot flood the console. */
	uint64_t now = rdtsc();
	if (m->last_failure_tsc && now - m->last_failure_tsc < ns_to_tsc(FAILURE_STREAK_NS))
		m->failure_streak = MIN(m->failure_streak + 1, 16U);
	else
		m->failure_streak = 0;
	m->last_failure_tsc = now;
	uint64_t pause_ns = m->failure_streak ? MIN(RESTART_PAUSE_MIN_NS << m->failure_streak, RESTART_PAUSE_MAX_NS) : 0;
	m->restart_at_tsc = now + ns_to_tsc(pause_ns);
	vmm_console_flush(vm);
	printk(LOG_MARKER, "vm %s: %s: restarting (on_stop = \"restart\")", vm->name, why);
	request_reset(vm, "restarted after: %s", why);
}

/* Port I/O that left the core. 0: go on; 1: the VM is stopped. */
static int handle_io(struct vm *vm, struct vcpu_run *run)
{
	uint16_t port = run->io.port;
	uint32_t n = run->io.count, size = run->io.size;

	if (run->io.direction == IO_DIRECTION_OUT) {
		for (uint32_t i = 0; i < n; i++) {
			uint32_t val = 0;
			memcpy(&val, run->io_data + i * size, size);
			if (port == DEBUG_EXIT_PORT && size == 4) {
				vm_stopped(vm, "exited code=%u", val);
				return 1;
			}
			if (port == DEBUG_CONSOLE_PORT)
				vmm_console_byte(vm, (uint8_t)val);
		}
		return 0; /* other ports: absent, as on a PC */
	}
	uint8_t fill = 0xFF; /* absent ports float high */
	if (port == DEBUG_CONSOLE_PORT)
		fill = DEBUG_CONSOLE_PORT;
	memset(run->io_data, fill, (size_t)n * size);
	return 0;
}

static int handle_mmio(struct vm *vm, struct vcpu_run *run)
{
	uint64_t a = run->mmio.phys_addr;
	if (a >= TEST_MMIO_BASE && a + run->mmio.len <= TEST_MMIO_BASE + TEST_MMIO_SIZE) {
		if (!run->mmio.is_write)
			run->mmio.data = 0;
		return 0;
	}
	vm_failed(vm, "unmapped access at 0x%llx (%s)", (unsigned long long)a, run->mmio.is_write ? "write" : "read");
	return vm->state == VM_STOPPED;
}

static int handle_hypercall(struct vm *vm, struct vcpu_run *run)
{
	if (run->hypercall.nr == HC_EXIT) {
		vm_stopped(vm, "exited code=%llu", (unsigned long long)run->hypercall.args[0]);
		return 1;
	}
	/* HC_PRINT: the whole range must be guest RAM before anything prints;
	 * copied in small pieces (each CPU its own buffer, on its stack). */
	uint64_t gpa = run->hypercall.args[0], len = run->hypercall.args[1];
	uint8_t buf[128];
	if (len > HC_PRINT_MAX || (len && !memslot_gpa_to_hpa(&vm->slots, gpa, len))) {
		run->hypercall.ret = (uint64_t)-EINVAL;
		return 0;
	}
	for (uint64_t done = 0; done < len;) {
		size_t n = (size_t)MIN(len - done, (uint64_t)sizeof(buf));
		if (vm_read_phys(vm, gpa + done, buf, n))
			break;
		for (size_t i = 0; i < n; i++)
			vmm_console_byte(vm, buf[i]);
		done += n;
	}
	run->hypercall.ret = 0;
	return 0;
}

static int restart_vcpu(struct vcpu *v);

/* 0: run again; 1: the VM is stopped. */
static int handle_exit(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct vcpu_run *run = v->run;

	switch (run->exit_reason) {
	case EXIT_IO: return handle_io(vm, run);
	case EXIT_MMIO: return handle_mmio(vm, run);
	case EXIT_HYPERCALL: return handle_hypercall(vm, run);
	case EXIT_SHUTDOWN:
		vm_failed(vm, "triple fault");
		return vm->state == VM_STOPPED;
	case EXIT_HLT:
		vm_failed(vm, "halted with nothing to wake it (rip 0x%llx)", (unsigned long long)v->regs.rip);
		return vm->state == VM_STOPPED;
	case EXIT_FAIL_ENTRY:
		vm_failed(vm, "VM entry failed (reason %llu)", (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return vm->state == VM_STOPPED;
	case EXIT_INTERNAL_ERROR:
		if (run->internal.suberror == INTERNAL_UNMAPPED_ACCESS) {
			vm_failed(vm, "unmapped access at 0x%llx (%s)", (unsigned long long)run->internal.data[0],
				  run->internal.data[1] ? "write" : "read");
			return vm->state == VM_STOPPED;
		}
		vm_failed(vm, "internal error %u (0x%llx)", run->internal.suberror, (unsigned long long)run->internal.data[0]);
		return vm->state == VM_STOPPED;
	case EXIT_STOPPED: {
		struct vmm_vm *m = vm->vmm;
		if (vm->state == VM_STOPPED)
			return 1; /* another vCPU stopped the VM and said why */
		if (m->poweroff_pending) {
			vm_stopped(vm, "powered off by the guest (ACPI S5)");
			return 1;
		}
		uint32_t mine = 1U << v->id;
		if (__atomic_fetch_and(&m->reset_pending, ~mine, __ATOMIC_ACQ_REL) & mine) {
			if (restart_vcpu(v) == 0)
				return 0;
			vm_stopped(vm, "stopped: reset failed");
			return 1;
		}
		vm_stopped(vm, "stopped: on request");
		return 1;
	}
	default:
		vm_stopped(vm, "stopped: unknown exit %u", run->exit_reason);
		return 1;
	}
}

/* One per vCPU, on its physical CPU, until the VM stops. A VM started
 * again by the shell resets each vCPU here, on its own CPU. */
static int vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct vmm_vm *m = vm->vmm;
	int err = 0;
	uint32_t mine = 1U << v->id;
	if ((__atomic_fetch_and(&m->reset_pending, ~mine, __ATOMIC_ACQ_REL) & mine) && restart_vcpu(v)) {
		vm_stopped(vm, "stopped: reset failed");
		goto out;
	}
	for (;;) {
		err = vcpu_run(v);
		if (err) {
			vm_stopped(vm, "stopped: vcpu_run failed (%d)", err);
			break;
		}
		if (handle_exit(v))
			break;
	}
out:
	vcpu_take_snapshot(v); /* what the shell's `regs` shows from now on */
	__atomic_sub_fetch(&m->threads, 1, __ATOMIC_ACQ_REL);
	return err;
}

static const struct boot_module *find_module(const struct boot_info *bi, const char *name)
{
	for (uint32_t i = 0; i < bi->module_count; i++) {
		const char *s = bi->modules[i].name;
		const char *base = s;
		for (const char *p = s; *p && *p != ' '; p++)
			if (*p == '/')
				base = p + 1;
		size_t n = strlen(name);
		if (!strcmp(s, name) || (!strncmp(base, name, n) && (base[n] == '\0' || base[n] == ' ')))
			return &bi->modules[i];
	}
	return NULL;
}

/* Every vCPU leaves the guest and resets in its own thread (restart_vcpu):
 * a guest reset, on_stop = "restart", the shell's `restart`. */
static void request_reset(struct vm *vm, const char *fmt, ...)
{
	struct vmm_vm *m = vm->vmm;
	va_list ap;
	if (vm->state != VM_RUNNING)
		return;
	va_start(ap, fmt);
	hv_vsnprintf(m->reset_msg, sizeof(m->reset_msg), fmt, ap);
	va_end(ap);
	__atomic_fetch_or(&m->reset_pending, (1U << vm->vcpu_count) - 1, __ATOMIC_ACQ_REL);
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		vcpu_kick(vm->vcpus[i], VCPU_REQ_STOP);
}

static void on_reset_request(struct vm *vm, const char *reason)
{
	request_reset(vm, "reset by the guest (%s)", reason);
}

/* From the PM1 control write, under the irq lock: the vCPUs leave the
 * guest and the VM stops from a vCPU thread (handle_exit). */
static void on_poweroff_request(struct vm *vm)
{
	struct vmm_vm *m = vm->vmm;
	m->poweroff_pending = true;
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		vcpu_kick(vm->vcpus[i], VCPU_REQ_STOP);
}

static const struct board_ops board_ops = {vmm_console_byte, on_reset_request, on_poweroff_request};

static int guest_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	return len ? vm_write_phys(ctx, gpa, src, len) : 0;
}

static int guest_zero(void *ctx, uint64_t gpa, size_t len)
{
	struct vm *vm = ctx;
	uint64_t hpa = memslot_gpa_to_hpa(&vm->slots, gpa, len);
	if (!len)
		return 0;
	if (!hpa)
		return -EFAULT;
	memset((void *)hpa, 0, len);
	return 0;
}

/* The firmware's tables, as a PC BIOS leaves them: ACPI at 0xE0000 (the
 * RSDP found by scanning the BIOS area), optionally an MP table at
 * 0xF0000. Returns the RSDP's address, 0 when the VM has no room. */
#define PLATFORM_TABLES_MAX (16 * 1024)
#define MPTABLE_GPA 0xF0000ULL
#define VMM_E820_MAX 16
static uint64_t write_platform_tables(struct vm *vm, const struct vm_config *c)
{
	struct guest_acpi_config ac;
	struct guest_acpi_layout al;
	uint64_t rsdp = 0;

	if (c->memory < GUEST_ACPI_AREA_GPA + GUEST_ACPI_AREA_SIZE)
		return 0; /* too small to have a BIOS area */
	uint8_t *buf = kmalloc(PLATFORM_TABLES_MAX);
	if (!buf)
		return 0;
	guest_acpi_default_config(&ac, vm->vcpu_count);
	if (guest_acpi_build(&ac, buf, PLATFORM_TABLES_MAX, GUEST_ACPI_AREA_GPA, &al) == 0 &&
	    vm_write_phys(vm, GUEST_ACPI_AREA_GPA, buf, al.size) == 0)
		rsdp = al.rsdp_gpa;
	struct guest_mptable_layout ml;
	if (c->mptable && guest_mptable_build(vm->vcpu_count, ac.ioapic_id, GUEST_ACPI_IOAPIC_ADDR, buf,
					      PLATFORM_TABLES_MAX, MPTABLE_GPA, &ml) == 0)
		vm_write_phys(vm, MPTABLE_GPA, buf, ml.size);
	kfree(buf);
	return rsdp;
}

static int load_linux_image(struct vm *vm, const struct guest_mem *gm, uint64_t rsdp, struct boot_state *st,
			    char *err, size_t errlen)
{
	struct vmm_vm *m = vm->vmm;
	const struct vm_config *c = m->cfg;
	/* On the stack: guest resets reload VMs on several CPUs at once. One
	 * RAM range with the PC's holes and the ACPI area needs far fewer. */
	struct e820_entry map[VMM_E820_MAX];
	struct e820_range ram = {0, c->memory};
	struct e820_range acpi = {GUEST_ACPI_AREA_GPA, GUEST_ACPI_AREA_SIZE};
	int n = e820_build(&ram, 1, rsdp ? &acpi : NULL, map, VMM_E820_MAX, err, errlen);
	if (n < 0)
		return n;
	struct linux_boot_params p = {m->image, m->image_len, m->initrd, m->initrd_len, c->cmdline,
				      map, (size_t)n, rsdp};
	return load_linux(gm, &p, st, err, errlen);
}

/* Puts the firmware tables and the image in guest memory and computes
 * the entry state. */
static int load_image(struct vm *vm, struct boot_state *st)
{
	struct vmm_vm *m = vm->vmm;
	const struct vm_config *c = m->cfg;
	struct guest_mem gm = {guest_write, guest_zero, c->memory, vm};
	char err[CONFIG_ERR_MAX];
	uint64_t rsdp = write_platform_tables(vm, c);
	int r;
	switch (c->entry) {
	case ENTRY_MULTIBOOT:
		r = load_multiboot_modules(&gm, m->image, m->image_len, c->image, c->cmdline, m->mods, m->mod_count,
					   st, err, sizeof(err));
		break;
	case ENTRY_LINUX:
		r = load_linux_image(vm, &gm, rsdp, st, err, sizeof(err));
		break;
	default:
		r = load_raw(&gm, m->image, m->image_len, c->entry, c->load_addr, c->entry_addr, st, err,
			     sizeof(err));
		break;
	}
	if (r)
		pr_err("vm %s: %s: %s", c->name, c->image, err);
	return r;
}

/* A reset from the guest (0xCF9, port 0x92, the i8042 pulse): like a PC's
 * reset with the firmware's work done again by the loader: devices and
 * vCPUs to their reset state, the image reloaded, the rest of RAM kept.
 * Each vCPU resets in its own thread: application processors go back to
 * waiting for a SIPI, the BSP reloads the image and starts it. */
static int restart_vcpu(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct vmm_vm *m = vm->vmm;
	struct boot_state st;

	if (v->id != 0) {
		vcpu_mp_power_on(v);
		/* the reset dropped pending requests: a stop among them counts */
		return vm->state == VM_RUNNING ? 0 : -EINVAL;
	}
	while (rdtsc() < m->restart_at_tsc && vm->state == VM_RUNNING)
		host_poll_run(); /* the back-off pause; the console still served */
	if (vm->state != VM_RUNNING)
		return -EINVAL; /* stopped meanwhile: no reload */
	printk(LOG_MARKER, "vm %s: %s", vm->name, m->reset_msg);
	memcpy(m->reason, m->reset_msg, sizeof(m->reason));
	m->restarts++;
	irqchip_reset(vm);
	board_reset(vm);
	if (load_image(vm, &st))
		return -EIO;
	vcpu_mp_power_on(v);
	vcpu_set_regs(v, &st.regs);
	vcpu_set_sregs(v, &st.sregs);
	return vm->state == VM_RUNNING ? 0 : -EINVAL;
}

static uint64_t alloc_guest_ram(uint64_t pages)
{
	uint64_t pa = pmm_alloc(&g_pmm, pages, RAM_ALIGN, 0);
	return pa ? pa : pmm_alloc(&g_pmm, pages, PAGE_SIZE, 0);
}

/* Shared-memory slots: the first VM naming a region allocates it (zeroed),
 * the others map the same pages. The parser checked the sizes agree. */
static uint64_t shared_region(const struct vm_config *c)
{
	static struct {
		const char *name;
		uint64_t hpa;
	} regions[CONFIG_MAX_VMS];
	for (uint32_t i = 0; i < CONFIG_MAX_VMS; i++) {
		if (regions[i].name && !strcmp(regions[i].name, c->shared_name))
			return regions[i].hpa;
		if (!regions[i].name) {
			uint64_t hpa = alloc_guest_ram(c->shared_size / PAGE_SIZE);
			if (!hpa) {
				pr_err("vm %s: not enough host memory for shared region '%s'", c->name, c->shared_name);
				return 0;
			}
			memset((void *)hpa, 0, c->shared_size);
			regions[i].name = c->shared_name;
			regions[i].hpa = hpa;
			return hpa;
		}
	}
	return 0;
}

static int setup_vm(const struct vm_config *c, const struct boot_info *bi, struct vm **out)
{
	const struct boot_module *mod = find_module(bi, c->image);
	struct vm *vm;
	int r;

	if (!mod) /* config_check_machine() saw it: the module list changed? */
		return -ENOENT;
	r = vm_create(c->name, &vm);
	if (r) {
		pr_err("vm %s: cannot create the VM (%d)", c->name, r);
		return r;
	}
	struct vmm_vm *m = kmalloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	memset(m, 0, sizeof(*m));
	vm->vmm = m;
	r = irqchip_create(vm);
	struct board_config bc = {c->memory, c->cpu_count, c->test_devices, 0, 0};
	if (c->uart == VM_UART_COM1) {
		bc.uart_base = VUART_COM1_BASE;
		bc.uart_gsi = VUART_COM1_IRQ;
	} else if (c->uart == VM_UART_COM2) {
		bc.uart_base = VUART_COM2_BASE;
		bc.uart_gsi = VUART_COM2_IRQ;
	}
	if (!r)
		r = board_create(vm, &bc, &board_ops);
	if (r) {
		pr_err("vm %s: cannot create the irqchip and board devices (%d)", c->name, r);
		return r;
	}
	m->cfg = c;
	m->vm = vm;
	m->ram_pages = c->memory / PAGE_SIZE;
	m->ram_hpa = alloc_guest_ram(m->ram_pages);
	if (!m->ram_hpa) {
		pr_err("vm %s: not enough host memory for %llu MiB", c->name, (unsigned long long)(c->memory / MiB));
		return -ENOMEM;
	}
	memset((void *)m->ram_hpa, 0, c->memory);
	struct memory_region ram = {0, 0, 0, c->memory, m->ram_hpa};
	r = vm_set_memory_region(vm, &ram);
	if (!r && c->readonly_size) {
		m->ro_pages = c->readonly_size / PAGE_SIZE;
		m->ro_hpa = alloc_guest_ram(m->ro_pages);
		if (!m->ro_hpa)
			return -ENOMEM;
		memset((void *)m->ro_hpa, READONLY_FILL, c->readonly_size);
		struct memory_region ro = {1, MEM_READONLY, c->readonly_gpa, c->readonly_size, m->ro_hpa};
		r = vm_set_memory_region(vm, &ro);
	}
	if (!r && c->shared_size) {
		m->shared_hpa = shared_region(c);
		if (!m->shared_hpa)
			return -ENOMEM;
		struct memory_region sh = {2, 0, c->shared_gpa, c->shared_size, m->shared_hpa};
		r = vm_set_memory_region(vm, &sh);
	}
	if (r) {
		pr_err("vm %s: memory set-up failed (%d)", c->name, r);
		return r;
	}

	m->image = (const uint8_t *)mod->start;
	m->image_len = (size_t)(mod->end - mod->start);
	if (c->initrd[0]) {
		const struct boot_module *rd = find_module(bi, c->initrd);
		if (!rd)
			return -ENOENT;
		m->initrd = (const uint8_t *)rd->start;
		m->initrd_len = (size_t)(rd->end - rd->start);
	}
	for (uint32_t i = 0; i < c->module_count; i++) {
		char name[CONFIG_STR_MAX];
		const char *spec;
		const struct boot_module *bm = NULL;
		if (!config_module_spec(c, i, name, sizeof(name), &spec))
			bm = find_module(bi, name);
		if (!bm) /* config_check_machine() saw it: the module list changed? */
			return -ENOENT;
		m->mods[i] = (struct mb_module){(const uint8_t *)bm->start, (size_t)(bm->end - bm->start), spec};
	}
	m->mod_count = c->module_count;
	/* vCPU n runs on the n-th listed CPU; vCPU 0 is the BSP and starts
	 * at the image's entry, the others wait for INIT/SIPI from it. The
	 * vCPUs exist before loading: the firmware tables list them. */
	for (uint32_t i = 0; i < c->cpu_count; i++) {
		struct vcpu *v;
		struct boot_state reset;
		r = vcpu_create(vm, i, c->cpus[i], &v);
		if (!r)
			r = irqchip_add_vcpu(v);
		if (r) {
			pr_err("vm %s: cannot create vcpu%u (%d)", c->name, i, r);
			return r;
		}
		boot_state_reset(&reset);
		vcpu_set_regs(v, &reset.regs);
		vcpu_set_sregs(v, &reset.sregs);
	}
	struct boot_state st;
	r = load_image(vm, &st);
	if (r)
		return r;
	vcpu_set_regs(vm->vcpus[0], &st.regs);
	vcpu_set_sregs(vm->vcpus[0], &st.sregs);
	*out = vm;
	return 0;
}


/* Reported once, on the console when the shell starts. */
static bool has_module(void *ctx, const char *name)
{
	return find_module(ctx, name) != NULL;
}

/* Memory the VMs may take: what the page allocator has free, less what
 * rounding every VM's RAM up to large pages could waste. */
static uint64_t free_guest_memory(const struct hv_config *c)
{
	uint64_t free = g_pmm.free_pages * PAGE_SIZE;
	uint64_t slack = (uint64_t)c->vm_count * 3 * RAM_ALIGN;
	return free > slack ? free - slack : 0;
}

static int parse_and_check(const struct boot_info *bi, const char *text, size_t len, const char *file)
{
	int r = config_parse(text, len, file, &config, config_error, sizeof(config_error));
	if (!r) {
		struct config_machine mc = {g_cpu_count, free_guest_memory(&config), has_module, (void *)bi};
		r = config_check_machine(&config, &mc, file, config_error, sizeof(config_error));
	}
	return r;
}

/* guest/default.cfg, linked in by the Makefile */
extern const char _binary_guest_default_cfg_start[], _binary_guest_default_cfg_end[];
#define BUILTIN_CONFIG_NAME "built-in default.cfg"

/* Without an hv.cfg module the built-in scenario runs when the modules it
 * names are there (an ISO built with its guests); otherwise no VM runs. */
static bool load_builtin_config(const struct boot_info *bi)
{
	size_t len = (size_t)(_binary_guest_default_cfg_end - _binary_guest_default_cfg_start);
	if (parse_and_check(bi, _binary_guest_default_cfg_start, len, BUILTIN_CONFIG_NAME)) {
		pr_info("vmm: no %s module, and the built-in scenario cannot run (%s): no VMs to run",
			VMM_CONFIG_MODULE, config_error);
		config_error[0] = '\0';
		memset(&config, 0, sizeof(config));
		return false;
	}
	printk(LOG_MARKER, "vmm: no %s module: running the built-in scenario (guest/default.cfg)", VMM_CONFIG_MODULE);
	printk_set_level(config.log_level);
	return true;
}

static bool load_config(const struct boot_info *bi)
{
	const struct boot_module *mod = find_module(bi, VMM_CONFIG_MODULE);

	if (!mod)
		return load_builtin_config(bi);
	int r = parse_and_check(bi, (const char *)mod->start, (size_t)(mod->end - mod->start), VMM_CONFIG_MODULE);
	if (r) {
		printk(LOG_MARKER, "vmm: invalid configuration: %s", config_error);
		printk(LOG_MARKER, "vmm: no VM started");
		return false;
	}
	printk_set_level(config.log_level);
	return true;
}

/* "vm NAME: started on cpu1" or "... on cpu1,2" (a stable marker) */
static void print_started(struct vm *vm)
{
	char cpus[64];
	int n = 0;
	for (uint32_t k = 0; k < vm->vcpu_count && n >= 0 && (size_t)n < sizeof(cpus); k++)
		n += hv_snprintf(cpus + n, sizeof(cpus) - (size_t)n, "%s%u", k ? "," : "", vm->vcpus[k]->pcpu);
	printk(LOG_MARKER, "vm %s: started on cpu%s", vm->name, cpus);
}

/* Starts every vCPU thread of a VM in state VM_RUNNING; the boot CPU's
 * own vCPU waits for vmm_run_local_vcpu(). */
static void launch(struct vm *vm)
{
	struct vmm_vm *m = vm->vmm;
	print_started(vm);
	__atomic_store_n(&m->threads, vm->vcpu_count, __ATOMIC_RELEASE);
	for (uint32_t k = 0; k < vm->vcpu_count; k++) {
		struct vcpu *v = vm->vcpus[k];
		if (v->pcpu == this_cpu_index()) {
			local_vcpu = v;
			continue;
		}
		if (smp_run_on(v->pcpu, vcpu_thread, v) != 0) {
			__atomic_sub_fetch(&m->threads, 1, __ATOMIC_ACQ_REL);
			vm_stopped(vm, "stopped: cpu%u is busy", v->pcpu);
		}
	}
}

#define CONSOLE_POLL_NS 10000000ULL /* 10 ms, as the idle console loop */

void vmm_run_local_vcpu(void)
{
	struct vcpu *v = local_vcpu;
	if (!v)
		return;
	local_vcpu = NULL;
	/* this CPU also serves the console: its vCPU thread polls the
	 * serial line between entries, as the idle loop would */
	static struct host_poll console_poll = {vmm_poll_console_input, 0, 0};
	console_poll.period_tsc = ns_to_tsc(CONSOLE_POLL_NS);
	this_cpu()->host_poll = &console_poll;
	vcpu_thread(v);
	this_cpu()->host_poll = NULL;
}

const char *vmm_vm_state(struct vm *vm)
{
	struct vmm_vm *m = vm->vmm;
	if (vm->state != VM_RUNNING)
		return "stopped";
	if (m->reset_pending)
		return "restarting";
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		if (!vm->vcpus[i]->halted && vm->vcpus[i]->mp_state == VCPU_MP_RUNNABLE)
			return "running";
	return "halted";
}

int vmm_vm_start(struct vm *vm, char *msg, size_t msglen)
{
	struct vmm_vm *m = vm->vmm;
	if (vm->state == VM_RUNNING) {
		hv_snprintf(msg, msglen, "already running");
		return -EBUSY;
	}
	if (__atomic_load_n(&m->threads, __ATOMIC_ACQUIRE)) {
		hv_snprintf(msg, msglen, "still stopping: %u vCPUs have yet to leave", m->threads);
		return -EBUSY;
	}
	/* each vCPU resets on its own CPU as its thread starts, at once: the
	 * operator's start ends any failure back-off */
	m->poweroff_pending = false;
	m->restart_at_tsc = 0;
	m->failure_streak = 0;
	m->last_failure_tsc = 0;
	hv_snprintf(m->reset_msg, sizeof(m->reset_msg), "started from the shell");
	/* the reset drops the stop request the last stop left behind */
	__atomic_store_n(&m->reset_pending, (1U << vm->vcpu_count) - 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&vms_running, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&vm->state, VM_RUNNING, __ATOMIC_RELEASE);
	launch(vm);
	return 0;
}

int vmm_vm_stop(struct vm *vm, char *msg, size_t msglen)
{
	if (vm->state != VM_RUNNING) {
		hv_snprintf(msg, msglen, "not running");
		return -EINVAL;
	}
	vm_stopped(vm, "stopped from the shell");
	return 0;
}

int vmm_vm_restart(struct vm *vm, char *msg, size_t msglen)
{
	if (vm->state != VM_RUNNING)
		return vmm_vm_start(vm, msg, msglen);
	vmm_of(vm)->restart_at_tsc = 0;
	request_reset(vm, "restarted from the shell");
	return 0;
}

int vmm_start(const struct boot_info *bi, const struct acpi_info *acpi, bool console_given)
{
	uint32_t started = 0;

	poweroff_init(acpi);
	if (!load_config(bi)) {
		if (config_error[0]) {
			vmm_console_set_note("no VM runs: the configuration is invalid (see above)");
			vmm_console_init(NULL);
		}
		return 0;
	}
	if (!console_given && (config.console_port != COM1_PORT || config.console_baud != CONFIG_CONSOLE_BAUD)) {
		printk(LOG_MARKER, "vmm: console moves to port 0x%x at %u baud (hv.cfg)", config.console_port,
		       config.console_baud);
		if (!uart_init(config.console_port, config.console_baud))
			pr_warn("vmm: no UART at port 0x%x", config.console_port);
	}
	if (!g_arch) {
		printk(LOG_MARKER, "vmm: no VM started: no hardware virtualization");
		return 0;
	}
	for (uint32_t i = 0; i < config.vm_count; i++) {
		if (setup_vm(&config.vm[i], bi, &vms[vm_count]) == 0)
			vm_count++;
		else
			printk(LOG_MARKER, "vm %s: not started", config.vm[i].name);
	}
	vms_running = vm_count;
	for (uint32_t i = 0; i < vm_count; i++)
		vms[i]->state = VM_RUNNING;
	struct vm *focus = vm_count ? vms[0] : NULL, *named = vm_find(config.focus);
	if (!strcmp(config.focus, CONFIG_FOCUS_SHELL))
		focus = NULL;
	else if (named && named->state == VM_RUNNING) /* not one that failed to set up */
		focus = named;
	if (focus && vmm_of(focus)->cfg->uart == VM_UART_NONE)
		focus = NULL;
	vmm_console_init(focus);
	for (uint32_t i = 0; i < vm_count; i++) {
		launch(vms[i]);
		started += vms[i]->state == VM_RUNNING;
	}
	if (!vm_count)
		all_stopped();
	return (int)started;
}

bool vmm_serves_console(void)
{
	return vm_count || config_error[0];
}

bool vmm_console_halted(void)
{
	return vm_count && !vms_running && config.on_all_stopped == ALL_STOPPED_HALT;
}
