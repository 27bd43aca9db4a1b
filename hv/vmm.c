/* VMM layer: static VMs from hv.cfg, one vCPU thread per physical CPU. */
#include <stdarg.h>

#include "hv/vmm.h"
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
#include "drivers/uart16550.h"
#include "drivers/tsc.h"

/* Devices the VMM layer owns (docs/guest-abi.md); the PC board (COM1,
 * PIT, RTC...) is in-core (hv/board.c). */
#define DEBUG_EXIT_PORT 0xF4
#define DEBUG_CONSOLE_PORT 0xE9
#define TEST_MMIO_BASE 0xFEBF0000ULL
#define TEST_MMIO_SIZE 0x1000ULL
#define LINE_MAX_CHARS 200
#define RAM_ALIGN (2 * MiB) /* lets EPT use large pages */
#define READONLY_FILL 0xA5

struct vmm_vm {
	const struct vm_config *cfg;
	char line[LINE_MAX_CHARS + 1];
	uint32_t line_len;
	uint64_t line_tsc;      /* when the last byte came */
	spinlock_t line_lock;   /* vCPU threads write, the console CPU flushes */
	uint64_t ram_hpa, ram_pages, ro_hpa, ro_pages;
	const uint8_t *image;
	size_t image_len;
	const uint8_t *initrd;
	size_t initrd_len;
	volatile bool poweroff_pending; /* the guest entered ACPI S5 */
	const char *reset_reason; /* the guest asked for a reset */
	volatile uint32_t reset_pending; /* bit n: vCPU n has yet to reset */
	uint32_t resets;
};

static struct hv_config config;
static volatile uint32_t vms_running;
static struct vm *console_vm; /* receives host serial input */

static void flush_line(struct vm *vm, struct vmm_vm *m)
{
	m->line[m->line_len] = '\0';
	printk(LOG_MARKER, "[%s] %s", vm->name, m->line);
	m->line_len = 0;
}

/* Guest console bytes become "[name] line" on the host console. */
static void console_byte(struct vm *vm, uint8_t c)
{
	struct vmm_vm *m = vm->vmm;
	if (c == '\r' || c == 0)
		return;
	spin_lock(&m->line_lock);
	if (c == '\n') {
		flush_line(vm, m);
	} else {
		m->line[m->line_len++] = (c >= 0x20 && c < 0x7F) || c == '\t' ? (char)c : '?';
		m->line_tsc = rdtsc();
		if (m->line_len == LINE_MAX_CHARS)
			flush_line(vm, m);
	}
	spin_unlock(&m->line_lock);
}

/* A partial line the guest stopped writing (a shell prompt, typed
 * characters echoed) is shown after a short pause rather than held. */
#define LINE_IDLE_NS 50000000ULL /* 50 ms */
static void flush_idle_line(struct vm *vm)
{
	struct vmm_vm *m = vm->vmm;
	if (!m->line_len)
		return;
	spin_lock(&m->line_lock);
	if (m->line_len && rdtsc() - m->line_tsc > ns_to_tsc(LINE_IDLE_NS))
		flush_line(vm, m);
	spin_unlock(&m->line_lock);
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

static void vm_stopped(struct vm *vm, const char *fmt, ...) __printf(2, 3);
static void vm_stopped(struct vm *vm, const char *fmt, ...)
{
	char why[120];
	struct vmm_vm *m = vm->vmm;
	va_list ap;
	spin_lock(&m->line_lock);
	if (m->line_len)
		flush_line(vm, m);
	spin_unlock(&m->line_lock);
	va_start(ap, fmt);
	hv_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* the first vCPU to stop the VM reports it and stops the others */
	enum vm_state running = VM_RUNNING;
	if (!__atomic_compare_exchange_n(&vm->state, &running, VM_STOPPED, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		vcpu_kick(vm->vcpus[i], VCPU_REQ_STOP);
	printk(LOG_MARKER, "vm %s: %s", vm->name, why);
	print_stats(vm);
	if (__atomic_sub_fetch(&vms_running, 1, __ATOMIC_ACQ_REL) == 0) {
		printk(LOG_MARKER, "vmm: all VMs stopped");
		if (config.on_all_stopped == ALL_STOPPED_POWEROFF)
			poweroff();
	}
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
				console_byte(vm, (uint8_t)val);
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
	vm_stopped(vm, "stopped: unmapped access at 0x%llx (%s)", (unsigned long long)a,
		   run->mmio.is_write ? "write" : "read");
	return 1;
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
			console_byte(vm, buf[i]);
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
		vm_stopped(vm, "stopped: triple fault");
		return 1;
	case EXIT_HLT:
		vm_stopped(vm, "stopped: halted with nothing to wake it (rip 0x%llx)", (unsigned long long)v->regs.rip);
		return 1;
	case EXIT_FAIL_ENTRY:
		vm_stopped(vm, "stopped: VM entry failed (reason %llu)",
			   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return 1;
	case EXIT_INTERNAL_ERROR:
		if (run->internal.suberror == INTERNAL_UNMAPPED_ACCESS) {
			vm_stopped(vm, "stopped: unmapped access at 0x%llx (%s)",
				   (unsigned long long)run->internal.data[0], run->internal.data[1] ? "write" : "read");
			return 1;
		}
		vm_stopped(vm, "stopped: internal error %u (0x%llx)", run->internal.suberror,
			   (unsigned long long)run->internal.data[0]);
		return 1;
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

static int vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	for (;;) {
		int err = vcpu_run(v);
		if (err) {
			vm_stopped(v->vm, "stopped: vcpu_run failed (%d)", err);
			return err;
		}
		if (handle_exit(v))
			return 0;
	}
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

static void board_console(struct vm *vm, uint8_t byte)
{
	console_byte(vm, byte);
}

static void on_reset_request(struct vm *vm, const char *reason)
{
	struct vmm_vm *m = vm->vmm;
	m->reset_reason = reason;
	__atomic_fetch_or(&m->reset_pending, (1U << vm->vcpu_count) - 1, __ATOMIC_ACQ_REL);
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		vcpu_kick(vm->vcpus[i], VCPU_REQ_STOP);
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

static const struct board_ops board_ops = {board_console, on_reset_request, on_poweroff_request};

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
	char err[160];
	uint64_t rsdp = write_platform_tables(vm, c);
	int r;
	switch (c->entry) {
	case ENTRY_MULTIBOOT:
		r = load_multiboot(&gm, m->image, m->image_len, c->image, c->cmdline, st, err, sizeof(err));
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
		return 0;
	}
	printk(LOG_MARKER, "vm %s: reset by the guest (%s)", vm->name, m->reset_reason);
	m->reset_reason = NULL;
	m->resets++;
	irqchip_reset(vm);
	board_reset(vm);
	if (load_image(vm, &st))
		return -EIO;
	vcpu_mp_power_on(v);
	vcpu_set_regs(v, &st.regs);
	vcpu_set_sregs(v, &st.sregs);
	return 0;
}

static uint64_t alloc_guest_ram(uint64_t pages)
{
	uint64_t pa = pmm_alloc(&g_pmm, pages, RAM_ALIGN, 0);
	return pa ? pa : pmm_alloc(&g_pmm, pages, PAGE_SIZE, 0);
}

static int setup_vm(const struct vm_config *c, const struct boot_info *bi, struct vm **out)
{
	const struct boot_module *mod = find_module(bi, c->image);
	struct vm *vm;
	int r;

	if (!mod) {
		pr_err("vm %s: no boot module named '%s'", c->name, c->image);
		return -ENOENT;
	}
	for (uint32_t i = 0; i < c->cpu_count; i++) {
		if (c->cpus[i] >= g_cpu_count) {
			pr_err("vm %s: cpu %u is not online (%u CPUs)", c->name, c->cpus[i], g_cpu_count);
			return -EINVAL;
		}
	}
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
	struct board_config bc = {c->memory, c->cpu_count, c->test_devices};
	if (!r)
		r = board_create(vm, &bc, &board_ops);
	if (r) {
		pr_err("vm %s: cannot create the irqchip and board devices (%d)", c->name, r);
		return r;
	}
	m->cfg = c;
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
	if (r) {
		pr_err("vm %s: memory set-up failed (%d)", c->name, r);
		return r;
	}

	m->image = (const uint8_t *)mod->start;
	m->image_len = (size_t)(mod->end - mod->start);
	if (c->initrd[0]) {
		const struct boot_module *rd = find_module(bi, c->initrd);
		if (!rd) {
			pr_err("vm %s: no boot module named '%s' (initrd)", c->name, c->initrd);
			return -ENOENT;
		}
		m->initrd = (const uint8_t *)rd->start;
		m->initrd_len = (size_t)(rd->end - rd->start);
	}
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

static bool load_config(const struct boot_info *bi)
{
	const struct boot_module *mod = find_module(bi, VMM_CONFIG_MODULE);
	char err[CONFIG_ERR_MAX];

	if (!mod) {
		pr_info("vmm: no %s module: no VMs to run", VMM_CONFIG_MODULE);
		return false;
	}
	if (config_parse((const char *)mod->start, (size_t)(mod->end - mod->start), VMM_CONFIG_MODULE, &config,
			 err, sizeof(err))) {
		printk(LOG_MARKER, "vmm: invalid configuration: %s", err);
		printk(LOG_MARKER, "vmm: no VM started");
		return false;
	}
	return true;
}

#define CONSOLE_INPUT_BATCH 16
#define CONSOLE_POLL_NS 10000000ULL /* 10 ms, as the idle console loop */

void vmm_poll_console_input(void)
{
	uint8_t buf[CONSOLE_INPUT_BATCH];
	size_t n = 0;
	int c;

	while (n < sizeof(buf) && (c = uart_getc()) >= 0)
		buf[n++] = (uint8_t)c;
	for (struct vm *v = vm_first(); v; v = v->next)
		if (v->vmm && v->state == VM_RUNNING)
			flush_idle_line(v);
	struct vm *vm = console_vm;
	if (!n || !vm || vm->state != VM_RUNNING)
		return;
	/* A full FIFO drops the rest, as a real line would overrun. */
	board_uart_receive(vm, buf, n);
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

int vmm_start(const struct boot_info *bi, const struct acpi_info *acpi)
{
	static struct vm *vms[CONFIG_MAX_VMS];
	struct vcpu *mine = NULL;
	uint32_t started = 0, count = 0;

	poweroff_init(acpi);
	if (!load_config(bi))
		return 0;
	if (!g_arch) {
		printk(LOG_MARKER, "vmm: no VM started: no hardware virtualization");
		return 0;
	}
	for (uint32_t i = 0; i < config.vm_count; i++) {
		if (setup_vm(&config.vm[i], bi, &vms[count]) == 0)
			count++;
		else
			printk(LOG_MARKER, "vm %s: not started", config.vm[i].name);
	}
	vms_running = count;
	console_vm = count ? vms[0] : NULL;
	for (uint32_t i = 0; i < count; i++)
		vms[i]->state = VM_RUNNING;
	for (uint32_t i = 0; i < count; i++) {
		struct vm *vm = vms[i];
		print_started(vm);
		for (uint32_t k = 0; k < vm->vcpu_count; k++) {
			struct vcpu *v = vm->vcpus[k];
			if (v->pcpu == this_cpu_index()) {
				mine = v; /* the boot CPU runs its own vCPU last */
				continue;
			}
			if (smp_run_on(v->pcpu, vcpu_thread, v) != 0)
				vm_stopped(vm, "stopped: cpu%u is busy", v->pcpu);
		}
		started += vm->state == VM_RUNNING;
	}
	if (!count && config.on_all_stopped == ALL_STOPPED_POWEROFF)
		poweroff();
	if (mine) {
		/* this CPU also serves the console: its vCPU thread polls the
		 * serial line between entries, as serve_console() would */
		static struct host_poll console_poll = {vmm_poll_console_input, 0, 0};
		console_poll.period_tsc = ns_to_tsc(CONSOLE_POLL_NS);
		this_cpu()->host_poll = &console_poll;
		vcpu_thread(mine);
		this_cpu()->host_poll = NULL;
	}
	return (int)started;
}
