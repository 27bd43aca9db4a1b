/* Decoded MMIO instructions, revalidated at every use: see hv/insn_cache.h. */
#include "hv/insn_cache.h"
#include "hv/string.h"

#define PAGE_OFFSET_MASK (PAGE_SIZE - 1)

void insn_cache_clear(struct insn_cache *c)
{
	memset(c, 0, sizeof(*c));
}

bool insn_cache_insert(struct insn_cache *c, const struct insn_cache_key *k, const struct insn_cache_pte *pte,
		       uint32_t pte_count, const uint8_t *code, const uint8_t *bytes, const struct insn *in)
{
	struct insn_cache_entry *e = NULL;

	if (pte_count > GPT_PATH_MAX || !insn_valid(in) || (k->rip_gla & PAGE_OFFSET_MASK) + in->len > PAGE_SIZE)
		return false;
	for (uint32_t i = 0; i < pte_count; i++)
		if (pte[i].size != 4 && pte[i].size != 8)
			return false;
	for (uint32_t i = 0; i < INSN_CACHE_ENTRIES && !e; i++)
		if (c->entry[i].valid && insn_cache_same_key(&c->entry[i].key, k))
			e = &c->entry[i];
	for (uint32_t i = 0, home = insn_cache_home(k->rip_gla); i < INSN_CACHE_ENTRIES && !e; i++)
		if (!c->entry[(home + i) % INSN_CACHE_ENTRIES].valid)
			e = &c->entry[(home + i) % INSN_CACHE_ENTRIES];
	if (!e) {
		e = &c->entry[c->next];
		c->next = (c->next + 1) % INSN_CACHE_ENTRIES;
	}
	e->key = *k;
	e->pte_count = (uint8_t)pte_count;
	for (uint32_t i = 0; i < pte_count; i++)
		e->pte[i] = pte[i];
	e->code = code;
	memcpy(e->bytes, bytes, in->len);
	e->insn = *in;
	e->valid = true;
	return true;
}
