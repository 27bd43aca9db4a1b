/* QEMU's firmware configuration device (fw_cfg), legacy I/O interface only,
 * as QEMU's docs/specs/fw_cfg.rst describes it: a 16-bit selector at port
 * 0x510 picks an item and rewinds it, each byte read from the data port
 * 0x511 returns the item's next byte, 0 once past its end. No DMA interface
 * (FW_CFG_ID says so; port 0x514 is left to the bus, which floats it) and
 * no writable items. Firmware and test kernels (SeaBIOS, kvm-unit-tests)
 * read the CPU count and RAM size from it. Pure logic
 * (docs/device-models.md); the caller serialises calls on one vfwcfg. */
#ifndef HV_VFWCFG_H
#define HV_VFWCFG_H

#include "hv/compiler.h"
#include "hv/iobus.h"

#define VFWCFG_PORT_SELECTOR 0x510 /* write-only, 16-bit little-endian */
#define VFWCFG_PORT_DATA 0x511     /* read, 8-bit */
#define VFWCFG_NR_PORTS 2

/* Selector keys (fw_cfg.rst, "Selector Keys"). Every other key selects an
 * empty item: its data port reads 0. */
#define VFWCFG_KEY_SIGNATURE 0x0000 /* "QEMU" */
#define VFWCFG_KEY_ID 0x0001        /* 32-bit LE feature bitmap */
#define VFWCFG_KEY_RAM_SIZE 0x0003  /* 64-bit LE bytes */
#define VFWCFG_KEY_NB_CPUS 0x0005   /* 16-bit LE */
#define VFWCFG_KEY_MAX_CPUS 0x000F  /* 16-bit LE, the same count here: no hotplug */
#define VFWCFG_KEY_FILE_DIR 0x0019  /* 32-bit BE file count, then the files */
/* Bit 14 asks for write access to the item (fw_cfg.rst: writes are
 * optional, and ignored here); bit 15 selects the architecture's own items,
 * of which this board has none. */
#define VFWCFG_KEY_WRITE_CHANNEL 0x4000
#define VFWCFG_KEY_ARCH_LOCAL 0x8000

#define VFWCFG_ID_TRADITIONAL 0x1 /* bit 0: selector/data ports; bit 1 (DMA) clear */

#define VFWCFG_ITEM_MAX 8 /* the longest item served: the RAM size */

struct vfwcfg {
	struct io_device dev; /* 0x510-0x511 */
	uint64_t ram_bytes;
	uint16_t nr_cpus;
	uint16_t selector;             /* the last key written */
	uint8_t item[VFWCFG_ITEM_MAX]; /* the selected item's bytes */
	uint8_t item_len;
	uint8_t offset; /* next byte the data port returns; <= item_len */
};

/* A device describing a VM with `ram_bytes` of RAM and `nr_cpus` CPUs,
 * with the signature selected. -EINVAL (and one log line) for 0 CPUs. */
int vfwcfg_init(struct vfwcfg *fw, uint64_t ram_bytes, uint16_t nr_cpus);
/* Platform reset: selects the signature (offset 0), as after power-on. */
void vfwcfg_reset(struct vfwcfg *fw);
int vfwcfg_register(struct vfwcfg *fw, struct io_bus *pio);

/* The io_device handlers, also callable directly. Accesses of 1 or 2
 * bytes inside 0x510-0x511 return 0; anything else -EINVAL.
 *  - A 16-bit write at 0x510 selects an item and rewinds it. Writes of
 *    other widths are ignored: QEMU's selector is 16 bits, a byte write to
 *    it (or to the data port, whose writes QEMU also drops) changes nothing.
 *  - A byte read at 0x511 returns the next byte of the item, 0 past its end.
 *    Any other read (the write-only selector, a 16-bit read at 0x510)
 *    returns 0 and consumes nothing. */
int vfwcfg_read(struct vfwcfg *fw, uint64_t port, uint32_t len, uint64_t *val);
int vfwcfg_write(struct vfwcfg *fw, uint64_t port, uint32_t len, uint64_t val);

#endif
