/* COM1 output (COM2 with `serial=com2`): the console of every VM
 * (docs/guest-abi.md). */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

#include <stdint.h>

/* The 16550's ports and registers (NS16550A datasheet), for guests that
 * program COM1 themselves (echo, memcheck). */
#define COM1_BASE 0x3F8
#define COM2_BASE 0x2F8
#define COM1_IRQ 4
#define UART_RBR 0 /* receive buffer (read) */
#define UART_THR 0 /* transmit holding register (write) */
#define UART_IER 1
#define UART_FCR 2
#define UART_MCR 4
#define UART_LSR 5
#define IER_RDA 0x01          /* received-data interrupt */
#define FCR_FIFO_ON 0x01      /* FIFOs on, trigger level 1 */
#define MCR_DTR_RTS_OUT2 0x0B /* OUT2 gates the IRQ line on a PC */
#define LSR_DR 0x01           /* data ready */
#define LSR_THRE 0x20         /* THR empty: the next byte may be written */

void serial_putc(char c);
/* Output goes to COM2 (0x2F8) from now on. */
void serial_use_com2(void);
void serial_write(const char *s, unsigned int len);

#endif
