/* PCI configuration mechanism #1 and the host bridge, written from the PCI
 * Local Bus Specification 3.0 (3.2.2.3.2, 6.1, 6.2) and the 82441FX PMC
 * register list.
 *
 * CONFIG_ADDRESS latches only full dword accesses at 0xCF8; anything else
 * in 0xCF8-0xCFB is ordinary I/O and goes to the `narrow` device (0xCF9,
 * the reset control register) a byte at a time. CONFIG_DATA at 0xCFC-0xCFF
 * becomes one configuration cycle for the function CONFIG_ADDRESS selects,
 * at register + (port & 3). With the enable bit clear, or for a function
 * nobody added, the cycle ends in a master abort: reads all ones,
 * writes dropped (3.2.2.3.2, 6.1). There are no PCI-to-PCI bridges, so
 * bus numbers are just part of the table key. */
#include "hv/vpci.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"

#define BDF(bus, dev, fn) ((uint16_t)((bus) << 8 | (dev) << 3 | (fn)))
#define BYTES_PER_DWORD 4

static uint32_t all_ones(uint32_t len)
{
	return len >= 4 ? 0xFFFFFFFFu : (1u << (8 * len)) - 1;
}

/* --- a configuration space in memory -------------------------------- */

static bool cfg_range_ok(uint32_t offset, uint32_t len)
{
	return len >= 1 && len <= 4 && offset < VPCI_CFG_SIZE && offset + len <= VPCI_CFG_SIZE;
}

uint32_t vpci_cfgspace_read(const struct vpci_cfgspace *cs, uint32_t offset, uint32_t len)
{
	uint32_t v = 0;

	if (!cfg_range_ok(offset, len))
		return all_ones(len);
	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)cs->data[offset + i] << (8 * i);
	return v;
}

void vpci_cfgspace_write(struct vpci_cfgspace *cs, uint32_t offset, uint32_t len, uint32_t val)
{
	if (!cfg_range_ok(offset, len))
		return;
	for (uint32_t i = 0; i < len; i++) {
		uint32_t o = offset + i;
		uint8_t b = (uint8_t)(val >> (8 * i));
		uint8_t v = (uint8_t)((cs->data[o] & ~cs->wmask[o]) | (b & cs->wmask[o]));

		cs->data[o] = v & (uint8_t)~(b & cs->w1cmask[o]);
	}
}

static void set_bytes(uint8_t *field, uint32_t offset, uint32_t len, uint32_t val)
{
	if (!cfg_range_ok(offset, len))
		return;
	for (uint32_t i = 0; i < len; i++)
		field[offset + i] = (uint8_t)(val >> (8 * i));
}

void vpci_cfgspace_set(struct vpci_cfgspace *cs, uint32_t offset, uint32_t len, uint32_t val)
{
	set_bytes(cs->data, offset, len, val);
}

void vpci_cfgspace_set_wmask(struct vpci_cfgspace *cs, uint32_t offset, uint32_t len,
			     uint32_t mask)
{
	set_bytes(cs->wmask, offset, len, mask);
}

void vpci_cfgspace_set_w1cmask(struct vpci_cfgspace *cs, uint32_t offset, uint32_t len,
			       uint32_t mask)
{
	set_bytes(cs->w1cmask, offset, len, mask);
}

static uint32_t cfgspace_op_read(void *ctx, uint32_t offset, uint32_t len)
{
	return vpci_cfgspace_read(ctx, offset, len);
}

static void cfgspace_op_write(void *ctx, uint32_t offset, uint32_t len, uint32_t val)
{
	vpci_cfgspace_write(ctx, offset, len, val);
}

const struct vpci_func_ops vpci_cfgspace_ops = {
	.read = cfgspace_op_read,
	.write = cfgspace_op_write,
};

/* --- the host bridge ------------------------------------------------ */

/* A host bridge always decodes memory and masters the bus, so those
 * command bits read 1 and do not change; only the error-reporting enables
 * are writable. Its BARs, ROM BAR, interrupt registers and the
 * chipset-specific space from 0x40 (PAM, DRAM rows, SMRAM on a real
 * 440FX) read 0 and ignore writes: there is nothing behind them here. */
static void host_bridge_init(struct vpci_cfgspace *cs)
{
	memset(cs, 0, sizeof(*cs));
	vpci_cfgspace_set(cs, VPCI_VENDOR_ID, 2, VPCI_HOST_VENDOR);
	vpci_cfgspace_set(cs, VPCI_DEVICE_ID, 2, VPCI_HOST_DEVICE);
	vpci_cfgspace_set(cs, VPCI_COMMAND, 2, VPCI_COMMAND_MEMORY | VPCI_COMMAND_MASTER);
	vpci_cfgspace_set_wmask(cs, VPCI_COMMAND, 2, VPCI_COMMAND_PARITY | VPCI_COMMAND_SERR);
	vpci_cfgspace_set(cs, VPCI_STATUS, 2, VPCI_STATUS_FAST_B2B | VPCI_STATUS_DEVSEL_MEDIUM);
	vpci_cfgspace_set_w1cmask(cs, VPCI_STATUS, 2, VPCI_STATUS_ERRORS);
	vpci_cfgspace_set(cs, VPCI_REVISION_ID, 1, VPCI_HOST_REVISION);
	vpci_cfgspace_set(cs, VPCI_PROG_IF, 3, VPCI_HOST_CLASS);
	/* 82441FX MLT: the low three bits of the latency timer are fixed 0. */
	vpci_cfgspace_set_wmask(cs, VPCI_LATENCY_TIMER, 1, 0xF8);
	vpci_cfgspace_set(cs, VPCI_HEADER_TYPE, 1, 0x00); /* type 0, single function */
}

/* --- the function table --------------------------------------------- */

static struct vpci_func *find_func(struct vpci *pci, uint16_t bdf)
{
	for (uint32_t i = 0; i < pci->nr_funcs; i++) {
		if (pci->func[i].bdf == bdf)
			return &pci->func[i];
	}
	return NULL;
}

static bool address_ok(uint8_t dev, uint8_t fn)
{
	return dev < VPCI_MAX_DEV && fn < VPCI_MAX_FN;
}

int vpci_add_function(struct vpci *pci, uint8_t bus, uint8_t dev, uint8_t fn,
		      const struct vpci_func_ops *ops, void *ctx)
{
	if (!address_ok(dev, fn) || !ops || !ops->read) {
		pr_err("vpci: cannot add %02x:%02x.%x: bad address or no read handler", bus,
		       dev, fn);
		return -EINVAL;
	}
	uint16_t bdf = BDF(bus, dev, fn);

	if (find_func(pci, bdf)) {
		pr_err("vpci: %02x:%02x.%x is already taken", bus, dev, fn);
		return -EEXIST;
	}
	if (pci->nr_funcs == VPCI_MAX_FUNCS) {
		pr_err("vpci: no room for %02x:%02x.%x (%u functions)", bus, dev, fn,
		       (unsigned int)VPCI_MAX_FUNCS);
		return -ENOSPC;
	}
	pci->func[pci->nr_funcs++] = (struct vpci_func){ .bdf = bdf, .ops = ops, .ctx = ctx };
	return 0;
}

int vpci_remove_function(struct vpci *pci, uint8_t bus, uint8_t dev, uint8_t fn)
{
	struct vpci_func *f = address_ok(dev, fn) ? find_func(pci, BDF(bus, dev, fn)) : NULL;

	if (!f)
		return -ENOENT;
	*f = pci->func[--pci->nr_funcs];
	return 0;
}

static bool cycle_ok(uint8_t dev, uint8_t fn, uint32_t offset, uint32_t len)
{
	return address_ok(dev, fn) && len >= 1 && len <= 4 && offset < VPCI_CFG_SIZE &&
	       offset % BYTES_PER_DWORD + len <= BYTES_PER_DWORD;
}

uint32_t vpci_config_read(struct vpci *pci, uint8_t bus, uint8_t dev, uint8_t fn,
			  uint32_t offset, uint32_t len)
{
	if (!cycle_ok(dev, fn, offset, len))
		return all_ones(len);
	const struct vpci_func *f = find_func(pci, BDF(bus, dev, fn));

	if (!f)
		return all_ones(len); /* master abort */
	return f->ops->read(f->ctx, offset, len) & all_ones(len);
}

void vpci_config_write(struct vpci *pci, uint8_t bus, uint8_t dev, uint8_t fn, uint32_t offset,
		       uint32_t len, uint32_t val)
{
	if (!cycle_ok(dev, fn, offset, len))
		return;
	const struct vpci_func *f = find_func(pci, BDF(bus, dev, fn));

	if (f && f->ops->write)
		f->ops->write(f->ctx, offset, len, val & all_ones(len));
}

/* --- the ports ------------------------------------------------------ */

struct cycle {
	bool enabled;
	uint8_t bus, dev, fn;
	uint32_t reg;
};

static struct cycle decode(uint32_t address)
{
	return (struct cycle){
		.enabled = address & VPCI_ADDR_ENABLE,
		.bus = (uint8_t)(address >> VPCI_ADDR_BUS_SHIFT),
		.dev = (uint8_t)(address >> VPCI_ADDR_DEV_SHIFT & (VPCI_MAX_DEV - 1)),
		.fn = (uint8_t)(address >> VPCI_ADDR_FN_SHIFT & (VPCI_MAX_FN - 1)),
		.reg = address & VPCI_ADDR_REG_MASK,
	};
}

static uint8_t narrow_read(struct vpci *pci, uint64_t port)
{
	struct io_device *d = pci->narrow;
	uint64_t v;

	if (d && d != &pci->dev && d->ops && d->ops->read && d->ops->read(d, port, 1, &v) == 0)
		return (uint8_t)v;
	return 0xFF; /* nothing answers: the bus floats high */
}

static void narrow_write(struct vpci *pci, uint64_t port, uint8_t v)
{
	struct io_device *d = pci->narrow;

	if (d && d != &pci->dev && d->ops && d->ops->write)
		d->ops->write(d, port, 1, v);
}

static bool ports_ok(uint64_t port, uint32_t len)
{
	return (len == 1 || len == 2 || len == 4) && port >= VPCI_CONFIG_ADDRESS &&
	       port - VPCI_CONFIG_ADDRESS + len <= VPCI_NR_PORTS;
}

static bool is_config_address(uint64_t port, uint32_t len)
{
	return port == VPCI_CONFIG_ADDRESS && len == BYTES_PER_DWORD;
}

/* An access anywhere else is split the way the bus splits it: bytes in
 * 0xCF8-0xCFB are ordinary I/O, the rest is one CONFIG_DATA cycle. */
int vpci_read(struct vpci *pci, uint64_t port, uint32_t len, uint64_t *val)
{
	if (!ports_ok(port, len))
		return -EINVAL;
	if (is_config_address(port, len)) {
		*val = pci->config_address;
		return 0;
	}
	uint64_t end = port + len, p = port, v = 0;

	for (; p < end && p < VPCI_CONFIG_DATA; p++)
		v |= (uint64_t)narrow_read(pci, p) << (8 * (p - port));
	if (p < end) {
		struct cycle c = decode(pci->config_address);
		uint32_t n = (uint32_t)(end - p), off = (uint32_t)(p - VPCI_CONFIG_DATA);
		uint32_t data = c.enabled ? vpci_config_read(pci, c.bus, c.dev, c.fn, c.reg + off, n)
					  : all_ones(n);

		v |= (uint64_t)data << (8 * (p - port));
	}
	*val = v;
	return 0;
}

int vpci_write(struct vpci *pci, uint64_t port, uint32_t len, uint64_t val)
{
	if (!ports_ok(port, len))
		return -EINVAL;
	if (is_config_address(port, len)) {
		pci->config_address = (uint32_t)val & VPCI_ADDR_MASK;
		return 0;
	}
	uint64_t end = port + len, p = port;

	for (; p < end && p < VPCI_CONFIG_DATA; p++)
		narrow_write(pci, p, (uint8_t)(val >> (8 * (p - port))));
	if (p < end) {
		struct cycle c = decode(pci->config_address);
		uint32_t n = (uint32_t)(end - p), off = (uint32_t)(p - VPCI_CONFIG_DATA);

		if (c.enabled)
			vpci_config_write(pci, c.bus, c.dev, c.fn, c.reg + off, n,
					  (uint32_t)(val >> (8 * (p - port))));
	}
	return 0;
}

static int io_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	return vpci_read(dev->opaque, addr, len, val);
}

static int io_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	return vpci_write(dev->opaque, addr, len, val);
}

static const struct io_device_ops vpci_io_ops = {
	.read = io_read,
	.write = io_write,
};

void vpci_reset(struct vpci *pci)
{
	pci->config_address = 0;
	host_bridge_init(&pci->host_bridge);
}

int vpci_init(struct vpci *pci, const struct vpci_config *cfg)
{
	if (!pci)
		return -EINVAL;
	memset(pci, 0, sizeof(*pci));
	pci->dev.ops = &vpci_io_ops;
	pci->dev.opaque = pci;
	pci->dev.name = "pci-cfg";
	pci->narrow = cfg ? cfg->narrow : NULL;
	vpci_reset(pci);
	return vpci_add_function(pci, 0, 0, 0, &vpci_cfgspace_ops, &pci->host_bridge);
}

int vpci_register(struct vpci *pci, struct io_bus *pio)
{
	return io_bus_register(pio, VPCI_CONFIG_ADDRESS, VPCI_NR_PORTS, &pci->dev);
}
