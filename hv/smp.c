/* AP start-up: one AP at a time through a shared trampoline. */
#include "hv/smp.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/percpu.h"
#include "hv/smp_call.h"
#include "hv/string.h"
#include "hv/trap.h"
#include "drivers/lapic.h"
#include "drivers/tsc.h"
#include "mm/heap.h"
#include "mm/paging.h"
#include "mm/pmm.h"

#define LOW_MEMORY_LIMIT (1 * MiB)   /* SIPI vectors address pages below 1 MiB */
#define INIT_DEASSERT_WAIT_US 10000  /* SDM 3A 9.4.4.1: 10 ms after INIT */
#define SIPI_WAIT_US 200             /* 200 us between the two SIPIs */
#define AP_ANSWER_TIMEOUT_US 500000

/* Mirrors the TD_* offsets in boot/trampoline.asm. */
struct trampoline_data {
	uint16_t gdtr_limit;
	uint32_t gdtr_base;
	uint16_t pad0;
	uint32_t pm_offset;
	uint16_t pm_selector;
	uint16_t pad1;
	uint32_t lm_offset;
	uint16_t lm_selector;
	uint16_t pad2;
	uint32_t cr3;
	uint32_t efer_set;
	uint64_t stack;
	uint64_t arg;
	uint64_t entry;
	uint64_t gdt[4];
} __packed;
_Static_assert(__builtin_offsetof(struct trampoline_data, pm_offset) == 8, "TD_PM_PTR");
_Static_assert(__builtin_offsetof(struct trampoline_data, lm_offset) == 16, "TD_LM_PTR");
_Static_assert(__builtin_offsetof(struct trampoline_data, cr3) == 24, "TD_CR3");
_Static_assert(__builtin_offsetof(struct trampoline_data, stack) == 32, "TD_STACK");
_Static_assert(__builtin_offsetof(struct trampoline_data, entry) == 48, "TD_ENTRY");

#define TRAMP_SEL_CODE32 0x08
#define TRAMP_SEL_CODE64 0x18
/* Flat descriptors with the accessed bit preset (no write to the GDT). */
#define DESC_CODE32 0x00CF9B000000FFFFULL
#define DESC_DATA 0x00CF93000000FFFFULL
#define DESC_CODE64 0x00AF9B000000FFFFULL

extern const char trampoline_start[], trampoline_end[];
extern const uint32_t trampoline_pm32_offset, trampoline_lm64_offset;
extern uint32_t boot_cpu_has_nx;

static uint64_t tramp_page;

static int setup_trampoline(void)
{
	uint64_t pa = pmm_alloc(&g_pmm, 2, PAGE_SIZE, LOW_MEMORY_LIMIT);
	if (!pa)
		return -ENOMEM;
	/* code page: written once, then read-only+executable (W^X) */
	int err = paging_map(pa, pa, PAGE_SIZE, PROT_READ | PROT_WRITE);
	if (err)
		return err;
	memcpy((void *)pa, trampoline_start, (size_t)(trampoline_end - trampoline_start));
	err = paging_map(pa, pa, PAGE_SIZE, PROT_READ | PROT_EXEC);
	if (err)
		return err;

	struct trampoline_data *td = (struct trampoline_data *)(pa + PAGE_SIZE);
	memset(td, 0, sizeof(*td));
	td->gdt[0] = 0;
	td->gdt[1] = DESC_CODE32;
	td->gdt[2] = DESC_DATA;
	td->gdt[3] = DESC_CODE64;
	td->gdtr_limit = sizeof(td->gdt) - 1;
	td->gdtr_base = (uint32_t)(uint64_t)td->gdt;
	td->pm_offset = (uint32_t)pa + trampoline_pm32_offset;
	td->pm_selector = TRAMP_SEL_CODE32;
	td->lm_offset = (uint32_t)pa + trampoline_lm64_offset;
	td->lm_selector = TRAMP_SEL_CODE64;
	td->cr3 = (uint32_t)paging_root();
	td->efer_set = boot_cpu_has_nx ? EFER_NXE : 0;
	tramp_page = pa;
	return 0;
}

static uint64_t alloc_stack(uint64_t size, bool guard)
{
	uint64_t pages = size / PAGE_SIZE + (guard ? 1 : 0);
	uint64_t base = pmm_alloc(&g_pmm, pages, PAGE_SIZE, 0);
	if (!base)
		return 0;
	if (guard) {
		if (paging_unmap(base, PAGE_SIZE))
			return 0;
		base += PAGE_SIZE;
	}
	memset((void *)base, 0, size);
	return base;
}

struct percpu *percpu_alloc(uint32_t index)
{
	struct percpu *c = kmalloc(sizeof(*c));
	if (!c)
		return NULL;
	c->index = index;
	c->stack_base = alloc_stack(CPU_STACK_SIZE, true);
	if (!c->stack_base)
		return NULL;
	c->stack_top = c->stack_base + CPU_STACK_SIZE;
	for (int i = 0; i < IST_COUNT; i++) {
		uint64_t s = alloc_stack(CPU_IST_STACK_SIZE, false);
		if (!s)
			return NULL;
		c->ist_top[i] = s + CPU_IST_STACK_SIZE;
	}
	return c;
}

static void __noreturn ap_main(struct percpu *c)
{
	percpu_install(c);
	gdt_load_cpu(c);
	idt_load();
	lapic_init_cpu();
	c->apic_id = lapic_id();
	__atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
	cpu_idle_loop();
}

static bool wait_online(struct percpu *c, uint64_t us)
{
	uint64_t deadline = tsc_deadline_us(us);
	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
		if (tsc_passed(deadline))
			return false;
		cpu_relax();
	}
	return true;
}

/* SIPIs an AP that was INITed already; true once it reports in. */
static bool start_ap(struct percpu *c, uint32_t apic_id)
{
	struct trampoline_data *td = (struct trampoline_data *)(tramp_page + PAGE_SIZE);
	uint8_t vector = (uint8_t)(tramp_page >> 12);

	td->stack = c->stack_top;
	td->arg = (uint64_t)c;
	td->entry = (uint64_t)ap_main;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	for (int sipi = 0; sipi < 2; sipi++) {
		lapic_send_startup(apic_id, vector);
		lapic_ipi_wait_idle();
		if (wait_online(c, sipi == 0 ? SIPI_WAIT_US : AP_ANSWER_TIMEOUT_US))
			return true;
	}
	/* Park it again so a late start cannot run on a reused trampoline. */
	lapic_send_init(apic_id);
	lapic_ipi_wait_idle();
	return false;
}

/* The APs to start: enabled MADT entries other than ourselves, up to limit. */
static uint32_t pick_targets(const struct acpi_info *acpi, uint32_t bsp_id, uint32_t limit,
			     uint32_t *ids)
{
	uint32_t n = 0;
	for (uint32_t i = 0; acpi->have_madt && i < acpi->cpu_count && n + 1 < limit; i++) {
		const struct acpi_cpu *cpu = &acpi->cpus[i];
		if (!cpu->enabled || cpu->apic_id == bsp_id)
			continue;
		if (cpu->apic_id > 0xFF && !lapic_is_x2apic()) {
			pr_warn("smp: cpu with APIC id %u needs x2APIC mode, skipped", cpu->apic_id);
			continue;
		}
		ids[n++] = cpu->apic_id;
	}
	return n;
}

uint32_t smp_boot(const struct acpi_info *acpi, uint32_t max_cpus)
{
	uint32_t bsp_id = lapic_id();
	uint32_t enabled = 0;

	for (uint32_t i = 0; acpi->have_madt && i < acpi->cpu_count; i++)
		enabled += acpi->cpus[i].enabled;
	if (enabled == 0)
		enabled = 1; /* no usable MADT: the boot CPU alone */
	uint32_t limit = MIN(enabled, (uint32_t)HV_MAX_CPUS);
	if (max_cpus && max_cpus < limit)
		limit = max_cpus;

	if (limit > 1 && setup_trampoline()) {
		pr_err("smp: no memory below 1 MiB for the AP trampoline; running on one CPU");
		limit = 1;
	}
	static uint32_t ids[HV_MAX_CPUS];
	uint32_t n = pick_targets(acpi, bsp_id, limit, ids);

	/* INIT every AP, then one wait for all (SDM 3A 9.4.4.1 asks 10 ms after
	 * INIT; doing it once keeps start-up time flat in the CPU count). */
	for (uint32_t i = 0; i < n; i++) {
		lapic_send_init(ids[i]);
		lapic_ipi_wait_idle();
	}
	if (n)
		udelay(INIT_DEASSERT_WAIT_US);
	for (uint32_t i = 0; i < n; i++) {
		struct percpu *c = percpu_alloc(g_cpu_count);
		if (!c) {
			pr_err("smp: out of memory for cpu%u", g_cpu_count);
			break;
		}
		if (!start_ap(c, ids[i])) {
			pr_err("smp: cpu with APIC id %u did not answer, skipped", ids[i]);
			continue; /* its area stays allocated: the AP might still touch it */
		}
		g_cpus[g_cpu_count++] = c;
		pr_debug("smp: cpu%u (APIC id %u) online", c->index, c->apic_id);
	}
	printk(LOG_MARKER, "smp: %u of %u CPUs online%s", g_cpu_count, enabled,
	       max_cpus && max_cpus < enabled ? " (limited by smp=)" : "");
	return g_cpu_count;
}
