/* The per-vCPU local APIC model (Intel SDM Vol. 3A, chapter "Advanced
 * Programmable Interrupt Controller": 12 in 2023+ editions, 10/11 before;
 * section numbers below are the 2023+ ones). Pure logic, like every in-core
 * device model (docs/device-models.md): the caller feeds it register
 * accesses (xAPIC MMIO page, x2APIC MSRs), interrupt messages and time; it
 * reports IPIs and level-triggered EOIs through callbacks and answers which
 * vector to inject next.
 *
 * The model is not locked: the caller serializes every call on one vlapic
 * (the vCPU's own lock, or delivery on the vCPU's pCPU). Callbacks run at
 * the end of the call that caused them, with the model consistent, so a
 * send_ipi router may call vlapic_deliver() on the sending APIC itself.
 *
 * Time: the one-shot/periodic timer counts at bus_hz / divide; counts are
 * computed from the vclock on demand. TSC-deadline mode converts the
 * deadline to vclock nanoseconds when IA32_TSC_DEADLINE is written, using
 * tsc_hz and the guest's TSC at that moment: ops->read_tsc when given,
 * otherwise TSC = vclock ns * tsc_hz / 10^9 (a guest TSC that is 0 at VM
 * start and never written, which is what a TSC offset of -start gives). */
#ifndef HV_VLAPIC_H
#define HV_VLAPIC_H

#include "hv/compiler.h"
#include "hv/devmodel.h"
#include "hv/irq_routing.h"

/* xAPIC register offsets in the 4 KiB page (SDM Table 12-1). In x2APIC mode
 * the MSR is LAPIC_X2APIC_MSR_BASE + offset / 16 (SDM Table 12-6). */
#define LAPIC_REG_ID 0x020
#define LAPIC_REG_VERSION 0x030
#define LAPIC_REG_TPR 0x080
#define LAPIC_REG_APR 0x090
#define LAPIC_REG_PPR 0x0A0
#define LAPIC_REG_EOI 0x0B0
#define LAPIC_REG_RRD 0x0C0
#define LAPIC_REG_LDR 0x0D0
#define LAPIC_REG_DFR 0x0E0
#define LAPIC_REG_SVR 0x0F0
#define LAPIC_REG_ISR 0x100 /* 8 registers, 0x100..0x170 */
#define LAPIC_REG_TMR 0x180 /* 0x180..0x1F0 */
#define LAPIC_REG_IRR 0x200 /* 0x200..0x270 */
#define LAPIC_REG_ESR 0x280
#define LAPIC_REG_LVT_CMCI 0x2F0 /* not implemented: no CMCI here */
#define LAPIC_REG_ICR_LO 0x300
#define LAPIC_REG_ICR_HI 0x310
#define LAPIC_REG_LVT_TIMER 0x320
#define LAPIC_REG_LVT_THERMAL 0x330
#define LAPIC_REG_LVT_PMC 0x340
#define LAPIC_REG_LVT_LINT0 0x350
#define LAPIC_REG_LVT_LINT1 0x360
#define LAPIC_REG_LVT_ERROR 0x370
#define LAPIC_REG_TIMER_ICR 0x380 /* initial count */
#define LAPIC_REG_TIMER_CCR 0x390 /* current count */
#define LAPIC_REG_TIMER_DCR 0x3E0 /* divide configuration */
#define LAPIC_REG_SELF_IPI 0x3F0 /* x2APIC only */

#define LAPIC_MMIO_SIZE 0x1000
#define LAPIC_DEFAULT_BASE 0xFEE00000ULL

#define LAPIC_X2APIC_MSR_BASE 0x800
#define LAPIC_X2APIC_MSR_LAST 0x8FF
#define LAPIC_MSR_APIC_BASE 0x1B /* IA32_APIC_BASE */
#define LAPIC_MSR_TSC_DEADLINE 0x6E0 /* IA32_TSC_DEADLINE */

/* IA32_APIC_BASE (SDM 12.4.4, 12.12.1). */
#define LAPIC_BASE_BSP (1ULL << 8)
#define LAPIC_BASE_EXTD (1ULL << 10) /* x2APIC mode */
#define LAPIC_BASE_EN (1ULL << 11) /* APIC global enable */
#define LAPIC_BASE_ADDR_SHIFT 12

/* Version register: version 0x14 (integrated APIC), max LVT entry 5 (six
 * LVTs: timer, thermal, PMC, LINT0, LINT1, error; no CMCI), bit 24 when EOI
 * broadcast suppression is offered (SDM 12.4.8). */
#define LAPIC_VERSION 0x14
#define LAPIC_VERSION_DIRECTED_EOI (1U << 24)

/* SVR (SDM 12.9). */
#define LAPIC_SVR_VECTOR 0xFFU
#define LAPIC_SVR_ENABLE (1U << 8)
#define LAPIC_SVR_FOCUS_DISABLE (1U << 9)
#define LAPIC_SVR_SUPPRESS_EOI_BROADCAST (1U << 12)

/* DFR models (SDM 12.6.2.2), bits 31:28. */
#define LAPIC_DFR_FLAT 0xFFFFFFFFU
#define LAPIC_DFR_CLUSTER 0x0FFFFFFFU

/* ESR bits (SDM 12.5.3). */
#define LAPIC_ESR_SEND_ILLEGAL_VECTOR (1U << 5)
#define LAPIC_ESR_RECV_ILLEGAL_VECTOR (1U << 6)
#define LAPIC_ESR_ILLEGAL_REGISTER (1U << 7)

/* LVT fields (SDM Figure 12-8). */
#define LAPIC_LVT_VECTOR 0xFFU
#define LAPIC_LVT_DM_SHIFT 8
#define LAPIC_LVT_DM_MASK (7U << 8)
#define LAPIC_LVT_STATUS (1U << 12) /* delivery status: always 0 here */
#define LAPIC_LVT_POLARITY (1U << 13)
#define LAPIC_LVT_REMOTE_IRR (1U << 14)
#define LAPIC_LVT_LEVEL (1U << 15) /* trigger mode: level */
#define LAPIC_LVT_MASKED (1U << 16)
#define LAPIC_LVT_TIMER_MODE_SHIFT 17
#define LAPIC_LVT_TIMER_MODE_MASK (3U << 17)
#define LAPIC_TIMER_ONESHOT 0U
#define LAPIC_TIMER_PERIODIC 1U
#define LAPIC_TIMER_TSC_DEADLINE 2U

/* ICR fields (SDM 12.6.1, Figure 12-12; x2APIC 12.12.9). */
#define LAPIC_ICR_VECTOR 0xFFU
#define LAPIC_ICR_DM_SHIFT 8
#define LAPIC_ICR_LOGICAL (1U << 11)
#define LAPIC_ICR_STATUS (1U << 12)
#define LAPIC_ICR_LEVEL_ASSERT (1U << 14)
#define LAPIC_ICR_TRIGGER_LEVEL (1U << 15)
#define LAPIC_ICR_SHORTHAND_SHIFT 18

enum lapic_shorthand {
	LAPIC_SH_NONE = 0,
	LAPIC_SH_SELF = 1,
	LAPIC_SH_ALL_INCL_SELF = 2,
	LAPIC_SH_ALL_EXCL_SELF = 3,
};

enum vlapic_lvt {
	VLAPIC_LVT_TIMER,
	VLAPIC_LVT_THERMAL,
	VLAPIC_LVT_PMC,
	VLAPIC_LVT_LINT0,
	VLAPIC_LVT_LINT1,
	VLAPIC_LVT_ERROR,
	VLAPIC_LVT_COUNT,
};

enum vlapic_mode {
	VLAPIC_MODE_DISABLED, /* IA32_APIC_BASE.EN = 0 */
	VLAPIC_MODE_XAPIC,
	VLAPIC_MODE_X2APIC,
};

/* An IPI written to the ICR (or the x2APIC SELF IPI register), as it
 * leaves the APIC: the message (delivery modes are enum irq_delivery_mode,
 * the ICR's encoding) plus what only IPIs have. msg.dest is the 8-bit
 * xAPIC destination (ICR[63:56]) or the 32-bit x2APIC one (x2apic set).
 * Trigger and level are normalised the way Pentium 4 and later issue
 * them: edge and asserted, except INIT level de-assert (mode INIT,
 * trigger_level, !level), which receivers ignore. */
struct lapic_ipi {
	struct irq_message msg; /* redirect_hint always clear */
	uint8_t shorthand; /* enum lapic_shorthand */
	uint32_t source_id; /* the sender's APIC ID in its current mode */
	bool x2apic; /* sent in x2APIC mode: 32-bit destination */
};

/* Events for the vCPU that are not vectors in the IRR; read and cleared by
 * vlapic_take_events(). */
#define VLAPIC_EV_NMI (1U << 0)
#define VLAPIC_EV_SMI (1U << 1)
#define VLAPIC_EV_INIT (1U << 2)
#define VLAPIC_EV_SIPI (1U << 3)

struct vlapic_ops {
	/* An IPI to route (every shorthand, self included): the router finds
	 * the targets with vlapic_ipi_targets() and calls vlapic_deliver(). */
	void (*send_ipi)(void *ctx, const struct lapic_ipi *ipi);
	/* EOI of a level-triggered vector: the IOAPICs clear remote IRR. */
	void (*eoi_broadcast)(void *ctx, uint8_t vector);
	/* Optional: something became pending (IRR, event, ExtINT); wake or
	 * kick the vCPU. */
	void (*kick)(void *ctx);
	/* Optional: the guest's TSC now, for TSC-deadline mode. */
	uint64_t (*read_tsc)(void *ctx);
};

struct vlapic_config {
	uint32_t apic_id; /* initial (x2APIC) ID; the xAPIC ID is its low 8 bits */
	bool bsp; /* IA32_APIC_BASE.BSP at reset */
	bool x2apic; /* CPUID.01H:ECX.x2APIC: EXTD may be set */
	bool tsc_deadline; /* CPUID.01H:ECX.TSC_Deadline */
	/* Offer EOI-broadcast suppression (version bit 24, SVR bit 12). Only
	 * with IOAPICs that have an EOI register (version 0x20), since the
	 * guest then EOIs level interrupts there. */
	bool directed_eoi;
	/* At reset a BSP has LINT0 = ExtINT and LINT1 = NMI unmasked, the
	 * virtual-wire set-up firmware leaves (MP spec 3.6.2.2), so guests
	 * booted without firmware get 8259 interrupts. */
	bool virtual_wire;
	uint8_t phys_addr_bits; /* MAXPHYADDR, 36..52; 0 means 36 */
	uint64_t bus_hz; /* timer clock before the divider; 0 means 1 GHz */
	uint64_t tsc_hz; /* guest TSC rate; needed with tsc_deadline */
	struct vclock clock;
	const struct vlapic_ops *ops;
	void *ctx; /* passed to ops */
};

struct vlapic_timer {
	uint32_t initial; /* initial-count register */
	uint32_t dcr; /* divide configuration register */
	bool running; /* counting down (one-shot or periodic) */
	uint64_t base_ns; /* the count was base_count at base_ns */
	uint32_t base_count;
	uint64_t expire_ns; /* next expiry, DEADLINE_NONE when idle */
	uint64_t tsc_deadline; /* armed IA32_TSC_DEADLINE, 0 when disarmed */
};

struct vlapic {
	struct vlapic_config cfg;
	uint64_t apic_base;
	uint32_t xapic_id; /* bits 31:24: the xAPIC ID register */
	uint32_t tpr, ldr, dfr, svr;
	uint32_t esr; /* what reads see: latched by the last ESR write */
	uint32_t esr_pending; /* errors since that write */
	uint32_t icr_lo, icr_hi; /* icr_hi: xAPIC bits 31:24, or the x2APIC destination */
	uint32_t lvt[VLAPIC_LVT_COUNT];
	uint32_t irr[8], isr[8], tmr[8];
	struct vlapic_timer timer;
	uint32_t events; /* VLAPIC_EV_* */
	uint8_t sipi_vector;
	bool extint_msg; /* an ExtINT message waits for the 8259's vector */
	uint8_t lint_level; /* bit n: LINTn line asserted */
	bool in_error; /* delivering the error LVT (no recursion) */
	uint32_t generation; /* vlapic_generation() */
};

/* Set-up: validates the configuration (one pr_err line, -EINVAL) and puts
 * the APIC in its power-on state. */
int vlapic_init(struct vlapic *l, const struct vlapic_config *cfg);
/* Power-on RESET: xAPIC mode at 0xFEE00000, every register reset. */
void vlapic_reset(struct vlapic *l);
/* INIT: the mode (APIC_BASE) and ID are kept, every other register reset. */
void vlapic_init_reset(struct vlapic *l);

/* IA32_APIC_BASE (SDM 12.12.5): 0, or -EINVAL (the caller injects #GP) for
 * reserved bits and the illegal transitions: to EN=0/EXTD=1, x2APIC to
 * xAPIC, disabled to x2APIC. Leaving a mode for disabled resets the APIC. */
int vlapic_set_apic_base(struct vlapic *l, uint64_t value);
uint64_t vlapic_get_apic_base(const struct vlapic *l);
enum vlapic_mode vlapic_mode(const struct vlapic *l);
/* The guest-physical page of the xAPIC registers. */
uint64_t vlapic_mmio_base(const struct vlapic *l);
/* The APIC ID in the current mode (8-bit in xAPIC, 32-bit in x2APIC). */
uint32_t vlapic_id(const struct vlapic *l);

/* xAPIC MMIO (io_device_ops shape). -ENODEV when the access is not to this
 * APIC's page in xAPIC mode (the caller treats it as unclaimed); otherwise
 * 0: 32-bit accesses at 16-byte aligned offsets reach a register, other
 * shapes read 0 and write nothing. */
int vlapic_mmio_read(struct vlapic *l, uint64_t gpa, uint32_t len, uint64_t *val);
int vlapic_mmio_write(struct vlapic *l, uint64_t gpa, uint32_t len, uint64_t val);

/* MSRs this model answers: IA32_APIC_BASE, IA32_TSC_DEADLINE, 0x800-0x8FF. */
bool vlapic_msr_owned(uint32_t msr);
/* 0, or -EINVAL: the caller injects #GP (an x2APIC MSR outside x2APIC
 * mode, a register that does not exist, a read of a write-only or write of
 * a read-only register, non-zero reserved bits, an illegal IA32_APIC_BASE
 * value). -ENOENT for an MSR vlapic_msr_owned() does not claim. */
int vlapic_msr_read(struct vlapic *l, uint32_t msr, uint64_t *val);
int vlapic_msr_write(struct vlapic *l, uint32_t msr, uint64_t val);

/* IA32_TSC_DEADLINE: -EINVAL without TSC-deadline support. Writes arm the
 * timer only in TSC-deadline mode (0 disarms); reads return the armed
 * deadline, 0 once it fired or outside that mode. */
int vlapic_write_tsc_deadline(struct vlapic *l, uint64_t tsc);
int vlapic_read_tsc_deadline(const struct vlapic *l, uint64_t *tsc);

/* CR8 is TPR[7:4] (SDM 12.8.6). set: -EINVAL for bits 63:4 (the caller
 * injects #GP). */
uint64_t vlapic_get_cr8(const struct vlapic *l);
int vlapic_set_cr8(struct vlapic *l, uint64_t cr8);
uint8_t vlapic_get_tpr(const struct vlapic *l);
uint8_t vlapic_get_ppr(const struct vlapic *l);

/* A fixed or lowest-priority interrupt accepted into the IRR; TMR set for
 * level, cleared for edge (SDM 12.8.4). False when dropped: APIC disabled
 * (globally or by SVR), or an illegal vector 0-15 (ESR bit 6). */
bool vlapic_accept(struct vlapic *l, uint8_t vector, bool level_triggered);
/* A message routed to this APIC (the router has matched the destination
 * and arbitrated lowest priority): fixed and lowest priority go to
 * vlapic_accept, the others become events (INIT level de-assert is
 * ignored). True if something became pending. */
bool vlapic_deliver(struct vlapic *l, const struct irq_message *m);
/* The highest IRR vector whose priority class beats PPR, or -1. */
int vlapic_pending_vector(const struct vlapic *l);
/* The CPU took `vector` (at injection): IRR -> ISR. -EINVAL if it was not
 * in the IRR. */
int vlapic_ack(struct vlapic *l, uint8_t vector);
/* vlapic_pending_vector then vlapic_ack: the vector to inject, or -1. */
int vlapic_ack_pending(struct vlapic *l);
/* VLAPIC_EV_* that arrived since the last call, cleared; *sipi_vector is
 * set when VLAPIC_EV_SIPI is among them. */
uint32_t vlapic_take_events(struct vlapic *l, uint8_t *sipi_vector);

/* Local interrupt pins. LINT0 usually carries the 8259's INTR, LINT1 NMI.
 * With the APIC globally disabled they act as INTR and NMI directly. */
void vlapic_set_lint(struct vlapic *l, unsigned pin, bool level);
/* The CPU should take an interrupt from the 8259 (INTA): LINT0 in ExtINT
 * mode with the line high, the APIC globally disabled with LINT0 high, or
 * an ExtINT message. vlapic_extint_ack() consumes the message. */
bool vlapic_extint_pending(const struct vlapic *l);
void vlapic_extint_ack(struct vlapic *l);
/* Raise a local interrupt through one LVT (thermal, PMC, ...); masked LVTs
 * deliver nothing. The PMC LVT masks itself on delivery (SDM 12.5.1). */
void vlapic_raise_lvt(struct vlapic *l, enum vlapic_lvt which);

/* Destination matching (SDM 12.6.2): physical (an ID, or the broadcast
 * 0xFF / 0xFFFFFFFF), logical flat and cluster per DFR, and the x2APIC
 * logical ID (cluster = ID[31:4] in LDR[31:16], bit 1 << ID[3:0]).
 * `x2apic` says the destination is 32-bit (sent in x2APIC mode, or an
 * x2APIC-format MSI); otherwise only its low 8 bits count, and an APIC in
 * x2APIC mode compares them with its full ID or logical ID. A globally
 * disabled APIC matches nothing. */
bool vlapic_matches_destination(const struct vlapic *l, uint32_t dest, bool dest_mode_logical,
				bool x2apic);
/* Does `ipi` reach `l`? Shorthands need to know whether l sent it. */
bool vlapic_ipi_targets(const struct vlapic *l, const struct lapic_ipi *ipi, bool l_is_sender);
/* Lowest-priority arbitration helpers: focus processor (SDM 12.6.2.4:
 * vector already in IRR or ISR, unless SVR disables focus checking). The
 * router prefers a focus APIC, else the lowest vlapic_get_ppr(). */
bool vlapic_is_focus(const struct vlapic *l, uint8_t vector);

/* The virtual-APIC page of a CPU with APIC-register virtualization (SDM 3C
 * 30.1): writes every register the CPU reads from it without an exit, at
 * its xAPIC offset (page: 1024 words). */
void vlapic_fill_page(const struct vlapic *l, uint32_t *page);
/* Changes whenever a register value may have changed. */
static inline uint32_t vlapic_generation(const struct vlapic *l)
{
	return l->generation;
}
/* TPR without a call: read after every exit with APIC virtualization. */
static inline uint8_t vlapic_tpr(const struct vlapic *l)
{
	return (uint8_t)l->tpr;
}
/* The highest vector in the IRR, or -1 (whatever PPR says). */
int vlapic_highest_irr(const struct vlapic *l);
/* TPR as the guest wrote it through a TPR shadow (all 8 bits). */
void vlapic_set_tpr(struct vlapic *l, uint8_t tpr);

/* Timer (docs/device-models.md): absolute ns of the next expiry, or
 * DEADLINE_NONE; poll fires what is due at `now`. */
uint64_t vlapic_next_deadline(const struct vlapic *l);
void vlapic_poll(struct vlapic *l, uint64_t now);

#endif
