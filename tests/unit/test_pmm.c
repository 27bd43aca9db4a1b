/* Unit tests for the physical frame allocator (mm/pmm.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "mm/pmm.h"
#include "test_log.h"

#define PG PAGE_SIZE

static struct pmm pm; /* 8 KiB: keep it off the stack */

static struct mem_range usable(uint64_t base, uint64_t len)
{
	return (struct mem_range){ .base = base, .len = len, .type = MEM_USABLE };
}

static struct mem_range typed(uint64_t base, uint64_t len, uint32_t type)
{
	return (struct mem_range){ .base = base, .len = len, .type = type };
}

/* The invariants every pmm call must preserve. */
static void check_invariants(const struct pmm *p)
{
	uint64_t sum = 0;

	assert_true(p->count <= PMM_MAX_EXTENTS);
	for (uint32_t i = 0; i < p->count; i++) {
		const struct pmm_extent *e = &p->ext[i];
		assert_true(e->pages > 0);
		assert_true(IS_ALIGNED(e->base, PG));
		assert_true(e->base >= PG); /* page 0 is never free */
		if (i > 0) {
			const struct pmm_extent *prev = &p->ext[i - 1];
			/* Sorted, not overlapping and not touching (would be merged). */
			assert_true(prev->base + prev->pages * PG < e->base);
		}
		sum += e->pages;
	}
	assert_int_equal(sum, p->free_pages);
}

static void assert_extent(const struct pmm *p, uint32_t i, uint64_t base, uint64_t end)
{
	assert_true(i < p->count);
	assert_int_equal(p->ext[i].base, base);
	assert_int_equal(p->ext[i].base + p->ext[i].pages * PG, end);
}

static int setup(void **state)
{
	(void)state;
	test_log_reset();
	memset(&pm, 0, sizeof(pm));
	return 0;
}

/* --- init -------------------------------------------------------------- */

static void test_init_rounds_unaligned_usable_range_inward(void **state)
{
	struct mem_range map[] = { usable(0x100123, 0x10000) };

	assert_int_equal(pmm_init(&pm, map, 1, NULL, 0), 0);
	assert_int_equal(pm.count, 1);
	/* 0x100123 rounds up to 0x101000; 0x110123 rounds down to 0x110000. */
	assert_extent(&pm, 0, 0x101000, 0x110000);
	assert_int_equal(pm.free_pages, 15);
	assert_int_equal(pm.total_pages, 15);
	check_invariants(&pm);
}

static void test_init_drops_usable_range_smaller_than_a_page_after_rounding(void **state)
{
	struct mem_range map[] = { usable(0x2001, 0x1ffe), usable(0x10000, 0x1000) };

	assert_int_equal(pmm_init(&pm, map, 2, NULL, 0), 0);
	assert_int_equal(pm.count, 1);
	assert_extent(&pm, 0, 0x10000, 0x11000);
}

static void test_init_never_includes_page_zero(void **state)
{
	struct mem_range map[] = { usable(0, 0x9fc00) };

	assert_int_equal(pmm_init(&pm, map, 1, NULL, 0), 0);
	assert_int_equal(pm.count, 1);
	assert_extent(&pm, 0, 0x1000, 0x9f000);
	check_invariants(&pm);
}

static void test_init_sorts_and_merges_overlapping_and_adjacent_usable_ranges(void **state)
{
	struct mem_range map[] = {
		usable(0x400000, 0x100000), /* [4M, 5M) */
		usable(0x100000, 0x100000), /* [1M, 2M) */
		usable(0x200000, 0x80000),  /* touches [1M, 2M) */
		usable(0x480000, 0x100000), /* overlaps [4M, 5M) */
		usable(0x1000, 0x1000),
		usable(0x100000, 0x10000),  /* inside [1M, 2M) */
	};

	assert_int_equal(pmm_init(&pm, map, ARRAY_SIZE(map), NULL, 0), 0);
	check_invariants(&pm);
	assert_int_equal(pm.count, 3);
	assert_extent(&pm, 0, 0x1000, 0x2000);
	assert_extent(&pm, 1, 0x100000, 0x280000);
	assert_extent(&pm, 2, 0x400000, 0x580000);
	assert_int_equal(pm.total_pages, 1 + 0x180 + 0x180);
}

static void test_init_merge_absorbs_several_extents_bridged_by_one_range(void **state)
{
	struct mem_range map[] = {
		usable(0x10000, 0x1000), usable(0x20000, 0x1000), usable(0x30000, 0x1000),
		usable(0x40000, 0x1000), usable(0x11000, 0x30000), /* bridges the first four */
		usable(0x50000, 0x1000),
	};

	assert_int_equal(pmm_init(&pm, map, ARRAY_SIZE(map), NULL, 0), 0);
	check_invariants(&pm);
	assert_int_equal(pm.count, 2);
	assert_extent(&pm, 0, 0x10000, 0x41000);
	assert_extent(&pm, 1, 0x50000, 0x51000);
}

static void test_init_fragmented_map_yields_one_extent_per_range(void **state)
{
	struct mem_range map[40];

	/* Reverse order, each range separated from the next by a gap. */
	for (int i = 0; i < 40; i++)
		map[i] = usable((uint64_t)(40 - i) * 0x10000, 0x3000);
	assert_int_equal(pmm_init(&pm, map, 40, NULL, 0), 0);
	check_invariants(&pm);
	assert_int_equal(pm.count, 40);
	for (uint32_t i = 0; i < 40; i++)
		assert_extent(&pm, i, (i + 1) * 0x10000ULL, (i + 1) * 0x10000ULL + 0x3000);
	assert_int_equal(pm.free_pages, 40 * 3);
}

static void test_init_reserved_hole_in_middle_splits_usable_range(void **state)
{
	struct mem_range map[] = { usable(0x100000, 0x100000) };
	struct mem_range res[] = { usable(0x140000, 0x20000) }; /* the image */

	assert_int_equal(pmm_init(&pm, map, 1, res, 1), 0);
	check_invariants(&pm);
	assert_int_equal(pm.count, 2);
	assert_extent(&pm, 0, 0x100000, 0x140000);
	assert_extent(&pm, 1, 0x160000, 0x200000);
	assert_int_equal(pm.free_pages, 0x100 - 0x20);
}

static void test_init_reserved_at_start_and_end_trims_usable_range(void **state)
{
	struct mem_range map[] = { usable(0x100000, 0x100000) };
	struct mem_range res[] = { usable(0xf0000, 0x20000), usable(0x1ff000, 0x5000) };

	assert_int_equal(pmm_init(&pm, map, 1, res, 2), 0);
	check_invariants(&pm);
	assert_int_equal(pm.count, 1);
	assert_extent(&pm, 0, 0x110000, 0x1ff000);
}

static void test_init_reserved_range_is_rounded_outward(void **state)
{
	struct mem_range map[] = { usable(0x100000, 0x10000) };
	/* One byte at 0x104fff and two bytes straddling 0x108000. */
	struct mem_range res[] = { usable(0x104fff, 1), usable(0x107fff, 2) };

	assert_int_equal(pmm_init(&pm, map, 1, res, 2), 0);
	check_invariants(&pm);
	assert_int_equal(pm.count, 3);
	assert_extent(&pm, 0, 0x100000, 0x104000);
	assert_extent(&pm, 1, 0x105000, 0x107000);
	assert_extent(&pm, 2, 0x109000, 0x110000);
}

static void test_init_reserved_range_covering_several_extents_removes_them(void **state)
{
	struct mem_range map[] = { usable(0x10000, 0x1000), usable(0x20000, 0x1000),
				   usable(0x30000, 0x1000), usable(0x40000, 0x2000) };
	struct mem_range res[] = { usable(0xf000, 0x32000) }; /* up to 0x41000 */

	assert_int_equal(pmm_init(&pm, map, ARRAY_SIZE(map), res, 1), 0);
	check_invariants(&pm);
	assert_int_equal(pm.count, 1);
	assert_extent(&pm, 0, 0x41000, 0x42000);
}

static void test_init_non_usable_map_entry_overlapping_usable_wins(void **state)
{
	/* A firmware map with overlapping entries: reserved and ACPI ranges
	 * listed inside a usable one, in either order. */
	struct mem_range map[] = {
		typed(0x7fe0000, 0x20000, MEM_ACPI_RECLAIM),
		usable(0x100000, 0x7f00000), /* [1M, 128M) */
		typed(0x2000000, 0x1800, MEM_RESERVED), /* 1.5 pages -> 2 */
		typed(0x3000000, 0x1000, MEM_BAD),
		typed(0x5000000, 0x1000, 77), /* unknown type: not usable */
	};

	assert_int_equal(pmm_init(&pm, map, ARRAY_SIZE(map), NULL, 0), 0);
	check_invariants(&pm);
	assert_int_equal(pm.count, 4);
	assert_extent(&pm, 0, 0x100000, 0x2000000);
	assert_extent(&pm, 1, 0x2002000, 0x3000000);
	assert_extent(&pm, 2, 0x3001000, 0x5000000);
	assert_extent(&pm, 3, 0x5001000, 0x7fe0000);
}

static void test_init_ignores_zero_length_entries_and_memory_above_52_bits(void **state)
{
	struct mem_range map[] = {
		usable(0x100000, 0),
		usable(1ULL << 52, 0x100000),
		usable((1ULL << 52) - 0x2000, UINT64_MAX), /* length overflows */
		typed(0x1000, 0, MEM_RESERVED),
		usable(0x1000, 0x1000),
	};

	assert_int_equal(pmm_init(&pm, map, ARRAY_SIZE(map), NULL, 0), 0);
	check_invariants(&pm);
	assert_int_equal(pm.count, 2);
	assert_extent(&pm, 0, 0x1000, 0x2000);
	assert_extent(&pm, 1, (1ULL << 52) - 0x2000, 1ULL << 52);
}

static void test_init_empty_map_gives_empty_allocator(void **state)
{
	assert_int_equal(pmm_init(&pm, NULL, 0, NULL, 0), 0);
	assert_int_equal(pm.count, 0);
	assert_int_equal(pm.free_pages, 0);
	assert_int_equal(pmm_alloc(&pm, 1, PG, 0), 0);
}

static void test_init_too_fragmented_map_returns_enospc(void **state)
{
	static struct mem_range res[PMM_MAX_EXTENTS];
	struct mem_range map[] = { usable(0x1000, 0x10000000) };

	/* 512 one-page holes split one range into 513 extents. */
	for (int i = 0; i < PMM_MAX_EXTENTS; i++)
		res[i] = usable(0x100000 + (uint64_t)i * 0x2000, 0x1000);
	assert_int_equal(pmm_init(&pm, map, 1, res, PMM_MAX_EXTENTS), -ENOSPC);
	assert_true(test_log_contains("pmm: memory map too fragmented (more than 512 free extents)"));
	/* Nothing half-built is left to allocate from. */
	assert_int_equal(pm.count, 0);
	assert_int_equal(pm.free_pages, 0);
	assert_int_equal(pmm_alloc(&pm, 1, PG, 0), 0);

	/* 511 holes still fit exactly. */
	assert_int_equal(pmm_init(&pm, map, 1, res, PMM_MAX_EXTENTS - 1), 0);
	assert_int_equal(pm.count, PMM_MAX_EXTENTS);
	check_invariants(&pm);
}

/* --- alloc ------------------------------------------------------------- */

/* A small PC-like map: low memory, then RAM from 1 MiB with the image at
 * [1M, 2M), then RAM above 4 GiB. */
static void init_pc_map(void)
{
	struct mem_range map[] = {
		usable(0, 0x9fc00),
		typed(0x9fc00, 0x400, MEM_RESERVED),
		typed(0xf0000, 0x10000, MEM_RESERVED),
		usable(0x100000, 0x7ff00000), /* [1M, 2G) */
		usable(0x100000000ULL, 0x40000000), /* [4G, 5G) */
	};
	struct mem_range res[] = { usable(0x100000, 0x100000) };

	assert_int_equal(pmm_init(&pm, map, ARRAY_SIZE(map), res, 1), 0);
	check_invariants(&pm);
	assert_int_equal(pm.count, 3);
	assert_extent(&pm, 0, 0x1000, 0x9f000);
	assert_extent(&pm, 1, 0x200000, 0x80000000);
	assert_extent(&pm, 2, 0x100000000ULL, 0x140000000ULL);
}

static void test_alloc_returns_lowest_fitting_address(void **state)
{
	init_pc_map();
	assert_int_equal(pmm_alloc(&pm, 1, PG, 0), 0x1000);
	assert_int_equal(pmm_alloc(&pm, 2, PG, 0), 0x2000);
	/* 0x200 pages do not fit in low memory: first fit moves up. */
	assert_int_equal(pmm_alloc(&pm, 0x200, PG, 0), 0x200000);
	assert_int_equal(pmm_alloc(&pm, 1, PG, 0), 0x4000);
	assert_extent(&pm, 0, 0x5000, 0x9f000);
	assert_extent(&pm, 1, 0x400000, 0x80000000);
	check_invariants(&pm);
}

static void test_alloc_2mib_aligned_block_leaves_head_and_tail_free(void **state)
{
	struct mem_range map[] = { usable(0x101000, 0x600000) }; /* [0x101000, 0x701000) */

	assert_int_equal(pmm_init(&pm, map, 1, NULL, 0), 0);
	uint64_t a = pmm_alloc(&pm, 512, 2 * MiB, 0);
	assert_int_equal(a, 0x200000);
	assert_true(IS_ALIGNED(a, 2 * MiB));
	check_invariants(&pm);
	assert_int_equal(pm.count, 2);
	assert_extent(&pm, 0, 0x101000, 0x200000);
	assert_extent(&pm, 1, 0x400000, 0x701000);
	/* The next 2 MiB page also fits; a third does not. */
	assert_int_equal(pmm_alloc(&pm, 512, 2 * MiB, 0), 0x400000);
	assert_int_equal(pmm_alloc(&pm, 512, 2 * MiB, 0), 0);
	assert_int_equal(pm.free_pages, 0x600 - 1024);
	check_invariants(&pm);
}

static void test_alloc_small_alignment_values_mean_one_page(void **state)
{
	init_pc_map();
	assert_int_equal(pmm_alloc(&pm, 1, 0, 0), 0x1000);
	assert_int_equal(pmm_alloc(&pm, 1, 16, 0), 0x2000);
	assert_int_equal(pmm_alloc(&pm, 1, 8192, 0), 0x4000);
	check_invariants(&pm);
}

static void test_alloc_rejects_non_power_of_two_alignment(void **state)
{
	init_pc_map();
	uint64_t before = pm.free_pages;
	assert_int_equal(pmm_alloc(&pm, 1, 0x3000, 0), 0);
	assert_true(test_log_contains("pmm: alignment 0x3000 is not a power of two"));
	assert_int_equal(pm.free_pages, before);
}

static void test_alloc_below_1mib_limit_for_ap_trampoline(void **state)
{
	init_pc_map();
	/* Use up low memory except the last 2 pages. */
	assert_int_equal(pmm_alloc(&pm, 0x9c, PG, 1 * MiB), 0x1000);
	uint64_t a = pmm_alloc(&pm, 1, PG, 1 * MiB);
	assert_int_equal(a, 0x9d000);
	assert_true(a + PG <= 1 * MiB);
	assert_int_equal(pmm_alloc(&pm, 1, PG, 1 * MiB), 0x9e000);
	/* Low memory is gone: no fallback above the limit. */
	assert_int_equal(pmm_alloc(&pm, 1, PG, 1 * MiB), 0);
	check_invariants(&pm);
}

static void test_alloc_end_must_not_exceed_limit(void **state)
{
	init_pc_map();
	/* 0x9e pages would end exactly at 0x9f000: allowed with that limit. */
	assert_int_equal(pmm_alloc(&pm, 0x9e, PG, 0x9f000), 0x1000);
	check_invariants(&pm);
	init_pc_map();
	assert_int_equal(pmm_alloc(&pm, 0x9e, PG, 0x9efff), 0);
	/* An unaligned limit only counts whole pages below it. */
	assert_int_equal(pmm_alloc(&pm, 2, PG, 0x2fff), 0);
	assert_int_equal(pmm_alloc(&pm, 1, PG, 0x2fff), 0x1000);
}

static void test_alloc_below_4gib_limit_skips_high_memory(void **state)
{
	init_pc_map();
	/* Take everything below 4 GiB apart from low memory. */
	assert_int_equal(pmm_alloc(&pm, (0x80000000 - 0x200000) / PG, PG, 4 * GiB), 0x200000);
	assert_int_equal(pmm_alloc(&pm, 0x200, PG, 4 * GiB), 0);
	/* Without the limit the same request is served from above 4 GiB. */
	assert_int_equal(pmm_alloc(&pm, 0x200, PG, 0), 0x100000000ULL);
	check_invariants(&pm);
}

static void test_alloc_limit_ending_inside_an_extent_uses_its_lower_part(void **state)
{
	init_pc_map();
	/* Of [2M, 2G) only the part below 3 MiB qualifies. */
	assert_int_equal(pmm_alloc(&pm, 0x9e, PG, 0x9f000), 0x1000);
	assert_int_equal(pmm_alloc(&pm, 0x100, PG, 3 * MiB), 0x200000);
	assert_int_equal(pmm_alloc(&pm, 1, PG, 3 * MiB), 0);
	check_invariants(&pm);
}

static void test_alloc_out_of_memory_returns_zero_and_leaves_state_intact(void **state)
{
	static struct pmm before;

	init_pc_map();
	memcpy(&before, &pm, sizeof(pm));
	assert_int_equal(pmm_alloc(&pm, pm.free_pages + 1, PG, 0), 0);
	/* Larger than the largest extent, though less than all free pages. */
	assert_int_equal(pmm_alloc(&pm, 0x7fe01, PG, 0), 0);
	assert_int_equal(pmm_alloc(&pm, UINT64_MAX, PG, 0), 0);
	assert_int_equal(pmm_alloc(&pm, 1, 1ULL << 63, 0), 0);
	assert_int_equal(pmm_alloc(&pm, 1, 8 * GiB, 0), 0);
	assert_memory_equal(&before, &pm, sizeof(pm));
	check_invariants(&pm);
}

static void test_alloc_zero_pages_returns_zero(void **state)
{
	init_pc_map();
	uint64_t before = pm.free_pages;
	assert_int_equal(pmm_alloc(&pm, 0, PG, 0), 0);
	assert_int_equal(pm.free_pages, before);
}

static void test_alloc_whole_extent_removes_it_from_table(void **state)
{
	init_pc_map();
	assert_int_equal(pmm_alloc(&pm, 0x9e, PG, 0), 0x1000);
	assert_int_equal(pm.count, 2);
	assert_extent(&pm, 0, 0x200000, 0x80000000);
	check_invariants(&pm);
}

static void test_alloc_pages_uses_global_allocator(void **state)
{
	struct mem_range map[] = { usable(0x10000, 0x3000) };

	assert_int_equal(pmm_init(&g_pmm, map, 1, NULL, 0), 0);
	assert_int_equal(alloc_pages(2), 0x10000);
	assert_int_equal(alloc_pages(2), 0);
	assert_int_equal(alloc_pages(1), 0x12000);
	assert_int_equal(g_pmm.free_pages, 0);
}

/* A full table of 512 three-page extents at odd page numbers: any
 * allocation aligned to 8 KiB would split one of them in three. */
static void init_full_table(bool last_even)
{
	static struct mem_range map[PMM_MAX_EXTENTS];

	for (int i = 0; i < PMM_MAX_EXTENTS; i++)
		map[i] = usable((1 + 4 * (uint64_t)i) * PG, 3 * PG);
	if (last_even)
		map[PMM_MAX_EXTENTS - 1].base += PG;
	assert_int_equal(pmm_init(&pm, map, PMM_MAX_EXTENTS, NULL, 0), 0);
	assert_int_equal(pm.count, PMM_MAX_EXTENTS);
}

static void test_alloc_needing_split_with_full_table_returns_zero_cleanly(void **state)
{
	static struct pmm before;

	init_full_table(false);
	memcpy(&before, &pm, sizeof(pm));
	assert_int_equal(pmm_alloc(&pm, 1, 2 * PG, 0), 0);
	assert_memory_equal(&before, &pm, sizeof(pm));
	/* An unaligned request takes an extent's head without a split. */
	assert_int_equal(pmm_alloc(&pm, 1, PG, 0), 1 * PG);
	assert_int_equal(pm.free_pages, 3 * PMM_MAX_EXTENTS - 1);
	check_invariants(&pm);
}

static void test_alloc_with_full_table_skips_to_extent_needing_no_split(void **state)
{
	init_full_table(true);
	uint64_t last = (2 + 4 * (uint64_t)(PMM_MAX_EXTENTS - 1)) * PG;
	assert_int_equal(pmm_alloc(&pm, 1, 2 * PG, 0), last);
	assert_int_equal(pm.count, PMM_MAX_EXTENTS);
	check_invariants(&pm);
}

/* --- free -------------------------------------------------------------- */

static void test_free_after_allocations_restores_single_extent(void **state)
{
	struct mem_range map[] = { usable(0x100000, 0x100000) };
	uint64_t a[8];

	assert_int_equal(pmm_init(&pm, map, 1, NULL, 0), 0);
	for (int i = 0; i < 8; i++)
		a[i] = pmm_alloc(&pm, 4, PG, 0);
	/* Free in an order that exercises joins on the left, the right and
	 * both sides. */
	int order[] = { 1, 3, 0, 2, 6, 4, 7, 5 };
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pmm_free(&pm, a[order[i]], 4), 0);
		check_invariants(&pm);
	}
	assert_int_equal(pm.count, 1);
	assert_extent(&pm, 0, 0x100000, 0x200000);
	assert_int_equal(pm.free_pages, pm.total_pages);
}

static void test_free_joins_both_neighbours_into_one_extent(void **state)
{
	struct mem_range map[] = { usable(0x10000, 0x3000) };

	assert_int_equal(pmm_init(&pm, map, 1, NULL, 0), 0);
	assert_int_equal(pmm_alloc(&pm, 3, PG, 0), 0x10000);
	assert_int_equal(pmm_free(&pm, 0x10000, 1), 0);
	assert_int_equal(pmm_free(&pm, 0x12000, 1), 0);
	assert_int_equal(pm.count, 2);
	assert_int_equal(pmm_free(&pm, 0x11000, 1), 0);
	assert_int_equal(pm.count, 1);
	assert_extent(&pm, 0, 0x10000, 0x13000);
	check_invariants(&pm);
}

static void test_free_non_adjacent_block_inserts_sorted_extent(void **state)
{
	init_pc_map();
	uint64_t a = pmm_alloc(&pm, 0x100, PG, 0);
	assert_int_equal(a, 0x200000);
	assert_int_equal(pmm_free(&pm, 0x280000, 0x10), 0); /* middle of it */
	check_invariants(&pm);
	assert_int_equal(pm.count, 4);
	assert_extent(&pm, 1, 0x280000, 0x290000);
	assert_extent(&pm, 2, 0x300000, 0x80000000);
}

static void test_free_double_free_is_rejected_with_message(void **state)
{
	init_pc_map();
	uint64_t a = pmm_alloc(&pm, 4, PG, 0);
	assert_int_equal(pmm_free(&pm, a, 4), 0);

	static struct pmm before;
	memcpy(&before, &pm, sizeof(pm));
	test_log_reset();
	assert_int_equal(pmm_free(&pm, a, 4), -EINVAL);
	assert_true(test_log_contains("pmm: double free of 0x1000 (4 pages)"));
	assert_memory_equal(&before, &pm, sizeof(pm));
}

static void test_free_partially_overlapping_free_memory_is_rejected(void **state)
{
	init_pc_map();
	assert_int_equal(pmm_alloc(&pm, 4, PG, 0), 0x1000);
	uint64_t before = pm.free_pages;
	/* The last page of the block overlaps the free extent at 0x5000. */
	assert_int_equal(pmm_free(&pm, 0x2000, 4), -EINVAL);
	assert_true(test_log_contains("pmm: double free of 0x2000 (4 pages)"));
	/* A block that straddles an extent's end. */
	assert_int_equal(pmm_free(&pm, 0x9e000, 2), -EINVAL);
	/* A block covering a whole free extent. */
	assert_int_equal(pmm_free(&pm, 0x1000, 0x200), -EINVAL);
	assert_int_equal(pm.free_pages, before);
	check_invariants(&pm);
}

static void test_free_rejects_unaligned_empty_and_page_zero_ranges(void **state)
{
	init_pc_map();
	assert_int_equal(pmm_alloc(&pm, 2, PG, 0), 0x1000);
	uint64_t before = pm.free_pages;
	assert_int_equal(pmm_free(&pm, 0x1800, 1), -EINVAL);
	assert_true(test_log_contains("pmm: bad free of 0x1800 (1 pages)"));
	assert_int_equal(pmm_free(&pm, 0x1000, 0), -EINVAL);
	assert_int_equal(pmm_free(&pm, 0, 1), -EINVAL);
	assert_int_equal(pmm_free(&pm, 0xfffffffffffff000ULL, 1), -EINVAL);
	assert_int_equal(pmm_free(&pm, 0x1000, UINT64_MAX), -EINVAL);
	assert_int_equal(pm.free_pages, before);
	check_invariants(&pm);
}

static void test_free_into_full_table_fails_unless_it_joins_a_neighbour(void **state)
{
	init_full_table(false);
	assert_int_equal(pmm_alloc(&pm, 1, PG, 0), PG);
	/* Memory that touches no extent needs a new slot: there is none. */
	assert_int_equal(pmm_free(&pm, 0x10000000, 1), -ENOSPC);
	assert_true(test_log_contains("pmm: free extent table full, losing 0x10000000 (1 pages)"));
	assert_int_equal(pm.count, PMM_MAX_EXTENTS);
	/* Giving back the page just taken joins its extent again. */
	assert_int_equal(pmm_free(&pm, PG, 1), 0);
	/* Page 4 bridges extents [1,4) and [5,8). */
	assert_int_equal(pmm_free(&pm, 4 * PG, 1), 0);
	assert_int_equal(pm.count, PMM_MAX_EXTENTS - 1);
	assert_extent(&pm, 0, PG, 8 * PG);
	check_invariants(&pm);
}

static void test_free_pages_accounting_follows_alloc_and_free(void **state)
{
	init_pc_map();
	uint64_t total = 0x9e + (0x80000000 - 0x200000) / PG + 0x40000;
	assert_int_equal(pm.total_pages, total);
	assert_int_equal(pm.free_pages, total);
	uint64_t a = pmm_alloc(&pm, 10, PG, 0);
	uint64_t b = pmm_alloc(&pm, 512, 2 * MiB, 0);
	assert_int_equal(pm.free_pages, total - 522);
	assert_int_equal(pmm_free(&pm, a, 10), 0);
	assert_int_equal(pm.free_pages, total - 512);
	assert_int_equal(pmm_free(&pm, a, 10), -EINVAL);
	assert_int_equal(pm.free_pages, total - 512);
	assert_int_equal(pmm_free(&pm, b, 512), 0);
	assert_int_equal(pm.free_pages, total);
	assert_int_equal(pm.total_pages, total);
}

/* --- randomized -------------------------------------------------------- */

struct block {
	uint64_t base, pages;
};

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic across hosts for a fixed seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn * PG && b < a + an * PG;
}

/* The first-fit answer computed the slow way, for comparison. */
static uint64_t reference_fit(const struct pmm *p, uint64_t pages, uint64_t align, uint64_t limit)
{
	for (uint32_t i = 0; i < p->count; i++) {
		uint64_t start = ALIGN_UP(p->ext[i].base, align);
		uint64_t end = MIN(p->ext[i].base + p->ext[i].pages * PG, limit);
		if (start < end && start + pages * PG <= end)
			return start;
	}
	return 0;
}

static void test_random_alloc_free_keeps_invariants(void **state)
{
	static struct pmm initial, before;
	static struct block live[300];
	size_t nlive = 0;
	struct mem_range map[] = {
		usable(0, 0xa0000),
		usable(0x100000, 0x3f00000),          /* [1M, 64M) */
		typed(0x1234000, 0x5000, MEM_RESERVED),
		usable(0x100000000ULL, 0x2000000),   /* [4G, 4G+32M) */
		usable(0x100002000ULL, 0x1000),       /* overlaps the one above */
	};
	const uint64_t aligns[] = { PG, 2 * PG, 16 * PG, 2 * MiB };
	const uint64_t limits[] = { 0, 1 * MiB, 16 * MiB, 4 * GiB };

	rng_state = 0x9e3779b97f4a7c15ULL;
	assert_int_equal(pmm_init(&pm, map, ARRAY_SIZE(map), NULL, 0), 0);
	memcpy(&initial, &pm, sizeof(pm));
	int allocs = 0, failures = 0, frees = 0;

	for (int step = 0; step < 20000; step++) {
		bool do_alloc = nlive == 0 || (nlive < ARRAY_SIZE(live) && rng() % 100 < 55);
		if (do_alloc) {
			uint64_t r = rng();
			uint64_t pages = r % 8 == 0 ? 512 : 1 + (r >> 8) % 64;
			uint64_t align = aligns[(r >> 16) % ARRAY_SIZE(aligns)];
			uint64_t limit = limits[(r >> 24) % ARRAY_SIZE(limits)];
			uint64_t expect = reference_fit(&pm, pages, align, limit ? limit : UINT64_MAX);

			memcpy(&before, &pm, sizeof(pm));
			uint64_t a = pmm_alloc(&pm, pages, align, limit);
			assert_int_equal(a, expect);
			if (!a) {
				assert_memory_equal(&before, &pm, sizeof(pm));
				failures++;
				continue;
			}
			allocs++;
			assert_true(IS_ALIGNED(a, align));
			if (limit)
				assert_true(a + pages * PG <= limit);
			/* Inside memory that was free at init ... */
			bool inside = false;
			for (uint32_t i = 0; i < initial.count; i++)
				inside |= a >= initial.ext[i].base &&
					  a + pages * PG <= initial.ext[i].base + initial.ext[i].pages * PG;
			assert_true(inside);
			/* ... and neither in another live block nor still free. */
			for (size_t i = 0; i < nlive; i++)
				assert_false(overlaps(a, pages, live[i].base, live[i].pages));
			for (uint32_t i = 0; i < pm.count; i++)
				assert_false(overlaps(a, pages, pm.ext[i].base, pm.ext[i].pages));
			live[nlive++] = (struct block){ a, pages };
		} else {
			size_t i = rng() % nlive;
			assert_int_equal(pmm_free(&pm, live[i].base, live[i].pages), 0);
			live[i] = live[--nlive];
			frees++;
		}
		check_invariants(&pm);
		uint64_t held = 0;
		for (size_t i = 0; i < nlive; i++)
			held += live[i].pages;
		assert_int_equal(pm.free_pages + held, pm.total_pages);
	}
	/* The run must have exercised all paths. */
	assert_true(allocs > 5000);
	assert_true(frees > 5000);
	assert_true(failures > 100);

	while (nlive) {
		assert_int_equal(pmm_free(&pm, live[nlive - 1].base, live[nlive - 1].pages), 0);
		nlive--;
	}
	check_invariants(&pm);
	assert_int_equal(pm.count, initial.count);
	assert_memory_equal(pm.ext, initial.ext, initial.count * sizeof(pm.ext[0]));
	assert_int_equal(pm.free_pages, initial.free_pages);
	assert_int_equal(test_log_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init_rounds_unaligned_usable_range_inward, setup),
		cmocka_unit_test_setup(test_init_drops_usable_range_smaller_than_a_page_after_rounding, setup),
		cmocka_unit_test_setup(test_init_never_includes_page_zero, setup),
		cmocka_unit_test_setup(test_init_sorts_and_merges_overlapping_and_adjacent_usable_ranges, setup),
		cmocka_unit_test_setup(test_init_merge_absorbs_several_extents_bridged_by_one_range, setup),
		cmocka_unit_test_setup(test_init_fragmented_map_yields_one_extent_per_range, setup),
		cmocka_unit_test_setup(test_init_reserved_hole_in_middle_splits_usable_range, setup),
		cmocka_unit_test_setup(test_init_reserved_at_start_and_end_trims_usable_range, setup),
		cmocka_unit_test_setup(test_init_reserved_range_is_rounded_outward, setup),
		cmocka_unit_test_setup(test_init_reserved_range_covering_several_extents_removes_them, setup),
		cmocka_unit_test_setup(test_init_non_usable_map_entry_overlapping_usable_wins, setup),
		cmocka_unit_test_setup(test_init_ignores_zero_length_entries_and_memory_above_52_bits, setup),
		cmocka_unit_test_setup(test_init_empty_map_gives_empty_allocator, setup),
		cmocka_unit_test_setup(test_init_too_fragmented_map_returns_enospc, setup),
		cmocka_unit_test_setup(test_alloc_returns_lowest_fitting_address, setup),
		cmocka_unit_test_setup(test_alloc_2mib_aligned_block_leaves_head_and_tail_free, setup),
		cmocka_unit_test_setup(test_alloc_small_alignment_values_mean_one_page, setup),
		cmocka_unit_test_setup(test_alloc_rejects_non_power_of_two_alignment, setup),
		cmocka_unit_test_setup(test_alloc_below_1mib_limit_for_ap_trampoline, setup),
		cmocka_unit_test_setup(test_alloc_end_must_not_exceed_limit, setup),
		cmocka_unit_test_setup(test_alloc_below_4gib_limit_skips_high_memory, setup),
		cmocka_unit_test_setup(test_alloc_limit_ending_inside_an_extent_uses_its_lower_part, setup),
		cmocka_unit_test_setup(test_alloc_out_of_memory_returns_zero_and_leaves_state_intact, setup),
		cmocka_unit_test_setup(test_alloc_zero_pages_returns_zero, setup),
		cmocka_unit_test_setup(test_alloc_whole_extent_removes_it_from_table, setup),
		cmocka_unit_test_setup(test_alloc_pages_uses_global_allocator, setup),
		cmocka_unit_test_setup(test_alloc_needing_split_with_full_table_returns_zero_cleanly, setup),
		cmocka_unit_test_setup(test_alloc_with_full_table_skips_to_extent_needing_no_split, setup),
		cmocka_unit_test_setup(test_free_after_allocations_restores_single_extent, setup),
		cmocka_unit_test_setup(test_free_joins_both_neighbours_into_one_extent, setup),
		cmocka_unit_test_setup(test_free_non_adjacent_block_inserts_sorted_extent, setup),
		cmocka_unit_test_setup(test_free_double_free_is_rejected_with_message, setup),
		cmocka_unit_test_setup(test_free_partially_overlapping_free_memory_is_rejected, setup),
		cmocka_unit_test_setup(test_free_rejects_unaligned_empty_and_page_zero_ranges, setup),
		cmocka_unit_test_setup(test_free_into_full_table_fails_unless_it_joins_a_neighbour, setup),
		cmocka_unit_test_setup(test_free_pages_accounting_follows_alloc_and_free, setup),
		cmocka_unit_test_setup(test_random_alloc_free_keeps_invariants, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
