/* libFuzzer harness for the memory slots (hv/memslot.c). The input is a
 * program of slot requests, dirty-page marks, dirty-log reads and lookups,
 * over a small guest address space so that slots collide, plus addresses
 * near 2^52 and 2^64. A reference model written with 128-bit arithmetic
 * decides what each request must return; after every step the slot table
 * must agree with the model and keep its invariants (aligned, below 2^52,
 * no two slots overlapping, a bitmap exactly when logging). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "hv/errno.h"
#include "hv/memslot.h"
#include "test_log.h"

#define PG 4096u
#define MODEL_LOG_PAGES 4096u /* logging slots larger than this are not applied */

struct ref_slot {
	bool used;
	uint32_t flags;
	uint64_t gpa, size, hpa;
	uint8_t dirty[MODEL_LOG_PAGES]; /* per page, while logging */
};

static struct memslots ms;
static struct ref_slot ref[MEMSLOT_MAX];

/* Reads are sequenced statement by statement: the order of calls inside
 * one expression (or initializer list) is unspecified in C. */
/* Addresses: mostly pages of a 1 MiB window, sometimes unaligned, near the
 * 2^52 limit or near 2^64. */
static uint64_t address(struct input *in)
{
	uint16_t v = (uint16_t)input_le(in, 2);
	uint64_t pages = v & 0xff;

	switch (v >> 13) {
	case 0: return ((1ULL << 52) - pages * PG);
	case 1: return 0 - pages * PG;
	case 2: return pages * PG + (v >> 8 & 0x1f);
	default: return pages * PG;
	}
}

static uint64_t length(struct input *in)
{
	uint16_t v = (uint16_t)input_le(in, 2);
	uint64_t pages = v & 0x3f;

	switch (v >> 13) {
	case 0: return 0;
	case 1: return (1ULL << 52) - pages * PG;
	case 2: return pages * PG + (v >> 8 & 0x1f);
	default: return pages * PG;
	}
}

static bool ref_overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return (unsigned __int128)a < (unsigned __int128)b + bn &&
	       (unsigned __int128)b < (unsigned __int128)a + an;
}

/* The rules again, written out independently of hv/memslot.c. */
static int ref_check(const struct memory_region *r, enum memslot_change *change)
{
	const unsigned __int128 limit = (unsigned __int128)1 << 52;

	if (r->slot >= MEMSLOT_MAX || r->flags > 3)
		return -EINVAL;
	if ((r->guest_phys_addr | r->memory_size | r->host_phys_addr) % PG)
		return -EINVAL;
	if ((unsigned __int128)r->guest_phys_addr + r->memory_size > limit ||
	    (unsigned __int128)r->host_phys_addr + r->memory_size > limit)
		return -EINVAL;
	const struct ref_slot *old = &ref[r->slot];

	if (r->memory_size == 0) {
		if (!old->used)
			return -EINVAL;
		*change = MEMSLOT_DELETE;
		return 0;
	}
	if (!old->used) {
		*change = MEMSLOT_CREATE;
	} else if (old->size != r->memory_size || old->hpa != r->host_phys_addr ||
		   (old->flags & MEM_READONLY) != (r->flags & MEM_READONLY)) {
		return -EINVAL;
	} else if (old->gpa != r->guest_phys_addr) {
		*change = MEMSLOT_MOVE;
	} else {
		*change = old->flags != r->flags ? MEMSLOT_FLAGS_ONLY : MEMSLOT_UNCHANGED;
	}
	if (*change == MEMSLOT_CREATE || *change == MEMSLOT_MOVE) {
		for (uint32_t j = 0; j < MEMSLOT_MAX; j++) {
			if (j != r->slot && ref[j].used &&
			    ref_overlap(r->guest_phys_addr, r->memory_size, ref[j].gpa, ref[j].size))
				return -EEXIST;
		}
	}
	return 0;
}

static void ref_apply(const struct memory_region *r, enum memslot_change change)
{
	struct ref_slot *s = &ref[r->slot];
	bool was_logging = s->used && (s->flags & MEM_LOG_DIRTY_PAGES);

	if (change == MEMSLOT_DELETE) {
		memset(s, 0, sizeof(*s));
		return;
	}
	if (!was_logging || !(r->flags & MEM_LOG_DIRTY_PAGES))
		memset(s->dirty, 0, sizeof(s->dirty));
	s->used = true;
	s->flags = r->flags;
	s->gpa = r->guest_phys_addr;
	s->size = r->memory_size;
	s->hpa = r->host_phys_addr;
}

static void do_set(struct input *in)
{
	struct memory_region r;

	r.slot = input_u8(in) % (MEMSLOT_MAX + 2);
	r.flags = input_u8(in) % 5;
	r.guest_phys_addr = address(in);
	r.memory_size = length(in);
	r.host_phys_addr = address(in);
	enum memslot_change got = MEMSLOT_UNCHANGED, want = MEMSLOT_UNCHANGED;
	int rc = memslots_check(&ms, &r, &got);

	check(rc == ref_check(&r, &want));
	if (rc)
		return;
	check(got == want);
	bool needs = memslot_change_needs_bitmap(&ms, &r, got);

	check(needs == ((r.flags & MEM_LOG_DIRTY_PAGES) && got != MEMSLOT_DELETE &&
			got != MEMSLOT_UNCHANGED &&
			(got == MEMSLOT_CREATE || !(ref[r.slot].flags & MEM_LOG_DIRTY_PAGES))));
	/* Keep bitmaps (and the model) small: such requests are only checked. */
	if ((r.flags & MEM_LOG_DIRTY_PAGES) && r.memory_size / PG > MODEL_LOG_PAGES)
		return;
	uint64_t *bitmap = NULL, *old = NULL;

	if (needs) {
		bitmap = calloc(memslot_dirty_words(r.memory_size), sizeof(uint64_t));
		if (!bitmap)
			return;
	}
	memslots_apply(&ms, &r, got, bitmap, &old);
	free(old);
	ref_apply(&r, got);
}

static void do_mark(struct input *in)
{
	uint64_t gpa = address(in);

	memslot_mark_dirty(&ms, gpa);
	for (uint32_t i = 0; i < MEMSLOT_MAX; i++) {
		struct ref_slot *s = &ref[i];

		if (s->used && (s->flags & MEM_LOG_DIRTY_PAGES) && gpa >= s->gpa && gpa - s->gpa < s->size)
			s->dirty[(gpa - s->gpa) / PG] = 1;
	}
}

static void do_get_log(struct input *in)
{
	static uint64_t out[MODEL_LOG_PAGES / 64];
	uint32_t slot = input_u8(in) % (MEMSLOT_MAX + 1);
	struct ref_slot *s = slot < MEMSLOT_MAX ? &ref[slot] : NULL;
	int rc = memslot_get_dirty_log(&ms, slot, out, ARRAY_SIZE(out));

	if (!s)
		check(rc == -EINVAL);
	else if (!s->used)
		check(rc == -ENOENT);
	else if (!(s->flags & MEM_LOG_DIRTY_PAGES))
		check(rc == -EINVAL);
	else {
		check(rc == 0);
		for (uint64_t p = 0; p < s->size / PG; p++) {
			check(((out[p / 64] >> (p % 64)) & 1) == s->dirty[p]);
			s->dirty[p] = 0;
		}
	}
}

static void do_lookup(struct input *in)
{
	uint64_t gpa = address(in);
	uint64_t len = length(in);

	len |= input_u8(in) & 7;
	uint64_t want = 0;
	const struct memslot *found = memslot_find(&ms, gpa);
	const struct ref_slot *hit = NULL;

	for (uint32_t i = 0; i < MEMSLOT_MAX; i++) {
		const struct ref_slot *s = &ref[i];

		if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size)
			hit = s;
	}
	check((found == NULL) == (hit == NULL));
	if (hit && len && (unsigned __int128)gpa + len <= (unsigned __int128)hit->gpa + hit->size)
		want = hit->hpa + (gpa - hit->gpa);
	check(memslot_gpa_to_hpa(&ms, gpa, len) == want);
}

static void check_invariants(void)
{
	uint32_t used = 0;

	for (uint32_t i = 0; i < MEMSLOT_MAX; i++) {
		const struct memslot *s = &ms.slot[i];
		const struct ref_slot *r = &ref[i];

		check(s->used == r->used);
		check(((ms.used_mask >> i) & 1) == s->used);
		if (!s->used) {
			check(!s->dirty_bitmap);
			continue;
		}
		used++;
		check(s->id == i && s->flags == r->flags && s->gpa == r->gpa && s->size == r->size &&
		      s->hpa == r->hpa);
		check(s->size && s->size % PG == 0 && s->gpa % PG == 0 && s->hpa % PG == 0);
		check(s->gpa + s->size <= (1ULL << 52) && s->hpa + s->size <= (1ULL << 52));
		check((s->dirty_bitmap != NULL) == ((s->flags & MEM_LOG_DIRTY_PAGES) != 0));
		for (uint32_t j = i + 1; j < MEMSLOT_MAX; j++) {
			const struct memslot *o = &ms.slot[j];

			check(!o->used || !ref_overlap(s->gpa, s->size, o->gpa, o->size));
		}
	}
	check(used == ms.used_count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	memset(&ms, 0, sizeof(ms));
	memset(ref, 0, sizeof(ref));
	test_log_reset();
	while (in.n) {
		switch (input_u8(&in) % 8) {
		case 0: case 1: case 2: case 3: do_set(&in); break;
		case 4: case 5: do_mark(&in); break;
		case 6: do_get_log(&in); break;
		default: do_lookup(&in); break;
		}
		check_invariants();
	}
	check(test_log_count() == 0); /* the memslot code never logs */
	for (uint32_t i = 0; i < MEMSLOT_MAX; i++)
		free(ms.slot[i].dirty_bitmap);
	return 0;
}
