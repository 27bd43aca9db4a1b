/* printf-lite to COM1: %d %u %x %s %c %p %%, an optional '0' flag and
 * width, and the 'l' / 'll' length modifiers ('ll' for 64-bit values). */
#ifndef GUEST_PRINTF_H
#define GUEST_PRINTF_H

#include <stdarg.h>

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
