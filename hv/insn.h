/* x86 instruction decoder and emulator for MMIO accesses (vendor-neutral).
 *
 * When a guest touches a page a device claims, the hypervisor fetches the
 * instruction bytes at the guest's RIP, decodes them with insn_decode() and
 * performs the access with insn_emulate(), which calls the device through
 * insn_mem_ops. Only the instructions compilers and drivers use on device
 * memory are supported, and only their memory-operand forms: a register-only
 * form cannot touch MMIO, so it cannot have caused the exit.
 *
 * Supported (SDM Vol. 2): MOV 88/89/8A/8B, C6/C7 /0, A0-A3 (moffs);
 * MOVZX 0F B6/B7; MOVSX 0F BE/BF; MOVSXD 63 (64-bit mode); STOS AA/AB and
 * MOVS A4/A5 (with REP); AND/OR/XOR 20-23/08-0B/30-33 and 80/81/83 /4 /1 /6;
 * TEST 84/85 and F6/F7 /0; CMP 38-3B and 80/81/83 /7.
 *
 * Both functions are pure logic over their arguments (no globals, no locks),
 * so they run on the exit path of any vCPU and on the host in tests. */
#ifndef HV_INSN_H
#define HV_INSN_H

#include "hv/compiler.h"

/* The longest legal x86 instruction (SDM Vol. 2 2.3.11); longer is #GP. */
#define INSN_MAX_LEN 15

/* General-purpose registers in x86 encoding order (SDM Vol. 2 table 2-2). */
enum insn_gpr {
	INSN_RAX, INSN_RCX, INSN_RDX, INSN_RBX, INSN_RSP, INSN_RBP, INSN_RSI, INSN_RDI,
	INSN_R8, INSN_R9, INSN_R10, INSN_R11, INSN_R12, INSN_R13, INSN_R14, INSN_R15,
	INSN_NR_GPRS,
};
#define INSN_REG_NONE (-1)
#define INSN_REG_RIP (-2) /* base of a RIP-relative operand */

/* Segment registers in the encoding order of the Sreg field (SDM Vol. 2
 * 3.1.1.3, table 3-6 "ModR/M Sreg"): also the index into insn_regs.seg_base. */
enum insn_seg { INSN_SEG_ES, INSN_SEG_CS, INSN_SEG_SS, INSN_SEG_DS, INSN_SEG_FS, INSN_SEG_GS, INSN_NR_SEGS };

enum insn_op {
	INSN_OP_MOV,   /* 88/89/8A/8B, C6/C7, A0-A3 */
	INSN_OP_MOVZX, /* 0F B6/B7: memsize < opsize, zero-extended */
	INSN_OP_MOVSX, /* 0F BE/BF and 63 (MOVSXD): memsize <= opsize, sign-extended */
	INSN_OP_STOS,  /* AA/AB: store rAX at ES:rDI */
	INSN_OP_MOVS,  /* A4/A5: copy [seg:rSI] to ES:rDI */
	INSN_OP_AND,
	INSN_OP_OR,
	INSN_OP_XOR,
	INSN_OP_TEST,  /* AND that writes only RFLAGS */
	INSN_OP_CMP,   /* SUB that writes only RFLAGS */
};

enum insn_rep {
	INSN_REP_NONE,
	INSN_REP_F3, /* REP / REPE */
	INSN_REP_F2, /* REPNE */
};

/* One decoded instruction. Sizes are in bytes. */
struct insn {
	uint8_t len;      /* 1..INSN_MAX_LEN */
	uint8_t mode;     /* 16, 32 or 64: as passed to insn_decode */
	enum insn_op op;
	uint8_t opcode;   /* the opcode byte (after 0F for two-byte opcodes) */
	bool two_byte;    /* opcode was preceded by the 0F escape */

	uint8_t opsize;   /* operation size: 1, 2, 4 or 8 (the register's width) */
	uint8_t memsize;  /* bytes read or written in memory per access; equal to
			   * opsize except for MOVZX/MOVSX/MOVSXD */
	uint8_t addrsize; /* address size: 2, 4 or 8 */

	/* Direction: the memory operand is the first (destination) operand in
	 * Intel syntax. For MOV/AND/OR/XOR memory is then written; for CMP the
	 * order decides what is subtracted from what; TEST never writes. False:
	 * memory is the source and the register is written (MOV/MOVZX/MOVSX and
	 * the logic ops), or is the second operand (CMP). MOVS: both sides are
	 * memory (see insn_emulate); STOS: true. */
	bool mem_is_dst;

	/* The register operand (enum insn_gpr), or INSN_REG_NONE for immediate
	 * forms and MOVS. reg_high8: a byte operand without any REX prefix whose
	 * reg field was 4..7 names AH, CH, DH, BH, i.e. bits 15:8 of gpr[reg-4]. */
	int8_t reg;
	bool reg_high8;

	/* The immediate, sign- or zero-extended as the instruction defines and
	 * then truncated to opsize: the exact value the operation uses
	 * (83 /4 ib 0xF0 with opsize 2 gives 0xFFF0). */
	bool has_imm;
	uint64_t imm;

	/* Prefixes. */
	enum insn_rep rep; /* the last of F2/F3 seen; only string ops repeat */
	bool lock;         /* F0: accepted only on AND/OR/XOR to memory */
	bool opsize_prefix;   /* 66 */
	bool addrsize_prefix; /* 67 */
	uint8_t rex;          /* the REX byte (0x40-0x4F), or 0 if none */
	bool seg_override;
	enum insn_seg seg;    /* segment of the memory operand (MOVS: of the
			       * source); the override or the default */

	/* Memory operand: effective address = base + index * scale + disp, in
	 * addrsize arithmetic. base/index are enum insn_gpr or INSN_REG_NONE;
	 * base INSN_REG_RIP for RIP-relative (relative to the next instruction).
	 * moffs forms (A0-A3) have neither and disp = the offset. String ops
	 * have no ModRM and use rSI/rDI implicitly (base/index NONE). */
	bool has_modrm;
	uint8_t modrm;
	bool has_sib;
	uint8_t sib;
	int8_t base;
	int8_t index;
	uint8_t scale; /* 1, 2, 4 or 8 */
	int64_t disp;  /* sign-extended (moffs: zero-extended) */
};

/* Guest register state the emulator reads and updates. */
struct insn_regs {
	uint64_t gpr[INSN_NR_GPRS]; /* enum insn_gpr order */
	uint64_t rip;
	uint64_t rflags;
	/* Segment bases, enum insn_seg order. Read only for MOVS/STOS, whose
	 * guest-RAM side is addressed by linear address; in 64-bit mode only FS
	 * and GS are read (the others are architecturally 0 there). */
	uint64_t seg_base[INSN_NR_SEGS];
};

/* Memory callbacks. Each returns 0 or a negative errno, which insn_emulate
 * returns unchanged. Sizes are 1, 2, 4 or 8. A read may leave garbage above
 * `size` bytes: the emulator truncates. A written value is already truncated.
 *   mmio_read/mmio_write: the device behind guest-physical address gpa.
 *   mem_read/mem_write:  guest memory at guest-linear address gla (only the
 *                        RAM side of MOVS/STOS); the callee walks the guest's
 *                        page tables. May be NULL if string ops never reach
 *                        this device's pages (then such an access fails with
 *                        -EOPNOTSUPP). */
struct insn_mem_ops {
	int (*mmio_read)(void *ctx, uint64_t gpa, unsigned size, uint64_t *val);
	int (*mmio_write)(void *ctx, uint64_t gpa, unsigned size, uint64_t val);
	int (*mem_read)(void *ctx, uint64_t gla, unsigned size, uint64_t *val);
	int (*mem_write)(void *ctx, uint64_t gla, unsigned size, uint64_t val);
	void *ctx;
};

/* Decodes the instruction at bytes[0..len) executed in `mode` (16: CS.D=0
 * incl. real and virtual-8086 mode; 32: CS.D=1; 64: 64-bit mode). Bytes past
 * the instruction's end, and past INSN_MAX_LEN, are never read. Returns 0 and
 * fills *out, or:
 *   -E2BIG   the bytes given end inside an instruction that may still be
 *            legal: fetch more (up to INSN_MAX_LEN) and call again;
 *   -EINVAL  not a supported memory-operand instruction, a register-only
 *            form, an illegal prefix (LOCK where #UD), longer than 15 bytes,
 *            or a bad argument.
 * Silent: the caller knows the RIP and GPA and prints the one useful line. */
int insn_decode(const uint8_t *bytes, size_t len, int mode, struct insn *out);

/* insn_emulate() returns this (positive) when a REP string instruction has
 * iterations left: registers reflect the completed iterations (rCX
 * decremented, rSI/rDI advanced) and RIP is unchanged, so the guest
 * re-executes the instruction on entry and faults again on the next element,
 * with interrupts getting a chance in between, exactly as a hardware REP
 * interrupted between iterations. */
#define INSN_EMUL_RETRY 1

/* Pass as mmio_gla when the exit gave no guest-linear address. */
#define INSN_GLA_UNKNOWN UINT64_MAX

/* At most this many REP iterations per call; and never past the 4 KiB page
 * of the first MMIO element, since only within one guest page is the
 * element's guest-physical address known (mmio_gpa + offset). */
#define INSN_REP_BATCH 128

/* Performs `in` with its memory operand at guest-physical mmio_gpa (the
 * address of the operand's first byte: an EPT violation's guest-physical
 * address). Updates the destination register (32-bit writes zero-extend to
 * 64 bits, 8- and 16-bit writes keep the other bits, AH..BH write bits
 * 15:8), RFLAGS (AND/OR/XOR/TEST: CF=OF=0, SF/ZF/PF from the result, AF
 * (undefined) cleared; CMP: CF/PF/AF/ZF/SF/OF as SUB) and advances RIP by
 * in->len (wrapping at 16/32 bits outside 64-bit mode) and clears RF, all
 * here: the caller only writes the registers back.
 *
 * MOVS/STOS: one side is MMIO, the other guest RAM through mem_read/
 * mem_write at seg_base + rSI/rDI. mmio_gla (the exit's guest-linear address)
 * tells which side of a MOVS is the device: the element containing it (the
 * source first, since the read happens first). Direction by RFLAGS.DF; rCX,
 * rSI, rDI are used at the address size. With REP, up to INSN_REP_BATCH
 * iterations run while the MMIO side stays in its first page; then
 * INSN_EMUL_RETRY (see above) or, when rCX reaches 0, 0 with RIP advanced.
 *
 * Returns 0 (done, RIP advanced), INSN_EMUL_RETRY, or a negative errno with
 * nothing changed, except that a REP that failed after some iterations keeps
 * those iterations' register updates (RIP unchanged), which is again the
 * architectural state between iterations. Segment limits, alignment checks
 * and the guest's own page protections are the caller's (the CPU checked
 * them for the access that faulted). */
int insn_emulate(const struct insn *in, struct insn_regs *regs, uint64_t mmio_gpa, uint64_t mmio_gla,
		 const struct insn_mem_ops *ops);

/* Whether insn_emulate() accepts `in`: sizes, registers, segment and
 * operation in range (anything insn_decode produced is). */
bool insn_valid(const struct insn *in);

/* insn_emulate() without its checks, for an instruction insn_valid()
 * accepted and non-NULL arguments (mmio_read and mmio_write included):
 * for a caller that checks once and keeps the instruction, such as the
 * decode cache (hv/insn_cache.h). */
int insn_emulate_valid(const struct insn *in, struct insn_regs *regs, uint64_t mmio_gpa, uint64_t mmio_gla,
		       const struct insn_mem_ops *ops);

/* The general-purpose registers insn_emulate() may read or write for `in`,
 * as a mask of (1 << enum insn_gpr): all it uses of regs->gpr[]. A caller
 * that keeps the registers elsewhere copies only these in and back out.
 * Inline: the MMIO exit path asks at every access. */
static inline uint32_t insn_gprs_used(const struct insn *in)
{
	/* STOS stores rAX; both string ops step rDI (and MOVS rSI) and a REP
	 * counts in rCX. */
	if (in->op == INSN_OP_MOVS || in->op == INSN_OP_STOS)
		return 1u << INSN_RAX | 1u << INSN_RCX | 1u << INSN_RSI | 1u << INSN_RDI;
	if (in->reg < 0 || in->reg >= INSN_NR_GPRS)
		return 0; /* immediate forms: memory and RFLAGS only */
	return 1u << (in->reg_high8 ? in->reg - 4 : in->reg);
}

/* The memory operand's effective address (offset in its segment, truncated
 * to the address size) for the register state before the instruction; for
 * STOS rDI, for MOVS the source rSI. Callers use it to cross-check the exit's
 * guest-linear address or to log. */
uint64_t insn_effective_address(const struct insn *in, const struct insn_regs *regs);

/* ---- register and MOV semantics ---------------------------------------------
 * What insn_emulate() does to registers, inline so that a caller's fast
 * path for the plain MOV forms (hv/insn_cache.h users) does exactly the
 * same with its own register array (enum insn_gpr order) and its own
 * device access. */

/* All ones in the low `size` bytes, 1 <= size <= 8. */
static inline uint64_t insn_size_mask(unsigned size)
{
	return ~0ULL >> ((64 - 8 * size) & 63);
}

static inline uint64_t insn_sign_extend(uint64_t v, unsigned size)
{
	uint64_t sign = 1ULL << (8 * size - 1);

	v &= insn_size_mask(size);
	return (v ^ sign) - sign;
}

/* `size` bytes of a register; high8: AH..BH, bits 15:8 of gpr[reg - 4]. */
static inline uint64_t insn_gpr_read(const uint64_t *gpr, int reg, bool high8, unsigned size)
{
	if (high8)
		return (gpr[reg - 4] >> 8) & 0xFF;
	return gpr[reg] & insn_size_mask(size);
}

/* x86 register write rules (SDM Vol. 1 3.4.1.1): 32-bit results zero-extend
 * to 64 bits, 8- and 16-bit results leave the rest of the register alone. */
static inline void insn_gpr_write(uint64_t *gpr, int reg, bool high8, unsigned size, uint64_t v)
{
	uint64_t *g;

	if (high8) {
		g = &gpr[reg - 4];
		*g = (*g & ~0xFF00ULL) | ((v & 0xFF) << 8);
		return;
	}
	g = &gpr[reg];
	if (size == 4)
		*g = v & 0xFFFFFFFFULL;
	else
		*g = (*g & ~insn_size_mask(size)) | (v & insn_size_mask(size));
}

/* MOV, MOVZX and MOVSX: one access, no flags, nothing but the register
 * operand changes (mem_is_dst: a MOV store). */
static inline bool insn_is_mov(const struct insn *in)
{
	return in->op == INSN_OP_MOV || in->op == INSN_OP_MOVZX || in->op == INSN_OP_MOVSX;
}

/* The memsize bytes a MOV store writes: the immediate or the register. */
static inline uint64_t insn_mov_store_value(const struct insn *in, const uint64_t *gpr)
{
	uint64_t v = in->has_imm ? in->imm : insn_gpr_read(gpr, in->reg, in->reg_high8, in->opsize);

	return v & insn_size_mask(in->memsize);
}

/* A MOV, MOVZX or MOVSX load of `mem` (memsize bytes) into its register. */
static inline void insn_mov_load(const struct insn *in, uint64_t *gpr, uint64_t mem)
{
	mem &= insn_size_mask(in->memsize);
	if (in->op == INSN_OP_MOVSX)
		mem = insn_sign_extend(mem, in->memsize);
	insn_gpr_write(gpr, in->reg, in->reg_high8, in->opsize, mem);
}

/* RIP after the instruction, wrapping at the code size. (A completed
 * instruction clears RFLAGS.RF too, SDM Vol. 3A 18.3.1.1: the caller's.) */
static inline uint64_t insn_next_rip(const struct insn *in, uint64_t rip)
{
	rip += in->len;
	if (in->mode == 16)
		return rip & 0xFFFF;
	return in->mode == 32 ? rip & 0xFFFFFFFFULL : rip;
}

/* "mov", "cmp", ... for messages. */
const char *insn_op_name(enum insn_op op);

#endif
