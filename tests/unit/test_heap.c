/* Unit tests for the kernel heap (mm/heap.c) over a host page backend. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mm/heap.h"
#include "test_log.h"

/* Backend over aligned_alloc. Pages handed back are only marked: they stay
 * readable until the test ends, so a double free of a block the heap
 * already returned can be diagnosed without a use-after-free on the host. */
#define MAX_BLOCKS 65536

struct backend_block {
	void *p;
	uint64_t pages;
	bool returned;
};

static struct backend_block blocks[MAX_BLOCKS];
static int nblocks;
static uint64_t pages_out; /* taken and not yet returned */
static uint64_t page_budget; /* page_alloc fails beyond this many pages out */
static int bad_returns;     /* page_free of something not handed out */

static void *test_page_alloc(uint64_t pages)
{
	if (pages_out + pages > page_budget || nblocks == MAX_BLOCKS)
		return NULL;
	void *p = aligned_alloc(PAGE_SIZE, pages * PAGE_SIZE);
	assert_non_null(p);
	/* Stale data, so a heap that forgets to zero is caught. */
	memset(p, 0xa5, pages * PAGE_SIZE);
	blocks[nblocks++] = (struct backend_block){ p, pages, false };
	pages_out += pages;
	return p;
}

static void test_page_free(void *p, uint64_t pages)
{
	for (int i = 0; i < nblocks; i++) {
		if (blocks[i].p == p && !blocks[i].returned && blocks[i].pages == pages) {
			blocks[i].returned = true;
			memset(p, 0x5a, pages * PAGE_SIZE);
			pages_out -= pages;
			return;
		}
	}
	bad_returns++;
}

static const struct heap_backend backend = {
	.page_alloc = test_page_alloc,
	.page_free = test_page_free,
};

static int setup(void **state)
{
	(void)state;
	nblocks = 0;
	pages_out = 0;
	page_budget = UINT64_MAX;
	bad_returns = 0;
	test_log_reset();
	heap_init(&backend);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(bad_returns, 0);
	for (int i = 0; i < nblocks; i++)
		free(blocks[i].p);
	nblocks = 0;
	return 0;
}

static bool all_bytes(const void *p, unsigned char v, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

static struct heap_stats stats(void)
{
	struct heap_stats st;
	heap_get_stats(&st);
	return st;
}

static void test_kmalloc_zero_size_returns_null(void **state)
{
	assert_null(kmalloc(0));
	assert_int_equal(stats().allocs, 0);
	assert_int_equal(pages_out, 0);
}

static void test_kmalloc_many_sizes_are_aligned_zeroed_and_disjoint(void **state)
{
	static void *ptrs[600];
	static size_t sizes[600];
	int n = 0;

	for (size_t size = 1; size <= 9000; size = size < 64 ? size + 1 : size * 5 / 4 + 3) {
		for (int rep = 0; rep < 3 && n < 600; rep++) {
			void *p = kmalloc(size);
			assert_non_null(p);
			assert_true(((uintptr_t)p & 15) == 0);
			assert_true(all_bytes(p, 0, size));
			/* Each block gets its own fill byte. */
			memset(p, (unsigned char)(n + 1), size);
			ptrs[n] = p;
			sizes[n++] = size;
		}
	}
	assert_true(n > 200);
	/* Nothing overwrote anything else. */
	for (int i = 0; i < n; i++)
		assert_true(all_bytes(ptrs[i], (unsigned char)(i + 1), sizes[i]));
	for (int i = 0; i < n; i++)
		kfree(ptrs[i]);
	struct heap_stats st = stats();
	assert_int_equal(st.allocs, n);
	assert_int_equal(st.frees, n);
	assert_int_equal(st.bytes_in_use, 0);
	assert_int_equal(test_log_count(), 0);
}

static void test_kmalloc_rounds_small_sizes_to_power_of_two_classes(void **state)
{
	static const struct { size_t size; uint64_t charged; } cases[] = {
		{ 1, 16 }, { 16, 16 }, { 17, 32 }, { 33, 64 }, { 100, 128 },
		{ 256, 256 }, { 257, 512 }, { 1000, 1024 }, { 2047, 2048 }, { 2048, 2048 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		void *p = kmalloc(cases[i].size);
		assert_non_null(p);
		assert_int_equal(stats().bytes_in_use, cases[i].charged);
		kfree(p);
		assert_int_equal(stats().bytes_in_use, 0);
	}
}

static void test_kmalloc_small_blocks_of_one_class_share_a_page(void **state)
{
	void *p[100];

	for (int i = 0; i < 100; i++)
		p[i] = kmalloc(16);
	assert_int_equal(stats().pages_held, 1);
	assert_int_equal(pages_out, 1);
	/* Neighbours in one page are 16 bytes apart. */
	assert_int_equal((char *)p[1] - (char *)p[0], 16);
	for (int i = 0; i < 100; i++)
		kfree(p[i]);
}

static void test_kmalloc_fills_page_then_takes_another(void **state)
{
	void *p[8];

	/* 1024-byte blocks: a page holds three next to its header. */
	for (int i = 0; i < 4; i++)
		p[i] = kmalloc(1024);
	assert_int_equal(stats().pages_held, 2);
	assert_true(((uintptr_t)p[0] & ~(uintptr_t)4095) == ((uintptr_t)p[2] & ~(uintptr_t)4095));
	assert_true(((uintptr_t)p[0] & ~(uintptr_t)4095) != ((uintptr_t)p[3] & ~(uintptr_t)4095));
	/* A freed slot in the full page is used again. */
	kfree(p[1]);
	p[4] = kmalloc(1000);
	assert_ptr_equal(p[4], p[1]);
	kfree(p[0]);
	kfree(p[2]);
	kfree(p[3]);
	kfree(p[4]);
}

static void test_kmalloc_after_free_reuses_block_and_zeroes_it(void **state)
{
	unsigned char *p = kmalloc(200);
	memset(p, 0xcc, 200);
	kfree(p);
	unsigned char *q = kmalloc(256); /* same class */
	assert_ptr_equal(q, p);
	assert_true(all_bytes(q, 0, 256));
	kfree(q);
}

static void test_kmalloc_large_block_takes_whole_pages_and_returns_them(void **state)
{
	/* A small header precedes the block: 4080 bytes fit one page, 4081 not. */
	static const struct { size_t size; uint64_t pages; } cases[] = {
		{ 2049, 1 }, { 4080, 1 }, { 4081, 2 }, { 10000, 3 }, { 1 << 20, 257 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned char *p = kmalloc(cases[i].size);
		assert_non_null(p);
		assert_true(((uintptr_t)p & 15) == 0);
		assert_int_equal(pages_out, cases[i].pages);
		assert_int_equal(stats().pages_held, cases[i].pages);
		assert_int_equal(stats().bytes_in_use, cases[i].pages * PAGE_SIZE);
		assert_true(all_bytes(p, 0, cases[i].size));
		memset(p, 0xee, cases[i].size); /* ASan: the whole block is ours */
		kfree(p);
		assert_int_equal(pages_out, 0);
		assert_int_equal(stats().pages_held, 0);
		assert_int_equal(stats().bytes_in_use, 0);
	}
}

static void test_kmalloc_huge_size_returns_null_without_overflow(void **state)
{
	assert_null(kmalloc(SIZE_MAX));
	assert_null(kmalloc(SIZE_MAX - PAGE_SIZE));
	assert_int_equal(pages_out, 0);
	assert_int_equal(stats().allocs, 0);
}

static void test_kmalloc_returns_null_when_backend_is_out_of_pages(void **state)
{
	page_budget = 2;
	void *a = kmalloc(2048);
	void *b = kmalloc(2048);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(kmalloc(2048));
	assert_null(kmalloc(64)); /* a new class needs a new page too */
	assert_null(kmalloc(5000));
	assert_int_equal(stats().allocs, 2);
	kfree(a);
	/* The freed block is reused without the backend. */
	void *c = kmalloc(1500);
	assert_ptr_equal(c, a);
	kfree(b);
	kfree(c);
}

static void test_kfree_returns_empty_slab_pages_but_keeps_one(void **state)
{
	void *p[5];

	for (int i = 0; i < 5; i++)
		p[i] = kmalloc(2048); /* one per page */
	assert_int_equal(stats().pages_held, 5);
	for (int i = 0; i < 5; i++)
		kfree(p[i]);
	assert_int_equal(stats().pages_held, 1);
	assert_int_equal(pages_out, 1);
	/* The kept page serves the next request. */
	void *q = kmalloc(2000);
	assert_int_equal(pages_out, 1);
	kfree(q);
}

static void test_heap_stats_track_bytes_pages_and_counts(void **state)
{
	void *a = kmalloc(10);   /* 16 */
	void *b = kmalloc(100);  /* 128 */
	void *c = kmalloc(8000); /* 2 pages */
	struct heap_stats st = stats();
	assert_int_equal(st.bytes_in_use, 16 + 128 + 2 * PAGE_SIZE);
	assert_int_equal(st.pages_held, 2 + 2);
	assert_int_equal(st.allocs, 3);
	assert_int_equal(st.frees, 0);
	kfree(b);
	kfree(c);
	st = stats();
	assert_int_equal(st.bytes_in_use, 16);
	assert_int_equal(st.pages_held, 2); /* each class keeps its page */
	assert_int_equal(st.frees, 2);
	kfree(c); /* bad free: not counted */
	assert_int_equal(stats().frees, 2);
	kfree(a);
	assert_int_equal(stats().frees, 3);
}

static void test_kfree_null_is_ignored_silently(void **state)
{
	kfree(NULL);
	assert_int_equal(test_log_count(), 0);
	assert_int_equal(stats().frees, 0);
}

static void test_kfree_of_pointer_not_from_heap_is_reported_and_ignored(void **state)
{
	char expect[64];
	unsigned char *foreign = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	memset(foreign, 0, PAGE_SIZE);
	void *keep = kmalloc(32);

	kfree(foreign + 64);
	snprintf(expect, sizeof(expect), "heap: bad free of %p", (void *)(foreign + 64));
	assert_true(test_log_contains(expect));
	/* Page-aligned pointers are never heap blocks. */
	test_log_reset();
	kfree(foreign);
	assert_true(test_log_contains("heap: bad free of"));
	assert_int_equal(stats().frees, 0);
	assert_int_equal(stats().allocs, 1);
	/* The heap still works. */
	void *p = kmalloc(32);
	assert_non_null(p);
	kfree(p);
	kfree(keep);
	free(foreign);
}

static void test_kfree_double_free_of_small_block_is_reported(void **state)
{
	char expect[64];
	void *keep = kmalloc(48);
	void *p = kmalloc(48);

	kfree(p);
	test_log_reset();
	kfree(p);
	snprintf(expect, sizeof(expect), "heap: bad free of %p", p);
	assert_true(test_log_contains(expect));
	assert_int_equal(stats().frees, 1);
	assert_int_equal(stats().bytes_in_use, 64);
	/* The slot is handed out once, not twice. */
	void *x = kmalloc(48), *y = kmalloc(48);
	assert_ptr_not_equal(x, y);
	kfree(x);
	kfree(y);
	kfree(keep);
}

static void test_kfree_double_free_of_large_block_is_reported(void **state)
{
	void *p = kmalloc(3 * PAGE_SIZE);

	kfree(p);
	assert_int_equal(pages_out, 0);
	kfree(p); /* the backend kept the memory readable */
	assert_true(test_log_contains("heap: bad free of"));
	assert_int_equal(bad_returns, 0); /* nothing returned twice */
	assert_int_equal(stats().frees, 1);
}

static void test_kfree_of_interior_pointer_is_reported_and_block_stays_live(void **state)
{
	unsigned char *p = kmalloc(64);
	unsigned char *big = kmalloc(5000);

	kfree(p + 16); /* aligned, but not a block start in the 64-byte class */
	kfree(p + 8);  /* not 16-byte aligned */
	kfree(big + 16);
	kfree(big + PAGE_SIZE + 16); /* its second page has no header */
	assert_int_equal(test_log_count(), 4);
	assert_int_equal(stats().frees, 0);
	assert_int_equal(stats().bytes_in_use, 64 + 2 * PAGE_SIZE);
	kfree(p);
	kfree(big);
	assert_int_equal(stats().frees, 2);
	assert_int_equal(test_log_count(), 4);
}

static void test_heap_without_backend_returns_null(void **state)
{
	heap_init(NULL);
	assert_true(test_log_contains("heap: no page backend given"));
	assert_null(kmalloc(16));
	struct heap_backend half = { .page_alloc = test_page_alloc };
	heap_init(&half);
	assert_null(kmalloc(16));
	assert_int_equal(pages_out, 0);
}

/* Several threads hammering the heap: the lock must keep the block lists
 * and the statistics consistent. */
#define THREADS 4
#define ROUNDS 4000

static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	void *mine[32] = { 0 };
	size_t sizes[32] = { 0 };

	for (int r = 0; r < ROUNDS; r++) {
		seed = seed * 1103515245u + 12345u;
		int slot = (seed >> 8) % 32;
		if (mine[slot]) {
			if (!all_bytes(mine[slot], (unsigned char)slot + 1, sizes[slot]))
				return (void *)1;
			kfree(mine[slot]);
			mine[slot] = NULL;
		} else {
			sizes[slot] = 1 + (seed >> 16) % 3000;
			mine[slot] = kmalloc(sizes[slot]);
			if (!mine[slot])
				return (void *)1;
			memset(mine[slot], slot + 1, sizes[slot]);
		}
	}
	for (int i = 0; i < 32; i++)
		kfree(mine[i]);
	return NULL;
}

static void test_kmalloc_and_kfree_from_several_threads_stay_consistent(void **state)
{
	pthread_t t[THREADS];

	for (uintptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)(i + 1)), 0);
	for (int i = 0; i < THREADS; i++) {
		void *ret;
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	struct heap_stats st = stats();
	assert_int_equal(st.allocs, st.frees);
	assert_int_equal(st.bytes_in_use, 0);
	assert_int_equal(st.pages_held, pages_out);
	assert_int_equal(test_log_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kmalloc_zero_size_returns_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kmalloc_many_sizes_are_aligned_zeroed_and_disjoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kmalloc_rounds_small_sizes_to_power_of_two_classes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kmalloc_small_blocks_of_one_class_share_a_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kmalloc_fills_page_then_takes_another, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kmalloc_after_free_reuses_block_and_zeroes_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kmalloc_large_block_takes_whole_pages_and_returns_them, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kmalloc_huge_size_returns_null_without_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kmalloc_returns_null_when_backend_is_out_of_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kfree_returns_empty_slab_pages_but_keeps_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heap_stats_track_bytes_pages_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kfree_null_is_ignored_silently, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kfree_of_pointer_not_from_heap_is_reported_and_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kfree_double_free_of_small_block_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kfree_double_free_of_large_block_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kfree_of_interior_pointer_is_reported_and_block_stays_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heap_without_backend_returns_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kmalloc_and_kfree_from_several_threads_stay_consistent, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
