/* On-machine self-tests: faults caught and reported, W^X and guard pages
 * enforced, IPIs to every core and back, LAPIC timers firing everywhere. */
#include "hv/selftest.h"
#include "hv/log.h"
#include "hv/percpu.h"
#include "hv/trap.h"
#include "drivers/lapic.h"
#include "drivers/tsc.h"
#include "mm/heap.h"
#include "mm/paging.h"

#define IPI_TIMEOUT_US 200000
#define TIMER_TIMEOUT_US 200000
#define TIMER_COUNT 20000 /* bus ticks / 16: short, but not instant */
#define PF_ERR_PRESENT 0x1
#define PF_ERR_WRITE 0x2

extern char __text_start[];

static int passed, failed;
static volatile uint32_t ping_sender_apic;

static void check(bool ok, const char *name, const char *detail)
{
	if (ok) {
		passed++;
		pr_info("selftest: %s: ok", name);
	} else {
		failed++;
		printk(LOG_ERR, "selftest: %s: FAILED (%s)", name, detail);
	}
}

static void test_page_fault_caught(void)
{
	uint64_t v;
	struct probe_fault pf;
	int r = probe_read64((const uint64_t *)0, &v);
	probe_last_fault(&pf);
	pr_info("selftest: page fault at 0x%llx caught (vector %llu, error 0x%llx)",
		(unsigned long long)pf.address, (unsigned long long)pf.vector,
		(unsigned long long)pf.error_code);
	check(r < 0 && pf.vector == VEC_PF && pf.address == 0, "null page fault",
	      "reading address 0 did not fault");
}

static void test_text_is_read_only(void)
{
	struct probe_fault pf;
	uint64_t *code = (uint64_t *)__text_start;
	int r = probe_write64(code, *code); /* same value: harmless if it went through */
	probe_last_fault(&pf);
	check(r < 0 && (pf.error_code & (PF_ERR_PRESENT | PF_ERR_WRITE)) == (PF_ERR_PRESENT | PF_ERR_WRITE),
	      "W^X text write-protected", "a write to .text did not fault");
	check(!(paging_prot((uint64_t)&passed) & PROT_EXEC), "W^X data not executable",
	      ".data is mapped executable");
}

static void test_stack_guard(void)
{
	uint64_t v;
	uint64_t guard = this_cpu()->stack_base - sizeof(uint64_t);
	check(probe_read64((const uint64_t *)guard, &v) < 0, "stack guard page",
	      "the page below the stack is mapped");
}

/* Every usable range of the memory map, above 4 GiB too, is reachable:
 * probe its first and last page. */
static void test_all_ram_mapped(const struct boot_info *bi)
{
	uint32_t bad = 0, ranges = 0;
	uint64_t v;

	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		const struct mem_range *r = &bi->mmap[i];
		uint64_t first = ALIGN_UP(r->base, PAGE_SIZE), end = ALIGN_DOWN(r->base + r->len, PAGE_SIZE);
		if (r->type != MEM_USABLE || end <= first || first == 0)
			continue;
		ranges++;
		if (probe_read64((const uint64_t *)first, &v) ||
		    probe_read64((const uint64_t *)(end - sizeof(uint64_t)), &v)) {
			printk(LOG_ERR, "selftest: RAM 0x%llx-0x%llx is not mapped", (unsigned long long)first,
			       (unsigned long long)end);
			bad++;
		}
	}
	check(ranges > 0 && bad == 0, "all RAM mapped", "some usable RAM is not mapped");
}

static void test_heap(void)
{
	uint8_t *a = kmalloc(100), *b = kmalloc(10000);
	bool ok = a && b && a != b && a[99] == 0 && b[9999] == 0;
	kfree(a);
	kfree(b);
	check(ok, "heap", "kmalloc failed or returned dirty memory");
}

static void timer_irq(struct trap_frame *f)
{
	this_cpu()->timer_ticks++;
	lapic_eoi();
}

/* On the target: count the ping, arm the local timer, answer with a pong. */
static void ping_irq(struct trap_frame *f)
{
	this_cpu()->ipi_pings++;
	lapic_timer_oneshot(TIMER_COUNT, VEC_LAPIC_TIMER);
	lapic_eoi();
	lapic_send_ipi(ping_sender_apic, VEC_IPI_PONG);
}

static void pong_irq(struct trap_frame *f)
{
	this_cpu()->ipi_pongs++;
	lapic_eoi();
}

static bool wait_for(volatile uint64_t *counter, uint64_t target, uint64_t us)
{
	uint64_t deadline = tsc_deadline_us(us);
	while (*counter < target) {
		if (tsc_passed(deadline))
			return false;
		irq_enable();
		cpu_relax();
	}
	return true;
}

static void test_ipis_and_timers(void)
{
	struct percpu *me = this_cpu();
	uint32_t answered = 0, timers = 0;

	ping_sender_apic = me->apic_id;
	for (uint32_t i = 0; i < g_cpu_count; i++) {
		struct percpu *c = g_cpus[i];
		if (c == me)
			continue;
		uint64_t pongs = me->ipi_pongs;
		uint64_t ticks = c->timer_ticks;
		lapic_send_ipi(c->apic_id, VEC_IPI_PING);
		if (wait_for(&me->ipi_pongs, pongs + 1, IPI_TIMEOUT_US))
			answered++;
		else
			printk(LOG_ERR, "selftest: cpu%u did not answer an IPI", c->index);
		if (wait_for(&c->timer_ticks, ticks + 1, TIMER_TIMEOUT_US))
			timers++;
		else
			printk(LOG_ERR, "selftest: cpu%u's LAPIC timer did not fire", c->index);
	}
	pr_info("selftest: %u of %u other cpus answered IPIs", answered, g_cpu_count - 1);
	check(answered == g_cpu_count - 1, "IPI round trip", "some cpus did not answer");
	check(timers == g_cpu_count - 1, "LAPIC timer on other cpus", "some timers did not fire");

	uint64_t ticks = me->timer_ticks;
	lapic_timer_oneshot(TIMER_COUNT, VEC_LAPIC_TIMER);
	check(wait_for(&me->timer_ticks, ticks + 1, TIMER_TIMEOUT_US), "LAPIC timer on boot cpu",
	      "no timer interrupt");
}

static void test_clock_monotonic(void)
{
	uint64_t a = clock_ns();
	udelay(1000);
	uint64_t b = clock_ns();
	check(b > a && b - a >= 1000000, "monotonic clock", "clock did not advance by 1 ms");
}

int selftest_run(const struct boot_info *bi)
{
	uint64_t flags = irq_save();

	passed = failed = 0;
	irq_register(VEC_LAPIC_TIMER, timer_irq);
	irq_register(VEC_IPI_PING, ping_irq);
	irq_register(VEC_IPI_PONG, pong_irq);
	test_page_fault_caught();
	test_text_is_read_only();
	test_stack_guard();
	test_all_ram_mapped(bi);
	test_heap();
	test_clock_monotonic();
	test_ipis_and_timers();
	lapic_timer_stop();
	irq_restore(flags);
	printk(LOG_MARKER, "selftest: %d passed, %d failed", passed, failed);
	return failed;
}
