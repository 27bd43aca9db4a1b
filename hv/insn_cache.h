/* A per-vCPU cache of decoded MMIO instructions (vendor-neutral).
 *
 * Emulating an MMIO access starts with a guest page walk, a fetch and the
 * decoder (hv/insn.c): most of the exit's cost, spent again and again on
 * the few instructions a driver uses on its device. An entry keeps, for
 * one instruction, everything that work depended on:
 *   - the key: linear RIP, CR3, what selects the code size and the paging
 *     mode, and the memslot generation the host addresses below were
 *     found in;
 *   - every page-table entry the walk read: host address, size, value;
 *   - the instruction's bytes and their host address.
 * A lookup reads those entries and bytes again and uses the entry only
 * when all are unchanged: the walk, the fetch, and so the decode, would
 * give exactly the same result now (the decoder reads no byte past the
 * instruction). A guest that rewrites its code or its page tables, or
 * loads CR3 with other tables, misses; nothing has to tell the cache
 * (no hook on INVLPG, on CR3 writes or on guest memory writes).
 *
 * Only instructions inside one 4 KiB page are kept (one translation).
 * Pure logic over host addresses the caller supplies, so host tests can
 * point it at a buffer; no locks: each vCPU owns its cache. */
#ifndef HV_INSN_CACHE_H
#define HV_INSN_CACHE_H

#include "hv/compiler.h"
#include "hv/gpt.h"
#include "hv/insn.h"

/* A driver's register accesses are a handful of instructions: an index
 * write and a data read, a status poll, a doorbell. */
#define INSN_CACHE_ENTRIES 4

struct insn_cache_key {
	uint64_t rip_gla; /* CS.base + RIP */
	uint64_t cr3;     /* 0 with paging off */
	/* The control bits that select the code size and the paging mode
	 * (CR0.PE/PG, CR4.PAE/PSE, EFER.LMA, CS.L/D), packed by the caller:
	 * read raw at every lookup, decoded only on a miss. */
	uint64_t modes;
	uint64_t slots_generation; /* struct memslots.generation */
};

/* One page-table entry the walk read, where the host sees it. */
struct insn_cache_pte {
	const void *host;
	uint64_t val;
	uint8_t size; /* 4 or 8 */
};

struct insn_cache_entry {
	struct insn_cache_key key;
	bool valid;
	uint8_t pte_count;
	struct insn_cache_pte pte[GPT_PATH_MAX];
	const uint8_t *code;         /* host address of the instruction */
	uint8_t bytes[INSN_MAX_LEN]; /* what was decoded: code[0..insn.len) */
	struct insn insn;
};

struct insn_cache {
	struct insn_cache_entry entry[INSN_CACHE_ENTRIES];
	uint32_t next; /* round-robin victim when no entry is free */
};

/* An instruction's home entry: lookups probe from there, and inserts
 * prefer the first free entry from there, so that each of a few hot
 * instructions usually hits at the first probe. */
static inline uint32_t insn_cache_home(uint64_t rip_gla)
{
	return (uint32_t)rip_gla % INSN_CACHE_ENTRIES;
}

void insn_cache_clear(struct insn_cache *c);

/* Remembers `in`, which insn_decode made of bytes[0..in->len) read at host
 * address `code`, the translation of k->rip_gla by the walk that read
 * pte[0..pte_count). Replaces an entry with the same key, else takes the
 * first free entry from the instruction's home, else one in turn. False
 * (nothing kept) for an instruction insn_valid() refuses, one that
 * crosses a 4 KiB page, or a walk longer than GPT_PATH_MAX. */
bool insn_cache_insert(struct insn_cache *c, const struct insn_cache_key *k, const struct insn_cache_pte *pte,
		       uint32_t pte_count, const uint8_t *code, const uint8_t *bytes, const struct insn *in);

/* ---- lookup: inline, every MMIO exit makes one ------------------------------ */

/* Guest memory, which any of the guest's vCPUs may be rewriting: every
 * check reads it afresh. Unaligned loads are fine on x86. */
typedef uint64_t __attribute__((aligned(1), may_alias)) insn_cache_u64;
typedef uint32_t __attribute__((aligned(1), may_alias)) insn_cache_u32;

static inline uint64_t insn_cache_load64(const uint8_t *p)
{
	return *(const volatile insn_cache_u64 *)p;
}

static inline uint32_t insn_cache_load32(const uint8_t *p)
{
	return *(const volatile insn_cache_u32 *)p;
}

/* memcmp for 1..INSN_MAX_LEN bytes in at most two loads a side: two
 * overlapping words cover 8..16 bytes, two half-words 4..8. Never reads
 * past n bytes of either side. */
static inline bool insn_cache_same_bytes(const uint8_t *mem, const uint8_t *saved, size_t n)
{
	if (n >= 8)
		return insn_cache_load64(mem) == insn_cache_load64(saved) &&
		       insn_cache_load64(mem + n - 8) == insn_cache_load64(saved + n - 8);
	if (n >= 4)
		return insn_cache_load32(mem) == insn_cache_load32(saved) &&
		       insn_cache_load32(mem + n - 4) == insn_cache_load32(saved + n - 4);
	for (size_t i = 0; i < n; i++)
		if (((const volatile uint8_t *)mem)[i] != saved[i])
			return false;
	return true;
}

static inline bool insn_cache_same_key(const struct insn_cache_key *a, const struct insn_cache_key *b)
{
	return ((a->rip_gla ^ b->rip_gla) | (a->cr3 ^ b->cr3) | (a->modes ^ b->modes) |
		(a->slots_generation ^ b->slots_generation)) == 0;
}

/* The walk would read the same entries, with the same values, again. */
static inline bool insn_cache_walk_unchanged(const struct insn_cache_entry *e)
{
	for (uint32_t i = 0; i < e->pte_count; i++) {
		const struct insn_cache_pte *p = &e->pte[i];
		uint64_t now = p->size == 8 ? *(const volatile uint64_t *)p->host : *(const volatile uint32_t *)p->host;

		if (now != p->val)
			return false;
	}
	return true;
}

/* The decoded instruction for `k` if an entry matches it and its page-table
 * entries and bytes still hold what they held, else NULL. It passed
 * insn_valid() when it was stored: insn_emulate_valid() may take it. The
 * pointer stays valid until the next insn_cache_insert or insn_cache_clear. */
static inline __attribute__((always_inline)) const struct insn *insn_cache_lookup(const struct insn_cache *c,
										 const struct insn_cache_key *k)
{
	const struct insn_cache_entry *e = &c->entry[insn_cache_home(k->rip_gla)];

	for (uint32_t i = 0; i < INSN_CACHE_ENTRIES; i++) {
		if (e->key.rip_gla == k->rip_gla && e->valid && insn_cache_same_key(&e->key, k)) {
			/* The walk first: unchanged entries mean `code` is still
			 * where the instruction is; then the bytes there. Keys are
			 * unique: no other entry can match. */
			if (insn_cache_walk_unchanged(e) && insn_cache_same_bytes(e->code, e->bytes, e->insn.len))
				return &e->insn;
			return NULL;
		}
		if (++e == c->entry + INSN_CACHE_ENTRIES)
			e = c->entry;
	}
	return NULL;
}

#endif
