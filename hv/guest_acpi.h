/* The ACPI tables every VM finds in its memory (ACPI 6.0, chapter 5.2),
 * describing the PC board the VMM gives it (QEMU's `pc` machine in
 * miniature): RSDP, RSDT and XSDT listing a FADT and a MADT, the FACS and
 * the DSDT the FADT points to. Pure logic: the tables are built into a
 * caller buffer that the VMM then copies to guest-physical `buf_gpa`.
 *
 * What a guest reads there:
 *  - MADT: one enabled local APIC per vCPU (APIC ID = ACPI UID = 0..n-1),
 *    one I/O APIC, ISA IRQ0 -> GSI 2 (conforming), the SCI's IRQ -> same GSI
 *    level-triggered active-high, LAPIC NMI on LINT1 of every processor,
 *    PCAT_COMPAT (8259 pair present).
 *  - FADT (revision 6): PM1a event block at pm_base (4 bytes), PM1a control
 *    at pm_base + 4 (2 bytes), 24-bit PM timer at pm_base + 8, no GPE
 *    blocks, no SMI command port (ACPI is always on: SCI_EN reads as 1),
 *    reset register 0xCF9 <- 0x06, century in CMOS register 0x32, legacy
 *    devices but no i8042 and no VGA, power and sleep buttons absent.
 *  - DSDT: \_S5_ = {GUEST_ACPI_S5_SLP_TYP, GUEST_ACPI_S5_SLP_TYP, 0, 0}, a
 *    processor device (ACPI0007) per vCPU, and optionally the PCI host
 *    bridge \_SB.PCI0 and COM1 \_SB.COM1.
 *
 * The RSDP goes at the buffer's first 16-byte aligned address: with the
 * buffer at 0xE0000 (GUEST_ACPI_AREA_GPA) guests find it by the standard
 * scan of 0xE0000-0xFFFFF (5.2.5.1). The tables hold 32-bit pointers, so
 * the whole used range must lie below 4 GiB. */
#ifndef HV_GUEST_ACPI_H
#define HV_GUEST_ACPI_H

#include "hv/compiler.h"

#define GUEST_ACPI_MAX_VCPUS 64

/* The VMM's usual place for the tables: the BIOS area scanned for the RSDP. */
#define GUEST_ACPI_AREA_GPA 0xE0000ULL
#define GUEST_ACPI_AREA_SIZE 0x20000ULL /* up to 0xFFFFF */

/* SLP_TYP for S5 (soft off) in \_S5_: what the guest writes into PM1a_CNT
 * bits 12:10 together with SLP_EN to power off. The PM1 control device
 * model compares against it. */
#define GUEST_ACPI_S5_SLP_TYP 5

/* Board defaults (QEMU `pc` / PIIX4 layout). */
#define GUEST_ACPI_LAPIC_ADDR 0xFEE00000u
#define GUEST_ACPI_IOAPIC_ADDR 0xFEC00000u
#define GUEST_ACPI_PM_BASE 0x600
#define GUEST_ACPI_SCI_IRQ 9

/* The PM I/O block at pm_base (ACPI 6.0 4.8.1): register offsets and sizes
 * as the FADT announces them. */
#define GUEST_ACPI_PM1_EVT_OFF 0 /* PM1a_STS at +0, PM1a_EN at +2 */
#define GUEST_ACPI_PM1_EVT_LEN 4
#define GUEST_ACPI_PM1_CNT_OFF 4
#define GUEST_ACPI_PM1_CNT_LEN 2
#define GUEST_ACPI_PM_TMR_OFF 8
#define GUEST_ACPI_PM_TMR_LEN 4
#define GUEST_ACPI_PM_BLOCK_LEN 12 /* ports pm_base .. pm_base + 11 */

struct guest_acpi_config {
	uint32_t vcpus;       /* 1..GUEST_ACPI_MAX_VCPUS; APIC IDs 0..vcpus-1 */
	uint32_t lapic_addr;  /* MADT local APIC address */
	uint32_t ioapic_addr; /* one I/O APIC, GSI base 0 */
	uint8_t ioapic_id;
	uint16_t pm_base;     /* PM1a event, PM1a control, PM timer: see above */
	uint8_t sci_irq;      /* an ISA IRQ (0..15); identity-mapped to its GSI */
	bool pci_host_bridge; /* \_SB.PCI0 (PNP0A03, bus 0) in the DSDT */
	bool com1;            /* \_SB.COM1 (PNP0501, 0x3F8-0x3FF, IRQ 4) in the DSDT */
	/* Optional 32-bit PCI memory window announced in PCI0's _CRS, for BARs:
	 * [pci_mmio_base, pci_mmio_base + pci_mmio_size). Size 0: none (only the
	 * legacy VGA window is announced). It must not overlap guest RAM. */
	uint32_t pci_mmio_base;
	uint32_t pci_mmio_size;
};

/* Where the tables went, as guest-physical addresses. */
struct guest_acpi_layout {
	uint64_t rsdp_gpa;
	size_t size; /* bytes of the buffer used, from its start */
	uint64_t rsdt_gpa, xsdt_gpa, fadt_gpa, facs_gpa, dsdt_gpa, madt_gpa;
};

/* The board above for `vcpus` vCPUs: I/O APIC ID = vcpus (the first ID after
 * the local APICs), PCI host bridge and COM1 described, no PCI window. */
void guest_acpi_default_config(struct guest_acpi_config *cfg, uint32_t vcpus);

/* Builds every table into buf[0..buf_size), which the caller places at
 * guest-physical buf_gpa. Returns 0 with *out filled, -EINVAL for a bad
 * configuration (vCPU count, SCI IRQ, PM base, PCI window, a range not below
 * 4 GiB, NULL pointers) or -ENOSPC if the buffer is too small; each error is
 * one pr_err line, and the buffer is left untouched. */
int guest_acpi_build(const struct guest_acpi_config *cfg, uint8_t *buf, size_t buf_size,
		     uint64_t buf_gpa, struct guest_acpi_layout *out);

#endif
