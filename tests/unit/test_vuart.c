/* Unit tests for the 16550A UART model (hv/vuart.c): register reset
 * values, DLAB, FIFOs and trigger levels, each interrupt cause with its
 * priority and clearing rule, THRE semantics, character timeout, loopback,
 * overrun, break, the OUT2 gate and the tx callback. Every check is on what
 * a guest reads from the ports or sees on the IRQ line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/iobus.h"
#include "hv/vuart.h"
#include "test_log.h"

#define BASE VUART_COM1_BASE
#define IRQ_LINE 4
#define CHAR_8N1_DIV1_NS 86805ULL /* 10 bits at 115200 baud, truncated */

static struct vuart u;
static uint64_t fake_now;
static uint8_t txbuf[256];
static size_t txlen;
static struct {
	int level, sets, rises, falls;
	uint32_t line;
} irq;

static uint64_t now_ns(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static void tx(void *ctx, uint8_t b)
{
	assert_ptr_equal(ctx, &txlen);
	if (txlen < sizeof(txbuf))
		txbuf[txlen++] = b;
}

static void irq_set(void *ctx, uint32_t line, int level)
{
	assert_ptr_equal(ctx, &irq);
	irq.line = line;
	irq.sets++;
	if (level && !irq.level)
		irq.rises++;
	if (!level && irq.level)
		irq.falls++;
	irq.level = level;
}

static struct vuart_config config(uint16_t base)
{
	return (struct vuart_config){
		.base = base,
		.tx = tx,
		.tx_ctx = &txlen,
		.irq = { .set = irq_set, .ctx = &irq, .line = IRQ_LINE },
		.clock = { .now_ns = now_ns, .ctx = NULL },
	};
}

static int setup(void **state)
{
	(void)state;
	fake_now = 1000000;
	txlen = 0;
	memset(&irq, 0, sizeof(irq));
	test_log_reset();
	struct vuart_config c = config(BASE);

	assert_int_equal(vuart_init(&u, &c), 0);
	return 0;
}

static uint8_t rd(uint32_t off)
{
	uint64_t v = 0xdead;

	assert_int_equal(vuart_read(&u, BASE + off, 1, &v), 0);
	assert_true(v <= 0xFF);
	return (uint8_t)v;
}

static void wr(uint32_t off, uint8_t v)
{
	assert_int_equal(vuart_write(&u, BASE + off, 1, v), 0);
}

static void rx(const char *s)
{
	size_t n = strlen(s);

	assert_int_equal(vuart_receive(&u, (const uint8_t *)s, n), n);
}

static void set_divisor(uint16_t d)
{
	uint8_t lcr = rd(VUART_LCR);

	wr(VUART_LCR, lcr | VUART_LCR_DLAB);
	wr(VUART_DLL, (uint8_t)d);
	wr(VUART_DLM, (uint8_t)(d >> 8));
	wr(VUART_LCR, lcr);
}

/* 115200 8N1 with FIFOs at `trigger` (a VUART_FCR_TRIGGER_*). */
static void fifo_mode(uint8_t trigger)
{
	set_divisor(1);
	wr(VUART_LCR, 0x03);
	wr(VUART_FCR, VUART_FCR_ENABLE | trigger);
}

/* --- reset values, DLAB, plain registers ----------------------------- */

static void test_uart_registers_have_datasheet_reset_values(void **state)
{
	assert_int_equal(rd(VUART_IER), 0x00);
	assert_int_equal(rd(VUART_IIR), 0x01);
	assert_int_equal(rd(VUART_LCR), 0x00);
	assert_int_equal(rd(VUART_MCR), 0x00);
	assert_int_equal(rd(VUART_LSR), 0x60);
	/* Deltas low, lines = the inputs: CTS, DSR, DCD asserted. */
	assert_int_equal(rd(VUART_MSR), 0xB0);
	assert_int_equal(rd(VUART_SCR), 0x00);
	assert_int_equal(rd(VUART_RBR), 0x00);
	wr(VUART_LCR, VUART_LCR_DLAB);
	assert_int_equal(rd(VUART_DLL), VUART_DEFAULT_DIVISOR);
	assert_int_equal(rd(VUART_DLM), 0x00);
	assert_int_equal(irq.level, 0);
	assert_int_equal(irq.sets, 0);
}

static void test_uart_master_reset_restores_registers_but_keeps_divisor_and_scratch(void **state)
{
	set_divisor(0x0301);
	wr(VUART_SCR, 0x5A);
	wr(VUART_FCR, VUART_FCR_ENABLE);
	wr(VUART_IER, 0x0F);
	wr(VUART_MCR, 0x0F);
	wr(VUART_LCR, 0x1B);
	rx("xy");

	vuart_reset(&u);
	assert_int_equal(rd(VUART_IER), 0x00);
	assert_int_equal(rd(VUART_IIR), 0x01);
	assert_int_equal(rd(VUART_LCR), 0x00);
	assert_int_equal(rd(VUART_MCR), 0x00);
	assert_int_equal(rd(VUART_LSR), 0x60);
	assert_int_equal(rd(VUART_MSR), 0xB0);
	assert_int_equal(rd(VUART_SCR), 0x5A);
	wr(VUART_LCR, VUART_LCR_DLAB);
	assert_int_equal(rd(VUART_DLL), 0x01);
	assert_int_equal(rd(VUART_DLM), 0x03);
}

static void test_uart_reset_lowers_a_raised_irq_line(void **state)
{
	wr(VUART_MCR, VUART_MCR_OUT2);
	wr(VUART_IER, VUART_IER_ETBEI);
	assert_int_equal(irq.level, 1);
	vuart_reset(&u);
	assert_int_equal(irq.level, 0);
	assert_int_equal(irq.line, IRQ_LINE);
}

static void test_uart_dlab_switches_offsets_0_and_1_to_divisor_latch(void **state)
{
	wr(VUART_LCR, VUART_LCR_DLAB | 0x03);
	wr(VUART_DLL, 0x34);
	wr(VUART_DLM, 0x12);
	assert_int_equal(rd(VUART_DLL), 0x34);
	assert_int_equal(rd(VUART_DLM), 0x12);
	assert_int_equal(rd(VUART_LCR), 0x83);

	wr(VUART_LCR, 0x03);
	assert_int_equal(rd(VUART_IER), 0x00); /* not the divisor's high byte */
	wr(VUART_IER, VUART_IER_ERBFI);
	wr(VUART_LCR, VUART_LCR_DLAB | 0x03);
	assert_int_equal(rd(VUART_DLM), 0x12); /* IER write left DLM alone */
	wr(VUART_LCR, 0x03);
	assert_int_equal(rd(VUART_IER), VUART_IER_ERBFI);
}

static void test_uart_writing_dll_does_not_transmit(void **state)
{
	wr(VUART_LCR, VUART_LCR_DLAB);
	wr(VUART_DLL, 'A');
	assert_int_equal(txlen, 0);
}

static void test_uart_reading_dll_does_not_consume_received_data(void **state)
{
	rx("q");
	wr(VUART_LCR, VUART_LCR_DLAB);
	assert_int_equal(rd(VUART_DLL), VUART_DEFAULT_DIVISOR);
	wr(VUART_LCR, 0);
	assert_int_equal(rd(VUART_LSR) & VUART_LSR_DR, VUART_LSR_DR);
	assert_int_equal(rd(VUART_RBR), 'q');
}

static void test_uart_unimplemented_ier_and_mcr_bits_read_zero(void **state)
{
	wr(VUART_IER, 0xFF);
	assert_int_equal(rd(VUART_IER), 0x0F);
	wr(VUART_MCR, 0xEF); /* everything but loopback */
	assert_int_equal(rd(VUART_MCR), 0x0F);
}

static void test_uart_scratch_and_line_control_hold_any_value(void **state)
{
	for (int v = 0; v < 256; v += 37) {
		wr(VUART_SCR, (uint8_t)v);
		assert_int_equal(rd(VUART_SCR), v);
	}
	wr(VUART_LCR, 0x7F);
	assert_int_equal(rd(VUART_LCR), 0x7F);
}

static void test_uart_writes_to_lsr_and_msr_are_ignored(void **state)
{
	wr(VUART_LSR, 0x1F);
	wr(VUART_MSR, 0x0F);
	assert_int_equal(rd(VUART_LSR), 0x60);
	assert_int_equal(rd(VUART_MSR), 0xB0);
}

/* --- transmitter ------------------------------------------------------ */

static void test_uart_thr_writes_reach_tx_callback_in_order(void **state)
{
	const char *msg = "hello\n";

	for (const char *p = msg; *p; p++)
		wr(VUART_THR, (uint8_t)*p);
	assert_int_equal(txlen, strlen(msg));
	assert_memory_equal(txbuf, msg, strlen(msg));
}

static void test_uart_transmitter_reads_empty_after_every_write(void **state)
{
	wr(VUART_FCR, VUART_FCR_ENABLE);
	for (int i = 0; i < 40; i++) {
		wr(VUART_THR, (uint8_t)i);
		assert_int_equal(rd(VUART_LSR) & (VUART_LSR_THRE | VUART_LSR_TEMT),
				 VUART_LSR_THRE | VUART_LSR_TEMT);
	}
	assert_int_equal(txlen, 40);
}

static void test_uart_bytes_are_sent_whole_whatever_the_word_length(void **state)
{
	wr(VUART_LCR, 0x00); /* 5-bit words: guests that never set LCR still print */
	wr(VUART_THR, 0xC3);
	assert_int_equal(txlen, 1);
	assert_int_equal(txbuf[0], 0xC3);
}

static void test_uart_without_tx_callback_drops_bytes_quietly(void **state)
{
	struct vuart_config c = config(BASE);

	c.tx = NULL;
	assert_int_equal(vuart_init(&u, &c), 0);
	wr(VUART_THR, 'x');
	assert_int_equal(rd(VUART_LSR), 0x60);
}

/* --- receiver, FIFOs -------------------------------------------------- */

static void test_uart_received_byte_sets_data_ready_until_read(void **state)
{
	rx("k");
	assert_int_equal(rd(VUART_LSR), 0x61);
	assert_int_equal(rd(VUART_RBR), 'k');
	assert_int_equal(rd(VUART_LSR), 0x60);
}

static void test_uart_reading_empty_rbr_returns_last_character(void **state)
{
	rx("z");
	assert_int_equal(rd(VUART_RBR), 'z');
	assert_int_equal(rd(VUART_RBR), 'z');
	assert_int_equal(rd(VUART_LSR) & VUART_LSR_DR, 0);
}

static void test_uart_iir_bits_7_6_report_fifo_enable(void **state)
{
	assert_int_equal(rd(VUART_IIR), 0x01);
	wr(VUART_FCR, VUART_FCR_ENABLE);
	assert_int_equal(rd(VUART_IIR), 0xC1);
	wr(VUART_FCR, 0x00);
	assert_int_equal(rd(VUART_IIR), 0x01);
}

static void test_uart_fifo_holds_16_bytes_in_order_then_overruns(void **state)
{
	uint8_t in[20];

	for (int i = 0; i < 20; i++)
		in[i] = (uint8_t)('a' + i);
	wr(VUART_FCR, VUART_FCR_ENABLE);
	assert_int_equal(vuart_rx_room(&u), 16);
	assert_int_equal(vuart_receive(&u, in, 20), 16);
	assert_int_equal(vuart_rx_room(&u), 0);
	assert_int_equal(rd(VUART_LSR), 0x63); /* DR | OE | THRE | TEMT */
	assert_int_equal(rd(VUART_LSR), 0x61); /* OE cleared by the read */
	for (int i = 0; i < 16; i++)
		assert_int_equal(rd(VUART_RBR), 'a' + i);
	assert_int_equal(rd(VUART_LSR), 0x60);
	assert_int_equal(vuart_rx_room(&u), 16);
}

static void test_uart_16450_mode_holds_one_byte_and_overrun_replaces_it(void **state)
{
	assert_int_equal(vuart_rx_room(&u), 1);
	assert_int_equal(vuart_receive(&u, (const uint8_t *)"ab", 2), 1);
	assert_int_equal(rd(VUART_LSR), 0x63);
	/* Datasheet: the next character destroys the unread one. */
	assert_int_equal(rd(VUART_RBR), 'b');
	assert_int_equal(rd(VUART_LSR), 0x60);
}

static void test_uart_receive_of_nothing_changes_nothing(void **state)
{
	assert_int_equal(vuart_receive(&u, (const uint8_t *)"", 0), 0);
	assert_int_equal(vuart_receive(&u, NULL, 3), 0);
	assert_int_equal(rd(VUART_LSR), 0x60);
}

static void test_uart_rx_fifo_reset_discards_received_data(void **state)
{
	wr(VUART_FCR, VUART_FCR_ENABLE);
	rx("abc");
	wr(VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_RX_RESET);
	assert_int_equal(rd(VUART_LSR), 0x60);
	assert_int_equal(rd(VUART_IIR), 0xC1); /* still in FIFO mode */
	rx("d");
	assert_int_equal(rd(VUART_RBR), 'd');
}

static void test_uart_tx_fifo_reset_keeps_received_data(void **state)
{
	wr(VUART_FCR, VUART_FCR_ENABLE);
	rx("abc");
	wr(VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_TX_RESET);
	assert_int_equal(rd(VUART_RBR), 'a');
}

static void test_uart_switching_fifo_mode_empties_the_receiver(void **state)
{
	rx("a");
	wr(VUART_FCR, VUART_FCR_ENABLE);
	assert_int_equal(rd(VUART_LSR) & VUART_LSR_DR, 0);
	rx("bcd");
	wr(VUART_FCR, 0x00);
	assert_int_equal(rd(VUART_LSR) & VUART_LSR_DR, 0);
	assert_int_equal(vuart_rx_room(&u), 1);
}

static void test_uart_rewriting_fcr_in_fifo_mode_keeps_data(void **state)
{
	wr(VUART_FCR, VUART_FCR_ENABLE);
	rx("ab");
	wr(VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_TRIGGER_8);
	assert_int_equal(rd(VUART_RBR), 'a');
	assert_int_equal(rd(VUART_RBR), 'b');
}

/* --- interrupts: received data, trigger levels ----------------------- */

static void check_trigger(uint8_t fcr_bits, uint32_t level)
{
	setup(NULL);
	wr(VUART_FCR, VUART_FCR_ENABLE | fcr_bits);
	wr(VUART_IER, VUART_IER_ERBFI);
	wr(VUART_MCR, VUART_MCR_OUT2);
	for (uint32_t i = 0; i + 1 < level; i++) {
		uint8_t b = (uint8_t)i;

		assert_int_equal(vuart_receive(&u, &b, 1), 1);
	}
	assert_int_equal(rd(VUART_IIR), 0xC1);
	assert_int_equal(irq.level, 0);
	rx("!");
	assert_int_equal(rd(VUART_IIR), 0xC4);
	assert_int_equal(irq.level, 1);
	rd(VUART_RBR); /* below the trigger level again */
	assert_int_equal(rd(VUART_IIR), 0xC1);
	assert_int_equal(irq.level, 0);
}

static void test_uart_rx_interrupt_fires_at_each_trigger_level(void **state)
{
	check_trigger(VUART_FCR_TRIGGER_1, 1);
	check_trigger(VUART_FCR_TRIGGER_4, 4);
	check_trigger(VUART_FCR_TRIGGER_8, 8);
	check_trigger(VUART_FCR_TRIGGER_14, 14);
}

static void test_uart_rx_interrupt_in_16450_mode_on_first_byte(void **state)
{
	wr(VUART_IER, VUART_IER_ERBFI);
	wr(VUART_MCR, VUART_MCR_OUT2);
	rx("a");
	assert_int_equal(rd(VUART_IIR), 0x04);
	assert_int_equal(irq.level, 1);
	assert_int_equal(rd(VUART_RBR), 'a');
	assert_int_equal(rd(VUART_IIR), 0x01);
	assert_int_equal(irq.level, 0);
}

static void test_uart_disabled_causes_are_not_reported(void **state)
{
	rx("a");
	assert_int_equal(rd(VUART_IIR), 0x01);
	wr(VUART_IER, VUART_IER_ERBFI);
	assert_int_equal(rd(VUART_IIR), 0x04);
	wr(VUART_IER, 0);
	assert_int_equal(rd(VUART_IIR), 0x01);
}

/* --- interrupts: character timeout ------------------------------------ */

static void test_uart_character_time_follows_divisor_and_line_format(void **state)
{
	set_divisor(1);
	wr(VUART_LCR, 0x03); /* 8N1: 10 bits */
	assert_int_equal(vuart_char_time_ns(&u), CHAR_8N1_DIV1_NS);
	set_divisor(12);
	wr(VUART_LCR, 0x04); /* 5 bits, 1.5 stop: 7.5 bits at 9600 */
	assert_int_equal(vuart_char_time_ns(&u), 781250);
	set_divisor(0);      /* counts as 65536 */
	wr(VUART_LCR, 0x0F); /* 8 bits, parity, 2 stop: 12 bits */
	assert_int_equal(vuart_char_time_ns(&u), 6826666666ULL);
}

static void test_uart_character_timeout_after_four_character_times(void **state)
{
	const uint64_t wait = 4 * CHAR_8N1_DIV1_NS;

	fifo_mode(VUART_FCR_TRIGGER_8);
	wr(VUART_IER, VUART_IER_ERBFI);
	wr(VUART_MCR, VUART_MCR_OUT2);
	uint64_t t0 = fake_now;

	rx("abc");
	assert_int_equal(vuart_next_deadline(&u), t0 + wait);
	fake_now = t0 + wait - 1;
	vuart_poll(&u, fake_now);
	assert_int_equal(irq.level, 0);
	assert_int_equal(rd(VUART_IIR), 0xC1);
	fake_now = t0 + wait;
	vuart_poll(&u, fake_now);
	assert_int_equal(irq.level, 1);
	assert_int_equal(vuart_next_deadline(&u), DEADLINE_NONE);
	assert_int_equal(rd(VUART_IIR), 0xCC);
	assert_int_equal(rd(VUART_IIR), 0xCC); /* IIR reads do not clear it */
}

static void test_uart_reading_rbr_clears_timeout_and_restarts_timer(void **state)
{
	const uint64_t wait = 4 * CHAR_8N1_DIV1_NS;

	fifo_mode(VUART_FCR_TRIGGER_8);
	wr(VUART_IER, VUART_IER_ERBFI);
	wr(VUART_MCR, VUART_MCR_OUT2);
	rx("ab");
	fake_now += wait;
	vuart_poll(&u, fake_now);
	assert_int_equal(irq.level, 1);
	assert_int_equal(rd(VUART_RBR), 'a');
	assert_int_equal(irq.level, 0);
	assert_int_equal(rd(VUART_IIR), 0xC1);
	assert_int_equal(vuart_next_deadline(&u), fake_now + wait);
	fake_now += wait;
	vuart_poll(&u, fake_now);
	assert_int_equal(rd(VUART_IIR), 0xCC);
	assert_int_equal(rd(VUART_RBR), 'b');
	assert_int_equal(rd(VUART_IIR), 0xC1);
	assert_int_equal(vuart_next_deadline(&u), DEADLINE_NONE); /* empty */
}

static void test_uart_new_character_restarts_timeout_timer(void **state)
{
	const uint64_t wait = 4 * CHAR_8N1_DIV1_NS;

	fifo_mode(VUART_FCR_TRIGGER_14);
	wr(VUART_IER, VUART_IER_ERBFI);
	rx("a");
	fake_now += wait - 10;
	rx("b");
	assert_int_equal(vuart_next_deadline(&u), fake_now + wait);
	fake_now += wait - 10;
	assert_int_equal(rd(VUART_IIR), 0xC1);
	fake_now += 10;
	assert_int_equal(rd(VUART_IIR), 0xCC);
}

static void test_uart_iir_read_sees_timeout_without_poll(void **state)
{
	fifo_mode(VUART_FCR_TRIGGER_4);
	wr(VUART_IER, VUART_IER_ERBFI);
	rx("a");
	fake_now += 4 * CHAR_8N1_DIV1_NS;
	assert_int_equal(rd(VUART_IIR), 0xCC);
}

static void test_uart_no_character_timeout_in_16450_mode(void **state)
{
	set_divisor(1);
	wr(VUART_IER, VUART_IER_ERBFI);
	rx("a");
	assert_int_equal(vuart_next_deadline(&u), DEADLINE_NONE);
	fake_now += 1000 * CHAR_8N1_DIV1_NS;
	vuart_poll(&u, fake_now);
	assert_int_equal(rd(VUART_IIR), 0x04); /* data available, not timeout */
}

static void test_uart_rx_fifo_reset_cancels_timeout(void **state)
{
	fifo_mode(VUART_FCR_TRIGGER_4);
	wr(VUART_IER, VUART_IER_ERBFI);
	rx("a");
	fake_now += 4 * CHAR_8N1_DIV1_NS;
	vuart_poll(&u, fake_now);
	wr(VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_TRIGGER_4 | VUART_FCR_RX_RESET);
	assert_int_equal(rd(VUART_IIR), 0xC1);
	assert_int_equal(vuart_next_deadline(&u), DEADLINE_NONE);
}

static void test_uart_without_clock_never_times_out(void **state)
{
	struct vuart_config c = config(BASE);

	c.clock.now_ns = NULL;
	assert_int_equal(vuart_init(&u, &c), 0);
	fifo_mode(VUART_FCR_TRIGGER_4);
	wr(VUART_IER, VUART_IER_ERBFI);
	rx("a");
	assert_int_equal(vuart_next_deadline(&u), DEADLINE_NONE);
	vuart_poll(&u, UINT64_MAX);
	assert_int_equal(rd(VUART_IIR), 0xC1);
}

/* --- interrupts: THRE ------------------------------------------------- */

static void test_uart_enabling_etbei_with_empty_thr_raises_thre_interrupt(void **state)
{
	wr(VUART_MCR, VUART_MCR_OUT2);
	wr(VUART_IER, VUART_IER_ETBEI);
	assert_int_equal(irq.level, 1);
	assert_int_equal(irq.line, IRQ_LINE);
	assert_int_equal(vuart_peek(&u, VUART_IIR), 0x02);
}

static void test_uart_reading_iir_clears_thre_interrupt(void **state)
{
	wr(VUART_MCR, VUART_MCR_OUT2);
	wr(VUART_IER, VUART_IER_ETBEI);
	assert_int_equal(rd(VUART_IIR), 0x02);
	assert_int_equal(irq.level, 0);
	assert_int_equal(rd(VUART_IIR), 0x01);
}

static void test_uart_iir_read_reporting_another_cause_keeps_thre_pending(void **state)
{
	wr(VUART_IER, VUART_IER_ETBEI | VUART_IER_ERBFI);
	rx("a");
	assert_int_equal(rd(VUART_IIR), 0x04);
	rd(VUART_RBR);
	assert_int_equal(rd(VUART_IIR), 0x02);
	assert_int_equal(rd(VUART_IIR), 0x01);
}

static void test_uart_writing_thr_rearms_thre_interrupt(void **state)
{
	wr(VUART_MCR, VUART_MCR_OUT2);
	wr(VUART_IER, VUART_IER_ETBEI);
	rd(VUART_IIR);
	assert_int_equal(irq.level, 0);
	wr(VUART_THR, 'a');
	assert_int_equal(irq.level, 1);
	assert_int_equal(rd(VUART_IIR), 0x02);
}

static void test_uart_thr_write_gives_edge_triggered_pic_a_new_edge(void **state)
{
	wr(VUART_MCR, VUART_MCR_OUT2);
	wr(VUART_IER, VUART_IER_ETBEI);
	assert_int_equal(irq.rises, 1);
	/* Still pending (IIR not read): the THR write clears and re-arms it. */
	wr(VUART_THR, 'a');
	assert_int_equal(irq.falls, 1);
	assert_int_equal(irq.rises, 2);
	assert_int_equal(irq.level, 1);
}

static void test_uart_thre_interrupt_needs_etbei(void **state)
{
	wr(VUART_MCR, VUART_MCR_OUT2);
	wr(VUART_THR, 'a');
	assert_int_equal(irq.level, 0);
	assert_int_equal(rd(VUART_IIR), 0x01);
}

static void test_uart_rewriting_ier_with_etbei_already_set_does_not_rearm_thre(void **state)
{
	wr(VUART_IER, VUART_IER_ETBEI);
	assert_int_equal(rd(VUART_IIR), 0x02);
	wr(VUART_IER, VUART_IER_ETBEI | VUART_IER_ERBFI);
	assert_int_equal(rd(VUART_IIR), 0x01);
	wr(VUART_IER, 0);
	wr(VUART_IER, VUART_IER_ETBEI); /* a 0->1 transition does */
	assert_int_equal(rd(VUART_IIR), 0x02);
}

/* --- interrupts: line status, modem status, priorities --------------- */

static void test_uart_overrun_raises_line_status_interrupt_cleared_by_lsr_read(void **state)
{
	wr(VUART_IER, VUART_IER_ELSI);
	wr(VUART_MCR, VUART_MCR_OUT2);
	assert_int_equal(vuart_receive(&u, (const uint8_t *)"ab", 2), 1);
	assert_int_equal(irq.level, 1);
	assert_int_equal(rd(VUART_IIR), 0x06);
	assert_int_equal(rd(VUART_LSR), 0x63);
	assert_int_equal(irq.level, 0);
	assert_int_equal(rd(VUART_IIR), 0x01);
}

static void test_uart_line_status_outranks_received_data(void **state)
{
	wr(VUART_IER, VUART_IER_ELSI | VUART_IER_ERBFI);
	vuart_receive(&u, (const uint8_t *)"ab", 2);
	assert_int_equal(rd(VUART_IIR), 0x06);
	rd(VUART_LSR);
	assert_int_equal(rd(VUART_IIR), 0x04);
	rd(VUART_RBR);
	assert_int_equal(rd(VUART_IIR), 0x01);
}

static void test_uart_interrupt_causes_are_reported_in_priority_order(void **state)
{
	wr(VUART_IER, 0x0F);
	vuart_receive(&u, (const uint8_t *)"ab", 2);    /* overrun + data */
	vuart_set_modem_inputs(&u, VUART_MSR_CTS);       /* DSR, DCD drop */
	assert_int_equal(rd(VUART_IIR), VUART_IIR_RLS);
	rd(VUART_LSR);
	assert_int_equal(rd(VUART_IIR), VUART_IIR_RDA);
	rd(VUART_RBR);
	assert_int_equal(rd(VUART_IIR), VUART_IIR_THRE); /* read clears it */
	assert_int_equal(rd(VUART_IIR), VUART_IIR_MSI);
	assert_int_equal(rd(VUART_MSR), 0x1A);
	assert_int_equal(rd(VUART_IIR), VUART_IIR_NO_INT);
}

static void test_uart_timeout_outranks_thre_and_data_outranks_timeout(void **state)
{
	fifo_mode(VUART_FCR_TRIGGER_4);
	wr(VUART_IER, VUART_IER_ERBFI | VUART_IER_ETBEI);
	rx("abc");
	fake_now += 4 * CHAR_8N1_DIV1_NS;
	assert_int_equal(rd(VUART_IIR), 0xCC);
	rx("d"); /* at the trigger level: data available wins */
	assert_int_equal(rd(VUART_IIR), 0xC4);
	rd(VUART_RBR); /* below trigger, timeout cleared by the read */
	assert_int_equal(rd(VUART_IIR), 0xC2);
}

static void test_uart_modem_input_change_sets_delta_bits_and_interrupt(void **state)
{
	wr(VUART_IER, VUART_IER_EDSSI);
	wr(VUART_MCR, VUART_MCR_OUT2);
	vuart_set_modem_inputs(&u, VUART_MSR_CTS);
	assert_int_equal(irq.level, 1);
	assert_int_equal(rd(VUART_IIR), 0x00);
	assert_int_equal(rd(VUART_MSR), 0x10 | VUART_MSR_DDSR | VUART_MSR_DDCD);
	assert_int_equal(irq.level, 0);
	assert_int_equal(rd(VUART_MSR), 0x10);
	vuart_set_modem_inputs(&u, 0);
	assert_int_equal(rd(VUART_MSR), VUART_MSR_DCTS);
}

static void test_uart_ring_indicator_sets_teri_only_on_trailing_edge(void **state)
{
	vuart_set_modem_inputs(&u, VUART_DEFAULT_MODEM_INPUTS | VUART_MSR_RI);
	assert_int_equal(rd(VUART_MSR), 0xF0); /* rising RI: no delta */
	vuart_set_modem_inputs(&u, VUART_DEFAULT_MODEM_INPUTS);
	assert_int_equal(rd(VUART_MSR), 0xB0 | VUART_MSR_TERI);
	assert_int_equal(rd(VUART_MSR), 0xB0);
}

static void test_uart_irq_line_is_gated_by_out2(void **state)
{
	wr(VUART_IER, VUART_IER_ERBFI);
	rx("a");
	assert_int_equal(rd(VUART_IIR), 0x04);
	assert_int_equal(irq.level, 0);
	wr(VUART_MCR, VUART_MCR_OUT2);
	assert_int_equal(irq.level, 1);
	wr(VUART_MCR, VUART_MCR_DTR | VUART_MCR_RTS | VUART_MCR_OUT1);
	assert_int_equal(irq.level, 0);
	assert_int_equal(rd(VUART_IIR), 0x04); /* still pending inside */
}

static void test_uart_irq_line_is_set_only_on_changes(void **state)
{
	wr(VUART_MCR, VUART_MCR_OUT2);
	wr(VUART_IER, VUART_IER_ERBFI);
	rx("a");
	/* An overrun, but ELSI is off: the line stays up. */
	assert_int_equal(vuart_receive(&u, (const uint8_t *)"b", 1), 0);
	wr(VUART_SCR, 1);
	rd(VUART_LSR);
	assert_int_equal(irq.sets, 1);
	rd(VUART_RBR);
	assert_int_equal(irq.sets, 2);
	assert_int_equal(irq.level, 0);
}

/* --- break ------------------------------------------------------------ */

static void test_uart_break_in_fifo_shows_bi_when_on_top_and_sets_fifo_error(void **state)
{
	wr(VUART_FCR, VUART_FCR_ENABLE);
	wr(VUART_IER, VUART_IER_ELSI);
	rx("a");
	assert_true(vuart_receive_break(&u));
	assert_int_equal(rd(VUART_IIR), 0xC1);  /* the break is not on top yet */
	assert_int_equal(rd(VUART_LSR), 0xE1);  /* FIFO error, DR */
	assert_int_equal(rd(VUART_RBR), 'a');
	assert_int_equal(rd(VUART_IIR), 0xC6);  /* now it is */
	assert_int_equal(rd(VUART_LSR), 0xF1);  /* BI, FIFO error, DR */
	assert_int_equal(rd(VUART_IIR), 0xC1);
	assert_int_equal(rd(VUART_RBR), 0x00);  /* a break reads as 0 */
	assert_int_equal(rd(VUART_LSR), 0xE0);  /* bit 7 clears on the next read */
	assert_int_equal(rd(VUART_LSR), 0x60);
}

static void test_uart_break_in_16450_mode_sets_bi_without_fifo_error(void **state)
{
	assert_true(vuart_receive_break(&u));
	assert_int_equal(rd(VUART_LSR), 0x71);
	assert_int_equal(rd(VUART_RBR), 0x00);
	assert_int_equal(rd(VUART_LSR), 0x60);
}

static void test_uart_break_into_full_fifo_is_an_overrun(void **state)
{
	uint8_t in[16] = { 0 };

	wr(VUART_FCR, VUART_FCR_ENABLE);
	vuart_receive(&u, in, 16);
	assert_false(vuart_receive_break(&u));
	assert_int_equal(rd(VUART_LSR), 0x63);
}

/* --- loopback --------------------------------------------------------- */

static void test_uart_loopback_sends_tx_to_rx_instead_of_callback(void **state)
{
	wr(VUART_FCR, VUART_FCR_ENABLE);
	wr(VUART_MCR, VUART_MCR_LOOP);
	wr(VUART_THR, 'L');
	wr(VUART_THR, 'B');
	assert_int_equal(txlen, 0);
	assert_int_equal(rd(VUART_LSR), 0x61);
	assert_int_equal(rd(VUART_RBR), 'L');
	assert_int_equal(rd(VUART_RBR), 'B');
	wr(VUART_MCR, 0);
	wr(VUART_THR, 'C');
	assert_int_equal(txlen, 1);
}

static void test_uart_loopback_overruns_like_the_wire(void **state)
{
	wr(VUART_MCR, VUART_MCR_LOOP);
	wr(VUART_THR, '1');
	wr(VUART_THR, '2');
	assert_int_equal(rd(VUART_LSR), 0x63);
	assert_int_equal(rd(VUART_RBR), '2');
}

static void test_uart_loopback_mirrors_mcr_to_msr(void **state)
{
	/* Linux's probe: loopback with RTS and OUT2 must read CTS and DCD. */
	wr(VUART_MCR, VUART_MCR_LOOP | VUART_MCR_RTS | VUART_MCR_OUT2);
	assert_int_equal(rd(VUART_MSR) & 0xF0, 0x90);
	wr(VUART_MCR, VUART_MCR_LOOP | VUART_MCR_DTR | VUART_MCR_OUT1);
	/* CTS and DCD fell, DSR rose: DCTS, DDSR, DDCD; RI rose: no TERI. */
	assert_int_equal(rd(VUART_MSR), 0x60 | 0x0B);
	wr(VUART_MCR, VUART_MCR_LOOP | VUART_MCR_DTR);
	assert_int_equal(rd(VUART_MSR), 0x20 | VUART_MSR_TERI);
}

static void test_uart_leaving_loopback_restores_modem_inputs(void **state)
{
	wr(VUART_MCR, VUART_MCR_LOOP);
	assert_int_equal(rd(VUART_MSR) & 0xF0, 0x00);
	vuart_set_modem_inputs(&u, VUART_MSR_CTS); /* not seen in loopback */
	assert_int_equal(rd(VUART_MSR), 0x00);
	wr(VUART_MCR, 0);
	assert_int_equal(rd(VUART_MSR), 0x10 | VUART_MSR_DCTS);
}

static void test_uart_loopback_disconnects_host_input(void **state)
{
	wr(VUART_MCR, VUART_MCR_LOOP);
	assert_int_equal(vuart_rx_room(&u), 0);
	assert_int_equal(vuart_receive(&u, (const uint8_t *)"x", 1), 0);
	assert_false(vuart_receive_break(&u));
	assert_int_equal(rd(VUART_LSR), 0x60);
}

static void test_uart_loopback_interrupts_show_in_iir_but_not_on_irq_line(void **state)
{
	/* The datasheet forces the OUT pins inactive in loopback, and OUT2
	 * gates the PC's IRQ: interrupts stay inside the chip. */
	wr(VUART_IER, VUART_IER_ERBFI | VUART_IER_EDSSI);
	wr(VUART_MCR, VUART_MCR_LOOP | VUART_MCR_OUT2);
	wr(VUART_THR, 'x');
	assert_int_equal(rd(VUART_IIR), 0x04);
	assert_int_equal(irq.level, 0);
	wr(VUART_MCR, VUART_MCR_OUT2); /* out of loopback: the data is still there */
	assert_int_equal(irq.level, 1);
}

/* --- ports, widths, bus ---------------------------------------------- */

static void test_uart_wide_access_reads_consecutive_registers(void **state)
{
	uint64_t v;

	wr(VUART_LCR, 0x03);
	wr(VUART_MCR, 0x0B);
	assert_int_equal(vuart_read(&u, BASE + VUART_LCR, 2, &v), 0);
	assert_int_equal(v, 0x0B03);
	assert_int_equal(vuart_write(&u, BASE + VUART_THR, 2, 0x4241), 0);
	assert_int_equal(txlen, 1); /* 'A' to THR, 0x42 to IER */
	assert_int_equal(txbuf[0], 'A');
	assert_int_equal(rd(VUART_IER), 0x02);
}

static void test_uart_access_outside_its_ports_is_refused(void **state)
{
	uint64_t v = 7;

	assert_int_equal(vuart_read(&u, BASE - 1, 1, &v), -EINVAL);
	assert_int_equal(vuart_read(&u, BASE + 8, 1, &v), -EINVAL);
	assert_int_equal(vuart_read(&u, BASE + 7, 2, &v), -EINVAL);
	assert_int_equal(vuart_read(&u, BASE, 0, &v), -EINVAL);
	assert_int_equal(v, 7);
	assert_int_equal(vuart_write(&u, BASE + 8, 1, 'x'), -EINVAL);
	assert_int_equal(txlen, 0);
}

static void test_uart_init_rejects_base_without_room_for_eight_ports(void **state)
{
	struct vuart_config c = config(0xFFF9);

	assert_int_equal(vuart_init(&u, &c), -EINVAL);
	assert_true(test_log_contains("vuart: base 0xfff9 leaves no room for 8 ports"));
	c.base = 0xFFF8;
	assert_int_equal(vuart_init(&u, &c), 0);
	assert_int_equal(vuart_init(&u, NULL), -EINVAL);
}

static void test_uart_registered_on_bus_answers_on_its_eight_ports(void **state)
{
	struct io_bus bus = { 0 };
	uint64_t v;

	assert_int_equal(vuart_register(&u, &bus), 0);
	assert_int_equal(io_bus_read(&bus, BASE + VUART_LSR, 1, &v), 0);
	assert_int_equal(v, 0x60);
	assert_int_equal(io_bus_write(&bus, BASE + VUART_THR, 1, 'Q'), 0);
	assert_int_equal(txbuf[0], 'Q');
	assert_int_equal(io_bus_read(&bus, BASE + 8, 1, &v), -ENODEV);
	assert_string_equal(u.dev.name, "com1");
}

/* --- deadline signalling (IO_DEV_WRITES_SIGNAL_THEMSELVES) ------------ */

static unsigned deadline_calls;
static void count_deadline_change(void *ctx)
{
	assert_ptr_equal(ctx, &txlen);
	deadline_calls++;
}

static void use_deadline_signal(void)
{
	struct vuart_config c = config(BASE);
	c.deadline_changed = count_deadline_change;
	assert_int_equal(vuart_init(&u, &c), 0);
	deadline_calls = 0;
}

static void test_uart_signals_its_own_writes_only_with_a_deadline_callback(void **state)
{
	(void)state;
	assert_int_equal(u.dev.flags & IO_DEV_WRITES_SIGNAL_THEMSELVES, 0);
	use_deadline_signal();
	assert_int_equal(u.dev.flags & IO_DEV_WRITES_SIGNAL_THEMSELVES, IO_DEV_WRITES_SIGNAL_THEMSELVES);
}

static void test_uart_transmitting_does_not_move_the_timeout_deadline(void **state)
{
	(void)state;
	use_deadline_signal();
	wr(VUART_FCR, VUART_FCR_ENABLE);
	rx("ab");
	deadline_calls = 0;
	txlen = 0;
	for (int i = 0; i < 10; i++)
		wr(VUART_THR, 'x');
	wr(VUART_SCR, 0x55);
	assert_int_equal(deadline_calls, 0);
	assert_int_equal(txlen, 10);
}

static void test_uart_baud_change_and_fifo_reset_move_the_deadline_and_say_so(void **state)
{
	(void)state;
	use_deadline_signal();
	wr(VUART_FCR, VUART_FCR_ENABLE); /* nothing received: still no deadline */
	assert_int_equal(deadline_calls, 0);
	rx("a"); /* received data arms the character timeout (the host side kicks) */
	uint64_t before = vuart_next_deadline(&u);
	assert_true(before != DEADLINE_NONE);
	assert_int_equal(deadline_calls, 0);
	wr(VUART_LCR, VUART_LCR_DLAB); /* divisor 12 -> 1: a character takes less time */
	wr(VUART_DLL, 1);
	assert_int_equal(deadline_calls, 1);
	wr(VUART_LCR, 0x03); /* 5 -> 8 data bits: a character takes longer again */
	assert_int_equal(deadline_calls, 2);
	assert_true(vuart_next_deadline(&u) < before);
	wr(VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_RX_RESET); /* data gone: no deadline */
	assert_true(vuart_next_deadline(&u) == DEADLINE_NONE);
	assert_int_equal(deadline_calls, 3);
}

static void test_uart_com2_answers_at_its_own_base(void **state)
{
	struct vuart_config c = config(VUART_COM2_BASE);
	uint64_t v;

	assert_int_equal(vuart_init(&u, &c), 0);
	assert_int_equal(vuart_read(&u, VUART_COM2_BASE + VUART_LSR, 1, &v), 0);
	assert_int_equal(v, 0x60);
	assert_int_equal(vuart_read(&u, BASE + VUART_LSR, 1, &v), -EINVAL);
	assert_string_equal(u.dev.name, "com2");
}

static void test_uart_peek_has_no_side_effects(void **state)
{
	wr(VUART_IER, VUART_IER_ETBEI | VUART_IER_ELSI);
	vuart_receive(&u, (const uint8_t *)"ab", 2);
	assert_int_equal(vuart_peek(&u, VUART_IIR), 0x06);
	assert_int_equal(vuart_peek(&u, VUART_LSR), 0x63);
	assert_int_equal(vuart_peek(&u, VUART_RBR), 'b');
	assert_int_equal(vuart_peek(&u, VUART_LSR), 0x63);
	assert_int_equal(rd(VUART_LSR), 0x63);
	assert_int_equal(vuart_peek(&u, VUART_IIR), 0x02);
	assert_int_equal(vuart_peek(&u, VUART_IIR), 0x02);
	assert_int_equal(vuart_peek(&u, 8), 0xFF);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_uart_registers_have_datasheet_reset_values),
		T(test_uart_master_reset_restores_registers_but_keeps_divisor_and_scratch),
		T(test_uart_reset_lowers_a_raised_irq_line),
		T(test_uart_dlab_switches_offsets_0_and_1_to_divisor_latch),
		T(test_uart_writing_dll_does_not_transmit),
		T(test_uart_reading_dll_does_not_consume_received_data),
		T(test_uart_unimplemented_ier_and_mcr_bits_read_zero),
		T(test_uart_scratch_and_line_control_hold_any_value),
		T(test_uart_writes_to_lsr_and_msr_are_ignored),
		T(test_uart_thr_writes_reach_tx_callback_in_order),
		T(test_uart_transmitter_reads_empty_after_every_write),
		T(test_uart_bytes_are_sent_whole_whatever_the_word_length),
		T(test_uart_without_tx_callback_drops_bytes_quietly),
		T(test_uart_received_byte_sets_data_ready_until_read),
		T(test_uart_reading_empty_rbr_returns_last_character),
		T(test_uart_iir_bits_7_6_report_fifo_enable),
		T(test_uart_fifo_holds_16_bytes_in_order_then_overruns),
		T(test_uart_16450_mode_holds_one_byte_and_overrun_replaces_it),
		T(test_uart_receive_of_nothing_changes_nothing),
		T(test_uart_rx_fifo_reset_discards_received_data),
		T(test_uart_tx_fifo_reset_keeps_received_data),
		T(test_uart_switching_fifo_mode_empties_the_receiver),
		T(test_uart_rewriting_fcr_in_fifo_mode_keeps_data),
		T(test_uart_rx_interrupt_fires_at_each_trigger_level),
		T(test_uart_rx_interrupt_in_16450_mode_on_first_byte),
		T(test_uart_disabled_causes_are_not_reported),
		T(test_uart_character_time_follows_divisor_and_line_format),
		T(test_uart_character_timeout_after_four_character_times),
		T(test_uart_reading_rbr_clears_timeout_and_restarts_timer),
		T(test_uart_new_character_restarts_timeout_timer),
		T(test_uart_iir_read_sees_timeout_without_poll),
		T(test_uart_no_character_timeout_in_16450_mode),
		T(test_uart_rx_fifo_reset_cancels_timeout),
		T(test_uart_without_clock_never_times_out),
		T(test_uart_enabling_etbei_with_empty_thr_raises_thre_interrupt),
		T(test_uart_reading_iir_clears_thre_interrupt),
		T(test_uart_iir_read_reporting_another_cause_keeps_thre_pending),
		T(test_uart_writing_thr_rearms_thre_interrupt),
		T(test_uart_thr_write_gives_edge_triggered_pic_a_new_edge),
		T(test_uart_thre_interrupt_needs_etbei),
		T(test_uart_rewriting_ier_with_etbei_already_set_does_not_rearm_thre),
		T(test_uart_overrun_raises_line_status_interrupt_cleared_by_lsr_read),
		T(test_uart_line_status_outranks_received_data),
		T(test_uart_interrupt_causes_are_reported_in_priority_order),
		T(test_uart_timeout_outranks_thre_and_data_outranks_timeout),
		T(test_uart_modem_input_change_sets_delta_bits_and_interrupt),
		T(test_uart_ring_indicator_sets_teri_only_on_trailing_edge),
		T(test_uart_irq_line_is_gated_by_out2),
		T(test_uart_irq_line_is_set_only_on_changes),
		T(test_uart_break_in_fifo_shows_bi_when_on_top_and_sets_fifo_error),
		T(test_uart_break_in_16450_mode_sets_bi_without_fifo_error),
		T(test_uart_break_into_full_fifo_is_an_overrun),
		T(test_uart_loopback_sends_tx_to_rx_instead_of_callback),
		T(test_uart_loopback_overruns_like_the_wire),
		T(test_uart_loopback_mirrors_mcr_to_msr),
		T(test_uart_leaving_loopback_restores_modem_inputs),
		T(test_uart_loopback_disconnects_host_input),
		T(test_uart_loopback_interrupts_show_in_iir_but_not_on_irq_line),
		T(test_uart_wide_access_reads_consecutive_registers),
		T(test_uart_access_outside_its_ports_is_refused),
		T(test_uart_init_rejects_base_without_room_for_eight_ports),
		T(test_uart_registered_on_bus_answers_on_its_eight_ports),
		T(test_uart_com2_answers_at_its_own_base),
		T(test_uart_signals_its_own_writes_only_with_a_deadline_callback),
		T(test_uart_transmitting_does_not_move_the_timeout_deadline),
		T(test_uart_baud_change_and_fifo_reset_move_the_deadline_and_say_so),
		T(test_uart_peek_has_no_side_effects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
