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

struct gpt_walker {
	/* Reads `len` bytes of guest-physical memory; -EFAULT outside RAM. */
	int (*read)(void *ctx, uint64_t gpa, void *dst, size_t len);
	void *ctx;
};

enum gpt_mode gpt_mode_of(uint64_t cr0, uint64_t cr4, uint64_t efer);

/* 0 and *gpa, -ENOENT for a not-present translation (the guest would take
 * a #PF), -EFAULT when a table lies outside guest RAM. `write` checks the
 * R/W bits along the way (-EACCES when a write is not allowed). */
int gpt_translate(const struct gpt_walker *w, enum gpt_mode mode, uint64_t cr3, bool pse,
		  uint64_t gla, bool write, uint64_t *gpa);

#endif
