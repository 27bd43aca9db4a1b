/* printf-style formatting for the hypervisor (no libc): C99 snprintf
 * semantics for the integer, character, string and pointer conversions. */
#ifndef HV_FORMAT_H
#define HV_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

#include "hv/compiler.h"

/* Supported: %d %i %u %x %X %o %c %s %p %% with flags - 0 + space #, width
 * and precision (digits or '*'), length modifiers hh h l ll z t j.
 * %p prints "0x" and 16 hex digits; %s of NULL prints "(null)" (nothing if
 * a precision below 6 is given, like glibc). Anything else (%f, %n, %ls ...)
 * is copied to the output literally and consumes no argument.
 * Writes at most `size` bytes including the NUL (always NUL-terminated when
 * size > 0; buf may be NULL when size is 0) and returns the length the full
 * output would have, or -1 if that exceeds INT_MAX. */
int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int hv_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
