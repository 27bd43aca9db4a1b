/* The hypervisor console: the serial port, mirrored to the VGA text screen
 * when there is one. One lock keeps lines from different CPUs whole. */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include "hv/compiler.h"

void console_set_serial(bool enabled);
void console_set_vga(bool enabled);
/* Writes one complete line (already formatted, newline included) under the
 * console lock. A CPU that re-enters (exception or NMI inside printk) and a
 * panic in progress do not wait for the lock. */
void console_write_line(const char *s, size_t len);

#endif
