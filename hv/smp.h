/* Bringing up the application processors (INIT-SIPI-SIPI, SDM 3A 9.4.4). */
#ifndef HV_SMP_H
#define HV_SMP_H

#include "hv/compiler.h"
#include "drivers/acpi.h"

/* Starts every enabled CPU of the MADT (at most max_cpus in all, 0 = no
 * limit); each reports in or is skipped after a timeout. Prints
 * "smp: N of M CPUs online". Returns the number online. */
uint32_t smp_boot(const struct acpi_info *acpi, uint32_t max_cpus);

/* Allocates a per-CPU area with its stacks (guard page below the main one). */
struct percpu *percpu_alloc(uint32_t index);

#endif
