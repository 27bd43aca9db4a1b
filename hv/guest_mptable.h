/* The guest's Intel MultiProcessor Specification 1.4 tables, for guests
 * that look for them instead of (or before) ACPI: the MP floating pointer
 * structure ("_MP_") and the MP configuration table ("PCMP") describing the
 * same board as guest_acpi.h: one processor entry per vCPU (APIC IDs
 * 0..n-1, the first the bootstrap processor), an ISA bus, one I/O APIC,
 * ISA IRQs 0..15 on its pins (IRQ0 on pin 2, the others on the pin of the
 * same number, none for the cascade IRQ2), ExtINT on every LINT0 and NMI on
 * every LINT1. Pure logic, built into a caller buffer.
 *
 * The floating pointer goes at the buffer's first 16-byte aligned address,
 * the configuration table right after it. Guests search for the floating
 * pointer only in the first KiB of the EBDA, the last KiB of base memory
 * and 0xF0000-0xFFFFF (MPS 1.4 section 4), not at 0xE0000: place the buffer
 * in 0xF0000-0xFFFFF (beside ACPI tables at 0xE0000, for instance). */
#ifndef HV_GUEST_MPTABLE_H
#define HV_GUEST_MPTABLE_H

#include "hv/compiler.h"

#define GUEST_MPTABLE_MAX_VCPUS 64

struct guest_mptable_layout {
	uint64_t mpfp_gpa;   /* the floating pointer structure */
	uint64_t config_gpa; /* the configuration table */
	size_t size;         /* bytes of the buffer used, from its start */
	uint16_t entries;    /* entries in the configuration table */
};

/* Builds both structures into buf[0..size), which the caller places at
 * guest-physical buf_gpa. Returns 0 with *out filled, -EINVAL for a vCPU
 * count outside 1..GUEST_MPTABLE_MAX_VCPUS, tables not below 4 GiB (the
 * pointers are 32 bits) or NULL pointers, -ENOSPC if the buffer is too
 * small; each error is one pr_err line, and the buffer is left untouched. */
int guest_mptable_build(uint32_t vcpus, uint8_t ioapic_id, uint32_t ioapic_addr, uint8_t *buf,
			size_t size, uint64_t buf_gpa, struct guest_mptable_layout *out);

#endif
