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
#include "hv/log.h"
#include "hv/string.h"

#define CR0_PE_BIT 1ULL

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

/* 16, 32 or 64: the code size of the guest's current CS (SDM 3A 3.4.5). */
static int code_mode(void)
{
	uint32_t ar = (uint32_t)vmread(VMCS_GUEST_CS_ACCESS_RIGHTS);
	if (!(vmread(VMCS_GUEST_CR0) & CR0_PE_BIT))
		return 16;
	if (ar & SEG_L)
		return 64;
	return ar & SEG_DB ? 32 : 16;
}

static int fetch_and_decode(struct vcpu *v, struct insn *in)
{
	uint8_t bytes[INSN_MAX_LEN];
	uint64_t rip_gla = vmread(VMCS_GUEST_CS_BASE) + v->regs.rip;
	size_t got = 0;

	/* One read usually covers it; near the end of mapped memory fetch
	 * what is readable byte by byte (an instruction may end there). */
	if (!vmx_read_gla(v, rip_gla, bytes, sizeof(bytes)))
		got = sizeof(bytes);
	while (got < sizeof(bytes) && !vmx_read_gla(v, rip_gla + got, bytes + got, 1))
		got++;
	if (!got)
		return -EFAULT;
	return insn_decode(bytes, got, code_mode(), in);
}

static void regs_to_insn(struct vcpu *v, struct insn_regs *r)
{
	vmx_cache_regs(v);
	memcpy(r->gpr, v->regs.gpr, sizeof(r->gpr));
	r->rip = v->regs.rip;
	r->rflags = v->regs.rflags;
	r->seg_base[INSN_SEG_ES] = vmread(VMCS_GUEST_ES_BASE);
	r->seg_base[INSN_SEG_CS] = vmread(VMCS_GUEST_CS_BASE);
	r->seg_base[INSN_SEG_SS] = vmread(VMCS_GUEST_SS_BASE);
	r->seg_base[INSN_SEG_DS] = vmread(VMCS_GUEST_DS_BASE);
	r->seg_base[INSN_SEG_FS] = vmread(VMCS_GUEST_FS_BASE);
	r->seg_base[INSN_SEG_GS] = vmread(VMCS_GUEST_GS_BASE);
}

static void insn_to_regs(struct vcpu *v, const struct insn_regs *r)
{
	memcpy(v->regs.gpr, r->gpr, sizeof(r->gpr));
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

/* Emulates the instruction that touched `gpa` (no memory slot there). */
static int emulate_mmio(struct vcpu *v, uint64_t gpa, uint64_t gla, bool write)
{
	struct vmx_vcpu *x = to_vmx(v);
	struct insn in;
	struct insn_regs r;
	struct mmio_ctx m = {.v = v};
	struct insn_mem_ops ops = {mmio_read, mmio_write, mem_read, mem_write, &m};

	int err = fetch_and_decode(v, &in);
	if (err) {
		if (!io_bus_claims(&v->vm->bus[IO_BUS_MMIO], gpa, 1))
			return report_unmapped(v, gpa, write);
		pr_err("vm %s: vcpu%u: cannot decode the instruction at rip 0x%llx touching MMIO 0x%llx",
		       v->vm->name, v->id, (unsigned long long)v->regs.rip, (unsigned long long)gpa);
		return vmx_stop_with_report(v, INTERNAL_EMULATION_FAILED, "MMIO instruction not emulated");
	}
	regs_to_insn(v, &r);
	err = insn_emulate(&in, &r, gpa, gla, &ops);
	if (err < 0 && !m.left_core) {
		pr_err("vm %s: vcpu%u: emulating the MMIO access at 0x%llx failed (%d)", v->vm->name, v->id,
		       (unsigned long long)gpa, err);
		return vmx_stop_with_report(v, INTERNAL_EMULATION_FAILED, "MMIO emulation failed");
	}
	/* Done, a REP batch, or stopped at the one access per exit the VMM
	 * layer takes: the registers are architectural either way. */
	if (err >= 0 || m.left_core)
		insn_to_regs(v, &r);
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

/* A write to a read-only slot is dropped and the guest goes on, as ROM
 * behaves on a PC. */
static int skip_write(struct vcpu *v, uint64_t gpa)
{
	struct insn in;
	if (fetch_and_decode(v, &in))
		return vmx_stop_with_report(v, INTERNAL_EMULATION_FAILED, "write to read-only memory not decodable");
	v->regs.rip += in.len;
	to_vmx(v)->rip_dirty = true;
	return 1;
}

int vmx_emulate_mmio_at(struct vcpu *v, uint64_t gpa, uint64_t gla, bool write)
{
	return emulate_mmio(v, gpa, gla, write);
}

int vmx_handle_ept_violation(struct vcpu *v)
{
	struct vmx_ept_violation q = vmx_decode_ept_violation(vmread(VMCS_EXIT_QUALIFICATION));
	uint64_t gpa = vmread(VMCS_GUEST_PHYSICAL_ADDRESS);

	vmx_check_idt_vectoring(v);

	const struct memslot *slot = memslot_find(&v->vm->slots, gpa);
	if (!slot)
		return emulate_mmio(v, gpa, q.gla_valid ? vmread(VMCS_GUEST_LINEAR_ADDRESS) : INSN_GLA_UNKNOWN,
				    q.write);
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
