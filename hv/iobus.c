/* Range registration and dispatch; a binary search keeps dispatch cheap. */
#include "hv/iobus.h"
#include "hv/errno.h"
#include "hv/string.h"

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, struct io_device *dev)
{
	if (!len || base + len < base || !dev || !dev->ops)
		return -EINVAL;
	if (bus->count == IOBUS_MAX_DEVICES)
		return -ENOSPC;
	uint32_t i = 0;
	while (i < bus->count && bus->range[i].base < base)
		i++;
	if (i > 0 && bus->range[i - 1].base + bus->range[i - 1].len > base)
		return -EEXIST;
	if (i < bus->count && base + len > bus->range[i].base)
		return -EEXIST;
	memmove(&bus->range[i + 1], &bus->range[i], (bus->count - i) * sizeof(bus->range[0]));
	bus->range[i] = (struct io_range){base, len, dev};
	bus->count++;
	bus->generation = bus->generation + 1 ? bus->generation + 1 : 1;
	return 0;
}

int io_bus_unregister(struct io_bus *bus, struct io_device *dev)
{
	int removed = 0;
	for (uint32_t i = 0; i < bus->count;) {
		if (bus->range[i].dev == dev) {
			memmove(&bus->range[i], &bus->range[i + 1], (bus->count - i - 1) * sizeof(bus->range[0]));
			bus->count--;
			removed++;
			bus->generation = bus->generation + 1 ? bus->generation + 1 : 1;
		} else {
			i++;
		}
	}
	return removed ? 0 : -ENOENT;
}

const struct io_range *io_bus_find(const struct io_bus *bus, uint64_t addr, uint32_t len)
{
	uint32_t lo = 0, hi = bus->count;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		const struct io_range *r = &bus->range[mid];
		if (addr < r->base)
			hi = mid;
		else if (addr >= r->base + r->len)
			lo = mid + 1;
		else
			return addr + len <= r->base + r->len ? r : NULL;
	}
	return NULL;
}

const struct io_range *io_bus_find_and_cache(const struct io_bus *bus, struct io_bus_cache *c, uint64_t addr,
					     uint32_t len)
{
	const struct io_range *r = io_bus_find(bus, addr, len);
	uint64_t lo = 0, hi = UINT64_MAX; /* the gap around addr */

	if (r) {
		*c = (struct io_bus_cache){r->base, r->base + r->len, bus->generation, r};
		return r;
	}
	for (uint32_t i = 0; i < bus->count; i++) {
		if (bus->range[i].base > addr) {
			hi = bus->range[i].base;
			break;
		}
		lo = bus->range[i].base + bus->range[i].len;
	}
	/* addr inside a range (the access runs past its end): no gap */
	*c = (struct io_bus_cache){lo, lo <= addr ? hi : lo, bus->generation, NULL};
	return NULL;
}

bool io_bus_claims(const struct io_bus *bus, uint64_t addr, uint32_t len)
{
	return io_bus_find(bus, addr, len) != NULL;
}

int io_bus_read(const struct io_bus *bus, uint64_t addr, uint32_t len, uint64_t *val)
{
	const struct io_range *r = io_bus_find(bus, addr, len);
	if (!r || !r->dev->ops->read)
		return -ENODEV;
	return r->dev->ops->read(r->dev, addr, len, val);
}

int io_bus_write(const struct io_bus *bus, uint64_t addr, uint32_t len, uint64_t val)
{
	const struct io_range *r = io_bus_find(bus, addr, len);
	if (!r || !r->dev->ops->write)
		return -ENODEV;
	return r->dev->ops->write(r->dev, addr, len, val);
}
