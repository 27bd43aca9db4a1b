/* Memory slots: the KVM_SET_USER_MEMORY_REGION rules (KVM's
 * Documentation/virt/kvm/api.rst, 4.35) over a fixed array indexed by slot
 * id, plus the per-slot dirty bitmap. With at most MEMSLOT_MAX slots a
 * linear scan over the used ones is both the simplest and a fast enough
 * lookup. */
#include "hv/memslot.h"

#include "hv/errno.h"
#include "hv/string.h"

_Static_assert(MEMSLOT_MAX <= 32, "memslots.used_mask has one bit per slot");

static bool ranges_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
	return a < b + b_size && b < a + a_size;
}

/* Base, size and backing are page-aligned and both ranges end at or below
 * 2^52; the comparisons are arranged so that nothing can wrap past 2^64. */
static bool region_shape_valid(const struct memory_region *r)
{
	if (!IS_ALIGNED(r->guest_phys_addr, PAGE_SIZE) || !IS_ALIGNED(r->memory_size, PAGE_SIZE) ||
	    !IS_ALIGNED(r->host_phys_addr, PAGE_SIZE))
		return false;
	return r->guest_phys_addr <= MEMSLOT_ADDR_LIMIT &&
	       r->memory_size <= MEMSLOT_ADDR_LIMIT - r->guest_phys_addr &&
	       r->host_phys_addr <= MEMSLOT_ADDR_LIMIT &&
	       r->memory_size <= MEMSLOT_ADDR_LIMIT - r->host_phys_addr;
}

/* True if [gpa, gpa+size) meets any used slot other than `self`. */
static bool overlaps_other_slot(const struct memslots *ms, uint32_t self, uint64_t gpa,
				uint64_t size)
{
	for (uint32_t i = 0; i < MEMSLOT_MAX; i++) {
		const struct memslot *s = &ms->slot[i];

		if (s->used && i != self && ranges_overlap(gpa, size, s->gpa, s->size))
			return true;
	}
	return false;
}

/* What a request does to an existing slot, or -EINVAL if it changes what
 * KVM never lets change in place: size, backing, READONLY. */
static int classify_existing(const struct memslot *old, const struct memory_region *r,
			     enum memslot_change *change)
{
	if (r->memory_size != old->size || r->host_phys_addr != old->hpa)
		return -EINVAL;
	if ((r->flags ^ old->flags) & MEM_READONLY)
		return -EINVAL;
	if (r->guest_phys_addr != old->gpa)
		*change = MEMSLOT_MOVE;
	else if (r->flags != old->flags)
		*change = MEMSLOT_FLAGS_ONLY;
	else
		*change = MEMSLOT_UNCHANGED;
	return 0;
}

int memslots_check(const struct memslots *ms, const struct memory_region *r,
		   enum memslot_change *change)
{
	if (r->slot >= MEMSLOT_MAX || (r->flags & ~MEM_VALID_FLAGS) || !region_shape_valid(r))
		return -EINVAL;

	const struct memslot *old = &ms->slot[r->slot];

	if (r->memory_size == 0) {
		if (!old->used)
			return -EINVAL;
		*change = MEMSLOT_DELETE;
		return 0;
	}
	if (old->used) {
		int err = classify_existing(old, r, change);

		if (err)
			return err;
	} else {
		*change = MEMSLOT_CREATE;
	}
	if ((*change == MEMSLOT_CREATE || *change == MEMSLOT_MOVE) &&
	    overlaps_other_slot(ms, r->slot, r->guest_phys_addr, r->memory_size))
		return -EEXIST;
	return 0;
}

bool memslot_change_needs_bitmap(const struct memslots *ms, const struct memory_region *r,
				 enum memslot_change change)
{
	if (r->slot >= MEMSLOT_MAX || change == MEMSLOT_DELETE || change == MEMSLOT_UNCHANGED)
		return false;
	if (!(r->flags & MEM_LOG_DIRTY_PAGES))
		return false;
	const struct memslot *old = &ms->slot[r->slot];

	return change == MEMSLOT_CREATE || !old->used || !(old->flags & MEM_LOG_DIRTY_PAGES);
}

void memslots_apply(struct memslots *ms, const struct memory_region *r, enum memslot_change change,
		    uint64_t *bitmap, uint64_t **old_bitmap)
{
	struct memslot *s = &ms->slot[r->slot];
	bool log = r->flags & MEM_LOG_DIRTY_PAGES;

	*old_bitmap = NULL;
	switch (change) {
	case MEMSLOT_CREATE:
		*s = (struct memslot){
			.used = true,
			.id = r->slot,
			.flags = r->flags,
			.gpa = r->guest_phys_addr,
			.size = r->memory_size,
			.hpa = r->host_phys_addr,
			.dirty_bitmap = log ? bitmap : NULL,
		};
		ms->used_count++;
		ms->used_mask |= 1u << r->slot;
		break;
	case MEMSLOT_DELETE:
		*old_bitmap = s->dirty_bitmap;
		memset(s, 0, sizeof(*s));
		ms->used_count--;
		ms->used_mask &= ~(1u << r->slot);
		break;
	case MEMSLOT_MOVE:
	case MEMSLOT_FLAGS_ONLY:
		if (log && !s->dirty_bitmap) {
			s->dirty_bitmap = bitmap;
		} else if (!log) {
			*old_bitmap = s->dirty_bitmap;
			s->dirty_bitmap = NULL;
		}
		s->gpa = r->guest_phys_addr;
		s->flags = r->flags;
		break;
	case MEMSLOT_UNCHANGED:
		return;
	}
	/* after the slot stores: a vCPU that sees the new number sees them */
	__atomic_store_n(&ms->generation, ms->generation + 1, __ATOMIC_RELEASE);
}

const struct memslot *memslot_find(const struct memslots *ms, uint64_t gpa)
{
	for (uint32_t m = ms->used_mask; m; m &= m - 1) {
		const struct memslot *s = &ms->slot[__builtin_ctz(m)];

		/* Written as an offset test so a slot ending at 2^52 cannot wrap. */
		if (gpa >= s->gpa && gpa - s->gpa < s->size)
			return s;
	}
	return NULL;
}

uint64_t memslot_gpa_to_hpa(const struct memslots *ms, uint64_t gpa, uint64_t len)
{
	const struct memslot *s = memslot_find(ms, gpa);

	/* Compared as lengths, so a range that would wrap cannot slip through. */
	if (!s || len == 0 || len > s->size - (gpa - s->gpa))
		return 0;
	return s->hpa + (gpa - s->gpa);
}

void memslot_mark_dirty(struct memslots *ms, uint64_t gpa)
{
	struct memslot *s = (struct memslot *)memslot_find(ms, gpa);

	if (!s || !(s->flags & MEM_LOG_DIRTY_PAGES) || !s->dirty_bitmap)
		return;
	uint64_t page = (gpa - s->gpa) / PAGE_SIZE;

	__atomic_fetch_or(&s->dirty_bitmap[page / 64], 1ULL << (page % 64), __ATOMIC_RELAXED);
}

int memslot_get_dirty_log(struct memslots *ms, uint32_t slot, uint64_t *out, size_t out_words)
{
	if (slot >= MEMSLOT_MAX)
		return -EINVAL;
	struct memslot *s = &ms->slot[slot];

	if (!s->used)
		return -ENOENT;
	if (!(s->flags & MEM_LOG_DIRTY_PAGES) || !s->dirty_bitmap)
		return -EINVAL;
	size_t words = memslot_dirty_words(s->size);

	if (!out || out_words < words)
		return -EINVAL;
	for (size_t i = 0; i < words; i++)
		out[i] = __atomic_exchange_n(&s->dirty_bitmap[i], 0, __ATOMIC_RELAXED);
	return 0;
}
