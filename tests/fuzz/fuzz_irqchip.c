/* libFuzzer harness for the in-core irqchip: the 8259A pair (hv/vpic.c),
 * the IOAPIC (hv/vioapic.c) and the GSI routing that drives them
 * (hv/irq_routing.c), wired as on a PC. The input is a program of guest
 * port and MMIO accesses, device line changes, INTA cycles, EOIs, MSIs,
 * new routing tables and resets. After every step the chips must keep
 * their invariants: level lines' IRR follows the wire, the INT output is
 * what the priority rules say, reserved and read-only IOAPIC bits are
 * clear, no level interrupt is left undelivered; every INTA returns the
 * vector the programmed state calls for, and every IOAPIC message is one
 * an unmasked entry was programmed to send. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_input.h"
#include "hv/errno.h"
#include "hv/irq_routing.h"
#include "hv/vioapic.h"
#include "hv/vpic.h"
#include "test_log.h"

static struct vpic pic;
static struct vioapic ioapic;
static struct irq_routing rt;
static struct io_bus pio, mmio;
static int intr_seen;
static uint8_t last_vectors[8];
static unsigned nlast;

/* --- reference rules, written out again ---------------------------------- */

static uint8_t ref_level_lines(const struct vpic_chip *c)
{
	return c->ltim ? 0xFF : c->elcr;
}

static int ref_highest(const struct vpic_chip *c, uint8_t mask)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned irq = (c->lowest + 1 + i) % 8;

		if (mask >> irq & 1)
			return (int)irq;
	}
	return -1;
}

static bool ref_cascade(const struct vpic_chip *c, bool master, int irq)
{
	return master && !c->single && (c->icw3 >> irq & 1);
}

static int ref_pending(const struct vpic_chip *c, bool master)
{
	int irq = ref_highest(c, c->irr & ~c->imr);
	int cur = ref_highest(c, c->smm ? c->isr & ~c->imr : c->isr);

	if (irq < 0 || cur < 0)
		return irq;
	unsigned ri = (unsigned)(irq - c->lowest - 1) % 8, rc = (unsigned)(cur - c->lowest - 1) % 8;

	if (ri < rc || (ri == rc && c->sfnm && ref_cascade(c, master, irq)))
		return irq;
	return -1;
}

static bool rte_level_sensitive(uint64_t e)
{
	unsigned dm = (unsigned)(e >> 8 & 7);

	return (e & VIOAPIC_RTE_LEVEL) && (dm == IRQ_DM_FIXED || dm == IRQ_DM_LOWEST);
}

static bool rte_asserted(unsigned pin)
{
	bool wire = ioapic.pin_level >> pin & 1;

	return wire != ((ioapic.rte[pin] & VIOAPIC_RTE_ACTIVE_LOW) != 0);
}

/* --- callbacks ---------------------------------------------------------------- */

static void intr_cb(void *ctx, uint32_t line, int level)
{
	check(ctx == &pic && line == 0);
	check(level != intr_seen); /* only changes are reported */
	intr_seen = level;
}

static void ioapic_deliver(void *ctx, const struct irq_message *m)
{
	bool found = false;

	check(ctx == &ioapic);
	for (unsigned pin = 0; pin < VIOAPIC_PINS && !found; pin++) {
		uint64_t e = ioapic.rte[pin];

		if ((e & VIOAPIC_RTE_MASKED) || m->vector != (e & 0xFF) ||
		    m->delivery_mode != (e >> 8 & 7) ||
		    m->dest_logical != ((e & VIOAPIC_RTE_DEST_LOGICAL) != 0) ||
		    m->dest != (uint32_t)(e >> 56) || m->trigger_level != rte_level_sensitive(e) ||
		    !rte_asserted(pin))
			continue;
		/* A level message goes out with remote IRR already set. */
		found = !m->trigger_level || (e & VIOAPIC_RTE_REMOTE_IRR);
	}
	check(found);
	check(m->level && !m->redirect_hint);
	check(m->delivery_mode != 3 && m->delivery_mode != IRQ_DM_STARTUP);
	last_vectors[nlast++ % ARRAY_SIZE(last_vectors)] = m->vector;
}

static void msi_deliver(void *ctx, const struct irq_message *m)
{
	check(ctx == &rt);
	check(m->delivery_mode != 3 && m->delivery_mode != IRQ_DM_STARTUP);
}

/* --- steps ----------------------------------------------------------------------- */

static const uint16_t ports[] = { 0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1 };

static uint16_t port(struct input *in)
{
	return ports[input_u8(in) % ARRAY_SIZE(ports)];
}

/* Mostly whole bytes, sometimes a word (which must fit the 2-port range). */
static uint32_t pio_len(struct input *in, uint16_t p)
{
	return (input_u8(in) & 3) == 0 && !(p & 1) ? 2 : 1;
}

static void do_pio_write(struct input *in)
{
	uint16_t p = port(in);
	uint32_t len = pio_len(in, p);
	uint8_t lo = input_u8(in);
	uint8_t hi = input_u8(in);

	check(io_bus_write(&pio, p, len, (uint64_t)hi << 8 | lo) == 0);
}

static void do_pio_read(struct input *in)
{
	uint16_t p = port(in);
	uint32_t len = pio_len(in, p);
	uint64_t v = ~0ull;

	check(io_bus_read(&pio, p, len, &v) == 0);
	check(v < (1ull << (8 * len)));
}

static uint64_t mmio_offset(struct input *in)
{
	uint8_t b = input_u8(in);

	switch (b & 7) {
	case 0: case 1: case 2: return VIOAPIC_IOREGSEL;
	case 3: case 4: case 5: return VIOAPIC_IOWIN;
	case 6: return VIOAPIC_EOI;
	default: return (uint64_t)b << 4 | (b & 7); /* anywhere in the page */
	}
}

static uint32_t mmio_len(struct input *in)
{
	static const uint32_t lens[] = { 4, 4, 4, 4, 1, 2, 8, 4 };

	return lens[input_u8(in) % ARRAY_SIZE(lens)];
}

static void do_mmio_write(struct input *in)
{
	uint64_t off = mmio_offset(in);
	uint32_t len = mmio_len(in);
	uint32_t v = (uint32_t)input_le(in, 4);

	if (off == VIOAPIC_IOREGSEL)
		v &= 0x3F | (v & 0x100 ? 0xFF : 0); /* mostly real registers */
	if (off + len > VIOAPIC_MMIO_SIZE)
		return;
	check(io_bus_write(&mmio, VIOAPIC_BASE + off, len, v) == 0);
}

static void do_mmio_read(struct input *in)
{
	uint64_t off = mmio_offset(in);
	uint32_t len = mmio_len(in);
	uint64_t v = 0;

	if (off + len > VIOAPIC_MMIO_SIZE)
		return;
	check(io_bus_read(&mmio, VIOAPIC_BASE + off, len, &v) == 0);
	if (len < 8)
		check(v < (1ull << (8 * len)));
	if (off == VIOAPIC_IOWIN && len == 4 && ioapic.ioregsel == VIOAPIC_REG_VERSION)
		check(v == VIOAPIC_VERSION);
}

static void do_line(struct input *in)
{
	uint8_t b = input_u8(in);
	uint32_t gsi = b & 31;
	uint32_t source = b >> 5 & 3;
	int level = b >> 7;
	int rc = irq_line_source(&rt, source, gsi, level);

	check(rc == 0 || rc == -ENOENT);
}

/* The INTA cycle, checked against what the state says it must return. */
static void do_ack(void)
{
	struct vpic_chip *m = &pic.chip[VPIC_MASTER], *s = &pic.chip[VPIC_SLAVE];
	struct vpic_chip m0 = *m, s0 = *s;
	int mi = ref_pending(m, true);
	int si = ref_pending(s, false);
	int v = vpic_ack(&pic);

	check(v >= 0 && v <= 0xFF);
	if (mi < 0) {
		check(v == (m0.vector_base | 7) && m->isr == m0.isr);
		return;
	}
	check(m0.aeoi ? m->isr == m0.isr : m->isr == (m0.isr | 1 << mi));
	if (!ref_cascade(&m0, true, mi)) {
		check(v == (m0.vector_base | mi));
		return;
	}
	if (s0.single || (s0.icw3 & 7) != mi) {
		check(v == 0xFF && s->isr == s0.isr);
		return;
	}
	if (si < 0) {
		check(v == (s0.vector_base | 7) && s->isr == s0.isr);
		return;
	}
	check(v == (s0.vector_base | si));
	check(s0.aeoi ? s->isr == s0.isr : s->isr == (s0.isr | 1 << si));
}

static void do_eoi(struct input *in)
{
	uint8_t b = input_u8(in);
	uint8_t vector = b & 0x80 && nlast ? last_vectors[b % ARRAY_SIZE(last_vectors)] : input_u8(in);

	vioapic_eoi(&ioapic, vector);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		check(!(ioapic.rte[pin] & VIOAPIC_RTE_REMOTE_IRR) || (ioapic.rte[pin] & 0xFF) != vector ||
		      rte_asserted(pin));
}

static void do_msi(struct input *in)
{
	uint8_t b = input_u8(in);
	uint64_t addr = (uint32_t)input_le(in, 4);
	uint32_t data = (uint32_t)input_le(in, 4);
	struct irq_message m;

	if (b & 1)
		addr = (addr & 0x000FFFFF) | 0xFEE00000u;
	if (b & 2)
		addr |= (uint64_t)(uint32_t)input_le(in, 4) << 32;
	bool x2 = b & 4;
	int rc = irq_msi_decode(addr, data, x2, &m);
	bool valid = (addr & 0xFFF00000u) == 0xFEE00000u &&
		     (addr >> 32 & (x2 ? 0xFF : 0xFFFFFFFFu)) == 0 && (data >> 8 & 7) != 3 &&
		     (data >> 8 & 7) != 6;

	check(rc == (valid ? 0 : -EINVAL));
	if (rc)
		return;
	/* The message says exactly what the address and data said. */
	check(m.vector == (data & 0xFF) && m.delivery_mode == (data >> 8 & 7));
	check(m.dest == ((uint32_t)(addr >> 32) | (uint32_t)(addr >> 12 & 0xFF)));
	check(m.dest_logical == ((addr & 4) != 0) && m.redirect_hint == ((addr & 8) != 0));
	check(m.trigger_level == ((data & 0x8000) != 0));
	check(m.level == (!(data & 0x8000) || (data & 0x4000)));
	rt.x2apic_msi = x2;
	check(irq_signal_msi(&rt, addr, data) == 0);
}

static void do_routing(struct input *in)
{
	struct irq_route_entry e[6];
	uint32_t n = input_u8(in) % (ARRAY_SIZE(e) + 1);

	if (input_u8(in) & 1) {
		check(irq_routing_default_pc(&rt) == 0);
		return;
	}
	memset(e, 0, sizeof(e));
	for (uint32_t i = 0; i < n; i++) {
		uint8_t b = input_u8(in);

		e[i].gsi = input_u8(in) % 40;
		e[i].type = b & 1 ? IRQ_ROUTE_MSI : IRQ_ROUTE_IRQCHIP + (b >> 6 == 3 ? 5 : 0);
		if (e[i].type == IRQ_ROUTE_MSI) {
			e[i].msi.address = 0xFEE00000u | (uint64_t)input_u8(in) << 12;
			e[i].msi.data = (uint32_t)input_le(in, 4);
		} else {
			e[i].irqchip.chip = b >> 1 & 1;
			e[i].irqchip.pin = input_u8(in) % 26;
		}
	}
	struct irq_gsi_route before[IRQ_ROUTING_NR_GSI];

	memcpy(before, rt.gsi, sizeof(before));
	int rc = irq_routing_set(&rt, e, n);

	if (rc) {
		check(rc == -EINVAL && memcmp(before, rt.gsi, sizeof(before)) == 0);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct irq_gsi_route *r = &rt.gsi[e[i].gsi];

		if (e[i].type == IRQ_ROUTE_MSI)
			check(r->msi && r->pic_pin < 0 && r->ioapic_pin < 0);
		else if (e[i].irqchip.chip == IRQ_CHIP_PIC)
			check(r->pic_pin == (int)e[i].irqchip.pin && e[i].irqchip.pin != 2 && !r->msi);
		else
			check(r->ioapic_pin == (int)e[i].irqchip.pin && !r->msi);
	}
}

/* --- invariants ------------------------------------------------------------------ */

static void check_chip(const struct vpic_chip *c, uint8_t elcr_writable)
{
	uint8_t lvl = ref_level_lines(c);

	check(c->lowest < 8 && (c->vector_base & 7) == 0 && c->init_step <= 3);
	check((c->elcr & ~elcr_writable) == 0);
	check((c->irr & lvl) == (c->lines & lvl));
}

static void check_invariants(void)
{
	const struct vpic_chip *m = &pic.chip[VPIC_MASTER], *s = &pic.chip[VPIC_SLAVE];

	check_chip(m, 0xF8);
	check_chip(s, 0xDE);
	/* Master IR2's wire is the slave's INT output. */
	check(((m->lines >> 2) & 1) == (ref_pending(s, false) >= 0));
	check(vpic_has_interrupt(&pic) == (ref_pending(m, true) >= 0));
	check(intr_seen == vpic_has_interrupt(&pic));

	check((ioapic.id & ~VIOAPIC_ID_MASK) == 0);
	check(!ioapic.in_service && ioapic.edge_pending == 0);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		uint64_t e = ioapic.rte[pin];

		check((e & 0x00FFFFFFFFFE0000ull) == 0 && !(e & VIOAPIC_RTE_DELIVS));
		check(!(e & VIOAPIC_RTE_REMOTE_IRR) || rte_level_sensitive(e));
		/* No level interrupt is left waiting with nothing in flight. */
		check(!rte_level_sensitive(e) || (e & (VIOAPIC_RTE_MASKED | VIOAPIC_RTE_REMOTE_IRR)) ||
		      !rte_asserted(pin));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct irq_out intr = { intr_cb, &pic, 0 };
	struct irq_msg_out out = { ioapic_deliver, &ioapic };
	struct irq_routing_chips chips = {
		.pic_set = vpic_irq_set,
		.pic = &pic,
		.ioapic_set = vioapic_irq_set,
		.ioapic = &ioapic,
		.msi = { msi_deliver, &rt },
	};

	test_log_reset();
	memset(&pio, 0, sizeof(pio));
	memset(&mmio, 0, sizeof(mmio));
	intr_seen = 0;
	nlast = 0;
	vpic_init(&pic, &intr);
	vioapic_init(&ioapic, VIOAPIC_BASE, &out);
	irq_routing_init(&rt, &chips);
	check(vpic_register(&pic, &pio) == 0 && vioapic_register(&ioapic, &mmio) == 0);
	check(irq_routing_default_pc(&rt) == 0);
	bool set_routing = false;

	while (in.n) {
		switch (input_u8(&in) % 16) {
		case 0: case 1: case 2: do_pio_write(&in); break;
		case 3: do_pio_read(&in); break;
		case 4: case 5: do_mmio_write(&in); break;
		case 6: do_mmio_read(&in); break;
		case 7: case 8: case 9: do_line(&in); break;
		case 10: case 11: do_ack(); break;
		case 12: do_eoi(&in); break;
		case 13: do_msi(&in); break;
		case 14: do_routing(&in); set_routing = true; break;
		default:
			if (input_u8(&in) & 1)
				vpic_reset(&pic);
			else
				vioapic_reset(&ioapic);
			break;
		}
		check_invariants();
	}
	/* Only a refused routing table prints anything. */
	check(set_routing || test_log_count() == 0);
	return 0;
}
