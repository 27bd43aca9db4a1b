/* I/O instruction exits (SDM 3C 28.2.1, table 28-5): IN/OUT and INS/OUTS
 * with REP, all sizes. Ports an in-core device claims are handled here;
 * the rest leave vcpu_run() as EXIT_IO for the VMM layer. */
#include "vmx/exit.h"
#include "vmx/exit_info.h"
#include "vmx/guest_mem.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx_insn.h"
#include "hv/string.h"

#define RFLAGS_DF (1ULL << 10)
#define IN_CORE_BATCH 1024 /* string I/O elements per exit, in core */

static uint64_t size_mask(uint32_t size)
{
	return size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* Writes an IN result into AL/AX/EAX: 32-bit results zero-extend. */
static void set_in_result(struct vcpu *v, uint32_t size, uint64_t val)
{
	uint64_t *rax = &v->regs.gpr[GPR_RAX];
	if (size == 4)
		*rax = (uint32_t)val;
	else
		*rax = (*rax & ~size_mask(size)) | (val & size_mask(size));
}

static uint64_t addr_mask_of(uint32_t insn_info)
{
	switch ((insn_info >> 7) & 7) { /* address size, SDM table 28-9 */
	case 0: return 0xFFFF;
	case 1: return 0xFFFFFFFF;
	default: return ~0ULL;
	}
}

/* Inline, always, into the one-port exit: its whole cost is a few dozen
 * instructions, and a call frame is a good part of that. */
static inline __attribute__((always_inline)) int bus_read(struct vcpu *v, uint16_t port, uint32_t size,
							 uint64_t *val)
{
	return vcpu_bus_access(v, IO_BUS_PIO, port, size, false, val);
}

static inline __attribute__((always_inline)) int bus_write(struct vcpu *v, uint16_t port, uint32_t size,
							  uint64_t val)
{
	return vcpu_bus_access(v, IO_BUS_PIO, port, size, true, &val);
}

static int io_simple(struct vcpu *v, const struct vmx_io_access *q)
{
	struct vcpu_run *run = v->run;

	vmx_skip_instruction(v);
	if (!q->in) {
		uint64_t val = v->regs.gpr[GPR_RAX] & size_mask(q->size);
		if (bus_write(v, q->port, q->size, val) != -ENODEV)
			return 1;
		memcpy(run->io_data, &val, q->size);
	} else {
		uint64_t val = 0;
		if (bus_read(v, q->port, q->size, &val) != -ENODEV) {
			set_in_result(v, q->size, val);
			return 1;
		}
		to_vmx(v)->pending.kind = PENDING_IN;
		to_vmx(v)->pending.size = (uint8_t)q->size;
	}
	v->stats.io_exits++;
	run->exit_reason = EXIT_IO;
	run->io.direction = q->in ? IO_DIRECTION_IN : IO_DIRECTION_OUT;
	run->io.size = (uint8_t)q->size;
	run->io.port = q->port;
	run->io.count = 1;
	return 0;
}

/* Moves RSI/RDI and RCX past `n` elements; RIP only when the whole
 * instruction is done (a REP resumes where it stopped otherwise). */
static void advance_string(struct vcpu *v, bool in, bool rep, uint64_t amask, uint32_t size, uint64_t n,
			   bool df)
{
	uint64_t *idx = &v->regs.gpr[in ? GPR_RDI : GPR_RSI];
	uint64_t delta = n * size;
	uint64_t next = df ? *idx - delta : *idx + delta;
	*idx = (*idx & ~amask) | (next & amask);
	bool done = true;
	if (rep) {
		uint64_t *rcx = &v->regs.gpr[GPR_RCX];
		uint64_t left = (*rcx & amask) - n;
		*rcx = (*rcx & ~amask) | (left & amask);
		done = left == 0;
	}
	if (done)
		vmx_skip_instruction(v);
}

static int io_string(struct vcpu *v, const struct vmx_io_access *q)
{
	const struct io_bus *bus = &v->vm->bus[IO_BUS_PIO];
	uint32_t info = (uint32_t)vmread(VMCS_EXIT_INSTRUCTION_INFO);
	uint64_t amask = addr_mask_of(info);
	uint64_t gla = vmread(VMCS_GUEST_LINEAR_ADDRESS);
	vmx_cache_regs(v);
	bool df = v->regs.rflags & RFLAGS_DF;
	int64_t step = df ? -(int64_t)q->size : (int64_t)q->size;
	uint64_t count = q->rep ? v->regs.gpr[GPR_RCX] & amask : 1;
	bool in_core = io_bus_claims(bus, q->port, q->size);
	uint64_t max = in_core ? IN_CORE_BATCH : RUN_IO_DATA_MAX / q->size;
	uint64_t n = MIN(count, max);

	if (count == 0) {
		vmx_skip_instruction(v);
		return 1;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t val = 0, a = gla + (uint64_t)(step * (int64_t)i);
		if (in_core) {
			if (q->in) {
				bus_read(v, q->port, q->size, &val);
				if (vmx_write_gla(v, a, &val, q->size))
					return vmx_stop_with_report(v, INTERNAL_EMULATION_FAILED,
								    "INS into unmapped guest memory");
			} else {
				if (vmx_read_gla(v, a, &val, q->size))
					return vmx_stop_with_report(v, INTERNAL_EMULATION_FAILED,
								    "OUTS from unmapped guest memory");
				bus_write(v, q->port, q->size, val);
			}
		} else if (!q->in) {
			if (vmx_read_gla(v, a, v->run->io_data + i * q->size, q->size))
				return vmx_stop_with_report(v, INTERNAL_EMULATION_FAILED,
							    "OUTS from unmapped guest memory");
		}
	}
	if (in_core) {
		advance_string(v, q->in, q->rep, amask, q->size, n, df);
		return 1;
	}
	struct vmx_vcpu *x = to_vmx(v);
	if (q->in) {
		x->pending.kind = PENDING_INS;
		x->pending.size = (uint8_t)q->size;
		x->pending.count = (uint32_t)n;
		x->pending.gla = gla;
		x->pending.addr_mask = amask;
		x->pending.rep = q->rep;
		x->pending.df = df;
	} else {
		advance_string(v, false, q->rep, amask, q->size, n, df);
	}
	v->stats.io_exits++;
	v->run->exit_reason = EXIT_IO;
	v->run->io.direction = q->in ? IO_DIRECTION_IN : IO_DIRECTION_OUT;
	v->run->io.size = (uint8_t)q->size;
	v->run->io.port = q->port;
	v->run->io.count = (uint32_t)n;
	return 0;
}

int vmx_handle_io(struct vcpu *v)
{
	struct vmx_io_access q = vmx_decode_io(vmread(VMCS_EXIT_QUALIFICATION));
	return q.string ? io_string(v, &q) : io_simple(v, &q);
}

/* The VMM layer filled run->io_data for an IN/INS: finish the instruction. */
int vmx_complete_io_in(struct vcpu *v, bool string)
{
	struct vmx_vcpu *x = to_vmx(v);
	uint32_t size = x->pending.size;

	if (!string) {
		uint64_t val = 0;
		memcpy(&val, v->run->io_data, size);
		set_in_result(v, size, val);
		return 0;
	}
	int64_t step = x->pending.df ? -(int64_t)size : (int64_t)size;
	for (uint32_t i = 0; i < x->pending.count; i++) {
		if (vmx_write_gla(v, x->pending.gla + (uint64_t)(step * (int64_t)i), v->run->io_data + i * size, size))
			return -EFAULT;
	}
	advance_string(v, true, x->pending.rep, x->pending.addr_mask, size, x->pending.count, x->pending.df);
	return 0;
}
