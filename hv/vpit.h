/* Intel 8254 programmable interval timer (datasheet 231164) with the PC's
 * system control port B (0x61), as pure logic: counts and OUT levels are
 * computed from the VM clock on demand, nothing ticks in the background.
 * Channel 0's OUT drives IRQ0; channel 2 is gated by port 0x61 bit 0 and its
 * OUT is read back in port 0x61 bit 5 (Linux's TSC calibration polls it).
 * See docs/device-models.md. */
#ifndef HV_VPIT_H
#define HV_VPIT_H

#include "hv/compiler.h"
#include "hv/devmodel.h"
#include "hv/iobus.h"

#define PIT_FREQ_HZ 1193182u /* 14.31818 MHz / 12 on the PC */
#define PIT_CHANNELS 3

/* Ports: counters 0-2 at 0x40-0x42, control word at 0x43; port B at 0x61. */
#define PIT_PORT_BASE 0x40
#define PIT_PORT_COUNT 4
#define PIT_PORT_CONTROL 0x43
#define PIT_PORT_B 0x61

/* Port 0x61 (system control port B) bits. */
#define PIT_PORTB_GATE2 0x01   /* channel 2 gate */
#define PIT_PORTB_SPEAKER 0x02 /* speaker data enable */
#define PIT_PORTB_RW_MASK 0x0f /* bits 3:0 read back as written */
#define PIT_PORTB_REFRESH 0x10 /* refresh request toggle: alternates on reads */
#define PIT_PORTB_OUT2 0x20    /* channel 2 OUT (read-only) */

/* Access modes (control word RW bits). */
enum pit_rw { PIT_RW_LATCH = 0, PIT_RW_LSB = 1, PIT_RW_MSB = 2, PIT_RW_WORD = 3 };

/* One counter. Fields are internal; tests observe ports and OUT only.
 * Times are PIT clock pulses since VM start ("ticks"). */
struct vpit_channel {
	uint8_t mode;      /* 0-5 (6 and 7 behave as 2 and 3) */
	uint8_t mode_bits; /* M2..M0 as programmed, for the status byte */
	uint8_t rw;        /* enum pit_rw, never PIT_RW_LATCH */
	bool bcd;
	bool gate;

	uint32_t cr;     /* count register: 1..65536 (binary) or 1..10000 (BCD) */
	bool write_msb;  /* write flip-flop: next byte is the MSB */
	uint8_t write_lsb;
	bool read_msb; /* read flip-flop for unlatched reads */

	bool count_latched, latch_msb, status_latched;
	uint16_t latch;
	uint8_t status;

	/* Counting element. Before load_tick (or when not loaded) it shows
	 * `held` and OUT is `held_out`; from base_tick on, it has counted
	 * elapsed_base + (tick - base_tick) pulses while `counting`. */
	bool armed;   /* a count was written since the control word */
	bool loaded;  /* the CE holds a count */
	bool counting;
	uint32_t n; /* count the CE was loaded with */
	uint32_t held;
	bool held_out;
	uint64_t load_tick, base_tick, elapsed_base;
	uint64_t strobe_at; /* modes 4/5: strobe pulse, once counting passed it */
	/* Modes 2/3: a count written while counting takes effect at the end of
	 * the period (mode 2) or half-cycle (mode 3). */
	bool pending, pending_from_high;
	uint64_t pending_tick;
	uint64_t null_clear_tick; /* null count reads 1 before this tick */
};

struct vpit {
	struct io_device dev; /* ports 0x40-0x43 and 0x61 */
	struct vclock clock;
	struct irq_out irq; /* IRQ0: follows channel 0's OUT */
	struct vpit_channel ch[PIT_CHANNELS];
	uint8_t port_b; /* bits 3:0 of port 0x61 */
	bool refresh;
	uint64_t tick; /* latest tick observed; OUT0 edges accounted up to it */
	bool out0;     /* OUT0 before the access being handled */
	bool edge;     /* an OUT0 rising edge not yet given to irq */
	bool line;     /* level last given to irq */
};

/* Power-on state as a PC BIOS leaves it: every channel in mode 3, LSB then
 * MSB, binary, count 65536 (18.2 Hz); channels 0/1 running, channel 2's
 * gate (port 0x61 bit 0) low. The irq line starts low and is not driven by
 * init; its first rising edge is OUT0's first. `irq` may have set == NULL. */
void vpit_init(struct vpit *pit, const struct vclock *clock, const struct irq_out *irq);
/* Back to the power-on state at the current time (a machine reset). */
void vpit_reset(struct vpit *pit);

/* Byte-wide port accesses (what io_device ops do for each byte). Ports other
 * than 0x40-0x43 and 0x61 read 0xff and ignore writes. */
uint8_t vpit_inb(struct vpit *pit, uint16_t port);
void vpit_outb(struct vpit *pit, uint16_t port, uint8_t val);

/* OUT of a channel now (the speaker and tests look at it), and its counting
 * element as a number (0 stands for 65536, or 10000 in BCD), for debugging. */
bool vpit_out(struct vpit *pit, unsigned int channel);
uint32_t vpit_count(struct vpit *pit, unsigned int channel);

/* Absolute ns of channel 0's next OUT rising edge, or DEADLINE_NONE. */
uint64_t vpit_next_deadline(struct vpit *pit);
/* Delivers channel 0's rising edges due by `now` to IRQ0 (several missed
 * edges coalesce into one 0->1 transition). */
void vpit_poll(struct vpit *pit, uint64_t now);

/* Registers pit->dev for ports 0x40-0x43 and 0x61; undoes it on failure. */
int vpit_register(struct vpit *pit, struct io_bus *bus);

#endif
