/* I/O buses (KVM's kvm_io_bus): port I/O and MMIO ranges that in-core
 * devices register; an access nobody claims is for the VMM layer. */
#ifndef HV_IOBUS_H
#define HV_IOBUS_H

#include "hv/compiler.h"

#define IOBUS_MAX_DEVICES 32

struct io_device;

/* A device knows its registers, not who calls it. `addr` is the port or
 * guest-physical address, `len` 1, 2, 4 or 8. Return 0, or a negative errno
 * for an access the device refuses (the caller then treats it as
 * unclaimed). */
struct io_device_ops {
	int (*read)(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val);
	int (*write)(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val);
};

struct io_device {
	const struct io_device_ops *ops;
	void *opaque;
	const char *name;
	uint32_t flags; /* IO_DEV_* */
};

/* The device's writes change no timer, and every interrupt they make
 * deliverable goes out through the irqchip, which kicks the vCPUs it
 * concerns: the bus need not ask the writing vCPU to re-examine its
 * events and timers after each write (a full poll on the next entry). */
#define IO_DEV_WRITES_SIGNAL_THEMSELVES (1u << 0)

struct io_range {
	uint64_t base, len;
	struct io_device *dev;
};

struct io_bus {
	struct io_range range[IOBUS_MAX_DEVICES]; /* sorted by base, disjoint */
	uint32_t count;
	uint32_t generation; /* bumped by every (un)registration */
};

/* A one-entry lookup cache (per vCPU: no sharing, no locking). It holds a
 * span of addresses that all answer alike: a device's range (an index and
 * a data register alternate), or a gap no device claims. An access inside
 * the span skips the search. */
struct io_bus_cache {
	uint64_t base, end;  /* the span [base, end); empty: nothing cached */
	uint32_t generation; /* of the bus when it was filled */
	const struct io_range *range; /* NULL: a gap */
};

enum io_bus_kind { IO_BUS_PIO, IO_BUS_MMIO, IO_BUS_COUNT };

/* -EEXIST on overlap, -ENOSPC when full, -EINVAL for an empty range. */
int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, struct io_device *dev);
int io_bus_unregister(struct io_bus *bus, struct io_device *dev);
/* -ENODEV when no device claims the whole access. */
int io_bus_read(const struct io_bus *bus, uint64_t addr, uint32_t len, uint64_t *val);
int io_bus_write(const struct io_bus *bus, uint64_t addr, uint32_t len, uint64_t val);
bool io_bus_claims(const struct io_bus *bus, uint64_t addr, uint32_t len);
/* The range that claims the whole access, or NULL. Registration happens
 * while a VM is built, so lookups need no lock; calling the device may. */
const struct io_range *io_bus_find(const struct io_bus *bus, uint64_t addr, uint32_t len);

/* io_bus_find, remembered in *c (io_bus_find_cached's miss path). */
const struct io_range *io_bus_find_and_cache(const struct io_bus *bus, struct io_bus_cache *c, uint64_t addr,
					     uint32_t len);

static inline const struct io_range *io_bus_find_cached(const struct io_bus *bus, struct io_bus_cache *c,
							 uint64_t addr, uint32_t len)
{
	if (likely(c->generation == bus->generation && addr >= c->base && addr + len <= c->end))
		return c->range;
	return io_bus_find_and_cache(bus, c, addr, len);
}

#endif
