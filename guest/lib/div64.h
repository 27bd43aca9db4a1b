/* 64-by-32-bit division without libgcc (-nostdlib has no __udivdi3). */
#ifndef GUEST_DIV64_H
#define GUEST_DIV64_H

#include <stdint.h>

/* n / d, and n % d in *rem when rem is not NULL; d must not be 0. */
uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem);

#endif
