/* ACPI PM1 event and control registers, from ACPI 6.x 4.8.3.1-4.8.3.2.
 *
 * An access is first gathered into (value, byte mask) per 16-bit register
 * and then applied register by register, so a word write and the two byte
 * writes that make it up leave the same state, and a sleep request sees
 * the SLP_TYP written with it whichever byte carried which field. */
#include "hv/vacpi_pm.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"

enum { REG_STS, REG_EN, REG_CNT, NR_REGS };

static void update_sci(struct vacpi_pm *pm)
{
	/* SCI_EN is hardwired to 1, so only the events gate the SCI. */
	int level = (pm->sts & pm->en & VACPI_PM1_EN_SCI_EVENTS) != 0;

	if (level == pm->sci)
		return;
	pm->sci = level;
	irq_out_set(&pm->cfg.sci, level);
}

static uint16_t reg_read(const struct vacpi_pm *pm, uint32_t reg)
{
	switch (reg) {
	case REG_STS:
		return pm->sts;
	case REG_EN:
		return pm->en;
	default:
		return (uint16_t)(pm->cnt | VACPI_PM1_CNT_SCI_EN);
	}
}

/* Writes `val` into the bytes of register `reg` that `mask` selects.
 * Returns true when the write asks for a sleep state. */
static bool reg_write(struct vacpi_pm *pm, uint32_t reg, uint16_t val, uint16_t mask)
{
	uint16_t v = val & mask;

	switch (reg) {
	case REG_STS:
		pm->sts &= (uint16_t)~v; /* write 1 to clear, 0 leaves alone */
		return false;
	case REG_EN:
		pm->en = (uint16_t)((pm->en & ~mask) | (v & VACPI_PM1_EN_MASK));
		return false;
	default:
		/* SCI_EN ignores writes (no legacy mode to return to); GBL_RLS
		 * and SLP_EN are strobes, not state. */
		pm->cnt = (uint16_t)((pm->cnt & ~mask) | (v & VACPI_PM1_CNT_RW));
		return (v & VACPI_PM1_CNT_SLP_EN) != 0;
	}
}

static bool inside(uint64_t port, uint32_t len)
{
	return (len == 1 || len == 2 || len == 4) && port >= VACPI_PM1A_EVT_BLK &&
	       port - VACPI_PM1A_EVT_BLK + len <= VACPI_PM_NR_PORTS;
}

int vacpi_pm_read(struct vacpi_pm *pm, uint64_t port, uint32_t len, uint64_t *val)
{
	uint64_t v = 0;

	if (!inside(port, len))
		return -EINVAL;
	for (uint32_t i = 0; i < len; i++) {
		uint32_t off = (uint32_t)(port - VACPI_PM1A_EVT_BLK) + i;
		uint8_t b = (uint8_t)(reg_read(pm, off / 2) >> (8 * (off & 1)));

		v |= (uint64_t)b << (8 * i);
	}
	*val = v;
	return 0;
}

int vacpi_pm_write(struct vacpi_pm *pm, uint64_t port, uint32_t len, uint64_t val)
{
	uint16_t value[NR_REGS] = { 0 }, mask[NR_REGS] = { 0 };
	bool sleep = false;

	if (!inside(port, len))
		return -EINVAL;
	for (uint32_t i = 0; i < len; i++) {
		uint32_t off = (uint32_t)(port - VACPI_PM1A_EVT_BLK) + i;
		uint32_t shift = 8 * (off & 1);

		value[off / 2] |= (uint16_t)((val >> (8 * i) & 0xFF) << shift);
		mask[off / 2] |= (uint16_t)(0xFFu << shift);
	}
	for (uint32_t r = 0; r < NR_REGS; r++)
		if (mask[r])
			sleep |= reg_write(pm, r, value[r], mask[r]);
	update_sci(pm);
	if (sleep) {
		pm->sleeps++;
		if (pm->cfg.sleep)
			pm->cfg.sleep(pm->cfg.ctx,
				      (pm->cnt & VACPI_PM1_CNT_SLP_TYP) >> VACPI_PM1_CNT_SLP_TYP_SHIFT);
	}
	return 0;
}

void vacpi_pm_event(struct vacpi_pm *pm, uint16_t sts_bits)
{
	pm->sts |= sts_bits & VACPI_PM1_STS_MASK;
	update_sci(pm);
}

static int io_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	return vacpi_pm_read(dev->opaque, addr, len, val);
}

static int io_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	return vacpi_pm_write(dev->opaque, addr, len, val);
}

static const struct io_device_ops vacpi_pm_io_ops = {
	.read = io_read,
	.write = io_write,
};

void vacpi_pm_reset(struct vacpi_pm *pm)
{
	pm->sts = 0;
	pm->en = 0;
	pm->cnt = 0;
	update_sci(pm);
}

int vacpi_pm_init(struct vacpi_pm *pm, const struct vacpi_pm_config *cfg)
{
	if (!pm)
		return -EINVAL;
	memset(pm, 0, sizeof(*pm));
	if (cfg)
		pm->cfg = *cfg;
	pm->dev.ops = &vacpi_pm_io_ops;
	pm->dev.opaque = pm;
	pm->dev.name = "acpi-pm1";
	return 0;
}

int vacpi_pm_register(struct vacpi_pm *pm, struct io_bus *pio)
{
	int rc = io_bus_register(pio, VACPI_PM1A_EVT_BLK, VACPI_PM_NR_PORTS, &pm->dev);

	if (rc)
		pr_err("acpi-pm: cannot claim ports 0x%x-0x%x: error %d", VACPI_PM1A_EVT_BLK,
		       VACPI_PM1A_EVT_BLK + VACPI_PM_NR_PORTS - 1, rc);
	return rc;
}
