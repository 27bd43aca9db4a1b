/* x86 instruction decoder and emulator for MMIO accesses: see hv/insn.h.
 * Encodings from SDM Vol. 2 chapter 2 (instruction format) and the opcode
 * map in Vol. 2 appendix A; semantics and flags from the instruction pages. */
#include "hv/insn.h"
#include "hv/errno.h"
#include "hv/log.h"

/* Legacy prefixes, SDM Vol. 2 2.1.1. */
#define PFX_OPSIZE 0x66
#define PFX_ADDRSIZE 0x67
#define PFX_LOCK 0xF0
#define PFX_REPNE 0xF2
#define PFX_REP 0xF3
#define PFX_ES 0x26
#define PFX_CS 0x2E
#define PFX_SS 0x36
#define PFX_DS 0x3E
#define PFX_FS 0x64
#define PFX_GS 0x65

/* REX prefix 0100WRXB, 64-bit mode only (SDM Vol. 2 2.2.1). */
#define REX_MASK 0xF0
#define REX_BASE 0x40
#define REX_W 0x8 /* 64-bit operand size */
#define REX_R 0x4 /* extends ModRM.reg */
#define REX_X 0x2 /* extends SIB.index */
#define REX_B 0x1 /* extends ModRM.rm / SIB.base */

#define OPCODE_ESCAPE 0x0F

/* ModRM and SIB fields, SDM Vol. 2 2.1.5. */
#define MODRM_MOD(m) ((m) >> 6)
#define MODRM_REG(m) (((m) >> 3) & 7)
#define MODRM_RM(m) ((m)&7)
#define MOD_REGISTER 3 /* rm names a register: no memory operand */
#define RM_SIB 4       /* (32/64-bit addressing) a SIB byte follows */
#define RM_DISP32 5    /* with mod 0: disp32 alone, or RIP-relative in 64-bit mode */
#define SIB_SCALE(s) ((s) >> 6)
#define SIB_INDEX(s) (((s) >> 3) & 7)
#define SIB_BASE(s) ((s)&7)
#define SIB_NO_INDEX 4 /* index 100b without REX.X: no index */
#define SIB_NO_BASE 5  /* base 101b with mod 0: disp32, no base */
#define RM16_DISP16 6  /* 16-bit addressing, mod 0: disp16 alone */

/* RFLAGS bits, SDM Vol. 1 3.4.3. */
#define FL_CF (1ULL << 0)
#define FL_PF (1ULL << 2)
#define FL_AF (1ULL << 4)
#define FL_ZF (1ULL << 6)
#define FL_SF (1ULL << 7)
#define FL_DF (1ULL << 10)
#define FL_OF (1ULL << 11)
#define FL_RF (1ULL << 16)
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

#define PAGE_MASK_4K (~(PAGE_SIZE - 1))

/* ---- decoding ------------------------------------------------------------ */

struct cursor {
	const uint8_t *bytes;
	size_t len; /* bytes the caller gave */
	size_t pos; /* next byte to read */
};

/* Running into the 15-byte limit makes the instruction illegal (#GP), while
 * running out of the caller's bytes only means it needs to fetch more. */
static int fetch(struct cursor *c, uint8_t *b)
{
	if (c->pos >= INSN_MAX_LEN)
		return -EINVAL;
	if (c->pos >= c->len)
		return -E2BIG;
	*b = c->bytes[c->pos++];
	return 0;
}

/* Reads an n-byte little-endian value. */
static int fetch_le(struct cursor *c, unsigned n, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < n; i++) {
		uint8_t b;
		int err = fetch(c, &b);
		if (err)
			return err;
		r |= (uint64_t)b << (8 * i);
	}
	*v = r;
	return 0;
}

static int fetch_signed(struct cursor *c, unsigned n, int64_t *v)
{
	uint64_t u;
	int err = fetch_le(c, n, &u);

	if (!err)
		*v = (int64_t)insn_sign_extend(u, n);
	return err;
}

/* Legacy prefixes in any order, then REX, then the opcode byte. */
static int decode_prefixes(struct cursor *c, struct insn *d, uint8_t *opcode)
{
	for (;;) {
		uint8_t b;
		int err = fetch(c, &b);
		if (err)
			return err;

		switch (b) {
		case PFX_OPSIZE: d->opsize_prefix = true; break;
		case PFX_ADDRSIZE: d->addrsize_prefix = true; break;
		case PFX_LOCK: d->lock = true; break;
		case PFX_REPNE: d->rep = INSN_REP_F2; break;
		case PFX_REP: d->rep = INSN_REP_F3; break;
		case PFX_ES: d->seg_override = true; d->seg = INSN_SEG_ES; break;
		case PFX_CS: d->seg_override = true; d->seg = INSN_SEG_CS; break;
		case PFX_SS: d->seg_override = true; d->seg = INSN_SEG_SS; break;
		case PFX_DS: d->seg_override = true; d->seg = INSN_SEG_DS; break;
		case PFX_FS: d->seg_override = true; d->seg = INSN_SEG_FS; break;
		case PFX_GS: d->seg_override = true; d->seg = INSN_SEG_GS; break;
		default:
			/* 40-4F are INC/DEC outside 64-bit mode (unsupported). */
			if (d->mode == 64 && (b & REX_MASK) == REX_BASE) {
				d->rex = b;
				continue;
			}
			*opcode = b;
			return 0;
		}
		/* A REX followed by a legacy prefix is ignored (SDM Vol. 2 2.2.1). */
		d->rex = 0;
	}
}

static void set_addrsize(struct insn *d)
{
	switch (d->mode) {
	case 64: d->addrsize = d->addrsize_prefix ? 4 : 8; break;
	case 32: d->addrsize = d->addrsize_prefix ? 2 : 4; break;
	default: d->addrsize = d->addrsize_prefix ? 4 : 2; break;
	}
}

/* Operand size from the opcode's w bit, REX.W and 66 (SDM Vol. 2 table 3-4
 * / 2.2.1.2: REX.W wins over 66). */
static void set_opsize(struct insn *d, bool byte_op)
{
	if (byte_op)
		d->opsize = 1;
	else if (d->rex & REX_W)
		d->opsize = 8;
	else if (d->mode == 16)
		d->opsize = d->opsize_prefix ? 4 : 2;
	else
		d->opsize = d->opsize_prefix ? 2 : 4;
	d->memsize = d->opsize;
}

/* The ModRM byte of a memory-operand form; mod 11b (register) is rejected
 * at once: such an instruction cannot have touched MMIO. */
static int fetch_modrm(struct cursor *c, struct insn *d)
{
	int err = fetch(c, &d->modrm);

	if (err)
		return err;
	if (MODRM_MOD(d->modrm) == MOD_REGISTER)
		return -EINVAL;
	d->has_modrm = true;
	return 0;
}

/* 16-bit addressing forms, SDM Vol. 2 table 2-1. */
static int decode_mem16(struct cursor *c, struct insn *d)
{
	static const int8_t base16[8] = { INSN_RBX, INSN_RBX, INSN_RBP, INSN_RBP,
					  INSN_RSI, INSN_RDI, INSN_RBP, INSN_RBX };
	static const int8_t index16[8] = { INSN_RSI, INSN_RDI, INSN_RSI, INSN_RDI,
					   INSN_REG_NONE, INSN_REG_NONE, INSN_REG_NONE, INSN_REG_NONE };
	unsigned mod = MODRM_MOD(d->modrm), rm = MODRM_RM(d->modrm);

	d->index = index16[rm];
	if (mod == 0 && rm == RM16_DISP16) {
		d->base = INSN_REG_NONE;
		return fetch_signed(c, 2, &d->disp);
	}
	d->base = base16[rm];
	if (mod == 1)
		return fetch_signed(c, 1, &d->disp);
	if (mod == 2)
		return fetch_signed(c, 2, &d->disp);
	return 0;
}

/* 32/64-bit addressing forms, SDM Vol. 2 tables 2-2 and 2-3, 2.2.1.6. */
static int decode_mem32(struct cursor *c, struct insn *d)
{
	unsigned mod = MODRM_MOD(d->modrm), rm = MODRM_RM(d->modrm);
	bool disp32 = mod == 2;
	int err;

	if (rm == RM_SIB) {
		err = fetch(c, &d->sib);
		if (err)
			return err;
		d->has_sib = true;
		d->scale = (uint8_t)(1u << SIB_SCALE(d->sib));
		unsigned index = SIB_INDEX(d->sib) | (d->rex & REX_X ? 8 : 0);
		d->index = index == SIB_NO_INDEX ? INSN_REG_NONE : (int8_t)index;
		/* r13 as base with mod 0 is also "no base": REX.B does not matter. */
		if (SIB_BASE(d->sib) == SIB_NO_BASE && mod == 0) {
			d->base = INSN_REG_NONE;
			disp32 = true;
		} else {
			d->base = (int8_t)(SIB_BASE(d->sib) | (d->rex & REX_B ? 8 : 0));
		}
	} else if (rm == RM_DISP32 && mod == 0) {
		d->base = d->mode == 64 ? INSN_REG_RIP : INSN_REG_NONE;
		disp32 = true;
	} else {
		d->base = (int8_t)(rm | (d->rex & REX_B ? 8 : 0));
	}

	if (disp32)
		return fetch_signed(c, 4, &d->disp);
	if (mod == 1)
		return fetch_signed(c, 1, &d->disp);
	return 0;
}

/* SIB/displacement after the ModRM byte, and the default segment: SS when
 * the base is rSP or rBP, DS otherwise (SDM Vol. 1 3.7.4). */
static int decode_mem(struct cursor *c, struct insn *d)
{
	int err = d->addrsize == 2 ? decode_mem16(c, d) : decode_mem32(c, d);

	if (err)
		return err;
	if (!d->seg_override)
		d->seg = (d->base == INSN_RSP || d->base == INSN_RBP) ? INSN_SEG_SS : INSN_SEG_DS;
	return 0;
}

/* The ModRM.reg field as a register operand of d->opsize. */
static void set_reg(struct insn *d)
{
	unsigned reg = MODRM_REG(d->modrm) | (d->rex & REX_R ? 8 : 0);

	d->reg = (int8_t)reg;
	/* Without any REX prefix, byte registers 4-7 are AH, CH, DH, BH
	 * (SDM Vol. 2 3.1.1.1, table 3-1); with one they are SPL..DIL. */
	d->reg_high8 = d->opsize == 1 && d->rex == 0 && reg >= 4 && reg <= 7;
}

/* An immediate of n bytes, extended to 64 bits then cut to opsize. */
static int decode_imm(struct cursor *c, struct insn *d, unsigned n)
{
	int64_t v;
	int err = fetch_signed(c, n, &v);

	if (err)
		return err;
	d->has_imm = true;
	d->imm = (uint64_t)v & insn_size_mask(d->opsize);
	return 0;
}

/* iz: a 16-bit immediate for 16-bit operands, else 32 bits (sign-extended
 * to 64 with REX.W). */
static unsigned imm_z_size(const struct insn *d)
{
	return d->opsize == 2 ? 2 : 4;
}

/* op r/m, r and op r, r/m: bit 0 is w (0: byte), bit 1 is d (1: the
 * register is the destination). */
static int decode_rm_reg(struct cursor *c, struct insn *d, enum insn_op op)
{
	int err;

	d->op = op;
	set_opsize(d, !(d->opcode & 1));
	d->mem_is_dst = !(d->opcode & 2);
	err = fetch_modrm(c, d);
	if (err)
		return err;
	set_reg(d);
	return decode_mem(c, d);
}

/* 80/81/83: group 1, op r/m, imm; only OR /1, AND /4, XOR /6, CMP /7. */
static int decode_group1(struct cursor *c, struct insn *d)
{
	static const int8_t ops[8] = { -1, INSN_OP_OR, -1, -1, INSN_OP_AND, -1, INSN_OP_XOR, INSN_OP_CMP };
	int err;

	set_opsize(d, d->opcode == 0x80);
	d->mem_is_dst = true;
	err = fetch_modrm(c, d);
	if (err)
		return err;
	if (ops[MODRM_REG(d->modrm)] < 0)
		return -EINVAL; /* ADD, ADC, SBB, SUB */
	d->op = (enum insn_op)ops[MODRM_REG(d->modrm)];
	err = decode_mem(c, d);
	if (err)
		return err;
	return decode_imm(c, d, d->opcode == 0x81 ? imm_z_size(d) : 1);
}

/* F6/F7 /0 (TEST r/m, imm) and C6/C7 /0 (MOV r/m, imm). Other reg values
 * are different instructions (NOT, NEG, MUL..., XABORT/XBEGIN). */
static int decode_rm_imm(struct cursor *c, struct insn *d, enum insn_op op)
{
	int err;

	d->op = op;
	set_opsize(d, !(d->opcode & 1));
	d->mem_is_dst = true;
	err = fetch_modrm(c, d);
	if (err)
		return err;
	if (MODRM_REG(d->modrm) != 0)
		return -EINVAL;
	err = decode_mem(c, d);
	if (err)
		return err;
	return decode_imm(c, d, d->opsize == 1 ? 1 : imm_z_size(d));
}

/* A0-A3: MOV between rAX and a moffs the size of the address. */
static int decode_moffs(struct cursor *c, struct insn *d)
{
	uint64_t off;
	int err;

	d->op = INSN_OP_MOV;
	set_opsize(d, !(d->opcode & 1));
	d->mem_is_dst = (d->opcode & 2) != 0;
	d->reg = INSN_RAX;
	err = fetch_le(c, d->addrsize, &off);
	if (err)
		return err;
	d->disp = (int64_t)off;
	if (!d->seg_override)
		d->seg = INSN_SEG_DS;
	return 0;
}

/* A4/A5 MOVS, AA/AB STOS: no ModRM; ES:rDI is the destination and cannot
 * be overridden, the MOVS source is DS:rSI unless overridden. */
static void decode_string(struct insn *d, enum insn_op op)
{
	d->op = op;
	set_opsize(d, !(d->opcode & 1));
	d->mem_is_dst = true;
	if (op == INSN_OP_STOS) {
		d->reg = INSN_RAX;
		d->seg = INSN_SEG_ES;
	} else if (!d->seg_override) {
		d->seg = INSN_SEG_DS;
	}
}

/* 0F B6/B7 MOVZX, 0F BE/BF MOVSX: register destination, the memory
 * source is a byte (B6/BE) or a word (B7/BF). */
static int decode_two_byte(struct cursor *c, struct insn *d)
{
	int err = fetch(c, &d->opcode);

	if (err)
		return err;
	d->two_byte = true;
	switch (d->opcode) {
	case 0xB6: case 0xB7: d->op = INSN_OP_MOVZX; break;
	case 0xBE: case 0xBF: d->op = INSN_OP_MOVSX; break;
	default: return -EINVAL;
	}
	set_opsize(d, false);
	d->memsize = (d->opcode & 1) ? 2 : 1;
	d->mem_is_dst = false;
	err = fetch_modrm(c, d);
	if (err)
		return err;
	set_reg(d);
	return decode_mem(c, d);
}

/* 63 /r in 64-bit mode: MOVSXD r64, r/m32 with REX.W; without it Intel
 * defines a plain 16/32-bit load (SDM Vol. 2 MOVSX/MOVSXD). Outside 64-bit
 * mode 63 is ARPL. */
static int decode_movsxd(struct cursor *c, struct insn *d)
{
	int err;

	if (d->mode != 64)
		return -EINVAL;
	d->op = INSN_OP_MOVSX;
	set_opsize(d, false);
	if (d->opsize == 8)
		d->memsize = 4;
	d->mem_is_dst = false;
	err = fetch_modrm(c, d);
	if (err)
		return err;
	set_reg(d);
	return decode_mem(c, d);
}

static int decode_opcode(struct cursor *c, struct insn *d, uint8_t opcode)
{
	d->opcode = opcode;
	switch (opcode) {
	case 0x08: case 0x09: case 0x0A: case 0x0B: return decode_rm_reg(c, d, INSN_OP_OR);
	case 0x20: case 0x21: case 0x22: case 0x23: return decode_rm_reg(c, d, INSN_OP_AND);
	case 0x30: case 0x31: case 0x32: case 0x33: return decode_rm_reg(c, d, INSN_OP_XOR);
	case 0x38: case 0x39: case 0x3A: case 0x3B: return decode_rm_reg(c, d, INSN_OP_CMP);
	case 0x84: case 0x85: return decode_rm_reg(c, d, INSN_OP_TEST);
	case 0x88: case 0x89: case 0x8A: case 0x8B: return decode_rm_reg(c, d, INSN_OP_MOV);
	case 0x80: case 0x81: case 0x83: return decode_group1(c, d);
	case 0xF6: case 0xF7: return decode_rm_imm(c, d, INSN_OP_TEST);
	case 0xC6: case 0xC7: return decode_rm_imm(c, d, INSN_OP_MOV);
	case 0xA0: case 0xA1: case 0xA2: case 0xA3: return decode_moffs(c, d);
	case 0xA4: case 0xA5: decode_string(d, INSN_OP_MOVS); return 0;
	case 0xAA: case 0xAB: decode_string(d, INSN_OP_STOS); return 0;
	case 0x63: return decode_movsxd(c, d);
	case OPCODE_ESCAPE: return decode_two_byte(c, d);
	default: return -EINVAL;
	}
}

/* LOCK is legal only on read-modify-write instructions with a memory
 * destination; anywhere else the CPU raises #UD (SDM Vol. 2 LOCK). */
static bool lock_ok(const struct insn *d)
{
	return (d->op == INSN_OP_AND || d->op == INSN_OP_OR || d->op == INSN_OP_XOR) && d->mem_is_dst;
}

int insn_decode(const uint8_t *bytes, size_t len, int mode, struct insn *out)
{
	struct cursor c = { .bytes = bytes, .len = len, .pos = 0 };
	struct insn d = {
		.mode = (uint8_t)mode,
		.reg = INSN_REG_NONE,
		.base = INSN_REG_NONE,
		.index = INSN_REG_NONE,
		.scale = 1,
		.seg = INSN_SEG_DS,
	};
	uint8_t opcode;
	int err;

	if (!out || (!bytes && len) || (mode != 16 && mode != 32 && mode != 64))
		return -EINVAL;
	err = decode_prefixes(&c, &d, &opcode);
	if (err)
		return err;
	set_addrsize(&d);
	err = decode_opcode(&c, &d, opcode);
	if (err)
		return err;
	if (d.lock && !lock_ok(&d))
		return -EINVAL;
	d.len = (uint8_t)c.pos;
	*out = d;
	return 0;
}

/* ---- emulation ----------------------------------------------------------- */

static bool valid_size(unsigned s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

/* insn_emulate trusts nothing it did not check: a corrupted struct fails
 * cleanly instead of indexing past gpr[]. */
bool insn_valid(const struct insn *in)
{
	if (in->len < 1 || in->len > INSN_MAX_LEN || !valid_size(in->opsize) || !valid_size(in->memsize) ||
	    in->memsize > in->opsize || !valid_size(in->addrsize) || in->addrsize == 1)
		return false;
	if (in->mode != 16 && in->mode != 32 && in->mode != 64)
		return false;
	if ((unsigned)in->op > INSN_OP_CMP || in->reg < INSN_REG_NONE || in->reg >= INSN_NR_GPRS)
		return false;
	if (in->reg_high8 && (in->reg < 4 || in->reg > 7))
		return false;
	if (in->base < INSN_REG_RIP || in->base >= INSN_NR_GPRS || in->index < INSN_REG_NONE ||
	    in->index >= INSN_NR_GPRS || (unsigned)in->seg >= INSN_NR_SEGS)
		return false;
	/* Everything but MOVS and the immediate forms has a register operand. */
	if (in->op != INSN_OP_MOVS && !in->has_imm && in->reg == INSN_REG_NONE)
		return false;
	return true;
}

/* PF reflects only the low byte of the result: set when it has an even
 * number of 1 bits. */
static bool parity_even(uint64_t v)
{
	uint8_t b = (uint8_t)v;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return !(b & 1);
}

static uint64_t flags_szp(uint64_t r, unsigned size)
{
	uint64_t f = 0;

	r &= insn_size_mask(size);
	if (r == 0)
		f |= FL_ZF;
	if (r & (1ULL << (8 * size - 1)))
		f |= FL_SF;
	if (parity_even(r))
		f |= FL_PF;
	return f;
}

/* AND/OR/XOR/TEST: OF and CF cleared, AF undefined (we clear it). */
static uint64_t flags_logic(uint64_t r, unsigned size)
{
	return flags_szp(r, size);
}

/* CMP a, b sets the flags of a - b (SDM Vol. 1 appendix A, SUB). */
static uint64_t flags_sub(uint64_t a, uint64_t b, unsigned size)
{
	uint64_t m = insn_size_mask(size), sign = 1ULL << (8 * size - 1);
	uint64_t r, f;

	a &= m;
	b &= m;
	r = (a - b) & m;
	f = flags_szp(r, size);
	if (a < b)
		f |= FL_CF; /* borrow */
	if ((a ^ b) & (a ^ r) & sign)
		f |= FL_OF; /* operands of different signs, result's sign not a's */
	if ((a ^ b ^ r) & 0x10)
		f |= FL_AF; /* borrow out of bit 3 */
	return f;
}

/* The non-memory operand: immediate or register. */
static uint64_t other_operand(const struct insn *in, const struct insn_regs *regs)
{
	if (in->has_imm)
		return in->imm & insn_size_mask(in->opsize);
	return insn_gpr_read(regs->gpr, in->reg, in->reg_high8, in->opsize);
}

/* The instruction completed: next RIP, wrapping at the code size, and RF
 * cleared as after any completed instruction (SDM Vol. 3A 18.3.1.1). */
static void finish(const struct insn *in, struct insn_regs *regs)
{
	regs->rip = insn_next_rip(in, regs->rip);
	regs->rflags &= ~FL_RF;
}

static int emulate_one(const struct insn *in, struct insn_regs *regs, uint64_t gpa, const struct insn_mem_ops *ops)
{
	unsigned os = in->opsize, ms = in->memsize;
	uint64_t mem = 0, other, res = 0, flags;
	int err;

	if (in->op == INSN_OP_MOV && in->mem_is_dst)
		return ops->mmio_write(ops->ctx, gpa, ms, insn_mov_store_value(in, regs->gpr));

	err = ops->mmio_read(ops->ctx, gpa, ms, &mem);
	if (err)
		return err;
	if (insn_is_mov(in)) {
		insn_mov_load(in, regs->gpr, mem);
		return 0;
	}
	mem &= insn_size_mask(ms);

	switch (in->op) {
	case INSN_OP_CMP:
		other = other_operand(in, regs);
		flags = in->mem_is_dst ? flags_sub(mem, other, os) : flags_sub(other, mem, os);
		break;
	default:
		other = other_operand(in, regs);
		if (in->op == INSN_OP_OR)
			res = mem | other;
		else if (in->op == INSN_OP_XOR)
			res = mem ^ other;
		else
			res = mem & other; /* AND, TEST */
		flags = flags_logic(res, os);
		if (in->op == INSN_OP_TEST)
			break;
		if (in->mem_is_dst) {
			err = ops->mmio_write(ops->ctx, gpa, ms, res & insn_size_mask(ms));
			if (err)
				return err;
		} else {
			insn_gpr_write(regs->gpr, in->reg, in->reg_high8, os, res);
		}
		break;
	}
	regs->rflags = (regs->rflags & ~FL_ARITH) | flags;
	return 0;
}

static uint64_t seg_base(const struct insn *in, const struct insn_regs *regs, enum insn_seg s)
{
	/* 64-bit mode treats the ES, CS, SS and DS bases as 0 (SDM Vol. 3A 3.4.4). */
	if (in->mode == 64 && s != INSN_SEG_FS && s != INSN_SEG_GS)
		return 0;
	return regs->seg_base[s];
}

/* Linear addresses wrap at 4 GiB outside 64-bit mode. */
static uint64_t linear(const struct insn *in, uint64_t base, uint64_t offset)
{
	uint64_t la = base + offset;

	return in->mode == 64 ? la : la & 0xFFFFFFFFULL;
}

static uint64_t string_src_gla(const struct insn *in, const struct insn_regs *regs)
{
	return linear(in, seg_base(in, regs, in->seg), regs->gpr[INSN_RSI] & insn_size_mask(in->addrsize));
}

static uint64_t string_dst_gla(const struct insn *in, const struct insn_regs *regs)
{
	return linear(in, seg_base(in, regs, INSN_SEG_ES), regs->gpr[INSN_RDI] & insn_size_mask(in->addrsize));
}

static bool gla_in(uint64_t gla, uint64_t start, unsigned size)
{
	return gla - start < size;
}

/* Whether [elem, elem+size) lies in the 4 KiB page of `first`. */
static bool same_page(uint64_t elem, unsigned size, uint64_t first)
{
	return (elem & PAGE_MASK_4K) == (first & PAGE_MASK_4K) &&
	       ((elem + size - 1) & PAGE_MASK_4K) == (first & PAGE_MASK_4K);
}

/* One element of MOVS/STOS; egpa is the MMIO side's guest-physical address. */
static int string_element(const struct insn *in, struct insn_regs *regs, bool mmio_src, uint64_t egpa,
			  const struct insn_mem_ops *ops)
{
	unsigned size = in->memsize;
	uint64_t v = 0;
	int err;

	if (in->op == INSN_OP_STOS)
		return ops->mmio_write(ops->ctx, egpa, size, insn_gpr_read(regs->gpr, INSN_RAX, false, size));
	if (mmio_src) {
		err = ops->mmio_read(ops->ctx, egpa, size, &v);
		if (err)
			return err;
		return ops->mem_write(ops->ctx, string_dst_gla(in, regs), size, v & insn_size_mask(size));
	}
	err = ops->mem_read(ops->ctx, string_src_gla(in, regs), size, &v);
	if (err)
		return err;
	return ops->mmio_write(ops->ctx, egpa, size, v & insn_size_mask(size));
}

/* rSI/rDI move by the element size, down when DF is set; they and rCX are
 * read and written at the address size. */
static void string_advance(const struct insn *in, struct insn_regs *regs, bool rep)
{
	unsigned as = in->addrsize;
	uint64_t step = (regs->rflags & FL_DF) ? (uint64_t)0 - in->memsize : in->memsize;

	if (in->op == INSN_OP_MOVS)
		insn_gpr_write(regs->gpr, INSN_RSI, false, as, regs->gpr[INSN_RSI] + step);
	insn_gpr_write(regs->gpr, INSN_RDI, false, as, regs->gpr[INSN_RDI] + step);
	if (rep)
		insn_gpr_write(regs->gpr, INSN_RCX, false, as, regs->gpr[INSN_RCX] - 1);
}

static int emulate_string(const struct insn *in, struct insn_regs *regs, uint64_t gpa, uint64_t gla,
			  const struct insn_mem_ops *ops)
{
	unsigned size = in->memsize;
	bool rep = in->rep != INSN_REP_NONE; /* F2 repeats MOVS/STOS like F3 */
	uint64_t count = rep ? regs->gpr[INSN_RCX] & insn_size_mask(in->addrsize) : 1;
	uint64_t src = string_src_gla(in, regs), dst = string_dst_gla(in, regs);
	uint64_t first, offset;
	bool mmio_src = false;

	if (count == 0) {
		finish(in, regs);
		return 0;
	}
	if (in->op == INSN_OP_MOVS) {
		if (!ops->mem_read || !ops->mem_write)
			return -EOPNOTSUPP;
		/* The read comes first: if the source faulted, it is the MMIO side. */
		if (gla != INSN_GLA_UNKNOWN && gla_in(gla, src, size)) {
			mmio_src = true;
		} else if (gla == INSN_GLA_UNKNOWN || !gla_in(gla, dst, size)) {
			pr_err("insn: movs at rip %#llx: fault address %#llx is neither source %#llx nor destination %#llx",
			       (unsigned long long)regs->rip, (unsigned long long)gla, (unsigned long long)src,
			       (unsigned long long)dst);
			return -EINVAL;
		}
	} else if (gla != INSN_GLA_UNKNOWN && !gla_in(gla, dst, size)) {
		pr_err("insn: stos at rip %#llx: fault address %#llx is not the destination %#llx",
		       (unsigned long long)regs->rip, (unsigned long long)gla, (unsigned long long)dst);
		return -EINVAL;
	}

	first = mmio_src ? src : dst;
	offset = gla == INSN_GLA_UNKNOWN ? 0 : gla - first;
	/* An element crossing into a second page that faulted: the first
	 * page's guest-physical address is unknown here. */
	if (offset && !same_page(gla, 1, first)) {
		pr_err("insn: %s at rip %#llx: element at %#llx crosses a page into MMIO", insn_op_name(in->op),
		       (unsigned long long)regs->rip, (unsigned long long)first);
		return -EOPNOTSUPP;
	}
	gpa -= offset;

	for (unsigned done = 0; done < INSN_REP_BATCH && count > 0; done++) {
		uint64_t elem = mmio_src ? string_src_gla(in, regs) : string_dst_gla(in, regs);
		int err;

		if (done > 0 && !same_page(elem, size, first))
			break;
		err = string_element(in, regs, mmio_src, gpa + (elem - first), ops);
		if (err)
			return err;
		string_advance(in, regs, rep);
		count--;
	}
	if (count > 0)
		return INSN_EMUL_RETRY;
	finish(in, regs);
	return 0;
}

int insn_emulate(const struct insn *in, struct insn_regs *regs, uint64_t mmio_gpa, uint64_t mmio_gla,
		 const struct insn_mem_ops *ops)
{
	if (!in || !regs || !ops || !ops->mmio_read || !ops->mmio_write || !insn_valid(in))
		return -EINVAL;
	return insn_emulate_valid(in, regs, mmio_gpa, mmio_gla, ops);
}

int insn_emulate_valid(const struct insn *in, struct insn_regs *regs, uint64_t mmio_gpa, uint64_t mmio_gla,
		       const struct insn_mem_ops *ops)
{
	int err;

	if (in->op == INSN_OP_MOVS || in->op == INSN_OP_STOS)
		return emulate_string(in, regs, mmio_gpa, mmio_gla, ops);
	err = emulate_one(in, regs, mmio_gpa, ops);
	if (err)
		return err;
	finish(in, regs);
	return 0;
}

uint64_t insn_effective_address(const struct insn *in, const struct insn_regs *regs)
{
	uint64_t mask = insn_size_mask(in->addrsize);
	uint64_t ea = (uint64_t)in->disp;

	if (in->op == INSN_OP_STOS)
		return regs->gpr[INSN_RDI] & mask;
	if (in->op == INSN_OP_MOVS)
		return regs->gpr[INSN_RSI] & mask;
	if (in->base == INSN_REG_RIP)
		ea += regs->rip + in->len;
	else if (in->base >= 0 && in->base < INSN_NR_GPRS)
		ea += regs->gpr[in->base];
	if (in->index >= 0 && in->index < INSN_NR_GPRS)
		ea += regs->gpr[in->index] * in->scale;
	return ea & mask;
}

const char *insn_op_name(enum insn_op op)
{
	static const char *const names[] = {
		[INSN_OP_MOV] = "mov",   [INSN_OP_MOVZX] = "movzx", [INSN_OP_MOVSX] = "movsx",
		[INSN_OP_STOS] = "stos", [INSN_OP_MOVS] = "movs",   [INSN_OP_AND] = "and",
		[INSN_OP_OR] = "or",     [INSN_OP_XOR] = "xor",     [INSN_OP_TEST] = "test",
		[INSN_OP_CMP] = "cmp",
	};

	if ((unsigned)op >= ARRAY_SIZE(names))
		return "unknown";
	return names[op];
}
