/* The 8259A pair, written from the Intel 8259A datasheet; ELCR as in the
 * PIIX3/ICH datasheets. See hv/vpic.h for the interface. */
#include "hv/vpic.h"
#include "hv/errno.h"
#include "hv/string.h"

/* ICW1 (written to the command port with D4=1) */
#define ICW1_IC4 0x01    /* ICW4 follows */
#define ICW1_SNGL 0x02   /* single chip, no ICW3 */
#define ICW1_LTIM 0x08   /* level-triggered inputs */
#define ICW1_SELECT 0x10
/* ICW2: vector bits 7:3 in 8086 mode */
#define ICW2_BASE_MASK 0xF8
/* ICW4 (BUF and M/S are ignored: the PC wires master and slave) */
#define ICW4_UPM 0x01
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10
/* ICW3 on a slave: its cascade identity in bits 2:0 */
#define ICW3_SLAVE_ID 0x07

enum { INIT_DONE = 0, INIT_ICW2, INIT_ICW3, INIT_ICW4 };

/* OCW2: R, SL and EOI in D7-D5 select the command, D2-D0 the level */
#define OCW2_LEVEL 0x07
#define OCW2_CMD_SHIFT 5
enum {
	OCW2_ROTATE_AEOI_CLEAR = 0,
	OCW2_NONSPECIFIC_EOI = 1,
	OCW2_NOP = 2,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4,
	OCW2_ROTATE_NONSPECIFIC_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

/* OCW3 (D4=0, D3=1) */
#define OCW3_SELECT 0x08
#define OCW3_RIS 0x01  /* read ISR (with RR) */
#define OCW3_RR 0x02   /* RIS is valid */
#define OCW3_POLL 0x04
#define OCW3_SMM 0x20  /* special mask mode (with ESMM) */
#define OCW3_ESMM 0x40

/* Poll word: I (an interrupt was pending) and its level in W2-W0 */
#define POLL_INT 0x80

/* ELCR: IRQ0, 1, 2, 8 and 13 are always edge-triggered on a PC; their bits
 * are reserved and read 0 (PIIX3 / ICH "ELCR1/ELCR2"). */
#define ELCR_MASTER_WRITABLE 0xF8
#define ELCR_SLAVE_WRITABLE 0xDE

#define IR7 7
#define FLOATING_BUS 0xFF /* what an undriven ISA data bus reads as */

static uint8_t bit(unsigned irq)
{
	return (uint8_t)(1u << irq);
}

static uint8_t level_lines(const struct vpic_chip *c)
{
	return c->ltim ? 0xFF : c->elcr;
}

/* 0 is the highest priority; the IR after `lowest` has it. */
static unsigned rank(const struct vpic_chip *c, unsigned irq)
{
	return (irq - c->lowest - 1u) & 7u;
}

static int highest(const struct vpic_chip *c, uint8_t mask)
{
	for (unsigned i = 1; i <= 8; i++) {
		unsigned irq = (c->lowest + i) & 7u;

		if (mask & bit(irq))
			return (int)irq;
	}
	return -1;
}

/* Inputs of the master that a slave answers for (ICW3), in cascade mode. */
static uint8_t cascade_lines(const struct vpic *p, const struct vpic_chip *c)
{
	return c == &p->chip[VPIC_MASTER] && !c->single ? c->icw3 : 0;
}

/* The request this chip would raise INT for, or -1. An in-service level
 * blocks itself and every lower one; in special mask mode masked
 * in-service levels block nothing; in special fully nested mode a slave
 * input in service does not block further requests from that slave. */
static int chip_pending(const struct vpic *p, const struct vpic_chip *c)
{
	int irq = highest(c, c->irr & (uint8_t)~c->imr);

	if (irq < 0)
		return -1;
	uint8_t blocking = c->isr;

	if (c->smm)
		blocking &= (uint8_t)~c->imr;
	int cur = highest(c, blocking);

	if (cur < 0 || rank(c, (unsigned)irq) < rank(c, (unsigned)cur))
		return irq;
	if (irq == cur && c->sfnm && (cascade_lines(p, c) & bit((unsigned)irq)))
		return irq;
	return -1;
}

/* An input changes: level lines' IRR follows the wire, edge lines latch a
 * rising edge. */
static void chip_set_line(struct vpic_chip *c, unsigned irq, bool level)
{
	uint8_t b = bit(irq);

	if (level_lines(c) & b) {
		if (level)
			c->irr |= b;
		else
			c->irr &= (uint8_t)~b;
	} else if (level && !(c->lines & b)) {
		c->irr |= b;
	}
	if (level)
		c->lines |= b;
	else
		c->lines &= (uint8_t)~b;
}

/* After a trigger-mode change level lines' requests are the wire again. */
static void chip_resync_levels(struct vpic_chip *c)
{
	uint8_t lvl = level_lines(c);

	c->irr = (uint8_t)((c->irr & ~lvl) | (c->lines & lvl));
}

/* The ISR half of an INTA (or a poll): take `irq` in service. */
static void chip_intack(struct vpic_chip *c, unsigned irq)
{
	if (c->aeoi) {
		if (c->rotate_aeoi)
			c->lowest = (uint8_t)irq;
	} else {
		c->isr |= bit(irq);
	}
	if (!(level_lines(c) & bit(irq)))
		c->irr &= (uint8_t)~bit(irq);
}

/* Feed the slave's INT into master IR2 and report the master's INT. The
 * callback runs last, with the state consistent, since it may come back in
 * (an ExtINT acknowledge). */
static void vpic_update(struct vpic *p)
{
	struct vpic_chip *m = &p->chip[VPIC_MASTER];

	chip_set_line(m, VPIC_CASCADE_IRQ, chip_pending(p, &p->chip[VPIC_SLAVE]) >= 0);
	bool intr = chip_pending(p, m) >= 0;

	if (intr != p->intr) {
		p->intr = intr;
		irq_out_set(&p->intr_out, intr);
	}
}

/* The slave's INT falls while its INTA (or poll) sets the ISR bit; a
 * request still pending afterwards is a fresh rising edge on master IR2. */
static void slave_int_dropped(struct vpic *p)
{
	p->chip[VPIC_MASTER].lines &= (uint8_t)~bit(VPIC_CASCADE_IRQ);
}

static void chip_reset(struct vpic_chip *c, uint8_t base, uint8_t icw3)
{
	uint8_t lines = c->lines;

	memset(c, 0, sizeof(*c));
	c->lines = lines;
	c->vector_base = base;
	c->icw3 = icw3;
	c->imr = VPIC_RESET_IMR;
	c->lowest = IR7;
	c->icw4_needed = true;
	c->upm = true;
}

void vpic_reset(struct vpic *p)
{
	chip_reset(&p->chip[VPIC_MASTER], VPIC_RESET_MASTER_BASE, bit(VPIC_CASCADE_IRQ));
	chip_reset(&p->chip[VPIC_SLAVE], VPIC_RESET_SLAVE_BASE, VPIC_CASCADE_IRQ);
	vpic_update(p);
}

/* --- command words -------------------------------------------------------- */

/* ICW1 starts initialisation. The datasheet's list: edge sense reset (a
 * line already high must fall and rise again), IMR cleared, IR7 lowest
 * priority, slave address 7, special mask mode off, IRR selected for
 * reading, and without IC4 every ICW4 function cleared. The ISR is cleared
 * too, as emulators do: a guest re-initialising after kexec would otherwise
 * keep stale in-service bits. */
static void write_icw1(struct vpic *p, struct vpic_chip *c, uint8_t v)
{
	c->ltim = v & ICW1_LTIM;
	c->single = v & ICW1_SNGL;
	c->icw4_needed = v & ICW1_IC4;
	c->imr = 0;
	c->isr = 0;
	c->lowest = IR7;
	if (c == &p->chip[VPIC_SLAVE])
		c->icw3 = IR7;
	c->smm = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_aeoi = false;
	if (!c->icw4_needed) {
		c->upm = false;
		c->aeoi = false;
		c->sfnm = false;
	}
	c->irr = c->lines & level_lines(c);
	c->init_step = INIT_ICW2;
}

static void write_icw(struct vpic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case INIT_ICW2:
		c->vector_base = v & ICW2_BASE_MASK;
		c->init_step = !c->single ? INIT_ICW3 : c->icw4_needed ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW3:
		c->icw3 = v;
		c->init_step = c->icw4_needed ? INIT_ICW4 : INIT_DONE;
		break;
	default:
		c->upm = v & ICW4_UPM;
		c->aeoi = v & ICW4_AEOI;
		c->sfnm = v & ICW4_SFNM;
		c->init_step = INIT_DONE;
		break;
	}
}

static void write_ocw2(struct vpic_chip *c, uint8_t v)
{
	unsigned level = v & OCW2_LEVEL;
	int irq;

	switch (v >> OCW2_CMD_SHIFT) {
	case OCW2_ROTATE_AEOI_CLEAR:
		c->rotate_aeoi = false;
		break;
	case OCW2_ROTATE_AEOI_SET:
		c->rotate_aeoi = true;
		break;
	case OCW2_NONSPECIFIC_EOI:
	case OCW2_ROTATE_NONSPECIFIC_EOI:
		/* The highest-priority level in service is the one being ended
		 * when the fully nested structure holds. */
		irq = highest(c, c->isr);
		if (irq < 0)
			break;
		c->isr &= (uint8_t)~bit((unsigned)irq);
		if (v >> OCW2_CMD_SHIFT == OCW2_ROTATE_NONSPECIFIC_EOI)
			c->lowest = (uint8_t)irq;
		break;
	case OCW2_SPECIFIC_EOI:
		c->isr &= (uint8_t)~bit(level);
		break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= (uint8_t)~bit(level);
		c->lowest = (uint8_t)level;
		break;
	case OCW2_SET_PRIORITY:
		c->lowest = (uint8_t)level;
		break;
	default: /* OCW2_NOP */
		break;
	}
}

static void write_ocw3(struct vpic_chip *c, uint8_t v)
{
	if (v & OCW3_ESMM)
		c->smm = v & OCW3_SMM;
	if (v & OCW3_RR)
		c->read_isr = v & OCW3_RIS;
	if (v & OCW3_POLL)
		c->poll = true;
}

/* A poll read acknowledges like an INTA on this chip alone (the guest
 * polls the slave itself when the master answers IR2). */
static uint8_t chip_poll(struct vpic *p, struct vpic_chip *c)
{
	c->poll = false;
	int irq = chip_pending(p, c);

	if (irq < 0)
		return 0;
	chip_intack(c, (unsigned)irq);
	if (c == &p->chip[VPIC_SLAVE])
		slave_int_dropped(p);
	return (uint8_t)(POLL_INT | irq);
}

/* --- ports ---------------------------------------------------------------- */

static void chip_write(struct vpic *p, struct vpic_chip *c, bool data_port, uint8_t v)
{
	if (!data_port) {
		if (v & ICW1_SELECT)
			write_icw1(p, c, v);
		else if (v & OCW3_SELECT)
			write_ocw3(c, v);
		else
			write_ocw2(c, v);
	} else if (c->init_step != INIT_DONE) {
		write_icw(c, v);
	} else {
		c->imr = v; /* OCW1 */
	}
	vpic_update(p);
}

static uint8_t chip_read(struct vpic *p, struct vpic_chip *c, bool data_port)
{
	if (c->poll) {
		uint8_t v = chip_poll(p, c);

		vpic_update(p);
		return v;
	}
	if (data_port)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static void elcr_write(struct vpic *p, unsigned which, uint8_t v)
{
	struct vpic_chip *c = &p->chip[which];

	c->elcr = v & (which == VPIC_MASTER ? ELCR_MASTER_WRITABLE : ELCR_SLAVE_WRITABLE);
	chip_resync_levels(c);
	vpic_update(p);
}

static uint8_t port_read(struct vpic *p, uint64_t port)
{
	switch (port) {
	case VPIC_MASTER_PORT:
	case VPIC_MASTER_PORT + 1:
		return chip_read(p, &p->chip[VPIC_MASTER], port & 1);
	case VPIC_SLAVE_PORT:
	case VPIC_SLAVE_PORT + 1:
		return chip_read(p, &p->chip[VPIC_SLAVE], port & 1);
	case VPIC_ELCR_PORT:
	case VPIC_ELCR_PORT + 1:
		return p->chip[port & 1].elcr;
	default:
		return FLOATING_BUS;
	}
}

static void port_write(struct vpic *p, uint64_t port, uint8_t v)
{
	switch (port) {
	case VPIC_MASTER_PORT:
	case VPIC_MASTER_PORT + 1:
		chip_write(p, &p->chip[VPIC_MASTER], port & 1, v);
		break;
	case VPIC_SLAVE_PORT:
	case VPIC_SLAVE_PORT + 1:
		chip_write(p, &p->chip[VPIC_SLAVE], port & 1, v);
		break;
	case VPIC_ELCR_PORT:
	case VPIC_ELCR_PORT + 1:
		elcr_write(p, port & 1, v);
		break;
	default:
		break;
	}
}

/* Wider accesses reach the 8-bit ports one byte at a time, as the ISA bus
 * splits them: a word OUT to 0x20 writes 0x20 then 0x21. */
static int vpic_io_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	struct vpic *p = dev->opaque;
	uint64_t v = 0;

	for (uint32_t i = 0; i < len && i < 8; i++)
		v |= (uint64_t)port_read(p, addr + i) << (8 * i);
	*val = v;
	return 0;
}

static int vpic_io_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	struct vpic *p = dev->opaque;

	for (uint32_t i = 0; i < len && i < 8; i++)
		port_write(p, addr + i, (uint8_t)(val >> (8 * i)));
	return 0;
}

static const struct io_device_ops vpic_io_ops = {
	.read = vpic_io_read,
	.write = vpic_io_write,
};

void vpic_init(struct vpic *p, const struct irq_out *intr)
{
	static const char *const names[] = { "pic-master", "pic-slave", "elcr" };

	memset(p, 0, sizeof(*p));
	if (intr)
		p->intr_out = *intr;
	for (unsigned i = 0; i < ARRAY_SIZE(p->dev); i++)
		p->dev[i] = (struct io_device){ &vpic_io_ops, p, names[i], 0 };
	vpic_reset(p);
}

int vpic_register(struct vpic *p, struct io_bus *pio)
{
	static const uint16_t base[] = { VPIC_MASTER_PORT, VPIC_SLAVE_PORT, VPIC_ELCR_PORT };

	for (unsigned i = 0; i < ARRAY_SIZE(base); i++) {
		int rc = io_bus_register(pio, base[i], VPIC_PORTS, &p->dev[i]);

		if (rc) {
			while (i--)
				io_bus_unregister(pio, &p->dev[i]);
			return rc;
		}
	}
	return 0;
}

/* --- lines and the INTA cycle ---------------------------------------------- */

int vpic_set_irq(struct vpic *p, uint32_t irq, int level)
{
	if (irq >= VPIC_IRQS || irq == VPIC_CASCADE_IRQ)
		return -EINVAL;
	chip_set_line(&p->chip[irq / 8], irq % 8, level != 0);
	vpic_update(p);
	return 0;
}

void vpic_irq_set(void *ctx, uint32_t irq, int level)
{
	vpic_set_irq(ctx, irq, level);
}

bool vpic_has_interrupt(const struct vpic *p)
{
	return p->intr;
}

/* The slave answers the master's cascade address only if it was given
 * that identity in its ICW3; otherwise nobody drives the bus. */
static int slave_ack(struct vpic *p, unsigned cascade)
{
	struct vpic_chip *s = &p->chip[VPIC_SLAVE];

	if (s->single || (s->icw3 & ICW3_SLAVE_ID) != cascade)
		return FLOATING_BUS;
	int irq = chip_pending(p, s);

	slave_int_dropped(p);
	if (irq < 0)
		return s->vector_base | IR7;
	chip_intack(s, (unsigned)irq);
	return s->vector_base | irq;
}

int vpic_ack(struct vpic *p)
{
	struct vpic_chip *m = &p->chip[VPIC_MASTER];
	int irq = chip_pending(p, m);
	int vector;

	if (irq < 0) {
		vector = m->vector_base | IR7;
	} else {
		chip_intack(m, (unsigned)irq);
		if (cascade_lines(p, m) & bit((unsigned)irq))
			vector = slave_ack(p, (unsigned)irq);
		else
			vector = m->vector_base | irq;
	}
	vpic_update(p);
	return vector;
}
