/* Physical frame allocator over a sorted table of free extents.
 *
 * Invariants between calls: ext[0..count) is sorted by base, every extent is
 * non-empty, page-aligned and below PMM_PHYS_LIMIT, no two extents overlap or
 * touch (touching ones are always merged), page 0 is never in the table, and
 * free_pages is the sum of all extent sizes. */
#include "mm/pmm.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"

/* x86-64 physical addresses have at most 52 bits (MAXPHYADDR <= 52, SDM
 * Vol. 3A 4.1.4). Clamping every range here keeps all byte arithmetic far
 * away from 64-bit overflow. */
#define PMM_PHYS_LIMIT (1ULL << 52)

struct pmm g_pmm;

static uint64_t ext_end(const struct pmm_extent *e)
{
	return e->base + e->pages * PAGE_SIZE;
}

/* Clamps [base, base + len) to the physical limit without overflowing.
 * Returns false if nothing of it remains. */
static bool clamp_range(uint64_t base, uint64_t len, uint64_t *start, uint64_t *end)
{
	if (len == 0 || base >= PMM_PHYS_LIMIT)
		return false;
	*start = base;
	*end = len > PMM_PHYS_LIMIT - base ? PMM_PHYS_LIMIT : base + len;
	return true;
}

static void remove_at(struct pmm *p, uint32_t i)
{
	memmove(&p->ext[i], &p->ext[i + 1], (p->count - i - 1) * sizeof(p->ext[0]));
	p->count--;
}

/* The caller has checked that the table has room. */
static void insert_at(struct pmm *p, uint32_t i, uint64_t start, uint64_t end)
{
	memmove(&p->ext[i + 1], &p->ext[i], (p->count - i) * sizeof(p->ext[0]));
	p->ext[i].base = start;
	p->ext[i].pages = (end - start) / PAGE_SIZE;
	p->count++;
}

/* Index of the first extent whose base is >= addr (count if none). */
static uint32_t lower_bound(const struct pmm *p, uint64_t addr)
{
	uint32_t lo = 0, hi = p->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (p->ext[mid].base < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Adds the page-aligned range [start, end) at init, where usable map entries
 * may overlap or touch each other: every extent it overlaps or touches is
 * absorbed into one. */
static int add_range(struct pmm *p, uint64_t start, uint64_t end)
{
	uint32_t i = lower_bound(p, start);

	/* The previous extent may reach into or touch the new range. */
	if (i > 0 && ext_end(&p->ext[i - 1]) >= start)
		i--;
	uint32_t j = i;
	while (j < p->count && p->ext[j].base <= end) {
		start = MIN(start, p->ext[j].base);
		end = MAX(end, ext_end(&p->ext[j]));
		j++;
	}
	if (j == i) {
		if (p->count == PMM_MAX_EXTENTS)
			return -ENOSPC;
		insert_at(p, i, start, end);
		return 0;
	}
	p->ext[i].base = start;
	p->ext[i].pages = (end - start) / PAGE_SIZE;
	while (j > i + 1)
		remove_at(p, --j);
	return 0;
}

/* Removes the page-aligned range [start, end) from whatever extents it
 * covers; an extent split in two needs one more slot. */
static int sub_range(struct pmm *p, uint64_t start, uint64_t end)
{
	uint32_t i = lower_bound(p, start);

	if (i > 0 && ext_end(&p->ext[i - 1]) > start)
		i--;
	while (i < p->count && p->ext[i].base < end) {
		struct pmm_extent *e = &p->ext[i];
		uint64_t e_start = e->base, e_end = ext_end(e);

		if (start <= e_start && end >= e_end) {
			remove_at(p, i);
			continue;
		}
		if (start > e_start && end < e_end) {
			if (p->count == PMM_MAX_EXTENTS)
				return -ENOSPC;
			e->pages = (start - e_start) / PAGE_SIZE;
			insert_at(p, i + 1, end, e_end);
			return 0;
		}
		if (start > e_start) {
			e->pages = (start - e_start) / PAGE_SIZE;
		} else {
			e->base = end;
			e->pages = (e_end - end) / PAGE_SIZE;
		}
		i++;
	}
	return 0;
}

/* Subtracts a range rounded outward: a page that is partly reserved is not
 * usable. */
static int reserve_range(struct pmm *p, uint64_t base, uint64_t len)
{
	uint64_t start, end;

	if (!clamp_range(base, len, &start, &end))
		return 0;
	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE); /* end <= 2^52: cannot overflow */
	return sub_range(p, start, end);
}

static uint64_t count_free(const struct pmm *p)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < p->count; i++)
		n += p->ext[i].pages;
	return n;
}

static int build_table(struct pmm *p, const struct mem_range *map, uint32_t map_count,
		       const struct mem_range *reserved, uint32_t reserved_count)
{
	int err;

	for (uint32_t i = 0; i < map_count; i++) {
		uint64_t start, end;

		if (map[i].type != MEM_USABLE || !clamp_range(map[i].base, map[i].len, &start, &end))
			continue;
		start = ALIGN_UP(start, PAGE_SIZE);
		end = ALIGN_DOWN(end, PAGE_SIZE);
		if (start >= end)
			continue;
		err = add_range(p, start, end);
		if (err)
			return err;
	}
	/* Firmware maps may overlap; whatever any entry calls non-usable wins. */
	for (uint32_t i = 0; i < map_count; i++) {
		if (map[i].type == MEM_USABLE)
			continue;
		err = reserve_range(p, map[i].base, map[i].len);
		if (err)
			return err;
	}
	for (uint32_t i = 0; i < reserved_count; i++) {
		err = reserve_range(p, reserved[i].base, reserved[i].len);
		if (err)
			return err;
	}
	/* Page 0: 0 is the allocator's failure value (and the real-mode IVT). */
	return sub_range(p, 0, PAGE_SIZE);
}

int pmm_init(struct pmm *p, const struct mem_range *map, uint32_t map_count,
	     const struct mem_range *reserved, uint32_t reserved_count)
{
	memset(p, 0, sizeof(*p));
	p->lock = (spinlock_t)SPINLOCK_INIT;
	if ((map_count && !map) || (reserved_count && !reserved)) {
		pr_err("pmm: no memory map given");
		return -EINVAL;
	}
	int err = build_table(p, map, map_count, reserved, reserved_count);
	if (err) {
		pr_err("pmm: memory map too fragmented (more than %u free extents)",
		       PMM_MAX_EXTENTS);
		p->count = 0;
		return err;
	}
	p->free_pages = count_free(p);
	p->total_pages = p->free_pages;
	return 0;
}

/* Finds where `pages` pages aligned to `align` fit in extent e below
 * `limit`. Returns the base, or 0 if they do not fit. */
static uint64_t fit_in(const struct pmm_extent *e, uint64_t pages, uint64_t align,
		       uint64_t limit)
{
	/* e->base < 2^52 and align <= 2^51, so this cannot overflow. */
	uint64_t start = ALIGN_UP(e->base, align);
	uint64_t end = MIN(ext_end(e), limit);

	if (start >= end || pages > (end - start) / PAGE_SIZE)
		return 0;
	return start;
}

static uint64_t alloc_locked(struct pmm *p, uint64_t pages, uint64_t align, uint64_t limit)
{
	for (uint32_t i = 0; i < p->count; i++) {
		struct pmm_extent *e = &p->ext[i];

		/* Sorted table: nothing further up can end below the limit. */
		if (e->base >= limit)
			break;
		uint64_t start = fit_in(e, pages, align, limit);
		if (!start)
			continue;
		uint64_t end = start + pages * PAGE_SIZE;
		uint64_t e_start = e->base, e_end = ext_end(e);
		bool head = start > e_start, tail = end < e_end;

		if (head && tail) {
			/* Splitting needs a slot; another extent may fit whole. */
			if (p->count == PMM_MAX_EXTENTS)
				continue;
			e->pages = (start - e_start) / PAGE_SIZE;
			insert_at(p, i + 1, end, e_end);
		} else if (head) {
			e->pages = (start - e_start) / PAGE_SIZE;
		} else if (tail) {
			e->base = end;
			e->pages = (e_end - end) / PAGE_SIZE;
		} else {
			remove_at(p, i);
		}
		p->free_pages -= pages;
		return start;
	}
	return 0;
}

uint64_t pmm_alloc(struct pmm *p, uint64_t pages, uint64_t align, uint64_t limit)
{
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	if (align & (align - 1)) {
		pr_err("pmm: alignment 0x%llx is not a power of two", (unsigned long long)align);
		return 0;
	}
	if (limit == 0 || limit > PMM_PHYS_LIMIT)
		limit = PMM_PHYS_LIMIT;
	if (pages == 0 || pages > PMM_PHYS_LIMIT / PAGE_SIZE || align >= PMM_PHYS_LIMIT)
		return 0;

	spin_lock(&p->lock);
	uint64_t base = alloc_locked(p, pages, align, limit);
	spin_unlock(&p->lock);
	return base;
}

/* Inserts [base, end) into the table, merging with the neighbours it
 * touches. Returns 0, -EINVAL on overlap with free memory, -ENOSPC. */
static int free_locked(struct pmm *p, uint64_t base, uint64_t end)
{
	uint32_t i = lower_bound(p, base);
	struct pmm_extent *prev = i > 0 ? &p->ext[i - 1] : NULL;
	struct pmm_extent *next = i < p->count ? &p->ext[i] : NULL;

	if ((prev && ext_end(prev) > base) || (next && next->base < end))
		return -EINVAL;

	bool join_prev = prev && ext_end(prev) == base;
	bool join_next = next && next->base == end;
	uint64_t pages = (end - base) / PAGE_SIZE;

	if (join_prev && join_next) {
		prev->pages += pages + next->pages;
		remove_at(p, i);
	} else if (join_prev) {
		prev->pages += pages;
	} else if (join_next) {
		next->base = base;
		next->pages += pages;
	} else {
		if (p->count == PMM_MAX_EXTENTS)
			return -ENOSPC;
		insert_at(p, i, base, end);
	}
	p->free_pages += pages;
	return 0;
}

int pmm_free(struct pmm *p, uint64_t base, uint64_t pages)
{
	if (!IS_ALIGNED(base, PAGE_SIZE) || pages == 0 || base == 0 ||
	    pages > PMM_PHYS_LIMIT / PAGE_SIZE || base > PMM_PHYS_LIMIT - pages * PAGE_SIZE) {
		pr_err("pmm: bad free of 0x%llx (%llu pages)", (unsigned long long)base,
		       (unsigned long long)pages);
		return -EINVAL;
	}

	spin_lock(&p->lock);
	int err = free_locked(p, base, base + pages * PAGE_SIZE);
	spin_unlock(&p->lock);

	if (err == -EINVAL)
		pr_err("pmm: double free of 0x%llx (%llu pages)", (unsigned long long)base,
		       (unsigned long long)pages);
	else if (err == -ENOSPC)
		pr_err("pmm: free extent table full, losing 0x%llx (%llu pages)",
		       (unsigned long long)base, (unsigned long long)pages);
	return err;
}
