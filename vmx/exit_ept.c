/* EPT violations (SDM 3C 29.3.3.2, qualification table 28-7): dirty
 * logging, writes to read-only slots, and MMIO, which is emulated by
 * decoding the faulting instruction (hv/insn.c) and sending its access
 * through the MMIO bus, or out to the VMM layer. */
#include "vmx/exit.h"
#include "vmx/exit_info.h"
#include "vmx/guest_mem.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx.h"
#include "vmx/vmx_insn.h"
#include "hv/insn.h"
#include "hv/insn_cache.h"
#include "hv/log.h"
#include "hv/string.h"

/* Control register bits, SDM 3A 2.5, and EFER, 2.2.1. */
#define CR0_PE_BIT 1ULL
#define CR0_PG_BIT (1ULL << 31)
#define CR4_PSE_BIT (1ULL << 4) /* 4 MiB pages in 32-bit paging */
#define CR4_PAE_BIT (1ULL << 5)
#define EFER_LMA_BIT (1ULL << 10)
#define RFLAGS_RF_BIT (1ULL << 16) /* resume flag, SDM 3A 18.3.1.1 */

/* The emulator's register numbers index v->regs.gpr directly. */
_Static_assert((int)INSN_NR_GPRS == (int)GPR_COUNT && (int)INSN_RSP == (int)GPR_RSP, "x86 encoding order");

struct mmio_ctx {
	struct vcpu *v;
	bool left_core;   /* an access went (or must go) to the VMM layer */
	bool is_write;
	uint64_t gpa, val;
	uint32_t size;
};

static int mmio_read(void *c, uint64_t gpa, unsigned size, uint64_t *val)
{
	struct mmio_ctx *m = c;
	struct vmx_vcpu *x = to_vmx(m->v);
	if (vcpu_bus_access(m->v, IO_BUS_MMIO, gpa, size, false, val) != -ENODEV)
		return 0;
	if (x->mmio_have_value && x->pending.gpa == gpa && x->pending.size == size) {
		*val = m->v->run->mmio.data; /* the VMM layer's answer */
		x->mmio_have_value = false;
		return 0;
	}
	m->left_core = true;
	m->is_write = false;
	m->gpa = gpa;
	m->size = size;
	return -EBUSY; /* not ours: the VMM layer answers */
}

static int mmio_write(void *c, uint64_t gpa, unsigned size, uint64_t val)
{
	struct mmio_ctx *m = c;
	if (vcpu_bus_access(m->v, IO_BUS_MMIO, gpa, size, true, &val) != -ENODEV)
		return 0;
	if (m->left_core)
		return -EBUSY; /* one access per exit to the VMM layer */
	m->left_core = true;
	m->is_write = true;
	m->gpa = gpa;
	m->size = size;
	m->val = val;
	return 0;
}

static int mem_read(void *c, uint64_t gla, unsigned size, uint64_t *val)
{
	struct mmio_ctx *m = c;
	*val = 0;
	return vmx_read_gla(m->v, gla, val, size);
}

static int mem_write(void *c, uint64_t gla, unsigned size, uint64_t val)
{
	struct mmio_ctx *m = c;
	return vmx_write_gla(m->v, gla, &val, size);
}

/* The cache key's `modes`: the control bits the fetch and decode depend
 * on, each at its architectural position (none overlap), CS's access
 * rights above bit 32. */
#define MODES_CR0 (CR0_PE_BIT | CR0_PG_BIT)
#define MODES_CR4 (CR4_PSE_BIT | CR4_PAE_BIT)
#define MODES_EFER EFER_LMA_BIT
#define MODES_CS_SHIFT 32
#define MODES_CS ((uint64_t)(SEG_L | SEG_DB) << MODES_CS_SHIFT)

/* 16, 32 or 64: the code size of the guest's current CS (SDM 3A 3.4.5). */
static int code_size_of(uint64_t modes)
{
	if (!(modes & CR0_PE_BIT))
		return 16;
	if (modes & ((uint64_t)SEG_L << MODES_CS_SHIFT))
		return 64;
	return modes & ((uint64_t)SEG_DB << MODES_CS_SHIFT) ? 32 : 16;
}

static enum gpt_mode paging_of(uint64_t modes)
{
	return gpt_mode_of(modes & MODES_CR0, modes & MODES_CR4, modes & MODES_EFER);
}

/* Everything the fetch and decode at RIP depend on besides guest memory:
 * the instruction cache's key (hv/insn_cache.h). Raw VMCS reads only:
 * it is made at every MMIO exit. */
static inline __attribute__((always_inline)) void fetch_key(struct vcpu *v, struct insn_cache_key *k)
{
	uint64_t cr0 = vmread(VMCS_GUEST_CR0);

	/* Read before the walk: a slot change during it makes the entry old. */
	k->slots_generation = __atomic_load_n(&v->vm->slots.generation, __ATOMIC_ACQUIRE);
	k->rip_gla = vmread(VMCS_GUEST_CS_BASE) + v->regs.rip;
	k->modes = (cr0 & MODES_CR0) | (vmread(VMCS_GUEST_CS_ACCESS_RIGHTS) << MODES_CS_SHIFT & MODES_CS);
	k->cr3 = 0;
	/* Paging off: no other control bit selects a translation. */
	if (cr0 & CR0_PG_BIT) {
		k->modes |= (vmread(VMCS_GUEST_CR4) & MODES_CR4) | (vmread(VMCS_GUEST_IA32_EFER) & MODES_EFER);
		k->cr3 = vmread(VMCS_GUEST_CR3);
	}
}

/* Any instruction, wherever it lies: 15 bytes through the guest's page
 * tables, page by page. */
static int fetch_any(struct vcpu *v, uint64_t rip_gla, int mode, struct insn *in)
{
	uint8_t bytes[INSN_MAX_LEN];
	size_t got = 0;

	/* One read usually covers it; near the end of mapped memory fetch
	 * what is readable byte by byte (an instruction may end there). */
	if (!vmx_read_gla(v, rip_gla, bytes, sizeof(bytes)))
		got = sizeof(bytes);
	while (got < sizeof(bytes) && !vmx_read_gla(v, rip_gla + got, bytes + got, 1))
		got++;
	if (!got)
		return -EFAULT;
	return insn_decode(bytes, got, mode, in);
}

/* fetch_in_page() could not: RIP's page is not guest RAM, or the
 * instruction goes on into the next page. */
#define FETCH_NOT_IN_PAGE 1

/* An instruction inside RIP's page: one walk covers it, and the cache keeps
 * the decode with the walk's entries. */
static int fetch_in_page(struct vcpu *v, const struct insn_cache_key *k, struct insn *in)
{
	const struct memslots *slots = &v->vm->slots;
	struct gpt_path path;
	struct insn_cache_pte pte[GPT_PATH_MAX];
	uint8_t bytes[INSN_MAX_LEN];
	size_t n = MIN((size_t)INSN_MAX_LEN, (size_t)(PAGE_SIZE - (k->rip_gla & (PAGE_SIZE - 1))));
	uint64_t gpa, hpa;

	if (vmx_walk_for_fetch(v, paging_of(k->modes), k->cr3, k->modes & CR4_PSE_BIT, k->rip_gla, &path, &gpa))
		return FETCH_NOT_IN_PAGE;
	hpa = memslot_gpa_to_hpa(slots, gpa, n);
	if (!hpa)
		return FETCH_NOT_IN_PAGE;
	memcpy(bytes, (const void *)hpa, n);
	int err = insn_decode(bytes, n, code_size_of(k->modes), in);
	if (err)
		return err == -E2BIG ? FETCH_NOT_IN_PAGE : err;
	for (uint32_t i = 0; i < path.count; i++) {
		pte[i].host = (const void *)memslot_gpa_to_hpa(slots, path.entry[i].gpa, path.entry[i].size);
		pte[i].val = path.entry[i].val;
		pte[i].size = path.entry[i].size;
		if (!pte[i].host)
			return 0; /* decoded all the same; just not kept */
	}
	insn_cache_insert(&to_vmx(v)->insn_cache, k, pte, path.count, (const uint8_t *)hpa, bytes, in);
	return 0;
}

/* A cache miss: fetch and decode afresh, and keep it when it can be kept.
 * Out of line, so its buffers stay out of the hit path's stack frame. */
static __attribute__((noinline)) int decode_fresh(struct vcpu *v, const struct insn_cache_key *k, struct insn *in)
{
	int err = fetch_in_page(v, k, in);
	if (err == FETCH_NOT_IN_PAGE)
		err = fetch_any(v, k->rip_gla, code_size_of(k->modes), in);
	return err;
}

/* The instruction at RIP, decoded: the cached decode when nothing it came
 * from has changed, else a fresh one in *scratch. NULL and *err on failure. */
static const struct insn *decode_at_rip(struct vcpu *v, struct insn *scratch, int *err)
{
	struct insn_cache_key k;

	fetch_key(v, &k);
	const struct insn *in = insn_cache_lookup(&to_vmx(v)->insn_cache, &k);
	if (likely(in))
		return in;
	*err = decode_fresh(v, &k, scratch);
	return *err ? NULL : scratch;
}

/* Only the registers the instruction uses travel: the emulator touches no
 * other gpr[] (insn_gprs_used), and segment bases only for MOVS/STOS. */
static void regs_to_insn(struct vcpu *v, const struct insn *in, uint32_t used, struct insn_regs *r)
{
	vmx_cache_regs(v);
	for (uint32_t m = used; m; m &= m - 1)
		r->gpr[__builtin_ctz(m)] = v->regs.gpr[__builtin_ctz(m)];
	r->rip = v->regs.rip;
	r->rflags = v->regs.rflags;
	if (in->op != INSN_OP_MOVS && in->op != INSN_OP_STOS)
		return;
	r->seg_base[INSN_SEG_ES] = vmread(VMCS_GUEST_ES_BASE);
	r->seg_base[INSN_SEG_CS] = vmread(VMCS_GUEST_CS_BASE);
	r->seg_base[INSN_SEG_SS] = vmread(VMCS_GUEST_SS_BASE);
	r->seg_base[INSN_SEG_DS] = vmread(VMCS_GUEST_DS_BASE);
	r->seg_base[INSN_SEG_FS] = vmread(VMCS_GUEST_FS_BASE);
	r->seg_base[INSN_SEG_GS] = vmread(VMCS_GUEST_GS_BASE);
}

static void insn_to_regs(struct vcpu *v, uint32_t used, const struct insn_regs *r)
{
	for (uint32_t m = used; m; m &= m - 1)
		v->regs.gpr[__builtin_ctz(m)] = r->gpr[__builtin_ctz(m)];
	v->regs.rip = r->rip;
	v->regs.rflags = r->rflags;
	v->regs_dirty = true;
}

static int report_unmapped(struct vcpu *v, uint64_t gpa, bool write)
{
	struct vcpu_run *run = v->run;
	pr_err("vm %s: vcpu%u: %s of unmapped guest-physical 0x%llx at rip 0x%llx", v->vm->name, v->id,
	       write ? "write" : "read", (unsigned long long)gpa, (unsigned long long)v->regs.rip);
	vmcs_dump(v);
	run->exit_reason = EXIT_INTERNAL_ERROR;
	run->internal.suberror = INTERNAL_UNMAPPED_ACCESS;
	run->internal.ndata = 2;
	run->internal.data[0] = gpa;
	run->internal.data[1] = write;
	return 0;
}

/* The common case, kept short: a MOV (no flags, no string, one access)
 * to an in-core device, from the cache. It does what insn_emulate() does
 * for it (the same helpers), on v->regs directly. 1: done; 0: not that
 * case, and nothing changed. */
static inline __attribute__((always_inline)) int mmio_mov_in_core(struct vcpu *v, const struct insn *in, uint64_t gpa)
{
	uint64_t val = 0;
	int err;

	/* RSP lives in the VMCS: an operand there takes the general path. */
	if (!insn_is_mov(in) || (in->reg == INSN_RSP && !in->reg_high8))
		return 0;
	/* A device's error is its answer, as in the general path. */
	if (in->mem_is_dst) {
		val = insn_mov_store_value(in, v->regs.gpr);
		err = vcpu_bus_access(v, IO_BUS_MMIO, gpa, in->memsize, true, &val);
	} else {
		err = vcpu_bus_access(v, IO_BUS_MMIO, gpa, in->memsize, false, &val);
	}
	if (err == -ENODEV)
		return 0; /* the VMM layer's: the general path takes it out */
	if (!in->mem_is_dst)
		insn_mov_load(in, v->regs.gpr, val);
	v->regs.rip = insn_next_rip(in, v->regs.rip);
	/* The instruction completed: RF goes (rarely set; RFLAGS lives in
	 * the VMCS, so it is read here only). */
	uint64_t rflags = to_vmx(v)->regs_cached ? v->regs.rflags : vmread(VMCS_GUEST_RFLAGS);
	if (unlikely(rflags & RFLAGS_RF_BIT)) {
		vmx_cache_regs(v);
		v->regs.rflags &= ~RFLAGS_RF_BIT;
		v->regs_dirty = true;
	}
	v->stats.emulated_mmio++;
	return 1;
}

/* Everything else: insn_emulate() over copies of the registers, any
 * instruction it supports, accesses the VMM layer answers, and the errors.
 * `in` is NULL when decoding failed (err), `checked` when it came from the
 * cache. */
static __attribute__((noinline)) int emulate_general(struct vcpu *v, const struct insn *in, bool checked, int err,
						    uint64_t gpa, uint64_t gla, bool write)
{
	struct vmx_vcpu *x = to_vmx(v);
	struct insn_regs r;
	struct mmio_ctx m = {.v = v};
	struct insn_mem_ops ops = {mmio_read, mmio_write, mem_read, mem_write, &m};

	if (!in) {
		if (!io_bus_claims(&v->vm->bus[IO_BUS_MMIO], gpa, 1))
			return report_unmapped(v, gpa, write);
		pr_err("vm %s: vcpu%u: cannot decode the instruction at rip 0x%llx touching MMIO 0x%llx (%d)",
		       v->vm->name, v->id, (unsigned long long)v->regs.rip, (unsigned long long)gpa, err);
		return vmx_stop_with_report(v, INTERNAL_EMULATION_FAILED, "MMIO instruction not emulated");
	}
	uint32_t used = insn_gprs_used(in);
	regs_to_insn(v, in, used, &r);
	err = checked ? insn_emulate_valid(in, &r, gpa, gla, &ops) : insn_emulate(in, &r, gpa, gla, &ops);
	if (err < 0 && !m.left_core) {
		pr_err("vm %s: vcpu%u: emulating the MMIO access at 0x%llx failed (%d)", v->vm->name, v->id,
		       (unsigned long long)gpa, err);
		return vmx_stop_with_report(v, INTERNAL_EMULATION_FAILED, "MMIO emulation failed");
	}
	/* Done, a REP batch, or stopped at the one access per exit the VMM
	 * layer takes: the registers are architectural either way. */
	if (err >= 0 || m.left_core)
		insn_to_regs(v, used, &r);
	if (!m.left_core) {
		v->stats.emulated_mmio++;
		return 1;
	}
	/* The VMM layer takes it: a write is done already; a read restarts
	 * the instruction with the answer at the next vcpu_run(). */
	v->stats.mmio_exits++;
	v->run->exit_reason = EXIT_MMIO;
	v->run->mmio.phys_addr = m.gpa;
	v->run->mmio.len = m.size;
	v->run->mmio.is_write = m.is_write;
	v->run->mmio.data = m.val;
	if (!m.is_write) {
		x->pending.kind = PENDING_MMIO_READ;
		x->pending.gpa = m.gpa;
		x->pending.size = (uint8_t)m.size;
		/* A REP may have moved on: the pending element's linear address is
		 * as far from the fault's as its physical one (same page). */
		x->pending.mmio_gla = gla == INSN_GLA_UNKNOWN ? gla : gla + (m.gpa - gpa);
	}
	return 0;
}

/* The cache missed, or the short path does not apply: decode if not done
 * yet, then the general path. */
static __attribute__((noinline)) int emulate_slow(struct vcpu *v, const struct insn *cached,
						 const struct insn_cache_key *k, uint64_t gpa, uint64_t gla, bool write)
{
	struct insn scratch;
	const struct insn *in = cached;
	int err = 0;

	if (!in) {
		err = decode_fresh(v, k, &scratch);
		in = err ? NULL : &scratch;
	}
	return emulate_general(v, in, cached != NULL, err, gpa, gla, write);
}

/* Emulates the instruction that touched `gpa` (no memory slot there).
 * Inline, always: the short path then runs in its caller's frame. */
static inline __attribute__((always_inline)) int emulate_mmio(struct vcpu *v, uint64_t gpa, uint64_t gla, bool write)
{
	struct insn_cache_key k;

	fetch_key(v, &k);
	const struct insn *in = insn_cache_lookup(&to_vmx(v)->insn_cache, &k);
	if (likely(in) && mmio_mov_in_core(v, in, gpa))
		return 1;
	return emulate_slow(v, in, &k, gpa, gla, write);
}

/* A write to a read-only slot is dropped and the guest goes on, as ROM
 * behaves on a PC. */
static int skip_write(struct vcpu *v, uint64_t gpa)
{
	struct insn scratch;
	int err;
	const struct insn *in = decode_at_rip(v, &scratch, &err);
	if (!in)
		return vmx_stop_with_report(v, INTERNAL_EMULATION_FAILED, "write to read-only memory not decodable");
	v->regs.rip += in->len;
	return 1;
}

int vmx_emulate_mmio_at(struct vcpu *v, uint64_t gpa, uint64_t gla, bool write)
{
	return emulate_mmio(v, gpa, gla, write);
}

static uint64_t gla_of(uint64_t qual)
{
	return qual & EPT_QUAL_GLA_VALID ? vmread(VMCS_GUEST_LINEAR_ADDRESS) : INSN_GLA_UNKNOWN;
}

/* An EPT violation at a mapped address: a slot's protection (read-only,
 * dirty logging), or a slot that changed under the exit. */
static __attribute__((noinline)) int slot_violation(struct vcpu *v, uint64_t qual, uint64_t gpa, uint64_t gla)
{
	struct vmx_ept_violation q = vmx_decode_ept_violation(qual);
	const struct memslot *slot = memslot_find(&v->vm->slots, gpa);

	if (!slot)
		return emulate_mmio(v, gpa, gla, q.write);
	if (q.write && (slot->flags & MEM_READONLY))
		return skip_write(v, gpa);
	if (q.write && (slot->flags & MEM_LOG_DIRTY_PAGES)) {
		uint64_t page = ALIGN_DOWN(gpa, PAGE_SIZE);
		memslot_mark_dirty(&v->vm->slots, gpa);
		ept_protect(&to_vmx_vm(v->vm)->ept, page, PAGE_SIZE, EPT_RWX);
		invept(INVEPT_ALL_CONTEXTS, 0);
		return 1;
	}
	return vmx_stop_with_report(v, INTERNAL_BAD_STATE, "EPT violation inside a memory slot");
}

/* emulate_mmio(), with the linear address read only if needed. */
static inline __attribute__((always_inline)) int mmio_exit(struct vcpu *v, uint64_t qual, uint64_t gpa)
{
	struct insn_cache_key k;
	fetch_key(v, &k);
	const struct insn *in = insn_cache_lookup(&to_vmx(v)->insn_cache, &k);
	if (likely(in) && mmio_mov_in_core(v, in, gpa))
		return 1;
	return emulate_slow(v, in, &k, gpa, gla_of(qual), qual & EPT_QUAL_WRITE);
}

/* Everything but a data access to an unmapped address through a linear
 * address (table 28-7): a slot's protection (some rights set: slots are
 * mapped whole, and always readable); an instruction fetch from no
 * memory, or the guest's page walk reading an entry where there is no
 * memory (bit 7 without bit 8), which no MOV emulation can stand for; or
 * an access with no linear address, emulated as MMIO. */
static __attribute__((noinline)) int unusual_violation(struct vcpu *v, uint64_t qual, uint64_t gpa)
{
	if (qual & EPT_QUAL_RIGHTS)
		return slot_violation(v, qual, gpa, gla_of(qual));
	if ((qual & EPT_QUAL_FETCH) || (qual & EPT_QUAL_GLA_VALID))
		return report_unmapped(v, gpa, false);
	return mmio_exit(v, qual, gpa);
}

#define EPT_QUAL_SHAPE (EPT_QUAL_RIGHTS | EPT_QUAL_FETCH | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_ACCESS)
#define EPT_QUAL_MMIO_DATA (EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_ACCESS)

int vmx_handle_ept_violation(struct vcpu *v)
{
	uint64_t qual = vmread(VMCS_EXIT_QUALIFICATION);
	uint64_t gpa = vmread(VMCS_GUEST_PHYSICAL_ADDRESS);

	vmx_check_idt_vectoring(v);
	/* The common case, one test: the instruction's data access to an
	 * address no slot maps (MMIO, with no slot search). */
	if (unlikely((qual & EPT_QUAL_SHAPE) != EPT_QUAL_MMIO_DATA))
		return unusual_violation(v, qual, gpa);
	return mmio_exit(v, qual, gpa);
}

int vmx_complete_pending(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	int kind = x->pending.kind;
	int err = 0;

	x->pending.kind = PENDING_NONE;
	if (kind == PENDING_IN || kind == PENDING_INS) {
		err = vmx_complete_io_in(v, kind == PENDING_INS);
	} else if (kind == PENDING_MMIO_READ) {
		/* Finish the instruction now with the VMM layer's answer,
		 * rather than let it fault a second time. */
		x->mmio_have_value = true;
		err = emulate_mmio(v, x->pending.gpa, x->pending.mmio_gla, false);
		x->mmio_have_value = false;
		/* 1: done in the core; 0: its write half (AND/OR/XOR on a
		 * device) leaves for the VMM layer too. */
		err = err == 1 ? 0 : (err == 0 ? 1 : err);
	}
	return err;
}
