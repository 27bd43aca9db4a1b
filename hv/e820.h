/* The guest's physical memory map as a PC BIOS reports it (INT 15h,
 * AX=E820h; the same table goes into a Linux zero page). Built from the
 * VM's RAM ranges plus the PC's fixed holes below 1 MiB. Pure logic. */
#ifndef HV_E820_H
#define HV_E820_H

#include "hv/compiler.h"

/* Address range types, ACPI 6.5 s15.1 (INT 15H E820H), "Address Range Types". */
#define E820_TYPE_RAM 1      /* AddressRangeMemory: usable */
#define E820_TYPE_RESERVED 2 /* AddressRangeReserved: not for the OS */
#define E820_TYPE_ACPI 3     /* AddressRangeACPI: ACPI tables, reclaimable after parsing */

/* The PC's fixed layout below 1 MiB, as the map reports it where RAM backs it:
 * [0, EBDA)            usable conventional memory (639 KiB)
 * [EBDA, VGA)          reserved: extended BIOS data area
 * [VGA, BIOS)          left out: VGA window and option ROMs, not RAM
 * [BIOS, HIGH_MEM)     reserved: system BIOS area, where the RSDP is found
 *                      (ACPI 6.5 s5.2.5.1 searches 0xE0000-0xFFFFF)
 * [HIGH_MEM, ...)      usable */
#define PC_EBDA_GPA 0x9FC00ULL
#define PC_VGA_HOLE_GPA 0xA0000ULL
#define PC_BIOS_GPA 0xF0000ULL
#define PC_HIGH_MEM_GPA 0x100000ULL

struct e820_range {
	uint64_t gpa, size;
};

struct e820_entry {
	uint64_t addr, size;
	uint32_t type; /* E820_TYPE_* */
};

/* Writes the map for the RAM ranges `ram` (any order; overlaps are merged;
 * zero-sized ones ignored) into out[0..max): sorted by address, adjacent
 * ranges of one type merged, none overlapping. `acpi` (NULL or size 0: none)
 * is the range holding the ACPI tables: it is reported as E820_TYPE_ACPI
 * whatever else lies there, RAM or not. Returns the number of entries, or
 * -ENOSPC (the map needs more than `max` entries) or -EINVAL (a range wraps
 * past 2^64) with `err` saying why. */
int e820_build(const struct e820_range *ram, size_t nram, const struct e820_range *acpi,
	       struct e820_entry *out, size_t max, char *err, size_t errlen);

#endif
