/* `acpidump` boot option: prints every ACPI table in hex on the console, so
 * tables of real machines and emulators can be captured for host tests
 * (tests/tools/acpi_capture.py turns the lines back into files). */
#ifndef DRIVERS_ACPI_DUMP_H
#define DRIVERS_ACPI_DUMP_H

#include "drivers/acpi.h"

void acpi_dump(phys_map_fn map, const struct acpi_info *info, const void *rsdp_copy, uint32_t rsdp_len);

#endif
