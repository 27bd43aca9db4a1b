/* Start-up of the boot CPU: console, boot information, ACPI, memory, page
 * tables, per-CPU state, timekeeping, the other CPUs, then "hv: ready". */
#include "hv/bootinfo.h"
#include "hv/cmdline.h"
#include "hv/console.h"
#include "hv/crashtest.h"
#include "hv/log.h"
#include "hv/panic.h"
#include "hv/percpu.h"
#include "hv/selftest.h"
#include "hv/shutdown.h"
#include "hv/smp.h"
#include "hv/smp_call.h"
#include "hv/string.h"
#include "hv/vmm.h"
#include "hv/trap.h"
#include "drivers/acpi.h"
#include "drivers/acpi_dump.h"
#include "drivers/i8259.h"
#include "drivers/lapic.h"
#include "drivers/tsc.h"
#include "drivers/uart16550.h"
#include "drivers/vga_text.h"
#include "mm/heap.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "vmx/vmx.h"

#ifndef HV_VERSION
#define HV_VERSION "unknown"
#endif

#define VGA_TEXT_PHYS 0xB8000
#define BDA_CRTC_BASE_PHYS 0x463 /* BIOS data area: I/O base of the video CRTC */
#define CRTC_COLOR_BASE 0x3D4
#define MAX_RESERVED (BOOTINFO_MAX_MODULES + 8)

extern char __image_start[], __image_end[];
extern uint64_t boot_tsc; /* TSC at the 32-bit entry (boot/entry.asm) */
void call_on_stack(void *arg, void (*fn)(void *), uint64_t stack_top);

/* The boot CPU's area until the heap exists (its IST stacks live in .bss). */
static struct percpu bsp_early;
static uint8_t bsp_early_ist[IST_COUNT][CPU_IST_STACK_SIZE] __aligned(16);

static struct boot_info boot;
static struct acpi_info acpi;
static struct hv_options opt;

static void setup_console(void)
{
	if (opt.console_none) {
		console_set_serial(false);
	} else if (!uart_init(opt.console_port, opt.console_baud)) {
		uart_init(COM1_PORT, 115200);
		pr_warn("console: no UART at port 0x%x, staying on COM1", opt.console_port);
	}
	/* Mirror to the text screen when the loader left one, or said nothing
	 * on a BIOS machine with a colour text adapter (the BIOS data area
	 * names its CRTC; UEFI machines leave it 0 and have no text screen). */
	const uint16_t *crtc = phys_map(BDA_CRTC_BASE_PHYS, sizeof(uint16_t));
	bool bios_text = crtc && *crtc == CRTC_COLOR_BASE;
	if (boot.fb.type == FB_EGA_TEXT || (boot.fb.type == FB_NONE && bios_text)) {
		uint64_t addr = boot.fb.type == FB_EGA_TEXT && boot.fb.addr ? boot.fb.addr : VGA_TEXT_PHYS;
		vga_text_init(addr, boot.fb.width, boot.fb.height);
		console_set_vga(true);
	}
}

static void setup_acpi(void)
{
	uint64_t rsdp = 0;
	if (!boot.rsdp_len)
		rsdp = acpi_find_rsdp(phys_map);
	if (!boot.rsdp_len && !rsdp) {
		pr_err("acpi: no RSDP found; running on the boot CPU alone");
		return;
	}
	if (acpi_parse(phys_map, rsdp, boot.rsdp_len ? boot.rsdp : NULL, boot.rsdp_len, &acpi) < 0) {
		pr_err("acpi: tables unusable; running on the boot CPU alone");
		return;
	}
	if (!acpi.have_madt)
		pr_err("acpi: no usable MADT; running on the boot CPU alone");
	pr_info("acpi: %u tables, %u cpus in MADT, %u ioapics, pm timer port 0x%llx",
		acpi.tables_found, acpi.cpu_count, acpi.ioapic_count,
		(unsigned long long)acpi.pm_timer.address);
	if (opt.acpidump)
		acpi_dump(phys_map, &acpi, boot.rsdp_len ? boot.rsdp : NULL, boot.rsdp_len);
}

static void setup_memory(void)
{
	struct mem_range reserved[MAX_RESERVED + BOOTINFO_MAX_RESERVED];
	uint32_t n = 0;

	reserved[n++] = (struct mem_range){(uint64_t)__image_start,
					   (uint64_t)__image_end - (uint64_t)__image_start, MEM_RESERVED};
	for (uint32_t i = 0; i < boot.reserved_count; i++)
		reserved[n++] = boot.reserved[i];
	for (uint32_t i = 0; i < boot.module_count; i++)
		reserved[n++] = (struct mem_range){boot.modules[i].start,
						   boot.modules[i].end - boot.modules[i].start, MEM_RESERVED};
	if (pmm_init(&g_pmm, boot.mmap, boot.mmap_count, reserved, n))
		fatal("memory map too fragmented for the frame allocator");

	uint32_t ranges = 0;
	uint64_t usable = bootinfo_usable_bytes(&boot, &ranges);
	printk(LOG_MARKER, "mem: %llu MiB usable in %u ranges", (unsigned long long)(usable / MiB), ranges);
	pr_info("mem: %llu MiB free for the hypervisor after image, boot data and modules",
		(unsigned long long)(g_pmm.free_pages * PAGE_SIZE / MiB));

	int err = paging_init(&boot);
	if (err)
		fatal("cannot build the host page tables (error %d)", err);
}

static void *heap_page_alloc(uint64_t pages)
{
	return (void *)pmm_alloc(&g_pmm, pages, PAGE_SIZE, 0);
}

static void heap_page_free(void *p, uint64_t pages)
{
	pmm_free(&g_pmm, (uint64_t)p, pages);
}

static const struct heap_backend heap_backend = {heap_page_alloc, heap_page_free};

static void __noreturn idle(void)
{
	for (;;) {
		irq_enable();
		halt();
	}
}

#define CONSOLE_POLL_US 10000

/* While VMs run, the boot CPU forwards serial input to the console VM,
 * sleeping between looks (LAPIC deadline timer; no busy polling). */
static void serve_console(void)
{
	while (!vmm_console_halted()) {
		vmm_run_local_vcpu(); /* when a VM owns this CPU: until it stops */
		vmm_poll_console_input();
		irq_disable();
		lapic_timer_at_tsc(tsc_deadline_us(CONSOLE_POLL_US), VEC_WAKE);
		__asm__ volatile("sti; hlt" ::: "memory");
	}
}

/* Runs on the boot CPU's own guarded stack. */
static void boot_main_late(void *arg)
{
	struct percpu *bsp = arg;

	uint64_t pm_port = acpi.have_fadt && acpi.pm_timer.space_id == ACPI_GAS_SYSTEM_IO ?
				   acpi.pm_timer.address : 0;
	enum tsc_source src = tsc_init((uint16_t)pm_port, acpi.pm_timer_32bit);
	pr_info("tsc: %llu.%03llu MHz (%s)", (unsigned long long)(tsc_hz() / 1000000),
		(unsigned long long)(tsc_hz() / 1000 % 1000), tsc_source_name(src));

	uint64_t lapic_base = acpi.lapic_address_override ? acpi.lapic_address_override : acpi.lapic_address;
	if (lapic_init(!opt.x2apic_off, lapic_base))
		fatal("CPU has no local APIC");
	i8259_disable(VEC_LEGACY_PIC_BASE);
	lapic_init_cpu();
	lapic_timer_calibrate();
	bsp->apic_id = lapic_id();
	bsp->online = 1;
	pr_info("lapic: %s mode, boot cpu APIC id %u", lapic_is_x2apic() ? "x2APIC" : "xAPIC", bsp->apic_id);

	smp_call_init();
	smp_boot(&acpi, opt.smp_max);
	if (vmx_init_all() == 0)
		vmx_backend_init();

	/* Under Bochs with clock sync=none the TSC counts instructions: this is
	 * the deterministic start-up cost that `make bench` reports. */
	pr_info("hv: start-up took %llu TSC ticks since entry", (unsigned long long)(rdtsc() - boot_tsc));
	int failed = opt.selftest ? selftest_run(&boot) : 0;
	printk(LOG_MARKER, "hv: ready");
	if (opt.crashtest)
		crashtest_run(opt.crashtest);
	if (vmm_start(&boot, &acpi, opt.console_given || opt.console_none) == 0)
		hv_done(failed ? HV_EXIT_FAILED : HV_EXIT_OK); /* done=exit: tests end here */
	if (vmm_serves_console())
		serve_console(); /* the VMs and the operator decide when the machine stops */
	hv_done(failed ? HV_EXIT_FAILED : HV_EXIT_OK);
	idle();
}

void boot_main(uint32_t magic, uint32_t info);
void boot_main(uint32_t magic, uint32_t info)
{
	bsp_early.index = 0;
	for (int i = 0; i < IST_COUNT; i++)
		bsp_early.ist_top[i] = (uint64_t)bsp_early_ist[i] + CPU_IST_STACK_SIZE;
	percpu_install(&bsp_early);
	gdt_load_cpu(&bsp_early);
	idt_init();
	idt_load();
	uart_init(COM1_PORT, 115200); /* until the command line says otherwise */

	int err = bootinfo_parse(magic, info, phys_map, &boot);
	if (err)
		fatal("bad boot information");
	cmdline_defaults(&opt);
	cmdline_parse(boot.cmdline, &opt);
	printk_set_level(opt.loglevel);
	hv_set_done_action(opt.on_done);
	setup_console();
	printk(LOG_MARKER, "hv: %s booted via multiboot%d", HV_VERSION, boot.protocol);
	if (boot.cmdline[0])
		pr_info("hv: command line '%s'", boot.cmdline);

	setup_acpi();
	setup_memory();
	heap_init(&heap_backend);

	struct percpu *bsp = percpu_alloc(0);
	if (!bsp)
		fatal("out of memory for the boot CPU's per-CPU area");
	percpu_install(bsp);
	gdt_load_cpu(bsp);
	g_cpus[0] = bsp;
	g_cpu_count = 1;
	call_on_stack(bsp, boot_main_late, bsp->stack_top);
}
