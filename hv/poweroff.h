/* Turning the machine off: ACPI S5, else the emulators' exit ports, else
 * halting every CPU. */
#ifndef HV_POWEROFF_H
#define HV_POWEROFF_H

#include "drivers/acpi.h"

void poweroff_init(const struct acpi_info *acpi);
void __noreturn poweroff(void);

#endif
