/* Host 8254 PIT, channel 2 used as a one-shot reference for calibration. */
#ifndef DRIVERS_PIT_H
#define DRIVERS_PIT_H

#include "hv/compiler.h"

#define PIT_HZ 1193182 /* 8254 input clock, 1.193182 MHz */

/* Runs channel 2 for `ticks` input clocks (< 65536) and returns the TSC
 * delta, or 0 if the output never rose (no PIT). */
uint64_t pit_measure_tsc(uint16_t ticks);

#endif
