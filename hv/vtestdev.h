/* QEMU's "pc-testdev" ISA test device, the one kvm-unit-tests drives
 * (QEMU hw/misc/pc-testdev.c; behaviour re-implemented, not its code):
 *  - 0xE0-0xE3: a 32-bit scratch register, any width at any offset;
 *  - 0xE4: "flush page", a 32-bit write of a guest-physical address;
 *  - 0xE8-0xEB: the same scratch register, one byte per port;
 *  - 0x2000-0x2017: a byte written to 0x2000 + n sets ISA IRQ line n to
 *    high (nonzero) or low (0);
 *  - 0xFF000000: 64 KiB of RAM-like MMIO, accessed through exits (the
 *    emulator's path, which is what the tests exercise), not through EPT.
 * Pure logic (docs/device-models.md); the caller serialises calls on one
 * vtestdev. The struct embeds the 64 KiB buffer: allocate it with kmalloc
 * (zeroed), not on a stack. */
#ifndef HV_VTESTDEV_H
#define HV_VTESTDEV_H

#include "hv/compiler.h"
#include "hv/iobus.h"

#define VTESTDEV_PORT_SCRATCH 0xE0      /* 4 ports, any width */
#define VTESTDEV_PORT_FLUSH 0xE4        /* 4 ports, 32-bit writes */
#define VTESTDEV_PORT_SCRATCH_BYTE 0xE8 /* 4 ports, the scratch bytes */
#define VTESTDEV_PORT_LOW_BASE VTESTDEV_PORT_SCRATCH
#define VTESTDEV_PORT_LOW_LEN 12 /* 0xE0-0xEB, one io bus range */
#define VTESTDEV_PORT_IRQ 0x2000
#define VTESTDEV_NR_IRQS 24 /* ISA lines 0-23 */
#define VTESTDEV_MMIO_BASE 0xFF000000ULL
#define VTESTDEV_MMIO_SIZE 0x10000

#define VTESTDEV_FLUSH_PAGE_MASK (~0xFFFULL) /* the page of the written address */

struct vtestdev_config {
	/* Drives ISA line `line` (0-23) to `level` (0 or 1) on every byte
	 * written to its port, repeated levels included, as QEMU does; the
	 * VM routes it to the PIC and IOAPIC pins. May be NULL. */
	void (*set_irq)(void *ctx, uint32_t line, int level);
	/* A 32-bit write to 0xE4: QEMU drops the host mapping of the page at
	 * `gpa` (page aligned) so the guest's next access faults it back in;
	 * here that would be zapping its EPT entry. May be NULL: the write is
	 * accepted and ignored. */
	void (*flush_page)(void *ctx, uint64_t gpa);
	void *ctx;
};

struct vtestdev {
	struct io_device pio;  /* 0xE0-0xEB and 0x2000-0x2017 */
	struct io_device mmio; /* VTESTDEV_MMIO_BASE, VTESTDEV_MMIO_SIZE bytes */
	struct vtestdev_config cfg;
	uint32_t scratch;
	uint8_t mem[VTESTDEV_MMIO_SIZE];
};

/* -EINVAL for a NULL device. The scratch register and memory start at 0. */
int vtestdev_init(struct vtestdev *t, const struct vtestdev_config *cfg);
/* Claims the ports on `pio` and the memory on `mmio`; on failure nothing
 * stays registered. There is no reset function: QEMU's device has none,
 * so the scratch register and memory survive a platform reset. */
int vtestdev_register(struct vtestdev *t, struct io_bus *pio, struct io_bus *mmio);

/* Port handlers: 1, 2 or 4 bytes, wholly inside 0xE0-0xEB or inside
 * 0x2000-0x2017, else -EINVAL. Each byte of an access in 0xE0-0xEB acts on
 * its own port; 0xE0-0xE3 and 0xE8-0xEB both map port p to scratch byte
 * p & 3. The flush port and the IRQ ports read 0; only a 32-bit write at
 * 0xE4 flushes and only byte writes set IRQ lines (QEMU refuses other
 * widths there), other writes to them are ignored. */
int vtestdev_pio_read(struct vtestdev *t, uint64_t port, uint32_t len, uint64_t *val);
int vtestdev_pio_write(struct vtestdev *t, uint64_t port, uint32_t len, uint64_t val);
/* Memory handlers: 1, 2, 4 or 8 bytes, little-endian, wholly inside the
 * window, else -EINVAL (an access crossing its end is refused). */
int vtestdev_mmio_read(struct vtestdev *t, uint64_t gpa, uint32_t len, uint64_t *val);
int vtestdev_mmio_write(struct vtestdev *t, uint64_t gpa, uint32_t len, uint64_t val);

#endif
