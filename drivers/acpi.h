/* ACPI table discovery and parsing (ACPI 6.x spec, chapter 5.2): RSDP,
 * RSDT/XSDT, MADT (5.2.12), FADT (5.2.9). Pure logic over a phys_map_fn, so
 * the same code runs on the machine and in host tests on captured tables.
 * Every problem is reported as one pr_err line naming the table and what is
 * wrong ("acpi: MADT: entry at offset 0x2c has length 0"); the caller falls
 * back (one CPU, no PM timer) instead of dying. */
#ifndef DRIVERS_ACPI_H
#define DRIVERS_ACPI_H

#include "hv/compiler.h"
#include "hv/physmem.h"

#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 16
#define ACPI_MAX_NMIS 16

/* Generic Address Structure (5.2.3.2), address space ids we care about. */
#define ACPI_GAS_SYSTEM_MEMORY 0
#define ACPI_GAS_SYSTEM_IO 1

struct acpi_gas {
	uint8_t space_id, bit_width, bit_offset, access_size;
	uint64_t address;
};

struct acpi_cpu {
	uint32_t apic_id;
	uint32_t acpi_uid;
	bool enabled;       /* flags bit 0 */
	bool online_capable; /* flags bit 1 (ACPI 6.3) */
	bool x2apic_entry;  /* came from a type-9 entry */
};

struct acpi_ioapic {
	uint8_t id;
	uint32_t address;
	uint32_t gsi_base;
};

struct acpi_override {
	uint8_t bus, source; /* ISA IRQ */
	uint32_t gsi;
	uint16_t flags;      /* MPS INTI flags: polarity bits 0-1, trigger bits 2-3 */
};

struct acpi_nmi {
	uint32_t acpi_uid; /* 0xFF (or 0xFFFFFFFF for x2APIC) means all processors */
	uint8_t lint;
	uint16_t flags;
};

struct acpi_info {
	uint64_t rsdp_phys;
	uint8_t revision;     /* RSDP revision */
	bool have_xsdt;
	/* MADT */
	bool have_madt;
	uint32_t lapic_address; /* may be overridden by a type-5 entry */
	uint64_t lapic_address_override; /* 0 if none */
	bool pcat_compat;    /* MADT flags bit 0: legacy 8259s present */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	uint32_t cpu_count;  /* all entries, enabled or not */
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	uint32_t ioapic_count;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
	uint32_t override_count;
	struct acpi_nmi nmis[ACPI_MAX_NMIS];
	uint32_t nmi_count;
	/* FADT */
	bool have_fadt;
	uint16_t sci_irq;
	struct acpi_gas pm_timer;   /* space_id SYSTEM_IO with address 0 if absent */
	bool pm_timer_32bit;        /* FADT flags TMR_VAL_EXT */
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	bool reset_supported;       /* FADT flags RESET_REG_SUP */
	uint64_t dsdt_phys;
	uint32_t pm1a_cnt_port;     /* for poweroff later */
	uint32_t pm1b_cnt_port;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint32_t tables_found;      /* number of SDT entries walked */
	uint32_t errors;            /* problems reported */
	/* The root table walked: the XSDT when have_xsdt, else the RSDT. Kept so
	 * acpi_find_table and acpi_for_each_table work when the RSDP came from a
	 * multiboot copy (rsdp_phys 0). */
	uint64_t root_phys;
	uint32_t root_len;
	uint32_t fadt_flags;        /* FADT Flags field, raw (5.2.9 Table 5.10) */
};

/* Checks signature, checksum(s) and revision of the RSDP in the `len`
 * readable bytes at `rsdp`. Returns 0 or -EINVAL (reported). */
int acpi_check_rsdp(const void *rsdp, uint64_t len);

/* Scans the EBDA (segment at 0x40E) and 0xE0000-0xFFFFF on 16-byte
 * boundaries. Returns the RSDP's physical address or 0. */
uint64_t acpi_find_rsdp(phys_map_fn map);

/* Walks XSDT (preferred when revision >= 2 and valid) or RSDT, checks each
 * table's checksum, parses MADT and FADT. `rsdp_phys` as found above, or
 * `rsdp_copy` (the multiboot2 tag copy) when non-NULL. Returns 0 if the root
 * table was usable (individual broken tables are reported and skipped, info
 * reflects what was good), negative errno if no root table could be used. */
int acpi_parse(phys_map_fn map, uint64_t rsdp_phys, const void *rsdp_copy,
	       uint32_t rsdp_copy_len, struct acpi_info *info);

/* Parse one MADT / FADT given its full bytes (header included); `len` is
 * the number of bytes readable at `table`. The signature, length field and
 * checksum are checked. Only the MADT (resp. FADT) fields of info are
 * written, and info->errors counts the problems reported. */
int acpi_parse_madt(const void *table, uint64_t len, struct acpi_info *info);
int acpi_parse_fadt(const void *table, uint64_t len, struct acpi_info *info);

/* Checks one system description table in the `len` readable bytes at
 * `table`: signature (when `sig` is non-NULL), length field (at least the
 * 36-byte header, at most `len`) and checksum. Returns 0 or -EINVAL
 * (reported). */
int acpi_check_table(const void *table, uint64_t len, const char *sig);

/* Finds a table by signature ("APIC", "FACP", "HPET", "DSDT" via FADT...);
 * returns its physical address or 0. Only valid after acpi_parse. */
uint64_t acpi_find_table(phys_map_fn map, const struct acpi_info *info, const char sig[4]);

/* Calls fn for each table (root included) with its phys address and length;
 * used by the `acpidump` boot option. Also reports the RSDP (as "RSDP", when
 * rsdp_phys is known) and the DSDT named by the FADT. Tables are listed when
 * their header is readable, even with a bad checksum, so they can be dumped. */
void acpi_for_each_table(phys_map_fn map, const struct acpi_info *info,
			 void (*fn)(const char sig[4], uint64_t phys, uint32_t len, void *ctx), void *ctx);

#endif
