/* EPT paging structures (SDM 3C 29.3.2, tables 29-1 to 29-6).
 *
 * Four levels of 512-entry tables: PML4 (level 4, 512 GiB per entry), PDPT
 * (level 3, 1 GiB), PD (level 2, 2 MiB), PT (level 1, 4 KiB). A PDPTE or PDE
 * with bit 7 set is a leaf for a 1 GiB or 2 MiB page. Every operation is one
 * recursive walk over the tables the range touches; entries are written with
 * single 64-bit stores so a CPU walking the structure at the same time only
 * ever sees a complete old or new entry, and a new table is filled before it
 * is linked. */
#include "vmx/ept.h"

#include "hv/errno.h"
#include "hv/string.h"

#define EPT_ENTRIES 512
#define EPT_LEVELS 4 /* the page-walk length this code builds */

/* Entry bits, SDM 3C tables 29-1..29-6. */
#define EPTE_PROT_MASK 0x7ULL         /* bits 2:0, read/write/execute */
#define EPTE_MEMTYPE_SHIFT 3          /* bits 5:3 of a leaf: memory type */
#define EPTE_MEMTYPE_MASK (7ULL << EPTE_MEMTYPE_SHIFT)
#define EPTE_IGNORE_PAT (1ULL << 6)   /* leaf: ignore guest PAT (left 0) */
#define EPTE_LARGE (1ULL << 7)        /* PDPTE: 1 GiB page, PDE: 2 MiB page */
#define EPTE_ACCESSED (1ULL << 8)     /* set by the CPU when A/D flags are on */
#define EPTE_DIRTY (1ULL << 9)
#define EPTE_ADDR_MASK 0x000ffffffffff000ULL /* bits 51:12 */

/* Memory type encoding (SDM 3A 11.3, as used by EPT and the EPTP). */
#define EPT_MEMTYPE_WB 6ULL

/* EPT pointer fields, SDM 3C 24.6.11. */
#define EPTP_MEMTYPE_WB EPT_MEMTYPE_WB   /* bits 2:0 */
#define EPTP_WALK_LENGTH_SHIFT 3         /* bits 5:3: page-walk length - 1 */
#define EPTP_AD_ENABLE (1ULL << 6)

enum ept_op { EPT_OP_MAP, EPT_OP_UNMAP, EPT_OP_PROTECT };

/* One operation's parameters, carried down the walk. */
struct ept_walk {
	enum ept_op op;
	uint64_t hpa_off; /* map: hpa = gpa + hpa_off (mod 2^64) */
	uint64_t prot;    /* map, protect */
};

static unsigned level_shift(int level)
{
	return 12 + 9 * (unsigned)(level - 1);
}

static uint64_t level_size(int level)
{
	return 1ULL << level_shift(level);
}

static unsigned entry_index(uint64_t gpa, int level)
{
	return (unsigned)(gpa >> level_shift(level)) & (EPT_ENTRIES - 1);
}

/* The CPU sets A/D bits in entries while it walks: read and write entries
 * whole, and order a table's contents before the store that links it. */
static uint64_t entry_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void entry_store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Bits 2:0 all clear: not present (SDM 3C 29.3.2). */
static bool entry_present(uint64_t entry)
{
	return (entry & EPTE_PROT_MASK) != 0;
}

static bool entry_is_leaf(uint64_t entry, int level)
{
	return level == 1 || (level <= 3 && (entry & EPTE_LARGE));
}

static bool entry_is_table(uint64_t entry, int level)
{
	return entry_present(entry) && !entry_is_leaf(entry, level);
}

static uint64_t make_leaf(uint64_t hpa, uint64_t prot, int level)
{
	uint64_t entry = (hpa & EPTE_ADDR_MASK) | prot | (EPT_MEMTYPE_WB << EPTE_MEMTYPE_SHIFT);

	return level > 1 ? entry | EPTE_LARGE : entry;
}

/* Non-leaf entries grant everything: the rights of a translation are those
 * of all the entries on its walk, so the leaf alone decides them. */
static uint64_t make_table_entry(uint64_t phys)
{
	return (phys & EPTE_ADDR_MASK) | EPT_RWX;
}

static bool level_allows_leaf(const struct ept *e, int level)
{
	return level == 1 || (level == 2 && e->large_2m) || (level == 3 && e->large_1g);
}

static uint64_t *table_virt(const struct ept *e, uint64_t entry)
{
	return e->ops.to_virt(e->ops.ctx, entry & EPTE_ADDR_MASK);
}

static uint64_t *table_alloc(struct ept *e, uint64_t *phys)
{
	uint64_t *t = e->ops.alloc_table(e->ops.ctx, phys);

	if (!t)
		return NULL;
	/* A stale entry would hand the guest host memory: never trust reuse. */
	memset(t, 0, PAGE_SIZE);
	e->tables++;
	return t;
}

static void table_release(struct ept *e, uint64_t *t, uint64_t phys)
{
	e->ops.free_table(e->ops.ctx, t, phys);
	e->tables--;
}

/* Frees a table of `level` and every table below it. */
static void free_subtree(struct ept *e, uint64_t phys, int level)
{
	uint64_t *t = e->ops.to_virt(e->ops.ctx, phys);

	if (level > 1) {
		for (unsigned i = 0; i < EPT_ENTRIES; i++) {
			uint64_t entry = t[i];

			if (entry_is_table(entry, level))
				free_subtree(e, entry & EPTE_ADDR_MASK, level - 1);
		}
	}
	table_release(e, t, phys);
}

static bool table_empty(const uint64_t *t)
{
	for (unsigned i = 0; i < EPT_ENTRIES; i++) {
		if (entry_load(&t[i]))
			return false;
	}
	return true;
}

/* The table under the entry at *p (level > 1): the existing one, a new empty
 * one for a hole, or, for a large page, a new table of the next smaller
 * pages carrying the same mapping, rights, memory type and A/D bits. NULL
 * when no table can be had; *p is then untouched. */
static uint64_t *table_below(struct ept *e, uint64_t *p, int level)
{
	uint64_t entry = entry_load(p);
	uint64_t phys;

	if (entry_is_table(entry, level))
		return table_virt(e, entry);
	uint64_t *t = table_alloc(e, &phys);

	if (!t)
		return NULL;
	if (entry_present(entry)) {
		uint64_t attrs = entry & ~EPTE_ADDR_MASK;
		uint64_t base = entry & EPTE_ADDR_MASK;
		uint64_t step = level_size(level - 1);

		if (level - 1 == 1)
			attrs &= ~EPTE_LARGE;
		for (unsigned i = 0; i < EPT_ENTRIES; i++)
			t[i] = (base + i * step) | attrs;
	}
	entry_store(p, make_table_entry(phys));
	return t;
}

/* Replaces the entry at *p and frees the tables it pointed to, if any. */
static void entry_replace(struct ept *e, uint64_t *p, int level, uint64_t new_entry)
{
	uint64_t old = entry_load(p);

	entry_store(p, new_entry);
	if (entry_is_table(old, level))
		free_subtree(e, old & EPTE_ADDR_MASK, level - 1);
}

/* True if the large-page leaf `entry`, covering from `base`, already maps
 * its whole page the way `w` asks (A/D bits aside). */
static bool leaf_matches(uint64_t entry, uint64_t base, const struct ept_walk *w)
{
	uint64_t mask = EPTE_ADDR_MASK | EPTE_PROT_MASK | EPTE_LARGE | EPTE_MEMTYPE_MASK | EPTE_IGNORE_PAT;

	return (entry & mask) == make_leaf(base + w->hpa_off, w->prot, 2);
}

static int walk_range(struct ept *e, uint64_t *table, int level, uint64_t start, uint64_t end,
		      const struct ept_walk *w);

/* Handles [lo, hi), the part of the range under one entry (*p, covering
 * [base, base + level_size(level))). Returns 0 or -ENOMEM. */
static int walk_entry(struct ept *e, uint64_t *p, int level, uint64_t base, uint64_t lo, uint64_t hi,
		      const struct ept_walk *w)
{
	uint64_t size = level_size(level);
	bool full = lo == base && hi == base + size;
	uint64_t entry = entry_load(p);

	switch (w->op) {
	case EPT_OP_MAP:
		if (full && level_allows_leaf(e, level) && IS_ALIGNED(base + w->hpa_off, size)) {
			entry_replace(e, p, level, make_leaf(base + w->hpa_off, w->prot, level));
			return 0;
		}
		/* A large page already mapping this part the same way stays whole. */
		if (level > 1 && entry_present(entry) && entry_is_leaf(entry, level) &&
		    leaf_matches(entry, base, w))
			return 0;
		break;
	case EPT_OP_UNMAP:
		if (!entry_present(entry))
			return 0;
		if (full) {
			entry_replace(e, p, level, 0);
			return 0;
		}
		break;
	case EPT_OP_PROTECT:
		if (!entry_present(entry))
			return 0;
		if (entry_is_leaf(entry, level)) {
			if ((entry & EPTE_PROT_MASK) == w->prot)
				return 0;
			if (full) {
				entry_store(p, (entry & ~EPTE_PROT_MASK) | w->prot);
				return 0;
			}
		}
		break;
	}

	/* Part of this entry: work one level down. */
	uint64_t *child = table_below(e, p, level);

	if (!child)
		return -ENOMEM;
	int rc = walk_range(e, child, level - 1, lo, hi, w);

	/* Unmapping, or a map that failed under a table it had just made, may
	 * leave the table empty: drop it rather than keep a table per hole. */
	if ((w->op == EPT_OP_UNMAP || rc) && table_empty(child))
		entry_replace(e, p, level, 0);
	return rc;
}

static int walk_range(struct ept *e, uint64_t *table, int level, uint64_t start, uint64_t end,
		      const struct ept_walk *w)
{
	uint64_t size = level_size(level);

	while (start < end) {
		uint64_t base = ALIGN_DOWN(start, size);
		uint64_t hi = MIN(end, base + size);
		int rc = walk_entry(e, &table[entry_index(start, level)], level, base, start, hi, w);

		if (rc)
			return rc;
		start = hi;
	}
	return 0;
}

static int check_gpa_range(const struct ept *e, uint64_t gpa, uint64_t size)
{
	if (!e->root || size == 0 || !IS_ALIGNED(gpa, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE))
		return -EINVAL;
	if (gpa >= EPT_GPA_LIMIT || size > EPT_GPA_LIMIT - gpa)
		return -ERANGE;
	return 0;
}

static int check_prot(const struct ept *e, uint32_t prot)
{
	if (prot == 0 || (prot & ~EPT_RWX))
		return -EINVAL;
	/* SDM 3C 29.3.3.1: write without read is a misconfiguration, and so is
	 * execute-only unless the CPU supports it. */
	if ((prot & EPT_WRITE) && !(prot & EPT_READ))
		return -EINVAL;
	if (prot == EPT_EXEC && !e->exec_only)
		return -EINVAL;
	return 0;
}

int ept_init(struct ept *e, const struct ept_ops *ops, bool large_2m, bool large_1g, bool ad)
{
	memset(e, 0, sizeof(*e));
	if (!ops || !ops->alloc_table || !ops->free_table || !ops->to_virt)
		return -EINVAL;
	e->ops = *ops;
	e->large_2m = large_2m;
	e->large_1g = large_1g && large_2m;
	e->ad = ad;
	e->root = table_alloc(e, &e->root_phys);
	if (!e->root)
		return -ENOMEM;
	return 0;
}

void ept_destroy(struct ept *e)
{
	if (!e->root)
		return;
	free_subtree(e, e->root_phys, EPT_LEVELS);
	e->root = NULL;
	e->root_phys = 0;
}

int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint32_t prot)
{
	int rc = check_gpa_range(e, gpa, size);

	if (rc)
		return rc;
	if (!IS_ALIGNED(hpa, PAGE_SIZE))
		return -EINVAL;
	if (hpa >= EPT_HPA_LIMIT || size > EPT_HPA_LIMIT - hpa)
		return -ERANGE;
	rc = check_prot(e, prot);
	if (rc)
		return rc;
	struct ept_walk w = { .op = EPT_OP_MAP, .hpa_off = hpa - gpa, .prot = prot };

	return walk_range(e, e->root, EPT_LEVELS, gpa, gpa + size, &w);
}

int ept_unmap(struct ept *e, uint64_t gpa, uint64_t size)
{
	int rc = check_gpa_range(e, gpa, size);

	if (rc)
		return rc;
	struct ept_walk w = { .op = EPT_OP_UNMAP };

	return walk_range(e, e->root, EPT_LEVELS, gpa, gpa + size, &w);
}

int ept_protect(struct ept *e, uint64_t gpa, uint64_t size, uint32_t prot)
{
	int rc = check_gpa_range(e, gpa, size);

	if (rc)
		return rc;
	rc = check_prot(e, prot);
	if (rc)
		return rc;
	struct ept_walk w = { .op = EPT_OP_PROTECT, .prot = prot };

	return walk_range(e, e->root, EPT_LEVELS, gpa, gpa + size, &w);
}

int ept_lookup(const struct ept *e, uint64_t gpa, uint64_t *hpa, uint32_t *prot, uint64_t *page_size)
{
	if (!e->root || gpa >= EPT_GPA_LIMIT)
		return -ENOENT;
	const uint64_t *table = e->root;

	for (int level = EPT_LEVELS; level >= 1; level--) {
		uint64_t entry = entry_load(&table[entry_index(gpa, level)]);

		if (!entry_present(entry))
			return -ENOENT;
		if (entry_is_leaf(entry, level)) {
			uint64_t size = level_size(level);

			*hpa = (entry & EPTE_ADDR_MASK & ~(size - 1)) | (gpa & (size - 1));
			*prot = (uint32_t)(entry & EPTE_PROT_MASK);
			*page_size = size;
			return 0;
		}
		table = table_virt(e, entry);
	}
	return -ENOENT; /* not reached: level 1 entries are leaves */
}

uint64_t ept_pointer(const struct ept *e)
{
	uint64_t eptp = (e->root_phys & EPTE_ADDR_MASK) | EPTP_MEMTYPE_WB |
			((uint64_t)(EPT_LEVELS - 1) << EPTP_WALK_LENGTH_SHIFT);

	return e->ad ? eptp | EPTP_AD_ENABLE : eptp;
}
