/* Unit tests for the memory slots (hv/memslot.c): KVM_SET_USER_MEMORY_REGION
 * validation, the changes it reports, lookups and the dirty log. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/memslot.h"
#include "test_log.h"

#define PG PAGE_SIZE
#define LOG MEM_LOG_DIRTY_PAGES
#define RO MEM_READONLY

static struct memslots ms;

static struct memory_region region(uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
				   uint64_t hpa)
{
	return (struct memory_region){ .slot = slot,
				       .flags = flags,
				       .guest_phys_addr = gpa,
				       .memory_size = size,
				       .host_phys_addr = hpa };
}

/* What vm_set_memory_region will do: check, allocate a bitmap when asked,
 * apply, free what the slot dropped. Returns the check's result. */
static int set_region_change(uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
			     uint64_t hpa, enum memslot_change *change)
{
	struct memory_region r = region(slot, flags, gpa, size, hpa);
	uint64_t *bitmap = NULL, *old = NULL;
	int rc = memslots_check(&ms, &r, change);

	if (rc)
		return rc;
	if (memslot_change_needs_bitmap(&ms, &r, *change)) {
		bitmap = calloc(memslot_dirty_words(size), sizeof(uint64_t));
		assert_non_null(bitmap);
	}
	memslots_apply(&ms, &r, *change, bitmap, &old);
	free(old);
	return 0;
}

static int set_region(uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hpa)
{
	enum memslot_change change;

	return set_region_change(slot, flags, gpa, size, hpa, &change);
}

static void assert_slot(uint32_t id, uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hpa)
{
	const struct memslot *s = &ms.slot[id];

	assert_true(s->used);
	assert_int_equal(s->id, id);
	assert_int_equal(s->flags, flags);
	assert_int_equal(s->gpa, gpa);
	assert_int_equal(s->size, size);
	assert_int_equal(s->hpa, hpa);
	assert_int_equal(s->dirty_bitmap != NULL, (flags & LOG) != 0);
}

static int setup(void **state)
{
	(void)state;
	test_log_reset();
	memset(&ms, 0, sizeof(ms));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < MEMSLOT_MAX; i++)
		free(ms.slot[i].dirty_bitmap);
	memset(&ms, 0, sizeof(ms));
	return 0;
}

/* --- validation of the request itself ------------------------------------ */

struct reject_case {
	const char *what;
	struct memory_region r;
};

static void test_check_rejects_malformed_requests_with_einval(void **state)
{
	static const struct reject_case cases[] = {
		{ "slot id == MEMSLOT_MAX", { MEMSLOT_MAX, 0, 0, PG, 0 } },
		{ "slot id huge", { 0xffffffffu, 0, 0, PG, 0 } },
		{ "unknown flag bit 2", { 0, 1u << 2, 0, PG, 0 } },
		{ "unknown flag bit 31", { 0, 1u << 31, 0, PG, 0 } },
		{ "gpa not page aligned", { 0, 0, 0x1800, PG, 0 } },
		{ "gpa off by one byte", { 0, 0, 0x1001, PG, 0 } },
		{ "size not page aligned", { 0, 0, 0, PG + 1, 0 } },
		{ "size smaller than a page", { 0, 0, 0, 0x800, 0 } },
		{ "hpa not page aligned", { 0, 0, 0, PG, 0x10010 } },
		{ "gpa + size wraps past 2^64", { 0, 0, 0xfffffffffffff000ULL, 2 * PG, 0 } },
		{ "size near 2^64 wraps", { 0, 0, PG, 0xfffffffffffff000ULL, 0 } },
		{ "gpa + size one page above 2^52", { 0, 0, (1ULL << 52) - PG, 2 * PG, 0 } },
		{ "gpa at 2^52", { 0, 0, 1ULL << 52, PG, 0 } },
		{ "hpa + size above 2^52", { 0, 0, 0, 2 * PG, (1ULL << 52) - PG } },
		{ "hpa + size wraps past 2^64", { 0, 0, 0, 2 * PG, 0xfffffffffffff000ULL } },
		{ "delete of a slot that does not exist", { 3, 0, 0, 0, 0 } },
		{ "delete with unaligned gpa", { 3, 0, 0x123, 0, 0 } },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum memslot_change change = MEMSLOT_UNCHANGED;
		int rc = memslots_check(&ms, &cases[i].r, &change);

		if (rc != -EINVAL)
			fail_msg("%s: expected -EINVAL, got %d", cases[i].what, rc);
	}
	assert_int_equal(ms.used_count, 0);
	/* Rejections are the caller's to report: the memslot code prints nothing. */
	assert_int_equal(test_log_count(), 0);
}

static void test_check_accepts_every_valid_flag_combination(void **state)
{
	static const uint32_t flags[] = { 0, LOG, RO, LOG | RO };

	for (uint32_t i = 0; i < ARRAY_SIZE(flags); i++)
		assert_int_equal(set_region(i, flags[i], i * MiB, MiB, 0x40000000ULL + i * MiB), 0);
	for (uint32_t i = 0; i < ARRAY_SIZE(flags); i++)
		assert_slot(i, flags[i], i * MiB, MiB, 0x40000000ULL + i * MiB);
	assert_int_equal(ms.used_count, 4);
}

static void test_slot_may_end_exactly_at_2_pow_52_on_both_sides(void **state)
{
	enum memslot_change change;
	uint64_t top = 1ULL << 52;

	assert_int_equal(set_region_change(MEMSLOT_MAX - 1, 0, top - 2 * PG, 2 * PG, top - 2 * PG,
					   &change),
			 0);
	assert_int_equal(change, MEMSLOT_CREATE);
	assert_int_equal(memslot_gpa_to_hpa(&ms, top - PG, PG), top - PG);
	assert_null(memslot_find(&ms, top));
}

static void test_check_reports_create_and_modifies_nothing(void **state)
{
	struct memory_region r = region(5, LOG, 0x100000, 0x200000, 0x800000);
	enum memslot_change change = MEMSLOT_UNCHANGED;
	struct memslots before;

	memcpy(&before, &ms, sizeof(ms));
	assert_int_equal(memslots_check(&ms, &r, &change), 0);
	assert_int_equal(change, MEMSLOT_CREATE);
	assert_memory_equal(&before, &ms, sizeof(ms));
	assert_true(memslot_change_needs_bitmap(&ms, &r, change));
}

static void test_create_stores_the_slot_and_counts_it(void **state)
{
	assert_int_equal(set_region(7, 0, 0x100000, 0x300000, 0x40000000), 0);
	assert_slot(7, 0, 0x100000, 0x300000, 0x40000000);
	assert_int_equal(ms.used_count, 1);
	assert_false(ms.slot[6].used);
}

/* --- changes to an existing slot ----------------------------------------- */

static void test_existing_slot_cannot_change_size_or_backing(void **state)
{
	static const struct reject_case cases[] = {
		{ "grow", { 1, 0, 0x100000, 0x200000, 0x40000000 } },
		{ "shrink", { 1, 0, 0x100000, 0x80000, 0x40000000 } },
		{ "new backing", { 1, 0, 0x100000, 0x100000, 0x50000000 } },
		{ "new backing with new gpa", { 1, 0, 0x900000, 0x100000, 0x50000000 } },
		{ "new size with new gpa", { 1, 0, 0x900000, 0x200000, 0x40000000 } },
	};

	assert_int_equal(set_region(1, 0, 0x100000, 0x100000, 0x40000000), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum memslot_change change;
		int rc = memslots_check(&ms, &cases[i].r, &change);

		if (rc != -EINVAL)
			fail_msg("%s: expected -EINVAL, got %d", cases[i].what, rc);
	}
	assert_slot(1, 0, 0x100000, 0x100000, 0x40000000);
}

static void test_toggling_readonly_on_an_existing_slot_is_einval(void **state)
{
	struct memory_region set_ro = region(0, RO, 0, MiB, 0x40000000);
	struct memory_region clear_ro = region(1, LOG, 2 * MiB, MiB, 0x50000000);
	struct memory_region move_and_set_ro = region(0, RO, 8 * MiB, MiB, 0x40000000);
	enum memslot_change change;

	assert_int_equal(set_region(0, 0, 0, MiB, 0x40000000), 0);
	assert_int_equal(set_region(1, RO | LOG, 2 * MiB, MiB, 0x50000000), 0);
	assert_int_equal(memslots_check(&ms, &set_ro, &change), -EINVAL);
	assert_int_equal(memslots_check(&ms, &clear_ro, &change), -EINVAL);
	assert_int_equal(memslots_check(&ms, &move_and_set_ro, &change), -EINVAL);
	assert_slot(0, 0, 0, MiB, 0x40000000);
	assert_slot(1, RO | LOG, 2 * MiB, MiB, 0x50000000);
}

static void test_new_gpa_for_existing_slot_is_a_move(void **state)
{
	enum memslot_change change;

	assert_int_equal(set_region(2, RO, 0x100000, 0x100000, 0x40000000), 0);
	assert_int_equal(set_region_change(2, RO, 0x700000, 0x100000, 0x40000000, &change), 0);
	assert_int_equal(change, MEMSLOT_MOVE);
	assert_slot(2, RO, 0x700000, 0x100000, 0x40000000);
	assert_int_equal(ms.used_count, 1);
	assert_null(memslot_find(&ms, 0x100000));
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x7ff000, PG), 0x400ff000);
}

static void test_move_overlapping_its_own_old_range_is_allowed(void **state)
{
	enum memslot_change change;

	assert_int_equal(set_region(0, 0, 0x100000, 0x200000, 0x40000000), 0);
	assert_int_equal(set_region_change(0, 0, 0x101000, 0x200000, 0x40000000, &change), 0);
	assert_int_equal(change, MEMSLOT_MOVE);
	assert_slot(0, 0, 0x101000, 0x200000, 0x40000000);
}

static void test_move_onto_another_slot_is_eexist(void **state)
{
	struct memory_region r = region(1, 0, 0x1ff000, 0x100000, 0x50000000);
	enum memslot_change change;

	assert_int_equal(set_region(0, 0, 0x100000, 0x100000, 0x40000000), 0);
	assert_int_equal(set_region(1, 0, 0x800000, 0x100000, 0x50000000), 0);
	assert_int_equal(memslots_check(&ms, &r, &change), -EEXIST);
	assert_slot(1, 0, 0x800000, 0x100000, 0x50000000);
}

static void test_move_that_also_turns_on_log_dirty_gets_a_bitmap(void **state)
{
	enum memslot_change change;

	assert_int_equal(set_region(0, 0, 0, MiB, 0x40000000), 0);
	assert_int_equal(set_region_change(0, LOG, 4 * MiB, MiB, 0x40000000, &change), 0);
	assert_int_equal(change, MEMSLOT_MOVE);
	assert_slot(0, LOG, 4 * MiB, MiB, 0x40000000);
}

static void test_toggling_log_dirty_is_flags_only(void **state)
{
	enum memslot_change change;

	assert_int_equal(set_region(3, 0, 0, MiB, 0x40000000), 0);
	assert_int_equal(set_region_change(3, LOG, 0, MiB, 0x40000000, &change), 0);
	assert_int_equal(change, MEMSLOT_FLAGS_ONLY);
	assert_slot(3, LOG, 0, MiB, 0x40000000);
	assert_int_equal(set_region_change(3, 0, 0, MiB, 0x40000000, &change), 0);
	assert_int_equal(change, MEMSLOT_FLAGS_ONLY);
	assert_slot(3, 0, 0, MiB, 0x40000000);
}

static void test_identical_request_is_unchanged_and_needs_no_bitmap(void **state)
{
	struct memory_region r = region(4, LOG, 0x200000, MiB, 0x40000000);
	enum memslot_change change;

	assert_int_equal(set_region(4, LOG, 0x200000, MiB, 0x40000000), 0);
	uint64_t *bitmap = ms.slot[4].dirty_bitmap;

	assert_int_equal(memslots_check(&ms, &r, &change), 0);
	assert_int_equal(change, MEMSLOT_UNCHANGED);
	assert_false(memslot_change_needs_bitmap(&ms, &r, change));
	assert_int_equal(set_region(4, LOG, 0x200000, MiB, 0x40000000), 0);
	assert_ptr_equal(ms.slot[4].dirty_bitmap, bitmap);
}

/* --- deletion ------------------------------------------------------------ */

static void test_delete_removes_slot_and_returns_its_bitmap(void **state)
{
	struct memory_region del = region(6, 0, 0, 0, 0);
	enum memslot_change change;
	uint64_t *old = NULL;

	assert_int_equal(set_region(6, LOG, 0x100000, MiB, 0x40000000), 0);
	uint64_t *bitmap = ms.slot[6].dirty_bitmap;

	assert_int_equal(memslots_check(&ms, &del, &change), 0);
	assert_int_equal(change, MEMSLOT_DELETE);
	memslots_apply(&ms, &del, change, NULL, &old);
	assert_ptr_equal(old, bitmap);
	free(old);
	assert_false(ms.slot[6].used);
	assert_null(ms.slot[6].dirty_bitmap);
	assert_int_equal(ms.used_count, 0);
	assert_null(memslot_find(&ms, 0x100000));
}

static void test_delete_ignores_size_flags_and_backing_fields_except_alignment(void **state)
{
	enum memslot_change change;

	assert_int_equal(set_region(6, RO, 0x100000, MiB, 0x40000000), 0);
	/* KVM deletes by id: the other fields need only be well-formed. */
	assert_int_equal(set_region_change(6, 0, 0x900000, 0, 0x12345000, &change), 0);
	assert_int_equal(change, MEMSLOT_DELETE);
	assert_false(ms.slot[6].used);
}

static void test_delete_twice_is_einval_the_second_time(void **state)
{
	assert_int_equal(set_region(9, 0, 0, MiB, 0x40000000), 0);
	assert_int_equal(set_region(9, 0, 0, 0, 0), 0);
	assert_int_equal(set_region(9, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(ms.used_count, 0);
}

static void test_delete_then_recreate_with_new_size_backing_and_readonly(void **state)
{
	enum memslot_change change;

	assert_int_equal(set_region(2, 0, 0x100000, MiB, 0x40000000), 0);
	assert_int_equal(set_region(2, 0, 0, 0, 0), 0);
	/* What an existing slot may not change, a new one may choose freely. */
	assert_int_equal(set_region_change(2, RO, 0x100000, 2 * MiB, 0x50000000, &change), 0);
	assert_int_equal(change, MEMSLOT_CREATE);
	assert_slot(2, RO, 0x100000, 2 * MiB, 0x50000000);
	assert_int_equal(ms.used_count, 1);
}

static void test_deleted_slot_range_can_be_taken_by_another_slot(void **state)
{
	assert_int_equal(set_region(0, 0, 0x100000, MiB, 0x40000000), 0);
	assert_int_equal(set_region(1, 0, 0x100000, MiB, 0x50000000), -EEXIST);
	assert_int_equal(set_region(0, 0, 0, 0, 0), 0);
	assert_int_equal(set_region(1, 0, 0x100000, MiB, 0x50000000), 0);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x100000, PG), 0x50000000);
}

/* --- overlap ------------------------------------------------------------- */

static void test_adjacent_slots_are_allowed_on_both_sides(void **state)
{
	assert_int_equal(set_region(0, 0, 0x200000, 0x100000, 0x40000000), 0);
	assert_int_equal(set_region(1, 0, 0x100000, 0x100000, 0x50000000), 0); /* ends at 0x200000 */
	assert_int_equal(set_region(2, 0, 0x300000, 0x100000, 0x60000000), 0); /* starts at end */
	assert_int_equal(ms.used_count, 3);
}

static void test_overlap_with_another_slot_is_eexist_at_either_edge(void **state)
{
	/* Slot 0 is [0x200000, 0x300000). */
	static const struct reject_case cases[] = {
		{ "last page over its first page", { 1, 0, 0x100000, 0x101000, 0x50000000 } },
		{ "first page on its last page", { 1, 0, 0x2ff000, 0x100000, 0x50000000 } },
		{ "exact same range", { 1, 0, 0x200000, 0x100000, 0x50000000 } },
		{ "one page inside", { 1, 0, 0x280000, PG, 0x50000000 } },
		{ "containing it", { 1, 0, 0x100000, 0x300000, 0x50000000 } },
	};

	assert_int_equal(set_region(0, 0, 0x200000, 0x100000, 0x40000000), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum memslot_change change;
		int rc = memslots_check(&ms, &cases[i].r, &change);

		if (rc != -EEXIST)
			fail_msg("%s: expected -EEXIST, got %d", cases[i].what, rc);
	}
	assert_int_equal(ms.used_count, 1);
	assert_false(ms.slot[1].used);
}

static void test_overlap_is_checked_against_every_used_slot(void **state)
{
	for (uint32_t i = 0; i < MEMSLOT_MAX - 1; i++)
		assert_int_equal(set_region(i, 0, i * 2 * MiB, MiB, 0x40000000), 0);
	/* Only the last slot in the array is hit. */
	assert_int_equal(set_region(MEMSLOT_MAX - 1, 0, (MEMSLOT_MAX - 2) * 2 * MiB + MiB - PG,
				    2 * PG, 0x40000000),
			 -EEXIST);
	assert_int_equal(set_region(MEMSLOT_MAX - 1, 0, (MEMSLOT_MAX - 2) * 2 * MiB + MiB, MiB,
				    0x40000000),
			 0);
	assert_int_equal(ms.used_count, MEMSLOT_MAX);
}

static void test_backing_may_be_shared_between_slots(void **state)
{
	/* Overlap rules are about guest addresses only (KVM allows aliasing). */
	assert_int_equal(set_region(0, 0, 0, MiB, 0x40000000), 0);
	assert_int_equal(set_region(1, RO, 4 * MiB, MiB, 0x40000000), 0);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 4 * MiB + 0x10, 8), 0x40000010);
}

/* --- lookups ------------------------------------------------------------- */

static void test_find_hits_first_and_last_byte_and_misses_just_outside(void **state)
{
	assert_int_equal(set_region(3, 0, 0x100000, 0x100000, 0x40000000), 0);
	assert_null(memslot_find(&ms, 0xfffff));
	assert_ptr_equal(memslot_find(&ms, 0x100000), &ms.slot[3]);
	assert_ptr_equal(memslot_find(&ms, 0x1fffff), &ms.slot[3]);
	assert_null(memslot_find(&ms, 0x200000));
	assert_null(memslot_find(&ms, 0));
}

static void test_gpa_to_hpa_at_slot_edges(void **state)
{
	assert_int_equal(set_region(3, 0, 0x100000, 0x100000, 0x40000000), 0);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x100000, 1), 0x40000000);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x100000, 0x100000), 0x40000000);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x1ffffc, 4), 0x400ffffc);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x1ffffc, 5), 0); /* one byte past the end */
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0xffffc, 8), 0);  /* starts before */
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x100000, 0x100001), 0);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x200000, 1), 0);
}

static void test_range_spanning_two_adjacent_slots_has_no_hpa(void **state)
{
	/* Contiguous in both guest and host space, still two slots. */
	assert_int_equal(set_region(0, 0, 0x100000, 0x100000, 0x40000000), 0);
	assert_int_equal(set_region(1, 0, 0x200000, 0x100000, 0x40100000), 0);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x1ffff8, 8), 0x400ffff8);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x200000, 8), 0x40100000);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x1ffffc, 8), 0);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x100000, 0x200000), 0);
	assert_ptr_equal(memslot_find(&ms, 0x1fffff), &ms.slot[0]);
	assert_ptr_equal(memslot_find(&ms, 0x200000), &ms.slot[1]);
}

static void test_gpa_to_hpa_rejects_empty_and_wrapping_ranges(void **state)
{
	assert_int_equal(set_region(0, 0, 0, MiB, 0x40000000), 0);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x1000, 0), 0);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x1000, UINT64_MAX), 0);
	assert_int_equal(memslot_gpa_to_hpa(&ms, UINT64_MAX, 2), 0);
}

static void test_lookups_in_empty_map_find_nothing(void **state)
{
	assert_null(memslot_find(&ms, 0));
	assert_null(memslot_find(&ms, 0x100000));
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0, 1), 0);
}

/* --- dirty log ----------------------------------------------------------- */

static void test_dirty_pages_show_in_dirty_log_by_page_index(void **state)
{
	uint64_t out[3] = { 0 };

	/* 130 pages: three bitmap words, the last one partly used. */
	assert_int_equal(set_region(0, LOG, 0x100000, 130 * PG, 0x40000000), 0);
	memslot_mark_dirty(&ms, 0x100000);           /* page 0 */
	memslot_mark_dirty(&ms, 0x100000 + 63 * PG + 0xfff); /* last byte of page 63 */
	memslot_mark_dirty(&ms, 0x100000 + 64 * PG); /* page 64 */
	memslot_mark_dirty(&ms, 0x100000 + 129 * PG); /* page 129, the last */
	memslot_mark_dirty(&ms, 0x100000 + 130 * PG); /* outside: ignored */
	memslot_mark_dirty(&ms, 0xff000);             /* outside: ignored */
	assert_int_equal(memslot_get_dirty_log(&ms, 0, out, 3), 0);
	assert_int_equal(out[0], 1ULL | (1ULL << 63));
	assert_int_equal(out[1], 1ULL);
	assert_int_equal(out[2], 1ULL << 1);
}

static void test_get_dirty_log_clears_the_bitmap(void **state)
{
	uint64_t out[1];

	assert_int_equal(set_region(1, LOG, 0, 16 * PG, 0x40000000), 0);
	memslot_mark_dirty(&ms, 5 * PG);
	memslot_mark_dirty(&ms, 5 * PG + 8); /* same page twice */
	assert_int_equal(memslot_get_dirty_log(&ms, 1, out, 1), 0);
	assert_int_equal(out[0], 1ULL << 5);
	assert_int_equal(memslot_get_dirty_log(&ms, 1, out, 1), 0);
	assert_int_equal(out[0], 0);
	memslot_mark_dirty(&ms, 7 * PG);
	assert_int_equal(memslot_get_dirty_log(&ms, 1, out, 1), 0);
	assert_int_equal(out[0], 1ULL << 7);
}

static void test_marking_pages_of_a_slot_without_log_dirty_does_nothing(void **state)
{
	uint64_t out[1] = { 0xdead };

	assert_int_equal(set_region(0, 0, 0, 16 * PG, 0x40000000), 0);
	assert_int_equal(set_region(1, LOG, 16 * PG, 16 * PG, 0x50000000), 0);
	memslot_mark_dirty(&ms, 3 * PG);
	assert_null(ms.slot[0].dirty_bitmap);
	assert_int_equal(memslot_get_dirty_log(&ms, 0, out, 1), -EINVAL);
	assert_int_equal(memslot_get_dirty_log(&ms, 1, out, 1), 0);
	assert_int_equal(out[0], 0); /* the neighbouring logging slot saw nothing */
}

static void test_dirty_log_turned_off_then_on_starts_clean(void **state)
{
	uint64_t out[1];
	struct memory_region off = region(2, 0, 0, 8 * PG, 0x40000000);
	enum memslot_change change;
	uint64_t *old = NULL;

	assert_int_equal(set_region(2, LOG, 0, 8 * PG, 0x40000000), 0);
	memslot_mark_dirty(&ms, 2 * PG);
	uint64_t *bitmap = ms.slot[2].dirty_bitmap;

	assert_int_equal(memslots_check(&ms, &off, &change), 0);
	assert_int_equal(change, MEMSLOT_FLAGS_ONLY);
	assert_false(memslot_change_needs_bitmap(&ms, &off, change));
	memslots_apply(&ms, &off, change, NULL, &old);
	assert_ptr_equal(old, bitmap); /* handed back for the caller to free */
	free(old);
	assert_null(ms.slot[2].dirty_bitmap);
	assert_int_equal(memslot_get_dirty_log(&ms, 2, out, 1), -EINVAL);
	memslot_mark_dirty(&ms, 2 * PG); /* not logging: no effect, no crash */

	assert_int_equal(set_region(2, LOG, 0, 8 * PG, 0x40000000), 0);
	assert_int_equal(memslot_get_dirty_log(&ms, 2, out, 1), 0);
	assert_int_equal(out[0], 0);
}

static void test_move_keeps_dirty_bits_relative_to_the_slot(void **state)
{
	uint64_t out[1];

	assert_int_equal(set_region(0, LOG, 0, 8 * PG, 0x40000000), 0);
	memslot_mark_dirty(&ms, 3 * PG);
	assert_int_equal(set_region(0, LOG, 0x100000, 8 * PG, 0x40000000), 0);
	memslot_mark_dirty(&ms, 0x100000 + 5 * PG);
	memslot_mark_dirty(&ms, 4 * PG); /* old location: no longer the slot */
	assert_int_equal(memslot_get_dirty_log(&ms, 0, out, 1), 0);
	assert_int_equal(out[0], (1ULL << 3) | (1ULL << 5));
}

static void test_get_dirty_log_rejects_bad_id_missing_slot_and_short_buffer(void **state)
{
	uint64_t out[2] = { 0x1111, 0x2222 };

	assert_int_equal(set_region(0, LOG, 0, 65 * PG, 0x40000000), 0); /* needs 2 words */
	memslot_mark_dirty(&ms, 0);
	assert_int_equal(memslot_get_dirty_log(&ms, MEMSLOT_MAX, out, 2), -EINVAL);
	assert_int_equal(memslot_get_dirty_log(&ms, 1, out, 2), -ENOENT);
	assert_int_equal(memslot_get_dirty_log(&ms, 0, out, 1), -EINVAL);
	assert_int_equal(memslot_get_dirty_log(&ms, 0, NULL, 2), -EINVAL);
	assert_int_equal(out[0], 0x1111); /* failed calls write nothing... */
	assert_int_equal(memslot_get_dirty_log(&ms, 0, out, 2), 0);
	assert_int_equal(out[0], 1); /* ...and clear nothing */
	assert_int_equal(out[1], 0);
}

static void test_dirty_words_rounds_pages_up_to_64_bit_words(void **state)
{
	assert_int_equal(memslot_dirty_words(0), 0);
	assert_int_equal(memslot_dirty_words(PG), 1);
	assert_int_equal(memslot_dirty_words(64 * PG), 1);
	assert_int_equal(memslot_dirty_words(65 * PG), 2);
	assert_int_equal(memslot_dirty_words(GiB), GiB / PG / 64);
}

/* --- generation and the used-slot mask ---------------------------------- */

static void test_every_applied_change_moves_the_generation_on(void **state)
{
	uint32_t g = ms.generation;

	assert_int_equal(set_region(0, 0, 0x100000, MiB, 0x40000000), 0);
	assert_int_equal(ms.generation, g + 1);
	assert_int_equal(set_region(0, 0, 0x100000, MiB, 0x40000000), 0); /* unchanged */
	assert_int_equal(ms.generation, g + 1);
	assert_int_equal(set_region(0, LOG, 0x100000, MiB, 0x40000000), 0); /* flags only */
	assert_int_equal(ms.generation, g + 2);
	assert_int_equal(set_region(0, LOG, 0x400000, MiB, 0x40000000), 0); /* move */
	assert_int_equal(ms.generation, g + 3);
	assert_int_equal(set_region(0, 0, 0x400000, 0, 0), 0); /* delete */
	assert_int_equal(ms.generation, g + 4);
	assert_int_not_equal(set_region(5, 0, 0x123, PG, 0x40000000), 0); /* rejected */
	assert_int_equal(ms.generation, g + 4);
}

static void test_lookups_follow_slots_at_any_id_as_they_come_and_go(void **state)
{
	assert_int_equal(set_region(31, 0, 0x1000000, MiB, 0x40000000), 0);
	assert_int_equal(set_region(0, 0, 0, MiB, 0x41000000), 0);
	assert_int_equal(set_region(17, RO, 0x2000000, MiB, 0x42000000), 0);
	assert_int_equal(ms.used_mask, (1u << 31) | (1u << 17) | 1u);
	assert_ptr_equal(memslot_find(&ms, 0x1000000 + MiB - 1), &ms.slot[31]);
	assert_ptr_equal(memslot_find(&ms, 0x10), &ms.slot[0]);
	assert_ptr_equal(memslot_find(&ms, 0x2000000), &ms.slot[17]);
	assert_int_equal(set_region(0, 0, 0, 0, 0), 0);
	assert_int_equal(ms.used_mask, (1u << 31) | (1u << 17));
	assert_null(memslot_find(&ms, 0x10));
	assert_ptr_equal(memslot_find(&ms, 0x1000000), &ms.slot[31]);
	assert_int_equal(memslot_gpa_to_hpa(&ms, 0x2000008, 8), 0x42000008);
	assert_null(memslot_find(&ms, 0x3000000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_check_rejects_malformed_requests_with_einval),
		T(test_check_accepts_every_valid_flag_combination),
		T(test_slot_may_end_exactly_at_2_pow_52_on_both_sides),
		T(test_check_reports_create_and_modifies_nothing),
		T(test_create_stores_the_slot_and_counts_it),
		T(test_existing_slot_cannot_change_size_or_backing),
		T(test_toggling_readonly_on_an_existing_slot_is_einval),
		T(test_new_gpa_for_existing_slot_is_a_move),
		T(test_move_overlapping_its_own_old_range_is_allowed),
		T(test_move_onto_another_slot_is_eexist),
		T(test_move_that_also_turns_on_log_dirty_gets_a_bitmap),
		T(test_toggling_log_dirty_is_flags_only),
		T(test_identical_request_is_unchanged_and_needs_no_bitmap),
		T(test_delete_removes_slot_and_returns_its_bitmap),
		T(test_delete_ignores_size_flags_and_backing_fields_except_alignment),
		T(test_delete_twice_is_einval_the_second_time),
		T(test_delete_then_recreate_with_new_size_backing_and_readonly),
		T(test_deleted_slot_range_can_be_taken_by_another_slot),
		T(test_adjacent_slots_are_allowed_on_both_sides),
		T(test_overlap_with_another_slot_is_eexist_at_either_edge),
		T(test_overlap_is_checked_against_every_used_slot),
		T(test_backing_may_be_shared_between_slots),
		T(test_find_hits_first_and_last_byte_and_misses_just_outside),
		T(test_gpa_to_hpa_at_slot_edges),
		T(test_range_spanning_two_adjacent_slots_has_no_hpa),
		T(test_gpa_to_hpa_rejects_empty_and_wrapping_ranges),
		T(test_lookups_in_empty_map_find_nothing),
		T(test_dirty_pages_show_in_dirty_log_by_page_index),
		T(test_get_dirty_log_clears_the_bitmap),
		T(test_marking_pages_of_a_slot_without_log_dirty_does_nothing),
		T(test_dirty_log_turned_off_then_on_starts_clean),
		T(test_move_keeps_dirty_bits_relative_to_the_slot),
		T(test_get_dirty_log_rejects_bad_id_missing_slot_and_short_buffer),
		T(test_dirty_words_rounds_pages_up_to_64_bit_words),
		T(test_every_applied_change_moves_the_generation_on),
		T(test_lookups_follow_slots_at_any_id_as_they_come_and_go),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
