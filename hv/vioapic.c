/* The I/O APIC, written from the Intel 82093AA datasheet. See
 * hv/vioapic.h for the interface. */
#include "hv/vioapic.h"
#include "hv/errno.h"
#include "hv/string.h"

#define REG_BYTES 4
/* Bits of the low half the guest writes; delivery status and remote IRR
 * are the chip's, bits 55:17 are reserved and read 0. */
#define RTE_LOW_WRITABLE                                                               \
	(VIOAPIC_RTE_VECTOR | VIOAPIC_RTE_DM_MASK | VIOAPIC_RTE_DEST_LOGICAL |          \
	 VIOAPIC_RTE_ACTIVE_LOW | VIOAPIC_RTE_LEVEL | VIOAPIC_RTE_MASKED)
#define RTE_LOW_STATUS VIOAPIC_RTE_REMOTE_IRR
#define RTE_HIGH_SHIFT 32

/* A delivery callback that EOIs synchronously a line that stays asserted
 * would loop forever; the delivery loop gives up after this many passes
 * and leaves the rest to the next event. */
#define SERVICE_PASSES 8

static uint32_t pin_bit(unsigned pin)
{
	return 1u << pin;
}

static unsigned rte_mode(uint64_t e)
{
	return (unsigned)((e & VIOAPIC_RTE_DM_MASK) >> VIOAPIC_RTE_DM_SHIFT);
}

/* SMI, NMI, INIT and ExtINT are edge-triggered whatever the trigger bit
 * says (82093AA 3.2.4): only fixed and lowest-priority entries are level
 * sensitive and use remote IRR. */
static bool rte_level(uint64_t e)
{
	unsigned dm = rte_mode(e);

	return (e & VIOAPIC_RTE_LEVEL) && (dm == IRQ_DM_FIXED || dm == IRQ_DM_LOWEST);
}

static bool pin_asserted(const struct vioapic *io, unsigned pin)
{
	bool wire = io->pin_level & pin_bit(pin);

	return wire != ((io->rte[pin] & VIOAPIC_RTE_ACTIVE_LOW) != 0);
}

/* Delivery modes 011 and 110 are reserved: such an entry sends nothing. */
static void send(struct vioapic *io, uint64_t e)
{
	unsigned dm = rte_mode(e);

	if (dm == 3 || dm == IRQ_DM_STARTUP)
		return;
	struct irq_message m = {
		.vector = (uint8_t)(e & VIOAPIC_RTE_VECTOR),
		.delivery_mode = (uint8_t)dm,
		.dest_logical = e & VIOAPIC_RTE_DEST_LOGICAL,
		.dest = (uint32_t)(e >> VIOAPIC_RTE_DEST_SHIFT),
		.trigger_level = rte_level(e),
		.level = true,
	};

	irq_msg_deliver(&io->out, &m);
}

/* Send what is due: latched edges, and level entries asserted with remote
 * IRR clear. The callback may come back in (an EOI, a line change); such
 * calls only change state and ask for another pass here, so deliveries
 * never nest. */
static void service(struct vioapic *io)
{
	if (io->in_service) {
		io->rescan = true;
		return;
	}
	io->in_service = true;
	for (unsigned pass = 0; pass < SERVICE_PASSES; pass++) {
		io->rescan = false;
		for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
			uint64_t e = io->rte[pin];

			if (io->edge_pending & pin_bit(pin)) {
				io->edge_pending &= ~pin_bit(pin);
				if (!(e & VIOAPIC_RTE_MASKED))
					send(io, e);
			} else if (rte_level(e) && !(e & (VIOAPIC_RTE_MASKED | VIOAPIC_RTE_REMOTE_IRR)) &&
				   pin_asserted(io, pin)) {
				io->rte[pin] = e | VIOAPIC_RTE_REMOTE_IRR;
				send(io, e);
			}
		}
		if (!io->rescan)
			break;
	}
	io->in_service = false;
}

int vioapic_set_irq(struct vioapic *io, uint32_t pin, int level)
{
	if (pin >= VIOAPIC_PINS)
		return -EINVAL;
	bool was = pin_asserted(io, pin);

	if (level)
		io->pin_level |= pin_bit(pin);
	else
		io->pin_level &= ~pin_bit(pin);
	uint64_t e = io->rte[pin];

	/* A masked edge is lost, not held (82093AA 3.2.4, mask bit). */
	if (!rte_level(e) && !was && pin_asserted(io, pin) && !(e & VIOAPIC_RTE_MASKED))
		io->edge_pending |= pin_bit(pin);
	service(io);
	return 0;
}

void vioapic_irq_set(void *ctx, uint32_t pin, int level)
{
	vioapic_set_irq(ctx, pin, level);
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		uint64_t e = io->rte[pin];

		if ((e & VIOAPIC_RTE_REMOTE_IRR) && (e & VIOAPIC_RTE_VECTOR) == vector)
			io->rte[pin] = e & ~VIOAPIC_RTE_REMOTE_IRR;
	}
	service(io);
}

/* --- registers ------------------------------------------------------------ */

static inline __attribute__((always_inline)) uint32_t reg_read(const struct vioapic *io, uint8_t index)
{
	switch (index) {
	case VIOAPIC_REG_ID:
		return io->id;
	case VIOAPIC_REG_VERSION:
		return VIOAPIC_VERSION;
	case VIOAPIC_REG_ARB:
		/* The arbitration ID is loaded from the ID register. */
		return io->id;
	default:
		break;
	}
	unsigned n = (unsigned)(index - VIOAPIC_REG_REDTBL) / 2;

	if (index < VIOAPIC_REG_REDTBL || n >= VIOAPIC_PINS)
		return 0; /* unimplemented registers read 0 */
	if (index & 1)
		return (uint32_t)(io->rte[n] >> RTE_HIGH_SHIFT);
	return (uint32_t)io->rte[n];
}

/* A write to an entry may unmask an asserted level pin or make it level
 * sensitive: the delivery loop looks again. An entry that stops being
 * level sensitive loses its remote IRR (what guests rely on to clear a
 * stuck one). Only input transitions make edges: rewriting the polarity of
 * an edge entry sends nothing. */
static void rte_write(struct vioapic *io, unsigned n, bool high, uint32_t v)
{
	uint64_t e = io->rte[n];

	if (high)
		e = (e & 0xFFFFFFFFull) | ((uint64_t)v << RTE_HIGH_SHIFT & VIOAPIC_RTE_DEST_MASK);
	else
		e = (e & (VIOAPIC_RTE_DEST_MASK | RTE_LOW_STATUS)) | (v & RTE_LOW_WRITABLE);
	if (!rte_level(e))
		e &= ~VIOAPIC_RTE_REMOTE_IRR;
	io->rte[n] = e;
	service(io);
}

static void reg_write(struct vioapic *io, uint8_t index, uint32_t v)
{
	unsigned n = (unsigned)(index - VIOAPIC_REG_REDTBL) / 2;

	if (index == VIOAPIC_REG_ID)
		io->id = v & VIOAPIC_ID_MASK;
	else if (index >= VIOAPIC_REG_REDTBL && n < VIOAPIC_PINS)
		rte_write(io, n, index & 1, v);
	/* version, arbitration and unimplemented registers: read-only */
}

/* The value of the 32-bit register at `off` as the guest reads it. */
static inline __attribute__((always_inline)) uint32_t mmio_reg(const struct vioapic *io, uint64_t off)
{
	if (off == VIOAPIC_IOREGSEL)
		return io->ioregsel;
	if (off == VIOAPIC_IOWIN)
		return reg_read(io, io->ioregsel);
	return 0; /* the EOI register is write-only; the rest is reserved */
}

/* Registers are 32-bit; narrower or misaligned accesses see and change
 * the bytes they cover, wider ones see zeros beyond the register. */
static __attribute__((noinline)) uint64_t mmio_read_bytes(const struct vioapic *io, uint64_t start, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len && i < 8; i++) {
		uint64_t off = start + i;
		uint64_t reg = off & ~(uint64_t)(REG_BYTES - 1);

		if (off >= VIOAPIC_MMIO_SIZE)
			continue;
		uint8_t b = (uint8_t)(mmio_reg(io, reg) >> (8 * (off - reg)));

		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

/* A whole aligned register, what drivers do, is the short way. */
static bool whole_register(uint64_t off, uint32_t len)
{
	return len == REG_BYTES && off < VIOAPIC_MMIO_SIZE && !(off & (REG_BYTES - 1));
}

static int vioapic_mmio_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	const struct vioapic *io = dev->opaque;
	uint64_t off = addr - io->base;

	if (likely(whole_register(off, len))) {
		*val = mmio_reg(io, off);
		return 0;
	}
	*val = mmio_read_bytes(io, off, len);
	return 0;
}

static inline __attribute__((always_inline)) void mmio_reg_write(struct vioapic *io, uint64_t reg, uint32_t v,
								  bool low_byte)
{
	if (reg == VIOAPIC_IOREGSEL)
		io->ioregsel = (uint8_t)v;
	else if (reg == VIOAPIC_IOWIN)
		reg_write(io, io->ioregsel, v);
	else if (reg == VIOAPIC_EOI && low_byte)
		vioapic_eoi(io, (uint8_t)v);
}

/* Each register the access covers takes the bytes that fall on it,
 * read-modify-write, in address order. */
static __attribute__((noinline)) void mmio_write_bytes(struct vioapic *io, uint64_t start, uint32_t len, uint64_t val)
{
	uint64_t end = start + MIN(len, 8u);

	if (start >= VIOAPIC_MMIO_SIZE || end > VIOAPIC_MMIO_SIZE)
		return;
	for (uint64_t reg = start & ~(uint64_t)(REG_BYTES - 1); reg < end; reg += REG_BYTES) {
		uint32_t v = mmio_reg(io, reg);

		for (uint64_t off = MAX(reg, start); off < MIN(reg + REG_BYTES, end); off++) {
			unsigned sh = 8 * (unsigned)(off - reg);
			uint8_t b = (uint8_t)(val >> (8 * (off - start)));

			v = (v & ~(0xFFu << sh)) | (uint32_t)b << sh;
		}
		mmio_reg_write(io, reg, v, start <= reg);
	}
}

static int vioapic_mmio_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	struct vioapic *io = dev->opaque;
	uint64_t off = addr - io->base;

	if (whole_register(off, len))
		mmio_reg_write(io, off, (uint32_t)val, true);
	else
		mmio_write_bytes(io, off, len, val);
	return 0;
}

static const struct io_device_ops vioapic_mmio_ops = {
	.read = vioapic_mmio_read,
	.write = vioapic_mmio_write,
};

void vioapic_set_reset_id(struct vioapic *io, uint8_t id)
{
	io->reset_id = id;
	io->id = ((uint32_t)id << 24) & VIOAPIC_ID_MASK;
}

void vioapic_reset(struct vioapic *io)
{
	io->id = ((uint32_t)io->reset_id << 24) & VIOAPIC_ID_MASK;
	io->ioregsel = 0;
	io->edge_pending = 0;
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		io->rte[pin] = VIOAPIC_RTE_MASKED;
}

void vioapic_init(struct vioapic *io, uint64_t base, const struct irq_msg_out *out)
{
	memset(io, 0, sizeof(*io));
	io->base = base;
	if (out)
		io->out = *out;
	/* No timers here, and what a write makes deliverable goes out
	 * through the irq_msg_out (the irqchip kicks whom it reaches). */
	io->dev = (struct io_device){ &vioapic_mmio_ops, io, "ioapic", IO_DEV_WRITES_SIGNAL_THEMSELVES };
	vioapic_reset(io);
}

int vioapic_register(struct vioapic *io, struct io_bus *mmio)
{
	return io_bus_register(mmio, io->base, VIOAPIC_MMIO_SIZE, &io->dev);
}
