/* COM1 output: the console of every VM (docs/guest-abi.md). */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

void serial_putc(char c);
void serial_write(const char *s, unsigned int len);

#endif
