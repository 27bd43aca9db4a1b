/* libFuzzer harness for the local APIC model (hv/vlapic.c). The input is a
 * program for three APICs wired to a router (IPIs reach their targets,
 * EOIs of level vectors may re-deliver at once, as an IOAPIC with its line
 * still high does): MMIO and MSR accesses of every shape, IA32_APIC_BASE
 * writes, accepted and delivered interrupts, acks, EOIs, LINT edges, LVT
 * raises, CR8, INIT and RESET, TSC deadlines and clock steps with polls.
 * After every step: no vector below 16 in IRR/ISR/TMR, PPR and the pending
 * vector agree with a reference computation, a disabled APIC holds nothing,
 * LVTs and other registers hold only their defined bits, the current count
 * never exceeds the initial count, nothing due is left after a poll, and
 * every error code is one the interface documents. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_input.h"
#include "hv/errno.h"
#include "hv/vlapic.h"
#include "test_log.h"

#define NCPU 3

static struct vlapic cpu[NCPU];
static uint64_t now, guest_tsc;
static int depth;
static bool redeliver_on_eoi;

static uint64_t clock_now(void *ctx)
{
	return now;
}

static uint64_t read_tsc(void *ctx)
{
	return guest_tsc;
}

static void route(void *ctx, const struct lapic_ipi *ipi)
{
	int from = (int)(intptr_t)ctx;

	check(ipi->shorthand <= LAPIC_SH_ALL_EXCL_SELF);
	check(ipi->msg.delivery_mode != 3 && ipi->msg.delivery_mode != IRQ_DM_EXTINT);
	check(ipi->msg.delivery_mode > IRQ_DM_LOWEST || ipi->msg.vector >= 16);
	check(ipi->x2apic || ipi->msg.dest <= 0xFF);
	check(ipi->source_id == vlapic_id(&cpu[from]));
	depth++;
	check(depth < 4);
	for (int i = 0; i < NCPU; i++)
		if (vlapic_ipi_targets(&cpu[i], ipi, i == from))
			vlapic_deliver(&cpu[i], &ipi->msg);
	depth--;
}

static void eoi(void *ctx, uint8_t vector)
{
	int from = (int)(intptr_t)ctx;

	check(vector >= 16);
	if (redeliver_on_eoi && depth == 0) {
		depth++;
		vlapic_accept(&cpu[from], vector, true);
		depth--;
	}
}

static const struct vlapic_ops ops = { route, eoi, NULL, NULL };
static const struct vlapic_ops ops_tsc = { route, eoi, NULL, read_tsc };

static int highest(const uint32_t *bm)
{
	for (int i = 7; i >= 0; i--)
		if (bm[i])
			return i * 32 + 31 - __builtin_clz(bm[i]);
	return -1;
}

static uint32_t lvt_allowed(const struct vlapic *l, int i)
{
	uint32_t base = 0xFF | LAPIC_LVT_MASKED;

	switch (i) {
	case VLAPIC_LVT_TIMER:
		return base | (l->cfg.tsc_deadline ? 3U : 1U) << 17;
	case VLAPIC_LVT_THERMAL:
	case VLAPIC_LVT_PMC:
		return base | LAPIC_LVT_DM_MASK;
	case VLAPIC_LVT_LINT0:
	case VLAPIC_LVT_LINT1:
		return base | LAPIC_LVT_DM_MASK | LAPIC_LVT_POLARITY | LAPIC_LVT_REMOTE_IRR |
		       LAPIC_LVT_LEVEL;
	default:
		return base;
	}
}

static void check_invariants(struct vlapic *l)
{
	enum vlapic_mode mode = vlapic_mode(l);
	int isrv = highest(l->isr), v = vlapic_pending_vector(l);
	uint32_t ppr, want_ppr, tpr = l->tpr;

	check((l->irr[0] & 0xFFFF) == 0 && (l->isr[0] & 0xFFFF) == 0 && (l->tmr[0] & 0xFFFF) == 0);
	want_ppr = (tpr & 0xF0) >= ((uint32_t)(isrv < 0 ? 0 : isrv) & 0xF0) ? tpr : (uint32_t)isrv & 0xF0;
	ppr = vlapic_get_ppr(l);
	check(ppr == want_ppr);
	check(tpr <= 0xFF);
	check(vlapic_get_cr8(l) == tpr >> 4 && vlapic_get_tpr(l) == tpr);
	if (v >= 0)
		check(vlapic_is_focus(l, (uint8_t)v) == !(l->svr & LAPIC_SVR_FOCUS_DISABLE));
	if (v >= 0) {
		check(v >= 16 && v <= 255);
		check(v == highest(l->irr));
		check(((uint32_t)v & 0xF0) > (ppr & 0xF0));
	} else if (mode != VLAPIC_MODE_DISABLED && highest(l->irr) >= 0) {
		check(((uint32_t)highest(l->irr) & 0xF0) <= (ppr & 0xF0));
	}
	if (mode == VLAPIC_MODE_DISABLED) {
		for (int i = 0; i < 8; i++)
			check(l->irr[i] == 0 && l->isr[i] == 0 && l->tmr[i] == 0);
		check(v == -1);
		check(vlapic_next_deadline(l) == DEADLINE_NONE);
	}
	for (int i = 0; i < VLAPIC_LVT_COUNT; i++)
		check((l->lvt[i] & ~lvt_allowed(l, i)) == 0);
	check((l->svr & ~(0x3FFU | (l->cfg.directed_eoi ? LAPIC_SVR_SUPPRESS_EOI_BROADCAST : 0))) == 0);
	check((l->esr & ~0xE0U) == 0 && (l->esr_pending & ~0xE0U) == 0);
	check((l->icr_lo & ~0x000CCFFFU) == 0);
	check((l->timer.dcr & ~0xBU) == 0);
	check((l->dfr & 0x0FFFFFFF) == 0x0FFFFFFF);
	check(!l->in_error);
	check((vlapic_get_apic_base(l) & LAPIC_BASE_EN) != 0 ||
	      (vlapic_get_apic_base(l) & LAPIC_BASE_EXTD) == 0);

	/* The current count never exceeds the initial count. */
	if (mode == VLAPIC_MODE_XAPIC) {
		uint64_t icr = 0, ccr = 0, base = vlapic_mmio_base(l);

		check(vlapic_mmio_read(l, base + LAPIC_REG_TIMER_ICR, 4, &icr) == 0);
		check(vlapic_mmio_read(l, base + LAPIC_REG_TIMER_CCR, 4, &ccr) == 0);
		check(ccr <= icr);
	} else if (mode == VLAPIC_MODE_X2APIC) {
		uint64_t icr = 0, ccr = 0;

		check(vlapic_msr_read(l, LAPIC_X2APIC_MSR_BASE + 0x38, &icr) == 0);
		check(vlapic_msr_read(l, LAPIC_X2APIC_MSR_BASE + 0x39, &ccr) == 0);
		check(ccr <= icr && icr <= 0xFFFFFFFFULL);
	}
}

static uint32_t pick_msr(struct input *in)
{
	uint8_t b = (uint8_t)input_le(in, 1);

	if (b == 0xFE)
		return LAPIC_MSR_APIC_BASE;
	if (b == 0xFF)
		return LAPIC_MSR_TSC_DEADLINE;
	if (b >= 0xF0)
		return (uint32_t)input_le(in, 4);
	return LAPIC_X2APIC_MSR_BASE + b; /* the x2APIC range, mostly below 0x840 */
}

static uint64_t pick_apic_base(struct input *in)
{
	static const uint64_t flags[] = { LAPIC_BASE_EN, LAPIC_BASE_EN | LAPIC_BASE_EXTD, 0,
					  LAPIC_BASE_EXTD };
	uint8_t b = (uint8_t)input_le(in, 1);
	uint64_t addr = (b & 0x10) ? (input_le(in, 2) << 12) : LAPIC_DEFAULT_BASE;

	if (b >= 0xF0)
		return input_le(in, 8);
	return addr | flags[b & 3] | ((b & 4) ? LAPIC_BASE_BSP : 0);
}

static void step(struct input *in)
{
	uint8_t op = (uint8_t)input_le(in, 1);
	struct vlapic *l = &cpu[(op >> 5) % NCPU];
	uint64_t val;
	int r;

	switch (op & 0x1F) {
	case 0: { /* MMIO write: a register, or any shape anywhere */
		uint8_t sel = (uint8_t)input_le(in, 1);
		uint64_t gpa = vlapic_mmio_base(l) + ((uint64_t)sel << 4);
		uint32_t len = 4;

		if (sel == 0xFF) {
			gpa = input_le(in, 8);
			len = (uint32_t)input_le(in, 1) % 9;
		}
		val = input_le(in, 4);
		r = vlapic_mmio_write(l, gpa, len, val);
		check(r == 0 || r == -ENODEV);
		break;
	}
	case 1: {
		uint8_t sel = (uint8_t)input_le(in, 1);
		uint64_t gpa = vlapic_mmio_base(l) + ((uint64_t)sel << 4);
		uint32_t len = 4;

		if (sel == 0xFF) {
			gpa = vlapic_mmio_base(l) + (input_le(in, 2) & 0x1FFF);
			len = (uint32_t)input_le(in, 1) % 9;
		}
		val = 0;
		r = vlapic_mmio_read(l, gpa, len, &val);
		check(r == 0 || r == -ENODEV);
		check(val <= 0xFFFFFFFFULL);
		break;
	}
	case 2: {
		uint32_t msr = pick_msr(in);

		val = (uint8_t)input_le(in, 1) == 0 ? input_le(in, 8) : input_le(in, 4);
		r = vlapic_msr_write(l, msr, val);
		check(r == 0 || r == -EINVAL || r == -ENOENT);
		check(r != -ENOENT || !vlapic_msr_owned(msr));
		break;
	}
	case 3: {
		uint32_t msr = pick_msr(in);

		r = vlapic_msr_read(l, msr, &val);
		check(r == 0 || r == -EINVAL || r == -ENOENT);
		break;
	}
	case 4:
		val = input_le(in, 1);
		vlapic_accept(l, (uint8_t)val, input_le(in, 1) & 1);
		break;
	case 5:
		if (input_le(in, 1) & 1) {
			vlapic_ack_pending(l);
		} else {
			r = vlapic_ack(l, (uint8_t)input_le(in, 1));
			check(r == 0 || r == -EINVAL);
		}
		break;
	case 6:
		/* EOI through whichever interface the mode has. */
		if (vlapic_mode(l) == VLAPIC_MODE_X2APIC)
			check(vlapic_msr_write(l, LAPIC_X2APIC_MSR_BASE + 0xB, 0) == 0);
		else if (vlapic_mode(l) == VLAPIC_MODE_XAPIC)
			check(vlapic_mmio_write(l, vlapic_mmio_base(l) + LAPIC_REG_EOI, 4, 0) == 0);
		break;
	case 7: {
		r = vlapic_set_apic_base(l, pick_apic_base(in));
		check(r == 0 || r == -EINVAL);
		break;
	}
	case 8: { /* time passes; the vCPU loop polls at the deadline */
		uint8_t b = (uint8_t)input_le(in, 1);
		uint64_t dt = b == 0xFF ? input_le(in, 8) >> 8 : (uint64_t)b << (input_le(in, 1) & 31);

		now += dt;
		guest_tsc += dt * 3;
		for (int i = 0; i < NCPU; i++) {
			vlapic_poll(&cpu[i], now);
			check(vlapic_next_deadline(&cpu[i]) == DEADLINE_NONE ||
			      vlapic_next_deadline(&cpu[i]) > now);
		}
		break;
	}
	case 9:
		val = input_le(in, 1);
		vlapic_set_lint(l, (unsigned)(val & 3), (val >> 2) & 1);
		break;
	case 10: {
		struct irq_message m = {
			.vector = (uint8_t)input_le(in, 1),
			.delivery_mode = (uint8_t)(input_le(in, 1) & 7),
		};

		val = input_le(in, 1);
		m.trigger_level = val & 1;
		m.level = val & 2;
		m.dest_logical = val & 4;
		m.dest = (uint32_t)input_le(in, 4);
		for (int i = 0; i < NCPU; i++)
			if (vlapic_matches_destination(&cpu[i], m.dest, m.dest_logical, val & 8))
				vlapic_deliver(&cpu[i], &m);
		break;
	}
	case 11:
		vlapic_raise_lvt(l, (enum vlapic_lvt)(input_le(in, 1) % (VLAPIC_LVT_COUNT + 1)));
		break;
	case 12:
		val = input_le(in, 1);
		r = vlapic_set_cr8(l, val & 0x1F);
		check(r == 0 || (r == -EINVAL && (val & 0x10)));
		break;
	case 13:
		if (input_le(in, 1) & 1)
			vlapic_init_reset(l);
		else
			vlapic_reset(l);
		break;
	case 14:
		r = vlapic_write_tsc_deadline(l, input_le(in, 1) ? guest_tsc + input_le(in, 3) : input_le(in, 8));
		check(r == 0 || (r == -EINVAL && !l->cfg.tsc_deadline));
		break;
	case 15: {
		uint8_t sipi;

		vlapic_take_events(l, &sipi);
		vlapic_extint_pending(l);
		vlapic_extint_ack(l);
		check(!l->extint_msg);
		break;
	}
	case 16:
		redeliver_on_eoi = !redeliver_on_eoi;
		break;
	default: { /* the guest's usual start: enable, maybe x2APIC */
		uint64_t base = vlapic_mmio_base(l);

		if (vlapic_mode(l) == VLAPIC_MODE_XAPIC)
			vlapic_mmio_write(l, base + LAPIC_REG_SVR, 4, 0x1FF);
		if (op & 0x10)
			vlapic_set_apic_base(l, vlapic_get_apic_base(l) | LAPIC_BASE_EN | LAPIC_BASE_EXTD);
		if (vlapic_mode(l) == VLAPIC_MODE_X2APIC)
			vlapic_msr_write(l, LAPIC_X2APIC_MSR_BASE + 0xF, 0x1FF);
		if (op & 8) { /* the timer in TSC-deadline mode, as Linux sets it up */
			uint32_t lvtt = (LAPIC_TIMER_TSC_DEADLINE << 17) | 0xEC;

			if (vlapic_mode(l) == VLAPIC_MODE_X2APIC)
				vlapic_msr_write(l, LAPIC_X2APIC_MSR_BASE + 0x32, lvtt);
			else
				vlapic_mmio_write(l, base + LAPIC_REG_LVT_TIMER, 4, lvtt);
		}
		break;
	}
	}
	check(depth == 0);
	for (int i = 0; i < NCPU; i++)
		check_invariants(&cpu[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t bus[] = { 1000000000ULL, 100000000ULL, 1000ULL, 10000000000ULL };
	struct input in = { data, size };
	uint8_t first = (uint8_t)input_le(&in, 1);

	test_log_reset();
	now = 0;
	guest_tsc = 0;
	depth = 0;
	redeliver_on_eoi = false;
	for (int i = 0; i < NCPU; i++) {
		struct vlapic_config c = {
			.apic_id = i == 2 ? 0x121 : (uint32_t)i,
			.bsp = i == 0,
			.x2apic = true,
			.tsc_deadline = i != 1,
			.directed_eoi = i == 0,
			.virtual_wire = (first & 4) != 0,
			.phys_addr_bits = (first & 8) ? 46 : 0,
			.bus_hz = bus[first & 3],
			.tsc_hz = i == 2 ? 10000000000ULL : 2000000000ULL,
			.clock = { clock_now, NULL },
			.ops = i == 2 ? &ops_tsc : &ops,
			.ctx = (void *)(intptr_t)i,
		};

		check(vlapic_init(&cpu[i], &c) == 0);
	}
	for (int steps = 0; in.n && steps < 4096; steps++)
		step(&in);
	return 0;
}
