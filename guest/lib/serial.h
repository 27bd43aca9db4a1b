/* COM1 output (COM2 with `serial=com2`): the console of every VM
 * (docs/guest-abi.md). */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

void serial_putc(char c);
/* Output goes to COM2 (0x2F8) from now on. */
void serial_use_com2(void);
void serial_write(const char *s, unsigned int len);

#endif
