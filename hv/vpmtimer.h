/* ACPI power-management timer (ACPI 6.x section 4.8.3.3): a free-running
 * 24-bit (or 32-bit, FADT TMR_VAL_EXT) counter at 3.579545 MHz read from a
 * 4-byte I/O port. The value is computed from the VM clock on each read.
 * See docs/device-models.md. */
#ifndef HV_VPMTIMER_H
#define HV_VPMTIMER_H

#include "hv/compiler.h"
#include "hv/devmodel.h"
#include "hv/iobus.h"

#define PMTIMER_FREQ_HZ 3579545u /* 14.31818 MHz / 4 */
#define PMTIMER_LEN 4            /* PM_TMR_LEN in the FADT */

struct vpmtimer {
	struct io_device dev; /* port .. port + 3 */
	struct vclock clock;
	uint16_t port;
	uint32_t mask; /* 0xffffff, or 0xffffffff with the 32-bit flag */
};

/* The counter is 0 at VM clock 0 and counts from there. `ext32` gives a
 * 32-bit counter (the FADT must then set TMR_VAL_EXT). */
void vpmtimer_init(struct vpmtimer *pm, const struct vclock *clock, uint16_t port, bool ext32);
/* The counter now. */
uint32_t vpmtimer_read(const struct vpmtimer *pm);
int vpmtimer_register(struct vpmtimer *pm, struct io_bus *bus);

#endif
