/* Physical frame allocator: a sorted table of free extents built from the
 * boot memory map. Allocations are page-granular, may be contiguous and
 * aligned (2 MiB pages, 4 KiB VMX regions), and may be limited to a maximum
 * physical address (AP trampoline below 1 MiB, page tables below 4 GiB). */
#ifndef MM_PMM_H
#define MM_PMM_H

#include "hv/compiler.h"
#include "hv/bootinfo.h"
#include "hv/spinlock.h"

#define PMM_MAX_EXTENTS 512

struct pmm_extent {
	uint64_t base; /* page-aligned */
	uint64_t pages;
};

struct pmm {
	struct pmm_extent ext[PMM_MAX_EXTENTS];
	uint32_t count;
	uint64_t free_pages;
	uint64_t total_pages; /* usable pages handed to the allocator at init */
	spinlock_t lock;      /* taken by pmm_alloc/pmm_free; init is single-threaded */
};

/* Builds the free list from the MEM_USABLE ranges of `map` (rounded inward
 * to pages), minus every non-usable range of `map` and minus `reserved`
 * (the hypervisor image, boot info, modules ...), both rounded outward: a
 * page that is even partly reserved is never handed out, and neither is
 * page 0 nor anything at or above 2^52 (the architectural MAXPHYADDR limit).
 * Returns 0 or -ENOSPC if the map is too fragmented for the table. */
int pmm_init(struct pmm *p, const struct mem_range *map, uint32_t map_count,
	     const struct mem_range *reserved, uint32_t reserved_count);

/* Allocates `pages` contiguous pages whose base is a multiple of `align`
 * bytes (a power of two; 0 or anything below 4096 means 4096) and whose end
 * is <= `limit` (0 = no limit). First fit from the lowest address.
 * Returns the physical base, or 0 when nothing fits (0 is never valid);
 * a failed allocation leaves the allocator unchanged. */
uint64_t pmm_alloc(struct pmm *p, uint64_t pages, uint64_t align, uint64_t limit);

/* Returns pages to the pool, merging with neighbours. -EINVAL if the range
 * is unaligned, empty, includes page 0 or overlaps free memory (a double
 * free), -ENOSPC if the table is full (the pages are then lost). */
int pmm_free(struct pmm *p, uint64_t base, uint64_t pages);

/* The machine's allocator (set up by hv start-up). */
extern struct pmm g_pmm;
static inline uint64_t alloc_pages(uint64_t n) { return pmm_alloc(&g_pmm, n, PAGE_SIZE, 0); }

#endif
