/* x86 MMIO instruction decoder and emulator (hv/insn.c). Effects are checked
 * as a guest would observe them: device accesses, registers, RIP, RFLAGS;
 * flags are compared with what this (x86-64) host computes for the same
 * operands. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/insn.h"
#include "test_log.h"

/* RFLAGS bits (SDM Vol. 1 3.4.3), named here independently of insn.c. */
#define CF (1ULL << 0)
#define PF (1ULL << 2)
#define AF (1ULL << 4)
#define ZF (1ULL << 6)
#define SF (1ULL << 7)
#define DF (1ULL << 10)
#define OF (1ULL << 11)
#define RF (1ULL << 16)
#define ARITH (CF | PF | AF | ZF | SF | OF)
#define RFLAGS_FIXED 0x2ULL /* bit 1 always reads 1 */

/* ---- a fake device and guest RAM ------------------------------------------ */

#define MMIO_GPA 0xFED00000ULL /* two pages of device registers */
#define MMIO_GLA 0xFFFF800000400000ULL /* where the guest mapped them */
#define RAM_GLA 0x0000000000600000ULL  /* two pages of guest RAM */
#define WINDOW 8192

struct access {
	char kind; /* 'R'/'W' device read/write, 'r'/'w' RAM read/write */
	uint64_t addr;
	unsigned size;
	uint64_t val;
};

static struct {
	uint8_t mmio[WINDOW];
	uint8_t ram[WINDOW];
	struct access log[512];
	int n;
	int fail_at;   /* access number that fails with fail_err, or -1 */
	int fail_err;
	bool junk;     /* device reads set bits above the access size */
} env;

static uint64_t load_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void store_le(uint8_t *p, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int record(char kind, uint64_t addr, unsigned size, uint64_t val)
{
	assert_true(size == 1 || size == 2 || size == 4 || size == 8);
	assert_true(env.n < (int)(sizeof(env.log) / sizeof(env.log[0])));
	if (env.n == env.fail_at) {
		env.n++;
		return env.fail_err;
	}
	env.log[env.n++] = (struct access){ kind, addr, size, val };
	return 0;
}

static int window(uint64_t addr, uint64_t base, unsigned size, size_t *off)
{
	if (addr < base || addr - base + size > WINDOW)
		return -EFAULT;
	*off = addr - base;
	return 0;
}

static int fake_mmio_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	size_t off;
	int err = window(gpa, MMIO_GPA, size, &off);
	(void)ctx;
	if (err)
		return err;
	*val = load_le(env.mmio + off, size);
	err = record('R', gpa, size, *val);
	if (env.junk && size < 8)
		*val |= 0xDEADBEEFCAFEF00DULL << (8 * size);
	return err;
}

static int fake_mmio_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	size_t off;
	int err = window(gpa, MMIO_GPA, size, &off);
	(void)ctx;
	if (err)
		return err;
	assert_true(size == 8 || (val >> (8 * size)) == 0); /* written values come truncated */
	err = record('W', gpa, size, val);
	if (!err)
		store_le(env.mmio + off, size, val);
	return err;
}

static int fake_mem_read(void *ctx, uint64_t gla, unsigned size, uint64_t *val)
{
	size_t off;
	int err = window(gla, RAM_GLA, size, &off);
	(void)ctx;
	if (err)
		return err;
	*val = load_le(env.ram + off, size);
	return record('r', gla, size, *val);
}

static int fake_mem_write(void *ctx, uint64_t gla, unsigned size, uint64_t val)
{
	size_t off;
	int err = window(gla, RAM_GLA, size, &off);
	(void)ctx;
	if (err)
		return err;
	err = record('w', gla, size, val);
	if (!err)
		store_le(env.ram + off, size, val);
	return err;
}

static const struct insn_mem_ops ops = {
	.mmio_read = fake_mmio_read,
	.mmio_write = fake_mmio_write,
	.mem_read = fake_mem_read,
	.mem_write = fake_mem_write,
};

static struct insn_regs regs;

/* Register values that tell registers apart and have every byte set. */
static uint64_t R(int i)
{
	return 0x5A5A5A5A5A5A0000ULL | (uint64_t)(i + 1) * 0x111;
}

static int setup(void **state)
{
	(void)state;
	memset(&env, 0, sizeof(env));
	env.fail_at = -1;
	for (size_t i = 0; i < WINDOW; i++) {
		env.mmio[i] = (uint8_t)(0x80 + i * 7);
		env.ram[i] = (uint8_t)(0x11 + i * 3);
	}
	memset(&regs, 0, sizeof(regs));
	for (int i = 0; i < INSN_NR_GPRS; i++)
		regs.gpr[i] = R(i);
	regs.rip = 0x401000;
	regs.rflags = RFLAGS_FIXED;
	test_log_reset();
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* Decodes from an exact-size heap copy, so ASan catches any read past len. */
static int decode_n(const uint8_t *b, size_t n, int mode, struct insn *out)
{
	uint8_t *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, b, n);
	int r = insn_decode(copy, n, mode, out);
	free(copy);
	return r;
}

/* Decodes all of b[0..n) as one instruction. */
static struct insn decode_ok(int mode, const uint8_t *b, size_t n)
{
	struct insn in;
	assert_int_equal(decode_n(b, n, mode, &in), 0);
	assert_int_equal(in.len, n);
	assert_int_equal(in.mode, mode);
	return in;
}

/* Decodes and emulates with the operand at MMIO_GPA + off; expects success. */
static struct insn run_at(int mode, uint64_t off, const uint8_t *b, size_t n)
{
	struct insn in = decode_ok(mode, b, n);
	uint64_t rip = regs.rip;
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA + off, MMIO_GLA + off, &ops), 0);
	uint64_t want = rip + n;
	if (mode == 16)
		want &= 0xFFFF;
	else if (mode == 32)
		want &= 0xFFFFFFFF;
	assert_int_equal(regs.rip, want);
	return in;
}

static struct insn run(int mode, const uint8_t *b, size_t n)
{
	return run_at(mode, 0, b, n);
}

static void assert_access(int i, char kind, uint64_t addr, unsigned size, uint64_t val)
{
	assert_true(i < env.n);
	assert_int_equal(env.log[i].kind, kind);
	assert_int_equal(env.log[i].addr, addr);
	assert_int_equal(env.log[i].size, size);
	assert_int_equal(env.log[i].val, val);
}

static void set_mmio(uint64_t off, unsigned size, uint64_t v)
{
	store_le(env.mmio + off, size, v);
}

/* ---- MOV ------------------------------------------------------------------ */

static void test_mov_store_dword_writes_ecx_to_device(void **state)
{
	(void)state;
	struct insn in = run(64, BYTES(0x89, 0x08)); /* mov [rax], ecx */
	assert_int_equal(in.op, INSN_OP_MOV);
	assert_true(in.mem_is_dst);
	assert_int_equal(in.reg, INSN_RCX);
	assert_int_equal(env.n, 1);
	assert_access(0, 'W', MMIO_GPA, 4, R(INSN_RCX) & 0xFFFFFFFF);
	for (int i = 0; i < INSN_NR_GPRS; i++)
		assert_int_equal(regs.gpr[i], R(i));
	assert_int_equal(regs.rflags, RFLAGS_FIXED);
}

static void test_mov_load_dword_zero_extends_to_64_bits(void **state)
{
	(void)state;
	set_mmio(0, 4, 0x89ABCDEF);
	run(64, BYTES(0x8B, 0x03)); /* mov eax, [rbx] */
	assert_access(0, 'R', MMIO_GPA, 4, 0x89ABCDEF);
	assert_int_equal(regs.gpr[INSN_RAX], 0x89ABCDEFULL);
}

static void test_mov_load_ignores_bits_the_device_returns_above_the_size(void **state)
{
	(void)state;
	env.junk = true;
	set_mmio(0, 2, 0xBEEF);
	run(64, BYTES(0x66, 0x8B, 0x03)); /* mov ax, [rbx] */
	assert_int_equal(regs.gpr[INSN_RAX], (R(INSN_RAX) & ~0xFFFFULL) | 0xBEEF);
	run(64, BYTES(0x0F, 0xB6, 0x0B)); /* movzx ecx, byte [rbx] */
	assert_int_equal(regs.gpr[INSN_RCX], 0xEF);
	regs.gpr[INSN_RDX] = 0xBEEF;
	run(64, BYTES(0x66, 0x39, 0x13)); /* cmp [rbx], dx: equal */
	assert_int_equal(regs.rflags & ZF, ZF);
}

static void test_mov_load_rex_w_reads_eight_bytes(void **state)
{
	(void)state;
	set_mmio(8, 8, 0x0123456789ABCDEFULL);
	struct insn in = run_at(64, 8, BYTES(0x48, 0x8B, 0x01)); /* mov rax, [rcx] */
	assert_int_equal(in.opsize, 8);
	assert_access(0, 'R', MMIO_GPA + 8, 8, 0x0123456789ABCDEFULL);
	assert_int_equal(regs.gpr[INSN_RAX], 0x0123456789ABCDEFULL);
}

static void test_mov_load_word_keeps_upper_48_bits(void **state)
{
	(void)state;
	set_mmio(0, 2, 0x1234);
	struct insn in = run(64, BYTES(0x66, 0x8B, 0x11)); /* mov dx, [rcx] */
	assert_int_equal(in.opsize, 2);
	assert_int_equal(regs.gpr[INSN_RDX], (R(INSN_RDX) & ~0xFFFFULL) | 0x1234);
}

static void test_rex_w_wins_over_operand_size_prefix(void **state)
{
	(void)state;
	struct insn in = decode_ok(64, BYTES(0x66, 0x48, 0x8B, 0x01));
	assert_int_equal(in.opsize, 8);
}

static void test_rex_before_a_legacy_prefix_is_ignored(void **state)
{
	(void)state;
	/* 48 66 89 08: the REX is not next to the opcode, so 16-bit, not 64. */
	struct insn in = decode_ok(64, BYTES(0x48, 0x66, 0x89, 0x08));
	assert_int_equal(in.opsize, 2);
	assert_int_equal(in.rex, 0);
}

static void test_last_of_two_rex_prefixes_counts(void **state)
{
	(void)state;
	/* 48 40 8A 20: only REX 40 applies: byte op, reg 4 is SPL. */
	struct insn in = decode_ok(64, BYTES(0x48, 0x40, 0x8A, 0x20));
	assert_int_equal(in.opsize, 1);
	assert_int_equal(in.reg, INSN_RSP);
	assert_false(in.reg_high8);
}

static void test_byte_load_into_ah_without_rex_writes_bits_15_to_8(void **state)
{
	(void)state;
	set_mmio(0, 1, 0xC3);
	struct insn in = run(64, BYTES(0x8A, 0x20)); /* mov ah, [rax] */
	assert_int_equal(in.reg, 4);
	assert_true(in.reg_high8);
	assert_int_equal(regs.gpr[INSN_RAX], (R(INSN_RAX) & ~0xFF00ULL) | 0xC300);
	assert_int_equal(regs.gpr[INSN_RSP], R(INSN_RSP));
}

static void test_byte_load_into_bh_in_32bit_mode(void **state)
{
	(void)state;
	set_mmio(0, 1, 0x5E);
	run(32, BYTES(0x8A, 0x38)); /* mov bh, [eax] */
	assert_int_equal(regs.gpr[INSN_RBX], (R(INSN_RBX) & ~0xFF00ULL) | 0x5E00);
	assert_int_equal(regs.gpr[INSN_RDI], R(INSN_RDI));
}

static void test_byte_load_with_rex_reg4_writes_spl(void **state)
{
	(void)state;
	set_mmio(0, 1, 0x77);
	struct insn in = run(64, BYTES(0x40, 0x8A, 0x20)); /* mov spl, [rax] */
	assert_false(in.reg_high8);
	assert_int_equal(regs.gpr[INSN_RSP], (R(INSN_RSP) & ~0xFFULL) | 0x77);
	assert_int_equal(regs.gpr[INSN_RAX], R(INSN_RAX));
}

static void test_byte_store_from_ch_writes_bits_15_to_8_of_rcx(void **state)
{
	(void)state;
	run(64, BYTES(0x88, 0x28)); /* mov [rax], ch */
	assert_access(0, 'W', MMIO_GPA, 1, (R(INSN_RCX) >> 8) & 0xFF);
}

static void test_byte_store_from_dil_with_rex(void **state)
{
	(void)state;
	run(64, BYTES(0x40, 0x88, 0x38)); /* mov [rax], dil */
	assert_access(0, 'W', MMIO_GPA, 1, R(INSN_RDI) & 0xFF);
}

static void test_rex_r_selects_r8_to_r15(void **state)
{
	(void)state;
	run(64, BYTES(0x44, 0x89, 0x00)); /* mov [rax], r8d */
	assert_access(0, 'W', MMIO_GPA, 4, R(INSN_R8) & 0xFFFFFFFF);
	set_mmio(0, 8, 0xFEDCBA9876543210ULL);
	struct insn in = run(64, BYTES(0x4C, 0x8B, 0x38)); /* mov r15, [rax] */
	assert_int_equal(in.reg, INSN_R15);
	assert_int_equal(regs.gpr[INSN_R15], 0xFEDCBA9876543210ULL);
	set_mmio(0, 1, 0xAB);
	run(64, BYTES(0x44, 0x8A, 0x20)); /* mov r12b, [rax] */
	assert_int_equal(regs.gpr[INSN_R12], (R(INSN_R12) & ~0xFFULL) | 0xAB);
}

static void test_mov_immediate_byte_dword_and_sign_extended_qword(void **state)
{
	(void)state;
	struct insn in = run(64, BYTES(0xC6, 0x00, 0xAB)); /* mov byte [rax], 0xab */
	assert_true(in.has_imm);
	assert_int_equal(in.reg, INSN_REG_NONE);
	assert_access(0, 'W', MMIO_GPA, 1, 0xAB);
	run(64, BYTES(0xC7, 0x00, 0x78, 0x56, 0x34, 0x12)); /* mov dword [rax], 0x12345678 */
	assert_access(1, 'W', MMIO_GPA, 4, 0x12345678);
	in = run(64, BYTES(0x48, 0xC7, 0x00, 0x00, 0x00, 0x00, 0x80)); /* mov qword [rax], -2^31 */
	assert_int_equal(in.imm, 0xFFFFFFFF80000000ULL);
	assert_access(2, 'W', MMIO_GPA, 8, 0xFFFFFFFF80000000ULL);
	in = run(64, BYTES(0x66, 0xC7, 0x00, 0x34, 0x12)); /* mov word [rax], 0x1234: imm16 */
	assert_access(3, 'W', MMIO_GPA, 2, 0x1234);
	in = run(16, BYTES(0xC7, 0x07, 0xCD, 0xAB)); /* 16-bit mode: mov word [bx], 0xabcd */
	assert_access(4, 'W', MMIO_GPA, 2, 0xABCD);
}

static void test_mov_immediate_with_nonzero_reg_field_is_rejected(void **state)
{
	(void)state;
	struct insn in;
	assert_int_equal(decode_n(BYTES(0xC6, 0x08, 0x00), 64, &in), -EINVAL); /* C6 /1 */
	assert_int_equal(decode_n(BYTES(0xC7, 0x38, 0, 0, 0, 0), 64, &in), -EINVAL); /* C7 /7 */
}

static void test_moffs_offset_is_address_sized_in_each_mode(void **state)
{
	(void)state;
	struct insn in;

	set_mmio(0, 4, 0xCAFEBABE);
	in = run(64, BYTES(0xA1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11)); /* mov eax, [moffs64] */
	assert_int_equal(in.disp, 0x1122334455667788LL);
	assert_int_equal(regs.gpr[INSN_RAX], 0xCAFEBABE);
	assert_int_equal(insn_effective_address(&in, &regs), 0x1122334455667788ULL);

	in = run(64, BYTES(0x48, 0xA3, 1, 2, 3, 4, 5, 6, 7, 8)); /* mov [moffs64], rax */
	assert_true(in.mem_is_dst);
	assert_access(1, 'W', MMIO_GPA, 8, 0xCAFEBABE);

	set_mmio(0, 1, 0x42);
	in = run(64, BYTES(0x67, 0xA0, 0x00, 0x00, 0xD0, 0xFE)); /* 67: mov al, [moffs32] */
	assert_int_equal(in.addrsize, 4);
	assert_int_equal(in.disp, 0xFED00000LL);
	assert_int_equal(regs.gpr[INSN_RAX], 0xCAFEBA42ULL);

	in = run(32, BYTES(0xA2, 0x00, 0x00, 0xD0, 0xFE)); /* mov [moffs32], al */
	assert_int_equal(in.opsize, 1);
	assert_int_equal(in.seg, INSN_SEG_DS);

	in = run(16, BYTES(0x26, 0xA1, 0x34, 0x12)); /* mov ax, es:[0x1234] */
	assert_int_equal(in.len, 4);
	assert_int_equal(in.disp, 0x1234);
	assert_int_equal(in.seg, INSN_SEG_ES);
}

/* ---- MOVZX / MOVSX / MOVSXD ----------------------------------------------- */

static void test_movzx_zero_extends_byte_and_word(void **state)
{
	(void)state;
	set_mmio(0, 2, 0xF0E1);
	struct insn in = run(64, BYTES(0x0F, 0xB6, 0x00)); /* movzx eax, byte [rax] */
	assert_int_equal(in.memsize, 1);
	assert_int_equal(in.opsize, 4);
	assert_access(0, 'R', MMIO_GPA, 1, 0xE1);
	assert_int_equal(regs.gpr[INSN_RAX], 0xE1);
	run(64, BYTES(0x48, 0x0F, 0xB7, 0x08)); /* movzx rcx, word [rax] */
	assert_int_equal(regs.gpr[INSN_RCX], 0xF0E1);
	run(64, BYTES(0x66, 0x0F, 0xB6, 0x10)); /* movzx dx, byte [rax]: keeps upper 48 */
	assert_int_equal(regs.gpr[INSN_RDX], (R(INSN_RDX) & ~0xFFFFULL) | 0x00E1);
}

static void test_movsx_sign_extends_to_the_destination_size(void **state)
{
	(void)state;
	set_mmio(0, 2, 0x8081);
	run(64, BYTES(0x48, 0x0F, 0xBE, 0x00)); /* movsx rax, byte [rax] */
	assert_int_equal(regs.gpr[INSN_RAX], 0xFFFFFFFFFFFFFF81ULL);
	run(64, BYTES(0x0F, 0xBF, 0x08)); /* movsx ecx, word [rax]: upper 32 cleared */
	assert_int_equal(regs.gpr[INSN_RCX], 0xFFFF8081ULL);
	run(64, BYTES(0x66, 0x0F, 0xBE, 0x10)); /* movsx dx, byte [rax] */
	assert_int_equal(regs.gpr[INSN_RDX], (R(INSN_RDX) & ~0xFFFFULL) | 0xFF81);
	set_mmio(0, 1, 0x7F);
	run(32, BYTES(0x0F, 0xBE, 0x18)); /* movsx ebx, byte [eax], positive */
	assert_int_equal(regs.gpr[INSN_RBX], 0x7F);
}

static void test_movsxd_with_rex_w_sign_extends_a_dword(void **state)
{
	(void)state;
	set_mmio(0, 4, 0x80000001);
	struct insn in = run(64, BYTES(0x48, 0x63, 0x00)); /* movsxd rax, dword [rax] */
	assert_int_equal(in.op, INSN_OP_MOVSX);
	assert_int_equal(in.memsize, 4);
	assert_int_equal(in.opsize, 8);
	assert_int_equal(regs.gpr[INSN_RAX], 0xFFFFFFFF80000001ULL);
	run(64, BYTES(0x63, 0x08)); /* without REX.W: a 32-bit load, zero-extended */
	assert_int_equal(regs.gpr[INSN_RCX], 0x80000001ULL);
}

static void test_opcode_63_outside_64bit_mode_is_arpl_and_rejected(void **state)
{
	(void)state;
	struct insn in;
	assert_int_equal(decode_n(BYTES(0x63, 0x00), 32, &in), -EINVAL);
	assert_int_equal(decode_n(BYTES(0x63, 0x00), 16, &in), -EINVAL);
}

/* ---- 16- and 32-bit modes, sizes and prefixes ----------------------------- */

static void test_16bit_mode_defaults_to_16bit_operands_and_addresses(void **state)
{
	(void)state;
	struct insn in = run(16, BYTES(0x89, 0x07)); /* mov [bx], ax */
	assert_int_equal(in.opsize, 2);
	assert_int_equal(in.addrsize, 2);
	assert_access(0, 'W', MMIO_GPA, 2, R(INSN_RAX) & 0xFFFF);
	in = run(16, BYTES(0x66, 0x89, 0x07)); /* 66: mov [bx], eax */
	assert_int_equal(in.opsize, 4);
	assert_access(1, 'W', MMIO_GPA, 4, R(INSN_RAX) & 0xFFFFFFFF);
	set_mmio(0, 4, 0x11223344);
	run(16, BYTES(0x66, 0x8B, 0x0F)); /* mov ecx, [bx]: zero-extends */
	assert_int_equal(regs.gpr[INSN_RCX], 0x11223344);
}

static void test_32bit_mode_operand_and_address_size_prefixes(void **state)
{
	(void)state;
	struct insn in = run(32, BYTES(0x66, 0x89, 0x08)); /* mov [eax], cx */
	assert_int_equal(in.opsize, 2);
	assert_int_equal(in.addrsize, 4);
	assert_access(0, 'W', MMIO_GPA, 2, R(INSN_RCX) & 0xFFFF);
	in = run(32, BYTES(0x67, 0x89, 0x07)); /* mov [bx], eax: 16-bit addressing */
	assert_int_equal(in.addrsize, 2);
	assert_int_equal(in.base, INSN_RBX);
	assert_int_equal(insn_effective_address(&in, &regs), R(INSN_RBX) & 0xFFFF);
}

static void test_64bit_mode_address_size_prefix_truncates_to_32_bits(void **state)
{
	(void)state;
	struct insn in = decode_ok(64, BYTES(0x67, 0x8B, 0x04, 0x88)); /* mov eax, [eax+ecx*4] */
	assert_int_equal(in.addrsize, 4);
	assert_int_equal(insn_effective_address(&in, &regs), (R(INSN_RAX) + R(INSN_RCX) * 4) & 0xFFFFFFFF);
}

static void test_segment_override_and_default_segments(void **state)
{
	(void)state;
	static const struct {
		int mode;
		uint8_t b[8];
		size_t n;
		enum insn_seg seg;
		bool override;
	} cases[] = {
		{ 64, { 0x89, 0x08 }, 2, INSN_SEG_DS, false },             /* [rax] */
		{ 64, { 0x64, 0x89, 0x08 }, 3, INSN_SEG_FS, true },        /* fs:[rax] */
		{ 64, { 0x65, 0x48, 0x89, 0x08 }, 4, INSN_SEG_GS, true },  /* gs: then REX */
		{ 32, { 0x26, 0x89, 0x08 }, 3, INSN_SEG_ES, true },
		{ 32, { 0x2E, 0x89, 0x08 }, 3, INSN_SEG_CS, true },
		{ 32, { 0x89, 0x45, 0x08 }, 3, INSN_SEG_SS, false },       /* [ebp+8] */
		{ 32, { 0x89, 0x04, 0x24 }, 3, INSN_SEG_SS, false },       /* [esp] */
		{ 32, { 0x3E, 0x89, 0x45, 0x08 }, 4, INSN_SEG_DS, true },  /* ds:[ebp+8] */
		{ 64, { 0x41, 0x89, 0x45, 0x08 }, 4, INSN_SEG_DS, false }, /* [r13+8] is not rBP */
		{ 16, { 0x89, 0x46, 0xFE }, 3, INSN_SEG_SS, false },       /* [bp-2] */
		{ 16, { 0x89, 0x02 }, 2, INSN_SEG_SS, false },             /* [bp+si] */
		{ 16, { 0x89, 0x06, 0x00, 0x10 }, 4, INSN_SEG_DS, false }, /* [0x1000] */
		{ 16, { 0x36, 0x89, 0x07 }, 3, INSN_SEG_SS, true },        /* ss:[bx] */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct insn in = decode_ok(cases[i].mode, cases[i].b, cases[i].n);
		assert_int_equal(in.seg, cases[i].seg);
		assert_int_equal(in.seg_override, cases[i].override);
	}
}

/* ---- addressing forms ----------------------------------------------------- */

static void test_addressing_forms_compute_the_effective_address(void **state)
{
	(void)state;
	static const struct {
		int mode;
		uint8_t b[12];
		size_t n;
		int base, index, scale;
		int64_t disp;
	} cases[] = {
		/* 64-bit: mov [m], eax (89 /0) */
		{ 64, { 0x89, 0x00 }, 2, INSN_RAX, -1, 1, 0 },
		{ 64, { 0x89, 0x40, 0x7F }, 3, INSN_RAX, -1, 1, 0x7F },
		{ 64, { 0x89, 0x40, 0x80 }, 3, INSN_RAX, -1, 1, -0x80 },
		{ 64, { 0x89, 0x80, 0x00, 0x00, 0x00, 0x80 }, 6, INSN_RAX, -1, 1, -0x80000000LL },
		{ 64, { 0x89, 0x04, 0x88 }, 3, INSN_RAX, INSN_RCX, 4, 0 },           /* [rax+rcx*4] */
		{ 64, { 0x89, 0x44, 0xD6, 0x10 }, 4, INSN_RSI, INSN_RDX, 8, 0x10 },  /* [rsi+rdx*8+0x10] */
		{ 64, { 0x89, 0x04, 0x24 }, 3, INSN_RSP, -1, 1, 0 },                 /* [rsp]: index 100 = none */
		{ 64, { 0x89, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00 }, 7, -1, -1, 1, 0x1000 }, /* [disp32], not RIP */
		{ 64, { 0x89, 0x04, 0x8D, 0xF0, 0xFF, 0xFF, 0xFF }, 7, -1, INSN_RCX, 4, -0x10 }, /* [rcx*4-16] */
		{ 64, { 0x89, 0x45, 0x00 }, 3, INSN_RBP, -1, 1, 0 },                 /* [rbp+0] */
		{ 64, { 0x41, 0x89, 0x04, 0x24 }, 4, INSN_R12, -1, 1, 0 },           /* [r12] needs a SIB */
		{ 64, { 0x41, 0x89, 0x45, 0x08 }, 4, INSN_R13, -1, 1, 8 },           /* [r13+8] */
		{ 64, { 0x41, 0x89, 0x04, 0x25, 0x20, 0, 0, 0 }, 8, -1, -1, 1, 0x20 }, /* base 101 mod 0 even with REX.B */
		{ 64, { 0x42, 0x89, 0x04, 0xA5, 0x10, 0, 0, 0 }, 8, -1, INSN_R12, 4, 0x10 }, /* REX.X: index r12 */
		{ 64, { 0x43, 0x89, 0x44, 0x3F, 0x01 }, 5, INSN_R15, INSN_R15, 1, 1 }, /* [r15+r15+1] */
		{ 64, { 0x41, 0x89, 0x00 }, 3, INSN_R8, -1, 1, 0 },
		/* 32-bit */
		{ 32, { 0x89, 0x05, 0x00, 0x00, 0xD0, 0xFE }, 6, -1, -1, 1, (int64_t)(int32_t)0xFED00000 }, /* absolute */
		{ 32, { 0x89, 0x84, 0x4B, 0x00, 0x01, 0x00, 0x00 }, 7, INSN_RBX, INSN_RCX, 2, 0x100 },
		{ 32, { 0x67, 0x89, 0x40, 0x05 }, 4, INSN_RBX, INSN_RSI, 1, 5 },     /* 16-bit [bx+si+5] */
		/* 16-bit: the eight base/index pairs of table 2-1 */
		{ 16, { 0x89, 0x00 }, 2, INSN_RBX, INSN_RSI, 1, 0 },
		{ 16, { 0x89, 0x01 }, 2, INSN_RBX, INSN_RDI, 1, 0 },
		{ 16, { 0x89, 0x42, 0x10 }, 3, INSN_RBP, INSN_RSI, 1, 0x10 },
		{ 16, { 0x89, 0x83, 0x00, 0x80 }, 4, INSN_RBP, INSN_RDI, 1, -0x8000 },
		{ 16, { 0x89, 0x04 }, 2, INSN_RSI, -1, 1, 0 },
		{ 16, { 0x89, 0x05 }, 2, INSN_RDI, -1, 1, 0 },
		{ 16, { 0x89, 0x46, 0x00 }, 3, INSN_RBP, -1, 1, 0 },
		{ 16, { 0x89, 0x07 }, 2, INSN_RBX, -1, 1, 0 },
		{ 16, { 0x89, 0x06, 0x34, 0x12 }, 4, -1, -1, 1, 0x1234 },
		{ 16, { 0x67, 0x89, 0x04, 0x8B }, 4, INSN_RBX, INSN_RCX, 4, 0 },     /* 32-bit [ebx+ecx*4] */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct insn in = decode_ok(cases[i].mode, cases[i].b, cases[i].n);
		assert_int_equal(in.base, cases[i].base);
		assert_int_equal(in.index, cases[i].index);
		assert_int_equal(in.scale, cases[i].scale);
		assert_int_equal(in.disp, cases[i].disp);
		uint64_t ea = (uint64_t)cases[i].disp;
		if (cases[i].base >= 0)
			ea += R(cases[i].base);
		if (cases[i].index >= 0)
			ea += R(cases[i].index) * (uint64_t)cases[i].scale;
		uint64_t mask = in.addrsize == 8 ? ~0ULL : in.addrsize == 4 ? 0xFFFFFFFFULL : 0xFFFFULL;
		assert_int_equal(insn_effective_address(&in, &regs), ea & mask);
	}
}

static void test_rip_relative_is_relative_to_the_next_instruction_in_64bit_mode(void **state)
{
	(void)state;
	regs.rip = 0xFFFFFFFF80001000ULL;
	struct insn in = decode_ok(64, BYTES(0x8B, 0x05, 0xF0, 0xFF, 0xFF, 0xFF)); /* mov eax, [rip-16] */
	assert_int_equal(in.base, INSN_REG_RIP);
	assert_int_equal(insn_effective_address(&in, &regs), 0xFFFFFFFF80001000ULL + 6 - 16);
	/* with an immediate after the displacement, "next" is after it too */
	in = decode_ok(64, BYTES(0xC7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00));
	assert_int_equal(in.len, 10);
	assert_int_equal(insn_effective_address(&in, &regs), 0xFFFFFFFF80001000ULL + 10 + 16);
	/* 67: EIP-relative, truncated to 32 bits */
	in = decode_ok(64, BYTES(0x67, 0x8B, 0x05, 0x10, 0x00, 0x00, 0x00));
	assert_int_equal(insn_effective_address(&in, &regs), (0xFFFFFFFF80001000ULL + 7 + 16) & 0xFFFFFFFF);
	/* the same ModRM in 32-bit mode is an absolute disp32 */
	in = decode_ok(32, BYTES(0x8B, 0x05, 0x10, 0x00, 0x00, 0x00));
	assert_int_equal(in.base, INSN_REG_NONE);
	assert_int_equal(insn_effective_address(&in, &regs), 0x10);
	/* and the emulation of a RIP-relative store reaches the device */
	run(64, BYTES(0x89, 0x05, 0x00, 0x01, 0x00, 0x00));
	assert_access(0, 'W', MMIO_GPA, 4, R(INSN_RAX) & 0xFFFFFFFF);
}

/* ---- AND / OR / XOR / TEST / CMP ------------------------------------------ */

static void test_and_to_memory_reads_modifies_writes_and_sets_flags(void **state)
{
	(void)state;
	set_mmio(0, 4, 0xFF00FF00);
	regs.gpr[INSN_RCX] = 0x0F0F0F0F;
	regs.rflags |= CF | OF | AF;
	struct insn in = run(64, BYTES(0x21, 0x08)); /* and [rax], ecx */
	assert_int_equal(in.op, INSN_OP_AND);
	assert_access(0, 'R', MMIO_GPA, 4, 0xFF00FF00);
	assert_access(1, 'W', MMIO_GPA, 4, 0x0F000F00);
	assert_int_equal(env.n, 2);
	assert_int_equal(regs.rflags & ARITH, PF); /* 0x00 low byte: even parity; CF/OF/AF cleared */
}

static void test_or_into_register_zero_extends_and_leaves_memory_alone(void **state)
{
	(void)state;
	set_mmio(0, 4, 0x80000000);
	regs.gpr[INSN_RCX] = 0xFFFFFFFF00000001ULL;
	run(64, BYTES(0x0B, 0x08)); /* or ecx, [rax] */
	assert_int_equal(env.n, 1);
	assert_int_equal(regs.gpr[INSN_RCX], 0x80000001ULL);
	assert_int_equal(regs.rflags & ARITH, SF); /* 0x01: odd parity */
}

static void test_xor_byte_with_ah_to_memory(void **state)
{
	(void)state;
	set_mmio(0, 1, 0x5A);
	regs.gpr[INSN_RAX] = 0x5A00;
	run(64, BYTES(0x30, 0x20)); /* xor [rax], ah */
	assert_access(1, 'W', MMIO_GPA, 1, 0x00);
	assert_int_equal(regs.rflags & ARITH, ZF | PF);
}

static void test_group1_immediates_are_sign_extended_per_form(void **state)
{
	(void)state;
	struct insn in;

	set_mmio(0, 8, 0x123456789ABCDEF0ULL);
	in = run(64, BYTES(0x80, 0x08, 0x0F)); /* or byte [rax], 0x0f */
	assert_int_equal(in.op, INSN_OP_OR);
	assert_access(1, 'W', MMIO_GPA, 1, 0xFF);
	in = run(64, BYTES(0x83, 0x20, 0xF0)); /* and dword [rax], -16 */
	assert_int_equal(in.imm, 0xFFFFFFF0);
	assert_access(3, 'W', MMIO_GPA, 4, 0x9ABCDEF0);
	in = run(64, BYTES(0x66, 0x83, 0x30, 0xFF)); /* xor word [rax], -1 */
	assert_int_equal(in.imm, 0xFFFF);
	assert_access(5, 'W', MMIO_GPA, 2, 0xDEF0 ^ 0xFFFF);
	in = run(64, BYTES(0x48, 0x81, 0x20, 0x00, 0x00, 0x00, 0x80)); /* and qword [rax], -2^31 */
	assert_int_equal(in.imm, 0xFFFFFFFF80000000ULL);
	assert_access(7, 'W', MMIO_GPA, 8, 0x1234567880000000ULL);
	in = run(16, BYTES(0x81, 0x0F, 0x01, 0x80)); /* 16-bit: or word [bx], 0x8001 */
	assert_int_equal(in.imm, 0x8001);
	assert_int_equal(in.len, 4);
}

static void test_group1_add_adc_sbb_sub_are_rejected(void **state)
{
	(void)state;
	struct insn in;
	for (int r = 0; r < 8; r++) {
		uint8_t b[3] = { 0x83, (uint8_t)(r << 3), 0x01 };
		int want = (r == 1 || r == 4 || r == 6 || r == 7) ? 0 : -EINVAL;
		assert_int_equal(decode_n(b, 3, 64, &in), want);
	}
}

static void test_test_sets_flags_and_never_writes(void **state)
{
	(void)state;
	set_mmio(0, 4, 0x80000000);
	regs.gpr[INSN_RCX] = 0x80000000;
	struct insn in = run(64, BYTES(0x85, 0x08)); /* test [rax], ecx */
	assert_int_equal(in.op, INSN_OP_TEST);
	assert_int_equal(env.n, 1);
	assert_int_equal(regs.rflags & ARITH, SF | PF);
	assert_int_equal(regs.gpr[INSN_RCX], 0x80000000);

	set_mmio(0, 1, 0x7F);
	run(64, BYTES(0xF6, 0x00, 0x80)); /* test byte [rax], 0x80 */
	assert_int_equal(env.n, 2);
	assert_int_equal(regs.rflags & ARITH, ZF | PF);

	set_mmio(0, 4, 0x00010000);
	run(32, BYTES(0xF7, 0x00, 0x00, 0x00, 0x01, 0x00)); /* test dword [eax], 0x10000 */
	assert_int_equal(regs.rflags & ARITH, PF);
}

static void test_group3_other_than_test_is_rejected(void **state)
{
	(void)state;
	struct insn in;
	assert_int_equal(decode_n(BYTES(0xF6, 0x00, 0x01), 64, &in), 0);
	for (int r = 1; r < 8; r++) {
		uint8_t b[3] = { 0xF6, (uint8_t)(r << 3), 0x01 };
		assert_int_equal(decode_n(b, 3, 64, &in), -EINVAL);
	}
}

static void test_cmp_operand_order_follows_the_direction_bit(void **state)
{
	(void)state;
	set_mmio(0, 4, 1);
	regs.gpr[INSN_RCX] = 2;
	struct insn in = run(64, BYTES(0x39, 0x08)); /* cmp [rax], ecx: 1 - 2 borrows */
	assert_true(in.mem_is_dst);
	assert_int_equal(regs.rflags & ARITH, CF | SF | AF | PF);
	in = run(64, BYTES(0x3B, 0x08)); /* cmp ecx, [rax]: 2 - 1 */
	assert_false(in.mem_is_dst);
	assert_int_equal(regs.rflags & ARITH, 0);
	assert_int_equal(env.n, 2); /* reads only */
	assert_int_equal(regs.gpr[INSN_RCX], 2);
}

static void test_cmp_immediate_signed_overflow_edge(void **state)
{
	(void)state;
	set_mmio(0, 1, 0x80);
	run(64, BYTES(0x80, 0x38, 0x01)); /* cmp byte [rax], 1: -128 - 1 overflows */
	assert_int_equal(regs.rflags & ARITH, OF | AF);
	set_mmio(0, 8, 0);
	run(64, BYTES(0x48, 0x83, 0x38, 0xFF)); /* cmp qword [rax], -1: 0 - (2^64-1) */
	assert_int_equal(regs.rflags & ARITH, CF | AF); /* result 1: odd parity */
	set_mmio(0, 2, 0x1234);
	run(16, BYTES(0x81, 0x3F, 0x34, 0x12)); /* cmp word [bx], 0x1234 */
	assert_int_equal(regs.rflags & ARITH, ZF | PF);
}

static void test_flag_results_keep_the_other_rflags_bits(void **state)
{
	(void)state;
	regs.rflags = RFLAGS_FIXED | DF | (1ULL << 9) | ARITH;
	set_mmio(0, 4, 5);
	regs.gpr[INSN_RCX] = 5;
	run(64, BYTES(0x39, 0x08));
	assert_int_equal(regs.rflags, RFLAGS_FIXED | DF | (1ULL << 9) | ZF | PF);
}

/* What this host's ALU computes for `op` x, y at `size` (Intel order: CMP
 * is x - y). RFLAGS are read with pushfq below the red zone. */
enum host_op { H_CMP, H_TEST, H_AND, H_OR, H_XOR };

#define HOST_ALU(mnem, mod)                                                                    \
	__asm__ volatile("lea -128(%%rsp), %%rsp\n\t" mnem " %" mod "2, %" mod "1\n\t"          \
			 "pushfq\n\tpopq %0\n\tlea 128(%%rsp), %%rsp"                             \
			 : "=&r"(fl), "+r"(x)                                                     \
			 : "r"(y)                                                                 \
			 : "cc", "memory")

#define HOST_SIZES(mnem)                                              \
	switch (size) {                                               \
	case 1: HOST_ALU(mnem "b", "b"); break;                       \
	case 2: HOST_ALU(mnem "w", "w"); break;                       \
	case 4: HOST_ALU(mnem "l", "k"); break;                       \
	default: HOST_ALU(mnem "q", "q"); break;                      \
	}

static uint64_t host_flags(enum host_op op, uint64_t x, uint64_t y, unsigned size)
{
	uint64_t fl = 0;
	switch (op) {
	case H_CMP: HOST_SIZES("cmp"); break;
	case H_TEST: HOST_SIZES("test"); break;
	case H_AND: HOST_SIZES("and"); break;
	case H_OR: HOST_SIZES("or"); break;
	case H_XOR: HOST_SIZES("xor"); break;
	}
	return fl & ARITH;
}

/* Emulated flags for `op` with memory = x and the register = y (memory as
 * the first operand), and for CMP also the register-first form. */
static uint64_t emu_flags(enum host_op op, uint64_t x, uint64_t y, unsigned size, bool reg_first)
{
	static const uint8_t opc[] = { [H_CMP] = 0x38, [H_TEST] = 0x84, [H_AND] = 0x20, [H_OR] = 0x08, [H_XOR] = 0x30 };
	uint8_t b[4];
	size_t n = 0;

	if (size == 2)
		b[n++] = 0x66;
	if (size == 8)
		b[n++] = 0x48;
	b[n++] = (uint8_t)(opc[op] | (size > 1 ? 1 : 0) | (reg_first ? 2 : 0));
	b[n++] = 0x08; /* [rax], cl/cx/ecx/rcx */
	env.n = 0;
	set_mmio(0, size, x);
	regs.gpr[INSN_RCX] = y;
	regs.rflags = RFLAGS_FIXED;
	run(64, b, n);
	return regs.rflags & ARITH;
}

static void test_flags_match_the_host_cpu_for_edge_operands(void **state)
{
	(void)state;
#if defined(__x86_64__)
	static const uint64_t v[] = {
		0, 1, 2, 0x0F, 0x10, 0x7F, 0x80, 0x81, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF,
		0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000ULL, 0x7FFFFFFFFFFFFFFFULL,
		0x8000000000000000ULL, 0xFFFFFFFFFFFFFFFFULL, 0x123456789ABCDEF0ULL, 0xAAAAAAAAAAAAAAAAULL,
		0x5555555555555555ULL, 0x8000000000000001ULL,
	};
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	const size_t nv = sizeof(v) / sizeof(v[0]);

	for (size_t s = 0; s < 4; s++) {
		unsigned size = sizes[s];
		uint64_t m = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
		for (size_t i = 0; i < nv; i++) {
			for (size_t j = 0; j < nv; j++) {
				uint64_t a = v[i] & m, b = v[j] & m;
				/* CMP: every arithmetic flag is defined */
				assert_int_equal(emu_flags(H_CMP, a, b, size, false), host_flags(H_CMP, a, b, size));
				assert_int_equal(emu_flags(H_CMP, a, b, size, true), host_flags(H_CMP, b, a, size));
				/* logic: AF is undefined on hardware and cleared by us */
				for (enum host_op op = H_TEST; op <= H_XOR; op++) {
					uint64_t e = emu_flags(op, a, b, size, false);
					assert_int_equal(e & AF, 0);
					assert_int_equal(e, host_flags(op, a, b, size) & ~AF);
				}
			}
		}
	}
#else
	skip();
#endif
}

static void test_lock_is_accepted_only_on_logic_ops_to_memory(void **state)
{
	(void)state;
	struct insn in;
	assert_int_equal(decode_n(BYTES(0xF0, 0x21, 0x08), 64, &in), 0); /* lock and [rax], ecx */
	assert_true(in.lock);
	assert_int_equal(decode_n(BYTES(0xF0, 0x83, 0x08, 0x01), 64, &in), 0); /* lock or [rax], 1 */
	assert_int_equal(decode_n(BYTES(0xF0, 0x89, 0x08), 64, &in), -EINVAL);       /* mov */
	assert_int_equal(decode_n(BYTES(0xF0, 0x23, 0x08), 64, &in), -EINVAL);       /* and ecx, [rax] */
	assert_int_equal(decode_n(BYTES(0xF0, 0x39, 0x08), 64, &in), -EINVAL);       /* cmp */
	assert_int_equal(decode_n(BYTES(0xF0, 0x85, 0x08), 64, &in), -EINVAL);       /* test */
	assert_int_equal(decode_n(BYTES(0xF0, 0x83, 0x38, 0x01), 64, &in), -EINVAL); /* cmp imm */
	assert_int_equal(decode_n(BYTES(0xF0, 0xAB), 64, &in), -EINVAL);             /* stos */
}

/* ---- STOS / MOVS ----------------------------------------------------------- */

static void test_stos_stores_al_and_advances_rdi(void **state)
{
	(void)state;
	regs.gpr[INSN_RDI] = MMIO_GLA + 0x10;
	struct insn in = run_at(64, 0x10, BYTES(0xAA));
	assert_int_equal(in.op, INSN_OP_STOS);
	assert_int_equal(in.seg, INSN_SEG_ES);
	assert_access(0, 'W', MMIO_GPA + 0x10, 1, R(INSN_RAX) & 0xFF);
	assert_int_equal(regs.gpr[INSN_RDI], MMIO_GLA + 0x11);
	assert_int_equal(regs.gpr[INSN_RCX], R(INSN_RCX)); /* no REP: rCX untouched */
}

static void test_rep_stos_runs_every_iteration_and_clears_rcx(void **state)
{
	(void)state;
	regs.gpr[INSN_RDI] = MMIO_GLA;
	regs.gpr[INSN_RCX] = 3;
	regs.gpr[INSN_RAX] = 0x1122334455667788ULL;
	run(64, BYTES(0xF3, 0x48, 0xAB)); /* rep stosq */
	assert_int_equal(env.n, 3);
	for (int i = 0; i < 3; i++)
		assert_access(i, 'W', MMIO_GPA + 8 * i, 8, 0x1122334455667788ULL);
	assert_int_equal(regs.gpr[INSN_RCX], 0);
	assert_int_equal(regs.gpr[INSN_RDI], MMIO_GLA + 24);
}

static void test_rep_stos_with_df_set_walks_down(void **state)
{
	(void)state;
	regs.rflags |= DF;
	regs.gpr[INSN_RDI] = MMIO_GLA + 0x100;
	regs.gpr[INSN_RCX] = 2;
	run_at(64, 0x100, BYTES(0xF3, 0xAB)); /* rep stosd */
	assert_access(0, 'W', MMIO_GPA + 0x100, 4, R(INSN_RAX) & 0xFFFFFFFF);
	assert_access(1, 'W', MMIO_GPA + 0xFC, 4, R(INSN_RAX) & 0xFFFFFFFF);
	assert_int_equal(regs.gpr[INSN_RDI], MMIO_GLA + 0xF8);
}

static void test_rep_with_zero_count_does_nothing_but_advance_rip(void **state)
{
	(void)state;
	regs.gpr[INSN_RCX] = 0xFFFFFFFF00000000ULL; /* ECX = 0 with 67 */
	regs.gpr[INSN_RDI] = MMIO_GLA;
	run(64, BYTES(0x67, 0xF3, 0xAB));
	assert_int_equal(env.n, 0);
	assert_int_equal(regs.gpr[INSN_RCX], 0xFFFFFFFF00000000ULL);
}

static void test_rep_stos_stops_after_the_batch_and_asks_for_a_retry(void **state)
{
	(void)state;
	struct insn in = decode_ok(64, BYTES(0xF3, 0xAA)); /* rep stosb */
	regs.gpr[INSN_RDI] = MMIO_GLA;
	regs.gpr[INSN_RCX] = 1000;
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA, MMIO_GLA, &ops), INSN_EMUL_RETRY);
	assert_int_equal(env.n, INSN_REP_BATCH);
	assert_int_equal(regs.gpr[INSN_RCX], 1000 - INSN_REP_BATCH);
	assert_int_equal(regs.gpr[INSN_RDI], MMIO_GLA + INSN_REP_BATCH);
	assert_int_equal(regs.rip, 0x401000); /* re-executed by the guest */
}

static void test_rep_stos_stops_at_the_end_of_the_mmio_page(void **state)
{
	(void)state;
	struct insn in = decode_ok(64, BYTES(0xF3, 0xAB)); /* rep stosd */
	regs.gpr[INSN_RDI] = MMIO_GLA + 0xFF8;
	regs.gpr[INSN_RCX] = 10;
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA + 0xFF8, MMIO_GLA + 0xFF8, &ops), INSN_EMUL_RETRY);
	assert_int_equal(env.n, 2);
	assert_access(1, 'W', MMIO_GPA + 0xFFC, 4, R(INSN_RAX) & 0xFFFFFFFF);
	assert_int_equal(regs.gpr[INSN_RCX], 8);
	assert_int_equal(regs.gpr[INSN_RDI], MMIO_GLA + 0x1000);
	/* the guest re-executes, faults on the next page, and we continue */
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA + 0x1000, MMIO_GLA + 0x1000, &ops), 0);
	assert_int_equal(env.n, 10);
	assert_int_equal(regs.gpr[INSN_RCX], 0);
	assert_int_equal(regs.rip, 0x401002);
}

static void test_rep_stos_in_16bit_mode_uses_cx_di_and_the_es_base(void **state)
{
	(void)state;
	regs.seg_base[INSN_SEG_ES] = 0xB8000;
	regs.gpr[INSN_RDI] = 0xFFFF0000FFFEULL; /* DI = 0xfffe */
	regs.gpr[INSN_RCX] = 0xABCD0000ULL | 2; /* CX = 2 */
	struct insn in = decode_ok(16, BYTES(0xF3, 0xAB)); /* rep stosw */
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA + 0xFFE, 0xB8000 + 0xFFFE, &ops), INSN_EMUL_RETRY);
	/* DI wrapped to 0: ES:0 is another page, so one element per call here */
	assert_int_equal(env.n, 1);
	assert_int_equal(regs.gpr[INSN_RDI], 0xFFFF00000000ULL);
	assert_int_equal(regs.gpr[INSN_RCX], 0xABCD0001ULL);
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA, 0xB8000, &ops), 0);
	assert_access(1, 'W', MMIO_GPA, 2, R(INSN_RAX) & 0xFFFF);
	assert_int_equal(regs.gpr[INSN_RCX], 0xABCD0000ULL);
	assert_int_equal(regs.gpr[INSN_RDI], 0xFFFF00000002ULL);
}

static void test_stos_whose_fault_address_is_not_rdi_is_rejected(void **state)
{
	(void)state;
	struct insn in = decode_ok(64, BYTES(0xAB));
	regs.gpr[INSN_RDI] = MMIO_GLA;
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA, MMIO_GLA + 0x40, &ops), -EINVAL);
	assert_true(test_log_contains("fault address 0xffff800000400040 is not the destination 0xffff800000400000"));
	assert_int_equal(env.n, 0);
	assert_int_equal(regs.rip, 0x401000);
}

static void test_movs_from_device_to_ram(void **state)
{
	(void)state;
	regs.gpr[INSN_RSI] = MMIO_GLA + 0x20;
	regs.gpr[INSN_RDI] = RAM_GLA + 0x100;
	set_mmio(0x20, 4, 0xA1B2C3D4);
	struct insn in = run_at(64, 0x20, BYTES(0xA5)); /* movsd */
	assert_int_equal(in.op, INSN_OP_MOVS);
	assert_int_equal(in.reg, INSN_REG_NONE);
	assert_access(0, 'R', MMIO_GPA + 0x20, 4, 0xA1B2C3D4);
	assert_access(1, 'w', RAM_GLA + 0x100, 4, 0xA1B2C3D4);
	assert_int_equal(regs.gpr[INSN_RSI], MMIO_GLA + 0x24);
	assert_int_equal(regs.gpr[INSN_RDI], RAM_GLA + 0x104);
}

static void test_rep_movs_from_ram_to_device(void **state)
{
	(void)state;
	regs.gpr[INSN_RSI] = RAM_GLA;
	regs.gpr[INSN_RDI] = MMIO_GLA + 0x40;
	regs.gpr[INSN_RCX] = 4;
	run_at(64, 0x40, BYTES(0xF3, 0x66, 0xA5)); /* rep movsw */
	assert_int_equal(env.n, 8);
	for (int i = 0; i < 4; i++) {
		uint64_t v = load_le(env.ram + 2 * i, 2);
		assert_access(2 * i, 'r', RAM_GLA + 2 * i, 2, v);
		assert_access(2 * i + 1, 'W', MMIO_GPA + 0x40 + 2 * i, 2, v);
	}
	assert_int_equal(regs.gpr[INSN_RCX], 0);
}

static void test_movs_source_segment_override_uses_that_base(void **state)
{
	(void)state;
	regs.seg_base[INSN_SEG_FS] = 0x1000;
	regs.seg_base[INSN_SEG_DS] = 0x99999; /* ignored in 64-bit mode anyway */
	regs.gpr[INSN_RSI] = RAM_GLA - 0x1000;
	regs.gpr[INSN_RDI] = MMIO_GLA;
	struct insn in = run(64, BYTES(0x64, 0xA4)); /* movsb fs:[rsi] -> es:[rdi] */
	assert_int_equal(in.seg, INSN_SEG_FS);
	assert_access(0, 'r', RAM_GLA, 1, env.ram[0]);
	assert_access(1, 'W', MMIO_GPA, 1, env.ram[0]);
}

static void test_movs_in_32bit_mode_applies_segment_bases(void **state)
{
	(void)state;
	regs.seg_base[INSN_SEG_DS] = 0x100000;
	regs.seg_base[INSN_SEG_ES] = 0x200000;
	regs.gpr[INSN_RSI] = 0x10;
	regs.gpr[INSN_RDI] = (RAM_GLA - 0x200000) | 0xFFFFFFFF00000000ULL; /* EDI only */
	struct insn in = decode_ok(32, BYTES(0xA5));
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA, 0x100010, &ops), 0);
	assert_access(0, 'R', MMIO_GPA, 4, load_le(env.mmio, 4));
	assert_access(1, 'w', RAM_GLA, 4, load_le(env.mmio, 4));
	assert_int_equal(regs.gpr[INSN_RSI], 0x14);
	assert_int_equal(regs.gpr[INSN_RDI], RAM_GLA - 0x200000 + 4); /* 32-bit write: upper cleared */
}

static void test_movs_whose_fault_address_matches_neither_side_is_rejected(void **state)
{
	(void)state;
	struct insn in = decode_ok(64, BYTES(0xA4));
	regs.gpr[INSN_RSI] = RAM_GLA;
	regs.gpr[INSN_RDI] = RAM_GLA + 0x100;
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA, MMIO_GLA, &ops), -EINVAL);
	assert_true(test_log_contains("insn: movs at rip 0x401000: fault address 0xffff800000400000 is neither"));
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA, INSN_GLA_UNKNOWN, &ops), -EINVAL);
	assert_int_equal(env.n, 0);
}

static void test_movs_without_guest_memory_callbacks_is_not_supported(void **state)
{
	(void)state;
	struct insn_mem_ops mmio_only = { .mmio_read = fake_mmio_read, .mmio_write = fake_mmio_write };
	struct insn in = decode_ok(64, BYTES(0xA4));
	regs.gpr[INSN_RSI] = MMIO_GLA;
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA, MMIO_GLA, &mmio_only), -EOPNOTSUPP);
	/* STOS needs no guest memory */
	in = decode_ok(64, BYTES(0xAA));
	regs.gpr[INSN_RDI] = MMIO_GLA;
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA, MMIO_GLA, &mmio_only), 0);
}

static void test_string_element_faulting_in_its_second_page_is_not_supported(void **state)
{
	(void)state;
	struct insn in = decode_ok(64, BYTES(0xAB)); /* stosd at page end - 2 */
	regs.gpr[INSN_RDI] = MMIO_GLA + 0xFFE;
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA + 0x1000, MMIO_GLA + 0x1000, &ops), -EOPNOTSUPP);
	assert_true(test_log_contains("crosses a page"));
	/* faulting in its first page is fine: the element starts at the GPA */
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA + 0xFFE, MMIO_GLA + 0xFFE, &ops), 0);
	assert_access(0, 'W', MMIO_GPA + 0xFFE, 4, R(INSN_RAX) & 0xFFFFFFFF);
}

/* ---- errors ----------------------------------------------------------------- */

static void test_device_error_is_returned_and_changes_nothing(void **state)
{
	(void)state;
	struct insn_regs before;
	env.fail_at = 0;
	env.fail_err = -EIO;
	struct insn in = decode_ok(64, BYTES(0x8B, 0x08));
	before = regs;
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA, MMIO_GLA, &ops), -EIO);
	assert_memory_equal(&regs, &before, sizeof(regs));

	/* the write of a read-modify-write fails: flags stay too */
	env.n = 0;
	env.fail_at = 1;
	in = decode_ok(64, BYTES(0x21, 0x08));
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA, MMIO_GLA, &ops), -EIO);
	assert_memory_equal(&regs, &before, sizeof(regs));
}

static void test_rep_failure_keeps_completed_iterations(void **state)
{
	(void)state;
	env.fail_at = 2;
	env.fail_err = -EFAULT;
	regs.gpr[INSN_RDI] = MMIO_GLA;
	regs.gpr[INSN_RCX] = 5;
	struct insn in = decode_ok(64, BYTES(0xF3, 0xAA));
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA, MMIO_GLA, &ops), -EFAULT);
	assert_int_equal(regs.gpr[INSN_RCX], 3);
	assert_int_equal(regs.gpr[INSN_RDI], MMIO_GLA + 2);
	assert_int_equal(regs.rip, 0x401000);
}

static void test_register_only_forms_are_rejected(void **state)
{
	(void)state;
	static const uint8_t cases[][4] = {
		{ 0x89, 0xC8 }, { 0x8B, 0xC1 }, { 0x88, 0xE0 }, { 0xC6, 0xC0, 0x01 }, { 0xC7, 0xC0, 0, 0 },
		{ 0x0F, 0xB6, 0xC0 }, { 0x0F, 0xBF, 0xC0 }, { 0x21, 0xC8 }, { 0x83, 0xE0, 0x01 },
		{ 0x85, 0xC0 }, { 0xF7, 0xC0, 0, 0 }, { 0x39, 0xC8 }, { 0x80, 0xF8, 0x01 },
	};
	struct insn in;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(decode_n(cases[i], sizeof(cases[i]), 64, &in), -EINVAL);
	assert_int_equal(decode_n(BYTES(0x48, 0x63, 0xC1), 64, &in), -EINVAL);
}

static void test_unsupported_opcodes_are_rejected(void **state)
{
	(void)state;
	static const uint8_t cases[][4] = {
		{ 0x90 }, { 0x01, 0x08 }, { 0x29, 0x08 }, { 0xFF, 0x00 }, { 0x0F, 0x05 }, { 0x0F, 0xB8, 0x00 },
		{ 0xCC }, { 0x8D, 0x00 }, { 0x86, 0x00 }, { 0xA6 }, { 0xAC }, { 0xF4 }, { 0x0F, 0x0F },
	};
	struct insn in;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(decode_n(cases[i], sizeof(cases[i]), 64, &in), -EINVAL);
	/* 40-4F are INC/DEC outside 64-bit mode, not REX */
	assert_int_equal(decode_n(BYTES(0x48, 0x89, 0x08), 32, &in), -EINVAL);
	assert_int_equal(decode_n(BYTES(0x40), 16, &in), -EINVAL);
}

static void test_every_truncation_of_a_valid_instruction_asks_for_more_bytes(void **state)
{
	(void)state;
	static const struct {
		int mode;
		uint8_t b[15];
		size_t n;
	} cases[] = {
		{ 64, { 0x65, 0x48, 0xC7, 0x84, 0x88, 0x00, 0x01, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12 }, 13 },
		{ 64, { 0x48, 0xA1, 1, 2, 3, 4, 5, 6, 7, 8 }, 10 },
		{ 64, { 0x66, 0x0F, 0xBE, 0x05, 0x10, 0, 0, 0 }, 8 },
		{ 32, { 0xF0, 0x81, 0x4C, 0x24, 0x08, 0x01, 0x02, 0x03, 0x04 }, 9 },
		{ 16, { 0x83, 0x7E, 0xFE, 0x05 }, 4 },
		{ 16, { 0x67, 0x66, 0xC7, 0x44, 0x24, 0x04, 1, 2, 3, 4 }, 10 },
	};
	struct insn in;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		decode_ok(cases[i].mode, cases[i].b, cases[i].n);
		for (size_t k = 0; k < cases[i].n; k++)
			assert_int_equal(decode_n(cases[i].b, k, cases[i].mode, &in), -E2BIG);
		/* bytes after the instruction are not part of it */
		assert_int_equal(decode_n(cases[i].b, sizeof(cases[i].b), cases[i].mode, &in), 0);
		assert_int_equal(in.len, cases[i].n);
	}
}

static void test_fifteen_bytes_is_the_limit(void **state)
{
	(void)state;
	uint8_t b[16];
	struct insn in;

	/* 8 prefixes + 89 84 88 disp32 (7 bytes) = 15 bytes: legal */
	memset(b, 0x3E, 8);
	memcpy(b + 8, (uint8_t[]){ 0x89, 0x84, 0x88, 0x00, 0x10, 0x00, 0x00 }, 7);
	b[15] = 0x00;
	assert_int_equal(decode_n(b, 16, 64, &in), 0);
	assert_int_equal(in.len, 15);
	/* one more prefix makes 16 bytes: illegal, and it never asks for a 16th */
	memset(b, 0x3E, 9);
	memcpy(b + 9, (uint8_t[]){ 0x89, 0x84, 0x88, 0x00, 0x10, 0x00, 0x00 }, 7);
	assert_int_equal(decode_n(b, 16, 64, &in), -EINVAL);
	assert_int_equal(decode_n(b, 15, 64, &in), -EINVAL);
	assert_int_equal(decode_n(b, 14, 64, &in), -E2BIG);
	/* only prefixes */
	memset(b, 0x66, 16);
	assert_int_equal(decode_n(b, 16, 64, &in), -EINVAL);
	assert_int_equal(decode_n(b, 14, 64, &in), -E2BIG);
}

static void test_bad_arguments_are_rejected(void **state)
{
	(void)state;
	struct insn in;
	assert_int_equal(insn_decode(NULL, 2, 64, &in), -EINVAL);
	assert_int_equal(insn_decode(NULL, 0, 64, &in), -E2BIG);
	assert_int_equal(decode_n(BYTES(0x89, 0x08), 64, NULL), -EINVAL);
	assert_int_equal(decode_n(BYTES(0x89, 0x08), 8, &in), -EINVAL);
	assert_int_equal(decode_n(BYTES(0x89, 0x08), 0, &in), -EINVAL);

	in = decode_ok(64, BYTES(0x89, 0x08));
	assert_int_equal(insn_emulate(NULL, &regs, MMIO_GPA, MMIO_GLA, &ops), -EINVAL);
	assert_int_equal(insn_emulate(&in, NULL, MMIO_GPA, MMIO_GLA, &ops), -EINVAL);
	assert_int_equal(insn_emulate(&in, &regs, MMIO_GPA, MMIO_GLA, NULL), -EINVAL);
	struct insn bad = in;
	bad.reg = 16;
	assert_int_equal(insn_emulate(&bad, &regs, MMIO_GPA, MMIO_GLA, &ops), -EINVAL);
	bad = in;
	bad.opsize = 3;
	assert_int_equal(insn_emulate(&bad, &regs, MMIO_GPA, MMIO_GLA, &ops), -EINVAL);
	bad = in;
	bad.reg_high8 = true; /* with reg 1 */
	assert_int_equal(insn_emulate(&bad, &regs, MMIO_GPA, MMIO_GLA, &ops), -EINVAL);
	assert_int_equal(env.n, 0);
}

static void test_rip_wraps_at_the_code_size_and_rf_is_cleared(void **state)
{
	(void)state;
	regs.rip = 0xFFFE;
	regs.rflags |= RF;
	run(16, BYTES(0x89, 0x46, 0x00)); /* 3 bytes */
	assert_int_equal(regs.rip, 0x0001);
	assert_int_equal(regs.rflags & RF, 0);
	regs.rip = 0xFFFFFFFF;
	run(32, BYTES(0x89, 0x08));
	assert_int_equal(regs.rip, 1);
	regs.rip = 0xFFFFFFFF;
	run(64, BYTES(0x89, 0x08));
	assert_int_equal(regs.rip, 0x100000001ULL);
}

static void test_random_bytes_decode_cleanly_in_every_mode(void **state)
{
	(void)state;
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	int ok = 0;
	for (int iter = 0; iter < 200000; iter++) {
		uint8_t b[INSN_MAX_LEN];
		size_t n = (size_t)(iter % 16);
		for (size_t i = 0; i < sizeof(b); i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			b[i] = (uint8_t)(seed >> 56);
		}
		/* bias towards supported opcodes so success paths run too */
		if (iter & 1)
			b[iter % 3] = (uint8_t[]){ 0x89, 0x8B, 0x88, 0xC7, 0x83, 0x0F, 0xA5, 0x85 }[(seed >> 8) & 7];
		for (int m = 0; m < 3; m++) {
			int mode = (int[]){ 16, 32, 64 }[m];
			struct insn in;
			int r = decode_n(b, n, mode, &in);
			assert_true(r == 0 || r == -EINVAL || r == -E2BIG);
			if (r == 0) {
				ok++;
				assert_true(in.len >= 1 && in.len <= n);
			}
			if (r == -E2BIG)
				assert_true(n < INSN_MAX_LEN);
		}
	}
	assert_true(ok > 1000);
}

static void test_op_names(void **state)
{
	(void)state;
	assert_string_equal(insn_op_name(INSN_OP_MOVZX), "movzx");
	assert_string_equal(insn_op_name(INSN_OP_CMP), "cmp");
	assert_string_equal(insn_op_name((enum insn_op)99), "unknown");
}

/* ---- what callers with their own register files rely on ------------------- */

struct case_bytes {
	const uint8_t *b;
	size_t n;
};
#define CASE(...) { (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }) }

/* The forms the exit path meets, each register kind, every operation. */
static const struct case_bytes mask_cases[] = {
	CASE(0x89, 0x08),                         /* mov [rax], ecx */
	CASE(0x8B, 0x08),                         /* mov ecx, [rax] */
	CASE(0x8A, 0x20),                         /* mov ah, [rax] */
	CASE(0x88, 0x3C, 0x24),                   /* mov [rsp], bh */
	CASE(0x4C, 0x8B, 0x38),                   /* mov r15, [rax] */
	CASE(0x48, 0x89, 0x20),                   /* mov [rax], rsp */
	CASE(0xC7, 0x00, 0x78, 0x56, 0x34, 0x12), /* mov dword [rax], imm32 */
	CASE(0xA1, 0, 0, 0, 0, 0, 0, 0, 0),       /* mov eax, moffs */
	CASE(0x0F, 0xB6, 0x10),                   /* movzx edx, byte [rax] */
	CASE(0x48, 0x0F, 0xBF, 0x30),             /* movsx rsi, word [rax] */
	CASE(0x48, 0x63, 0x18),                   /* movsxd rbx, dword [rax] */
	CASE(0x09, 0x28),                         /* or [rax], ebp */
	CASE(0x23, 0x38),                         /* and edi, [rax] */
	CASE(0x83, 0x30, 0x7F),                   /* xor dword [rax], 0x7f */
	CASE(0x84, 0x30),                         /* test [rax], dh */
	CASE(0x3B, 0x08),                         /* cmp ecx, [rax] */
	CASE(0xAB),                               /* stosd */
	CASE(0xF3, 0x48, 0xAB),                   /* rep stosq */
	CASE(0xF3, 0xA5),                         /* rep movsd */
};

/* Registers that make the string forms run a few elements, the MMIO side
 * at MMIO_GLA and the RAM side at RAM_GLA. */
static struct insn_regs case_regs(void)
{
	struct insn_regs r = regs;

	r.gpr[INSN_RDI] = MMIO_GLA;
	r.gpr[INSN_RSI] = RAM_GLA;
	r.gpr[INSN_RCX] = 3;
	return r;
}

/* Device and RAM contents, so that two runs start from the same state. */
static uint8_t saved_mmio[WINDOW], saved_ram[WINDOW];

static void save_env(void)
{
	memcpy(saved_mmio, env.mmio, WINDOW);
	memcpy(saved_ram, env.ram, WINDOW);
}

static void restore_env(void)
{
	memcpy(env.mmio, saved_mmio, WINDOW);
	memcpy(env.ram, saved_ram, WINDOW);
	env.n = 0;
}

/* insn_gprs_used() names every register insn_emulate() reads or writes:
 * the others may hold anything (the exit path leaves them uncopied) and
 * the result is the same, and they are left alone. */
static void test_emulation_uses_only_the_registers_insn_gprs_used_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(mask_cases); i++) {
		struct insn in = decode_ok(64, mask_cases[i].b, mask_cases[i].n);
		uint32_t used = insn_gprs_used(&in);
		struct insn_regs a = case_regs(), b = case_regs();
		struct access log_a[8];

		for (int g = 0; g < INSN_NR_GPRS; g++)
			if (!(used & (1u << g)))
				b.gpr[g] = ~a.gpr[g] ^ 0x1234;
		save_env();
		assert_int_equal(insn_emulate(&in, &a, MMIO_GPA, MMIO_GLA, &ops), 0);
		int n_a = env.n;
		assert_true(n_a <= 8);
		memcpy(log_a, env.log, sizeof(log_a));

		restore_env();
		struct insn_regs b0 = b;
		assert_int_equal(insn_emulate(&in, &b, MMIO_GPA, MMIO_GLA, &ops), 0);

		assert_int_equal(env.n, n_a);
		assert_memory_equal(env.log, log_a, (size_t)n_a * sizeof(log_a[0]));
		assert_int_equal(a.rip, b.rip);
		assert_int_equal(a.rflags, b.rflags);
		for (int g = 0; g < INSN_NR_GPRS; g++) {
			if (used & (1u << g))
				assert_int_equal(a.gpr[g], b.gpr[g]);
			else
				assert_int_equal(b.gpr[g], b0.gpr[g]);
		}
		restore_env();
	}
}

static void test_gprs_used_names_the_register_operand_or_the_string_registers(void **state)
{
	(void)state;
	struct insn in = decode_ok(64, BYTES(0x8A, 0x20)); /* mov ah, [rax]: bits 15:8 of rax */
	assert_int_equal(insn_gprs_used(&in), 1u << INSN_RAX);
	in = decode_ok(64, BYTES(0x4C, 0x8B, 0x38)); /* mov r15, [rax] */
	assert_int_equal(insn_gprs_used(&in), 1u << INSN_R15);
	in = decode_ok(64, BYTES(0xC7, 0x00, 0x78, 0x56, 0x34, 0x12)); /* immediate: none */
	assert_int_equal(insn_gprs_used(&in), 0);
	in = decode_ok(64, BYTES(0xF3, 0xA4)); /* rep movsb */
	assert_int_equal(insn_gprs_used(&in),
			 1u << INSN_RAX | 1u << INSN_RCX | 1u << INSN_RSI | 1u << INSN_RDI);
}

/* The MOV helpers a fast path uses do what insn_emulate() does. */
static void test_mov_helpers_match_emulation(void **state)
{
	(void)state;
	env.junk = true; /* device reads with garbage above the access size */
	for (size_t i = 0; i < ARRAY_SIZE(mask_cases); i++) {
		struct insn in = decode_ok(64, mask_cases[i].b, mask_cases[i].n);
		struct insn_regs r = regs;
		uint64_t gpr[INSN_NR_GPRS];

		if (!insn_is_mov(&in))
			continue;
		memcpy(gpr, regs.gpr, sizeof(gpr));
		env.n = 0;
		assert_int_equal(insn_emulate(&in, &r, MMIO_GPA, MMIO_GLA, &ops), 0);
		assert_int_equal(env.n, 1);
		if (in.mem_is_dst) {
			assert_int_equal(insn_mov_store_value(&in, gpr), env.log[0].val);
		} else {
			uint64_t v = 0;
			assert_int_equal(fake_mmio_read(NULL, MMIO_GPA, in.memsize, &v), 0);
			insn_mov_load(&in, gpr, v);
		}
		assert_memory_equal(gpr, r.gpr, sizeof(gpr));
		assert_int_equal(insn_next_rip(&in, regs.rip), r.rip);
	}
}

static void test_emulate_valid_does_what_emulate_does_for_valid_instructions(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(mask_cases); i++) {
		struct insn in = decode_ok(64, mask_cases[i].b, mask_cases[i].n);
		struct insn_regs a = case_regs(), b = case_regs();

		assert_true(insn_valid(&in));
		save_env();
		assert_int_equal(insn_emulate(&in, &a, MMIO_GPA, MMIO_GLA, &ops), 0);
		restore_env();
		assert_int_equal(insn_emulate_valid(&in, &b, MMIO_GPA, MMIO_GLA, &ops), 0);
		assert_memory_equal(&a, &b, sizeof(a));
		restore_env();
	}
	struct insn bad = decode_ok(64, BYTES(0x8B, 0x08));
	bad.memsize = 3;
	assert_false(insn_valid(&bad));
	assert_int_equal(insn_emulate(&bad, &regs, MMIO_GPA, MMIO_GLA, &ops), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_mov_store_dword_writes_ecx_to_device, setup),
		cmocka_unit_test_setup(test_mov_load_dword_zero_extends_to_64_bits, setup),
		cmocka_unit_test_setup(test_mov_load_ignores_bits_the_device_returns_above_the_size, setup),
		cmocka_unit_test_setup(test_mov_load_rex_w_reads_eight_bytes, setup),
		cmocka_unit_test_setup(test_mov_load_word_keeps_upper_48_bits, setup),
		cmocka_unit_test_setup(test_rex_w_wins_over_operand_size_prefix, setup),
		cmocka_unit_test_setup(test_rex_before_a_legacy_prefix_is_ignored, setup),
		cmocka_unit_test_setup(test_last_of_two_rex_prefixes_counts, setup),
		cmocka_unit_test_setup(test_byte_load_into_ah_without_rex_writes_bits_15_to_8, setup),
		cmocka_unit_test_setup(test_byte_load_into_bh_in_32bit_mode, setup),
		cmocka_unit_test_setup(test_byte_load_with_rex_reg4_writes_spl, setup),
		cmocka_unit_test_setup(test_byte_store_from_ch_writes_bits_15_to_8_of_rcx, setup),
		cmocka_unit_test_setup(test_byte_store_from_dil_with_rex, setup),
		cmocka_unit_test_setup(test_rex_r_selects_r8_to_r15, setup),
		cmocka_unit_test_setup(test_mov_immediate_byte_dword_and_sign_extended_qword, setup),
		cmocka_unit_test_setup(test_mov_immediate_with_nonzero_reg_field_is_rejected, setup),
		cmocka_unit_test_setup(test_moffs_offset_is_address_sized_in_each_mode, setup),
		cmocka_unit_test_setup(test_movzx_zero_extends_byte_and_word, setup),
		cmocka_unit_test_setup(test_movsx_sign_extends_to_the_destination_size, setup),
		cmocka_unit_test_setup(test_movsxd_with_rex_w_sign_extends_a_dword, setup),
		cmocka_unit_test_setup(test_opcode_63_outside_64bit_mode_is_arpl_and_rejected, setup),
		cmocka_unit_test_setup(test_16bit_mode_defaults_to_16bit_operands_and_addresses, setup),
		cmocka_unit_test_setup(test_32bit_mode_operand_and_address_size_prefixes, setup),
		cmocka_unit_test_setup(test_64bit_mode_address_size_prefix_truncates_to_32_bits, setup),
		cmocka_unit_test_setup(test_segment_override_and_default_segments, setup),
		cmocka_unit_test_setup(test_addressing_forms_compute_the_effective_address, setup),
		cmocka_unit_test_setup(test_rip_relative_is_relative_to_the_next_instruction_in_64bit_mode, setup),
		cmocka_unit_test_setup(test_and_to_memory_reads_modifies_writes_and_sets_flags, setup),
		cmocka_unit_test_setup(test_or_into_register_zero_extends_and_leaves_memory_alone, setup),
		cmocka_unit_test_setup(test_xor_byte_with_ah_to_memory, setup),
		cmocka_unit_test_setup(test_group1_immediates_are_sign_extended_per_form, setup),
		cmocka_unit_test_setup(test_group1_add_adc_sbb_sub_are_rejected, setup),
		cmocka_unit_test_setup(test_test_sets_flags_and_never_writes, setup),
		cmocka_unit_test_setup(test_group3_other_than_test_is_rejected, setup),
		cmocka_unit_test_setup(test_cmp_operand_order_follows_the_direction_bit, setup),
		cmocka_unit_test_setup(test_cmp_immediate_signed_overflow_edge, setup),
		cmocka_unit_test_setup(test_flag_results_keep_the_other_rflags_bits, setup),
		cmocka_unit_test_setup(test_flags_match_the_host_cpu_for_edge_operands, setup),
		cmocka_unit_test_setup(test_lock_is_accepted_only_on_logic_ops_to_memory, setup),
		cmocka_unit_test_setup(test_stos_stores_al_and_advances_rdi, setup),
		cmocka_unit_test_setup(test_rep_stos_runs_every_iteration_and_clears_rcx, setup),
		cmocka_unit_test_setup(test_rep_stos_with_df_set_walks_down, setup),
		cmocka_unit_test_setup(test_rep_with_zero_count_does_nothing_but_advance_rip, setup),
		cmocka_unit_test_setup(test_rep_stos_stops_after_the_batch_and_asks_for_a_retry, setup),
		cmocka_unit_test_setup(test_rep_stos_stops_at_the_end_of_the_mmio_page, setup),
		cmocka_unit_test_setup(test_rep_stos_in_16bit_mode_uses_cx_di_and_the_es_base, setup),
		cmocka_unit_test_setup(test_stos_whose_fault_address_is_not_rdi_is_rejected, setup),
		cmocka_unit_test_setup(test_movs_from_device_to_ram, setup),
		cmocka_unit_test_setup(test_rep_movs_from_ram_to_device, setup),
		cmocka_unit_test_setup(test_movs_source_segment_override_uses_that_base, setup),
		cmocka_unit_test_setup(test_movs_in_32bit_mode_applies_segment_bases, setup),
		cmocka_unit_test_setup(test_movs_whose_fault_address_matches_neither_side_is_rejected, setup),
		cmocka_unit_test_setup(test_movs_without_guest_memory_callbacks_is_not_supported, setup),
		cmocka_unit_test_setup(test_string_element_faulting_in_its_second_page_is_not_supported, setup),
		cmocka_unit_test_setup(test_device_error_is_returned_and_changes_nothing, setup),
		cmocka_unit_test_setup(test_rep_failure_keeps_completed_iterations, setup),
		cmocka_unit_test_setup(test_register_only_forms_are_rejected, setup),
		cmocka_unit_test_setup(test_unsupported_opcodes_are_rejected, setup),
		cmocka_unit_test_setup(test_every_truncation_of_a_valid_instruction_asks_for_more_bytes, setup),
		cmocka_unit_test_setup(test_fifteen_bytes_is_the_limit, setup),
		cmocka_unit_test_setup(test_bad_arguments_are_rejected, setup),
		cmocka_unit_test_setup(test_rip_wraps_at_the_code_size_and_rf_is_cleared, setup),
		cmocka_unit_test_setup(test_random_bytes_decode_cleanly_in_every_mode, setup),
		cmocka_unit_test_setup(test_op_names, setup),
		cmocka_unit_test_setup(test_emulation_uses_only_the_registers_insn_gprs_used_names, setup),
		cmocka_unit_test_setup(test_gprs_used_names_the_register_operand_or_the_string_registers, setup),
		cmocka_unit_test_setup(test_mov_helpers_match_emulation, setup),
		cmocka_unit_test_setup(test_emulate_valid_does_what_emulate_does_for_valid_instructions, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
