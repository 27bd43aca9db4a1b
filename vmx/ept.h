/* EPT page tables (SDM 3C 29.3): a 4-level structure mapping guest-physical
 * to host-physical addresses with read/write/execute rights, write-back
 * memory type, 2 MiB and 1 GiB pages where alignment and the CPU allow.
 * Pure logic over an allocator, so host tests can walk what it builds.
 *
 * No locking and no logging: the VM serialises changes and reports errors.
 * No invalidation either: after ept_map over an existing mapping, ept_unmap
 * or ept_protect the caller must INVEPT (single-context) on every CPU that
 * runs on this EPT before relying on the change. */
#ifndef VMX_EPT_H
#define VMX_EPT_H

#include "hv/compiler.h"

#define EPT_READ 0x1
#define EPT_WRITE 0x2
#define EPT_EXEC 0x4
#define EPT_RWX (EPT_READ | EPT_WRITE | EPT_EXEC)

/* A 4-level walk translates 48-bit guest-physical addresses (SDM 3C 29.3.2);
 * host-physical addresses go up to bit 51. */
#define EPT_GPA_LIMIT (1ULL << 48)
#define EPT_HPA_LIMIT (1ULL << 52)

/* Where tables come from: alloc returns a 4 KiB-aligned page (zeroed here
 * anyway) and its physical address, or NULL; to_virt turns a table's
 * physical address back into a pointer. On the machine both are the
 * identity map and the frame allocator. A table is unlinked from the
 * structure before free_table is called, but the CPU may still hold it in
 * its paging-structure caches until the caller's INVEPT: a free_table used
 * while vCPUs run on this EPT should defer the real release until then. */
struct ept_ops {
	void *(*alloc_table)(void *ctx, uint64_t *phys);
	void (*free_table)(void *ctx, void *table, uint64_t phys);
	void *(*to_virt)(void *ctx, uint64_t phys);
	void *ctx;
};

struct ept {
	struct ept_ops ops;
	uint64_t root_phys;
	uint64_t *root;
	bool large_2m; /* use 2 MiB pages (IA32_VMX_EPT_VPID_CAP bit 16) */
	bool large_1g; /* use 1 GiB pages (bit 17); only together with large_2m */
	bool ad;       /* accessed/dirty flags enabled in the EPTP (bit 21) */
	bool exec_only; /* execute-only pages allowed (bit 0); ept_init clears it */
	uint64_t tables; /* tables in use, root included */
};

/* Allocates the root table. large_1g without large_2m is taken as no large
 * pages of 1 GiB either, so that splitting a 1 GiB page never needs 512
 * page tables. -EINVAL if an op is missing, -ENOMEM. */
int ept_init(struct ept *e, const struct ept_ops *ops, bool large_2m, bool large_1g, bool ad);
/* Frees every table; `e` may then be initialised again. Safe to repeat. */
void ept_destroy(struct ept *e);

/* Maps [gpa, gpa+size) to [hpa, ...) with `prot` (EPT_* bits), write-back.
 * Replaces whatever was there, splitting large pages as needed (the rest of
 * a split page keeps its mapping) and freeing tables a new large page
 * covers. Errors: -EINVAL for size 0, a misaligned address or size, or a
 * prot that is 0, has unknown bits, is write-without-read (an EPT
 * misconfiguration, SDM 3C 29.3.3.1) or execute-only without exec_only;
 * -ERANGE beyond EPT_GPA_LIMIT / EPT_HPA_LIMIT; -ENOMEM when tables run
 * out: every entry is then still valid, each page holding either its old
 * mapping or the new one, and callers unmap the range. */
int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint32_t prot);
/* Removes the range, splitting large pages at its edges (-ENOMEM if a split
 * cannot get a table: the range is then partly unmapped) and freeing
 * tables left empty. Holes in the range are fine. -EINVAL, -ERANGE as map. */
int ept_unmap(struct ept *e, uint64_t gpa, uint64_t size);
/* Sets the rights of the mapped pages in the range (dirty logging
 * write-protects), splitting large pages at its edges when their rights
 * change; holes are skipped. Errors as ept_unmap, plus the prot rules. */
int ept_protect(struct ept *e, uint64_t gpa, uint64_t size, uint32_t prot);

/* Translates one address: 0 and hpa/prot/page size, or -ENOENT. */
int ept_lookup(const struct ept *e, uint64_t gpa, uint64_t *hpa, uint32_t *prot, uint64_t *page_size);

/* The EPT pointer for the VMCS (SDM 3C 24.6.11): WB, 4-level walk, A/D bit. */
uint64_t ept_pointer(const struct ept *e);

#endif
