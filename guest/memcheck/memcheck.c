/* A witness for isolation tests and the demo: it fills a region of its own
 * RAM with a pattern drawn from a seed, then every 500 ms (`period=`)
 * checksums the region again and says whether it still holds what it
 * wrote. Another VM (guest/hostile) that reached this RAM would show up as
 * CHANGED. Lines typed on its console are answered, so a person sees the
 * VM is alive. Options: region=<start>,<size> (hex), seed=<hex>,
 * rounds=<n> (default: forever), period=<ms>, corrupt=<n> (the guest
 * flips a bit itself before round n: tests the CHANGED path).
 *
 * Time comes from the PIT through the 8259 (IRQ0, 20 Hz by default) and
 * input from COM1's received-data interrupt (IRQ4): between events the
 * guest sits in HLT, which costs an emulator little. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "guest.h"
#include "printf.h"
#include "serial.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "memcheck";

#define KiB 1024U
#define MiB (1024U * 1024U)
#define PAGE_SIZE 4096U

#define DEFAULT_START (4 * MiB)
#define DEFAULT_SIZE (1 * MiB)
#define DEFAULT_SEED 0x6D656D63U /* "memc" */

/* 8259A pair (ICW1-4 as in echo/irqtest), ISA IRQs on vectors 0x20-0x2F */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI 0x20
#define VEC_PIC_BASE 0x20
#define IRQ_PIT 0

/* 8254 channel 0 as a rate generator. Its 16-bit count reaches 54 ms at
 * most, so a round is several ticks: by default ten of 50 ms (count 59659,
 * 20.0 Hz). `period=<ms>` changes it: up to 50 ms one tick per round,
 * above that ticks of at most 50 ms (the period rounds down to a multiple
 * of the tick). */
#define PIT_HZ 1193182U
#define PIT_CH0 0x40
#define PIT_MODE 0x43
#define PIT_CH0_LOHI_MODE2 0x34
#define DEFAULT_PERIOD_MS 500U
#define MAX_TICK_MS 50U
#define MAX_PERIOD_MS 3600000U

/* 16550A */
#define LINE_MAX 80

extern char _end[]; /* guest.ld: first byte after the image and its bss */

static volatile uint32_t ticks;
static uint32_t tick_ms, round_ticks;
static volatile char ring[256];
static volatile uint8_t ring_head, ring_tail; /* uint8_t: wraps with the ring */

struct region {
	uint32_t start, size;
};

static void on_pit(uint32_t vector)
{
	(void)vector;
	ticks++;
	outb(PIC1_CMD, PIC_EOI);
}

static void on_com1(uint32_t vector)
{
	(void)vector;
	while (inb(COM1_BASE + UART_LSR) & LSR_DR)
		ring[ring_head++] = (char)inb(COM1_BASE + UART_RBR);
	outb(PIC1_CMD, PIC_EOI);
}

/* Splits a round of period_ms into round_ticks ticks of tick_ms. */
static void set_period(uint32_t period_ms)
{
	round_ticks = (period_ms + MAX_TICK_MS - 1) / MAX_TICK_MS;
	tick_ms = period_ms / round_ticks;
}

static void devices_init(void)
{
	uint16_t count = (uint16_t)(PIT_HZ * tick_ms / 1000U);

	trap_set_irq_handler(VEC_PIC_BASE + IRQ_PIT, on_pit);
	trap_set_irq_handler(VEC_PIC_BASE + COM1_IRQ, on_com1);
	outb(PIC1_CMD, 0x11); outb(PIC2_CMD, 0x11);         /* ICW1: edge, cascade, ICW4 */
	outb(PIC1_DATA, VEC_PIC_BASE); outb(PIC2_DATA, 0x28); /* ICW2: vector bases */
	outb(PIC1_DATA, 0x04); outb(PIC2_DATA, 0x02);       /* ICW3: slave on IR2 */
	outb(PIC1_DATA, 0x01); outb(PIC2_DATA, 0x01);       /* ICW4: 8086 mode */
	outb(PIC1_DATA, (uint8_t)~((1U << IRQ_PIT) | (1U << COM1_IRQ)));
	outb(PIC2_DATA, 0xFF);
	outb(PIT_MODE, PIT_CH0_LOHI_MODE2);
	outb(PIT_CH0, count & 0xFF);
	outb(PIT_CH0, count >> 8);
	outb(COM1_BASE + UART_FCR, FCR_FIFO_ON);
	outb(COM1_BASE + UART_MCR, MCR_DTR_RTS_OUT2);
	outb(COM1_BASE + UART_IER, IER_RDA);
}

/* The pattern: a xorshift32 stream from the seed, each word also mixed
 * with its address, so a region that moved or pages that alias each
 * other read back wrong even where the stream repeats. */
static uint32_t xorshift32(uint32_t x)
{
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

static uint32_t seed_state(uint32_t seed) { return seed ? seed : DEFAULT_SEED; /* xorshift's 0 is stuck */ }

/* One multiply and one rotate per word. Each step is a bijection of the
 * running sum, so a single changed word always changes the result; the
 * rotate carries high-bit differences back down, where the next multiply
 * spreads them again (without it, two flips of bit 31 would cancel). */
#define SUM_INIT 0x811C9DC5U
#define SUM_MULT 0x9E3779B1U /* odd: multiplying by it is invertible */

static uint32_t sum_step(uint32_t sum, uint32_t word)
{
	sum = (sum ^ word) * SUM_MULT;
	return sum << 15 | sum >> 17;
}

/* Writes the pattern; returns the sum of what it wrote (computed from the
 * values, not read back: a change right after the fill still shows). */
static uint32_t fill(const struct region *r, uint32_t seed)
{
	uint32_t x = seed_state(seed), sum = SUM_INIT;

	for (uint32_t a = r->start; a < r->start + r->size; a += 4) {
		uint32_t w;

		x = xorshift32(x);
		w = x ^ a;
		*(volatile uint32_t *)a = w;
		sum = sum_step(sum, w);
	}
	return sum;
}

static uint32_t checksum(const struct region *r)
{
	uint32_t sum = SUM_INIT;

	for (uint32_t a = r->start; a < r->start + r->size; a += 4)
		sum = sum_step(sum, *(volatile uint32_t *)a);
	return sum;
}

/* After a mismatch: where the region first differs from the pattern. */
static void report_first_difference(const struct region *r, uint32_t seed)
{
	uint32_t x = seed_state(seed), changed = 0, first = 0, first_val = 0, first_want = 0;

	for (uint32_t a = r->start; a < r->start + r->size; a += 4) {
		uint32_t v = *(volatile uint32_t *)a;

		x = xorshift32(x);
		if (v != (x ^ a) && changed++ == 0)
			first = a, first_val = v, first_want = x ^ a;
	}
	if (changed)
		printf("memcheck: %u changed words, first at 0x%x: 0x%08x, expected 0x%08x\n", changed, first,
		       first_val, first_want);
}

/* "0x400000" or "400000": hex digits up to `end`, at most 32 bits. */
static bool parse_hex(const char *s, const char *end, uint32_t *out)
{
	uint64_t v;

	if (!parse_hex64(s, (unsigned int)(end - s), &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* region=<start>,<size>, both hex. */
static bool parse_region(struct region *r)
{
	unsigned int len;
	const char *v = cmdline_value("region", &len), *comma;

	r->start = DEFAULT_START;
	r->size = DEFAULT_SIZE;
	if (v == NULL)
		return true;
	for (comma = v; comma < v + len && *comma != ','; comma++)
		;
	return comma < v + len && parse_hex(v, comma, &r->start) && parse_hex(comma + 1, v + len, &r->size);
}

/* The region must be the guest's own RAM above its image, word-aligned. */
static bool region_ok(const struct region *r)
{
	uint32_t image_end = ((uint32_t)(uintptr_t)_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint32_t ram_end = 1 * MiB + boot_info.mem_upper_kib * KiB;

	if (r->size == 0 || (r->start | r->size) & 3 || r->start < image_end || r->start > ram_end ||
	    r->size > ram_end - r->start) {
		printf("memcheck: region 0x%x+0x%x is not free RAM (usable 0x%x-0x%x, word-aligned)\n", r->start,
		       r->size, image_end, ram_end);
		return false;
	}
	return true;
}

static int fail(void)
{
	printf("memcheck: FAIL\n");
	return 1;
}

/* Collects typed bytes into lines; answers each completed line. */
static void handle_input(void)
{
	static char line[LINE_MAX + 1];
	static unsigned int n;

	while (ring_tail != ring_head) {
		char c = ring[ring_tail++];

		if (c == '\r' || c == '\n') {
			if (n == 0)
				continue; /* the \n of \r\n, or an empty line */
			line[n] = '\0';
			printf("memcheck: got '%s'\n", line);
			n = 0;
		} else if (c == '\b' || c == 0x7F) {
			if (n)
				n--;
		} else if (n < LINE_MAX) {
			line[n++] = (c >= ' ' && c <= '~') ? c : '?';
		}
	}
}

/* Sleeps (sti; hlt) until a byte arrives or the tick count reaches
 * `deadline`. The check and the HLT run with interrupts off and STI's
 * one-instruction shadow covers the HLT, so no wake-up is lost. */
static void wait_event(uint32_t deadline)
{
	__asm__ volatile("cli" ::: "memory");
	while (ring_tail == ring_head && (int32_t)(ticks - deadline) < 0)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	__asm__ volatile("sti" ::: "memory");
}

struct options {
	struct region region;
	uint32_t seed, rounds, corrupt, period_ms;
};

/* The command line; prints why and returns false when it is unusable. */
static bool parse_options(struct options *o)
{
	unsigned int len;

	o->seed = DEFAULT_SEED;
	o->rounds = o->corrupt = 0;
	o->period_ms = DEFAULT_PERIOD_MS;
	if (!parse_region(&o->region)) {
		printf("memcheck: region= wants <start>,<size> in hex\n");
		return false;
	}
	if (!region_ok(&o->region))
		return false;
	if (cmdline_value("period", &len) != NULL &&
	    (!cmdline_uint("period", &o->period_ms) || o->period_ms == 0 || o->period_ms > MAX_PERIOD_MS)) {
		printf("memcheck: period= wants milliseconds, 1 to %u\n", MAX_PERIOD_MS);
		return false;
	}
	cmdline_hex("seed", &o->seed);
	cmdline_uint("rounds", &o->rounds);
	cmdline_uint("corrupt", &o->corrupt);
	return true;
}

/* One round's check; false (after the CHANGED line) when the sum moved. */
static bool check_round(const struct options *o, uint32_t round, uint32_t expected)
{
	const struct region *r = &o->region;
	uint32_t sum;

	if (round == o->corrupt) {
		uint32_t a = r->start + ((r->size / 2) & ~3U);

		printf("memcheck: corrupting 0x%x (corrupt=%u)\n", a, o->corrupt);
		*(volatile uint32_t *)a ^= 0x00010000U;
	}
	sum = checksum(r);
	if (sum != expected) {
		printf("memcheck: round %u sum 0x%08x CHANGED (expected 0x%08x)\n", round, sum, expected);
		report_first_difference(r, o->seed);
		return false;
	}
	printf("memcheck: round %u sum 0x%08x ok\n", round, sum);
	return true;
}

int guest_main(void)
{
	struct options o;
	uint32_t expected, next;

	if (!boot_info.has_memory) {
		printf("memcheck: the loader gave no memory size\n");
		return fail();
	}
	if (!parse_options(&o))
		return fail();
	set_period(o.period_ms);
	expected = fill(&o.region, o.seed);
	if (o.rounds)
		printf("memcheck: seed 0x%08x, a round every %u ms, %u rounds\n", o.seed, tick_ms * round_ticks,
		       o.rounds);
	else
		printf("memcheck: seed 0x%08x, a round every %u ms, forever\n", o.seed, tick_ms * round_ticks);
	printf("memcheck: region 0x%x+0x%x sum 0x%08x\n", o.region.start, o.region.size, expected);

	devices_init();
	next = ticks + round_ticks;
	for (uint32_t round = 1; o.rounds == 0 || round <= o.rounds; round++) {
		while ((int32_t)(ticks - next) < 0) {
			wait_event(next);
			handle_input();
		}
		/* the next deadline stays on the round grid; rounds missed
		 * while busy are skipped, not run back to back */
		while ((int32_t)(ticks - next) >= 0)
			next += round_ticks;
		if (!check_round(&o, round, expected))
			return fail();
	}
	printf("memcheck: PASS\n");
	return 0;
}
