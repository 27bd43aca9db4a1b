/* libFuzzer harness for the board timers (hv/vpit.c, hv/vrtc.c,
 * hv/vpmtimer.c). The input is a program of port accesses of every width
 * (biased towards meaningful control words and registers), clock steps from
 * nanoseconds to years (and, when the first byte says so, steps back), polls,
 * and jumps to each model's announced deadline. Checked after every step:
 * - an interrupt line only ever changes level (never set twice to the same);
 * - a deadline lies after the last time the model looked; polling 1 ns
 *   before it changes nothing, polling at it raises the line (PIT: exactly
 *   one rising edge; RTC: the line goes high);
 * - IRQ0 high means OUT0 high (as of the model's last look); port 0x61
 *   bits 7:6 read 0 and bit 5 is OUT2; BCD counters read decimal digits;
 * - when the first byte asks for it (and clock steps are then kept short),
 *   every counter's value and OUT, and every IRQ0 edge, equal those of a
 *   reference 8254 written here that steps pulse by pulse;
 * - RTC: register D reads 0x80, register C's low nibble is 0 and reading it
 *   lowers IRQ8, UIP only while the clock updates, IRQ8 high means no
 *   deadline, running BCD time registers hold valid BCD in range; with only
 *   the alarm enabled, the deadline is the first second whose time of day
 *   matches the alarm bytes (checked second by second, independently);
 * - PM timer: equals an independent 128-bit computation, within its mask. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_input.h"
#include "hv/vpit.h"
#include "hv/vpmtimer.h"
#include "hv/vrtc.h"
#include "test_log.h"

#define NS_LIMIT (1ULL << 62)

struct line {
	int level, rises;
};

static uint64_t now;
static bool backwards, short_steps;
static struct vpit pit;
static struct vrtc rtc;
static struct vpmtimer pm;
static struct line irq0, irq8;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return now;
}

static void line_set(void *ctx, uint32_t nr, int level)
{
	struct line *l = ctx;

	check(level == 0 || level == 1);
	check(level != l->level);
	if (level)
		l->rises++;
	l->level = level;
}

static void set_now(uint64_t t)
{
	now = MIN(t, NS_LIMIT);
}

static void step_clock(struct input *in)
{
	uint8_t kind = input_u8(in);
	uint64_t d;

	switch (kind & 7) {
	case 0: d = kind >> 3; break;                      /* ns */
	case 1: d = input_le(in, 1) * 838; break;             /* ~ PIT ticks */
	case 2: d = input_le(in, 2) * 1000; break;            /* up to 65 ms */
	case 3: d = input_le(in, 2) * 1000000; break;         /* up to 65 s */
	case 4: d = input_le(in, 3) * 1000000000ULL; break;   /* up to 194 days */
	case 5: d = input_le(in, 5) * 1000000000ULL; break;   /* centuries */
	case 6: d = 500000000ULL - now % 1000000000ULL; break; /* near an RTC update */
	default:
		if (backwards) {
			d = input_le(in, 2) * 1000;
			now = now > d ? now - d : 0;
			return;
		}
		d = 1;
		break;
	}
	if (short_steps)
		d = MIN(d, 20000000ULL); /* keep the reference PIT's pulse count small */
	set_now(now + d);
}

/* --- reference 8254 ------------------------------------------------------ */

/* A plain reading of the datasheet: one step per CLK pulse. It shares the
 * model's reading of when events take effect (a count or a gate trigger
 * loads on the next pulse) but none of its arithmetic. Reads, latches and
 * status do not change counts or OUT, so it ignores them. */
#define REF_BUDGET 1000000 /* pulses per input */

struct ref_ch {
	unsigned int mode, rw;
	bool bcd, gate, out;
	uint32_t cr, n, ce; /* cr/n: 1..M; ce: 0..M-1 */
	bool armed;         /* a count was written since the control word */
	bool started;       /* the CE holds a count and may count */
	bool load, trigger; /* on the next pulse: load the CE */
	bool strobe_done, wmsb;
	/* Mode 3 with count 1 is illegal: what follows is the model's choice
	 * and is not compared until a control word, nor the CE until a load. */
	bool undefined, ce_unknown;
	uint8_t wlsb;
};

static struct {
	struct ref_ch ch[PIT_CHANNELS];
	uint64_t tick, pulses;
	bool on, edge, out0, undefined0;
	int rises;
} ref;

static uint64_t pit_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * PIT_FREQ_HZ / 1000000000u);
}

static uint32_t ref_mod(const struct ref_ch *c)
{
	return c->bcd ? 10000 : 65536;
}

static void ref_load(struct ref_ch *c)
{
	c->n = c->cr;
	c->ce = (c->mode == 3 && (c->n & 1) ? c->n - 1 : c->n) % ref_mod(c);
	c->started = true;
	c->load = c->trigger = c->strobe_done = false;
	c->undefined |= c->mode == 3 && c->n == 1;
	c->ce_unknown = c->undefined;
}

static void ref_count_down(struct ref_ch *c, uint32_t by)
{
	c->ce = (c->ce + ref_mod(c) - by) % ref_mod(c);
}

static void ref_pulse(struct ref_ch *c)
{
	bool o;

	switch (c->mode) {
	case 0: /* OUT high when the count reaches 0 */
		if (c->load) {
			ref_load(c);
		} else if (c->started && c->gate) {
			ref_count_down(c, 1);
			if (!c->ce)
				c->out = 1;
		}
		break;
	case 1: /* trigger: load, OUT low until 0 */
		if (c->trigger) {
			ref_load(c);
			c->out = 0;
		} else if (c->started) {
			ref_count_down(c, 1);
			if (!c->ce)
				c->out = 1;
		}
		break;
	case 2: /* N, ..., 2, 1 (OUT low), reload */
		if (c->load || c->trigger || (c->started && c->gate && c->ce == 1)) {
			ref_load(c);
			c->out = 1;
		} else if (c->started && c->gate) {
			ref_count_down(c, 1);
			c->out = c->ce != 1;
		}
		break;
	case 3: /* by two; toggle and reload when the count expires */
		if (c->load || c->trigger) {
			ref_load(c);
			c->out = 1;
			break;
		}
		if (!c->started || !c->gate)
			break;
		if ((c->n & 1) && c->out && !c->ce) { /* odd: one pulse after expiring */
			ref_load(c);
			c->out = 0;
			break;
		}
		ref_count_down(c, 2);
		if (c->ce)
			break;
		if (!(c->n & 1)) {
			o = !c->out;
			ref_load(c);
			c->out = o;
		} else if (!c->out) {
			ref_load(c);
			c->out = 1;
		}
		break;
	default: /* 4, 5: one pulse low when the count first reaches 0 */
		c->out = 1;
		if (c->load || c->trigger) {
			ref_load(c);
		} else if (c->started && (c->gate || c->mode == 5)) {
			ref_count_down(c, 1);
			if (!c->ce && !c->strobe_done) {
				c->out = 0;
				c->strobe_done = true;
			}
		}
		break;
	}
}

static void ref_advance(uint64_t t)
{
	while (ref.on && ref.tick < t) {
		bool before = ref.ch[0].out;

		ref.tick++;
		for (unsigned int i = 0; i < PIT_CHANNELS; i++)
			ref_pulse(&ref.ch[i]);
		if (ref.ch[0].out && !before)
			ref.edge = true;
		if (++ref.pulses > REF_BUDGET)
			ref.on = false;
	}
}

static void ref_set_count(struct ref_ch *c, uint16_t raw)
{
	uint32_t v = raw, m = ref_mod(c);

	if (c->bcd)
		v = (raw >> 12) * 1000u + (raw >> 8 & 15) * 100u + (raw >> 4 & 15) * 10u +
		    (raw & 15);
	v %= m;
	c->cr = v ? v : m;
	c->armed = true;
	switch (c->mode) {
	case 0:
		c->out = 0;
		c->load = true;
		break;
	case 4:
		c->load = true;
		break;
	case 2:
	case 3:
		if (!c->started && !c->load && !c->trigger && c->gate)
			c->load = true;
		break;
	default:
		break;
	}
}

static void ref_write(uint64_t port, uint8_t v)
{
	struct ref_ch *c;

	if (port >= 0x40 && port <= 0x42) {
		c = &ref.ch[port - 0x40];
		if (c->rw == 1) {
			ref_set_count(c, v);
		} else if (c->rw == 2) {
			ref_set_count(c, (uint16_t)(v << 8));
		} else if (c->wmsb) {
			c->wmsb = false;
			ref_set_count(c, (uint16_t)(c->wlsb | v << 8));
		} else {
			c->wmsb = true;
			c->wlsb = v;
			if (c->mode == 0) { /* the first byte stops the count, OUT low */
				c->started = c->load = false;
				c->out = 0;
			}
		}
	} else if (port == 0x43 && (v >> 6) != 3 && (v >> 4 & 3)) {
		c = &ref.ch[v >> 6];
		c->mode = (v >> 1 & 7) > 5 ? (v >> 1 & 7) - 4 : (v >> 1 & 7);
		c->rw = v >> 4 & 3;
		c->bcd = v & 1;
		c->ce %= ref_mod(c);
		c->out = c->mode != 0;
		c->armed = c->started = c->load = c->trigger = c->wmsb = c->undefined = false;
	} else if (port == 0x61) {
		c = &ref.ch[2];
		if ((v & 1) == c->gate)
			return;
		c->gate = v & 1;
		if (c->gate && c->mode != 0 && c->mode != 4 && c->armed) {
			c->trigger = true;
			c->load = false;
		} else if (!c->gate && (c->mode == 2 || c->mode == 3)) {
			c->out = 1;
		}
	}
}

static void ref_power_on(void)
{
	for (unsigned int i = 0; i < PIT_CHANNELS; i++) {
		memset(&ref.ch[i], 0, sizeof(ref.ch[i])); /* the CE reads 0 until loaded */
		ref.ch[i].gate = i != 2;
		ref_write(0x43, (uint8_t)(i << 6 | 0x36));
		ref_write(0x40 + i, 0);
		ref_write(0x40 + i, 0);
	}
}

/* Around every call into the PIT model: the reference catches up to the
 * same pulse, the call's IRQ0 edge (timed or immediate) must match, and so
 * must every counter and OUT. */
static void pit_enter(void)
{
	ref_advance(MAX(pit_ticks(now), ref.tick));
	ref.out0 = ref.ch[0].out;
	ref.undefined0 = ref.ch[0].undefined;
	ref.rises = irq0.rises;
}

static void pit_leave(void)
{
	if (ref.ch[0].out && !ref.out0)
		ref.edge = true;
	if (ref.on && !ref.ch[0].undefined && !ref.undefined0)
		check(irq0.rises - ref.rises == (ref.edge ? 1 : 0));
	ref.edge = false;
	if (!ref.on)
		return;
	ref.rises = irq0.rises;
	for (unsigned int i = 0; i < PIT_CHANNELS; i++) {
		if (ref.ch[i].undefined)
			continue;
		check(ref.ch[i].ce_unknown || vpit_count(&pit, i) == ref.ch[i].ce);
		check(vpit_out(&pit, i) == ref.ch[i].out);
	}
	check(irq0.rises == ref.rises); /* looking at the same instant adds no edge */
}

/* --- PIT ---------------------------------------------------------------- */

static uint64_t pit_port(struct input *in)
{
	static const uint16_t ports[] = { 0x40, 0x41, 0x42, 0x43, 0x43, 0x61, 0x3f, 0x44 };

	return ports[input_u8(in) % ARRAY_SIZE(ports)];
}

static void pit_access(struct input *in, bool write)
{
	uint64_t port = pit_port(in), val = 0;
	uint8_t w = input_u8(in);
	uint32_t len = 1u << (w & 3);

	pit_enter();
	if (write) {
		val = input_le(in, len);
		check(pit.dev.ops->write(&pit.dev, port, len, val) == 0);
		for (uint32_t i = 0; i < len; i++)
			ref_write(port + i, (uint8_t)(val >> (8 * i)));
	} else if (len == 1 && port >= 0x40 && port <= 0x42) {
		const struct vpit_channel *c = &pit.ch[port - 0x40];
		bool bcd_count = c->bcd && !c->status_latched;

		val = vpit_inb(&pit, (uint16_t)port);
		if (bcd_count)
			check((val & 0x0f) <= 9 && (val >> 4) <= 9);
	} else if (port == 0x61) {
		val = vpit_inb(&pit, 0x61);
		check(!(val & 0xc0));
		check(((val & 0x20) != 0) == vpit_out(&pit, 2));
	} else {
		check(pit.dev.ops->read(&pit.dev, port, len, &val) == 0);
		check(len == 8 || val >> (8 * len) == 0);
	}
	pit_leave();
}

static void pit_poll_at(uint64_t t)
{
	set_now(t);
	pit_enter();
	vpit_poll(&pit, now);
	pit_leave();
}

static void pit_check(void)
{
	uint64_t d = vpit_next_deadline(&pit);
	bool out0;

	/* After the last time the model looked (pit.tick, in PIT ticks). */
	check(d == DEADLINE_NONE || pit_ticks(d) > pit.tick);
	/* Once the model has looked at the time, IRQ0 high means OUT0 high. */
	pit_enter();
	out0 = vpit_out(&pit, 0);
	pit_leave();
	check(!irq0.level || out0);
}

static void pit_to_deadline(void)
{
	uint64_t d = vpit_next_deadline(&pit);
	int rises = irq0.rises;

	if (d == DEADLINE_NONE || d >= NS_LIMIT)
		return;
	if (d > now) { /* else it is overdue: the poll below delivers it */
		pit_poll_at(d - 1);
		check(irq0.rises == rises);
		pit_poll_at(d);
	} else {
		pit_poll_at(now);
	}
	check(irq0.rises == rises + 1 && irq0.level == 1);
}

static void pit_misc(struct input *in)
{
	uint8_t v = input_u8(in);

	pit_enter();
	if (v & 1) {
		vpit_reset(&pit);
		ref_write(0x61, 0);
		ref_power_on();
	} else {
		vpit_outb(&pit, 0x61, v >> 1); /* the channel 2 gate */
		ref_write(0x61, v >> 1);
	}
	pit_leave();
}

/* --- RTC ---------------------------------------------------------------- */

static bool bcd_ok(uint8_t v, unsigned int max)
{
	return (v & 15) <= 9 && (v >> 4) <= 9 && (v >> 4) * 10u + (v & 15) <= max;
}

static bool rtc_updating(void)
{
	return (rtc.cmos[RTC_REG_A] & RTC_A_DV_MASK) == RTC_A_DV_RUN &&
	       !(rtc.cmos[RTC_REG_B] & RTC_B_SET);
}

static void rtc_check_read(uint8_t idx, uint8_t v, bool updating, uint8_t b)
{
	bool bcd = !(b & RTC_B_DM_BINARY), h24 = b & RTC_B_24H;
	uint8_t h = h24 ? v : v & 0x7f;

	switch (idx) {
	case RTC_REG_A:
		check(!(v & RTC_A_UIP) || updating);
		return;
	case RTC_REG_C:
		check(!(v & 0x0f) && !irq8.level);
		return;
	case RTC_REG_D:
		check(v == RTC_D_VRT);
		return;
	default:
		break;
	}
	if (!updating)
		return;
	switch (idx) {
	case RTC_SECONDS:
	case RTC_MINUTES:
		check(bcd ? bcd_ok(v, 59) : v <= 59);
		break;
	case RTC_HOURS:
		if (h24)
			check(bcd ? bcd_ok(h, 23) : h <= 23);
		else
			check(bcd ? bcd_ok(h, 12) && h : h >= 1 && h <= 12);
		break;
	case RTC_DAY_OF_WEEK:
		check(v >= 1 && v <= 7);
		break;
	case RTC_DAY_OF_MONTH:
		check(bcd ? bcd_ok(v, 31) && v : v >= 1 && v <= 31);
		break;
	case RTC_MONTH:
		check(bcd ? bcd_ok(v, 12) && v : v >= 1 && v <= 12);
		break;
	case RTC_YEAR:
	case RTC_CENTURY:
		check(bcd ? bcd_ok(v, 99) : v <= 99);
		break;
	default:
		break;
	}
}

static uint8_t rtc_index(struct input *in)
{
	uint8_t v = input_u8(in);

	/* Mostly the clock registers and the memory-size bytes. */
	return v & 0x80 ? v : (uint8_t)(v % 16 | (v & 0x40 ? 0x30 : 0));
}

static uint8_t rtc_value(struct input *in)
{
	uint8_t sel = input_u8(in), v = input_u8(in);

	switch (sel & 3) {
	case 0: return (uint8_t)((sel >> 2) % 10 << 4 | v % 10); /* BCD */
	case 1: return (uint8_t)(0x20 | (v & 0x0f));            /* register A: running */
	default: return v;
	}
}

static void rtc_access(struct input *in)
{
	uint8_t op = input_u8(in);

	switch (op & 3) {
	case 0:
		vrtc_outb(&rtc, RTC_PORT_INDEX, rtc_index(in));
		break;
	case 1:
		vrtc_outb(&rtc, RTC_PORT_DATA, rtc_value(in));
		break;
	case 2: {
		uint8_t idx = rtc.index, b = rtc.cmos[RTC_REG_B];
		bool upd = rtc_updating();

		rtc_check_read(idx, vrtc_inb(&rtc, RTC_PORT_DATA), upd, b);
		break;
	}
	default: {
		uint64_t v = 0;
		uint32_t len = 1u << (op >> 2 & 3);
		uint64_t port = 0x70 + (op >> 4 & 1);

		if (op & 0x20)
			check(rtc.dev.ops->write(&rtc.dev, port, len, input_le(in, len)) == 0);
		else
			check(rtc.dev.ops->read(&rtc.dev, port, len, &v) == 0);
		break;
	}
	}
}

static void rtc_check(void)
{
	uint64_t d = vrtc_next_deadline(&rtc);

	check(d == DEADLINE_NONE || d > rtc.sync_ns);
	check(!irq8.level || d == DEADLINE_NONE);
	check(rtc.index < RTC_CMOS_SIZE);
}

/* Registers through the ports, without disturbing the guest's index. */
static uint8_t rtc_peek(uint8_t idx)
{
	uint8_t saved = rtc.index, v;

	vrtc_outb(&rtc, RTC_PORT_INDEX, idx);
	v = vrtc_inb(&rtc, RTC_PORT_DATA);
	rtc.index = saved;
	return v;
}

/* The alarm comparison written out again: each second's hours, minutes
 * and seconds encoded as the chip would show them, byte for byte against
 * the alarm registers, 0xc0-0xff matching anything. */
static uint8_t ref_enc(unsigned int v, uint8_t b)
{
	return (uint8_t)(b & RTC_B_DM_BINARY ? v : (v / 10) << 4 | v % 10);
}

static bool ref_alarm_matches(unsigned int tod, uint8_t b)
{
	unsigned int h = tod / 3600, h12 = h % 12 ? h % 12 : 12;
	uint8_t got[3], want[3];

	got[0] = b & RTC_B_24H ? ref_enc(h, b) : (uint8_t)(ref_enc(h12, b) | (h >= 12 ? 0x80 : 0));
	got[1] = ref_enc(tod / 60 % 60, b);
	got[2] = ref_enc(tod % 60, b);
	want[0] = rtc.cmos[RTC_HOURS_ALARM];
	want[1] = rtc.cmos[RTC_MINUTES_ALARM];
	want[2] = rtc.cmos[RTC_SECONDS_ALARM];
	for (unsigned int i = 0; i < 3; i++)
		if ((want[i] & 0xc0) != 0xc0 && want[i] != got[i])
			return false;
	return true;
}

static unsigned int ref_dec(uint8_t v, uint8_t b)
{
	return b & RTC_B_DM_BINARY ? v : (v >> 4) * 10u + (v & 15);
}

static unsigned int rtc_time_of_day(uint8_t b)
{
	uint8_t hb = rtc_peek(RTC_HOURS);
	unsigned int h = b & RTC_B_24H ? ref_dec(hb, b)
				       : ref_dec(hb & 0x7f, b) % 12 + (hb & 0x80 ? 12 : 0);
	unsigned int m = ref_dec(rtc_peek(RTC_MINUTES), b);

	return h * 3600 + m * 60 + ref_dec(rtc_peek(RTC_SECONDS), b);
}

static void rtc_to_deadline(void)
{
	uint8_t b = rtc.cmos[RTC_REG_B];
	bool alarm_only = rtc_updating() && (b & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE)) == RTC_B_AIE;
	unsigned int tod0 = alarm_only ? rtc_time_of_day(b) : 0, tod1, k;
	uint64_t d = vrtc_next_deadline(&rtc);

	if (d == DEADLINE_NONE || d >= NS_LIMIT)
		return;
	if (d > now) {
		set_now(d - 1);
		vrtc_poll(&rtc, now);
		check(irq8.level == 0);
		set_now(d);
	}
	vrtc_poll(&rtc, now);
	check(irq8.level == 1);
	if (!alarm_only)
		return;
	/* The alarm fired at the first second after tod0 that matches. */
	tod1 = rtc_time_of_day(b);
	k = (tod1 + 86400 - tod0) % 86400;
	k = k ? k : 86400;
	check(ref_alarm_matches(tod1, b));
	for (unsigned int j = 1; j < k; j++)
		check(!ref_alarm_matches((tod0 + j) % 86400, b));
}

/* --- PM timer ----------------------------------------------------------- */

static void pm_access(struct input *in)
{
	uint8_t op = input_u8(in);
	uint32_t len = 1u << (op & 3);
	uint64_t off = op >> 2 & 3, v = 0;
	uint32_t want =
		(uint32_t)((unsigned __int128)now * PMTIMER_FREQ_HZ / 1000000000u) & pm.mask;

	check(pm.dev.ops->read(&pm.dev, pm.port + off, len, &v) == 0);
	for (uint32_t i = 0; i < len; i++) {
		uint8_t b = (uint8_t)(v >> (8 * i));

		check(b == (off + i < 4 ? (uint8_t)(want >> (8 * (off + i))) : 0xff));
	}
	check(pm.dev.ops->write(&pm.dev, pm.port, len, v) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vclock clk = { fake_now, NULL };
	const struct irq_out o0 = { line_set, &irq0, 0 }, o8 = { line_set, &irq8, 8 };
	struct input in = { data, size };
	uint8_t flags = input_u8(&in);

	test_log_reset();
	backwards = flags & 1;
	short_steps = flags & 0x10;
	now = (flags & 2) ? input_le(&in, 4) * 1000 : 0;
	memset(&irq0, 0, sizeof(irq0));
	memset(&irq8, 0, sizeof(irq8));
	vpit_init(&pit, &clk, &o0);
	memset(&ref, 0, sizeof(ref));
	ref.on = short_steps;
	ref.tick = pit_ticks(now);
	ref_power_on();
	vrtc_init(&rtc, &clk, &o8, (int64_t)(input_le(&in, 5) - (1ULL << 39)));
	vpmtimer_init(&pm, &clk, 0x608, flags & 4);
	if (flags & 8)
		vrtc_set_memory_size(&rtc, input_le(&in, 5) << 12);

	while (in.n) {
		switch (input_u8(&in) % 16) {
		case 0: case 1: case 2: pit_access(&in, true); break;
		case 3: case 4: pit_access(&in, false); break;
		case 5: case 6: case 7: rtc_access(&in); break;
		case 8: pm_access(&in); break;
		case 9: case 10: case 11: step_clock(&in); break;
		case 12: pit_to_deadline(); break;
		case 13: rtc_to_deadline(); break;
		case 14: pit_poll_at(now); vrtc_poll(&rtc, now); break;
		default: pit_misc(&in); break;
		}
		pit_check();
		rtc_check();
	}
	check(test_log_count() == 0); /* guests cannot make the models log */
	return 0;
}
