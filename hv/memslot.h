/* A VM's guest-physical memory map, with KVM's KVM_SET_USER_MEMORY_REGION
 * rules: slots identified by id, page-aligned, non-overlapping; size 0
 * deletes a slot; an existing slot may move (new guest address) or change
 * LOG_DIRTY, but not change size, backing or READONLY. */
#ifndef HV_MEMSLOT_H
#define HV_MEMSLOT_H

#include "hv/compiler.h"

#define MEMSLOT_MAX 32

/* Slot flags (KVM's values) */
#define MEM_LOG_DIRTY_PAGES (1u << 0)
#define MEM_READONLY (1u << 1)
#define MEM_VALID_FLAGS (MEM_LOG_DIRTY_PAGES | MEM_READONLY)

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
};

enum memslot_change {
	MEMSLOT_CREATE,
	MEMSLOT_DELETE,
	MEMSLOT_MOVE,        /* same slot, new guest address */
	MEMSLOT_FLAGS_ONLY,  /* LOG_DIRTY toggled */
	MEMSLOT_UNCHANGED,
};

/* Validates `r` against the current slots and says what it would change:
 * -EINVAL (bad id, flags, alignment, overflow, size/backing/READONLY change
 * of an existing slot, deleting a missing slot), -EEXIST (overlap with
 * another slot). Nothing is modified. */
int memslots_check(const struct memslots *ms, const struct memory_region *r,
		   enum memslot_change *change);

/* Applies a change memslots_check accepted. `bitmap` is the dirty bitmap
 * the caller allocated (zeroed, (size/4096+63)/64 words) when the new slot
 * has LOG_DIRTY and the old did not, else NULL; the replaced bitmap is
 * returned through *old_bitmap for the caller to free. */
void memslots_apply(struct memslots *ms, const struct memory_region *r, enum memslot_change change,
		    uint64_t *bitmap, uint64_t **old_bitmap);

/* The slot containing gpa, or NULL. */
const struct memslot *memslot_find(const struct memslots *ms, uint64_t gpa);

/* Host physical address for [gpa, gpa+len) if it lies inside one slot, else 0. */
uint64_t memslot_gpa_to_hpa(const struct memslots *ms, uint64_t gpa, uint64_t len);

/* Marks the page holding gpa dirty if its slot logs dirty pages. */
void memslot_mark_dirty(struct memslots *ms, uint64_t gpa);

/* KVM_GET_DIRTY_LOG: copies and clears the slot's bitmap into `out`
 * ((size/4096+63)/64 words). -ENOENT if the slot does not exist, -EINVAL if
 * it does not log dirty pages. */
int memslot_get_dirty_log(struct memslots *ms, uint32_t slot, uint64_t *out, size_t out_words);

#endif
