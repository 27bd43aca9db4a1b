#include "div64.h"

#include <stddef.h>

uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem)
{
	uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n;
	uint32_t q_hi = hi / d, r = hi % d, q_lo;

	/* Long division in two DIVs: r < d, so r:lo / d fits in 32 bits and
	 * the second DIV cannot overflow (#DE). */
	__asm__("divl %4" : "=a"(q_lo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
	if (rem != NULL)
		*rem = r;
	return ((uint64_t)q_hi << 32) | q_lo;
}
