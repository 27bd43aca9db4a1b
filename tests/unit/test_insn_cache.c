/* The decoded-instruction cache (hv/insn_cache.c) over guest page walks
 * (hv/gpt.c): what a guest can change under a cached instruction, its
 * bytes, its page tables, CR3, its modes, the memory map, never makes a
 * lookup return the old decode. Guest-physical memory is a buffer here, and
 * "host addresses" point into it, as the MMIO exit path builds them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/gpt.h"
#include "hv/insn.h"
#include "hv/insn_cache.h"
#include "test_log.h"

#define PG 4096ULL
#define PAGES 24
#define P 0x1ULL   /* present */
#define W 0x2ULL   /* writable */
#define PS 0x80ULL /* large page */
#define CR4_PSE (1ULL << 4)
#define CR4_PAE (1ULL << 5)
#define CR0_PG (1ULL << 31)
#define EFER_LMA (1ULL << 10)

/* Guest-physical pages 0..PAGES-1. */
static uint8_t mem[PAGES * PG] __attribute__((aligned(4096)));
static struct insn_cache cache;

static int read_mem(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	(void)ctx;
	if (gpa > sizeof(mem) || len > sizeof(mem) - gpa)
		return -EFAULT;
	memcpy(dst, mem + gpa, len);
	return 0;
}

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(mem + gpa, &v, 4);
}

static int setup(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	insn_cache_clear(&cache);
	test_log_reset();
	return 0;
}

/* ---- walks, as the exit path makes them -------------------------------- */

struct ctx {
	enum gpt_mode mode;
	uint64_t cr3;
	bool pse;
	int code_size;
	uint32_t generation;
};

static struct insn_cache_key key_of(const struct ctx *c, uint64_t gla)
{
	/* Any packing of the modes will do as long as it tells them apart. */
	return (struct insn_cache_key){
		.rip_gla = gla,
		.cr3 = c->cr3,
		.modes = (uint64_t)c->mode | (uint64_t)c->pse << 8 | (uint64_t)c->code_size << 16,
		.slots_generation = c->generation,
	};
}

/* Walks, fetches what lies in the page, decodes and inserts, as a cache
 * miss does. Returns insn_cache_insert's answer; *out gets the decode. */
static bool fill(const struct ctx *c, uint64_t gla, struct insn *out)
{
	struct gpt_path path;
	struct gpt_walker w = { read_mem, NULL, &path };
	struct insn_cache_pte pte[GPT_PATH_MAX];
	struct insn_cache_key k = key_of(c, gla);
	uint64_t gpa;
	uint8_t bytes[INSN_MAX_LEN];
	size_t n = INSN_MAX_LEN;

	assert_int_equal(gpt_translate(&w, c->mode, c->cr3, c->pse, gla, false, &gpa), 0);
	if (n > PG - (gla & (PG - 1)))
		n = PG - (gla & (PG - 1));
	memcpy(bytes, mem + gpa, n);
	int err = insn_decode(bytes, n, c->code_size, out);
	if (err == -E2BIG) { /* runs into the next page: decode it whole */
		assert_int_equal(read_mem(NULL, gpa, bytes, INSN_MAX_LEN), 0);
		assert_int_equal(insn_decode(bytes, INSN_MAX_LEN, c->code_size, out), 0);
	} else {
		assert_int_equal(err, 0);
	}
	for (uint32_t i = 0; i < path.count; i++)
		pte[i] = (struct insn_cache_pte){ mem + path.entry[i].gpa, path.entry[i].val, path.entry[i].size };
	return insn_cache_insert(&cache, &k, pte, path.count, mem + gpa, bytes, out);
}

static const struct insn *lookup(const struct ctx *c, uint64_t gla)
{
	struct insn_cache_key k = key_of(c, gla);

	return insn_cache_lookup(&cache, &k);
}

static void assert_same_insn(const struct insn *a, const struct insn *b)
{
	assert_non_null(a);
	assert_memory_equal(a, b, sizeof(*a));
}

/* 4-level tables at pages 1-4 mapping gla's 4 KiB page to `code_page`. */
#define PML4 (1 * PG)
#define PDPT (2 * PG)
#define PD (3 * PG)
#define PT (4 * PG)

static void map_4level(uint64_t gla, uint64_t code_page)
{
	put64(PML4 + ((gla >> 39) & 511) * 8, PDPT | P | W);
	put64(PDPT + ((gla >> 30) & 511) * 8, PD | P | W);
	put64(PD + ((gla >> 21) & 511) * 8, PT | P | W);
	put64(PT + ((gla >> 12) & 511) * 8, code_page | P);
}

static const struct ctx paging_off = { GPT_NONE, 0, false, 32, 1 };
static const struct ctx long_mode = { GPT_4LEVEL, PML4, false, 64, 1 };

/* The bench guest's IOAPIC pair in 32-bit code, and longer 64-bit forms. */
static const uint8_t mov_store_imm32[] = { 0xC7, 0x05, 0x00, 0x00, 0xC0, 0xFE, 0x01, 0x00, 0x00, 0x00 };
static const uint8_t mov_load_moffs[] = { 0xA1, 0x10, 0x00, 0xC0, 0xFE };
static const uint8_t mov_load_rax[] = { 0x8B, 0x08 };                  /* mov ecx, [rax] */
static const uint8_t mov_store_sib_disp32[] = { 0xC7, 0x04, 0x25, 0x00, 0x00, 0xC0, 0xFE,
						0x01, 0x00, 0x00, 0x00 };              /* 64-bit */
static const uint8_t movzx_disp8[] = { 0x0F, 0xB7, 0x48, 0x10 };                /* movzx ecx, word [rax+16] */

/* ---- hits ---------------------------------------------------------------- */

static void test_unchanged_instruction_hits_with_the_stored_decode(void **state)
{
	struct insn a, b;

	(void)state;
	memcpy(mem + 0x5000, mov_store_imm32, sizeof(mov_store_imm32));
	memcpy(mem + 0x500A, mov_load_moffs, sizeof(mov_load_moffs));
	assert_true(fill(&paging_off, 0x5000, &a));
	assert_true(fill(&paging_off, 0x500A, &b));
	assert_same_insn(lookup(&paging_off, 0x5000), &a);
	assert_same_insn(lookup(&paging_off, 0x500A), &b);
	assert_int_equal(lookup(&paging_off, 0x5000)->op, INSN_OP_MOV);
	assert_true(lookup(&paging_off, 0x5000)->mem_is_dst);
	assert_false(lookup(&paging_off, 0x500A)->mem_is_dst);
	assert_null(lookup(&paging_off, 0x5001)); /* never stored */
}

static void test_bytes_after_the_instruction_do_not_matter(void **state)
{
	struct insn a;

	(void)state;
	memcpy(mem + 0x5000, mov_load_moffs, sizeof(mov_load_moffs));
	assert_true(fill(&paging_off, 0x5000, &a));
	mem[0x5000 + sizeof(mov_load_moffs)] ^= 0xFF;
	assert_same_insn(lookup(&paging_off, 0x5000), &a);
}

/* ---- what must miss -------------------------------------------------------- */

/* The guest rewrote its code: every byte of the instruction counts, for
 * each length class of the comparison (1-3, 4-7, 8-15 bytes). */
static void check_every_byte_counts(const struct ctx *c, uint64_t gla, const uint8_t *code, size_t len)
{
	struct insn stored, again;

	memcpy(mem + gla, code, len); /* paging off: gla == gpa */
	assert_true(fill(c, gla, &stored));
	for (size_t i = 0; i < len; i++) {
		mem[gla + i] ^= 0x01;
		assert_null(lookup(c, gla));
		mem[gla + i] ^= 0x01;
		assert_same_insn(lookup(c, gla), &stored);
	}
	/* A new instruction there: the fresh decode replaces the old one. */
	const uint8_t *other = code == mov_load_rax ? movzx_disp8 : mov_load_rax;
	memcpy(mem + gla, other, other == mov_load_rax ? sizeof(mov_load_rax) : sizeof(movzx_disp8));
	assert_null(lookup(c, gla));
	assert_true(fill(c, gla, &again));
	assert_same_insn(lookup(c, gla), &again);
}

static void test_rewritten_instruction_byte_is_never_used(void **state)
{
	const struct ctx c64 = { GPT_NONE, 0, false, 64, 1 };

	(void)state;
	check_every_byte_counts(&paging_off, 0x6000, mov_load_rax, sizeof(mov_load_rax));
	check_every_byte_counts(&paging_off, 0x6100, movzx_disp8, sizeof(movzx_disp8));
	check_every_byte_counts(&paging_off, 0x6200, mov_load_moffs, sizeof(mov_load_moffs));
	check_every_byte_counts(&paging_off, 0x6300, mov_store_imm32, sizeof(mov_store_imm32));
	check_every_byte_counts(&c64, 0x6400, mov_store_sib_disp32, sizeof(mov_store_sib_disp32));
}

static void test_other_rip_cr3_modes_or_memory_map_miss(void **state)
{
	struct insn a;
	struct ctx c = long_mode;

	(void)state;
	map_4level(0x400000, 0x7000);
	memcpy(mem + 0x7000, mov_load_rax, sizeof(mov_load_rax));
	assert_true(fill(&c, 0x400000, &a));
	assert_non_null(lookup(&c, 0x400000));

	c.cr3 = PML4 | 0x8; /* other CR3 bits (PWT): another value, another key */
	assert_null(lookup(&c, 0x400000));
	c = long_mode;
	c.code_size = 32; /* same bytes, other code size: another decode */
	assert_null(lookup(&c, 0x400000));
	c = long_mode;
	c.mode = GPT_PAE;
	assert_null(lookup(&c, 0x400000));
	c = long_mode;
	c.generation++; /* a memslot changed: host addresses may be stale */
	assert_null(lookup(&c, 0x400000));
	assert_null(lookup(&long_mode, 0x400001));
	assert_same_insn(lookup(&long_mode, 0x400000), &a);
}

/* The same linear RIP, remapped to a page holding another instruction,
 * while the old page still holds the old one: the walk's entries catch it,
 * at every level. */
static void test_remapped_code_page_is_never_used(void **state)
{
	struct insn a, b;
	const uint64_t gla = 0x7FFF12345678ULL;
	const uint64_t entry[4] = {
		PML4 + ((gla >> 39) & 511) * 8, PDPT + ((gla >> 30) & 511) * 8,
		PD + ((gla >> 21) & 511) * 8, PT + ((gla >> 12) & 511) * 8,
	};

	(void)state;
	map_4level(gla, 0x8000);
	memcpy(mem + 0x8000 + (gla & 0xFFF), mov_load_rax, sizeof(mov_load_rax));
	memcpy(mem + 0x9000 + (gla & 0xFFF), movzx_disp8, sizeof(movzx_disp8));
	assert_true(fill(&long_mode, gla, &a));
	assert_same_insn(lookup(&long_mode, gla), &a);

	/* Leaf: now the other page. */
	put64(entry[3], 0x9000 | P);
	assert_null(lookup(&long_mode, gla));
	assert_true(fill(&long_mode, gla, &b));
	assert_int_equal(b.op, INSN_OP_MOVZX);
	assert_same_insn(lookup(&long_mode, gla), &b);

	/* Back again: the old entry is gone, the fresh one reflects memory. */
	put64(entry[3], 0x8000 | P);
	assert_null(lookup(&long_mode, gla));
	assert_true(fill(&long_mode, gla, &a));
	assert_int_equal(a.op, INSN_OP_MOV);

	/* Any upper level: a copy of the lower tables elsewhere, same bytes
	 * at the leaf, still a miss (the translation might differ). */
	for (int level = 0; level < 3; level++) {
		uint64_t old;

		memcpy(&old, mem + entry[level], 8);
		memcpy(mem + 10 * PG, mem + (old & ~0xFFFULL), PG);
		put64(entry[level], 10 * PG | P | W);
		assert_null(lookup(&long_mode, gla));
		put64(entry[level], old);
		assert_same_insn(lookup(&long_mode, gla), &a);
	}

	/* Even a bit the walk ignores (accessed) changes the entry: a miss is
	 * only a cost, a wrong hit would be a bug. */
	put64(entry[2], PT | P | W | 0x20);
	assert_null(lookup(&long_mode, gla));
}

static void test_32bit_paging_checks_its_4_byte_entries(void **state)
{
	struct insn a, b;
	const struct ctx c = { GPT_32BIT, 1 * PG, true, 32, 1 };
	const uint32_t gla = 0x00C0B234; /* PDE 3, PTE 0xB */
	const uint64_t pde = 1 * PG + (gla >> 22) * 4, pte = 2 * PG + ((gla >> 12) & 0x3FF) * 4;

	(void)state;
	put32(pde, 2 * PG | P | W);
	put32(pte, 0x8000 | P);
	memcpy(mem + 0x8000 + (gla & 0xFFF), mov_load_moffs, sizeof(mov_load_moffs));
	assert_true(fill(&c, gla, &a));
	/* The neighbours of the 4-byte entries are not part of the walk. */
	put32(pde + 4, 0xFFFFFFFF);
	put32(pte + 4, 0xFFFFFFFF);
	assert_same_insn(lookup(&c, gla), &a);
	put32(pte, 0x9000 | P);
	assert_null(lookup(&c, gla));

	/* A 4 MiB page (CR4.PSE): one entry, checked the same way. */
	put32(pde, 0x00000000 | PS | P); /* gla's offset in it: gpa 0xB234 */
	memcpy(mem + (gla & 0x3FFFFF), mov_load_rax, sizeof(mov_load_rax));
	assert_true(fill(&c, gla, &b));
	assert_int_equal(cache.entry[insn_cache_home(gla)].pte_count, 1);
	assert_same_insn(lookup(&c, gla), &b);
	put32(pde, 0x00400000 | PS | P);
	assert_null(lookup(&c, gla));
}

/* ---- what is never kept --------------------------------------------------- */

static void test_instruction_crossing_a_page_is_not_kept(void **state)
{
	struct insn a;

	(void)state;
	memcpy(mem + 0x5FFC, mov_store_imm32, sizeof(mov_store_imm32));
	assert_false(fill(&paging_off, 0x5FFC, &a));
	assert_null(lookup(&paging_off, 0x5FFC));
	/* ending exactly at the page end is fine */
	memcpy(mem + 0x6000 - sizeof(mov_store_imm32), mov_store_imm32, sizeof(mov_store_imm32));
	assert_true(fill(&paging_off, 0x6000 - sizeof(mov_store_imm32), &a));
}

static void test_instruction_emulate_would_refuse_is_not_kept(void **state)
{
	struct insn in;
	struct insn_cache_key k = key_of(&paging_off, 0x5000);

	(void)state;
	memcpy(mem + 0x5000, mov_load_rax, sizeof(mov_load_rax));
	assert_int_equal(insn_decode(mem + 0x5000, sizeof(mov_load_rax), 32, &in), 0);
	in.opsize = 3;
	assert_false(insn_cache_insert(&cache, &k, NULL, 0, mem + 0x5000, mem + 0x5000, &in));
	in.opsize = 4;
	struct insn_cache_pte odd = { mem, 0, 2 };
	assert_false(insn_cache_insert(&cache, &k, &odd, 1, mem + 0x5000, mem + 0x5000, &in));
	assert_false(insn_cache_insert(&cache, &k, NULL, GPT_PATH_MAX + 1, mem + 0x5000, mem + 0x5000, &in));
	assert_null(insn_cache_lookup(&cache, &k));
	assert_true(insn_cache_insert(&cache, &k, NULL, 0, mem + 0x5000, mem + 0x5000, &in));
	assert_true(insn_valid(insn_cache_lookup(&cache, &k)));
}

/* ---- replacement ----------------------------------------------------------- */

static void test_more_instructions_than_entries_never_give_a_wrong_decode(void **state)
{
	struct insn want[3 * INSN_CACHE_ENTRIES];
	const uint8_t *forms[] = { mov_load_rax, movzx_disp8, mov_load_moffs, mov_store_imm32 };
	const size_t lens[] = { sizeof(mov_load_rax), sizeof(movzx_disp8), sizeof(mov_load_moffs),
				sizeof(mov_store_imm32) };
	int hits = 0;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		uint64_t gla = 0x5000 + 16 * i + i % 3;

		memcpy(mem + gla, forms[i % 4], lens[i % 4]);
		assert_true(fill(&paging_off, gla, &want[i]));
		assert_same_insn(lookup(&paging_off, gla), &want[i]); /* just stored */
	}
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		const struct insn *got = lookup(&paging_off, 0x5000 + 16 * i + i % 3);

		if (got) {
			assert_same_insn(got, &want[i]);
			hits++;
		}
	}
	assert_int_equal(hits, INSN_CACHE_ENTRIES); /* the last ones stored */
}

static void test_storing_a_key_again_replaces_its_entry(void **state)
{
	struct insn a, b, c;

	(void)state;
	memcpy(mem + 0x5000, mov_load_rax, sizeof(mov_load_rax));
	memcpy(mem + 0x5100, mov_load_moffs, sizeof(mov_load_moffs));
	assert_true(fill(&paging_off, 0x5000, &a));
	assert_true(fill(&paging_off, 0x5100, &c));
	memcpy(mem + 0x5000, movzx_disp8, sizeof(movzx_disp8));
	assert_true(fill(&paging_off, 0x5000, &b));
	assert_true(fill(&paging_off, 0x5000, &b));
	assert_same_insn(lookup(&paging_off, 0x5000), &b);
	assert_same_insn(lookup(&paging_off, 0x5100), &c);
	int used = 0;
	for (unsigned i = 0; i < INSN_CACHE_ENTRIES; i++)
		used += cache.entry[i].valid;
	assert_int_equal(used, 2); /* one entry per key */
}

/* ---- the walk records what it read ----------------------------------------- */

static void test_walk_records_each_entry_read_in_every_mode(void **state)
{
	struct gpt_path path;
	struct gpt_walker w = { read_mem, NULL, &path };
	uint64_t gpa;
	const uint64_t gla = 0x7FFF12345678ULL;

	(void)state;
	map_4level(gla, 0x8000);
	assert_int_equal(gpt_translate(&w, GPT_4LEVEL, PML4, false, gla, false, &gpa), 0);
	assert_int_equal(gpa, 0x8000 | (gla & 0xFFF));
	assert_int_equal(path.count, 4);
	assert_int_equal(path.entry[0].gpa, PML4 + ((gla >> 39) & 511) * 8);
	assert_int_equal(path.entry[3].gpa, PT + ((gla >> 12) & 511) * 8);
	assert_int_equal(path.entry[3].val, 0x8000 | P);
	assert_int_equal(path.entry[3].size, 8);

	/* A 2 MiB page ends the walk a level early. */
	put64(PD + ((gla >> 21) & 511) * 8, 0x200000 | PS | P);
	assert_int_equal(gpt_translate(&w, GPT_4LEVEL, PML4, false, gla, false, &gpa), 0);
	assert_int_equal(path.count, 3);

	/* PAE: the PDPTE, then two levels. */
	put64(PG * 6 + ((gla >> 30) & 3) * 8, PD | P);
	put64(PD + ((gla >> 21) & 511) * 8, PT | P);
	assert_int_equal(gpt_translate(&w, GPT_PAE, PG * 6, false, (uint32_t)gla, false, &gpa), 0);
	assert_int_equal(path.count, 3);
	assert_int_equal(path.entry[0].gpa, PG * 6 + (((uint32_t)gla >> 30) & 3) * 8);

	/* 32-bit paging: 4-byte entries. */
	put32(PG * 7 + ((uint32_t)gla >> 22) * 4, 8 * PG | P);
	put32(8 * PG + (((uint32_t)gla >> 12) & 0x3FF) * 4, 0x9000 | P);
	assert_int_equal(gpt_translate(&w, GPT_32BIT, PG * 7, false, gla, false, &gpa), 0);
	assert_int_equal(path.count, 2);
	assert_int_equal(path.entry[1].size, 4);
	assert_int_equal(path.entry[1].val, 0x9000 | P);

	/* Paging off reads nothing; the count starts over every walk. */
	assert_int_equal(gpt_translate(&w, GPT_NONE, 0, false, gla, false, &gpa), 0);
	assert_int_equal(path.count, 0);

	/* Without a path nothing is recorded and nothing breaks. */
	struct gpt_walker bare = { read_mem, NULL, NULL };
	assert_int_equal(gpt_translate(&bare, GPT_4LEVEL, PML4, false, gla, false, &gpa), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup(name, setup)
		T(test_unchanged_instruction_hits_with_the_stored_decode),
		T(test_bytes_after_the_instruction_do_not_matter),
		T(test_rewritten_instruction_byte_is_never_used),
		T(test_other_rip_cr3_modes_or_memory_map_miss),
		T(test_remapped_code_page_is_never_used),
		T(test_32bit_paging_checks_its_4_byte_entries),
		T(test_instruction_crossing_a_page_is_not_kept),
		T(test_instruction_emulate_would_refuse_is_not_kept),
		T(test_more_instructions_than_entries_never_give_a_wrong_decode),
		T(test_storing_a_key_again_replaces_its_entry),
		T(test_walk_records_each_entry_read_in_every_mode),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
