/* libFuzzer harness for the board devices: the 16550A UART (hv/vuart.c)
 * above all, and the PCI configuration ports and reset ports (hv/vpci.c,
 * hv/vreset.c) it shares a port I/O bus with. The input is a program of
 * port reads and writes at every width (through the bus, and directly at
 * ports outside each device's window), host-side receive, break and modem
 * line changes, clock steps with polls at the advertised deadline, resets,
 * and PCI function (un)registration. After every step the UART must keep
 * its invariants: FIFO count bounded by the mode's depth, LSR consistent
 * with the FIFO (DR, THRE/TEMT, bit 7 only in FIFO mode), IIR well formed,
 * the IRQ line equal to "enabled cause AND OUT2 AND NOT loopback" and only
 * ever set on a change; the PCI and reset ports keep theirs. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_input.h"
#include "hv/errno.h"
#include "hv/iobus.h"
#include "hv/vpci.h"
#include "hv/vreset.h"
#include "hv/vuart.h"
#include "test_log.h"

static struct vuart uart;
static struct vpci pci;
static struct vreset rst;
static struct io_bus bus;
static uint64_t fake_now;
static int irq_level, irq_sets;
static uint32_t tx_bytes, reset_requests;
static struct vpci_cfgspace spaces[4];

static uint64_t now_ns(void *ctx)
{
	return fake_now;
}

static void tx(void *ctx, uint8_t b)
{
	tx_bytes++;
}

static void irq_set(void *ctx, uint32_t line, int level)
{
	check(line == VUART_COM1_IRQ);
	check(level == 0 || level == 1);
	check(level != irq_level); /* the model only reports changes */
	irq_level = level;
	irq_sets++;
}

static void reset_request(void *ctx, const char *reason)
{
	check(reason != NULL);
	check(!strcmp(reason, VRESET_REASON_CF9_SOFT) || !strcmp(reason, VRESET_REASON_CF9_HARD) ||
	      !strcmp(reason, VRESET_REASON_CF9_FULL) || !strcmp(reason, VRESET_REASON_PORT92) ||
	      !strcmp(reason, VRESET_REASON_KBC_PULSE) ||
	      !strcmp(reason, VRESET_REASON_KBC_OUTPUT));
	reset_requests++;
}

/* Ports worth hitting: every device register and the edges around them. */
static const uint16_t ports[] = {
	0x3F7, 0x3F8, 0x3F9, 0x3FA, 0x3FB, 0x3FC, 0x3FD, 0x3FE, 0x3FF, 0x400,
	0xCF7, 0xCF8, 0xCF9, 0xCFA, 0xCFB, 0xCFC, 0xCFD, 0xCFE, 0xCFF, 0xD00,
	0x60,  0x61,  0x64,  0x80,  0x92,  0x3FB, 0x3FC, 0x3F9, 0x3FA, 0x3F8,
};

static uint16_t port(struct input *in)
{
	return ports[input_u8(in) % ARRAY_SIZE(ports)];
}

static uint32_t width(struct input *in)
{
	static const uint8_t w[4] = { 1, 2, 4, 1 };

	return w[input_u8(in) % 4];
}

static void do_bus_read(struct input *in)
{
	uint16_t p = port(in);
	uint32_t len = width(in);
	uint64_t v = 0;
	int rc = io_bus_read(&bus, p, len, &v);

	check(rc == 0 || rc == -ENODEV);
	if (rc == 0 && len < 8)
		check(v >> (8 * len) == 0);
}

static void do_bus_write(struct input *in)
{
	uint16_t p = port(in);
	uint32_t len = width(in);
	uint32_t v = (uint32_t)input_le(in, 4);
	int rc = io_bus_write(&bus, p, len, v);

	check(rc == 0 || rc == -ENODEV);
}

/* Straight at the handlers, with ports and widths the bus never sends. */
static void do_direct(struct input *in)
{
	uint64_t p = 0x3F0 + input_u8(in) % 0x18, v = 0;
	uint32_t len = input_u8(in) % 10;
	int rc = (input_u8(in) & 1) ? vuart_read(&uart, p, len, &v) : vuart_write(&uart, p, len, v);
	bool inside = len >= 1 && len <= 8 && p >= VUART_COM1_BASE && p + len <= VUART_COM1_BASE + 8;

	check(inside ? rc == 0 : rc == -EINVAL);
	p = 0xCF0 + input_u8(in) % 0x18;
	rc = (input_u8(in) & 1) ? vpci_read(&pci, p, len, &v) : vpci_write(&pci, p, len, (uint32_t)input_le(in, 4));
	inside = (len == 1 || len == 2 || len == 4) && p >= 0xCF8 && p + len <= 0xD00;
	check(inside ? rc == 0 : rc == -EINVAL);
}

static void do_receive(struct input *in)
{
	uint8_t buf[24];
	size_t n = input_u8(in) % sizeof(buf);
	size_t room = vuart_rx_room(&uart);

	for (size_t i = 0; i < n; i++)
		buf[i] = input_u8(in);
	size_t taken = vuart_receive(&uart, buf, n);

	check(taken == (n < room ? n : room));
}

static void do_clock(struct input *in)
{
	uint32_t step = (uint32_t)input_le(in, 4);
	uint64_t deadline = vuart_next_deadline(&uart);

	fake_now += (uint64_t)(step & 0xFFFFFF) << (step >> 30) * 6;
	if (input_u8(in) & 1) {
		vuart_poll(&uart, fake_now);
		if (deadline != DEADLINE_NONE && fake_now >= deadline)
			check(vuart_next_deadline(&uart) == DEADLINE_NONE && uart.timeout);
	}
}

static void do_pci_table(struct input *in)
{
	uint8_t b = input_u8(in), d = input_u8(in) % 34, f = input_u8(in) % 9;
	uint8_t which = input_u8(in);

	if (which & 1) {
		struct vpci_cfgspace *cs = &spaces[which >> 1 & 3];

		vpci_add_function(&pci, b % 3, d, f, &vpci_cfgspace_ops, cs);
	} else if (b % 3 || d || f) {
		vpci_remove_function(&pci, b % 3, d, f); /* the host bridge stays */
	}
	uint32_t off = input_u8(in), len = input_u8(in) % 6;

	if (which & 0x80)
		vpci_config_write(&pci, b % 3, d, f, off, len, (uint32_t)input_le(in, 4));
	else
		(void)vpci_config_read(&pci, b % 3, d, f, off, len);
}

static void check_uart(void)
{
	const struct vuart *u = &uart;
	bool fifo = u->fcr & VUART_FCR_ENABLE;
	uint8_t lsr = vuart_peek(u, VUART_LSR), iir = vuart_peek(u, VUART_IIR);
	uint8_t id = iir & VUART_IIR_ID_MASK;

	check(u->rx_count <= (fifo ? VUART_FIFO_SIZE : 1));
	check(u->rx_head < VUART_FIFO_SIZE);
	check(u->ier <= 0x0F && u->mcr <= VUART_MCR_MASK);
	check((lsr & (VUART_LSR_THRE | VUART_LSR_TEMT)) == (VUART_LSR_THRE | VUART_LSR_TEMT));
	check(!!(lsr & VUART_LSR_DR) == (u->rx_count > 0));
	check(fifo || !(lsr & VUART_LSR_FIFO_ERR));
	check((iir & 0x30) == 0);
	check((iir & 0xC0) == (fifo ? 0xC0 : 0));
	check(id == VUART_IIR_NO_INT || id == VUART_IIR_RLS || id == VUART_IIR_RDA ||
	      id == VUART_IIR_CTI || id == VUART_IIR_THRE || id == VUART_IIR_MSI);
	check(id != VUART_IIR_CTI || fifo);
	check(id != VUART_IIR_RLS || (lsr & VUART_LSR_ERRORS));
	check(id != VUART_IIR_RDA || u->rx_count);
	check(!u->timeout || (fifo && u->rx_count));
	/* Without errors in the FIFO, bit 7 can only be the latch of one
	 * already read out; with errors still inside (FIFO mode) it is set. */
	if (fifo) {
		bool inside = false;

		for (uint32_t i = 0; i < u->rx_count; i++)
			inside |= u->rx_flags[(u->rx_head + i) % VUART_FIFO_SIZE] != 0;
		check(!inside || (lsr & VUART_LSR_FIFO_ERR));
	}
	int want = id != VUART_IIR_NO_INT && (u->mcr & VUART_MCR_OUT2) && !(u->mcr & VUART_MCR_LOOP);

	check(irq_level == want);
	uint64_t d = vuart_next_deadline(u);

	check(d == DEADLINE_NONE || (fifo && u->rx_count && !u->timeout && d > u->rx_activity_ns));
}

static void check_board(void)
{
	check((pci.config_address & ~VPCI_ADDR_MASK) == 0);
	check(pci.nr_funcs <= VPCI_MAX_FUNCS);
	check(vpci_config_read(&pci, 0, 0, 0, 0, 4) == 0x12378086);
	check(vpci_config_read(&pci, 0, 0, 0, VPCI_BAR0, 4) == 0);
	check((vpci_config_read(&pci, 0, 0, 0, VPCI_COMMAND, 2) & 0x0006) == 0x0006);
	check(rst.requests == reset_requests);
	check((rst.rst_cnt & ~(VRESET_RST_CNT_SYS_RST | VRESET_RST_CNT_FULL_RST)) == 0);
	check((rst.port92 & ~VRESET_SCPA_MASK) == 0);
}

/* The board's hook for a write that moved the character-timeout deadline:
 * counted, so the fuzzer runs the path the hypervisor uses. */
static unsigned deadline_changes;
static void deadline_changed(void *ctx)
{
	(void)ctx;
	deadline_changes++;
}

static void setup(void)
{
	struct vuart_config uc = {
		.base = VUART_COM1_BASE,
		.tx = tx,
		.irq = { .set = irq_set, .line = VUART_COM1_IRQ },
		.clock = { .now_ns = now_ns },
		.deadline_changed = deadline_changed,
	};
	struct vreset_config rc = { .reset_request = reset_request };
	struct vpci_config pc = { .narrow = &rst.dev };

	memset(&bus, 0, sizeof(bus));
	memset(spaces, 0, sizeof(spaces));
	fake_now = 0;
	irq_level = 0;
	irq_sets = 0;
	tx_bytes = 0;
	reset_requests = 0;
	check(vuart_init(&uart, &uc) == 0);
	check(vreset_init(&rst, &rc) == 0);
	check(vpci_init(&pci, &pc) == 0);
	check(vuart_register(&uart, &bus) == 0);
	check(vpci_register(&pci, &bus) == 0);
	check(vreset_register(&rst, &bus) == 0);
	for (int i = 0; i < 4; i++) {
		vpci_cfgspace_set(&spaces[i], 0, 4, 0x00011AF4u + (uint32_t)i);
		vpci_cfgspace_set_wmask(&spaces[i], 0x10, 4, 0xFFFFF000u);
		vpci_cfgspace_set_w1cmask(&spaces[i], 0x06, 2, 0xF900);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	setup();
	test_log_reset();
	while (in.n) {
		switch (input_u8(&in) % 16) {
		case 0: case 1: case 2: case 3: do_bus_read(&in); break;
		case 4: case 5: case 6: case 7: do_bus_write(&in); break;
		case 8: do_receive(&in); break;
		case 9: vuart_receive_break(&uart); break;
		case 10: vuart_set_modem_inputs(&uart, input_u8(&in)); break;
		case 11: case 12: do_clock(&in); break;
		case 13: do_direct(&in); break;
		case 14: do_pci_table(&in); break;
		default:
			switch (input_u8(&in) % 3) {
			case 0: vuart_reset(&uart); break;
			case 1: vpci_reset(&pci); break;
			default: vreset_reset(&rst); break;
			}
			break;
		}
		check_uart();
		check_board();
	}
	/* Only registration errors log, never guest accesses. */
	check(!test_log_count() || test_log_contains("vpci: "));
	return 0;
}
