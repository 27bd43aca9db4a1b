/* Host 16550 UART driver (polled): the hypervisor's serial console. */
#ifndef DRIVERS_UART16550_H
#define DRIVERS_UART16550_H

#include "hv/compiler.h"

#define COM1_PORT 0x3F8
#define COM2_PORT 0x2F8
#define COM3_PORT 0x3E8
#define COM4_PORT 0x2E8

/* Programs the UART; returns false (and stays disabled) if nothing answers
 * at `port` (the scratch register does not hold a value). */
bool uart_init(uint16_t port, uint32_t baud);
void uart_putc(char c);
/* Returns a received byte, or -1 when none is waiting. */
int uart_getc(void);
bool uart_present(void);

#endif
