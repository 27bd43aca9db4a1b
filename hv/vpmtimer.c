/* ACPI PM timer model. Reads return the counter (wrapping at 2^24 or
 * 2^32); byte and word reads at an offset return those bytes of it, which
 * is what a 32-bit register behind the chipset's byte enables gives. Writes
 * are ignored: the timer cannot be set (ACPI 4.8.3.3). */
#include "hv/vpmtimer.h"
#include "hv/log.h"
#include "hv/string.h"

#define NS_PER_SEC 1000000000ULL

static const struct io_device_ops vpmtimer_ops;

/* Split at whole seconds so that nothing overflows. */
static uint64_t ns_to_ticks(uint64_t ns)
{
	return ns / NS_PER_SEC * PMTIMER_FREQ_HZ + ns % NS_PER_SEC * PMTIMER_FREQ_HZ / NS_PER_SEC;
}

void vpmtimer_init(struct vpmtimer *pm, const struct vclock *clock, uint16_t port, bool ext32)
{
	memset(pm, 0, sizeof(*pm));
	pm->dev.ops = &vpmtimer_ops;
	pm->dev.opaque = pm;
	pm->dev.name = "pmtimer";
	pm->clock = *clock;
	pm->port = port;
	pm->mask = ext32 ? 0xffffffffu : 0xffffffu;
}

uint32_t vpmtimer_read(const struct vpmtimer *pm)
{
	return (uint32_t)ns_to_ticks(vclock_now(&pm->clock)) & pm->mask;
}

/* Bytes outside the 4-byte register read as a floating bus. */
static int pm_io_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	struct vpmtimer *pm = dev->opaque;
	uint32_t v = vpmtimer_read(pm);

	*val = 0;
	for (uint32_t i = 0; i < len && i < 8; i++) {
		uint64_t off = addr + i - pm->port;
		uint8_t b = 0xff;

		if (addr + i >= pm->port && off < PMTIMER_LEN)
			b = (uint8_t)(v >> (8 * off));

		*val |= (uint64_t)b << (8 * i);
	}
	return 0;
}

static int pm_io_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	return 0;
}

static const struct io_device_ops vpmtimer_ops = {
	.read = pm_io_read,
	.write = pm_io_write,
};

int vpmtimer_register(struct vpmtimer *pm, struct io_bus *bus)
{
	int rc = io_bus_register(bus, pm->port, PMTIMER_LEN, &pm->dev);

	if (rc)
		pr_err("pmtimer: cannot claim ports 0x%x-0x%x: error %d", pm->port,
		       pm->port + PMTIMER_LEN - 1, rc);
	return rc;
}
