/* The per-vCPU local APIC model (SDM Vol. 3A chapter 12 "Advanced
 * Programmable Interrupt Controller", 2023+ numbering): registers behind
 * the xAPIC page and the x2APIC MSRs, interrupt acceptance and priority,
 * EOI, IPIs through the ICR, the LVTs and the timer. See hv/vlapic.h for
 * the interface and the choices it documents. */
#include "hv/vlapic.h"

#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"

#define NS_PER_SEC 1000000000ULL
#define VLAPIC_DEFAULT_BUS_HZ 1000000000ULL
#define VLAPIC_DEFAULT_PHYS_BITS 36
/* Clock rates are kept within [1 kHz, 10 GHz] so that mul_div()'s
 * remainder product (below rate * 10^9) fits in 64 bits. */
#define VLAPIC_MIN_HZ 1000ULL
#define VLAPIC_MAX_HZ 10000000000ULL
/* A periodic timer is scheduled at most every 50 us, whatever the guest
 * programs: a tiny period would otherwise keep the vCPU in the exit path.
 * Current-count reads still follow the programmed period. */
#define VLAPIC_MIN_PERIOD_NS 50000ULL

/* Writable bits of the xAPIC registers (SDM 12.4.6, 12.6.1, 12.5.1, 12.5.4). */
#define LAPIC_ID_MASK 0xFF000000U
#define LAPIC_LDR_MASK 0xFF000000U
#define LAPIC_DFR_MODEL_MASK 0xF0000000U
#define LAPIC_DCR_MASK 0xBU /* bits 0, 1 and 3 */
#define LAPIC_ICR_LO_MASK 0x000CCFFFU /* vector, mode, dest mode, level, trigger, shorthand */
#define LAPIC_ICR_HI_XAPIC_MASK 0xFF000000U
#define LAPIC_LVT_BASE_MASK (LAPIC_LVT_VECTOR | LAPIC_LVT_MASKED)
#define LAPIC_LVT_LINT_MASK \
	(LAPIC_LVT_BASE_MASK | LAPIC_LVT_DM_MASK | LAPIC_LVT_POLARITY | LAPIC_LVT_LEVEL)

/* x2APIC register index (MSR - 0x800) of the registers with special rules
 * (SDM Table 12-6). */
#define X2APIC_IDX_ICR (LAPIC_REG_ICR_LO >> 4)
#define X2APIC_IDX_SELF_IPI (LAPIC_REG_SELF_IPI >> 4)
#define X2APIC_IDX_LVT_TIMER (LAPIC_REG_LVT_TIMER >> 4)
#define X2APIC_IDX_LAST 0x3F

#define FIRST_LEGAL_VECTOR 16 /* vectors 0-15 are illegal (SDM 12.5.2) */

/* --- small helpers ------------------------------------------------------ */

static bool vec_test(const uint32_t *bm, unsigned v)
{
	return (bm[(v >> 5) & 7] >> (v & 31)) & 1;
}

static void vec_set(uint32_t *bm, unsigned v)
{
	bm[(v >> 5) & 7] |= 1U << (v & 31);
}

static void vec_clear(uint32_t *bm, unsigned v)
{
	bm[(v >> 5) & 7] &= ~(1U << (v & 31));
}

static int vec_highest(const uint32_t *bm)
{
	for (int i = 7; i >= 0; i--)
		if (bm[i])
			return i * 32 + 31 - __builtin_clz(bm[i]);
	return -1;
}

/* a * b / c, rounded down or up, saturating at UINT64_MAX. Splitting a by
 * c keeps every product in 64 bits as long as b * c < 2^64, which the
 * rate limits above guarantee. No 128-bit division: the kernel has no
 * libgcc. */
static uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c, bool round_up)
{
	uint64_t q = a / c, r = a % c, hi, lo = r * b;

	if (__builtin_mul_overflow(q, b, &hi))
		return UINT64_MAX;
	lo = lo / c + (round_up && lo % c != 0);
	if (__builtin_add_overflow(hi, lo, &hi))
		return UINT64_MAX;
	return hi;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	uint64_t s;

	return __builtin_add_overflow(a, b, &s) ? UINT64_MAX : s;
}

static void kick(struct vlapic *l)
{
	if (l->cfg.ops && l->cfg.ops->kick)
		l->cfg.ops->kick(l->cfg.ctx);
}

static uint64_t now_ns(const struct vlapic *l)
{
	return vclock_now(&l->cfg.clock);
}

static bool sw_enabled(const struct vlapic *l)
{
	return (l->svr & LAPIC_SVR_ENABLE) != 0;
}

/* The x2APIC logical ID is derived from the x2APIC ID (SDM 12.12.10.2):
 * cluster ID[31:4] in bits 31:16, one bit per ID[3:0] in bits 15:0. */
static uint32_t x2apic_ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1U << (id & 0xF));
}

static uint32_t version_reg(const struct vlapic *l)
{
	return LAPIC_VERSION | ((uint32_t)(VLAPIC_LVT_COUNT - 1) << 16) |
	       (l->cfg.directed_eoi ? LAPIC_VERSION_DIRECTED_EOI : 0);
}

/* PPR (SDM 12.8.3.1): the higher of TPR's class and the in-service
 * vector's class; TPR's low bits only when TPR's class wins. */
static uint8_t compute_ppr(const struct vlapic *l)
{
	int isrv = vec_highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;

	if ((l->tpr & 0xF0) >= isr_class)
		return (uint8_t)l->tpr;
	return (uint8_t)isr_class;
}

/* --- errors --------------------------------------------------------------- */

static void deliver_lvt(struct vlapic *l, enum vlapic_lvt which);

/* Something a register read could see changed (vlapic_generation). */
static void changed(struct vlapic *l)
{
	l->generation++;
}

/* Errors collect until the next ESR write latches them (SDM 12.5.3); each
 * one raises the error LVT. An illegal vector in the error LVT itself only
 * records the error: in_error stops the recursion. */
static void record_error(struct vlapic *l, uint32_t bits)
{
	changed(l);
	l->esr_pending |= bits;
	if (l->in_error)
		return;
	l->in_error = true;
	deliver_lvt(l, VLAPIC_LVT_ERROR);
	l->in_error = false;
}

/* --- reset and mode ------------------------------------------------------- */

enum vlapic_mode vlapic_mode(const struct vlapic *l)
{
	if (!(l->apic_base & LAPIC_BASE_EN))
		return VLAPIC_MODE_DISABLED;
	return (l->apic_base & LAPIC_BASE_EXTD) ? VLAPIC_MODE_X2APIC : VLAPIC_MODE_XAPIC;
}

static bool is_x2apic(const struct vlapic *l)
{
	return vlapic_mode(l) == VLAPIC_MODE_X2APIC;
}

uint32_t vlapic_id(const struct vlapic *l)
{
	return is_x2apic(l) ? l->cfg.apic_id : l->xapic_id >> 24;
}

uint64_t vlapic_get_apic_base(const struct vlapic *l)
{
	return l->apic_base;
}

uint64_t vlapic_mmio_base(const struct vlapic *l)
{
	return l->apic_base & ~(PAGE_SIZE - 1) & ((1ULL << l->cfg.phys_addr_bits) - 1);
}

/* Register state after RESET or INIT, apart from the ID and the mode (SDM
 * 12.4.7.1): everything zero, LVTs masked, DFR all ones, SVR 0xFF. */
static void reset_registers(struct vlapic *l)
{
	changed(l);
	l->tpr = 0;
	l->ldr = 0;
	l->dfr = LAPIC_DFR_FLAT;
	l->svr = 0xFF;
	l->esr = 0;
	l->esr_pending = 0;
	l->icr_lo = 0;
	l->icr_hi = 0;
	for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
		l->lvt[i] = LAPIC_LVT_MASKED;
	memset(l->irr, 0, sizeof(l->irr));
	memset(l->isr, 0, sizeof(l->isr));
	memset(l->tmr, 0, sizeof(l->tmr));
	memset(&l->timer, 0, sizeof(l->timer));
	l->timer.expire_ns = DEADLINE_NONE;
	l->in_error = false;
}

void vlapic_reset(struct vlapic *l)
{
	l->apic_base = LAPIC_DEFAULT_BASE | LAPIC_BASE_EN | (l->cfg.bsp ? LAPIC_BASE_BSP : 0);
	l->xapic_id = (l->cfg.apic_id & 0xFF) << 24;
	reset_registers(l);
	l->events = 0;
	l->sipi_vector = 0;
	l->extint_msg = false;
	if (l->cfg.virtual_wire && l->cfg.bsp) {
		l->lvt[VLAPIC_LVT_LINT0] = (uint32_t)IRQ_DM_EXTINT << LAPIC_LVT_DM_SHIFT;
		l->lvt[VLAPIC_LVT_LINT1] = (uint32_t)IRQ_DM_NMI << LAPIC_LVT_DM_SHIFT;
	}
}

/* INIT keeps the mode and the ID (SDM 12.12.5.1); pending events stay for
 * the vCPU to consume (a SIPI may already follow the INIT). */
void vlapic_init_reset(struct vlapic *l)
{
	reset_registers(l);
}

static bool rate_ok(uint64_t hz)
{
	return hz >= VLAPIC_MIN_HZ && hz <= VLAPIC_MAX_HZ;
}

int vlapic_init(struct vlapic *l, const struct vlapic_config *cfg)
{
	memset(l, 0, sizeof(*l));
	if (!cfg->clock.now_ns) {
		pr_err("vlapic: APIC %u has no clock", cfg->apic_id);
		return -EINVAL;
	}
	l->cfg = *cfg;
	if (!l->cfg.bus_hz)
		l->cfg.bus_hz = VLAPIC_DEFAULT_BUS_HZ;
	if (!l->cfg.phys_addr_bits)
		l->cfg.phys_addr_bits = VLAPIC_DEFAULT_PHYS_BITS;
	if (!rate_ok(l->cfg.bus_hz)) {
		pr_err("vlapic: APIC %u bus frequency %llu Hz outside 1 kHz..10 GHz", cfg->apic_id,
		       (unsigned long long)l->cfg.bus_hz);
		return -EINVAL;
	}
	if (l->cfg.tsc_deadline && !rate_ok(l->cfg.tsc_hz)) {
		pr_err("vlapic: APIC %u TSC frequency %llu Hz outside 1 kHz..10 GHz", cfg->apic_id,
		       (unsigned long long)l->cfg.tsc_hz);
		return -EINVAL;
	}
	if (l->cfg.phys_addr_bits < 32 || l->cfg.phys_addr_bits > 52) {
		pr_err("vlapic: APIC %u physical address width %u outside 32..52", cfg->apic_id,
		       l->cfg.phys_addr_bits);
		return -EINVAL;
	}
	if (!l->cfg.x2apic && l->cfg.apic_id > 0xFF) {
		pr_err("vlapic: APIC ID %u needs x2APIC", cfg->apic_id);
		return -EINVAL;
	}
	vlapic_reset(l);
	return 0;
}

/* Register state does not survive a trip through disabled: the APIC comes
 * back as after reset, IDs kept (SDM 12.12.5.1). */
static int set_base_disabled(struct vlapic *l, uint64_t value)
{
	bool was_enabled = vlapic_mode(l) != VLAPIC_MODE_DISABLED;

	l->apic_base = value;
	if (was_enabled)
		reset_registers(l);
	return 0;
}

/* IA32_APIC_BASE writes (SDM 12.4.4, 12.12.5): reserved bits 0-7, 9 and
 * above MAXPHYADDR; EXTD only with x2APIC support; EN=0/EXTD=1 invalid;
 * x2APIC -> xAPIC and disabled -> x2APIC illegal. */
int vlapic_set_apic_base(struct vlapic *l, uint64_t value)
{
	changed(l);
	uint64_t reserved = 0xFFULL | (1ULL << 9) | (~0ULL << l->cfg.phys_addr_bits);
	enum vlapic_mode old = vlapic_mode(l), new;

	if (!l->cfg.x2apic)
		reserved |= LAPIC_BASE_EXTD;
	if (value & reserved)
		return -EINVAL;
	if (!(value & LAPIC_BASE_EN))
		return (value & LAPIC_BASE_EXTD) ? -EINVAL : set_base_disabled(l, value);
	new = (value & LAPIC_BASE_EXTD) ? VLAPIC_MODE_X2APIC : VLAPIC_MODE_XAPIC;
	if (old == VLAPIC_MODE_X2APIC && new == VLAPIC_MODE_XAPIC)
		return -EINVAL;
	if (old == VLAPIC_MODE_DISABLED && new == VLAPIC_MODE_X2APIC)
		return -EINVAL;
	l->apic_base = value;
	return 0;
}

/* --- interrupt acceptance and priority ------------------------------------ */

bool vlapic_accept(struct vlapic *l, uint8_t vector, bool level_triggered)
{
	changed(l);
	/* A software-disabled APIC still takes NMI, SMI, INIT and SIPI but
	 * no fixed interrupts (SDM 12.4.7.2). */
	if (vlapic_mode(l) == VLAPIC_MODE_DISABLED || !sw_enabled(l))
		return false;
	if (vector < FIRST_LEGAL_VECTOR) {
		record_error(l, LAPIC_ESR_RECV_ILLEGAL_VECTOR);
		return false;
	}
	vec_set(l->irr, vector);
	if (level_triggered)
		vec_set(l->tmr, vector);
	else
		vec_clear(l->tmr, vector);
	kick(l);
	return true;
}

static void add_event(struct vlapic *l, uint32_t ev)
{
	l->events |= ev;
	kick(l);
}

bool vlapic_deliver(struct vlapic *l, const struct irq_message *m)
{
	if (vlapic_mode(l) == VLAPIC_MODE_DISABLED)
		return false;
	switch (m->delivery_mode) {
	case IRQ_DM_FIXED:
	case IRQ_DM_LOWEST:
		return vlapic_accept(l, m->vector, m->trigger_level);
	case IRQ_DM_SMI:
		add_event(l, VLAPIC_EV_SMI);
		return true;
	case IRQ_DM_NMI:
		add_event(l, VLAPIC_EV_NMI);
		return true;
	case IRQ_DM_INIT:
		/* INIT level de-assert only synchronised arbitration IDs on
		 * P6; later processors ignore it. */
		if (m->trigger_level && !m->level)
			return false;
		add_event(l, VLAPIC_EV_INIT);
		return true;
	case IRQ_DM_STARTUP:
		l->sipi_vector = m->vector;
		add_event(l, VLAPIC_EV_SIPI);
		return true;
	case IRQ_DM_EXTINT:
		l->extint_msg = true;
		kick(l);
		return true;
	default:
		return false;
	}
}

int vlapic_pending_vector(const struct vlapic *l)
{
	int v;

	if (vlapic_mode(l) == VLAPIC_MODE_DISABLED)
		return -1;
	v = vec_highest(l->irr);
	if (v < 0 || ((uint32_t)v & 0xF0) <= (compute_ppr(l) & 0xF0U))
		return -1;
	return v;
}

int vlapic_ack(struct vlapic *l, uint8_t vector)
{
	changed(l);
	if (!vec_test(l->irr, vector))
		return -EINVAL;
	vec_clear(l->irr, vector);
	vec_set(l->isr, vector);
	return 0;
}

int vlapic_ack_pending(struct vlapic *l)
{
	int v = vlapic_pending_vector(l);

	if (v >= 0)
		vlapic_ack(l, (uint8_t)v);
	return v;
}

uint32_t vlapic_take_events(struct vlapic *l, uint8_t *sipi_vector)
{
	uint32_t ev = l->events;

	if ((ev & VLAPIC_EV_SIPI) && sipi_vector)
		*sipi_vector = l->sipi_vector;
	l->events = 0;
	return ev;
}

uint8_t vlapic_get_tpr(const struct vlapic *l)
{
	return (uint8_t)l->tpr;
}

uint8_t vlapic_get_ppr(const struct vlapic *l)
{
	return compute_ppr(l);
}

/* CR8[3:0] is TPR[7:4]; a CR8 write clears TPR[3:0] (SDM 12.8.6). */
uint64_t vlapic_get_cr8(const struct vlapic *l)
{
	return (l->tpr >> 4) & 0xF;
}

int vlapic_set_cr8(struct vlapic *l, uint64_t cr8)
{
	changed(l);
	if (cr8 > 0xF)
		return -EINVAL;
	l->tpr = (uint32_t)cr8 << 4;
	return 0;
}

bool vlapic_is_focus(const struct vlapic *l, uint8_t vector)
{
	if (l->svr & LAPIC_SVR_FOCUS_DISABLE)
		return false;
	return vec_test(l->irr, vector) || vec_test(l->isr, vector);
}

/* --- local interrupts (LVT) ----------------------------------------------- */

static bool lvt_has_delivery_mode(enum vlapic_lvt which)
{
	return which == VLAPIC_LVT_THERMAL || which == VLAPIC_LVT_PMC ||
	       which == VLAPIC_LVT_LINT0 || which == VLAPIC_LVT_LINT1;
}

static bool lvt_is_lint(enum vlapic_lvt which)
{
	return which == VLAPIC_LVT_LINT0 || which == VLAPIC_LVT_LINT1;
}

static uint32_t lvt_dm(uint32_t lvt)
{
	return (lvt & LAPIC_LVT_DM_MASK) >> LAPIC_LVT_DM_SHIFT;
}

/* A LINT set up for level-triggered fixed delivery: it holds remote IRR
 * from acceptance until EOI (SDM 12.5.1). */
static bool lint_is_level_fixed(uint32_t lvt)
{
	return lvt_dm(lvt) == IRQ_DM_FIXED && (lvt & LAPIC_LVT_LEVEL);
}

/* Deliver a local interrupt through an LVT entry (SDM 12.5.1). The timer
 * and error LVTs have no delivery mode field: always fixed. */
static void deliver_lvt(struct vlapic *l, enum vlapic_lvt which)
{
	changed(l);
	uint32_t lvt = l->lvt[which];
	uint32_t dm = lvt_has_delivery_mode(which) ? lvt_dm(lvt) : IRQ_DM_FIXED;

	if (lvt & LAPIC_LVT_MASKED)
		return;
	/* The PMC LVT masks itself each time it delivers (SDM 12.5.1); the
	 * handler unmasks it. */
	if (which == VLAPIC_LVT_PMC)
		l->lvt[which] |= LAPIC_LVT_MASKED;
	switch (dm) {
	case IRQ_DM_FIXED: {
		bool level = lvt_is_lint(which) && (lvt & LAPIC_LVT_LEVEL);

		if (vlapic_accept(l, lvt & LAPIC_LVT_VECTOR, level) && level)
			l->lvt[which] |= LAPIC_LVT_REMOTE_IRR;
		break;
	}
	case IRQ_DM_SMI:
		add_event(l, VLAPIC_EV_SMI);
		break;
	case IRQ_DM_NMI:
		add_event(l, VLAPIC_EV_NMI);
		break;
	case IRQ_DM_INIT:
		add_event(l, VLAPIC_EV_INIT);
		break;
	case IRQ_DM_EXTINT:
		/* Level-sensitive: vlapic_extint_pending() follows LINT0. */
		kick(l);
		break;
	default:
		break; /* reserved encodings deliver nothing */
	}
}

/* A level-triggered fixed LINT whose line is still high delivers again
 * once remote IRR is clear (after EOI, or on unmasking). */
static void lint_recheck(struct vlapic *l, unsigned pin)
{
	enum vlapic_lvt which = pin ? VLAPIC_LVT_LINT1 : VLAPIC_LVT_LINT0;
	uint32_t lvt = l->lvt[which];

	if ((l->lint_level >> pin) & 1 && lint_is_level_fixed(lvt) && !(lvt & LAPIC_LVT_MASKED) &&
	    !(lvt & LAPIC_LVT_REMOTE_IRR))
		deliver_lvt(l, which);
}

void vlapic_set_lint(struct vlapic *l, unsigned pin, bool level)
{
	bool was, rising;
	enum vlapic_lvt which;
	uint32_t lvt;

	if (pin > 1)
		return;
	was = (l->lint_level >> pin) & 1;
	rising = level && !was;
	l->lint_level = (uint8_t)((l->lint_level & ~(1U << pin)) | ((uint32_t)level << pin));

	/* Globally disabled, the pins are the CPU's INTR and NMI (SDM 12.4.3). */
	if (vlapic_mode(l) == VLAPIC_MODE_DISABLED) {
		if (rising && pin == 1)
			add_event(l, VLAPIC_EV_NMI);
		else if (rising)
			kick(l);
		return;
	}
	which = pin ? VLAPIC_LVT_LINT1 : VLAPIC_LVT_LINT0;
	lvt = l->lvt[which];
	if (lvt & LAPIC_LVT_MASKED)
		return;
	if (lint_is_level_fixed(lvt))
		lint_recheck(l, pin);
	else if (rising)
		deliver_lvt(l, which);
}

bool vlapic_extint_pending(const struct vlapic *l)
{
	uint32_t lvt = l->lvt[VLAPIC_LVT_LINT0];

	if (l->extint_msg)
		return true;
	if (!(l->lint_level & 1))
		return false;
	if (vlapic_mode(l) == VLAPIC_MODE_DISABLED)
		return true;
	return !(lvt & LAPIC_LVT_MASKED) && lvt_dm(lvt) == IRQ_DM_EXTINT;
}

void vlapic_extint_ack(struct vlapic *l)
{
	l->extint_msg = false;
}

void vlapic_raise_lvt(struct vlapic *l, enum vlapic_lvt which)
{
	if ((unsigned)which >= VLAPIC_LVT_COUNT || vlapic_mode(l) == VLAPIC_MODE_DISABLED)
		return;
	deliver_lvt(l, which);
}

/* --- EOI -------------------------------------------------------------------- */

/* EOI retires the highest in-service vector (SDM 12.8.5). A level-triggered
 * one (TMR set) also clears a LINT's remote IRR and is broadcast to the
 * IOAPICs, unless the guest suppressed the broadcast (SVR bit 12) to EOI
 * at the IOAPIC itself. The broadcast goes last: the IOAPIC may deliver
 * again right away. */
static void do_eoi(struct vlapic *l)
{
	changed(l);
	int v = vec_highest(l->isr);

	if (v < 0)
		return;
	vec_clear(l->isr, (unsigned)v);
	if (!vec_test(l->tmr, (unsigned)v))
		return;
	for (unsigned pin = 0; pin < 2; pin++) {
		uint32_t *lvt = &l->lvt[pin ? VLAPIC_LVT_LINT1 : VLAPIC_LVT_LINT0];

		if ((*lvt & LAPIC_LVT_REMOTE_IRR) && (*lvt & LAPIC_LVT_VECTOR) == (uint32_t)v) {
			*lvt &= ~LAPIC_LVT_REMOTE_IRR;
			lint_recheck(l, pin);
		}
	}
	if (l->cfg.directed_eoi && (l->svr & LAPIC_SVR_SUPPRESS_EOI_BROADCAST))
		return;
	if (l->cfg.ops && l->cfg.ops->eoi_broadcast)
		l->cfg.ops->eoi_broadcast(l->cfg.ctx, (uint8_t)v);
}

/* --- destinations and IPIs ------------------------------------------------ */

bool vlapic_matches_destination(const struct vlapic *l, uint32_t dest, bool dest_mode_logical,
				bool x2apic)
{
	enum vlapic_mode mode = vlapic_mode(l);
	uint32_t lid;

	if (mode == VLAPIC_MODE_DISABLED)
		return false;
	if (!x2apic)
		dest &= 0xFF;
	if (dest == (x2apic ? 0xFFFFFFFFU : 0xFFU))
		return true; /* broadcast, physical or logical */
	if (!dest_mode_logical)
		return dest == vlapic_id(l);
	if (mode == VLAPIC_MODE_X2APIC) {
		/* x2APIC logical (SDM 12.12.10.2): cluster in [31:16], member
		 * bitmap in [15:0]. */
		uint32_t ldr = x2apic_ldr(l->cfg.apic_id);

		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xFFFF) != 0;
	}
	lid = l->ldr >> 24;
	if ((l->dfr & LAPIC_DFR_MODEL_MASK) == LAPIC_DFR_MODEL_MASK)
		return (dest & lid & 0xFF) != 0; /* flat: a bitmap of 8 APICs */
	/* Cluster (DFR model 0000): cluster in [7:4], member bitmap in [3:0]. */
	return (dest >> 4) == (lid >> 4) && (dest & lid & 0xF) != 0;
}

bool vlapic_ipi_targets(const struct vlapic *l, const struct lapic_ipi *ipi, bool l_is_sender)
{
	if (vlapic_mode(l) == VLAPIC_MODE_DISABLED)
		return false;
	switch (ipi->shorthand) {
	case LAPIC_SH_SELF:
		return l_is_sender;
	case LAPIC_SH_ALL_INCL_SELF:
		return true;
	case LAPIC_SH_ALL_EXCL_SELF:
		return !l_is_sender;
	default:
		return vlapic_matches_destination(l, ipi->msg.dest, ipi->msg.dest_logical,
						  ipi->x2apic);
	}
}

static void send_ipi(struct vlapic *l, const struct lapic_ipi *ipi)
{
	if (l->cfg.ops && l->cfg.ops->send_ipi)
		l->cfg.ops->send_ipi(l->cfg.ctx, ipi);
}

/* Send what the ICR holds (SDM 12.6.1). Delivery is instantaneous, so the
 * delivery status bit always reads idle. */
static void send_icr(struct vlapic *l)
{
	uint32_t lo = l->icr_lo;
	uint8_t dm = (lo >> LAPIC_ICR_DM_SHIFT) & 7;
	bool deassert = dm == IRQ_DM_INIT && !(lo & LAPIC_ICR_LEVEL_ASSERT) &&
			(lo & LAPIC_ICR_TRIGGER_LEVEL);
	struct lapic_ipi ipi = {
		.msg = {
			.vector = lo & LAPIC_ICR_VECTOR,
			.delivery_mode = dm,
			.dest_logical = (lo & LAPIC_ICR_LOGICAL) != 0,
			.dest = is_x2apic(l) ? l->icr_hi : l->icr_hi >> 24,
			.trigger_level = deassert,
			.level = !deassert,
		},
		.shorthand = (lo >> LAPIC_ICR_SHORTHAND_SHIFT) & 3,
		.source_id = vlapic_id(l),
		.x2apic = is_x2apic(l),
	};

	/* 011 is reserved and ExtINT cannot be sent as an IPI. */
	if (dm == 3 || dm == IRQ_DM_EXTINT)
		return;
	if ((dm == IRQ_DM_FIXED || dm == IRQ_DM_LOWEST) && ipi.msg.vector < FIRST_LEGAL_VECTOR) {
		record_error(l, LAPIC_ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	send_ipi(l, &ipi);
}

/* x2APIC SELF IPI register (SDM 12.12.11): a fixed, edge IPI to self. */
static void send_self_ipi(struct vlapic *l, uint8_t vector)
{
	struct lapic_ipi ipi = {
		.msg = { .vector = vector, .delivery_mode = IRQ_DM_FIXED, .level = true },
		.shorthand = LAPIC_SH_SELF,
		.source_id = vlapic_id(l),
		.x2apic = true,
	};

	if (vector < FIRST_LEGAL_VECTOR) {
		record_error(l, LAPIC_ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	send_ipi(l, &ipi);
}

/* --- timer ------------------------------------------------------------------ */

/* Divide configuration (SDM Figure 12-10): bits 3,1:0 = 111 divides by 1,
 * otherwise by 2 << value. */
static uint32_t timer_divisor(const struct vlapic *l)
{
	uint32_t v = (l->timer.dcr & 3) | ((l->timer.dcr >> 1) & 4);

	return v == 7 ? 1 : 2U << v;
}

/* The reserved mode 11 behaves as one-shot (x2APIC writes refuse it). */
static uint32_t timer_mode(const struct vlapic *l)
{
	uint32_t m = (l->lvt[VLAPIC_LVT_TIMER] & LAPIC_LVT_TIMER_MODE_MASK) >> LAPIC_LVT_TIMER_MODE_SHIFT;

	return m == 3 ? LAPIC_TIMER_ONESHOT : m;
}

static uint64_t ticks_to_ns(const struct vlapic *l, uint64_t ticks)
{
	return mul_div(ticks * timer_divisor(l), NS_PER_SEC, l->cfg.bus_hz, true);
}

static uint64_t ns_to_ticks(const struct vlapic *l, uint64_t ns)
{
	return mul_div(ns, l->cfg.bus_hz, NS_PER_SEC, false) / timer_divisor(l);
}

/* The current count (SDM 12.5.4): base_count at base_ns, one tick per
 * divide/bus_hz; periodic mode reloads the initial count at zero. */
static uint32_t timer_count(const struct vlapic *l, uint64_t now)
{
	const struct vlapic_timer *t = &l->timer;
	uint64_t ticks;

	if (!t->running || timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)
		return 0;
	ticks = ns_to_ticks(l, now > t->base_ns ? now - t->base_ns : 0);
	if (ticks < t->base_count)
		return (uint32_t)(t->base_count - ticks);
	if (timer_mode(l) != LAPIC_TIMER_PERIODIC || t->initial == 0)
		return 0;
	return t->initial - (uint32_t)((ticks - t->base_count) % t->initial);
}

static uint64_t timer_period_ns(const struct vlapic *l)
{
	return MAX(ticks_to_ns(l, l->timer.initial), VLAPIC_MIN_PERIOD_NS);
}

static void timer_schedule(struct vlapic *l)
{
	struct vlapic_timer *t = &l->timer;
	uint64_t delta;

	if (!t->running) {
		t->expire_ns = DEADLINE_NONE;
		return;
	}
	delta = ticks_to_ns(l, t->base_count);
	if (timer_mode(l) == LAPIC_TIMER_PERIODIC && ticks_to_ns(l, t->initial) < VLAPIC_MIN_PERIOD_NS)
		delta = VLAPIC_MIN_PERIOD_NS;
	t->expire_ns = MIN(add_sat(t->base_ns, delta), DEADLINE_NONE - 1);
}

static void timer_stop(struct vlapic *l)
{
	l->timer.running = false;
	l->timer.expire_ns = DEADLINE_NONE;
}

/* Restart the countdown from `count` at `now` (divide or mode changes). */
static void timer_rebase(struct vlapic *l, uint64_t now, uint32_t count)
{
	if (!count) {
		timer_stop(l);
		return;
	}
	l->timer.running = true;
	l->timer.base_ns = now;
	l->timer.base_count = count;
	timer_schedule(l);
}

void vlapic_poll(struct vlapic *l, uint64_t now)
{
	struct vlapic_timer *t = &l->timer;

	if (t->expire_ns == DEADLINE_NONE || now < t->expire_ns)
		return;
	switch (timer_mode(l)) {
	case LAPIC_TIMER_TSC_DEADLINE:
		t->tsc_deadline = 0;
		t->expire_ns = DEADLINE_NONE;
		break;
	case LAPIC_TIMER_PERIODIC: {
		/* Periods missed while nobody polled coalesce into one
		 * interrupt, and the phase is kept. */
		uint64_t period = timer_period_ns(l), base = t->expire_ns;

		base += (now - base) / period * period;
		t->base_ns = base;
		t->base_count = t->initial;
		timer_schedule(l);
		break;
	}
	default:
		timer_stop(l);
		break;
	}
	deliver_lvt(l, VLAPIC_LVT_TIMER);
}

uint64_t vlapic_next_deadline(const struct vlapic *l)
{
	return l->timer.expire_ns;
}

static void write_initial_count(struct vlapic *l, uint32_t val)
{
	/* TSC-deadline mode ignores the initial count (SDM 12.5.4.1). */
	if (timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)
		return;
	l->timer.initial = val;
	timer_rebase(l, now_ns(l), val);
}

static void write_divide(struct vlapic *l, uint32_t val)
{
	uint64_t now = now_ns(l);
	uint32_t count;

	vlapic_poll(l, now);
	count = timer_count(l, now);
	l->timer.dcr = val & LAPIC_DCR_MASK;
	if (l->timer.running)
		timer_rebase(l, now, count);
}

/* Entering or leaving TSC-deadline mode disarms the timer; one-shot and
 * periodic switch into each other keeping the current count. */
static void write_lvt_timer(struct vlapic *l, uint32_t lvt)
{
	uint64_t now = now_ns(l);
	uint32_t old_mode, new_mode, count;

	vlapic_poll(l, now);
	count = timer_count(l, now);
	old_mode = timer_mode(l);
	l->lvt[VLAPIC_LVT_TIMER] = lvt;
	new_mode = timer_mode(l);
	if (old_mode == new_mode)
		return;
	if (old_mode == LAPIC_TIMER_TSC_DEADLINE || new_mode == LAPIC_TIMER_TSC_DEADLINE) {
		l->timer.initial = 0;
		l->timer.tsc_deadline = 0;
		timer_stop(l);
	} else if (l->timer.running) {
		timer_rebase(l, now, count);
	}
}

static uint64_t guest_tsc(const struct vlapic *l, uint64_t now)
{
	if (l->cfg.ops && l->cfg.ops->read_tsc)
		return l->cfg.ops->read_tsc(l->cfg.ctx);
	return mul_div(now, l->cfg.tsc_hz, NS_PER_SEC, false);
}

int vlapic_write_tsc_deadline(struct vlapic *l, uint64_t tsc)
{
	uint64_t now, tsc_now, delta;

	if (!l->cfg.tsc_deadline)
		return -EINVAL;
	/* Outside TSC-deadline mode the write is ignored (SDM 12.5.4.1). */
	if (vlapic_mode(l) == VLAPIC_MODE_DISABLED || timer_mode(l) != LAPIC_TIMER_TSC_DEADLINE)
		return 0;
	l->timer.tsc_deadline = tsc;
	if (!tsc) {
		l->timer.expire_ns = DEADLINE_NONE;
		return 0;
	}
	now = now_ns(l);
	tsc_now = guest_tsc(l, now);
	delta = tsc <= tsc_now ? 0 : mul_div(tsc - tsc_now, NS_PER_SEC, l->cfg.tsc_hz, true);
	l->timer.expire_ns = MIN(add_sat(now, delta), DEADLINE_NONE - 1);
	vlapic_poll(l, now); /* a deadline in the past fires at once */
	return 0;
}

int vlapic_read_tsc_deadline(const struct vlapic *l, uint64_t *tsc)
{
	if (!l->cfg.tsc_deadline)
		return -EINVAL;
	*tsc = vlapic_mode(l) != VLAPIC_MODE_DISABLED && timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE
		       ? l->timer.tsc_deadline
		       : 0;
	return 0;
}

/* --- register file ---------------------------------------------------------- */

static uint32_t lvt_write_mask(const struct vlapic *l, enum vlapic_lvt which)
{
	switch (which) {
	case VLAPIC_LVT_TIMER:
		return LAPIC_LVT_BASE_MASK | (1U << LAPIC_LVT_TIMER_MODE_SHIFT) |
		       (l->cfg.tsc_deadline ? 2U << LAPIC_LVT_TIMER_MODE_SHIFT : 0);
	case VLAPIC_LVT_THERMAL:
	case VLAPIC_LVT_PMC:
		return LAPIC_LVT_BASE_MASK | LAPIC_LVT_DM_MASK;
	case VLAPIC_LVT_LINT0:
	case VLAPIC_LVT_LINT1:
		return LAPIC_LVT_LINT_MASK;
	default:
		return LAPIC_LVT_BASE_MASK;
	}
}

static uint32_t svr_write_mask(const struct vlapic *l)
{
	return LAPIC_SVR_VECTOR | LAPIC_SVR_ENABLE | LAPIC_SVR_FOCUS_DISABLE |
	       (l->cfg.directed_eoi ? LAPIC_SVR_SUPPRESS_EOI_BROADCAST : 0);
}

/* While software-disabled, every LVT stays masked (SDM 12.4.7.2). Remote
 * IRR is the APIC's own. */
static void write_lvt(struct vlapic *l, enum vlapic_lvt which, uint32_t val)
{
	uint32_t lvt = (l->lvt[which] & LAPIC_LVT_REMOTE_IRR) | (val & lvt_write_mask(l, which));

	if (!sw_enabled(l))
		lvt |= LAPIC_LVT_MASKED;
	if (which == VLAPIC_LVT_TIMER) {
		write_lvt_timer(l, lvt);
		return;
	}
	l->lvt[which] = lvt;
	if (lvt_is_lint(which))
		lint_recheck(l, which == VLAPIC_LVT_LINT1);
}

static void write_svr(struct vlapic *l, uint32_t val)
{
	bool was_enabled = sw_enabled(l);

	l->svr = val & svr_write_mask(l);
	if (was_enabled && !sw_enabled(l))
		for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
			l->lvt[i] |= LAPIC_LVT_MASKED;
}

static bool lvt_from_offset(uint32_t off, enum vlapic_lvt *which)
{
	if (off < LAPIC_REG_LVT_TIMER || off > LAPIC_REG_LVT_ERROR)
		return false;
	*which = (enum vlapic_lvt)((off - LAPIC_REG_LVT_TIMER) >> 4);
	return true;
}

/* Read a register by xAPIC offset in the current mode; -EINVAL for an
 * offset with no register. */
static int reg_read(struct vlapic *l, uint32_t off, uint32_t *val)
{
	enum vlapic_lvt which;

	if (off >= LAPIC_REG_ISR && off < LAPIC_REG_ESR) {
		uint32_t i = (off - LAPIC_REG_ISR) >> 4;
		const uint32_t *bm = i < 8 ? l->isr : i < 16 ? l->tmr : l->irr;

		*val = bm[i & 7];
		return 0;
	}
	if (lvt_from_offset(off, &which)) {
		*val = l->lvt[which];
		return 0;
	}
	switch (off) {
	case LAPIC_REG_ID:
		*val = is_x2apic(l) ? l->cfg.apic_id : l->xapic_id;
		return 0;
	case LAPIC_REG_VERSION:
		*val = version_reg(l);
		return 0;
	case LAPIC_REG_TPR:
		*val = l->tpr;
		return 0;
	case LAPIC_REG_PPR:
		*val = compute_ppr(l);
		return 0;
	case LAPIC_REG_APR: /* arbitration priority is not modelled */
	case LAPIC_REG_EOI: /* write-only */
	case LAPIC_REG_RRD: /* remote read is long gone */
		*val = 0;
		return 0;
	case LAPIC_REG_LDR:
		*val = is_x2apic(l) ? x2apic_ldr(l->cfg.apic_id) : l->ldr;
		return 0;
	case LAPIC_REG_DFR:
		*val = l->dfr;
		return 0;
	case LAPIC_REG_SVR:
		*val = l->svr;
		return 0;
	case LAPIC_REG_ESR:
		*val = l->esr;
		return 0;
	case LAPIC_REG_ICR_LO:
		*val = l->icr_lo;
		return 0;
	case LAPIC_REG_ICR_HI:
		*val = l->icr_hi;
		return 0;
	case LAPIC_REG_TIMER_ICR:
		*val = l->timer.initial;
		return 0;
	case LAPIC_REG_TIMER_CCR:
		*val = timer_count(l, now_ns(l));
		return 0;
	case LAPIC_REG_TIMER_DCR:
		*val = l->timer.dcr;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Write a register by xAPIC offset in the current mode. Read-only
 * registers ignore writes; -EINVAL for an offset with no register. */
static int reg_write(struct vlapic *l, uint32_t off, uint32_t val)
{
	changed(l);
	enum vlapic_lvt which;

	if (off >= LAPIC_REG_ISR && off < LAPIC_REG_ESR)
		return 0;
	if (lvt_from_offset(off, &which)) {
		write_lvt(l, which, val);
		return 0;
	}
	switch (off) {
	case LAPIC_REG_ID:
		l->xapic_id = val & LAPIC_ID_MASK;
		return 0;
	case LAPIC_REG_VERSION:
	case LAPIC_REG_APR:
	case LAPIC_REG_PPR:
	case LAPIC_REG_RRD:
	case LAPIC_REG_TIMER_CCR:
		return 0;
	case LAPIC_REG_TPR:
		l->tpr = val & 0xFF;
		return 0;
	case LAPIC_REG_EOI:
		do_eoi(l);
		return 0;
	case LAPIC_REG_LDR:
		l->ldr = val & LAPIC_LDR_MASK;
		return 0;
	case LAPIC_REG_DFR:
		l->dfr = (val & LAPIC_DFR_MODEL_MASK) | ~LAPIC_DFR_MODEL_MASK;
		return 0;
	case LAPIC_REG_SVR:
		write_svr(l, val);
		return 0;
	case LAPIC_REG_ESR:
		/* A write latches the errors seen since the last one. */
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		return 0;
	case LAPIC_REG_ICR_LO:
		l->icr_lo = val & LAPIC_ICR_LO_MASK;
		send_icr(l);
		return 0;
	case LAPIC_REG_ICR_HI:
		l->icr_hi = val & LAPIC_ICR_HI_XAPIC_MASK;
		return 0;
	case LAPIC_REG_TIMER_ICR:
		write_initial_count(l, val);
		return 0;
	case LAPIC_REG_TIMER_DCR:
		write_divide(l, val);
		return 0;
	default:
		return -EINVAL;
	}
}

/* --- xAPIC MMIO ----------------------------------------------------------- */

/* The offset of an access to this APIC's page, or -ENODEV. */
static int mmio_offset(const struct vlapic *l, uint64_t gpa, uint32_t len, uint32_t *off)
{
	uint64_t base = vlapic_mmio_base(l);

	if (vlapic_mode(l) != VLAPIC_MODE_XAPIC || gpa < base || gpa - base >= LAPIC_MMIO_SIZE ||
	    len > LAPIC_MMIO_SIZE - (gpa - base))
		return -ENODEV;
	*off = (uint32_t)(gpa - base);
	return 0;
}

/* Registers are 32-bit loads and stores at 16-byte aligned offsets (SDM
 * 12.4.1); other shapes are model specific: here they read 0 and write
 * nothing. Offsets with no register set ESR's illegal-register bit. */
static bool mmio_shape_ok(uint32_t off, uint32_t len)
{
	return len == 4 && (off & 0xF) == 0;
}

int vlapic_mmio_read(struct vlapic *l, uint64_t gpa, uint32_t len, uint64_t *val)
{
	uint32_t off, v = 0;

	if (mmio_offset(l, gpa, len, &off))
		return -ENODEV;
	if (mmio_shape_ok(off, len) && reg_read(l, off, &v))
		record_error(l, LAPIC_ESR_ILLEGAL_REGISTER);
	*val = v;
	return 0;
}

int vlapic_mmio_write(struct vlapic *l, uint64_t gpa, uint32_t len, uint64_t val)
{
	uint32_t off;

	if (mmio_offset(l, gpa, len, &off))
		return -ENODEV;
	if (mmio_shape_ok(off, len) && reg_write(l, off, (uint32_t)val))
		record_error(l, LAPIC_ESR_ILLEGAL_REGISTER);
	return 0;
}

/* --- The virtual-APIC page ------------------------------------------------ */

/* Every register a CPU with APIC-register virtualization reads straight
 * from the virtual-APIC page (SDM 3C 30.4.2), stored directly: this runs
 * before entries that follow a change. */
void vlapic_fill_page(const struct vlapic *l, uint32_t *page)
{
	bool x2 = is_x2apic(l);

	page[LAPIC_REG_ID / 4] = x2 ? l->cfg.apic_id : l->xapic_id;
	page[LAPIC_REG_VERSION / 4] = version_reg(l);
	page[LAPIC_REG_TPR / 4] = l->tpr;
	page[LAPIC_REG_EOI / 4] = 0;
	page[LAPIC_REG_LDR / 4] = x2 ? x2apic_ldr(l->cfg.apic_id) : l->ldr;
	page[LAPIC_REG_DFR / 4] = l->dfr;
	page[LAPIC_REG_SVR / 4] = l->svr;
	for (unsigned i = 0; i < 8; i++) {
		page[(LAPIC_REG_ISR + i * 16) / 4] = l->isr[i];
		page[(LAPIC_REG_TMR + i * 16) / 4] = l->tmr[i];
		page[(LAPIC_REG_IRR + i * 16) / 4] = l->irr[i];
	}
	page[LAPIC_REG_ESR / 4] = l->esr;
	page[LAPIC_REG_ICR_LO / 4] = l->icr_lo;
	page[LAPIC_REG_ICR_HI / 4] = l->icr_hi;
	for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
		page[(LAPIC_REG_LVT_TIMER + i * 16) / 4] = l->lvt[i];
	page[LAPIC_REG_TIMER_ICR / 4] = l->timer.initial;
	page[LAPIC_REG_TIMER_DCR / 4] = l->timer.dcr;
}

int vlapic_highest_irr(const struct vlapic *l)
{
	return vec_highest(l->irr);
}

void vlapic_set_tpr(struct vlapic *l, uint8_t tpr)
{
	changed(l);
	l->tpr = tpr;
}

/* --- x2APIC MSRs ------------------------------------------------------------ */

#define X2_R 1U
#define X2_W 2U

/* Access rights and writable bits of x2APIC register `idx` (MSR - 0x800,
 * SDM Table 12-6). Registers absent in x2APIC mode (APR, RRD, DFR, ICR
 * high, CMCI here) have neither right. */
static uint32_t x2apic_access(const struct vlapic *l, uint32_t idx, uint32_t *wmask)
{
	uint32_t off = idx << 4;
	enum vlapic_lvt which;

	*wmask = 0;
	if (off >= LAPIC_REG_ISR && off < LAPIC_REG_ESR)
		return X2_R;
	if (lvt_from_offset(off, &which)) {
		*wmask = lvt_write_mask(l, which) | LAPIC_LVT_STATUS |
			 (lvt_is_lint(which) ? LAPIC_LVT_REMOTE_IRR : 0);
		return X2_R | X2_W;
	}
	switch (off) {
	case LAPIC_REG_ID:
	case LAPIC_REG_VERSION:
	case LAPIC_REG_PPR:
	case LAPIC_REG_LDR:
	case LAPIC_REG_TIMER_CCR:
		return X2_R;
	case LAPIC_REG_EOI:
		return X2_W; /* only 0 may be written */
	case LAPIC_REG_ESR:
		return X2_R | X2_W; /* only 0 may be written */
	case LAPIC_REG_TPR:
		*wmask = 0xFF;
		return X2_R | X2_W;
	case LAPIC_REG_SVR:
		*wmask = svr_write_mask(l);
		return X2_R | X2_W;
	case LAPIC_REG_ICR_LO:
		*wmask = LAPIC_ICR_LO_MASK | LAPIC_ICR_STATUS;
		return X2_R | X2_W;
	case LAPIC_REG_TIMER_ICR:
		*wmask = 0xFFFFFFFFU;
		return X2_R | X2_W;
	case LAPIC_REG_TIMER_DCR:
		*wmask = LAPIC_DCR_MASK;
		return X2_R | X2_W;
	case LAPIC_REG_SELF_IPI:
		*wmask = 0xFF;
		return X2_W;
	default:
		return 0;
	}
}

static int x2apic_read(struct vlapic *l, uint32_t idx, uint64_t *val)
{
	uint32_t wmask, v;

	if (!(x2apic_access(l, idx, &wmask) & X2_R))
		return -EINVAL;
	if (idx == X2APIC_IDX_ICR) {
		*val = (uint64_t)l->icr_hi << 32 | l->icr_lo;
		return 0;
	}
	if (reg_read(l, idx << 4, &v))
		return -EINVAL;
	*val = v;
	return 0;
}

/* Non-zero reserved bits fault (SDM 12.12.1.3); so do bits 63:32 of
 * every register but the ICR. */
static int x2apic_write(struct vlapic *l, uint32_t idx, uint64_t val)
{
	uint32_t wmask;

	if (!(x2apic_access(l, idx, &wmask) & X2_W))
		return -EINVAL;
	if (idx == X2APIC_IDX_ICR) {
		if ((uint32_t)val & ~wmask)
			return -EINVAL;
		l->icr_hi = (uint32_t)(val >> 32);
		l->icr_lo = (uint32_t)val & LAPIC_ICR_LO_MASK;
		send_icr(l);
		return 0;
	}
	if (val >> 32 || ((uint32_t)val & ~wmask))
		return -EINVAL;
	if (idx == X2APIC_IDX_LVT_TIMER && (val & LAPIC_LVT_TIMER_MODE_MASK) == LAPIC_LVT_TIMER_MODE_MASK)
		return -EINVAL; /* timer mode 11 is reserved */
	if (idx == X2APIC_IDX_SELF_IPI) {
		send_self_ipi(l, (uint8_t)val);
		return 0;
	}
	return reg_write(l, idx << 4, (uint32_t)val);
}

bool vlapic_msr_owned(uint32_t msr)
{
	return msr == LAPIC_MSR_APIC_BASE || msr == LAPIC_MSR_TSC_DEADLINE ||
	       (msr >= LAPIC_X2APIC_MSR_BASE && msr <= LAPIC_X2APIC_MSR_LAST);
}

/* The index of an x2APIC MSR usable now, or -EINVAL: outside x2APIC mode
 * the whole range faults (SDM 12.12.1.2). */
static int x2apic_index(const struct vlapic *l, uint32_t msr, uint32_t *idx)
{
	if (!is_x2apic(l) || msr < LAPIC_X2APIC_MSR_BASE ||
	    msr - LAPIC_X2APIC_MSR_BASE > X2APIC_IDX_LAST)
		return -EINVAL;
	*idx = msr - LAPIC_X2APIC_MSR_BASE;
	return 0;
}

int vlapic_msr_read(struct vlapic *l, uint32_t msr, uint64_t *val)
{
	uint32_t idx;

	if (msr == LAPIC_MSR_APIC_BASE) {
		*val = l->apic_base;
		return 0;
	}
	if (msr == LAPIC_MSR_TSC_DEADLINE)
		return vlapic_read_tsc_deadline(l, val);
	if (!vlapic_msr_owned(msr))
		return -ENOENT;
	if (x2apic_index(l, msr, &idx))
		return -EINVAL;
	return x2apic_read(l, idx, val);
}

int vlapic_msr_write(struct vlapic *l, uint32_t msr, uint64_t val)
{
	uint32_t idx;

	if (msr == LAPIC_MSR_APIC_BASE)
		return vlapic_set_apic_base(l, val);
	if (msr == LAPIC_MSR_TSC_DEADLINE)
		return vlapic_write_tsc_deadline(l, val);
	if (!vlapic_msr_owned(msr))
		return -ENOENT;
	if (x2apic_index(l, msr, &idx))
		return -EINVAL;
	return x2apic_write(l, idx, val);
}
