/* Guest page-table walks: guest-linear to guest-physical addresses in every
 * x86 paging mode (SDM 3A chapter 4), over a guest-memory reader so host
 * tests can build tables in a buffer. */
#ifndef HV_GPT_H
#define HV_GPT_H

#include "hv/compiler.h"

enum gpt_mode {
	GPT_NONE,   /* paging off: linear == physical */
	GPT_32BIT,  /* CR4.PAE=0: 2 levels, 4 MiB pages with CR4.PSE */
	GPT_PAE,    /* 3 levels from a 32-byte-aligned PDPT */
	GPT_4LEVEL, /* IA-32e */
};

/* The most entries one walk reads: 4-level paging reads four (SDM 3A 4.5). */
#define GPT_PATH_MAX 4

/* The page-table entries a walk read, in order: the translation it gave is
 * a function of CR3, the mode, CR4.PSE and these values alone, so while
 * they hold the same values at the same addresses it still holds. */
struct gpt_path {
	uint32_t count;
	struct gpt_path_entry {
		uint64_t gpa;
		uint64_t val;
		uint8_t size; /* 4 (32-bit paging) or 8 */
	} entry[GPT_PATH_MAX];
};

struct gpt_walker {
	/* Reads `len` bytes of guest-physical memory; -EFAULT outside RAM. */
	int (*read)(void *ctx, uint64_t gpa, void *dst, size_t len);
	void *ctx;
	struct gpt_path *path; /* if set, receives the entries read (count reset first) */
};

enum gpt_mode gpt_mode_of(uint64_t cr0, uint64_t cr4, uint64_t efer);

/* 0 and *gpa, -ENOENT for a not-present translation (the guest would take
 * a #PF), -EFAULT when a table lies outside guest RAM. `write` checks the
 * R/W bits along the way (-EACCES when a write is not allowed). */
int gpt_translate(const struct gpt_walker *w, enum gpt_mode mode, uint64_t cr3, bool pse,
		  uint64_t gla, bool write, uint64_t *gpa);

#endif
