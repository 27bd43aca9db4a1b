/* Polled COM1 (or COM2, `serial=com2`) transmitter. No set-up: the
 * hypervisor's UART and QEMU's both accept bytes at any baud rate, so only
 * THR and LSR matter. */
#include "serial.h"

#include "x86.h"

/* A UART that never reports THRE must not hang the guest: give up
 * waiting after this many polls and write anyway. */
#define THRE_POLL_LIMIT 100000

static uint16_t base = COM1_BASE;

void serial_use_com2(void)
{
	base = COM2_BASE;
}

void serial_putc(char c)
{
	for (int i = 0; i < THRE_POLL_LIMIT; i++)
		if (inb(base + UART_LSR) & LSR_THRE)
			break;
	outb(base + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, unsigned int len)
{
	while (len--)
		serial_putc(*s++);
}
