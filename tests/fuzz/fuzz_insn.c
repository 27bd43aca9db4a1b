/* libFuzzer harness for the MMIO instruction decoder and emulator
 * (hv/insn.c). The input is instruction bytes; each is decoded in 16-, 32-
 * and 64-bit mode and, when it decodes, emulated against a device and guest
 * RAM that return fixed values. Invariants: clean error codes, lengths 1..15,
 * no read past the bytes given (exact-size heap copies under ASan), the
 * decoding of a prefix agrees with the whole, emulation touches only the
 * registers the instruction may write and uses only those insn_gprs_used()
 * names, and the MOV helpers agree with it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/errno.h"
#include "hv/insn.h"
#include "test_log.h"

#define FL_RF (1ULL << 16)
#define FL_ARITH 0x8D5ULL /* CF PF AF ZF SF OF */
#define MMIO_GPA 0xFEE00800ULL
#define PAGE 4096ULL

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

struct fake {
	int accesses;
	int mmio_accesses;
	uint64_t first_mmio;
	uint64_t trace;      /* a hash of every access: address, size, value */
	uint64_t last_write; /* the last value written to the device */
};

static void note(struct fake *f, uint64_t addr, unsigned size, uint64_t val)
{
	f->trace = ((f->trace ^ addr) * 0x100000001B3ULL ^ size ^ val) * 0x100000001B3ULL;
}

static bool valid_size(unsigned s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

static void check_write(unsigned size, uint64_t val)
{
	check(valid_size(size));
	check(size == 8 || val >> (8 * size) == 0);
}

/* Device accesses stay in the page of the first (REP batches never cross). */
static void note_mmio(struct fake *f, uint64_t gpa)
{
	if (f->mmio_accesses++ == 0)
		f->first_mmio = gpa;
	check((gpa & ~(PAGE - 1)) == (f->first_mmio & ~(PAGE - 1)) || f->mmio_accesses == 1);
	f->accesses++;
}

static int mmio_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	check(valid_size(size));
	note_mmio(ctx, gpa);
	*val = 0xA5A5A5A5A5A5A5A5ULL; /* bits above size included on purpose */
	note(ctx, gpa, size, 0);
	return 0;
}

static int mmio_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	check_write(size, val);
	note_mmio(ctx, gpa);
	note(ctx, gpa, size, val);
	((struct fake *)ctx)->last_write = val;
	return 0;
}

static int mem_read(void *ctx, uint64_t gla, unsigned size, uint64_t *val)
{
	struct fake *f = ctx;
	check(valid_size(size));
	f->accesses++;
	*val = 0x5A5A5A5A5A5A5A5AULL;
	note(f, gla, size, 1);
	return 0;
}

static int mem_write(void *ctx, uint64_t gla, unsigned size, uint64_t val)
{
	struct fake *f = ctx;
	check_write(size, val);
	f->accesses++;
	note(f, gla, size, val);
	return 0;
}

static int decode_copy(const uint8_t *data, size_t n, int mode, struct insn *out)
{
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		abort();
	memcpy(copy, data, n);
	int r = insn_decode(copy, n, mode, out);
	free(copy);
	return r;
}

static bool same_insn(const struct insn *a, const struct insn *b)
{
	return a->len == b->len && a->op == b->op && a->opsize == b->opsize && a->memsize == b->memsize &&
	       a->addrsize == b->addrsize && a->mem_is_dst == b->mem_is_dst && a->reg == b->reg &&
	       a->reg_high8 == b->reg_high8 && a->has_imm == b->has_imm && a->imm == b->imm &&
	       a->rep == b->rep && a->lock == b->lock && a->rex == b->rex && a->seg == b->seg &&
	       a->base == b->base && a->index == b->index && a->scale == b->scale && a->disp == b->disp;
}

static void check_decoded(const struct insn *in, int mode, size_t size)
{
	check(in->len >= 1 && in->len <= INSN_MAX_LEN && in->len <= size);
	check(in->mode == mode);
	check(valid_size(in->opsize) && valid_size(in->memsize) && in->memsize <= in->opsize);
	check(in->addrsize == 2 || in->addrsize == 4 || in->addrsize == 8);
	check(mode == 64 ? in->addrsize != 2 : in->addrsize != 8);
	check(in->reg >= INSN_REG_NONE && in->reg < INSN_NR_GPRS);
	check(!in->reg_high8 || (in->opsize == 1 && in->rex == 0 && in->reg >= 4 && in->reg <= 7));
	check(in->opsize == 8 || in->imm >> (8 * in->opsize) == 0);
	check(in->has_imm || in->imm == 0);
	check(in->scale == 1 || in->scale == 2 || in->scale == 4 || in->scale == 8);
	check(in->base >= INSN_REG_RIP && in->base < INSN_NR_GPRS);
	check(in->base != INSN_REG_RIP || mode == 64);
	check(in->index >= INSN_REG_NONE && in->index < INSN_NR_GPRS && in->index != INSN_RSP);
	check((unsigned)in->seg < INSN_NR_SEGS);
	check(mode == 64 || in->rex == 0);
	check(!in->lock || ((in->op == INSN_OP_AND || in->op == INSN_OP_OR || in->op == INSN_OP_XOR) &&
			    in->mem_is_dst));
	check(insn_op_name(in->op)[0] != 'u');
}

/* insn_gprs_used() names every register emulation uses: run again with
 * all the others different, and the same accesses and result come out,
 * those others untouched. For the MOV forms the inline helpers a fast path
 * uses agree with insn_emulate(), and insn_emulate_valid() with it too. */
static void check_gprs_used(const struct insn *in, const struct insn_regs *before, const struct insn_regs *after,
			    int r, const struct fake *f, uint64_t gpa, uint64_t gla)
{
	struct fake g = { 0 };
	struct insn_mem_ops ops = { mmio_read, mmio_write, mem_read, mem_write, &g };
	struct insn_regs other = *before;
	uint32_t used = insn_gprs_used(in);

	for (int i = 0; i < INSN_NR_GPRS; i++)
		if (!(used & (1u << i)))
			other.gpr[i] = ~before->gpr[i];
	check(insn_emulate_valid(in, &other, gpa, gla, &ops) == r);
	check(g.trace == f->trace && g.accesses == f->accesses);
	check(other.rip == after->rip && other.rflags == after->rflags);
	for (int i = 0; i < INSN_NR_GPRS; i++)
		check(used & (1u << i) ? other.gpr[i] == after->gpr[i] : other.gpr[i] == ~before->gpr[i]);

	if (!insn_is_mov(in) || r != 0)
		return;
	uint64_t gpr[INSN_NR_GPRS];
	memcpy(gpr, before->gpr, sizeof(gpr));
	if (in->mem_is_dst)
		check(insn_mov_store_value(in, gpr) == f->last_write);
	else
		insn_mov_load(in, gpr, 0xA5A5A5A5A5A5A5A5ULL);
	check(memcmp(gpr, after->gpr, sizeof(gpr)) == 0);
	check(insn_next_rip(in, before->rip) == after->rip);
}

static void emulate(const struct insn *in, int mode, uint64_t seed)
{
	struct fake f = { 0 };
	struct insn_mem_ops ops = { mmio_read, mmio_write, mem_read, mem_write, &f };
	struct insn_regs regs, before;
	uint64_t gla;

	for (int i = 0; i < INSN_NR_GPRS; i++)
		regs.gpr[i] = seed * (uint64_t)(2 * i + 1) ^ 0x0123456789ABCDEFULL;
	regs.gpr[INSN_RCX] &= 0x3FF; /* REP counts that finish, or run a batch */
	regs.rip = seed ^ 0xFFFFFFFFFFFFFFF0ULL;
	regs.rflags = 0x2 | (seed & (1ULL << 10)) | FL_RF | (seed & FL_ARITH);
	for (int s = 0; s < INSN_NR_SEGS; s++)
		regs.seg_base[s] = (seed >> s) & 0xFFFFF000ULL;
	before = regs;

	/* The fault address as the CPU would give it: the destination of a
	 * STOS, either side of a MOVS, or garbage now and then. */
	uint64_t amask = in->addrsize == 8 ? ~0ULL : (1ULL << (8 * in->addrsize)) - 1;
	uint64_t lmask = mode == 64 ? ~0ULL : 0xFFFFFFFFULL;
	uint64_t es = mode == 64 ? 0 : regs.seg_base[INSN_SEG_ES];
	uint64_t src = in->seg == INSN_SEG_FS || in->seg == INSN_SEG_GS || mode != 64 ? regs.seg_base[in->seg] : 0;
	if ((seed & 3) == 0)
		gla = seed;
	else if (in->op == INSN_OP_MOVS && (seed & 4))
		gla = (src + (regs.gpr[INSN_RSI] & amask)) & lmask;
	else
		gla = (es + (regs.gpr[INSN_RDI] & amask)) & lmask;

	/* A page maps linear to physical with the same offset in the page. */
	uint64_t gpa = (MMIO_GPA & ~(PAGE - 1)) | (gla & (PAGE - 1));
	int r = insn_emulate(in, &regs, gpa, gla, &ops);
	bool string = in->op == INSN_OP_MOVS || in->op == INSN_OP_STOS;
	uint64_t ipmask = mode == 64 ? ~0ULL : mode == 32 ? 0xFFFFFFFFULL : 0xFFFFULL;

	check(r == 0 || r == INSN_EMUL_RETRY || r == -EINVAL || r == -EOPNOTSUPP);
	check_gprs_used(in, &before, &regs, r, &f, gpa, gla);
	if (r == 0) {
		check(regs.rip == ((before.rip + in->len) & ipmask));
		check(!(regs.rflags & FL_RF));
	} else {
		check(regs.rip == before.rip);
	}
	if (r == INSN_EMUL_RETRY)
		check(string && in->rep != INSN_REP_NONE);

	if (string) {
		check(f.accesses <= 2 * INSN_REP_BATCH);
		for (int i = 0; i < INSN_NR_GPRS; i++)
			if (i != INSN_RCX && i != INSN_RSI && i != INSN_RDI)
				check(regs.gpr[i] == before.gpr[i]);
		check((regs.rflags & ~FL_RF) == (before.rflags & ~FL_RF));
		return;
	}
	check(f.accesses <= 2);
	if (r < 0) {
		check(memcmp(&regs, &before, sizeof(regs)) == 0);
		return;
	}
	int wr = in->reg_high8 ? in->reg - 4 : in->reg;
	bool writes_reg = !in->mem_is_dst && in->op != INSN_OP_CMP;
	for (int i = 0; i < INSN_NR_GPRS; i++)
		if (!writes_reg || i != wr)
			check(regs.gpr[i] == before.gpr[i]);
	if (writes_reg && in->opsize < 4) {
		uint64_t kept = in->reg_high8 ? ~0xFF00ULL : ~((1ULL << (8 * in->opsize)) - 1);
		check((regs.gpr[wr] & kept) == (before.gpr[wr] & kept));
	}
	if (writes_reg && in->opsize == 4)
		check(regs.gpr[wr] >> 32 == 0);
	bool sets_flags = in->op >= INSN_OP_AND;
	uint64_t may_change = FL_RF | (sets_flags ? FL_ARITH : 0);
	check((regs.rflags & ~may_change) == (before.rflags & ~may_change));
	if (in->op == INSN_OP_MOV && in->mem_is_dst)
		check(f.mmio_accesses == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int modes[] = { 16, 32, 64 };
	uint64_t seed = 0xCBF29CE484222325ULL;

	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 0x100000001B3ULL;
	test_log_reset();

	for (int m = 0; m < 3; m++) {
		struct insn in, again;
		int mode = modes[m];
		int r = decode_copy(data, size, mode, &in);

		check(r == 0 || r == -EINVAL || r == -E2BIG);
		if (r == -E2BIG)
			check(size < INSN_MAX_LEN);
		if (r != 0)
			continue;
		check_decoded(&in, mode, size);
		/* Exactly its own bytes decode to the same; any fewer ask for more. */
		check(decode_copy(data, in.len, mode, &again) == 0 && same_insn(&in, &again));
		for (size_t k = 0; k < in.len; k++)
			check(decode_copy(data, k, mode, &again) == -E2BIG);
		emulate(&in, mode, seed + (uint64_t)m);
	}
	return 0;
}
