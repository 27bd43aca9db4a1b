/* A VM's guest-physical memory map, with KVM's KVM_SET_USER_MEMORY_REGION
 * rules: slots identified by id, page-aligned, non-overlapping; size 0
 * deletes a slot; an existing slot may move (new guest address) or change
 * LOG_DIRTY, but not change size, backing or READONLY.
 *
 * Pure logic: no allocation, no locking, no logging. The VM owns the lock
 * that serialises changes against lookups, allocates the dirty bitmaps and
 * prints the one error line for a rejected request. */
#ifndef HV_MEMSLOT_H
#define HV_MEMSLOT_H

#include "hv/compiler.h"

#define MEMSLOT_MAX 32

/* Slot flags (KVM's values) */
#define MEM_LOG_DIRTY_PAGES (1u << 0)
#define MEM_READONLY (1u << 1)
#define MEM_VALID_FLAGS (MEM_LOG_DIRTY_PAGES | MEM_READONLY)

/* Guest and host physical ranges end at or below 2^52: the widest physical
 * address x86-64 defines (SDM 3A 4.1.4, MAXPHYADDR <= 52). */
#define MEMSLOT_ADDR_LIMIT (1ULL << 52)

/* What a caller asks for (KVM's struct kvm_userspace_memory_region, with a
 * host physical backing instead of a user address). */
struct memory_region {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;   /* 0: delete the slot */
	uint64_t host_phys_addr;
};

struct memslot {
	bool used;
	uint32_t id;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	uint64_t hpa;
	uint64_t *dirty_bitmap; /* one bit per page while LOG_DIRTY is set */
};

struct memslots {
	struct memslot slot[MEMSLOT_MAX]; /* indexed by slot id */
	uint32_t used_count;
	uint32_t used_mask;  /* bit i: slot[i].used; lookups visit only these */
	/* Bumped by every change that memslots_apply makes: whoever keeps a
	 * guest-physical to host translation (the MMIO instruction cache)
	 * keeps it only while the generation it was made in is current. */
	uint32_t generation;
};

enum memslot_change {
	MEMSLOT_CREATE,
	MEMSLOT_DELETE,
	MEMSLOT_MOVE,        /* same slot, new guest address (LOG_DIRTY may toggle too) */
	MEMSLOT_FLAGS_ONLY,  /* LOG_DIRTY toggled */
	MEMSLOT_UNCHANGED,
};

/* Words of dirty bitmap a slot of `size` bytes needs: one bit per page. */
static inline size_t memslot_dirty_words(uint64_t size)
{
	return (size_t)((size / PAGE_SIZE + 63) / 64);
}

/* Validates `r` against the current slots and says what it would change:
 * -EINVAL (bad id, flags, alignment, overflow, range above 2^52 on either
 * side, size/backing/READONLY change of an existing slot, deleting a
 * missing slot), -EEXIST (overlap with another slot). Nothing is modified.
 * Alignment and range rules apply to deletions too, as in KVM. */
int memslots_check(const struct memslots *ms, const struct memory_region *r,
		   enum memslot_change *change);

/* True when applying `change` turns dirty logging on for the slot, i.e.
 * memslots_apply needs a fresh bitmap of memslot_dirty_words() words. */
bool memslot_change_needs_bitmap(const struct memslots *ms, const struct memory_region *r,
				 enum memslot_change change);

/* Applies a change memslots_check accepted. `bitmap` is the dirty bitmap
 * the caller allocated (zeroed, memslot_dirty_words(size) words) when
 * memslot_change_needs_bitmap() says so, else NULL. A slot that keeps
 * LOG_DIRTY (a move) keeps its bitmap and its bits. *old_bitmap receives
 * the bitmap the slot no longer uses (delete, LOG_DIRTY turned off), else
 * NULL, for the caller to free. */
void memslots_apply(struct memslots *ms, const struct memory_region *r, enum memslot_change change,
		    uint64_t *bitmap, uint64_t **old_bitmap);

/* The slot containing gpa, or NULL. Visits only used slots: an MMIO
 * access (no slot at all) is on the exit path. */
const struct memslot *memslot_find(const struct memslots *ms, uint64_t gpa);

/* Host physical address for [gpa, gpa+len) if it lies inside one slot, else
 * 0 (also for len 0 and for a range that wraps). */
uint64_t memslot_gpa_to_hpa(const struct memslots *ms, uint64_t gpa, uint64_t len);

/* Marks the page holding gpa dirty if its slot logs dirty pages. The bit is
 * set atomically: several vCPUs may mark pages of one slot at once. */
void memslot_mark_dirty(struct memslots *ms, uint64_t gpa);

/* KVM_GET_DIRTY_LOG: copies and clears the slot's bitmap into `out`
 * (memslot_dirty_words(size) words; writes exactly that many). Each word is
 * taken atomically, so a page marked meanwhile shows in this call or the
 * next, never in neither. -EINVAL for a bad slot id, a slot that does not
 * log dirty pages, or `out` too small; -ENOENT if the slot does not exist. */
int memslot_get_dirty_log(struct memslots *ms, uint32_t slot, uint64_t *out, size_t out_words);

#endif
