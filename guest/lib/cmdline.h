/* Options on the guest's multiboot command line: space-separated words,
 * either flags ("nohc") or key=value ("exit=3", "ro=fee00000"). The first
 * word is usually the image path (qemu and GRUB both put it there) and is
 * treated like any other word. */
#ifndef GUEST_CMDLINE_H
#define GUEST_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

bool cmdline_has(const char *flag);
/* The value of key=value, as a string of *len bytes, or NULL. */
const char *cmdline_value(const char *key, unsigned int *len);
/* key=value as a number: decimal, or hex with a 0x prefix. False when the
 * key is missing or its value is not a number. */
bool cmdline_uint(const char *key, uint32_t *out);
/* key=value as hex, with or without 0x (addresses). */
bool cmdline_hex(const char *key, uint32_t *out);
/* s[0..len) as hex, with or without 0x, up to 64 bits (parts of values). */
bool parse_hex64(const char *s, unsigned int len, uint64_t *out);

#endif
