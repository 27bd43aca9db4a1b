/* The shared IDT, interrupt dispatch, and the fatal exception path. */
#include "hv/trap.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/panic.h"
#include "hv/percpu.h"
#include "drivers/lapic.h"

/* IDT gate, SDM 3A 6.14.1 figure 6-8 */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __packed;

#define GATE_INTERRUPT_PRESENT 0x8E /* P=1, DPL=0, type 0xE: 64-bit interrupt gate */

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

extern const uint64_t isr_stub_table[256];
extern const uint64_t extable_start[], extable_end[];

static struct idt_gate idt[256] __aligned(16);
static irq_handler_fn irq_handlers[256];
static struct probe_fault probe_faults[HV_MAX_CPUS];

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS", "#NP segment not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD exception",
	"#VE virtualization exception", "#CP control protection",
};

static void set_gate(int vec, uint64_t handler, uint8_t ist)
{
	idt[vec] = (struct idt_gate){
		.offset_lo = handler & 0xFFFF,
		.selector = SEL_KERNEL_CS,
		.ist = ist,
		.type_attr = GATE_INTERRUPT_PRESENT,
		.offset_mid = (handler >> 16) & 0xFFFF,
		.offset_hi = handler >> 32,
	};
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, isr_stub_table[v], 0);
	idt[VEC_NMI].ist = IST_NMI;
	idt[VEC_DF].ist = IST_DOUBLE_FAULT;
	idt[VEC_MC].ist = IST_MACHINE_CHECK;
}

void idt_load(void)
{
	struct idt_ptr p = {.limit = sizeof(idt) - 1, .base = (uint64_t)idt};
	__asm__ volatile("lidt %0" ::"m"(p));
}

void irq_register(uint8_t vector, irq_handler_fn fn)
{
	irq_handlers[vector] = fn;
}

void probe_last_fault(struct probe_fault *out)
{
	*out = probe_faults[this_cpu_index()];
}

/* A fault at a probe instruction resumes at its fixup with -EFAULT. */
static bool fixup_probe(struct trap_frame *f)
{
	for (const uint64_t *e = extable_start; e < extable_end; e += 2) {
		if (e[0] != f->rip)
			continue;
		struct probe_fault *pf = &probe_faults[this_cpu_index()];
		pf->vector = f->vector;
		pf->error_code = f->error_code;
		pf->address = f->vector == VEC_PF ? read_cr2() : 0;
		f->rip = e[1];
		f->rax = (uint64_t)-EFAULT;
		return true;
	}
	return false;
}

void trap_dump_frame(const struct trap_frame *f)
{
	printk(LOG_FATAL, "hv: panic:  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx",
	       (unsigned long long)f->rax, (unsigned long long)f->rbx, (unsigned long long)f->rcx,
	       (unsigned long long)f->rdx);
	printk(LOG_FATAL, "hv: panic:  rsi=%016llx rdi=%016llx rbp=%016llx rsp=%016llx",
	       (unsigned long long)f->rsi, (unsigned long long)f->rdi, (unsigned long long)f->rbp,
	       (unsigned long long)f->rsp);
	printk(LOG_FATAL, "hv: panic:  r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx",
	       (unsigned long long)f->r8, (unsigned long long)f->r9, (unsigned long long)f->r10,
	       (unsigned long long)f->r11);
	printk(LOG_FATAL, "hv: panic:  r12=%016llx r13=%016llx r14=%016llx r15=%016llx",
	       (unsigned long long)f->r12, (unsigned long long)f->r13, (unsigned long long)f->r14,
	       (unsigned long long)f->r15);
	printk(LOG_FATAL, "hv: panic:  rip=%016llx cs=%04llx rflags=%08llx ss=%04llx err=%llx",
	       (unsigned long long)f->rip, (unsigned long long)f->cs, (unsigned long long)f->rflags,
	       (unsigned long long)f->ss, (unsigned long long)f->error_code);
	printk(LOG_FATAL, "hv: panic:  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx",
	       (unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
	       (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
}

static void exception_fatal(struct trap_frame *f)
{
	uint64_t v = f->vector;
	const char *name = v < 32 && exception_names[v] ? exception_names[v] : "exception";

	panic_begin();
	printk(LOG_FATAL, "hv: panic: %s (vector %llu) on cpu%u at rip %016llx",
	       name, (unsigned long long)v, this_cpu_index(), (unsigned long long)f->rip);
	if (v == VEC_PF)
		printk(LOG_FATAL, "hv: panic:  page fault address %016llx (%s %s%s)",
		       (unsigned long long)read_cr2(), f->error_code & 1 ? "protection" : "not-present",
		       f->error_code & 2 ? "write" : "read", f->error_code & 16 ? " fetch" : "");
	trap_dump_frame(f);
	backtrace_from(f->rip, f->rbp);
	panic_stop_all();
}

void trap_dispatch(struct trap_frame *f)
{
	uint64_t v = f->vector;

	if (v == VEC_NMI) {
		panic_nmi(f);
		return;
	}
	if (v < 32) {
		if (fixup_probe(f))
			return;
		exception_fatal(f);
		return;
	}
	if (irq_handlers[v]) {
		irq_handlers[v](f);
	} else if (v != VEC_SPURIOUS) {
		pr_warn("trap: unexpected interrupt vector %llu on cpu%u", (unsigned long long)v,
			this_cpu_index());
		if (v >= VEC_LEGACY_PIC_BASE + 16 || v < VEC_LEGACY_PIC_BASE)
			lapic_eoi();
	}
}
