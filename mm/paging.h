/* Host page tables: an identity map (virtual == physical) of all RAM and the
 * first 4 GiB, with per-section rights for the hypervisor image (W^X: code
 * read-only+executable, everything else non-executable), page 0 unmapped,
 * stack guard pages unmapped, and device pages uncached. */
#ifndef MM_PAGING_H
#define MM_PAGING_H

#include "hv/compiler.h"
#include "hv/bootinfo.h"

#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define PROT_UNCACHED 0x8

/* Builds the tables from the memory map and switches CR3 to them. */
int paging_init(const struct boot_info *bi);
/* Map/unmap [va, va+len) (4 KiB granular; large pages are split as needed).
 * Only at boot, before other CPUs run: no TLB shootdown. */
int paging_map(uint64_t va, uint64_t pa, uint64_t len, uint32_t prot);
int paging_unmap(uint64_t va, uint64_t len);
int paging_map_mmio(uint64_t pa, uint64_t len);
uint64_t paging_root(void);
bool paging_is_mapped(uint64_t va);
/* The rights a page is mapped with (0 when not present). */
uint32_t paging_prot(uint64_t va);

/* phys_map_fn for parsers: the identity pointer when every page of the
 * range is mapped (below 4 GiB during early boot), else NULL. */
const void *phys_map(uint64_t phys, uint64_t len);

#endif
