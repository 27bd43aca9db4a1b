/* Turning the machine off: ACPI S5, else the emulators' exit ports, else
 * halting every CPU. */
#ifndef HV_POWEROFF_H
#define HV_POWEROFF_H

#include "drivers/acpi.h"

void poweroff_init(const struct acpi_info *acpi);
void __noreturn poweroff(void);
/* Resets the machine: the FADT's reset register when it is an I/O port,
 * else the PC's reset control register 0xCF9, else the 8042's reset line,
 * else a triple fault. */
void __noreturn machine_reboot(void);

#endif
