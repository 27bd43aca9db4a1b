/* Finding the S5 (soft-off) sleep type in the DSDT's AML: the `_S5_`
 * package (ACPI 6.x 7.4.2), which powering off writes into PM1a/PM1b
 * control (SLP_TYP, with SLP_EN). */
#ifndef DRIVERS_ACPI_S5_H
#define DRIVERS_ACPI_S5_H

#include "hv/compiler.h"

/* 0 with the two SLP_TYP values, or -ENOENT / -EINVAL (malformed). */
int acpi_find_s5(const uint8_t *dsdt, size_t len, uint8_t *slp_typ_a, uint8_t *slp_typ_b);

#endif
