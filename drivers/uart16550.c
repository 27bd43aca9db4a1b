/* Host 16550A UART, polled (PC16550D datasheet, register map table 2). */
#include "drivers/uart16550.h"
#include "hv/x86.h"

#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_RBR 0 /* receive buffer (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07 /* enable FIFOs, clear RX and TX */
#define MCR_DTR_RTS_OUT2 0x0B
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define UART_CLOCK_DIV 115200 /* 1.8432 MHz / 16 */
#define TX_SPIN_LIMIT 100000 /* a stuck UART must not hang the console */

static uint16_t uart_port;
static bool uart_ok;

bool uart_init(uint16_t port, uint32_t baud)
{
	uart_ok = false;
	outb(port + UART_SCR, 0x5A);
	if (inb(port + UART_SCR) != 0x5A)
		return false;
	if (baud == 0 || baud > UART_CLOCK_DIV)
		baud = UART_CLOCK_DIV;
	uint16_t div = (uint16_t)(UART_CLOCK_DIV / baud);

	outb(port + UART_IER, 0);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, div & 0xFF);
	outb(port + UART_DLM, div >> 8);
	outb(port + UART_LCR, LCR_8N1);
	outb(port + UART_FCR, FCR_ENABLE_CLEAR);
	outb(port + UART_MCR, MCR_DTR_RTS_OUT2);
	uart_port = port;
	uart_ok = true;
	return true;
}

bool uart_present(void)
{
	return uart_ok;
}

void uart_putc(char c)
{
	if (!uart_ok)
		return;
	for (int i = 0; i < TX_SPIN_LIMIT; i++) {
		if (inb(uart_port + UART_LSR) & LSR_THR_EMPTY)
			break;
		cpu_relax();
	}
	outb(uart_port + UART_THR, (uint8_t)c);
}

int uart_getc(void)
{
	if (!uart_ok || !(inb(uart_port + UART_LSR) & LSR_DATA_READY))
		return -1;
	return inb(uart_port + UART_RBR);
}
