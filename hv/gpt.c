/* Guest page walks, SDM 3A 4.3 (32-bit), 4.4 (PAE), 4.5 (4-level). */
#include "hv/gpt.h"
#include "hv/errno.h"

#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LMA (1ULL << 10)
#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_PS (1ULL << 7)
#define ADDR_MASK 0x000FFFFFFFFFF000ULL
#define EACCES 13

enum gpt_mode gpt_mode_of(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	if (!(cr0 & CR0_PG))
		return GPT_NONE;
	if (efer & EFER_LMA)
		return GPT_4LEVEL;
	return cr4 & CR4_PAE ? GPT_PAE : GPT_32BIT;
}

static int read_entry(const struct gpt_walker *w, uint64_t gpa, size_t size, uint64_t *e)
{
	uint64_t v = 0;
	if (w->read(w->ctx, gpa, &v, size))
		return -EFAULT;
	*e = v;
	if (w->path && w->path->count < GPT_PATH_MAX)
		w->path->entry[w->path->count++] = (struct gpt_path_entry){gpa, v, (uint8_t)size};
	return 0;
}

static int walk_32bit(const struct gpt_walker *w, uint64_t cr3, bool pse, uint64_t gla, bool write,
		      uint64_t *gpa)
{
	uint64_t pde, pte;
	uint32_t la = (uint32_t)gla;

	if (read_entry(w, (cr3 & 0xFFFFF000) + ((la >> 22) * 4), 4, &pde))
		return -EFAULT;
	if (!(pde & PTE_P))
		return -ENOENT;
	if (write && !(pde & PTE_W))
		return -EACCES;
	if (pse && (pde & PTE_PS)) {
		/* 4 MiB page; PDE bits 20:13 give physical bits 39:32 (PSE-36) */
		*gpa = (pde & 0xFFC00000) | ((pde & 0x1FE000) << 19) | (la & 0x3FFFFF);
		return 0;
	}
	if (read_entry(w, (pde & 0xFFFFF000) + (((la >> 12) & 0x3FF) * 4), 4, &pte))
		return -EFAULT;
	if (!(pte & PTE_P))
		return -ENOENT;
	if (write && !(pte & PTE_W))
		return -EACCES;
	*gpa = (pte & 0xFFFFF000) | (la & 0xFFF);
	return 0;
}

/* PAE and 4-level share the 8-byte entry format below the top level. */
static int walk_levels(const struct gpt_walker *w, uint64_t table, int level, uint64_t gla, bool write,
		       uint64_t *gpa)
{
	for (; level >= 0; level--) {
		uint64_t e;
		unsigned shift = 12 + 9 * (unsigned)level;
		if (read_entry(w, table + ((gla >> shift) & 511) * 8, 8, &e))
			return -EFAULT;
		if (!(e & PTE_P))
			return -ENOENT;
		if (write && !(e & PTE_W))
			return -EACCES;
		if (level == 0 || ((e & PTE_PS) && level <= 2)) {
			uint64_t page_mask = (1ULL << shift) - 1;
			*gpa = (e & ADDR_MASK & ~page_mask) | (gla & page_mask);
			return 0;
		}
		table = e & ADDR_MASK;
	}
	return -ENOENT;
}

int gpt_translate(const struct gpt_walker *w, enum gpt_mode mode, uint64_t cr3, bool pse,
		  uint64_t gla, bool write, uint64_t *gpa)
{
	if (w->path)
		w->path->count = 0;
	switch (mode) {
	case GPT_NONE:
		*gpa = gla & 0xFFFFFFFF;
		return 0;
	case GPT_32BIT:
		return walk_32bit(w, cr3, pse, gla, write, gpa);
	case GPT_PAE: {
		uint64_t pdpte;
		uint32_t la = (uint32_t)gla;
		if (read_entry(w, (cr3 & 0xFFFFFFE0) + ((la >> 30) * 8), 8, &pdpte))
			return -EFAULT;
		if (!(pdpte & PTE_P))
			return -ENOENT;
		return walk_levels(w, pdpte & ADDR_MASK, 1, la, write, gpa);
	}
	case GPT_4LEVEL:
		return walk_levels(w, cr3 & ADDR_MASK, 3, gla, write, gpa);
	}
	return -EINVAL;
}
