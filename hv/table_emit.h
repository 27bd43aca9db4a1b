/* A little-endian byte emitter for the firmware tables the hypervisor
 * writes into guest memory (hv/guest_acpi.c, hv/guest_mptable.c). With a
 * NULL buffer it only counts, so a builder can size its output first;
 * writes past the capacity are dropped, never made. */
#ifndef HV_TABLE_EMIT_H
#define HV_TABLE_EMIT_H

#include "hv/compiler.h"
#include "hv/string.h"

struct emit {
	uint8_t *buf; /* NULL: count only */
	size_t cap;
	size_t len;
};

static inline void emit_bytes(struct emit *e, const void *src, size_t n)
{
	if (e->buf && e->len <= e->cap && n <= e->cap - e->len)
		memcpy(e->buf + e->len, src, n);
	e->len += n;
}

static inline void emit8(struct emit *e, uint8_t v)
{
	emit_bytes(e, &v, 1);
}

static inline void emit16(struct emit *e, uint16_t v)
{
	emit8(e, (uint8_t)v);
	emit8(e, (uint8_t)(v >> 8));
}

static inline void emit32(struct emit *e, uint32_t v)
{
	emit16(e, (uint16_t)v);
	emit16(e, (uint16_t)(v >> 16));
}

static inline void emit64(struct emit *e, uint64_t v)
{
	emit32(e, (uint32_t)v);
	emit32(e, (uint32_t)(v >> 32));
}

static inline void emit_zeros(struct emit *e, size_t n)
{
	while (n--)
		emit8(e, 0);
}

/* Pads so the next byte lands on an `align` boundary in guest-physical
 * terms (buf_gpa need not be aligned itself). */
static inline void emit_align(struct emit *e, uint64_t gpa, uint64_t align)
{
	uint64_t at = gpa + e->len;

	emit_zeros(e, (size_t)(ALIGN_UP(at, align) - at));
}

static inline bool emit_has(const struct emit *e, size_t off, size_t n)
{
	return e->buf && off <= e->cap && n <= e->cap - off;
}

static inline void emit_patch32(struct emit *e, size_t off, uint32_t v)
{
	if (!emit_has(e, off, 4))
		return;
	for (int i = 0; i < 4; i++)
		e->buf[off + i] = (uint8_t)(v >> (8 * i));
}

/* Sets the byte at `at` so that bytes [start, start + len) sum to zero. */
static inline void emit_checksum(struct emit *e, size_t start, size_t len, size_t at)
{
	uint8_t sum = 0;

	if (!emit_has(e, start, len))
		return;
	e->buf[at] = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + e->buf[start + i]);
	e->buf[at] = (uint8_t)(0x100 - sum);
}

#endif
