/* Interrupt-driven serial echo: COM1's received-data interrupt (IER bit 0,
 * IRQ4 through the 8259, gated by MCR.OUT2 as on a PC) wakes the guest from
 * HLT; each line typed is echoed back as "echo: <line>"; "exit" ends it. */
#include <stdint.h>

#include "check.h"
#include "guest.h"
#include "printf.h"
#include "serial.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "echo";

#define VEC_PIC_BASE 0x20
#define LINE_MAX 80

static volatile char ring[256];
static volatile uint8_t head, tail;
static volatile uint32_t interrupts;

static void on_com1(uint32_t vector)
{
	(void)vector;
	interrupts++;
	while (inb(COM1_BASE + UART_LSR) & LSR_DR)
		ring[head++] = (char)inb(COM1_BASE + UART_RBR);
	outb(0x20, 0x20); /* EOI */
}

static int getc_wait(void)
{
	while (head == tail)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	return ring[tail++];
}

int guest_main(void)
{
	char line[LINE_MAX + 1];
	unsigned n = 0;

	trap_set_irq_handler(VEC_PIC_BASE + COM1_IRQ, on_com1);
	outb(0x20, 0x11); outb(0xA0, 0x11);
	outb(0x21, VEC_PIC_BASE); outb(0xA1, 0x28);
	outb(0x21, 0x04); outb(0xA1, 0x02);
	outb(0x21, 0x01); outb(0xA1, 0x01);
	outb(0x21, (uint8_t)~(1u << COM1_IRQ)); outb(0xA1, 0xFF);
	outb(COM1_BASE + UART_FCR, FCR_FIFO_ON);
	outb(COM1_BASE + UART_MCR, MCR_DTR_RTS_OUT2);
	outb(COM1_BASE + UART_IER, IER_RDA);
	printf("echo: ready\n");
	for (;;) {
		int c = getc_wait();
		if (c == '\r' || c == '\n') {
			if (!n)
				continue;
			line[n] = '\0';
			if (n == 4 && line[0] == 'e' && line[1] == 'x' && line[2] == 'i' && line[3] == 't')
				break;
			printf("echo: %s\n", line);
			n = 0;
		} else if (n < LINE_MAX) {
			line[n++] = (char)c;
		}
	}
	check(interrupts > 0, "rda_interrupts_woke_hlt", "no interrupt");
	return check_finish();
}
