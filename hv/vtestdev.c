/* pc-testdev, from the behaviour kvm-unit-tests expects of QEMU's device.
 *
 * The low ports are handled one byte at a time: the scratch register and
 * its byte view are a 32-bit register behind byte enables, so a word at
 * 0xE2 is bytes 2 and 3 and a dword at 0xE8 writes all four, whatever the
 * split. Only the flush register needs the whole access (one 32-bit
 * address), and the IRQ ports take bytes only. */
#include "hv/vtestdev.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"

static bool pio_width(uint32_t len)
{
	return len == 1 || len == 2 || len == 4;
}

static bool in_window(uint64_t addr, uint32_t len, uint64_t base, uint64_t size)
{
	return addr >= base && addr - base <= size && len <= size - (addr - base);
}

static uint8_t low_read_byte(const struct vtestdev *t, uint64_t port)
{
	uint64_t off = port - VTESTDEV_PORT_LOW_BASE;

	if (port >= VTESTDEV_PORT_FLUSH && port < VTESTDEV_PORT_SCRATCH_BYTE)
		return 0; /* write-only */
	return (uint8_t)(t->scratch >> (8 * (off & 3)));
}

static void low_write_byte(struct vtestdev *t, uint64_t port, uint8_t v)
{
	uint32_t shift = 8 * (uint32_t)((port - VTESTDEV_PORT_LOW_BASE) & 3);

	if (port >= VTESTDEV_PORT_FLUSH && port < VTESTDEV_PORT_SCRATCH_BYTE)
		return;
	t->scratch = (t->scratch & ~(0xFFu << shift)) | (uint32_t)v << shift;
}

int vtestdev_pio_read(struct vtestdev *t, uint64_t port, uint32_t len, uint64_t *val)
{
	uint64_t v = 0;

	if (!pio_width(len))
		return -EINVAL;
	if (in_window(port, len, VTESTDEV_PORT_IRQ, VTESTDEV_NR_IRQS)) {
		*val = 0; /* the lines are outputs only */
		return 0;
	}
	if (!in_window(port, len, VTESTDEV_PORT_LOW_BASE, VTESTDEV_PORT_LOW_LEN))
		return -EINVAL;
	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)low_read_byte(t, port + i) << (8 * i);
	*val = v;
	return 0;
}

int vtestdev_pio_write(struct vtestdev *t, uint64_t port, uint32_t len, uint64_t val)
{
	if (!pio_width(len))
		return -EINVAL;
	if (in_window(port, len, VTESTDEV_PORT_IRQ, VTESTDEV_NR_IRQS)) {
		if (len == 1 && t->cfg.set_irq)
			t->cfg.set_irq(t->cfg.ctx, (uint32_t)(port - VTESTDEV_PORT_IRQ),
				       (val & 0xFF) != 0);
		return 0;
	}
	if (!in_window(port, len, VTESTDEV_PORT_LOW_BASE, VTESTDEV_PORT_LOW_LEN))
		return -EINVAL;
	if (port == VTESTDEV_PORT_FLUSH && len == 4) {
		if (t->cfg.flush_page)
			t->cfg.flush_page(t->cfg.ctx, val & 0xFFFFFFFFu & VTESTDEV_FLUSH_PAGE_MASK);
		return 0;
	}
	for (uint32_t i = 0; i < len; i++)
		low_write_byte(t, port + i, (uint8_t)(val >> (8 * i)));
	return 0;
}

static bool mmio_access_ok(uint64_t gpa, uint32_t len)
{
	return (len == 1 || len == 2 || len == 4 || len == 8) &&
	       in_window(gpa, len, VTESTDEV_MMIO_BASE, VTESTDEV_MMIO_SIZE);
}

int vtestdev_mmio_read(struct vtestdev *t, uint64_t gpa, uint32_t len, uint64_t *val)
{
	uint64_t v = 0;

	if (!mmio_access_ok(gpa, len))
		return -EINVAL;
	const uint8_t *p = &t->mem[gpa - VTESTDEV_MMIO_BASE];

	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	*val = v;
	return 0;
}

int vtestdev_mmio_write(struct vtestdev *t, uint64_t gpa, uint32_t len, uint64_t val)
{
	if (!mmio_access_ok(gpa, len))
		return -EINVAL;
	uint8_t *p = &t->mem[gpa - VTESTDEV_MMIO_BASE];

	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(val >> (8 * i));
	return 0;
}

static int pio_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	return vtestdev_pio_read(dev->opaque, addr, len, val);
}

static int pio_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	return vtestdev_pio_write(dev->opaque, addr, len, val);
}

static int mmio_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	return vtestdev_mmio_read(dev->opaque, addr, len, val);
}

static int mmio_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	return vtestdev_mmio_write(dev->opaque, addr, len, val);
}

static const struct io_device_ops vtestdev_pio_ops = {
	.read = pio_read,
	.write = pio_write,
};

static const struct io_device_ops vtestdev_mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
};

int vtestdev_init(struct vtestdev *t, const struct vtestdev_config *cfg)
{
	if (!t)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	if (cfg)
		t->cfg = *cfg;
	t->pio.ops = &vtestdev_pio_ops;
	t->pio.opaque = t;
	t->pio.name = "pc-testdev";
	t->mmio.ops = &vtestdev_mmio_ops;
	t->mmio.opaque = t;
	t->mmio.name = "pc-testdev-iomem";
	return 0;
}

int vtestdev_register(struct vtestdev *t, struct io_bus *pio, struct io_bus *mmio)
{
	int rc = io_bus_register(pio, VTESTDEV_PORT_LOW_BASE, VTESTDEV_PORT_LOW_LEN, &t->pio);

	if (!rc)
		rc = io_bus_register(pio, VTESTDEV_PORT_IRQ, VTESTDEV_NR_IRQS, &t->pio);
	if (!rc)
		rc = io_bus_register(mmio, VTESTDEV_MMIO_BASE, VTESTDEV_MMIO_SIZE, &t->mmio);
	if (rc) {
		io_bus_unregister(pio, &t->pio);
		io_bus_unregister(mmio, &t->mmio);
		pr_err("pc-testdev: cannot claim ports 0xe0-0xeb, 0x2000-0x2017, memory 0xff000000-0xff00ffff: error %d",
		       rc);
	}
	return rc;
}
