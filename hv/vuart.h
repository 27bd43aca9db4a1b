/* 16550A UART model (National Semiconductor PC16550D datasheet): eight
 * registers at COM1 (0x3F8) or COM2 (0x2F8), 16-byte receive FIFO, the five
 * interrupt causes with their priorities and clearing rules, loopback, the
 * PC's OUT2 interrupt gate. Pure logic (docs/device-models.md): the host
 * side sends bytes in with vuart_receive() and gets the guest's bytes from
 * the tx callback. The caller serialises all calls on one UART. */
#ifndef HV_VUART_H
#define HV_VUART_H

#include "hv/compiler.h"
#include "hv/devmodel.h"
#include "hv/iobus.h"

#define VUART_COM1_BASE 0x3F8
#define VUART_COM2_BASE 0x2F8
#define VUART_COM1_IRQ 4 /* ISA IRQs of a PC's serial ports */
#define VUART_COM2_IRQ 3
#define VUART_NR_PORTS 8
#define VUART_FIFO_SIZE 16

/* Register offsets from the base (PC16550D table II). */
#define VUART_RBR 0 /* read, DLAB=0 */
#define VUART_THR 0 /* write, DLAB=0 */
#define VUART_DLL 0 /* DLAB=1 */
#define VUART_IER 1 /* DLAB=0 */
#define VUART_DLM 1 /* DLAB=1 */
#define VUART_IIR 2 /* read */
#define VUART_FCR 2 /* write */
#define VUART_LCR 3
#define VUART_MCR 4
#define VUART_LSR 5
#define VUART_MSR 6
#define VUART_SCR 7

#define VUART_IER_ERBFI 0x01 /* received data available (and timeout) */
#define VUART_IER_ETBEI 0x02 /* transmitter holding register empty */
#define VUART_IER_ELSI 0x04 /* receiver line status */
#define VUART_IER_EDSSI 0x08 /* modem status */

#define VUART_IIR_NO_INT 0x01 /* bit 0 is active low */
#define VUART_IIR_RLS 0x06
#define VUART_IIR_RDA 0x04
#define VUART_IIR_CTI 0x0C /* character timeout indication */
#define VUART_IIR_THRE 0x02
#define VUART_IIR_MSI 0x00
#define VUART_IIR_ID_MASK 0x0F
#define VUART_IIR_FIFO_ON 0xC0 /* bits 7:6 mirror FCR0 */

#define VUART_FCR_ENABLE 0x01
#define VUART_FCR_RX_RESET 0x02
#define VUART_FCR_TX_RESET 0x04
#define VUART_FCR_DMA_MODE 0x08
#define VUART_FCR_TRIGGER_1 0x00 /* bits 7:6: receive trigger level */
#define VUART_FCR_TRIGGER_4 0x40
#define VUART_FCR_TRIGGER_8 0x80
#define VUART_FCR_TRIGGER_14 0xC0

#define VUART_LCR_WLS_MASK 0x03 /* word length 5 + n bits */
#define VUART_LCR_STB 0x04
#define VUART_LCR_PEN 0x08
#define VUART_LCR_BREAK 0x40
#define VUART_LCR_DLAB 0x80

#define VUART_MCR_DTR 0x01
#define VUART_MCR_RTS 0x02
#define VUART_MCR_OUT1 0x04
#define VUART_MCR_OUT2 0x08 /* gates the IRQ on a PC */
#define VUART_MCR_LOOP 0x10
#define VUART_MCR_MASK 0x1F

#define VUART_LSR_DR 0x01
#define VUART_LSR_OE 0x02
#define VUART_LSR_PE 0x04
#define VUART_LSR_FE 0x08
#define VUART_LSR_BI 0x10
#define VUART_LSR_THRE 0x20
#define VUART_LSR_TEMT 0x40
#define VUART_LSR_FIFO_ERR 0x80
#define VUART_LSR_ERRORS (VUART_LSR_OE | VUART_LSR_PE | VUART_LSR_FE | VUART_LSR_BI)

#define VUART_MSR_DCTS 0x01
#define VUART_MSR_DDSR 0x02
#define VUART_MSR_TERI 0x04
#define VUART_MSR_DDCD 0x08
#define VUART_MSR_DELTAS 0x0F
#define VUART_MSR_CTS 0x10
#define VUART_MSR_DSR 0x20
#define VUART_MSR_RI 0x40
#define VUART_MSR_DCD 0x80
#define VUART_MSR_LINES 0xF0

/* Modem inputs at power-on: a console on the other end of the wire that
 * is ready (CTS, DSR, DCD on; RI off), so flow-controlled guests send. */
#define VUART_DEFAULT_MODEM_INPUTS (VUART_MSR_CTS | VUART_MSR_DSR | VUART_MSR_DCD)
/* Divisor at power-on: 12, 9600 baud from the 1.8432 MHz clock, what a PC
 * BIOS leaves behind; the datasheet leaves it undefined. */
#define VUART_DEFAULT_DIVISOR 12

struct vuart_config {
	uint16_t base; /* VUART_COM1_BASE, VUART_COM2_BASE, ... */
	/* Each byte the guest transmits (not called in loopback). May be NULL. */
	void (*tx)(void *ctx, uint8_t byte);
	void *tx_ctx;
	struct irq_out irq;
	/* For the character timeout; without now_ns the timeout never fires. */
	struct vclock clock;
	/* Called (with tx_ctx) when a register write moved the timeout's
	 * deadline (vuart_next_deadline()), so whoever polls it re-arms. With
	 * it the device signals its own writes (IO_DEV_WRITES_SIGNAL_THEMSELVES):
	 * a transmitted byte then costs no timer re-poll. May be NULL. */
	void (*deadline_changed)(void *ctx);
};

struct vuart {
	struct io_device dev; /* register at base, VUART_NR_PORTS ports */
	struct vuart_config cfg;

	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t fcr;       /* FCR bits as last programmed (write-only register) */
	uint8_t lsr_err;   /* latched OE/PE/FE/BI, cleared by reading LSR */
	bool fifo_err;     /* LSR bit 7 latch */
	uint8_t msr;       /* delta bits 3:0 and line state 7:4 */
	uint8_t modem_in;  /* CTS/DSR/RI/DCD inputs from the host side */
	uint8_t rbr;       /* last character read: what an empty RBR returns */

	/* Receive FIFO (depth 1 in 16450 mode): data and per-character
	 * PE/FE/BI flags, which reach LSR when the character is at the top. */
	uint8_t rx_data[VUART_FIFO_SIZE];
	uint8_t rx_flags[VUART_FIFO_SIZE];
	uint8_t rx_head, rx_count;

	bool thre_pending;  /* THRE interrupt latch (see vuart.c) */
	bool timeout;       /* character timeout indication */
	uint64_t rx_activity_ns; /* last character in or CPU read of the FIFO */
	int irq_level;      /* what the irq line was last set to */
};

/* Sets up the UART in its power-on state. -EINVAL if the 8 ports do not
 * fit below 0x10000. */
int vuart_init(struct vuart *u, const struct vuart_config *cfg);
/* Master reset (the MR pin): every register the datasheet lists to its
 * reset value; the divisor latch and SCR keep their contents. */
void vuart_reset(struct vuart *u);
/* Registers u->dev at the UART's ports on a port I/O bus. */
int vuart_register(struct vuart *u, struct io_bus *pio);

/* The io_device handlers, also callable directly: port, len 1..8. */
int vuart_read(struct vuart *u, uint64_t port, uint32_t len, uint64_t *val);
int vuart_write(struct vuart *u, uint64_t port, uint32_t len, uint64_t val);
/* What reading register `offset` (0..7, honouring DLAB) would return now,
 * without the read's side effects: for dumps and invariant checks. */
uint8_t vuart_peek(const struct vuart *u, uint32_t offset);

/* Host console input. Returns how many bytes went into the receiver
 * without an overrun. Bytes beyond that arrive at a full receiver as on a
 * wire: overrun (LSR.OE); in FIFO mode they are lost, in 16450 mode each
 * replaces the unread character. A caller that must not lose input passes
 * at most vuart_rx_room() bytes and keeps the rest. In loopback the
 * receiver is disconnected from the wire: nothing is taken (returns 0). */
size_t vuart_receive(struct vuart *u, const uint8_t *bytes, size_t n);
size_t vuart_rx_room(const struct vuart *u);
/* A break on the wire: one zero character flagged BI. False if it was not
 * received (loopback, or overrun). */
bool vuart_receive_break(struct vuart *u);
/* The modem inputs CTS/DSR/RI/DCD (VUART_MSR_* line bits); changes set the
 * MSR delta bits as the datasheet says (RI: only its trailing edge). */
void vuart_set_modem_inputs(struct vuart *u, uint8_t lines);

/* Character timeout: when it next needs a poll (absolute ns), and the
 * poll. DEADLINE_NONE while no timeout is running. */
uint64_t vuart_next_deadline(const struct vuart *u);
void vuart_poll(struct vuart *u, uint64_t now);

/* Nanoseconds one character takes on the wire with the current divisor and
 * line format (start + data + parity + stop bits). */
uint64_t vuart_char_time_ns(const struct vuart *u);

#endif
