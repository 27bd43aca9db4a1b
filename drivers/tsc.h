/* TSC frequency and the monotonic clock built on it. */
#ifndef DRIVERS_TSC_H
#define DRIVERS_TSC_H

#include "hv/compiler.h"

enum tsc_source { TSC_SRC_NONE, TSC_SRC_CPUID15, TSC_SRC_CPUID16, TSC_SRC_PMTIMER, TSC_SRC_PIT };

/* Finds the TSC frequency: CPUID 0x15 (crystal ratio), CPUID 0x16 (base
 * MHz), else calibrated against the ACPI PM timer (when pm_port != 0) or
 * PIT channel 2. Returns the source used. */
enum tsc_source tsc_init(uint16_t pm_port, bool pm_32bit);
uint64_t tsc_hz(void);
const char *tsc_source_name(enum tsc_source s);

/* Monotonic time since tsc_init (0 before it). */
uint64_t clock_ns(void);
uint64_t clock_us(void);
/* Conversions at the calibrated rate (multiply and shift: no division). */
uint64_t tsc_to_ns(uint64_t ticks);
uint64_t ns_to_tsc(uint64_t ns);

/* Busy-wait helpers (boot paths only). Before calibration they assume a
 * conservative 4 GHz so waits are never shorter than asked. */
uint64_t tsc_deadline_us(uint64_t us);
bool tsc_passed(uint64_t deadline);
void udelay(uint64_t us);

#endif
