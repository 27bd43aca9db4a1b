/* ACPI PM1 fixed-hardware registers (ACPI 6.x 4.8.3.1 PM1 Event Grouping,
 * 4.8.3.2 PM1 Control Grouping) of a PIIX4-like PM block at 0x600:
 * PM1a_EVT_BLK at 0x600 (PM1_STS, PM1_EN), PM1a_CNT_BLK at 0x604; the PM
 * timer at 0x608 is hv/vpmtimer.c. No PM1b blocks. The platform is always
 * in ACPI mode (no SMM, no SMI_CMD): SCI_EN reads 1. A write with SLP_EN
 * set asks for a sleep state through a callback, which decides what the
 * SLP_TYP value means; enabled events raise the SCI. Pure logic
 * (docs/device-models.md); the caller serialises calls on one vacpi_pm. */
#ifndef HV_VACPI_PM_H
#define HV_VACPI_PM_H

#include "hv/compiler.h"
#include "hv/devmodel.h"
#include "hv/iobus.h"

#define VACPI_PM1A_EVT_BLK 0x600 /* FADT PM1a_EVT_BLK */
#define VACPI_PM1_EVT_LEN 4      /* FADT PM1_EVT_LEN: STS then EN, 16 bits each */
#define VACPI_PM1A_CNT_BLK 0x604 /* FADT PM1a_CNT_BLK */
#define VACPI_PM1_CNT_LEN 2      /* FADT PM1_CNT_LEN */
#define VACPI_PM1_STS VACPI_PM1A_EVT_BLK
#define VACPI_PM1_EN (VACPI_PM1A_EVT_BLK + VACPI_PM1_EVT_LEN / 2)
#define VACPI_PM1_CNT VACPI_PM1A_CNT_BLK
#define VACPI_PM_NR_PORTS 6 /* 0x600-0x605, one io bus range */

#define VACPI_PM_SCI_IRQ 9 /* FADT SCI_INT, level-triggered, as on PIIX4 */

/* PM1_STS bits (4.8.3.1.1). Write 1 to clear; set by the platform only. */
#define VACPI_PM1_STS_TMR (1u << 0)    /* never set: no PM timer carry events */
#define VACPI_PM1_STS_BM (1u << 4)
#define VACPI_PM1_STS_GBL (1u << 5)
#define VACPI_PM1_STS_PWRBTN (1u << 8)
#define VACPI_PM1_STS_SLPBTN (1u << 9)
#define VACPI_PM1_STS_RTC (1u << 10)
#define VACPI_PM1_STS_PCIEXP_WAKE (1u << 14)
#define VACPI_PM1_STS_WAK (1u << 15)
#define VACPI_PM1_STS_MASK                                                                  \
	(VACPI_PM1_STS_TMR | VACPI_PM1_STS_BM | VACPI_PM1_STS_GBL | VACPI_PM1_STS_PWRBTN |  \
	 VACPI_PM1_STS_SLPBTN | VACPI_PM1_STS_RTC | VACPI_PM1_STS_PCIEXP_WAKE | VACPI_PM1_STS_WAK)

/* PM1_EN bits (4.8.3.1.2). An event raises the SCI when both its status
 * and enable bits are set; BM_STS and WAK_STS have no enable, and
 * PCIEXP_WAKE_DIS (bit 14) only gates wake-up, never the SCI. */
#define VACPI_PM1_EN_TMR (1u << 0)
#define VACPI_PM1_EN_GBL (1u << 5)
#define VACPI_PM1_EN_PWRBTN (1u << 8)
#define VACPI_PM1_EN_SLPBTN (1u << 9)
#define VACPI_PM1_EN_RTC (1u << 10)
#define VACPI_PM1_EN_PCIEXP_WAKE_DIS (1u << 14)
#define VACPI_PM1_EN_SCI_EVENTS                                                            \
	(VACPI_PM1_EN_TMR | VACPI_PM1_EN_GBL | VACPI_PM1_EN_PWRBTN | VACPI_PM1_EN_SLPBTN | \
	 VACPI_PM1_EN_RTC)
#define VACPI_PM1_EN_MASK (VACPI_PM1_EN_SCI_EVENTS | VACPI_PM1_EN_PCIEXP_WAKE_DIS)

/* PM1_CNT bits (4.8.3.2.1). GBL_RLS and SLP_EN are write-only (read 0);
 * GBL_RLS would signal firmware through an SMI, and there is none. */
#define VACPI_PM1_CNT_SCI_EN (1u << 0)
#define VACPI_PM1_CNT_BM_RLD (1u << 1)
#define VACPI_PM1_CNT_GBL_RLS (1u << 2)
#define VACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define VACPI_PM1_CNT_SLP_TYP (7u << VACPI_PM1_CNT_SLP_TYP_SHIFT)
#define VACPI_PM1_CNT_SLP_EN (1u << 13)
#define VACPI_PM1_CNT_RW (VACPI_PM1_CNT_BM_RLD | VACPI_PM1_CNT_SLP_TYP) /* kept as written */

/* The SLP_TYP value of the guest's \_S5 package (the DSDT the VM is given
 * must agree): with it, a SLP_EN write is a power-off request. */
#define VACPI_PM_S5_SLP_TYP 5

struct vacpi_pm_config {
	/* The guest wrote SLP_EN with SLP_TYP `slp_typ` (0-7); called after
	 * the registers are updated, last thing in the write. May be NULL. */
	void (*sleep)(void *ctx, uint32_t slp_typ);
	void *ctx;
	struct irq_out sci; /* usually line VACPI_PM_SCI_IRQ; set may be NULL */
};

struct vacpi_pm {
	struct io_device dev; /* 0x600-0x605 */
	struct vacpi_pm_config cfg;
	uint16_t sts; /* PM1_STS */
	uint16_t en;  /* PM1_EN */
	uint16_t cnt; /* PM1_CNT's VACPI_PM1_CNT_RW bits */
	int sci;      /* the level last driven on cfg.sci */
	uint32_t sleeps; /* SLP_EN writes so far */
};

/* -EINVAL for a NULL device. Registers start at their reset values. */
int vacpi_pm_init(struct vacpi_pm *pm, const struct vacpi_pm_config *cfg);
/* Platform reset: status, enables and SLP_TYP cleared, SCI deasserted. */
void vacpi_pm_reset(struct vacpi_pm *pm);
int vacpi_pm_register(struct vacpi_pm *pm, struct io_bus *pio);

/* The platform sets status bits (VACPI_PM1_STS_*; others are dropped):
 * VACPI_PM1_STS_PWRBTN for a power-button press, which an ACPI guest
 * answers by shutting down; VACPI_PM1_STS_WAK when it resumes. */
void vacpi_pm_event(struct vacpi_pm *pm, uint16_t sts_bits);

/* The io_device handlers, also callable directly: 1, 2 or 4 bytes wholly
 * inside 0x600-0x605, else -EINVAL. An access acts on the bytes of the
 * registers it covers, so a byte at 0x605 is PM1_CNT's upper half and a
 * dword at 0x600 is PM1_STS | PM1_EN << 16; a write's bytes all land
 * before it takes effect (SCI update, then the sleep callback). */
int vacpi_pm_read(struct vacpi_pm *pm, uint64_t port, uint32_t len, uint64_t *val);
int vacpi_pm_write(struct vacpi_pm *pm, uint64_t port, uint32_t len, uint64_t val);

#endif
