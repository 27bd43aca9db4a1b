/* Unit tests for the EPT builder (vmx/ept.c). The tables come from a fake
 * allocator that hands out pages at made-up physical addresses, so the
 * builder must go through to_virt; the tests read the tables with their own
 * walker, written from the SDM (3C 29.3.2) rather than from ept_lookup. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "vmx/ept.h"
#include "test_log.h"

#define PG PAGE_SIZE
#define R EPT_READ
#define W EPT_WRITE
#define X EPT_EXEC
#define RX (EPT_READ | EPT_EXEC)
#define RWX EPT_RWX

/* SDM 3C tables 29-1..29-6, spelled out again for the test's own walker. */
#define E_PROT 0x7ULL
#define E_MEMTYPE(x) (((x) >> 3) & 7)
#define E_IPAT (1ULL << 6)
#define E_LARGE (1ULL << 7)
#define E_ADDR 0x000ffffffffff000ULL
#define MT_WB 6

/* --- fake physical memory for tables --------------------------------------- */

/* Far from any real pointer and using high address bits, spaced two pages
 * apart so an off-by-a-page address lands on no table at all. */
#define FAKE_PHYS_BASE 0x000fa00000000000ULL
#define FAKE_PHYS_STRIDE 0x2000ULL

struct fake_table {
	void *ptr;
	uint64_t phys;
	bool live;
	unsigned seen; /* structure-check generation */
};

static struct fake_table *fake;
static size_t fake_n, fake_cap;
static size_t fake_live;
static long fake_budget = -1; /* allocations left, -1: unlimited */
static int fake_ctx;          /* its address is the ctx the ops must pass */
static unsigned check_gen;

static void *fake_alloc(void *ctx, uint64_t *phys)
{
	if (ctx != &fake_ctx)
		fail_msg("alloc_table: wrong ctx");
	if (fake_budget == 0)
		return NULL;
	if (fake_budget > 0)
		fake_budget--;
	if (fake_n == fake_cap) {
		fake_cap = fake_cap ? fake_cap * 2 : 256;
		fake = realloc(fake, fake_cap * sizeof(*fake));
		assert_non_null(fake);
	}
	void *p = aligned_alloc(PG, PG);

	assert_non_null(p);
	memset(p, 0xa5, PG); /* garbage: the builder must clear what it gets */
	fake[fake_n] = (struct fake_table){ .ptr = p,
					    .phys = FAKE_PHYS_BASE + fake_n * FAKE_PHYS_STRIDE,
					    .live = true };
	*phys = fake[fake_n].phys;
	fake_n++;
	fake_live++;
	return p;
}

static struct fake_table *fake_lookup(uint64_t phys)
{
	if (phys < FAKE_PHYS_BASE || (phys - FAKE_PHYS_BASE) % FAKE_PHYS_STRIDE)
		fail_msg("no table at phys 0x%llx", (unsigned long long)phys);
	uint64_t i = (phys - FAKE_PHYS_BASE) / FAKE_PHYS_STRIDE;

	if (i >= fake_n)
		fail_msg("no table at phys 0x%llx", (unsigned long long)phys);
	if (!fake[i].live)
		fail_msg("table at phys 0x%llx used after free", (unsigned long long)phys);
	return &fake[i];
}

static void fake_free(void *ctx, void *table, uint64_t phys)
{
	if (ctx != &fake_ctx)
		fail_msg("free_table: wrong ctx");
	struct fake_table *t = fake_lookup(phys);

	assert_ptr_equal(t->ptr, table);
	free(t->ptr);
	t->ptr = NULL;
	t->live = false;
	fake_live--;
}

static void *fake_virt(void *ctx, uint64_t phys)
{
	if (ctx != &fake_ctx)
		fail_msg("to_virt: wrong ctx");
	return fake_lookup(phys)->ptr;
}

static const struct ept_ops fake_ops = {
	.alloc_table = fake_alloc,
	.free_table = fake_free,
	.to_virt = fake_virt,
	.ctx = &fake_ctx,
};

static struct ept ept;

static int setup(void **state)
{
	(void)state;
	test_log_reset();
	fake_budget = -1;
	memset(&ept, 0, sizeof(ept));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < fake_n; i++)
		free(fake[i].ptr);
	free(fake);
	fake = NULL;
	fake_n = fake_cap = fake_live = 0;
	return 0;
}

static void init(bool large_2m, bool large_1g)
{
	assert_int_equal(ept_init(&ept, &fake_ops, large_2m, large_1g, false), 0);
}

/* --- the test's own reading of the tables ------------------------------------ */

struct xlate {
	bool present;
	uint64_t hpa;
	uint32_t prot;
	uint64_t page_size;
};

static struct xlate xlate(uint64_t gpa)
{
	const uint64_t *t = fake_lookup(ept.root_phys)->ptr;

	for (int level = 4; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t x = t[(gpa >> shift) & 511];

		if (!(x & E_PROT))
			return (struct xlate){ .present = false };
		if (level == 1 || (level <= 3 && (x & E_LARGE))) {
			uint64_t size = 1ULL << shift;

			assert_int_equal(E_MEMTYPE(x), MT_WB);
			return (struct xlate){ .present = true,
					       .hpa = (x & E_ADDR) + (gpa & (size - 1)),
					       .prot = (uint32_t)(x & E_PROT),
					       .page_size = size };
		}
		t = fake_lookup(x & E_ADDR)->ptr;
	}
	fail_msg("walk fell off level 1");
	return (struct xlate){ 0 };
}

/* Every entry of every reachable table is well formed; no table is reached
 * twice or linked while empty; returns how many tables were reached. */
static size_t check_table(uint64_t phys, int level)
{
	struct fake_table *ft = fake_lookup(phys);
	const uint64_t *t = ft->ptr;
	size_t count = 1, present = 0;

	if (ft->seen == check_gen)
		fail_msg("table 0x%llx linked twice", (unsigned long long)phys);
	ft->seen = check_gen;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t x = t[i];

		if (!(x & E_PROT)) {
			if (x != 0)
				fail_msg("level %d entry %u: junk 0x%llx in a non-present entry", level, i,
					 (unsigned long long)x);
			continue;
		}
		present++;
		assert_int_equal(x >> 52, 0);
		assert_int_equal(x & 0xf00, 0); /* A/D and ignored bits untouched */
		bool leaf = level == 1 || (level <= 3 && (x & E_LARGE));

		if (!leaf) {
			/* Non-leaf: RWX, reserved bits 7:3 clear (tables 29-1, 29-3, 29-5). */
			assert_int_equal(x & 0xff, 7);
			count += check_table(x & E_ADDR, level - 1);
			continue;
		}
		uint64_t size = 1ULL << (12 + 9 * (level - 1));

		if (level == 3)
			assert_true(ept.large_1g);
		if (level == 2)
			assert_true(ept.large_2m);
		if (level == 1)
			assert_int_equal(x & E_LARGE, 0);
		assert_int_equal(E_MEMTYPE(x), MT_WB);
		assert_int_equal(x & E_IPAT, 0);
		assert_int_equal(x & E_ADDR & (size - 1), 0); /* reserved low address bits */
		/* SDM 29.3.3.1 misconfigurations. */
		assert_false((x & W) && !(x & R));
		if ((x & E_PROT) == X)
			assert_true(ept.exec_only);
	}
	/* Tables no longer needed are freed, not left linked and empty. */
	if (level < 4 && present == 0)
		fail_msg("empty level %d table 0x%llx left linked", level, (unsigned long long)phys);
	return count;
}

/* The whole structure is well formed and every allocated table is in it. */
static void check_structure(void)
{
	check_gen++;
	size_t reached = check_table(ept.root_phys, 4);

	assert_int_equal(reached, ept.tables);
	assert_int_equal(fake_live, ept.tables);
}

static void assert_maps(uint64_t gpa, uint64_t size, uint64_t hpa, uint32_t prot,
			uint64_t page_size)
{
	for (uint64_t off = 0; off < size; off += PG) {
		struct xlate t = xlate(gpa + off);

		if (!t.present || t.hpa != hpa + off || t.prot != prot ||
		    (page_size && t.page_size != page_size))
			fail_msg("gpa 0x%llx: present %d hpa 0x%llx prot %u page 0x%llx; "
				 "want hpa 0x%llx prot %u page 0x%llx",
				 (unsigned long long)(gpa + off), t.present, (unsigned long long)t.hpa,
				 t.prot, (unsigned long long)t.page_size,
				 (unsigned long long)(hpa + off), prot, (unsigned long long)page_size);
	}
}

static void assert_unmapped(uint64_t gpa, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += PG) {
		if (xlate(gpa + off).present)
			fail_msg("gpa 0x%llx is mapped", (unsigned long long)(gpa + off));
	}
}

/* --- init, destroy, EPTP ------------------------------------------------------ */

static void test_init_allocates_only_a_cleared_root_table(void **state)
{
	init(true, true);
	assert_int_equal(ept.tables, 1);
	assert_int_equal(fake_live, 1);
	assert_non_null(ept.root);
	assert_ptr_equal(ept.root, fake_lookup(ept.root_phys)->ptr);
	check_structure(); /* would see the 0xa5 fill if it had not been cleared */
	assert_unmapped(0, 4 * PG);
}

static void test_init_reports_enomem_when_no_root_table(void **state)
{
	fake_budget = 0;
	assert_int_equal(ept_init(&ept, &fake_ops, true, true, false), -ENOMEM);
	assert_int_equal(ept.tables, 0);
	assert_null(ept.root);
	assert_int_equal(ept_map(&ept, 0, 0, PG, RWX), -EINVAL);
	ept_destroy(&ept); /* harmless */
	assert_int_equal(fake_live, 0);
}

static void test_init_rejects_missing_ops(void **state)
{
	struct ept_ops ops = fake_ops;

	ops.to_virt = NULL;
	assert_int_equal(ept_init(&ept, &ops, true, true, false), -EINVAL);
	assert_int_equal(ept_init(&ept, NULL, true, true, false), -EINVAL);
	assert_int_equal(fake_live, 0);
}

static void test_eptp_encodes_wb_walk_length_four_and_root_address(void **state)
{
	init(true, true);
	/* WB (6) in bits 2:0, walk length 4 - 1 = 3 in bits 5:3, no A/D. */
	assert_int_equal(ept_pointer(&ept), ept.root_phys | 0x1e);
	assert_int_equal(ept_pointer(&ept) & ~0xfffULL, ept.root_phys);
	ept_destroy(&ept);

	assert_int_equal(ept_init(&ept, &fake_ops, true, true, true), 0);
	assert_int_equal(ept_pointer(&ept), ept.root_phys | 0x40 | 0x1e); /* bit 6: A/D on */
}

static void test_destroy_frees_every_table_of_a_mixed_structure(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0, 0x100000000ULL, GiB, RWX), 0);       /* 1G */
	assert_int_equal(ept_map(&ept, GiB, 0x200000000ULL, 4 * MiB, RX), 0);   /* 2M */
	assert_int_equal(ept_map(&ept, 3 * GiB + PG, 0x5000, 3 * PG, R), 0);    /* 4K */
	assert_int_equal(ept_map(&ept, 600 * GiB, 0x1000000, 2 * MiB, RWX), 0); /* 2nd PML4E */
	check_structure();
	assert_true(ept.tables > 4);
	ept_destroy(&ept);
	assert_int_equal(ept.tables, 0);
	assert_int_equal(fake_live, 0);
	assert_null(ept.root);
	ept_destroy(&ept); /* a second destroy is a no-op */
	assert_int_equal(ept_map(&ept, 0, 0, PG, RWX), -EINVAL);
}

/* --- page sizes ------------------------------------------------------------ */

static void test_map_4k_page_gives_rights_wb_and_host_address(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0x5000, 0x12345000, PG, RWX), 0);
	assert_maps(0x5000, PG, 0x12345000, RWX, PG);
	assert_unmapped(0x4000, PG);
	assert_unmapped(0x6000, PG);
	assert_int_equal(ept.tables, 4); /* root, PDPT, PD, PT */
	check_structure();
}

static void test_map_uses_2m_pages_where_gpa_hpa_and_length_allow(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0x200000, 0x40000000, 6 * MiB, RWX), 0);
	assert_maps(0x200000, 6 * MiB, 0x40000000, RWX, 2 * MiB);
	assert_int_equal(ept.tables, 3); /* no page table */
	check_structure();
}

static void test_map_with_hpa_not_2m_aligned_uses_4k_pages(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0x200000, 0x40001000, 4 * MiB, RWX), 0);
	assert_maps(0x200000, 4 * MiB, 0x40001000, RWX, PG);
	assert_int_equal(ept.tables, 3 + 2);
	check_structure();
}

static void test_map_with_unaligned_edges_uses_4k_at_edges_and_2m_inside(void **state)
{
	uint64_t gpa = 0x1ff000, size = 0x402000, hpa = 0x801ff000; /* gpa - hpa 2M-aligned */

	init(true, true);
	assert_int_equal(ept_map(&ept, gpa, hpa, size, RWX), 0);
	assert_maps(gpa, PG, hpa, RWX, PG);
	assert_maps(0x200000, 4 * MiB, hpa + PG, RWX, 2 * MiB);
	assert_maps(0x600000, PG, hpa + PG + 4 * MiB, RWX, PG);
	assert_unmapped(0x1fe000, PG);
	assert_unmapped(0x601000, PG);
	check_structure();
}

static void test_map_uses_1g_pages_when_enabled_and_aligned(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0, 0x100000000ULL, 4 * GiB, RWX), 0);
	assert_maps(0, 4 * GiB, 0x100000000ULL, RWX, GiB);
	assert_int_equal(ept.tables, 2); /* root, PDPT */
	check_structure();
}

static void test_map_1g_range_with_hpa_only_2m_aligned_uses_2m_pages(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, GiB, 0x100200000ULL, GiB, RWX), 0);
	assert_maps(GiB, GiB, 0x100200000ULL, RWX, 2 * MiB);
	check_structure();
}

static void test_map_range_shorter_than_1g_uses_2m_pages_even_if_aligned(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, GiB, GiB, GiB - 2 * MiB, RWX), 0);
	assert_maps(GiB, GiB - 2 * MiB, GiB, RWX, 2 * MiB);
	assert_unmapped(2 * GiB - 2 * MiB, PG);
	check_structure();
}

static void test_map_without_large_page_support_uses_4k_pages_only(void **state)
{
	init(false, false);
	assert_int_equal(ept_map(&ept, 0, 0x40000000, 8 * MiB, RWX), 0);
	assert_maps(0, 8 * MiB, 0x40000000, RWX, PG);
	assert_int_equal(ept.tables, 3 + 4);
	check_structure();
}

static void test_1g_support_without_2m_support_maps_no_1g_pages(void **state)
{
	init(false, true);
	assert_false(ept.large_1g);
	assert_int_equal(ept_map(&ept, 0, 0, GiB, RWX), 0);
	assert_maps(0, GiB, 0, RWX, PG);
	check_structure();
}

static void test_2m_only_support_maps_1g_range_with_2m_pages(void **state)
{
	init(true, false);
	assert_int_equal(ept_map(&ept, 0, 0, GiB, RWX), 0);
	assert_maps(0, GiB, 0, RWX, 2 * MiB);
	check_structure();
}

static void test_map_crossing_512g_boundary_fills_two_pml4_entries(void **state)
{
	uint64_t gpa = 512 * GiB - 2 * MiB;

	init(true, true);
	assert_int_equal(ept_map(&ept, gpa, 0x40000000, 4 * MiB, RWX), 0);
	assert_maps(gpa, 4 * MiB, 0x40000000, RWX, 2 * MiB);
	assert_int_equal(ept.tables, 1 + 2 * 2);
	check_structure();
}

static void test_map_at_top_of_48_bit_guest_space(void **state)
{
	uint64_t gpa = EPT_GPA_LIMIT - 2 * PG;

	init(true, true);
	assert_int_equal(ept_map(&ept, gpa, 0x000ffffffffff000ULL - PG, 2 * PG, R), 0);
	assert_maps(gpa, 2 * PG, 0x000ffffffffff000ULL - PG, R, PG);
	check_structure();
}

/* --- rights and rejected requests --------------------------------------------- */

static void test_read_only_mapping_has_write_clear(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0, 0x40000000, 2 * MiB + PG, RX), 0);
	assert_int_equal(ept_map(&ept, GiB, 0, GiB, R), 0);
	assert_maps(0, 2 * MiB + PG, 0x40000000, RX, 0);
	assert_maps(GiB, GiB, 0, R, GiB);
	check_structure();
}

static void test_write_without_read_is_rejected_and_maps_nothing(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0, 0, 2 * MiB, W), -EINVAL);
	assert_int_equal(ept_map(&ept, 0, 0, 2 * MiB, W | X), -EINVAL);
	assert_unmapped(0, 2 * MiB);
	assert_int_equal(ept.tables, 1);
	assert_int_equal(ept_map(&ept, 0, 0, 2 * MiB, RWX), 0);
	assert_int_equal(ept_protect(&ept, 0, 2 * MiB, W), -EINVAL);
	assert_int_equal(ept_protect(&ept, 0, PG, W | X), -EINVAL);
	assert_maps(0, 2 * MiB, 0, RWX, 2 * MiB);
	check_structure();
}

static void test_execute_only_needs_exec_only_support(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0, 0, PG, X), -EINVAL);
	assert_unmapped(0, PG);
	ept.exec_only = true;
	assert_int_equal(ept_map(&ept, 0, 0, PG, X), 0);
	assert_maps(0, PG, 0, X, PG);
	check_structure();
}

static void test_prot_zero_or_with_unknown_bits_is_rejected(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0, 0, PG, 0), -EINVAL);
	assert_int_equal(ept_map(&ept, 0, 0, PG, RWX | 8), -EINVAL);
	assert_int_equal(ept_map(&ept, 0, 0, PG, RWX), 0);
	assert_int_equal(ept_protect(&ept, 0, PG, 0), -EINVAL);
	assert_int_equal(ept_protect(&ept, 0, PG, 0x80000000u | R), -EINVAL);
	assert_maps(0, PG, 0, RWX, PG);
}

struct range_case {
	const char *what;
	uint64_t gpa, hpa, size;
	int err;
};

static void test_map_rejects_bad_ranges(void **state)
{
	static const struct range_case cases[] = {
		{ "size 0", 0, 0, 0, -EINVAL },
		{ "gpa unaligned", 0x800, 0, PG, -EINVAL },
		{ "hpa unaligned", 0, 0x10, PG, -EINVAL },
		{ "size unaligned", 0, 0, PG + 1, -EINVAL },
		{ "gpa at 2^48", EPT_GPA_LIMIT, 0, PG, -ERANGE },
		{ "gpa end past 2^48", EPT_GPA_LIMIT - PG, 0, 2 * PG, -ERANGE },
		{ "gpa wraps", 0xfffffffffffff000ULL, 0, 2 * PG, -ERANGE },
		{ "hpa end past 2^52", 0, EPT_HPA_LIMIT - PG, 2 * PG, -ERANGE },
		{ "hpa wraps", 0, 0xfffffffffffff000ULL, 2 * PG, -ERANGE },
	};

	init(true, true);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc = ept_map(&ept, cases[i].gpa, cases[i].hpa, cases[i].size, RWX);

		if (rc != cases[i].err)
			fail_msg("%s: expected %d, got %d", cases[i].what, cases[i].err, rc);
	}
	assert_int_equal(ept_unmap(&ept, 0, 0), -EINVAL);
	assert_int_equal(ept_unmap(&ept, 0x10, PG), -EINVAL);
	assert_int_equal(ept_unmap(&ept, EPT_GPA_LIMIT - PG, 2 * PG), -ERANGE);
	assert_int_equal(ept_protect(&ept, 0, 0, R), -EINVAL);
	assert_int_equal(ept_protect(&ept, EPT_GPA_LIMIT, PG, R), -ERANGE);
	assert_int_equal(ept.tables, 1);
	assert_int_equal(test_log_count(), 0); /* the caller reports */
}

/* --- remapping and splitting --------------------------------------------------- */

static void test_remapping_4k_inside_2m_page_splits_it_and_keeps_neighbours(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0x200000, 0x40000000, 2 * MiB, RWX), 0);
	assert_int_equal(ept.tables, 3);
	assert_int_equal(ept_map(&ept, 0x201000, 0x7000000, PG, R), 0);
	assert_int_equal(ept.tables, 4); /* one page table for the split */
	assert_maps(0x200000, PG, 0x40000000, RWX, PG);
	assert_maps(0x201000, PG, 0x7000000, R, PG);
	assert_maps(0x202000, 2 * MiB - 2 * PG, 0x40002000, RWX, PG);
	check_structure();
}

static void test_remapping_inside_1g_page_splits_only_as_far_as_needed(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, GiB, 0x40000000, GiB, RWX), 0);
	assert_int_equal(ept_map(&ept, GiB + 4 * MiB, 0x90000000, 2 * MiB, RX), 0);
	assert_int_equal(ept.tables, 3); /* 1G split into a PD of 2M pages */
	assert_maps(GiB, 4 * MiB, 0x40000000, RWX, 2 * MiB);
	assert_maps(GiB + 4 * MiB, 2 * MiB, 0x90000000, RX, 2 * MiB);
	assert_maps(GiB + 6 * MiB, GiB - 6 * MiB, 0x40600000, RWX, 2 * MiB);

	assert_int_equal(ept_map(&ept, GiB + 9 * MiB, 0x5000, PG, R), 0);
	assert_int_equal(ept.tables, 4);
	assert_maps(GiB + 8 * MiB, MiB, 0x40800000, RWX, PG);
	assert_maps(GiB + 9 * MiB, PG, 0x5000, R, PG);
	assert_maps(GiB + 9 * MiB + PG, MiB - PG, 0x40901000, RWX, PG);
	assert_maps(GiB + 10 * MiB, GiB - 10 * MiB, 0x40a00000, RWX, 2 * MiB);
	check_structure();
}

static void test_identical_remap_inside_large_page_does_not_split(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0, 0x40000000, GiB, RX), 0);
	assert_int_equal(ept_map(&ept, 2 * MiB + PG, 0x40201000, PG, RX), 0);
	assert_int_equal(ept.tables, 2);
	assert_maps(0, GiB, 0x40000000, RX, GiB);
}

static void test_large_page_over_existing_tables_frees_the_whole_subtree(void **state)
{
	init(true, true);
	/* Scattered 4K pages below 1 GiB: a PD and several page tables. */
	for (uint64_t i = 0; i < 8; i++)
		assert_int_equal(ept_map(&ept, i * 100 * MiB + PG, 0x1000000 + i * PG, PG, RWX), 0);
	assert_int_equal(ept.tables, 2 + 1 + 8);
	assert_int_equal(ept_map(&ept, 0, 0x80000000ULL, GiB, RWX), 0);
	assert_int_equal(ept.tables, 2);
	assert_int_equal(fake_live, 2);
	assert_maps(0, GiB, 0x80000000ULL, RWX, GiB);
	check_structure();
}

static void test_2m_page_over_existing_page_table_frees_it(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0x200000, 0x300000, 3 * PG, RWX), 0);
	assert_int_equal(ept.tables, 4);
	assert_int_equal(ept_map(&ept, 0x200000, 0x400000, 2 * MiB, R), 0);
	assert_int_equal(ept.tables, 3);
	assert_maps(0x200000, 2 * MiB, 0x400000, R, 2 * MiB);
	check_structure();
}

/* --- unmap --------------------------------------------------------------- */

static void test_unmapping_middle_of_1g_page_leaves_the_rest_mapped(void **state)
{
	uint64_t hole = GiB + 512 * MiB + PG;

	init(true, true);
	assert_int_equal(ept_map(&ept, GiB, 0x200000000ULL, GiB, RWX), 0);
	assert_int_equal(ept_unmap(&ept, hole, 2 * PG), 0);
	assert_unmapped(hole, 2 * PG);
	assert_maps(GiB, 512 * MiB, 0x200000000ULL, RWX, 2 * MiB);
	assert_maps(GiB + 512 * MiB, PG, 0x200000000ULL + 512 * MiB, RWX, PG);
	assert_maps(hole + 2 * PG, 2 * MiB - 3 * PG, 0x200000000ULL + 512 * MiB + 3 * PG, RWX, PG);
	assert_maps(GiB + 514 * MiB, GiB - 514 * MiB, 0x200000000ULL + 514 * MiB, RWX, 2 * MiB);
	assert_int_equal(ept.tables, 4);
	check_structure();
}

static void test_unmapping_everything_frees_all_tables_but_the_root(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0x1ff000, 0x801ff000, 0x402000, RWX), 0);
	assert_int_equal(ept_map(&ept, 700 * GiB, 0, GiB, RWX), 0);
	assert_int_equal(ept_unmap(&ept, 0x1ff000, 0x402000), 0);
	assert_int_equal(ept_unmap(&ept, 700 * GiB, GiB), 0);
	assert_int_equal(ept.tables, 1);
	check_structure();
}

static void test_unmap_piecewise_frees_tables_once_empty(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0, 0x40000000, 4 * PG, RWX), 0);
	assert_int_equal(ept_unmap(&ept, 0, PG), 0);
	assert_int_equal(ept_unmap(&ept, 2 * PG, PG), 0);
	assert_int_equal(ept.tables, 4);
	assert_maps(PG, PG, 0x40001000, RWX, PG);
	assert_maps(3 * PG, PG, 0x40003000, RWX, PG);
	assert_int_equal(ept_unmap(&ept, PG, PG), 0);
	assert_int_equal(ept_unmap(&ept, 3 * PG, PG), 0);
	assert_int_equal(ept.tables, 1);
	check_structure();
}

static void test_unmap_of_holes_is_harmless_and_allocates_nothing(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 4 * MiB, 0, PG, RWX), 0);
	size_t before = ept.tables;

	fake_budget = 0;
	assert_int_equal(ept_unmap(&ept, 0, 4 * MiB), 0);
	assert_int_equal(ept_unmap(&ept, 4 * GiB, 8 * GiB), 0);
	assert_int_equal(ept.tables, before);
	assert_maps(4 * MiB, PG, 0, RWX, PG);
	check_structure();
}

/* --- protect ------------------------------------------------------------- */

static void test_protect_write_protects_a_page_inside_2m_page(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0, 0x40000000, 2 * MiB, RWX), 0);
	assert_int_equal(ept_protect(&ept, 5 * PG, PG, RX), 0);
	assert_maps(0, 5 * PG, 0x40000000, RWX, PG);
	assert_maps(5 * PG, PG, 0x40005000, RX, PG);
	assert_maps(6 * PG, 2 * MiB - 6 * PG, 0x40006000, RWX, PG);
	check_structure();
}

static void test_protect_of_whole_large_pages_keeps_them_large(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0, 0, 2 * GiB, RWX), 0);
	assert_int_equal(ept_protect(&ept, 0, 2 * GiB, RX), 0);
	assert_maps(0, 2 * GiB, 0, RX, GiB);
	assert_int_equal(ept.tables, 2);
	assert_int_equal(ept_protect(&ept, 0, GiB, RWX), 0);
	assert_maps(0, GiB, 0, RWX, GiB);
	assert_maps(GiB, GiB, GiB, RX, GiB);
	check_structure();
}

static void test_protect_with_the_same_rights_does_not_split(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0, 0, GiB, RX), 0);
	fake_budget = 0;
	assert_int_equal(ept_protect(&ept, 3 * PG, 5 * PG, RX), 0);
	assert_maps(0, GiB, 0, RX, GiB);
	assert_int_equal(ept.tables, 2);
}

static void test_protect_skips_holes_and_maps_nothing_new(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 2 * PG, 0x9000, 2 * PG, RWX), 0);
	assert_int_equal(ept_map(&ept, 8 * PG, 0xa000, PG, RWX), 0);
	assert_int_equal(ept_protect(&ept, 0, 16 * PG, R), 0);
	assert_unmapped(0, 2 * PG);
	assert_maps(2 * PG, 2 * PG, 0x9000, R, PG);
	assert_unmapped(4 * PG, 4 * PG);
	assert_maps(8 * PG, PG, 0xa000, R, PG);
	assert_unmapped(9 * PG, 7 * PG);
	assert_int_equal(ept_protect(&ept, GiB, GiB, R), 0); /* nothing there at all */
	assert_int_equal(ept.tables, 4);
	check_structure();
}

/* --- out of memory ------------------------------------------------------- */

/* Maps a range needing many tables with an allocator that runs dry after
 * `budget` tables: the error comes back, the structure stays well formed
 * and every page holds either the old mapping or the new one. */
static void test_enomem_midway_is_reported_and_tables_stay_consistent(void **state)
{
	/* [1G - 4M + 4K, 1G + 2M + 4K) crosses a 1G boundary; hpa - gpa is not
	 * 2M-aligned, so all 4K pages: a PD, two page tables below 1G, and two
	 * splits of the old 2M pages at 1G. Five tables in all. */
	const uint64_t gpa = GiB - 4 * MiB + PG, size = 6 * MiB, hpa = 0x300000000ULL + 2 * PG;
	const uint64_t old_gpa = GiB, old_size = 4 * MiB, old_hpa = 0x500000000ULL;
	const uint64_t tail = gpa + size, tail_size = old_gpa + old_size - tail;
	int failures = 0;

	for (long budget = 0;; budget++) {
		init(true, true);
		assert_int_equal(ept_map(&ept, old_gpa, old_hpa, old_size, RX), 0);
		size_t before = ept.tables;

		fake_budget = budget;
		int rc = ept_map(&ept, gpa, hpa, size, RWX);

		fake_budget = -1;
		check_structure();
		if (rc == 0) {
			assert_maps(gpa, size, hpa, RWX, PG);
			assert_maps(tail, tail_size, old_hpa + (tail - old_gpa), RX, PG);
			assert_int_equal(ept.tables, before + 5);
			ept_destroy(&ept);
			assert_int_equal(fake_live, 0);
			break;
		}
		assert_int_equal(rc, -ENOMEM);
		failures++;
		assert_true(ept.tables <= before + (size_t)budget);
		for (uint64_t off = 0; off < size; off += PG) {
			uint64_t g = gpa + off;
			struct xlate t = xlate(g);
			bool is_new = t.present && t.hpa == hpa + off && t.prot == RWX;
			bool in_old = g >= old_gpa && g < old_gpa + old_size;
			bool is_old = in_old ? t.present && t.hpa == old_hpa + (g - old_gpa) && t.prot == RX
					     : !t.present;

			if (!is_new && !is_old)
				fail_msg("budget %ld: gpa 0x%llx neither old nor new", budget,
					 (unsigned long long)g);
		}
		/* The old mapping beyond the range is intact. */
		assert_maps(tail, tail_size, old_hpa + (tail - old_gpa), RX, 0);
		/* The caller's clean-up works and leaves nothing behind. */
		assert_int_equal(ept_unmap(&ept, gpa, size), 0);
		assert_unmapped(gpa, size);
		assert_maps(tail, tail_size, old_hpa + (tail - old_gpa), RX, 0);
		check_structure();
		ept_destroy(&ept);
		assert_int_equal(fake_live, 0);
	}
	assert_int_equal(failures, 5); /* one failure per table the map needed */
}

static void test_enomem_on_split_during_unmap_and_protect_leaves_mapping_intact(void **state)
{
	init(true, true);
	assert_int_equal(ept_map(&ept, 0, 0x40000000, 2 * MiB, RWX), 0);
	fake_budget = 0;
	assert_int_equal(ept_unmap(&ept, PG, PG), -ENOMEM);
	assert_int_equal(ept_protect(&ept, PG, PG, R), -ENOMEM);
	assert_maps(0, 2 * MiB, 0x40000000, RWX, 2 * MiB);
	assert_int_equal(ept_map(&ept, PG, 0, PG, R), -ENOMEM);
	assert_maps(0, 2 * MiB, 0x40000000, RWX, 2 * MiB);
	check_structure();
}

/* --- lookup -------------------------------------------------------------- */

static void test_lookup_reports_address_rights_and_page_size(void **state)
{
	uint64_t hpa, size;
	uint32_t prot;

	init(true, true);
	assert_int_equal(ept_map(&ept, GiB, 0x200000000ULL, GiB, RWX), 0);
	assert_int_equal(ept_map(&ept, 0x200000, 0x40000000, 2 * MiB, RX), 0);
	assert_int_equal(ept_map(&ept, 0x5000, 0x6000, PG, R), 0);

	assert_int_equal(ept_lookup(&ept, GiB + 0x12345678, &hpa, &prot, &size), 0);
	assert_int_equal(hpa, 0x212345678ULL);
	assert_int_equal(prot, RWX);
	assert_int_equal(size, GiB);
	assert_int_equal(ept_lookup(&ept, 0x3fffff, &hpa, &prot, &size), 0);
	assert_int_equal(hpa, 0x401fffff);
	assert_int_equal(prot, RX);
	assert_int_equal(size, 2 * MiB);
	assert_int_equal(ept_lookup(&ept, 0x5abc, &hpa, &prot, &size), 0);
	assert_int_equal(hpa, 0x6abc);
	assert_int_equal(prot, R);
	assert_int_equal(size, PG);
	assert_int_equal(ept_lookup(&ept, 0x4fff, &hpa, &prot, &size), -ENOENT);
	assert_int_equal(ept_lookup(&ept, 0x400000, &hpa, &prot, &size), -ENOENT);
	assert_int_equal(ept_lookup(&ept, 2 * GiB, &hpa, &prot, &size), -ENOENT);
	assert_int_equal(ept_lookup(&ept, EPT_GPA_LIMIT, &hpa, &prot, &size), -ENOENT);
}

/* --- randomized, against a page-by-page model ---------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic across hosts for a fixed seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

#define WIN_BASE (GiB)           /* the window spans two 1G entries */
#define WIN_PAGES (2 * GiB / PG) /* and is modelled page by page */

static uint64_t *model; /* hpa | prot per page, 0 when unmapped */

static uint64_t model_of(const struct xlate *t)
{
	return t->present ? t->hpa | t->prot : 0;
}

/* The whole window against the model: one walk per leaf, not per page. */
static void compare_window(int step)
{
	for (uint64_t i = 0; i < WIN_PAGES;) {
		uint64_t gpa = WIN_BASE + i * PG;
		struct xlate t = xlate(gpa);
		uint64_t n = t.present ? (t.page_size - (gpa & (t.page_size - 1))) / PG : 1;

		for (uint64_t j = 0; j < n && i + j < WIN_PAGES; j++) {
			uint64_t want = model[i + j];
			uint64_t got = t.present ? (t.hpa + j * PG) | t.prot : 0;

			if (want != got)
				fail_msg("step %d: gpa 0x%llx is 0x%llx, model 0x%llx", step,
					 (unsigned long long)(gpa + j * PG), (unsigned long long)got,
					 (unsigned long long)want);
		}
		i += n;
	}
}

/* Sizes and offsets at 4K, 2M and 1G granularity, so large pages get made,
 * split and covered. */
static uint64_t random_span(void)
{
	static const uint64_t grain[] = { PG, 2 * MiB, GiB };
	uint64_t g = grain[rng() % 3];

	return g * (1 + rng() % (g == GiB ? 2 : 8)) + (rng() % 4 == 0 ? PG * (rng() % 3) : 0);
}

static void test_random_operations_match_a_page_model(void **state)
{
	static const uint32_t prots[] = { R, RX, RWX, R | W };

	model = calloc(WIN_PAGES, sizeof(*model));
	assert_non_null(model);
	rng_state = 0x9e3779b97f4a7c15ULL;
	init(true, true);
	int enomem = 0;

	for (int step = 0; step < 300; step++) {
		uint64_t size = random_span();
		uint64_t first = (rng() % WIN_PAGES) & ~(rng() % 2 ? 511ULL : 0);

		if (first * PG + size > 2 * GiB)
			size = 2 * GiB - first * PG;
		uint64_t gpa = WIN_BASE + first * PG, pages = size / PG;
		uint64_t hpa = (rng() % 2 ? ALIGN_DOWN(rng() % (64 * GiB), GiB) : (rng() % (1ULL << 24)) * PG) +
			       (rng() % 2 ? gpa & (GiB - 1) : 0);
		uint32_t prot = prots[rng() % ARRAY_SIZE(prots)];
		unsigned op = rng() % 3;
		bool starve = rng() % 8 == 0;
		int rc;

		fake_budget = starve ? (long)(rng() % 3) : -1;
		if (op == 0)
			rc = ept_map(&ept, gpa, hpa, size, prot);
		else if (op == 1)
			rc = ept_unmap(&ept, gpa, size);
		else
			rc = ept_protect(&ept, gpa, size, prot);
		fake_budget = -1;
		check_structure();

		for (uint64_t i = 0; i < pages; i++) {
			uint64_t *m = &model[first + i];
			uint64_t want = op == 0 ? (hpa + i * PG) | prot
				      : op == 1 ? 0
				      : *m ? (*m & ~E_PROT) | prot : 0;

			if (rc == 0) {
				*m = want;
				continue;
			}
			/* After -ENOMEM each page is old or new: take what is there. */
			assert_int_equal(rc, -ENOMEM);
			struct xlate t = xlate(gpa + i * PG);
			uint64_t got = model_of(&t);

			if (got != *m && got != want)
				fail_msg("step %d: gpa 0x%llx neither old nor new after ENOMEM", step,
					 (unsigned long long)(gpa + i * PG));
			*m = got;
		}
		if (rc)
			enomem++;
		compare_window(step);
	}
	assert_true(enomem > 0);
	ept_destroy(&ept);
	assert_int_equal(fake_live, 0);
	free(model);
	model = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_init_allocates_only_a_cleared_root_table),
		T(test_init_reports_enomem_when_no_root_table),
		T(test_init_rejects_missing_ops),
		T(test_eptp_encodes_wb_walk_length_four_and_root_address),
		T(test_destroy_frees_every_table_of_a_mixed_structure),
		T(test_map_4k_page_gives_rights_wb_and_host_address),
		T(test_map_uses_2m_pages_where_gpa_hpa_and_length_allow),
		T(test_map_with_hpa_not_2m_aligned_uses_4k_pages),
		T(test_map_with_unaligned_edges_uses_4k_at_edges_and_2m_inside),
		T(test_map_uses_1g_pages_when_enabled_and_aligned),
		T(test_map_1g_range_with_hpa_only_2m_aligned_uses_2m_pages),
		T(test_map_range_shorter_than_1g_uses_2m_pages_even_if_aligned),
		T(test_map_without_large_page_support_uses_4k_pages_only),
		T(test_1g_support_without_2m_support_maps_no_1g_pages),
		T(test_2m_only_support_maps_1g_range_with_2m_pages),
		T(test_map_crossing_512g_boundary_fills_two_pml4_entries),
		T(test_map_at_top_of_48_bit_guest_space),
		T(test_read_only_mapping_has_write_clear),
		T(test_write_without_read_is_rejected_and_maps_nothing),
		T(test_execute_only_needs_exec_only_support),
		T(test_prot_zero_or_with_unknown_bits_is_rejected),
		T(test_map_rejects_bad_ranges),
		T(test_remapping_4k_inside_2m_page_splits_it_and_keeps_neighbours),
		T(test_remapping_inside_1g_page_splits_only_as_far_as_needed),
		T(test_identical_remap_inside_large_page_does_not_split),
		T(test_large_page_over_existing_tables_frees_the_whole_subtree),
		T(test_2m_page_over_existing_page_table_frees_it),
		T(test_unmapping_middle_of_1g_page_leaves_the_rest_mapped),
		T(test_unmapping_everything_frees_all_tables_but_the_root),
		T(test_unmap_piecewise_frees_tables_once_empty),
		T(test_unmap_of_holes_is_harmless_and_allocates_nothing),
		T(test_protect_write_protects_a_page_inside_2m_page),
		T(test_protect_of_whole_large_pages_keeps_them_large),
		T(test_protect_with_the_same_rights_does_not_split),
		T(test_protect_skips_holes_and_maps_nothing_new),
		T(test_enomem_midway_is_reported_and_tables_stay_consistent),
		T(test_enomem_on_split_during_unmap_and_protect_leaves_mapping_intact),
		T(test_lookup_reports_address_rights_and_page_size),
		T(test_random_operations_match_a_page_model),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
