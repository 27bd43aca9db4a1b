/* PCI configuration mechanism #1 (PCI Local Bus Specification 3.0,
 * 3.2.2.3.2) with a table of configuration-space handlers per
 * bus/device/function, and the host bridge at 00:00.0 (an Intel 440FX PMC,
 * like the chipset QEMU's "pc" machine models). Pure logic
 * (docs/device-models.md); the caller serialises calls on one vpci. */
#ifndef HV_VPCI_H
#define HV_VPCI_H

#include "hv/compiler.h"
#include "hv/iobus.h"

#define VPCI_CONFIG_ADDRESS 0xCF8 /* 32-bit accesses only */
#define VPCI_CONFIG_DATA 0xCFC    /* 0xCFC-0xCFF */
#define VPCI_NR_PORTS 8           /* 0xCF8-0xCFF */

/* CONFIG_ADDRESS fields (3.2.2.3.2, figure 3-2). */
#define VPCI_ADDR_ENABLE 0x80000000u
#define VPCI_ADDR_MASK 0x80FFFFFCu /* bits 30:24 and 1:0 read as 0 */
#define VPCI_ADDR_BUS_SHIFT 16
#define VPCI_ADDR_DEV_SHIFT 11
#define VPCI_ADDR_FN_SHIFT 8
#define VPCI_ADDR_REG_MASK 0xFCu

#define VPCI_MAX_DEV 32
#define VPCI_MAX_FN 8
#define VPCI_CFG_SIZE 256
#define VPCI_MAX_FUNCS 32 /* functions one vpci can hold */

/* Type 0 header offsets (PCI 3.0, 6.1). */
#define VPCI_VENDOR_ID 0x00
#define VPCI_DEVICE_ID 0x02
#define VPCI_COMMAND 0x04
#define VPCI_STATUS 0x06
#define VPCI_REVISION_ID 0x08
#define VPCI_PROG_IF 0x09
#define VPCI_SUBCLASS 0x0A
#define VPCI_BASE_CLASS 0x0B
#define VPCI_CACHE_LINE_SIZE 0x0C
#define VPCI_LATENCY_TIMER 0x0D
#define VPCI_HEADER_TYPE 0x0E
#define VPCI_BIST 0x0F
#define VPCI_BAR0 0x10
#define VPCI_BAR5 0x24
#define VPCI_SUBSYSTEM_VENDOR_ID 0x2C
#define VPCI_SUBSYSTEM_ID 0x2E
#define VPCI_ROM_ADDRESS 0x30
#define VPCI_CAPABILITY_LIST 0x34
#define VPCI_INTERRUPT_LINE 0x3C
#define VPCI_INTERRUPT_PIN 0x3D

#define VPCI_COMMAND_IO 0x0001
#define VPCI_COMMAND_MEMORY 0x0002
#define VPCI_COMMAND_MASTER 0x0004
#define VPCI_COMMAND_PARITY 0x0040
#define VPCI_COMMAND_SERR 0x0100
#define VPCI_STATUS_FAST_B2B 0x0080
#define VPCI_STATUS_DEVSEL_MEDIUM 0x0200
#define VPCI_STATUS_ERRORS 0xF900 /* bits 15:11 and 8: write 1 to clear */

/* The host bridge (82441FX PMC datasheet, configuration registers). */
#define VPCI_HOST_VENDOR 0x8086
#define VPCI_HOST_DEVICE 0x1237
#define VPCI_HOST_REVISION 0x02
#define VPCI_HOST_CLASS 0x060000 /* bridge / host bridge / 0 */

/* A function's configuration space. `offset` is 0..255 and the access
 * stays inside one dword (offset % 4 + len <= 4, len 1..4): the byte
 * enables of one configuration cycle. Reads return the value in the low
 * len bytes. */
struct vpci_func_ops {
	uint32_t (*read)(void *ctx, uint32_t offset, uint32_t len);
	void (*write)(void *ctx, uint32_t offset, uint32_t len, uint32_t val);
};

/* A ready-made configuration space for simple functions: the bytes, which
 * bits software may write, and which are write-1-to-clear. Use it with
 * vpci_cfgspace_ops (ctx = the struct), or call vpci_cfgspace_read/write
 * from a function's own ops for the registers it does not handle itself. */
struct vpci_cfgspace {
	uint8_t data[VPCI_CFG_SIZE];
	uint8_t wmask[VPCI_CFG_SIZE];
	uint8_t w1cmask[VPCI_CFG_SIZE];
};

extern const struct vpci_func_ops vpci_cfgspace_ops;
uint32_t vpci_cfgspace_read(const struct vpci_cfgspace *cs, uint32_t offset, uint32_t len);
void vpci_cfgspace_write(struct vpci_cfgspace *cs, uint32_t offset, uint32_t len, uint32_t val);
/* Little-endian helpers to build a space: set the value (and the masks). */
void vpci_cfgspace_set(struct vpci_cfgspace *cs, uint32_t offset, uint32_t len, uint32_t val);
void vpci_cfgspace_set_wmask(struct vpci_cfgspace *cs, uint32_t offset, uint32_t len,
			     uint32_t mask);
void vpci_cfgspace_set_w1cmask(struct vpci_cfgspace *cs, uint32_t offset, uint32_t len,
			       uint32_t mask);

struct vpci_func {
	uint16_t bdf; /* bus << 8 | dev << 3 | fn */
	const struct vpci_func_ops *ops;
	void *ctx;
};

struct vpci_config {
	/* Byte and word accesses to 0xCF8-0xCFB are not CONFIG_ADDRESS
	 * (3.2.2.3.2: they are "normal I/O"); on PIIX/ICH chipsets 0xCF9 is
	 * the reset control register. They go, one byte at a time, to this
	 * device (e.g. &vreset.dev); NULL: nothing there (reads all ones). */
	struct io_device *narrow;
};

struct vpci {
	struct io_device dev; /* register at 0xCF8, VPCI_NR_PORTS ports */
	struct io_device *narrow;
	uint32_t config_address;
	struct vpci_func func[VPCI_MAX_FUNCS];
	uint32_t nr_funcs;
	struct vpci_cfgspace host_bridge;
};

/* Sets up the mechanism and adds the host bridge at 00:00.0. */
int vpci_init(struct vpci *pci, const struct vpci_config *cfg);
/* CONFIG_ADDRESS back to 0; the host bridge's writable registers back to
 * their power-on values. Other functions reset themselves. */
void vpci_reset(struct vpci *pci);
/* Registers pci->dev at 0xCF8-0xCFF on a port I/O bus. */
int vpci_register(struct vpci *pci, struct io_bus *pio);

/* Puts a function's configuration-space handlers at bus:dev.fn (ctx is
 * passed to them). -EINVAL for a bad address or no read handler (a NULL
 * write handler makes the space read-only), -EEXIST when the address is
 * taken, -ENOSPC when the table is full; each with one pr_err line.
 * Software only looks for functions 1-7 when function 0 says it is
 * multi-function (header type bit 7): adding those is the caller's
 * business. There are no PCI-to-PCI bridges: a function on bus N answers
 * type 0 cycles for bus N. */
int vpci_add_function(struct vpci *pci, uint8_t bus, uint8_t dev, uint8_t fn,
		      const struct vpci_func_ops *ops, void *ctx);
/* -ENOENT when nothing is there. */
int vpci_remove_function(struct vpci *pci, uint8_t bus, uint8_t dev, uint8_t fn);

/* A configuration access as the guest would make it, without the ports:
 * absent functions read all ones and ignore writes. offset % 4 + len must
 * be at most 4 (else all ones / ignored). */
uint32_t vpci_config_read(struct vpci *pci, uint8_t bus, uint8_t dev, uint8_t fn,
			  uint32_t offset, uint32_t len);
void vpci_config_write(struct vpci *pci, uint8_t bus, uint8_t dev, uint8_t fn, uint32_t offset,
		       uint32_t len, uint32_t val);

/* The io_device handlers, also callable directly. An access must lie in
 * 0xCF8-0xCFF (else -EINVAL); only a dword at 0xCF8 is CONFIG_ADDRESS. */
int vpci_read(struct vpci *pci, uint64_t port, uint32_t len, uint64_t *val);
int vpci_write(struct vpci *pci, uint64_t port, uint32_t len, uint64_t val);

#endif
