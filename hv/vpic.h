/* The PC's pair of 8259A programmable interrupt controllers (Intel 8259A
 * datasheet), with the PIIX/ICH edge/level control registers (ELCR).
 *
 * Master at ports 0x20/0x21, slave at 0xA0/0xA1 with its INT output on the
 * master's IR2, ELCR at 0x4D0 (IRQ0-7) and 0x4D1 (IRQ8-15). Inputs are
 * IRQ0-15 as on the ISA bus (IRQ2 is the cascade and cannot be driven).
 * The master's INT output goes out through a struct irq_out (the LAPIC's
 * LINT0 / an IOAPIC ExtINT pin); the INTA cycle is vpic_ack().
 *
 * Pure logic: no locking (the VM's irq lock covers it), no logging. */
#ifndef HV_VPIC_H
#define HV_VPIC_H

#include "hv/compiler.h"
#include "hv/devmodel.h"
#include "hv/iobus.h"

#define VPIC_MASTER_PORT 0x20 /* command (A0=0) and data (A0=1) ports */
#define VPIC_SLAVE_PORT 0xA0
#define VPIC_ELCR_PORT 0x4D0  /* 0x4D0 IRQ0-7, 0x4D1 IRQ8-15 */
#define VPIC_PORTS 2
#define VPIC_IRQS 16
#define VPIC_CASCADE_IRQ 2    /* master input wired to the slave's INT */

/* State after vpic_init/vpic_reset: what a PC BIOS leaves behind. Both
 * chips initialised for 8086 mode, edge-triggered, cascaded on IR2,
 * vectors 0x08 and 0x70, every line masked until the guest unmasks. */
#define VPIC_RESET_MASTER_BASE 0x08
#define VPIC_RESET_SLAVE_BASE 0x70
#define VPIC_RESET_IMR 0xFF

enum { VPIC_MASTER = 0, VPIC_SLAVE = 1 };

/* One 8259A. */
struct vpic_chip {
	uint8_t irr;         /* interrupt request register */
	uint8_t isr;         /* in-service register */
	uint8_t imr;         /* interrupt mask register (OCW1) */
	uint8_t lines;       /* input levels as last driven (edge detection) */
	uint8_t elcr;        /* 1: level-triggered line (writable bits only) */
	uint8_t vector_base; /* ICW2 & 0xF8 */
	uint8_t icw3;        /* master: inputs with a slave; slave: its cascade ID */
	uint8_t lowest;      /* IR with the lowest priority (rotation moves it) */
	uint8_t init_step;   /* next ICW the data port expects; 0: initialised */
	bool ltim;           /* ICW1: every line level-triggered */
	bool single;         /* ICW1: no cascade */
	bool icw4_needed;    /* ICW1 IC4 */
	bool upm;            /* ICW4: 8086 mode (vectors are delivered either way) */
	bool aeoi;           /* ICW4: automatic EOI */
	bool sfnm;           /* ICW4: special fully nested mode */
	bool rotate_aeoi;    /* OCW2: rotate in automatic EOI mode */
	bool smm;            /* OCW3: special mask mode */
	bool read_isr;       /* OCW3: command port reads ISR (else IRR) */
	bool poll;           /* OCW3: the next read is a poll */
};

struct vpic {
	struct vpic_chip chip[2]; /* VPIC_MASTER, VPIC_SLAVE */
	bool intr;                /* master INT output as last reported */
	struct irq_out intr_out;
	struct io_device dev[3];  /* master ports, slave ports, ELCR */
};

/* Reset state (above), INT low; `intr` (may be NULL) is told of every
 * change of the master's INT output. */
void vpic_init(struct vpic *pic, const struct irq_out *intr);

/* Back to the reset state; input line levels (the wires) are kept. */
void vpic_reset(struct vpic *pic);

/* Claim 0x20-0x21, 0xA0-0xA1 and 0x4D0-0x4D1 on a port I/O bus; nothing
 * stays registered on failure. */
int vpic_register(struct vpic *pic, struct io_bus *pio);

/* Drive input `irq` (0-15 except 2). -EINVAL for a bad line. */
int vpic_set_irq(struct vpic *pic, uint32_t irq, int level);

/* vpic_set_irq with struct irq_out's signature (ctx is the struct vpic). */
void vpic_irq_set(void *ctx, uint32_t irq, int level);

/* The master's INT output: an interrupt is waiting for an INTA cycle. */
bool vpic_has_interrupt(const struct vpic *pic);

/* The INTA cycle: the vector the chips put on the bus (0-255). Sets the
 * ISR bit (unless automatic EOI) and clears the IRR bit of an edge line.
 * When the request went away before the INTA, the chip answers with its
 * IR7 vector and sets no ISR bit (spurious IRQ7/IRQ15; for IRQ15 the master
 * has still taken IR2 in service, as real chips do). */
int vpic_ack(struct vpic *pic);

#endif
