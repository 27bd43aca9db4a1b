/* Host 4-level page tables (SDM 3A 4.5). */
#include "mm/paging.h"
#include "mm/pmm.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"
#include "hv/x86.h"

/* Paging-structure entry bits, SDM 3A tables 4-14 to 4-20 */
#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)
#define PTE_PS (1ULL << 7)
#define PTE_NX (1ULL << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ULL
#define PTE_ATTR_MASK (PTE_W | PTE_PWT | PTE_PCD | PTE_NX)

#define LEVEL_SHIFT(l) (12 + 9 * (l)) /* l = 0 (PT) .. 3 (PML4) */
#define LEVEL_SIZE(l) (1ULL << LEVEL_SHIFT(l))
#define INDEX(va, l) (((va) >> LEVEL_SHIFT(l)) & 511)
#define EARLY_MAP_LIMIT (4 * GiB)
#define TABLE_LIMIT (4 * GiB) /* APs load CR3 in 32-bit mode */

extern uint32_t boot_cpu_has_nx;
extern char __image_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[],
	__bss_end[];

static uint64_t *pml4;
static bool has_nx, has_1g;
static bool active;

static uint64_t *new_table(void)
{
	uint64_t pa = pmm_alloc(&g_pmm, 1, PAGE_SIZE, TABLE_LIMIT);
	if (!pa)
		return NULL;
	memset((void *)pa, 0, PAGE_SIZE);
	return (uint64_t *)pa;
}

static uint64_t attrs_for(uint32_t prot)
{
	uint64_t a = PTE_P;
	if (prot & PROT_WRITE)
		a |= PTE_W;
	if (!(prot & PROT_EXEC) && has_nx)
		a |= PTE_NX;
	if (prot & PROT_UNCACHED)
		a |= PTE_PCD | PTE_PWT; /* PAT entry 3: UC */
	return a;
}

/* Replaces a large-page entry at `level` by a table of the next level with
 * the same translation and rights. */
static int split(uint64_t *entry, int level)
{
	uint64_t *t = new_table();
	if (!t)
		return -ENOMEM;
	uint64_t base = *entry & PTE_ADDR_MASK & ~(LEVEL_SIZE(level) - 1);
	uint64_t attrs = *entry & (PTE_ATTR_MASK | PTE_P);
	for (int i = 0; i < 512; i++)
		t[i] = (base + (uint64_t)i * LEVEL_SIZE(level - 1)) | attrs | (level - 1 > 0 ? PTE_PS : 0);
	*entry = (uint64_t)t | PTE_P | PTE_W;
	return 0;
}

/* Returns the entry that maps `va` at `level`, creating or splitting the
 * tables above it. */
static uint64_t *walk(uint64_t va, int level)
{
	uint64_t *t = pml4;
	for (int l = 3; l > level; l--) {
		uint64_t *e = &t[INDEX(va, l)];
		if (!(*e & PTE_P)) {
			uint64_t *n = new_table();
			if (!n)
				return NULL;
			*e = (uint64_t)n | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			if (split(e, l))
				return NULL;
		}
		t = (uint64_t *)(*e & PTE_ADDR_MASK);
	}
	return &t[INDEX(va, level)];
}

static int map_range(uint64_t va, uint64_t pa, uint64_t len, uint64_t attrs)
{
	uint64_t end = va + len;
	while (va < end) {
		int level = 0;
		if (has_1g && IS_ALIGNED(va | pa, LEVEL_SIZE(2)) && end - va >= LEVEL_SIZE(2))
			level = 2;
		else if (IS_ALIGNED(va | pa, LEVEL_SIZE(1)) && end - va >= LEVEL_SIZE(1))
			level = 1;
		uint64_t *e = walk(va, level);
		if (!e)
			return -ENOMEM;
		/* Mapping a large page over an existing table would leak and
		 * lose finer rights: descend instead. */
		if (level > 0 && (*e & PTE_P) && !(*e & PTE_PS)) {
			level = 0;
			e = walk(va, 0);
			if (!e)
				return -ENOMEM;
		}
		*e = (pa & PTE_ADDR_MASK) | attrs | (level ? PTE_PS : 0);
		if (active)
			invlpg(va);
		va += LEVEL_SIZE(level);
		pa += LEVEL_SIZE(level);
	}
	return 0;
}

int paging_map(uint64_t va, uint64_t pa, uint64_t len, uint32_t prot)
{
	if (!IS_ALIGNED(va | pa | len, PAGE_SIZE))
		return -EINVAL;
	return map_range(va, pa, len, attrs_for(prot));
}

int paging_unmap(uint64_t va, uint64_t len)
{
	if (!IS_ALIGNED(va | len, PAGE_SIZE))
		return -EINVAL;
	for (uint64_t a = va; a < va + len; a += PAGE_SIZE) {
		uint64_t *e = walk(a, 0);
		if (!e)
			return -ENOMEM;
		*e = 0;
		if (active)
			invlpg(a);
	}
	return 0;
}

int paging_map_mmio(uint64_t pa, uint64_t len)
{
	uint64_t start = ALIGN_DOWN(pa, PAGE_SIZE);
	uint64_t end = ALIGN_UP(pa + len, PAGE_SIZE);
	if (!pml4)
		return 0; /* early boot: the first 4 GiB are mapped already */
	return map_range(start, start, end - start, attrs_for(PROT_READ | PROT_WRITE | PROT_UNCACHED));
}

/* Finds the leaf entry for va, or NULL. */
static const uint64_t *lookup(uint64_t va)
{
	if (!pml4)
		return NULL;
	const uint64_t *t = pml4;
	for (int l = 3; l >= 0; l--) {
		const uint64_t *e = &t[INDEX(va, l)];
		if (!(*e & PTE_P))
			return NULL;
		if (l == 0 || (*e & PTE_PS))
			return e;
		t = (const uint64_t *)(*e & PTE_ADDR_MASK);
	}
	return NULL;
}

bool paging_is_mapped(uint64_t va)
{
	if (!active)
		return va < EARLY_MAP_LIMIT;
	return lookup(va) != NULL;
}

uint32_t paging_prot(uint64_t va)
{
	const uint64_t *e = lookup(va);
	if (!e)
		return 0;
	uint32_t p = PROT_READ;
	if (*e & PTE_W)
		p |= PROT_WRITE;
	if (!(*e & PTE_NX))
		p |= PROT_EXEC;
	if (*e & PTE_PCD)
		p |= PROT_UNCACHED;
	return p;
}

const void *phys_map(uint64_t phys, uint64_t len)
{
	if (len == 0 || phys + len < phys)
		return NULL;
	for (uint64_t a = ALIGN_DOWN(phys, PAGE_SIZE); a < phys + len; a += PAGE_SIZE)
		if (!paging_is_mapped(a))
			return NULL;
	return (const void *)phys;
}

uint64_t paging_root(void)
{
	return (uint64_t)pml4;
}

static int map_image(void)
{
	uint64_t img = (uint64_t)__image_start;
	int err = map_range(img, img, (uint64_t)__text_end - img, attrs_for(PROT_READ | PROT_EXEC));
	if (!err)
		err = map_range((uint64_t)__rodata_start, (uint64_t)__rodata_start,
				ALIGN_UP((uint64_t)__rodata_end, PAGE_SIZE) - (uint64_t)__rodata_start,
				attrs_for(PROT_READ));
	if (!err)
		err = map_range((uint64_t)__data_start, (uint64_t)__data_start,
				(uint64_t)__bss_end - (uint64_t)__data_start,
				attrs_for(PROT_READ | PROT_WRITE));
	return err;
}

int paging_init(const struct boot_info *bi)
{
	has_nx = boot_cpu_has_nx;
	has_1g = cpuid(0x80000000, 0).eax >= 0x80000001 &&
		 (cpuid(0x80000001, 0).edx & CPUID80000001_EDX_PAGE1G);
	pml4 = new_table();
	if (!pml4)
		return -ENOMEM;

	uint64_t rw = attrs_for(PROT_READ | PROT_WRITE);
	int err = map_range(0, 0, EARLY_MAP_LIMIT, rw);
	for (uint32_t i = 0; !err && i < bi->mmap_count; i++) {
		uint64_t start = ALIGN_DOWN(bi->mmap[i].base, PAGE_SIZE);
		uint64_t end = ALIGN_UP(bi->mmap[i].base + bi->mmap[i].len, PAGE_SIZE);
		if (end > EARLY_MAP_LIMIT) {
			start = MAX(start, EARLY_MAP_LIMIT);
			err = map_range(start, start, end - start, rw);
		}
	}
	if (!err)
		err = map_image();
	if (!err)
		err = paging_unmap(0, PAGE_SIZE); /* NULL dereferences fault */
	if (err)
		return err;
	write_cr3((uint64_t)pml4);
	active = true;
	return 0;
}
