/* Reading a libFuzzer input as a stream of operations. Reading past the
 * end yields zeros, so every input, however short, is a complete program.
 * check() traps so the fuzzer records the input that broke an invariant. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct input {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t input_u8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* n (<= 8) bytes, little-endian. */
static inline uint64_t input_le(struct input *in, unsigned int n)
{
	uint64_t v = 0;
	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)input_u8(in) << (8 * i);
	return v;
}

static inline void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

#endif
