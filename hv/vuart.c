/* 16550A UART model, written from the PC16550D datasheet.
 *
 * What is modelled and what is simplified:
 * - The transmitter drains at once: a byte written to THR goes straight to
 *   the tx callback (or, in loopback, into the receiver), so THRE and TEMT
 *   always read 1 and the transmit FIFO is never seen holding data.
 * - THRE interrupt: a latch, set when a THR write has emptied the
 *   transmitter again and when IER.ETBEI goes 0->1 (THR is always empty);
 *   cleared by a THR write and by reading IIR while THRE is the cause it
 *   reports (datasheet table IV). A THR write therefore drops the line for
 *   a moment and raises it again: edge-triggered inputs see a new edge.
 * - Character timeout (FIFO mode only): data has sat in the receive FIFO
 *   with no character in and no CPU read for 4 character times, computed
 *   from the divisor and the line format at 1.8432 MHz and the VM's clock.
 *   Nothing ticks: register accesses and vuart_poll() compare against the
 *   clock, and vuart_next_deadline() says when the poll is due.
 * - The bits on the wire are not shaped by LCR: whole bytes go out and
 *   come in whatever the word length (guests that never program the line
 *   format still print).
 * - IRQ line = an enabled cause is pending AND MCR.OUT2 AND NOT loopback.
 *   On a PC, OUT2 enables the tri-state driver between INTRPT and the ISA
 *   IRQ line; in loopback the datasheet forces the OUT pins inactive, so
 *   interrupts stay internal (IIR still reports them).
 */
#include "hv/vuart.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"

#define UART_CLOCK_HZ 1843200ULL /* PC crystal; baud = clock / (16 * divisor) */
#define NS_PER_SEC 1000000000ULL
#define TIMEOUT_CHAR_TIMES 4 /* PC16550D "FIFO Interrupt Mode Operation" */
#define IER_MASK 0x0F       /* bits 7:4 are always 0 */
#define PORT_SPACE 0x10000u

static bool fifo_on(const struct vuart *u)
{
	return u->fcr & VUART_FCR_ENABLE;
}

static bool loopback(const struct vuart *u)
{
	return u->mcr & VUART_MCR_LOOP;
}

static uint32_t rx_depth(const struct vuart *u)
{
	return fifo_on(u) ? VUART_FIFO_SIZE : 1;
}

static uint32_t rx_trigger(const struct vuart *u)
{
	static const uint8_t level[4] = { 1, 4, 8, 14 }; /* FCR bits 7:6 */

	return fifo_on(u) ? level[u->fcr >> 6] : 1;
}

static uint64_t clock_now(const struct vuart *u)
{
	return u->cfg.clock.now_ns ? vclock_now(&u->cfg.clock) : 0;
}

static uint8_t rx_slot(const struct vuart *u, uint32_t i)
{
	return (uint8_t)((u->rx_head + i) % VUART_FIFO_SIZE);
}

static bool rx_has_errors(const struct vuart *u)
{
	for (uint32_t i = 0; i < u->rx_count; i++) {
		if (u->rx_flags[rx_slot(u, i)])
			return true;
	}
	return false;
}

uint64_t vuart_char_time_ns(const struct vuart *u)
{
	uint64_t divisor = (uint64_t)u->dll | (uint64_t)u->dlm << 8;
	uint32_t data_bits = 5 + (u->lcr & VUART_LCR_WLS_MASK);
	/* Counted in half bits: 5-bit words with STB have 1.5 stop bits. */
	uint32_t half_bits = 2 * (1 + data_bits + ((u->lcr & VUART_LCR_PEN) ? 1 : 0));

	if (u->lcr & VUART_LCR_STB)
		half_bits += data_bits == 5 ? 3 : 4;
	else
		half_bits += 2;
	if (!divisor)
		divisor = 65536; /* a divide-by-n counter loaded with 0 wraps */
	return half_bits * divisor * 16 * NS_PER_SEC / (2 * UART_CLOCK_HZ);
}

static uint8_t pending_cause(const struct vuart *u)
{
	if ((u->ier & VUART_IER_ELSI) && (u->lsr_err & VUART_LSR_ERRORS))
		return VUART_IIR_RLS;
	if (u->ier & VUART_IER_ERBFI) {
		if (u->rx_count >= rx_trigger(u))
			return VUART_IIR_RDA;
		if (u->timeout)
			return VUART_IIR_CTI;
	}
	if ((u->ier & VUART_IER_ETBEI) && u->thre_pending)
		return VUART_IIR_THRE;
	if ((u->ier & VUART_IER_EDSSI) && (u->msr & VUART_MSR_DELTAS))
		return VUART_IIR_MSI;
	return VUART_IIR_NO_INT;
}

static void update_irq(struct vuart *u)
{
	int level = pending_cause(u) != VUART_IIR_NO_INT && (u->mcr & VUART_MCR_OUT2) &&
		    !loopback(u);

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_out_set(&u->cfg.irq, level);
	}
}

static void check_timeout(struct vuart *u, uint64_t now)
{
	if (u->timeout || !fifo_on(u) || !u->rx_count || !u->cfg.clock.now_ns)
		return;
	if (now >= u->rx_activity_ns &&
	    now - u->rx_activity_ns >= TIMEOUT_CHAR_TIMES * vuart_char_time_ns(u))
		u->timeout = true;
}

static void rx_clear(struct vuart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	u->timeout = false;
}

/* A character arrives from the wire (or the loopback). False on overrun. */
static bool rx_push(struct vuart *u, uint8_t byte, uint8_t flags, uint64_t now)
{
	if (u->rx_count >= rx_depth(u)) {
		u->lsr_err |= VUART_LSR_OE;
		if (!fifo_on(u)) {
			/* 16450 mode: the new character destroys the unread one. */
			u->rx_data[u->rx_head] = byte;
			u->rx_flags[u->rx_head] = flags;
			u->lsr_err |= flags;
		}
		/* FIFO mode: the character in the shift register is lost. */
		return false;
	}
	uint8_t slot = rx_slot(u, u->rx_count);

	u->rx_data[slot] = byte;
	u->rx_flags[slot] = flags;
	u->rx_count++;
	if (u->rx_count == 1)
		u->lsr_err |= flags; /* errors show when the character is on top */
	if (flags && fifo_on(u))
		u->fifo_err = true;
	u->rx_activity_ns = now;
	return true;
}

static uint8_t rx_pop(struct vuart *u, uint64_t now)
{
	if (!u->rx_count)
		return u->rbr;
	u->rbr = u->rx_data[u->rx_head];
	u->rx_head = rx_slot(u, 1);
	u->rx_count--;
	if (u->rx_count)
		u->lsr_err |= u->rx_flags[u->rx_head];
	/* A CPU read clears the timeout indication and restarts its timer. */
	u->timeout = false;
	u->rx_activity_ns = now;
	return u->rbr;
}

static uint8_t loop_lines(uint8_t mcr)
{
	uint8_t lines = 0;

	if (mcr & VUART_MCR_RTS)
		lines |= VUART_MSR_CTS;
	if (mcr & VUART_MCR_DTR)
		lines |= VUART_MSR_DSR;
	if (mcr & VUART_MCR_OUT1)
		lines |= VUART_MSR_RI;
	if (mcr & VUART_MCR_OUT2)
		lines |= VUART_MSR_DCD;
	return lines;
}

/* New CTS/DSR/RI/DCD state: deltas for every change, TERI only when RI
 * goes from on to off (its trailing edge). */
static void set_msr_lines(struct vuart *u, uint8_t lines)
{
	uint8_t old = u->msr & VUART_MSR_LINES, changed = old ^ lines, delta = 0;

	if (changed & VUART_MSR_CTS)
		delta |= VUART_MSR_DCTS;
	if (changed & VUART_MSR_DSR)
		delta |= VUART_MSR_DDSR;
	if (changed & VUART_MSR_DCD)
		delta |= VUART_MSR_DDCD;
	if ((old & VUART_MSR_RI) && !(lines & VUART_MSR_RI))
		delta |= VUART_MSR_TERI;
	u->msr = (uint8_t)(lines | (u->msr & VUART_MSR_DELTAS) | delta);
}

static uint8_t iir_value(const struct vuart *u)
{
	return (uint8_t)(pending_cause(u) | (fifo_on(u) ? VUART_IIR_FIFO_ON : 0));
}

static uint8_t lsr_value(const struct vuart *u)
{
	uint8_t v = u->lsr_err | VUART_LSR_THRE | VUART_LSR_TEMT;

	if (u->rx_count)
		v |= VUART_LSR_DR;
	if (fifo_on(u) && u->fifo_err)
		v |= VUART_LSR_FIFO_ERR;
	return v;
}

static void transmit(struct vuart *u, uint8_t byte, uint64_t now)
{
	u->thre_pending = false;
	update_irq(u);
	if (loopback(u))
		rx_push(u, byte, 0, now);
	else if (u->cfg.tx)
		u->cfg.tx(u->cfg.tx_ctx, byte);
	u->thre_pending = true; /* the holding register is empty again */
}

static void write_ier(struct vuart *u, uint8_t v)
{
	uint8_t old = u->ier;

	u->ier = v & IER_MASK;
	if ((u->ier & VUART_IER_ETBEI) && !(old & VUART_IER_ETBEI))
		u->thre_pending = true;
}

/* FCR bit 0 must be 1 for the other bits to be programmed; switching
 * between 16450 and FIFO mode empties the FIFOs. The reset bits clear
 * themselves. */
static void write_fcr(struct vuart *u, uint8_t v)
{
	bool was_on = fifo_on(u);

	if (!(v & VUART_FCR_ENABLE)) {
		if (was_on) {
			u->fcr &= (uint8_t)~VUART_FCR_ENABLE;
			rx_clear(u);
			u->fifo_err = false;
		}
		return;
	}
	if (!was_on) {
		rx_clear(u);
		u->fifo_err = false;
	} else if (v & VUART_FCR_RX_RESET) {
		rx_clear(u);
	}
	/* The transmit FIFO is always empty: its reset has nothing to do. */
	u->fcr = v & (uint8_t)~(VUART_FCR_RX_RESET | VUART_FCR_TX_RESET);
}

static void write_mcr(struct vuart *u, uint8_t v)
{
	u->mcr = v & VUART_MCR_MASK;
	set_msr_lines(u, loopback(u) ? loop_lines(u->mcr) : u->modem_in);
}

static uint8_t read_reg(struct vuart *u, uint32_t off, uint64_t now)
{
	bool dlab = u->lcr & VUART_LCR_DLAB;
	uint8_t v;

	switch (off) {
	case VUART_RBR:
		return dlab ? u->dll : rx_pop(u, now);
	case VUART_IER:
		return dlab ? u->dlm : u->ier;
	case VUART_IIR:
		v = iir_value(u);
		if ((v & VUART_IIR_ID_MASK) == VUART_IIR_THRE)
			u->thre_pending = false;
		return v;
	case VUART_LCR:
		return u->lcr;
	case VUART_MCR:
		return u->mcr;
	case VUART_LSR:
		v = lsr_value(u);
		u->lsr_err = 0;
		/* Bit 7 stays only while erroneous characters remain. */
		u->fifo_err = fifo_on(u) && rx_has_errors(u);
		return v;
	case VUART_MSR:
		v = u->msr;
		u->msr &= VUART_MSR_LINES;
		return v;
	default:
		return u->scr;
	}
}

static void write_reg(struct vuart *u, uint32_t off, uint8_t v, uint64_t now)
{
	bool dlab = u->lcr & VUART_LCR_DLAB;

	switch (off) {
	case VUART_THR:
		if (dlab)
			u->dll = v;
		else
			transmit(u, v, now);
		break;
	case VUART_IER:
		if (dlab)
			u->dlm = v;
		else
			write_ier(u, v);
		break;
	case VUART_FCR:
		write_fcr(u, v);
		break;
	case VUART_LCR:
		u->lcr = v;
		break;
	case VUART_MCR:
		write_mcr(u, v);
		break;
	case VUART_LSR:
	case VUART_MSR:
		break; /* factory test registers: writes are not for software */
	default:
		u->scr = v;
		break;
	}
}

static bool in_window(const struct vuart *u, uint64_t port, uint32_t len)
{
	return len >= 1 && len <= 8 && port >= u->cfg.base &&
	       port - u->cfg.base + len <= VUART_NR_PORTS;
}

/* Wider accesses reach an 8-bit ISA device as consecutive byte cycles. */
int vuart_read(struct vuart *u, uint64_t port, uint32_t len, uint64_t *val)
{
	if (!in_window(u, port, len))
		return -EINVAL;
	uint64_t now = clock_now(u), v = 0;
	uint32_t off = (uint32_t)(port - u->cfg.base);

	check_timeout(u, now);
	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)read_reg(u, off + i, now) << (8 * i);
	update_irq(u);
	*val = v;
	return 0;
}

int vuart_write(struct vuart *u, uint64_t port, uint32_t len, uint64_t val)
{
	if (!in_window(u, port, len))
		return -EINVAL;
	uint64_t now = clock_now(u);
	uint32_t off = (uint32_t)(port - u->cfg.base);

	check_timeout(u, now);
	uint64_t deadline = vuart_next_deadline(u);
	for (uint32_t i = 0; i < len; i++) {
		write_reg(u, off + i, (uint8_t)(val >> (8 * i)), now);
		update_irq(u);
	}
	if (u->cfg.deadline_changed && vuart_next_deadline(u) != deadline)
		u->cfg.deadline_changed(u->cfg.tx_ctx);
	return 0;
}

uint8_t vuart_peek(const struct vuart *u, uint32_t offset)
{
	bool dlab = u->lcr & VUART_LCR_DLAB;

	switch (offset) {
	case VUART_RBR:
		return dlab ? u->dll : u->rx_count ? u->rx_data[u->rx_head] : u->rbr;
	case VUART_IER:
		return dlab ? u->dlm : u->ier;
	case VUART_IIR:
		return iir_value(u);
	case VUART_LCR:
		return u->lcr;
	case VUART_MCR:
		return u->mcr;
	case VUART_LSR:
		return lsr_value(u);
	case VUART_MSR:
		return u->msr;
	case VUART_SCR:
		return u->scr;
	default:
		return 0xFF;
	}
}

static int io_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	return vuart_read(dev->opaque, addr, len, val);
}

static int io_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	return vuart_write(dev->opaque, addr, len, val);
}

static const struct io_device_ops vuart_io_ops = {
	.read = io_read,
	.write = io_write,
};

size_t vuart_rx_room(const struct vuart *u)
{
	return loopback(u) ? 0 : rx_depth(u) - u->rx_count;
}

size_t vuart_receive(struct vuart *u, const uint8_t *bytes, size_t n)
{
	if (loopback(u) || !bytes || !n)
		return 0;
	uint64_t now = clock_now(u);
	size_t taken = 0;

	check_timeout(u, now); /* a timeout that fell due before these bytes */
	for (size_t i = 0; i < n; i++) {
		if (rx_push(u, bytes[i], 0, now))
			taken++;
	}
	update_irq(u);
	return taken;
}

bool vuart_receive_break(struct vuart *u)
{
	if (loopback(u))
		return false;
	uint64_t now = clock_now(u);

	check_timeout(u, now);
	bool taken = rx_push(u, 0, VUART_LSR_BI, now);

	update_irq(u);
	return taken;
}

void vuart_set_modem_inputs(struct vuart *u, uint8_t lines)
{
	u->modem_in = lines & VUART_MSR_LINES;
	if (!loopback(u))
		set_msr_lines(u, u->modem_in);
	update_irq(u);
}

uint64_t vuart_next_deadline(const struct vuart *u)
{
	if (u->timeout || !fifo_on(u) || !u->rx_count || !u->cfg.clock.now_ns)
		return DEADLINE_NONE;
	uint64_t wait = TIMEOUT_CHAR_TIMES * vuart_char_time_ns(u);

	return u->rx_activity_ns > DEADLINE_NONE - wait ? DEADLINE_NONE : u->rx_activity_ns + wait;
}

void vuart_poll(struct vuart *u, uint64_t now)
{
	check_timeout(u, now);
	update_irq(u);
}

void vuart_reset(struct vuart *u)
{
	u->ier = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->fcr = 0;
	u->lsr_err = 0;
	u->fifo_err = false;
	rx_clear(u);
	u->thre_pending = false;
	u->msr = u->modem_in; /* deltas low, lines follow the inputs */
	u->rx_activity_ns = clock_now(u);
	update_irq(u);
}

int vuart_init(struct vuart *u, const struct vuart_config *cfg)
{
	if (!u || !cfg)
		return -EINVAL;
	if ((uint32_t)cfg->base + VUART_NR_PORTS > PORT_SPACE) {
		pr_err("vuart: base 0x%x leaves no room for %u ports", cfg->base, VUART_NR_PORTS);
		return -EINVAL;
	}
	memset(u, 0, sizeof(*u));
	u->cfg = *cfg;
	u->dev.ops = &vuart_io_ops;
	u->dev.opaque = u;
	u->dev.name = cfg->base == VUART_COM1_BASE ? "com1" :
		      cfg->base == VUART_COM2_BASE ? "com2" : "uart";
	/* its interrupt line goes through irq_out, its deadline through
	 * deadline_changed: nothing else to re-check after a write */
	u->dev.flags = cfg->deadline_changed ? IO_DEV_WRITES_SIGNAL_THEMSELVES : 0;
	u->dll = VUART_DEFAULT_DIVISOR & 0xFF;
	u->dlm = VUART_DEFAULT_DIVISOR >> 8;
	u->modem_in = VUART_DEFAULT_MODEM_INPUTS;
	vuart_reset(u);
	return 0;
}

int vuart_register(struct vuart *u, struct io_bus *pio)
{
	return io_bus_register(pio, u->cfg.base, VUART_NR_PORTS, &u->dev);
}
