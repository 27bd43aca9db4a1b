/* The I/O APIC (Intel 82093AA datasheet), with the version 0x20 EOI
 * register of the PIIX/ICH parts.
 *
 * 24 pins; MMIO at 0xFEC00000: IOREGSEL at +0x00, IOWIN at +0x10, EOI at
 * +0x40. Pins take the level on the wire; an active-low entry inverts it.
 * Deliveries leave as struct irq_message through a callback (the LAPIC
 * layer); the LAPIC's EOI of a level-triggered vector comes back through
 * vioapic_eoi(). The callback may call back in (an EOI, a line change):
 * deliveries never nest, they queue behind the current one. Pure logic: no
 * locking (the VM's irq lock covers it), no logging. */
#ifndef HV_VIOAPIC_H
#define HV_VIOAPIC_H

#include "hv/compiler.h"
#include "hv/iobus.h"
#include "hv/irq_routing.h"

#define VIOAPIC_BASE 0xFEC00000ULL
#define VIOAPIC_MMIO_SIZE 0x1000ULL
#define VIOAPIC_PINS 24

/* MMIO offsets */
#define VIOAPIC_IOREGSEL 0x00
#define VIOAPIC_IOWIN 0x10
#define VIOAPIC_EOI 0x40 /* write a vector: like a broadcast EOI (version 0x20) */

/* Registers behind IOREGSEL (82093AA 3.2) */
#define VIOAPIC_REG_ID 0x00
#define VIOAPIC_REG_VERSION 0x01
#define VIOAPIC_REG_ARB 0x02
#define VIOAPIC_REG_REDTBL 0x10 /* entry n: low half 0x10+2n, high half 0x11+2n */
#define VIOAPIC_ID_MASK 0x0F000000u /* ID in bits 27:24 */
/* Maximum redirection entry 23 in bits 23:16, version 0x20 in bits 7:0. */
#define VIOAPIC_VERSION 0x00170020u

/* Redirection table entry (82093AA 3.2.4) */
#define VIOAPIC_RTE_VECTOR 0xFFull
#define VIOAPIC_RTE_DM_SHIFT 8 /* delivery mode, bits 10:8 */
#define VIOAPIC_RTE_DM_MASK (7ull << VIOAPIC_RTE_DM_SHIFT)
#define VIOAPIC_RTE_DEST_LOGICAL (1ull << 11)
#define VIOAPIC_RTE_DELIVS (1ull << 12)      /* read-only: send pending */
#define VIOAPIC_RTE_ACTIVE_LOW (1ull << 13)
#define VIOAPIC_RTE_REMOTE_IRR (1ull << 14)  /* read-only */
#define VIOAPIC_RTE_LEVEL (1ull << 15)
#define VIOAPIC_RTE_MASKED (1ull << 16)
#define VIOAPIC_RTE_DEST_SHIFT 56            /* destination, bits 63:56 */
#define VIOAPIC_RTE_DEST_MASK (0xFFull << VIOAPIC_RTE_DEST_SHIFT)

struct vioapic {
	uint64_t base;
	uint32_t id;       /* ID register (bits 27:24) */
	uint8_t reset_id;  /* what firmware would program: the ID the MADT gives */
	uint8_t ioregsel;
	uint64_t rte[VIOAPIC_PINS];
	uint32_t pin_level;    /* level on each pin's wire */
	uint32_t edge_pending; /* rising edges not yet sent (only inside a call) */
	bool in_service;       /* the delivery loop runs: callbacks may come back in */
	bool rescan;
	struct irq_msg_out out;
	struct io_device dev;
};

/* Reset state: ID 0, every entry masked, all other fields 0; `out` (may be
 * NULL) receives the deliveries. `base` is where vioapic_register puts it,
 * normally VIOAPIC_BASE. */
void vioapic_init(struct vioapic *io, uint64_t base, const struct irq_msg_out *out);

/* Back to the reset state; pin levels (the wires) are kept. */
void vioapic_reset(struct vioapic *io);
/* The ID the IOAPIC has after reset, as firmware leaves it (the one the
 * guest's MADT names); applied now and at every reset. 4 bits. */
void vioapic_set_reset_id(struct vioapic *io, uint8_t id);

/* Claim [base, base + VIOAPIC_MMIO_SIZE) on an MMIO bus. */
int vioapic_register(struct vioapic *io, struct io_bus *mmio);

/* Drive pin 0-23. Edge entries deliver on a rising edge (after polarity)
 * while unmasked; level entries deliver while asserted, unmasked and their
 * remote IRR clear, and set remote IRR. -EINVAL for a bad pin. */
int vioapic_set_irq(struct vioapic *io, uint32_t pin, int level);

/* vioapic_set_irq with struct irq_out's signature (ctx is the vioapic). */
void vioapic_irq_set(void *ctx, uint32_t pin, int level);

/* The LAPIC's EOI for `vector`: clears remote IRR of every level entry with
 * that vector; one still asserted is delivered again. */
void vioapic_eoi(struct vioapic *io, uint8_t vector);

#endif
