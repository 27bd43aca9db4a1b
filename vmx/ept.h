/* EPT page tables (SDM 3C 29.3): a 4-level structure mapping guest-physical
 * to host-physical addresses with read/write/execute rights, write-back
 * memory type, 2 MiB and 1 GiB pages where alignment and the CPU allow.
 * Pure logic over an allocator, so host tests can walk what it builds. */
#ifndef VMX_EPT_H
#define VMX_EPT_H

#include "hv/compiler.h"

#define EPT_READ 0x1
#define EPT_WRITE 0x2
#define EPT_EXEC 0x4
#define EPT_RWX (EPT_READ | EPT_WRITE | EPT_EXEC)

/* Where tables come from: alloc returns a zeroed, 4 KiB-aligned page and its
 * physical address; to_virt turns a table's physical address back into a
 * pointer. On the machine both are the identity map and the frame allocator. */
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
	bool large_1g; /* use 1 GiB pages (bit 17) */
	bool ad;       /* accessed/dirty flags enabled in the EPTP (bit 21) */
	uint64_t tables; /* tables in use, root included */
};

int ept_init(struct ept *e, const struct ept_ops *ops, bool large_2m, bool large_1g, bool ad);
/* Frees every table. */
void ept_destroy(struct ept *e);

/* Maps [gpa, gpa+size) to [hpa, ...) with `prot` (EPT_* bits), write-back.
 * Page-aligned; replaces whatever was there (splitting large pages as
 * needed). -EINVAL on misalignment, -ENOMEM when tables run out (the
 * mapping may then be partial: callers unmap the range). */
int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint32_t prot);
/* Removes the range (splitting large pages at its edges). */
int ept_unmap(struct ept *e, uint64_t gpa, uint64_t size);
/* Changes the rights of an already-mapped range (dirty logging write-protects). */
int ept_protect(struct ept *e, uint64_t gpa, uint64_t size, uint32_t prot);

/* Translates one address: 0 and hpa/prot/page size, or -ENOENT. */
int ept_lookup(const struct ept *e, uint64_t gpa, uint64_t *hpa, uint32_t *prot, uint64_t *page_size);

/* The EPT pointer for the VMCS (SDM 3C 24.6.11): WB, 4-level walk, A/D bit. */
uint64_t ept_pointer(const struct ept *e);

#endif
