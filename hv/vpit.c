/* 8254 PIT model (Intel 8254 datasheet, order 231164): modes 0-5, binary
 * and BCD, the LSB/MSB access modes with their flip-flops, counter latch and
 * read-back commands, gates, and port 0x61. Nothing ticks: every channel
 * records when its counting element (CE) was loaded and how many clock
 * pulses it has counted since, and the count and OUT at any instant follow
 * from the VM clock. Timing follows the datasheet's "on the next CLK pulse"
 * rules: a count written between pulses T and T+1 is loaded by pulse T+1. */
#include "hv/vpit.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"

#define NS_PER_SEC 1000000000ULL
#define NO_TICK UINT64_MAX

/* Control word (datasheet "Control Word Format"): SC1 SC0 RW1 RW0 M2 M1 M0 BCD. */
#define PIT_CW_SC(cw) ((cw) >> 6)
#define PIT_CW_RW(cw) (((cw) >> 4) & 3)
#define PIT_CW_MODE(cw) (((cw) >> 1) & 7)
#define PIT_CW_BCD 0x01
#define PIT_SC_READBACK 3
/* Read-back command (datasheet "Read-Back Command"): COUNT and STATUS are
 * active low; bits 3:1 select counters 2..0. */
#define PIT_RB_NO_COUNT 0x20
#define PIT_RB_NO_STATUS 0x10
#define PIT_RB_SELECT(cw, i) ((cw) & (2u << (i)))
/* Status byte: OUT, NULL COUNT, RW1 RW0, M2 M1 M0, BCD. */
#define PIT_STATUS_OUT 0x80
#define PIT_STATUS_NULL 0x40

/* ns -> pulses that have happened by then (pulse 0 at ns 0). Split at whole
 * seconds so nothing overflows. */
static uint64_t ns_to_ticks(uint64_t ns)
{
	return ns / NS_PER_SEC * PIT_FREQ_HZ + ns % NS_PER_SEC * PIT_FREQ_HZ / NS_PER_SEC;
}

/* First ns at which pulse t has happened (the inverse of ns_to_ticks). */
static uint64_t ticks_to_ns(uint64_t t)
{
	uint64_t sec = t / PIT_FREQ_HZ, rem = t % PIT_FREQ_HZ;

	if (t == NO_TICK)
		return DEADLINE_NONE;
	if (sec > (UINT64_MAX - NS_PER_SEC) / NS_PER_SEC)
		return DEADLINE_NONE - 1; /* centuries away: never reached */
	return sec * NS_PER_SEC + (rem * NS_PER_SEC + PIT_FREQ_HZ - 1) / PIT_FREQ_HZ;
}

static uint32_t ch_modulus(const struct vpit_channel *c)
{
	return c->bcd ? 10000 : 65536;
}

static uint16_t to_bcd16(uint32_t v)
{
	return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 |
			  v % 10);
}

/* A written count: 0 means the maximum (65536, or 10000 in BCD). Nibbles
 * above 9 in BCD are undefined on the chip; they are reduced modulo 10000. */
static uint32_t decode_count(const struct vpit_channel *c, uint16_t raw)
{
	uint32_t v = raw;

	if (c->bcd)
		v = (raw >> 12) * 1000u + (raw >> 8 & 15) * 100u + (raw >> 4 & 15) * 10u +
		    (raw & 15);
	v %= ch_modulus(c);
	return v ? v : ch_modulus(c);
}

/* Pulses counted by tick t (only meaningful once loaded and t >= load_tick). */
static uint64_t ch_elapsed(const struct vpit_channel *c, uint64_t t)
{
	if (!c->counting || t < c->base_tick)
		return c->elapsed_base;
	return c->elapsed_base + (t - c->base_tick);
}

/* Mode 3 counts down by two (datasheet, mode 3): an even count shows N, N-2,
 * ..., 2 in each half; an odd one N-1, ..., 2, 0 while OUT is high
 * ((N+1)/2 pulses) and N-1, ..., 2 while low ((N-1)/2 pulses). */
static uint64_t square_wave_ce(uint64_t n, uint64_t phase)
{
	uint64_t high = (n + 1) / 2;
	uint64_t q = phase < high ? phase : phase - high;

	return (n & 1 ? n - 1 : n) - 2 * q;
}

/* The counting element's value at tick t, 0..modulus-1 (a count of 65536
 * shows as 0). */
static uint32_t ch_ce(const struct vpit_channel *c, uint64_t t)
{
	uint64_t n = c->n, m = ch_modulus(c), e;

	if (!c->loaded || t < c->load_tick)
		return c->held % (uint32_t)m;
	e = ch_elapsed(c, t);
	switch (c->mode) {
	case 2:
		return (uint32_t)((n - e % n) % m);
	case 3:
		return (uint32_t)(square_wave_ce(n, e % n) % m);
	default: /* 0, 1, 4, 5 count down and wrap after reaching 0 */
		return (uint32_t)((n + m - e % m) % m);
	}
}

/* Modes 4/5: the one pulse at which the CE reaches 0 (OUT's strobe), or
 * NO_TICK. Counting from below N it is ahead; once passed it was recorded
 * when counting stopped (the strobe ends a pulse later even if the gate
 * stopped the count at that very pulse). */
static uint64_t strobe_tick(const struct vpit_channel *c)
{
	if (c->elapsed_base < c->n)
		return c->counting ? c->base_tick + (c->n - c->elapsed_base) : NO_TICK;
	return c->strobe_at;
}

/* OUT at tick t, per mode (datasheet "Mode Definitions"). */
static bool ch_out(const struct vpit_channel *c, uint64_t t)
{
	uint64_t n = c->n, e;

	if (!c->loaded)
		return c->mode != 0; /* the control word sets OUT low in mode 0, high otherwise */
	if (t < c->load_tick)
		return c->held_out;
	e = ch_elapsed(c, t);
	switch (c->mode) {
	case 0: /* interrupt on terminal count */
	case 1: /* one-shot: low from the trigger until terminal count */
		return e >= n;
	case 2: /* rate generator: low for the one pulse where the CE reads 1 */
		return !c->counting || n < 2 || e % n != n - 1;
	case 3: /* square wave: high for (N+1)/2 pulses, low for N/2 */
		return !c->counting || e % n < (n + 1) / 2;
	default: /* 4, 5: strobe, low for the one pulse where the CE reaches 0 */
		return t != strobe_tick(c);
	}
}

/* First tick after `after` at which OUT rises, ignoring a pending count. */
static uint64_t rise_plain(const struct vpit_channel *c, uint64_t after)
{
	uint64_t n = c->n, eb = c->elapsed_base, ea, r;

	if (!c->loaded)
		return NO_TICK;
	/* OUT held low until the load, high right after it (a mode 4 count
	 * rewritten during its strobe). */
	if (after < c->load_tick && !c->held_out && ch_out(c, c->load_tick))
		return c->load_tick;
	if (c->mode == 4 || c->mode == 5) {
		r = strobe_tick(c);
		return r != NO_TICK && r + 1 > after ? r + 1 : NO_TICK;
	}
	if (!c->counting)
		return NO_TICK;
	ea = after >= c->base_tick ? eb + (after - c->base_tick) : eb;
	switch (c->mode) {
	case 0:
	case 1:
		r = n;
		break;
	default: /* 2, 3: every period, as the CE reloads */
		if (n < 2)
			return NO_TICK; /* count 1 is illegal there: OUT stays high */
		r = (ea / n + 1) * n;
		break;
	}
	if (r <= ea)
		return NO_TICK;
	return c->base_tick + (r - eb);
}

/* The CE takes the count register at pending_tick (modes 2/3). The count
 * starts over at a period boundary, or at the low half after a high one. */
static void ch_take_pending(struct vpit_channel *c)
{
	c->n = c->cr;
	c->load_tick = c->base_tick = c->pending_tick;
	c->elapsed_base = c->mode == 3 && c->pending_from_high ? (c->n + 1) / 2 : 0;
	c->pending = false;
}

static uint64_t ch_next_rise(const struct vpit_channel *c, uint64_t after)
{
	struct vpit_channel next;
	uint64_t r;

	if (!c->pending)
		return rise_plain(c, after);
	r = after < c->pending_tick ? rise_plain(c, after) : NO_TICK;
	if (r <= c->pending_tick)
		return r;
	next = *c;
	ch_take_pending(&next);
	return rise_plain(&next, MAX(after, next.base_tick));
}

static void ch_catch_up(struct vpit_channel *c, uint64_t t)
{
	if (c->pending && t >= c->pending_tick)
		ch_take_pending(c);
}

static bool ch_null_count(const struct vpit_channel *c, uint64_t t)
{
	return t < c->null_clear_tick;
}

/* Loads the count register into the CE on the next pulse and counts from
 * there; until then the CE shows what it showed and OUT is `out_until`. */
static void ch_reload(struct vpit_channel *c, uint64_t t, bool out_until)
{
	c->held = ch_ce(c, t);
	c->held_out = out_until;
	c->n = c->cr;
	c->loaded = true;
	c->counting = true;
	c->load_tick = c->base_tick = t + 1;
	c->elapsed_base = 0;
	c->strobe_at = NO_TICK;
	c->pending = false;
	c->null_clear_tick = t + 1;
}

/* Stops counting at tick t, keeping the count reached. */
static void ch_freeze(struct vpit_channel *c, uint64_t t)
{
	if (c->loaded && c->counting) {
		uint64_t s = strobe_tick(c);

		c->strobe_at = s <= t ? s : NO_TICK;
		c->elapsed_base = ch_elapsed(c, t);
		c->base_tick = t;
	}
	c->counting = false;
}

static void ch_schedule_pending(struct vpit_channel *c, uint64_t t)
{
	uint64_t n = c->n, phase = ch_elapsed(c, t) % n, high = (n + 1) / 2;

	c->pending = true;
	c->pending_from_high = c->mode == 3 && phase < high;
	if (c->pending_from_high)
		c->pending_tick = t + (high - phase);
	else
		c->pending_tick = t + (n - phase);
}

/* A complete initial count was written (datasheet, per mode: "if a new count
 * is written during counting ..."). */
static void ch_set_count(struct vpit_channel *c, uint16_t raw, uint64_t t)
{
	c->cr = decode_count(c, raw);
	c->armed = true;
	switch (c->mode) {
	case 0: /* OUT goes low; the new count is loaded on the next pulse */
	case 4:
		ch_reload(c, t, c->mode == 0 ? false : ch_out(c, t));
		c->counting = c->gate;
		break;
	case 1: /* armed: loaded by the next gate trigger */
	case 5:
		if (c->loaded && t < c->load_tick)
			c->n = c->cr; /* a trigger's load is due on this pulse: it takes this count */
		else
			c->null_clear_tick = NO_TICK;
		break;
	default: /* 2, 3 */
		if (!c->loaded) {
			if (c->gate)
				ch_reload(c, t, true);
			else
				c->null_clear_tick = NO_TICK; /* loaded by the gate's rising edge */
		} else if (t < c->load_tick) {
			c->n = c->cr; /* the load has not happened yet: it takes this count */
		} else if (!c->counting) {
			c->null_clear_tick = NO_TICK;
		} else {
			if (!c->pending)
				ch_schedule_pending(c, t);
			c->null_clear_tick = c->pending_tick;
		}
		break;
	}
}

static void ch_set_gate(struct vpit_channel *c, bool level, uint64_t t)
{
	if (level == c->gate)
		return;
	c->gate = level;
	if (level) {
		switch (c->mode) {
		case 0: /* gate high enables counting where it stopped */
		case 4:
			if (c->loaded && !c->counting) {
				c->base_tick = MAX(t, c->load_tick);
				c->counting = true;
			}
			break;
		default: /* 1, 2, 3, 5: a rising edge (re)starts from the count register */
			if (c->armed)
				ch_reload(c, t, ch_out(c, t));
			break;
		}
		return;
	}
	/* Gate low disables counting in modes 0, 2, 3, 4 (and forces OUT high
	 * in 2 and 3, which ch_out derives from `counting`). */
	if (c->mode == 1 || c->mode == 5)
		return;
	ch_freeze(c, t);
	if (c->pending) {
		c->pending = false; /* the next rising edge loads the count register */
		c->null_clear_tick = NO_TICK;
	}
}

/* A control word selecting an access mode (datasheet: "When a Control Word
 * is written to a Counter, all Control Logic is immediately reset and OUT
 * goes to a known initial state"; latches are dropped). */
static void ch_program(struct vpit_channel *c, uint8_t cw, uint64_t t)
{
	uint32_t ce = ch_ce(c, t);

	c->mode_bits = PIT_CW_MODE(cw);
	c->mode = c->mode_bits > 5 ? c->mode_bits - 4 : c->mode_bits;
	c->rw = PIT_CW_RW(cw);
	c->bcd = cw & PIT_CW_BCD;
	c->held = ce % ch_modulus(c);
	c->strobe_at = NO_TICK;
	c->armed = c->loaded = c->counting = c->pending = false;
	c->null_clear_tick = NO_TICK;
	c->write_msb = c->read_msb = false;
	c->count_latched = c->status_latched = false;
}

static uint16_t ch_encode(const struct vpit_channel *c, uint32_t v)
{
	return c->bcd ? to_bcd16(v) : (uint16_t)v;
}

/* "If a Counter is latched and then, some time later, latched again before
 * the count is read, the second Counter Latch Command is ignored." */
static void ch_latch_count(struct vpit_channel *c, uint64_t t)
{
	if (c->count_latched)
		return;
	c->latch = ch_encode(c, ch_ce(c, t));
	c->count_latched = true;
	c->latch_msb = false;
}

static void ch_latch_status(struct vpit_channel *c, uint64_t t)
{
	if (c->status_latched)
		return;
	c->status = (uint8_t)((ch_out(c, t) ? PIT_STATUS_OUT : 0) |
			      (ch_null_count(c, t) ? PIT_STATUS_NULL : 0) | c->rw << 4 |
			      c->mode_bits << 1 | (c->bcd ? 1 : 0));
	c->status_latched = true;
}

static uint8_t ch_read(struct vpit_channel *c, uint64_t t)
{
	uint16_t v;
	bool msb;

	if (c->status_latched) { /* status first, then the latched count */
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		v = c->latch;
		msb = c->rw == PIT_RW_MSB || (c->rw == PIT_RW_WORD && c->latch_msb);
		if (c->rw == PIT_RW_WORD && !c->latch_msb)
			c->latch_msb = true;
		else
			c->count_latched = false;
		return msb ? (uint8_t)(v >> 8) : (uint8_t)v;
	}
	v = ch_encode(c, ch_ce(c, t));
	msb = c->rw == PIT_RW_MSB || (c->rw == PIT_RW_WORD && c->read_msb);
	if (c->rw == PIT_RW_WORD)
		c->read_msb = !c->read_msb;
	return msb ? (uint8_t)(v >> 8) : (uint8_t)v;
}

static void ch_write(struct vpit_channel *c, uint8_t val, uint64_t t)
{
	switch (c->rw) {
	case PIT_RW_LSB:
		ch_set_count(c, val, t);
		break;
	case PIT_RW_MSB:
		ch_set_count(c, (uint16_t)(val << 8), t);
		break;
	default:
		if (c->write_msb) {
			c->write_msb = false;
			ch_set_count(c, (uint16_t)(c->write_lsb | val << 8), t);
			break;
		}
		c->write_lsb = val;
		c->write_msb = true;
		if (c->mode == 0) {
			/* Mode 0: "Writing the first byte disables counting. OUT
			 * is set low immediately." */
			c->held = ch_ce(c, t);
			c->loaded = c->counting = false;
		}
		break;
	}
}

static void pit_control(struct vpit *pit, uint8_t cw, uint64_t t)
{
	unsigned int sc = PIT_CW_SC(cw);

	if (sc == PIT_SC_READBACK) {
		for (unsigned int i = 0; i < PIT_CHANNELS; i++) {
			if (!PIT_RB_SELECT(cw, i))
				continue;
			if (!(cw & PIT_RB_NO_COUNT))
				ch_latch_count(&pit->ch[i], t);
			if (!(cw & PIT_RB_NO_STATUS))
				ch_latch_status(&pit->ch[i], t);
		}
		return;
	}
	if (PIT_CW_RW(cw) == PIT_RW_LATCH)
		ch_latch_count(&pit->ch[sc], t);
	else
		ch_program(&pit->ch[sc], cw, t);
}

/* Every access starts here: account OUT0's rising edges since the last one,
 * let pending counts take effect, remember OUT0. */
static uint64_t pit_begin(struct vpit *pit, uint64_t ns)
{
	uint64_t t = MAX(ns_to_ticks(ns), pit->tick);

	if (ch_next_rise(&pit->ch[0], pit->tick) <= t)
		pit->edge = true;
	pit->tick = t;
	for (unsigned int i = 0; i < PIT_CHANNELS; i++)
		ch_catch_up(&pit->ch[i], t);
	pit->out0 = ch_out(&pit->ch[0], t);
	return t;
}

/* ... and ends here: a rising edge (timed, or immediate from the access)
 * becomes a 0->1 transition on IRQ0; a low OUT0 lowers the line. The line
 * only rises on a real edge, so it never invents an interrupt. */
static void pit_end(struct vpit *pit, uint64_t t)
{
	bool out = ch_out(&pit->ch[0], t);

	if (out && !pit->out0)
		pit->edge = true;
	if (pit->edge) {
		if (pit->line)
			irq_out_set(&pit->irq, 0);
		irq_out_set(&pit->irq, 1);
		pit->line = true;
		pit->edge = false;
	}
	if (pit->line && !out) {
		irq_out_set(&pit->irq, 0);
		pit->line = false;
	}
}

static uint8_t pit_read_port(struct vpit *pit, uint64_t port, uint64_t t)
{
	uint8_t v;

	switch (port) {
	case PIT_PORT_BASE:
	case PIT_PORT_BASE + 1:
	case PIT_PORT_BASE + 2:
		return ch_read(&pit->ch[port - PIT_PORT_BASE], t);
	case PIT_PORT_B:
		v = (uint8_t)((pit->port_b & PIT_PORTB_RW_MASK) |
			      (pit->refresh ? PIT_PORTB_REFRESH : 0) |
			      (ch_out(&pit->ch[2], t) ? PIT_PORTB_OUT2 : 0));
		pit->refresh = !pit->refresh;
		return v;
	default: /* 0x43 is write-only: the bus floats */
		return 0xff;
	}
}

static void pit_write_port(struct vpit *pit, uint64_t port, uint8_t val, uint64_t t)
{
	switch (port) {
	case PIT_PORT_BASE:
	case PIT_PORT_BASE + 1:
	case PIT_PORT_BASE + 2:
		ch_write(&pit->ch[port - PIT_PORT_BASE], val, t);
		break;
	case PIT_PORT_CONTROL:
		pit_control(pit, val, t);
		break;
	case PIT_PORT_B:
		pit->port_b = val & PIT_PORTB_RW_MASK;
		ch_set_gate(&pit->ch[2], val & PIT_PORTB_GATE2, t);
		break;
	default:
		break;
	}
}

static const struct io_device_ops vpit_ops;

/* Mode 3, LSB then MSB, binary, count 0 (65536) on every channel. */
static void pit_power_on(struct vpit *pit, uint64_t t)
{
	pit->port_b = 0;
	pit->refresh = false;
	for (unsigned int i = 0; i < PIT_CHANNELS; i++) {
		struct vpit_channel *c = &pit->ch[i];

		memset(c, 0, sizeof(*c));
		c->gate = i != 2;
		ch_program(c, (uint8_t)(i << 6 | PIT_RW_WORD << 4 | 3 << 1), t);
		ch_set_count(c, 0, t);
	}
}

void vpit_init(struct vpit *pit, const struct vclock *clock, const struct irq_out *irq)
{
	memset(pit, 0, sizeof(*pit));
	pit->dev.ops = &vpit_ops;
	pit->dev.opaque = pit;
	pit->dev.name = "pit";
	pit->clock = *clock;
	if (irq)
		pit->irq = *irq;
	pit->tick = ns_to_ticks(vclock_now(&pit->clock));
	pit_power_on(pit, pit->tick);
}

void vpit_reset(struct vpit *pit)
{
	uint64_t t = pit_begin(pit, vclock_now(&pit->clock));

	pit_power_on(pit, t);
	pit_end(pit, t);
}

uint8_t vpit_inb(struct vpit *pit, uint16_t port)
{
	uint64_t t = pit_begin(pit, vclock_now(&pit->clock));
	uint8_t v = pit_read_port(pit, port, t);

	pit_end(pit, t);
	return v;
}

void vpit_outb(struct vpit *pit, uint16_t port, uint8_t val)
{
	uint64_t t = pit_begin(pit, vclock_now(&pit->clock));

	pit_write_port(pit, port, val, t);
	pit_end(pit, t);
}

uint32_t vpit_count(struct vpit *pit, unsigned int channel)
{
	uint64_t t;
	uint32_t v;

	if (channel >= PIT_CHANNELS)
		return 0;
	t = pit_begin(pit, vclock_now(&pit->clock));
	v = ch_ce(&pit->ch[channel], t);
	pit_end(pit, t);
	return v;
}

bool vpit_out(struct vpit *pit, unsigned int channel)
{
	uint64_t t;
	bool out;

	if (channel >= PIT_CHANNELS)
		return false;
	t = pit_begin(pit, vclock_now(&pit->clock));
	out = ch_out(&pit->ch[channel], t);
	pit_end(pit, t);
	return out;
}

uint64_t vpit_next_deadline(struct vpit *pit)
{
	return ticks_to_ns(ch_next_rise(&pit->ch[0], pit->tick));
}

void vpit_poll(struct vpit *pit, uint64_t now)
{
	pit_end(pit, pit_begin(pit, now));
}

/* The ports are 8 bits wide: a wider access is split into byte accesses to
 * consecutive ports, as the chipset does for an 8-bit ISA device. */
static int pit_io_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	struct vpit *pit = dev->opaque;
	uint64_t t = pit_begin(pit, vclock_now(&pit->clock));

	*val = 0;
	for (uint32_t i = 0; i < len && i < 8; i++)
		*val |= (uint64_t)pit_read_port(pit, addr + i, t) << (8 * i);
	pit_end(pit, t);
	return 0;
}

static int pit_io_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	struct vpit *pit = dev->opaque;
	uint64_t t = pit_begin(pit, vclock_now(&pit->clock));

	for (uint32_t i = 0; i < len && i < 8; i++)
		pit_write_port(pit, addr + i, (uint8_t)(val >> (8 * i)), t);
	pit_end(pit, t);
	return 0;
}

static const struct io_device_ops vpit_ops = {
	.read = pit_io_read,
	.write = pit_io_write,
};

int vpit_register(struct vpit *pit, struct io_bus *bus)
{
	int rc = io_bus_register(bus, PIT_PORT_BASE, PIT_PORT_COUNT, &pit->dev);
	if (!rc) {
		rc = io_bus_register(bus, PIT_PORT_B, 1, &pit->dev);
		if (rc)
			io_bus_unregister(bus, &pit->dev);
	}
	if (rc)
		pr_err("pit: cannot claim ports 0x40-0x43 and 0x61: error %d", rc);
	return rc;
}
