/* Interrupt routing (KVM's GSI routing table) and the interrupt message
 * that the IOAPIC, MSI and the local APICs all speak.
 *
 * A GSI ("global system interrupt", KVM's routing key) drives at most one
 * PIC pin and at most one IOAPIC pin, or carries one MSI. Devices raise a
 * GSI with irq_line(); the table turns that into pin changes on the chips
 * through function pointers, so it knows neither chip and is testable
 * alone. Pure logic: no allocation, no locking (the VM's irq lock covers
 * it), logging only when a new table is refused. */
#ifndef HV_IRQ_ROUTING_H
#define HV_IRQ_ROUTING_H

#include "hv/compiler.h"

/* Delivery modes: the 3-bit field shared by IOAPIC redirection entries
 * (82093AA 3.2.4), MSI data (SDM 3A 12.11.2) and the LAPIC ICR. */
enum irq_delivery_mode {
	IRQ_DM_FIXED = 0,
	IRQ_DM_LOWEST = 1,
	IRQ_DM_SMI = 2,
	IRQ_DM_NMI = 4,
	IRQ_DM_INIT = 5,
	IRQ_DM_STARTUP = 6, /* LAPIC ICR only; reserved in IOAPIC and MSI */
	IRQ_DM_EXTINT = 7,
};

/* One interrupt on its way to the local APICs. Same fields as hv/vlapic.h's
 * struct lapic_irq (plus the MSI redirection hint), so one can become the
 * other. */
struct irq_message {
	uint8_t vector;        /* ignored by the LAPIC for NMI, INIT, SMI, ExtINT */
	uint8_t delivery_mode; /* enum irq_delivery_mode */
	bool dest_logical;     /* logical destination mode (else physical) */
	uint32_t dest;         /* APIC ID or logical destination: 8 bits, 32 for x2APIC */
	bool trigger_level;    /* level-triggered (else edge) */
	bool level;            /* asserted; clear only in a level MSI's deassert */
	bool redirect_hint;    /* MSI RH bit; always clear from the IOAPIC */
};

/* Where messages go (the LAPIC layer). */
struct irq_msg_out {
	void (*deliver)(void *ctx, const struct irq_message *m);
	void *ctx;
};

static inline void irq_msg_deliver(const struct irq_msg_out *o, const struct irq_message *m)
{
	if (o->deliver)
		o->deliver(o->ctx, m);
}

/* MSI address and data (SDM 3A 12.11.1, 12.11.2). */
#define MSI_ADDR_BASE 0xFEE00000u
#define MSI_ADDR_BASE_MASK 0xFFF00000u /* bits 31:20 must read 0xFEE */
#define MSI_ADDR_DEST_SHIFT 12         /* destination ID, bits 19:12 */
#define MSI_ADDR_RH (1u << 3)          /* redirection hint */
#define MSI_ADDR_DM (1u << 2)          /* 1: logical destination */
#define MSI_DATA_VECTOR_MASK 0xFFu
#define MSI_DATA_DM_SHIFT 8            /* delivery mode, bits 10:8 */
#define MSI_DATA_LEVEL (1u << 14)      /* 1 assert (level-triggered only) */
#define MSI_DATA_TRIGGER (1u << 15)    /* 1 level */

/* Decode an MSI write. With x2apic_ids, address bits 63:40 carry
 * destination bits 31:8 (KVM's 32-bit-ID MSI layout) and bits 39:32 must be
 * 0; without, the upper half must be 0. -EINVAL for an address outside
 * 0xFEExxxxx or a reserved delivery mode. Prints nothing: it is on the
 * MSI fast path and the caller decides what a bad message means. */
int irq_msi_decode(uint64_t addr, uint32_t data, bool x2apic_ids, struct irq_message *m);

/* --- the routing table ---------------------------------------------------- */

#define IRQ_ROUTING_NR_GSI 256
#define IRQ_ROUTING_PIC_PINS 16    /* IRQ0-15 across the 8259 pair */
#define IRQ_ROUTING_IOAPIC_PINS 24
#define IRQ_ROUTING_PIC_CASCADE 2  /* master IR2 carries the slave: not routable */
#define IRQ_LINE_SOURCES 32        /* devices sharing one GSI, wired-OR */
#define IRQ_SOURCE_DEFAULT 0

enum irq_route_type { IRQ_ROUTE_IRQCHIP = 1, IRQ_ROUTE_MSI = 2 };
enum irq_chip_id { IRQ_CHIP_PIC = 0, IRQ_CHIP_IOAPIC = 1 };

/* One entry of a table as a caller supplies it (KVM's
 * struct kvm_irq_routing_entry; the PIC is one chip with pins 0-15). */
struct irq_route_entry {
	uint32_t gsi;
	uint32_t type; /* enum irq_route_type */
	union {
		struct {
			uint32_t chip; /* enum irq_chip_id */
			uint32_t pin;
		} irqchip;
		struct {
			uint64_t address;
			uint32_t data;
		} msi;
	};
};

/* The chips the table drives. pic_set/ioapic_set have struct irq_out's
 * signature: vpic_irq_set and vioapic_irq_set fit them directly. */
struct irq_routing_chips {
	void (*pic_set)(void *ctx, uint32_t pin, int level);
	void *pic;
	void (*ioapic_set)(void *ctx, uint32_t pin, int level);
	void *ioapic;
	struct irq_msg_out msi;
};

/* What one GSI drives, compiled from the entries. */
struct irq_gsi_route {
	int8_t pic_pin;    /* -1: none */
	int8_t ioapic_pin; /* -1: none */
	bool msi;
	struct irq_message msg; /* decoded when the table is set */
	uint32_t sources;       /* bit per source asserting the line */
};

struct irq_routing {
	struct irq_gsi_route gsi[IRQ_ROUTING_NR_GSI];
	struct irq_routing_chips chips;
	bool x2apic_msi; /* MSI addresses may carry 32-bit destinations */
};

/* An empty table (nothing routed) driving `chips`. */
void irq_routing_init(struct irq_routing *rt, const struct irq_routing_chips *chips);

/* Replace the whole table (KVM_SET_GSI_ROUTING): all entries are checked
 * first and the old table stays on any error (-EINVAL, one pr_err line).
 * Rules: GSI below IRQ_ROUTING_NR_GSI; PIC pins 0-15 except the cascade
 * pin 2; IOAPIC pins 0-23; per GSI at most one pin per chip, or exactly
 * one MSI and nothing else; MSIs must decode. Line levels survive. */
int irq_routing_set(struct irq_routing *rt, const struct irq_route_entry *e, uint32_t n);

/* The PC table: ISA IRQ n -> PIC pin n and IOAPIC pin n for 1 and 3-15,
 * IRQ0 -> PIC pin 0 and IOAPIC pin 2 (the MADT interrupt source override
 * every PC firmware reports), IRQ2 unrouted (it is the PIC cascade, and
 * IOAPIC pin 2 belongs to IRQ0), GSI 16-23 -> IOAPIC pins 16-23 (PCI). */
int irq_routing_default_pc(struct irq_routing *rt);

/* Drive GSI `gsi` from `source` (0..IRQ_LINE_SOURCES-1); the chips see the
 * OR of all sources, and only its changes. An MSI route fires on every
 * assert (level != 0) and ignores deasserts. -EINVAL for a bad GSI or
 * source, -ENOENT when the GSI has no route. No logging (fast path). */
int irq_line_source(struct irq_routing *rt, uint32_t source, uint32_t gsi, int level);

/* irq_line_source() from IRQ_SOURCE_DEFAULT (KVM_IRQ_LINE). */
int irq_line(struct irq_routing *rt, uint32_t gsi, int level);

/* KVM_SIGNAL_MSI: decode (irq_msi_decode) and deliver to chips.msi. */
int irq_signal_msi(struct irq_routing *rt, uint64_t addr, uint32_t data);

#endif
