/* Tests for drivers/acpi.c: RSDP search and checks, RSDT/XSDT walk, MADT and
 * FADT parsing, and the error lines a user reads when firmware tables are
 * broken. Tables are assembled byte by byte here, with offsets taken from
 * the ACPI 6.5 spec independently of the driver, and put in a fake physical
 * address space. The fake phys_map_fn hands out a fresh heap copy of exactly
 * the requested range, so AddressSanitizer catches any read past what the
 * parser asked for. Also replays captured firmware tables found under
 * tests/data/acpi/<platform>/ (see the README there). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "drivers/acpi.h"
#include "hv/errno.h"
#include "test_log.h"

#ifndef ACPI_DATA_DIR
#define ACPI_DATA_DIR "tests/data/acpi"
#endif

/* --- Fake physical memory ------------------------------------------------ */

#define FAKE_MEM_SIZE (2u * 1024 * 1024)
#define MAX_MAPPINGS 4096

static uint8_t fake_mem[FAKE_MEM_SIZE];
static void *mappings[MAX_MAPPINGS];
static size_t mapping_count;
static uint64_t largest_map;

static void unmap_all(void)
{
	for (size_t i = 0; i < mapping_count; i++)
		free(mappings[i]);
	mapping_count = 0;
}

static const void *fake_map(uint64_t phys, uint64_t len)
{
	if (phys >= FAKE_MEM_SIZE || len > FAKE_MEM_SIZE - phys)
		return NULL;
	if (len > largest_map)
		largest_map = len;
	assert_true(mapping_count < MAX_MAPPINGS);
	void *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, fake_mem + phys, len);
	mappings[mapping_count++] = copy;
	return copy;
}

static int setup(void **state)
{
	(void)state;
	memset(fake_mem, 0, sizeof(fake_mem));
	largest_map = 0;
	test_log_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unmap_all();
	return 0;
}

/* --- Table assembly ------------------------------------------------------- */

/* SDT header offsets, ACPI 6.5 5.2.6 */
#define HDR_LEN 36
#define HDR_LENGTH 4
#define HDR_CHECKSUM 9

struct tbl {
	uint8_t b[8192];
	uint32_t len;
};

static void put8(struct tbl *t, uint8_t v)
{
	assert_true(t->len < sizeof(t->b));
	t->b[t->len++] = v;
}

static void put16(struct tbl *t, uint16_t v)
{
	put8(t, v & 0xFF);
	put8(t, v >> 8);
}

static void put32(struct tbl *t, uint32_t v)
{
	put16(t, v & 0xFFFF);
	put16(t, v >> 16);
}

static void put64(struct tbl *t, uint64_t v)
{
	put32(t, (uint32_t)v);
	put32(t, (uint32_t)(v >> 32));
}

static void set32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void set64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint8_t sum_bytes(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static void tbl_begin(struct tbl *t, const char *sig, uint8_t revision)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->b, sig, 4);
	t->b[8] = revision;
	memcpy(t->b + 10, "HVTEST", 6);
	memcpy(t->b + 16, "UNITTEST", 8);
	set32(t->b + 24, 1);
	memcpy(t->b + 28, "HVTC", 4);
	set32(t->b + 32, 1);
	t->len = HDR_LEN;
}

/* Writes the length field and makes the bytes sum to zero. */
static void tbl_finish(struct tbl *t)
{
	set32(t->b + HDR_LENGTH, t->len);
	t->b[HDR_CHECKSUM] = 0;
	t->b[HDR_CHECKSUM] = (uint8_t)(0x100 - sum_bytes(t->b, t->len));
}

static void place(uint64_t phys, const void *bytes, size_t n)
{
	assert_true(phys + n <= FAKE_MEM_SIZE);
	memcpy(fake_mem + phys, bytes, n);
}

static void place_tbl(uint64_t phys, const struct tbl *t)
{
	place(phys, t->b, t->len);
}

/* RSDP, ACPI 6.5 5.2.5.3: v1 is 20 bytes, revision 2 is 36. */
static size_t make_rsdp(uint8_t *r, uint8_t revision, uint32_t rsdt, uint64_t xsdt)
{
	size_t len = revision >= 2 ? 36 : 20;

	memset(r, 0, 36);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "HVTEST", 6);
	r[15] = revision;
	set32(r + 16, rsdt);
	r[8] = (uint8_t)(0x100 - sum_bytes(r, 20));
	if (revision >= 2) {
		set32(r + 20, 36);
		set64(r + 24, xsdt);
		r[32] = (uint8_t)(0x100 - sum_bytes(r, 36));
	}
	return len;
}

static void place_rsdp(uint64_t phys, uint8_t revision, uint32_t rsdt, uint64_t xsdt)
{
	uint8_t r[36];
	size_t n = make_rsdp(r, revision, rsdt, xsdt);

	place(phys, r, n);
}

static void make_root(struct tbl *t, bool xsdt, const uint64_t *entries, size_t n)
{
	tbl_begin(t, xsdt ? "XSDT" : "RSDT", 1);
	for (size_t i = 0; i < n; i++) {
		if (xsdt)
			put64(t, entries[i]);
		else
			put32(t, (uint32_t)entries[i]);
	}
	tbl_finish(t);
}

static void place_root(uint64_t phys, bool xsdt, const uint64_t *entries, size_t n)
{
	struct tbl t;

	make_root(&t, xsdt, entries, n);
	place_tbl(phys, &t);
}

/* MADT, ACPI 6.5 5.2.12: header, local APIC address, flags, then entries. */
static void madt_begin(struct tbl *t, uint32_t lapic_address, uint32_t flags)
{
	tbl_begin(t, "APIC", 5);
	put32(t, lapic_address);
	put32(t, flags);
}

static void madt_lapic(struct tbl *t, uint8_t uid, uint8_t apic_id, uint32_t flags)
{
	put8(t, 0);
	put8(t, 8);
	put8(t, uid);
	put8(t, apic_id);
	put32(t, flags);
}

static void madt_ioapic(struct tbl *t, uint8_t id, uint32_t address, uint32_t gsi_base)
{
	put8(t, 1);
	put8(t, 12);
	put8(t, id);
	put8(t, 0);
	put32(t, address);
	put32(t, gsi_base);
}

static void madt_override(struct tbl *t, uint8_t source, uint32_t gsi, uint16_t flags)
{
	put8(t, 2);
	put8(t, 10);
	put8(t, 0); /* bus: ISA */
	put8(t, source);
	put32(t, gsi);
	put16(t, flags);
}

static void madt_lapic_nmi(struct tbl *t, uint8_t uid, uint16_t flags, uint8_t lint)
{
	put8(t, 4);
	put8(t, 6);
	put8(t, uid);
	put16(t, flags);
	put8(t, lint);
}

static void madt_lapic_address_override(struct tbl *t, uint64_t address)
{
	put8(t, 5);
	put8(t, 12);
	put16(t, 0);
	put64(t, address);
}

static void madt_x2apic(struct tbl *t, uint32_t x2apic_id, uint32_t flags, uint32_t uid)
{
	put8(t, 9);
	put8(t, 16);
	put16(t, 0);
	put32(t, x2apic_id);
	put32(t, flags);
	put32(t, uid);
}

static void madt_x2apic_nmi(struct tbl *t, uint16_t flags, uint32_t uid, uint8_t lint)
{
	put8(t, 0xA);
	put8(t, 12);
	put16(t, flags);
	put32(t, uid);
	put8(t, lint);
	put8(t, 0);
	put16(t, 0);
}

/* A typical two-CPU PC: LAPICs 0 and 1, one IOAPIC, IRQ0 -> GSI2 and the
 * SCI override, LINT1 NMI for all processors. */
static void make_pc_madt(struct tbl *t, int cpus)
{
	madt_begin(t, 0xFEE00000, 1);
	for (int i = 0; i < cpus; i++)
		madt_lapic(t, (uint8_t)i, (uint8_t)i, 1);
	madt_ioapic(t, (uint8_t)cpus, 0xFEC00000, 0);
	madt_override(t, 0, 2, 0);
	madt_override(t, 9, 9, 0xD); /* active high, level */
	madt_lapic_nmi(t, 0xFF, 0, 1);
	tbl_finish(t);
}

/* FADT, ACPI 6.5 5.2.9 Table 5.9 */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_SCI_INT 46
#define FADT_SMI_CMD 48
#define FADT_ACPI_ENABLE 52
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1B_CNT_BLK 68
#define FADT_PM_TMR_BLK 76
#define FADT_PM_TMR_LEN 91
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_X_DSDT 140
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM_TMR_BLK 208
#define FLAG_TMR_VAL_EXT (1u << 8)
#define FLAG_RESET_REG_SUP (1u << 10)

static void put_gas(uint8_t *p, uint8_t space, uint8_t bits, uint8_t access, uint64_t address)
{
	p[0] = space;
	p[1] = bits;
	p[2] = 0;
	p[3] = access;
	set64(p + 4, address);
}

/* A FADT of `len` bytes (116 for ACPI 1.0, 244 for 2.0, 276 for 6.x) with
 * the legacy fields of a PIIX4-like chipset: SCI 9, PM base 0x600. */
static void make_fadt(struct tbl *t, uint32_t len, uint8_t revision)
{
	tbl_begin(t, "FACP", revision);
	t->len = len;
	set32(t->b + FADT_FIRMWARE_CTRL, 0x7FE0000);
	set32(t->b + FADT_DSDT, 0x7FE0040);
	t->b[FADT_SCI_INT] = 9;
	set32(t->b + FADT_SMI_CMD, 0xB2);
	t->b[FADT_ACPI_ENABLE] = 0xF1;
	set32(t->b + FADT_PM1A_EVT_BLK, 0x600);
	set32(t->b + FADT_PM1A_CNT_BLK, 0x604);
	set32(t->b + FADT_PM_TMR_BLK, 0x608);
	t->b[FADT_PM_TMR_LEN] = 4;
	tbl_finish(t);
}

/* --- A whole system in fake memory ------------------------------------------ */

#define RSDP_PHYS 0xF5A40ull
#define XSDT_PHYS 0x100000ull
#define RSDT_PHYS 0x100800ull
#define MADT_PHYS 0x101000ull
#define MADT2_PHYS 0x101800ull
#define FADT_PHYS 0x102000ull
#define HPET_PHYS 0x103000ull
#define UNMAPPED_PHYS 0x80000000ull

static void place_madt_fadt(void)
{
	struct tbl t;

	make_pc_madt(&t, 2);
	place_tbl(MADT_PHYS, &t);
	make_fadt(&t, 276, 6);
	place_tbl(FADT_PHYS, &t);
	tbl_begin(&t, "HPET", 1);
	for (int i = 0; i < 20; i++)
		put8(&t, 0);
	tbl_finish(&t);
	place_tbl(HPET_PHYS, &t);
}

/* RSDP v2 -> XSDT and RSDT, both listing MADT, FADT, HPET. */
static void place_pc_system(void)
{
	const uint64_t entries[] = {FADT_PHYS, MADT_PHYS, HPET_PHYS};

	place_madt_fadt();
	place_root(XSDT_PHYS, true, entries, 3);
	place_root(RSDT_PHYS, false, entries, 3);
	place_rsdp(RSDP_PHYS, 2, RSDT_PHYS, XSDT_PHYS);
}

static struct acpi_info info;

static uint32_t enabled_cpus(const struct acpi_info *ai)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < ai->cpu_count; i++)
		n += ai->cpus[i].enabled;
	return n;
}

/* Parses a table handed over directly, as a heap block of exactly its size
 * so a read past the end is caught. */
static int parse_exact(int (*parse)(const void *, uint64_t, struct acpi_info *),
		       const void *bytes, size_t n)
{
	void *copy = malloc(n ? n : 1);

	assert_non_null(copy);
	memcpy(copy, bytes, n);
	int ret = parse(copy, n, &info);
	free(copy);
	return ret;
}

static int parse_madt(const struct tbl *t)
{
	memset(&info, 0, sizeof(info));
	return parse_exact(acpi_parse_madt, t->b, t->len);
}

static int parse_fadt(const struct tbl *t)
{
	memset(&info, 0, sizeof(info));
	return parse_exact(acpi_parse_fadt, t->b, t->len);
}

static int check_rsdp_exact(const void *bytes, size_t n)
{
	void *copy = malloc(n);

	assert_non_null(copy);
	memcpy(copy, bytes, n);
	int ret = acpi_check_rsdp(copy, n);
	free(copy);
	return ret;
}

/* --- RSDP ------------------------------------------------------------------- */

static void test_rsdp_v1_with_good_checksum_is_accepted(void **state)
{
	uint8_t r[36];
	size_t n = make_rsdp(r, 0, 0x7FE1AA4, 0);

	assert_int_equal(n, 20);
	assert_int_equal(check_rsdp_exact(r, n), 0);
	assert_int_equal(test_log_count(), 0);
}

static void test_rsdp_v2_with_good_checksums_is_accepted(void **state)
{
	uint8_t r[36];
	size_t n = make_rsdp(r, 2, 0x7FE1AA4, 0x7FE1B00);

	assert_int_equal(n, 36);
	assert_int_equal(check_rsdp_exact(r, n), 0);
	assert_int_equal(test_log_count(), 0);
}

static void test_rsdp_bad_checksum_is_rejected(void **state)
{
	uint8_t r[36];
	size_t n = make_rsdp(r, 0, 0x7FE1AA4, 0);

	r[9] = (uint8_t)(r[9] + 0x3C); /* OEM id byte */
	assert_int_equal(check_rsdp_exact(r, n), -EINVAL);
	assert_true(test_log_contains("acpi: RSDP: bad checksum (sum 0x3c)"));
	assert_int_equal(test_log_count(), 1);
}

static void test_rsdp_bad_extended_checksum_is_rejected(void **state)
{
	uint8_t r[36];
	size_t n = make_rsdp(r, 2, 0x7FE1AA4, 0x7FE1B00);

	r[33] = 0x10; /* reserved byte: outside the v1 checksum, inside the extended one */
	assert_int_equal(check_rsdp_exact(r, n), -EINVAL);
	assert_true(test_log_contains("acpi: RSDP: bad extended checksum (sum 0x10)"));
	assert_int_equal(test_log_count(), 1);
}

static void test_rsdp_bad_signature_is_rejected(void **state)
{
	uint8_t r[36];
	size_t n = make_rsdp(r, 0, 0x1000, 0);

	r[3] = 'X';
	assert_int_equal(check_rsdp_exact(r, n), -EINVAL);
	assert_true(test_log_contains("acpi: RSDP: bad signature"));
}

static void test_rsdp_revision_2_with_only_20_bytes_is_rejected(void **state)
{
	uint8_t r[36];

	make_rsdp(r, 2, 0x1000, 0x2000);
	assert_int_equal(check_rsdp_exact(r, 20), -EINVAL);
	assert_true(test_log_contains("acpi: RSDP: truncated (revision 2 needs 36 bytes, have 20)"));
}

static void test_rsdp_length_beyond_available_bytes_is_rejected(void **state)
{
	uint8_t r[36];

	make_rsdp(r, 2, 0x1000, 0x2000);
	set32(r + 20, 40);
	r[8] = 0;
	r[8] = (uint8_t)(0x100 - sum_bytes(r, 20));
	assert_int_equal(check_rsdp_exact(r, 36), -EINVAL);
	assert_true(test_log_contains("acpi: RSDP: length 40 exceeds the 36 bytes available"));
}

/* --- RSDP search ------------------------------------------------------------- */

static void set_ebda(uint64_t ebda)
{
	uint16_t seg = (uint16_t)(ebda >> 4);

	memcpy(fake_mem + 0x40E, &seg, 2);
}

static void test_find_rsdp_in_bios_area(void **state)
{
	place_rsdp(0xF5A40, 0, 0x100000, 0);
	assert_int_equal(acpi_find_rsdp(fake_map), 0xF5A40);
}

static void test_find_rsdp_at_the_last_paragraph_of_the_bios_area(void **state)
{
	place_rsdp(0xFFFE0, 0, 0x100000, 0);
	assert_int_equal(acpi_find_rsdp(fake_map), 0xFFFE0);
}

static void test_find_rsdp_in_ebda_first_kib(void **state)
{
	set_ebda(0x9FC00);
	place_rsdp(0x9FC00 + 0x3F0, 2, 0x100000, 0x100800);
	assert_int_equal(acpi_find_rsdp(fake_map), 0x9FC00 + 0x3F0);
}

static void test_find_rsdp_prefers_ebda_over_bios_area(void **state)
{
	set_ebda(0x9FC00);
	place_rsdp(0x9FC10, 0, 0x100000, 0);
	place_rsdp(0xE0000, 0, 0x200000, 0);
	assert_int_equal(acpi_find_rsdp(fake_map), 0x9FC10);
}

static void test_find_rsdp_ignores_ebda_beyond_first_kib(void **state)
{
	set_ebda(0x9F000);
	place_rsdp(0x9F000 + 0x400, 0, 0x100000, 0);
	assert_int_equal(acpi_find_rsdp(fake_map), 0);
	assert_true(test_log_contains("acpi: RSDP: not found"));
}

static void test_find_rsdp_ignores_unaligned_signature(void **state)
{
	place_rsdp(0xF0008, 0, 0x100000, 0);
	assert_int_equal(acpi_find_rsdp(fake_map), 0);
}

static void test_find_rsdp_skips_candidate_with_bad_checksum(void **state)
{
	place_rsdp(0xE1000, 0, 0x100000, 0);
	fake_mem[0xE1000 + 9] ^= 0xFF;
	place_rsdp(0xF0000, 0, 0x100000, 0);
	assert_int_equal(acpi_find_rsdp(fake_map), 0xF0000);
	assert_true(test_log_contains("acpi: RSDP: bad checksum"));
}

static void test_find_rsdp_skips_candidate_with_bad_extended_checksum(void **state)
{
	place_rsdp(0xE1000, 2, 0x100000, 0x100800);
	fake_mem[0xE1000 + 33] = 1;
	place_rsdp(0xF0000, 2, 0x100000, 0x100800);
	assert_int_equal(acpi_find_rsdp(fake_map), 0xF0000);
}

static void test_find_rsdp_returns_zero_when_absent(void **state)
{
	assert_int_equal(acpi_find_rsdp(fake_map), 0);
	assert_true(test_log_contains("acpi: RSDP: not found in the EBDA or 0xe0000-0xfffff"));
}

/* --- acpi_parse: root tables ------------------------------------------------- */

static void test_parse_pc_system_reads_madt_and_fadt_through_xsdt(void **state)
{
	place_pc_system();
	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	assert_int_equal(info.rsdp_phys, RSDP_PHYS);
	assert_int_equal(info.revision, 2);
	assert_true(info.have_xsdt);
	assert_int_equal(info.root_phys, XSDT_PHYS);
	assert_int_equal(info.tables_found, 3);
	assert_true(info.have_madt);
	assert_true(info.have_fadt);
	assert_int_equal(info.cpu_count, 2);
	assert_int_equal(info.ioapic_count, 1);
	assert_int_equal(info.sci_irq, 9);
	assert_int_equal(info.pm_timer.address, 0x608);
	assert_int_equal(info.errors, 0);
	assert_int_equal(test_log_count(), 0);
}

static void test_parse_prefers_xsdt_when_revision_2(void **state)
{
	struct tbl t;
	const uint64_t x_entries[] = {MADT_PHYS};
	const uint64_t r_entries[] = {MADT2_PHYS};

	make_pc_madt(&t, 4);
	place_tbl(MADT_PHYS, &t);
	make_pc_madt(&t, 1);
	place_tbl(MADT2_PHYS, &t);
	place_root(XSDT_PHYS, true, x_entries, 1);
	place_root(RSDT_PHYS, false, r_entries, 1);
	place_rsdp(RSDP_PHYS, 2, RSDT_PHYS, XSDT_PHYS);

	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	assert_true(info.have_xsdt);
	assert_int_equal(info.cpu_count, 4);
}

static void test_parse_uses_rsdt_for_revision_0(void **state)
{
	struct tbl t;
	const uint64_t entries[] = {MADT_PHYS};

	make_pc_madt(&t, 3);
	place_tbl(MADT_PHYS, &t);
	place_root(RSDT_PHYS, false, entries, 1);
	place_rsdp(RSDP_PHYS, 0, RSDT_PHYS, 0);

	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	assert_false(info.have_xsdt);
	assert_int_equal(info.root_phys, RSDT_PHYS);
	assert_true(info.have_madt);
	assert_int_equal(info.cpu_count, 3);
	assert_false(info.have_fadt);
}

/* XSDT lists a 4-CPU MADT, RSDT a 1-CPU one: the CPU count tells which was walked. */
static void place_two_roots(void)
{
	struct tbl t;
	const uint64_t x_entries[] = {MADT_PHYS};
	const uint64_t r_entries[] = {MADT2_PHYS};

	make_pc_madt(&t, 4);
	place_tbl(MADT_PHYS, &t);
	make_pc_madt(&t, 1);
	place_tbl(MADT2_PHYS, &t);
	place_root(XSDT_PHYS, true, x_entries, 1);
	place_root(RSDT_PHYS, false, r_entries, 1);
	place_rsdp(RSDP_PHYS, 2, RSDT_PHYS, XSDT_PHYS);
}

static void test_parse_falls_back_to_rsdt_when_xsdt_checksum_is_bad(void **state)
{
	place_two_roots();
	fake_mem[XSDT_PHYS + 10] = (uint8_t)(fake_mem[XSDT_PHYS + 10] + 0x3C);

	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	assert_true(test_log_contains("acpi: XSDT: bad checksum (sum 0x3c)"));
	assert_false(info.have_xsdt);
	assert_int_equal(info.root_phys, RSDT_PHYS);
	assert_int_equal(info.cpu_count, 1);
	assert_int_equal(info.errors, 1);
}

static void test_parse_falls_back_to_rsdt_when_xsdt_is_truncated(void **state)
{
	place_two_roots();
	set32(fake_mem + XSDT_PHYS + HDR_LENGTH, 20);

	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	assert_true(test_log_contains("acpi: XSDT: truncated (length 20 < header 36)"));
	assert_false(info.have_xsdt);
	assert_int_equal(info.cpu_count, 1);
}

static void test_parse_falls_back_to_rsdt_when_xsdt_signature_is_wrong(void **state)
{
	place_two_roots();
	memcpy(fake_mem + XSDT_PHYS, "XSDZ", 4);

	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	assert_true(test_log_contains("acpi: XSDT: wrong signature 'XSDZ'"));
	assert_int_equal(info.cpu_count, 1);
}

static void test_parse_falls_back_to_rsdt_when_xsdt_is_unreadable(void **state)
{
	place_two_roots();
	place_rsdp(RSDP_PHYS, 2, RSDT_PHYS, UNMAPPED_PHYS);

	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	assert_true(test_log_contains("acpi: XSDT: table header at 0x80000000 is not readable"));
	assert_false(info.have_xsdt);
	assert_int_equal(info.cpu_count, 1);
}

static void test_parse_fails_when_no_root_table_is_usable(void **state)
{
	place_two_roots();
	fake_mem[XSDT_PHYS + 10] ^= 1;
	fake_mem[RSDT_PHYS + 10] ^= 1;

	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), -EINVAL);
	assert_true(test_log_contains("acpi: XSDT: bad checksum"));
	assert_true(test_log_contains("acpi: RSDT: bad checksum"));
	assert_false(info.have_madt);
	assert_int_equal(info.cpu_count, 0);
}

static void test_parse_fails_on_bad_rsdp(void **state)
{
	place_pc_system();
	fake_mem[RSDP_PHYS + 33] = 7;

	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), -EINVAL);
	assert_true(test_log_contains("acpi: RSDP: bad extended checksum (sum 0x7)"));
	assert_false(info.have_madt);
	assert_false(info.have_fadt);
}

static void test_parse_fails_on_unreadable_rsdp(void **state)
{
	assert_int_equal(acpi_parse(fake_map, UNMAPPED_PHYS, NULL, 0, &info), -EFAULT);
	assert_true(test_log_contains("acpi: RSDP: 20 bytes at 0x80000000 are not readable"));
}

static void test_parse_uses_multiboot_rsdp_copy(void **state)
{
	uint8_t r[36];

	place_pc_system();
	make_rsdp(r, 2, RSDT_PHYS, XSDT_PHYS);
	/* Nothing at the physical RSDP address: only the copy can work. */
	memset(fake_mem + RSDP_PHYS, 0, 36);
	assert_int_equal(acpi_parse(fake_map, 0, r, 36, &info), 0);
	assert_true(info.have_xsdt);
	assert_true(info.have_madt);
	assert_true(info.have_fadt);
	assert_int_equal(info.rsdp_phys, 0);
}

static void test_parse_skips_table_with_bad_checksum_and_keeps_others(void **state)
{
	place_pc_system();
	fake_mem[FADT_PHYS + 100] = (uint8_t)(fake_mem[FADT_PHYS + 100] + 0x22);

	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	assert_true(test_log_contains("acpi: FACP: bad checksum (sum 0x22)"));
	assert_int_equal(test_log_count(), 1);
	assert_false(info.have_fadt);
	assert_int_equal(info.pm_timer.address, 0);
	assert_true(info.have_madt);
	assert_int_equal(info.cpu_count, 2);
	assert_int_equal(info.errors, 1);
}

static void test_parse_skips_unreadable_and_null_entries(void **state)
{
	const uint64_t entries[] = {UNMAPPED_PHYS, 0, MADT_PHYS, FADT_PHYS};

	place_madt_fadt();
	place_root(XSDT_PHYS, true, entries, 4);
	place_rsdp(RSDP_PHYS, 2, 0, XSDT_PHYS);

	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	assert_true(test_log_contains("acpi: XSDT: table header at 0x80000000 is not readable"));
	assert_true(test_log_contains("acpi: XSDT: entry 1 is a null pointer"));
	assert_true(info.have_madt);
	assert_true(info.have_fadt);
	assert_int_equal(info.tables_found, 4);
}

static void test_parse_rejects_table_whose_length_runs_off_memory(void **state)
{
	const uint64_t entries[] = {FAKE_MEM_SIZE - 64};
	struct tbl t;

	/* The 98-byte MADT starts 64 bytes before the end of fake memory: its
	 * header is readable, its body is not. */
	make_pc_madt(&t, 2);
	assert_int_equal(t.len, 98);
	place(FAKE_MEM_SIZE - 64, t.b, 64);
	place_root(XSDT_PHYS, true, entries, 1);
	place_rsdp(RSDP_PHYS, 2, 0, XSDT_PHYS);

	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	assert_true(test_log_contains("acpi: APIC: 98 bytes at 0x1fffc0 are not readable"));
	assert_false(info.have_madt);
	assert_int_equal(info.errors, 1);
}

static void test_broken_madt_in_parse_leaves_have_madt_false(void **state)
{
	struct tbl t;

	place_pc_system();
	madt_begin(&t, 0xFEE00000, 1);
	madt_lapic(&t, 0, 0, 1);
	put8(&t, 1); /* IOAPIC entry claiming 0 bytes */
	put8(&t, 0);
	put16(&t, 0);
	tbl_finish(&t);
	place_tbl(MADT_PHYS, &t);

	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	assert_true(test_log_contains("acpi: APIC: entry at offset 0x34 has length 0"));
	assert_false(info.have_madt);
	assert_int_equal(info.cpu_count, 0);
	assert_true(info.have_fadt);
}

static void test_parse_maps_no_more_than_a_table_length(void **state)
{
	place_pc_system();
	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	/* FADT (276 bytes) is the largest thing parse needs. */
	assert_int_equal(largest_map, 276);
}

static void test_find_table_returns_the_listed_address(void **state)
{
	place_pc_system();
	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	assert_int_equal(acpi_find_table(fake_map, &info, "HPET"), HPET_PHYS);
	assert_int_equal(acpi_find_table(fake_map, &info, "APIC"), MADT_PHYS);
	assert_int_equal(acpi_find_table(fake_map, &info, "FACP"), FADT_PHYS);
	assert_int_equal(acpi_find_table(fake_map, &info, "XSDT"), XSDT_PHYS);
	assert_int_equal(acpi_find_table(fake_map, &info, "MCFG"), 0);
	/* The FADT names a DSDT at 0x7FE0040, which is not readable here. */
	assert_int_equal(acpi_find_table(fake_map, &info, "DSDT"), 0);
}

static void test_find_table_returns_dsdt_named_by_fadt(void **state)
{
	struct tbl t;

	place_pc_system();
	make_fadt(&t, 276, 6);
	set32(t.b + FADT_DSDT, 0x104000);
	tbl_finish(&t);
	place_tbl(FADT_PHYS, &t);
	tbl_begin(&t, "DSDT", 2);
	put32(&t, 0x12345678);
	tbl_finish(&t);
	place_tbl(0x104000, &t);

	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	assert_int_equal(acpi_find_table(fake_map, &info, "DSDT"), 0x104000);
}

struct listed {
	char sig[8][5];
	uint64_t phys[8];
	uint32_t len[8];
	int n;
};

static void collect(const char sig[4], uint64_t phys, uint32_t len, void *ctx)
{
	struct listed *l = ctx;

	assert_true(l->n < 8);
	memcpy(l->sig[l->n], sig, 4);
	l->sig[l->n][4] = '\0';
	l->phys[l->n] = phys;
	l->len[l->n] = len;
	l->n++;
}

static void test_for_each_table_lists_rsdp_root_and_entries(void **state)
{
	struct listed l = {0};

	place_pc_system();
	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	acpi_for_each_table(fake_map, &info, collect, &l);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.sig[0], "RSDP");
	assert_int_equal(l.phys[0], RSDP_PHYS);
	assert_int_equal(l.len[0], 36);
	assert_string_equal(l.sig[1], "XSDT");
	assert_int_equal(l.len[1], 36 + 3 * 8);
	assert_string_equal(l.sig[2], "FACP");
	assert_int_equal(l.len[2], 276);
	assert_string_equal(l.sig[3], "APIC");
	assert_int_equal(l.phys[3], MADT_PHYS);
	assert_string_equal(l.sig[4], "HPET");
}

/* --- MADT ------------------------------------------------------------------- */

static void test_madt_lapic_entries_enabled_and_disabled(void **state)
{
	struct tbl t;

	madt_begin(&t, 0xFEE00000, 1);
	madt_lapic(&t, 0, 0, 1);
	madt_lapic(&t, 1, 2, 0); /* disabled, not online capable */
	madt_lapic(&t, 2, 4, 2); /* disabled, online capable */
	tbl_finish(&t);

	assert_int_equal(parse_madt(&t), 0);
	assert_true(info.have_madt);
	assert_int_equal(info.lapic_address, 0xFEE00000);
	assert_true(info.pcat_compat);
	assert_int_equal(info.cpu_count, 3);
	assert_int_equal(enabled_cpus(&info), 1);
	assert_int_equal(info.cpus[0].apic_id, 0);
	assert_true(info.cpus[0].enabled);
	assert_int_equal(info.cpus[1].apic_id, 2);
	assert_int_equal(info.cpus[1].acpi_uid, 1);
	assert_false(info.cpus[1].enabled);
	assert_false(info.cpus[1].online_capable);
	assert_int_equal(info.cpus[2].apic_id, 4);
	assert_false(info.cpus[2].enabled);
	assert_true(info.cpus[2].online_capable);
	assert_false(info.cpus[2].x2apic_entry);
	assert_int_equal(test_log_count(), 0);
}

static void test_madt_pcat_compat_flag_clear(void **state)
{
	struct tbl t;

	madt_begin(&t, 0xFEE00000, 0);
	madt_lapic(&t, 0, 0, 1);
	tbl_finish(&t);
	assert_int_equal(parse_madt(&t), 0);
	assert_false(info.pcat_compat);
}

static void test_madt_x2apic_entries(void **state)
{
	struct tbl t;

	madt_begin(&t, 0xFEE00000, 1);
	madt_lapic(&t, 0, 0, 1);
	madt_x2apic(&t, 0x100, 1, 0x100);
	madt_x2apic(&t, 0x12345, 0, 0x77);
	tbl_finish(&t);

	assert_int_equal(parse_madt(&t), 0);
	assert_int_equal(info.cpu_count, 3);
	assert_int_equal(info.cpus[1].apic_id, 0x100);
	assert_int_equal(info.cpus[1].acpi_uid, 0x100);
	assert_true(info.cpus[1].enabled);
	assert_true(info.cpus[1].x2apic_entry);
	assert_int_equal(info.cpus[2].apic_id, 0x12345);
	assert_int_equal(info.cpus[2].acpi_uid, 0x77);
	assert_false(info.cpus[2].enabled);
	assert_int_equal(enabled_cpus(&info), 2);
}

static void test_madt_ioapic_entry(void **state)
{
	struct tbl t;

	madt_begin(&t, 0xFEE00000, 1);
	madt_ioapic(&t, 8, 0xFEC00000, 0);
	madt_ioapic(&t, 9, 0xFEC01000, 24);
	tbl_finish(&t);

	assert_int_equal(parse_madt(&t), 0);
	assert_int_equal(info.ioapic_count, 2);
	assert_int_equal(info.ioapics[0].id, 8);
	assert_int_equal(info.ioapics[0].address, 0xFEC00000);
	assert_int_equal(info.ioapics[0].gsi_base, 0);
	assert_int_equal(info.ioapics[1].id, 9);
	assert_int_equal(info.ioapics[1].address, 0xFEC01000);
	assert_int_equal(info.ioapics[1].gsi_base, 24);
}

static void test_madt_override_irq0_to_gsi2(void **state)
{
	struct tbl t;

	make_pc_madt(&t, 1);
	assert_int_equal(parse_madt(&t), 0);
	assert_int_equal(info.override_count, 2);
	assert_int_equal(info.overrides[0].bus, 0);
	assert_int_equal(info.overrides[0].source, 0);
	assert_int_equal(info.overrides[0].gsi, 2);
	assert_int_equal(info.overrides[0].flags, 0);
	assert_int_equal(info.overrides[1].source, 9);
	assert_int_equal(info.overrides[1].gsi, 9);
	assert_int_equal(info.overrides[1].flags, 0xD);
}

static void test_madt_lapic_nmi_and_x2apic_nmi(void **state)
{
	struct tbl t;

	madt_begin(&t, 0xFEE00000, 1);
	madt_lapic_nmi(&t, 0xFF, 0x5, 1);
	madt_x2apic_nmi(&t, 0xF, 0xFFFFFFFF, 1);
	madt_lapic_nmi(&t, 3, 0, 0);
	tbl_finish(&t);

	assert_int_equal(parse_madt(&t), 0);
	assert_int_equal(info.nmi_count, 3);
	assert_int_equal(info.nmis[0].acpi_uid, 0xFF);
	assert_int_equal(info.nmis[0].flags, 0x5);
	assert_int_equal(info.nmis[0].lint, 1);
	assert_int_equal(info.nmis[1].acpi_uid, 0xFFFFFFFF);
	assert_int_equal(info.nmis[1].flags, 0xF);
	assert_int_equal(info.nmis[1].lint, 1);
	assert_int_equal(info.nmis[2].acpi_uid, 3);
	assert_int_equal(info.nmis[2].lint, 0);
}

static void test_madt_lapic_address_override(void **state)
{
	struct tbl t;

	madt_begin(&t, 0xFEE00000, 1);
	madt_lapic_address_override(&t, 0x1FEE00000ull);
	tbl_finish(&t);

	assert_int_equal(parse_madt(&t), 0);
	assert_int_equal(info.lapic_address, 0xFEE00000);
	assert_int_equal(info.lapic_address_override, 0x1FEE00000ull);
}

static void test_madt_unknown_type_is_skipped_by_its_length(void **state)
{
	struct tbl t;

	madt_begin(&t, 0xFEE00000, 1);
	put8(&t, 0x7F); /* type 0x7F, 7 bytes, would read as garbage if parsed */
	put8(&t, 7);
	for (int i = 0; i < 5; i++)
		put8(&t, 0xEE);
	madt_lapic(&t, 1, 1, 1);
	put8(&t, 0xB); /* GICC, not ours: skipped */
	put8(&t, 3);
	put8(&t, 0);
	tbl_finish(&t);

	assert_int_equal(parse_madt(&t), 0);
	assert_int_equal(info.cpu_count, 1);
	assert_int_equal(info.cpus[0].apic_id, 1);
	assert_int_equal(test_log_count(), 0);
}

static void test_madt_longer_known_entry_is_accepted(void **state)
{
	struct tbl t;

	madt_begin(&t, 0xFEE00000, 1);
	put8(&t, 0); /* LAPIC entry grown to 10 bytes by a future revision */
	put8(&t, 10);
	put8(&t, 5);
	put8(&t, 6);
	put32(&t, 1);
	put16(&t, 0xAAAA);
	madt_lapic(&t, 7, 8, 1);
	tbl_finish(&t);

	assert_int_equal(parse_madt(&t), 0);
	assert_int_equal(info.cpu_count, 2);
	assert_int_equal(info.cpus[0].apic_id, 6);
	assert_int_equal(info.cpus[1].apic_id, 8);
}

static void test_madt_bad_checksum_is_rejected(void **state)
{
	struct tbl t;

	make_pc_madt(&t, 2);
	t.b[40] = (uint8_t)(t.b[40] + 0x3C);
	assert_int_equal(parse_madt(&t), -EINVAL);
	assert_true(test_log_contains("acpi: APIC: bad checksum (sum 0x3c)"));
	assert_int_equal(test_log_count(), 1);
	assert_false(info.have_madt);
	assert_int_equal(info.cpu_count, 0);
	assert_int_equal(info.errors, 1);
}

static void test_madt_wrong_signature_is_rejected(void **state)
{
	struct tbl t;

	make_pc_madt(&t, 2);
	memcpy(t.b, "APIX", 4);
	tbl_finish(&t);
	assert_int_equal(parse_madt(&t), -EINVAL);
	assert_true(test_log_contains("acpi: APIC: wrong signature 'APIX'"));
}

static void test_madt_truncated_below_fixed_fields_is_rejected(void **state)
{
	struct tbl t;

	tbl_begin(&t, "APIC", 5);
	put32(&t, 0xFEE00000); /* flags missing: 40 bytes, MADT needs 44 */
	tbl_finish(&t);
	assert_int_equal(parse_madt(&t), -EINVAL);
	assert_true(test_log_contains("acpi: APIC: truncated (length 40 < header 44)"));
	assert_false(info.have_madt);
}

static void test_madt_shorter_than_sdt_header_is_rejected(void **state)
{
	struct tbl t;

	make_pc_madt(&t, 1);
	assert_int_equal(parse_exact(acpi_parse_madt, t.b, 30), -EINVAL);
	assert_true(test_log_contains("acpi: APIC: truncated (30 bytes < header 36)"));
}

static void test_madt_zero_length_entry_is_rejected(void **state)
{
	struct tbl t;

	madt_begin(&t, 0xFEE00000, 1);
	madt_lapic(&t, 0, 0, 1);
	madt_lapic(&t, 1, 1, 1);
	put8(&t, 0);
	put8(&t, 0);
	put32(&t, 0);
	tbl_finish(&t);

	assert_int_equal(parse_madt(&t), -EINVAL);
	assert_true(test_log_contains("acpi: APIC: entry at offset 0x3c has length 0"));
	assert_int_equal(test_log_count(), 1);
	assert_false(info.have_madt);
	assert_int_equal(info.cpu_count, 0);
}

static void test_madt_entry_longer_than_table_is_rejected(void **state)
{
	struct tbl t;

	madt_begin(&t, 0xFEE00000, 1);
	madt_lapic(&t, 0, 0, 1);
	put8(&t, 9); /* x2APIC entry claiming 20 bytes, 8 left in the table */
	put8(&t, 20);
	put16(&t, 0);
	put32(&t, 1);
	tbl_finish(&t);

	assert_int_equal(parse_madt(&t), -EINVAL);
	assert_true(test_log_contains(
		"acpi: APIC: entry at offset 0x34 (length 20) runs past the table end (0x3c)"));
	assert_false(info.have_madt);
}

static void test_madt_lone_byte_at_table_end_is_rejected(void **state)
{
	struct tbl t;

	madt_begin(&t, 0xFEE00000, 1);
	madt_lapic(&t, 0, 0, 1);
	put8(&t, 0);
	tbl_finish(&t);

	assert_int_equal(parse_madt(&t), -EINVAL);
	assert_true(test_log_contains("acpi: APIC: entry at offset 0x34 runs past the table end (0x35)"));
}

static void test_madt_known_entry_shorter_than_spec_is_rejected(void **state)
{
	struct tbl t;

	madt_begin(&t, 0xFEE00000, 1);
	put8(&t, 1); /* IOAPIC needs 12 bytes */
	put8(&t, 8);
	put8(&t, 1);
	put8(&t, 0);
	put32(&t, 0xFEC00000);
	tbl_finish(&t);

	assert_int_equal(parse_madt(&t), -EINVAL);
	assert_true(test_log_contains("acpi: APIC: type 1 entry at offset 0x2c has length 8 (needs 12)"));
	assert_int_equal(info.ioapic_count, 0);
}

static void test_madt_length_field_beyond_buffer_is_rejected(void **state)
{
	struct tbl t;

	make_pc_madt(&t, 2);
	assert_int_equal(parse_exact(acpi_parse_madt, t.b, t.len - 4), -EINVAL);
	assert_true(test_log_contains("acpi: APIC: length 98 exceeds the 94 bytes available"));
}

static void test_madt_too_many_cpus_are_capped_with_warning(void **state)
{
	struct tbl t;
	const uint32_t n = ACPI_MAX_CPUS + 10;

	madt_begin(&t, 0xFEE00000, 1);
	for (uint32_t i = 0; i < n; i++)
		madt_x2apic(&t, i, 1, i);
	madt_ioapic(&t, 0, 0xFEC00000, 0);
	tbl_finish(&t);

	assert_int_equal(parse_madt(&t), 0);
	assert_true(info.have_madt);
	assert_int_equal(info.cpu_count, ACPI_MAX_CPUS);
	assert_int_equal(info.cpus[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
	assert_int_equal(info.ioapic_count, 1); /* the walk went on past the cap */
	assert_true(test_log_contains("acpi: APIC: 10 processor entries dropped (limit 256)"));
	assert_int_equal(info.errors, 0);
}

static void test_madt_too_many_ioapics_overrides_and_nmis_are_capped(void **state)
{
	struct tbl t;

	madt_begin(&t, 0xFEE00000, 1);
	for (int i = 0; i < ACPI_MAX_IOAPICS + 1; i++)
		madt_ioapic(&t, (uint8_t)i, 0xFEC00000 + 0x1000u * (uint32_t)i, 24u * (uint32_t)i);
	for (int i = 0; i < ACPI_MAX_OVERRIDES + 2; i++)
		madt_override(&t, (uint8_t)i, (uint32_t)i, 0);
	for (int i = 0; i < ACPI_MAX_NMIS + 3; i++)
		madt_lapic_nmi(&t, (uint8_t)i, 0, 1);
	tbl_finish(&t);

	assert_int_equal(parse_madt(&t), 0);
	assert_int_equal(info.ioapic_count, ACPI_MAX_IOAPICS);
	assert_int_equal(info.override_count, ACPI_MAX_OVERRIDES);
	assert_int_equal(info.nmi_count, ACPI_MAX_NMIS);
	assert_true(test_log_contains("acpi: APIC: 1 I/O APIC entries dropped (limit 8)"));
	assert_true(test_log_contains("acpi: APIC: 2 interrupt source overrides dropped (limit 16)"));
	assert_true(test_log_contains("acpi: APIC: 3 NMI entries dropped (limit 16)"));
}

static void test_madt_reparse_forgets_previous_entries(void **state)
{
	struct tbl t;

	make_pc_madt(&t, 4);
	assert_int_equal(parse_exact(acpi_parse_madt, t.b, t.len), 0);
	assert_int_equal(info.cpu_count, 4);
	make_pc_madt(&t, 1);
	assert_int_equal(parse_exact(acpi_parse_madt, t.b, t.len), 0);
	assert_int_equal(info.cpu_count, 1);
	assert_int_equal(info.override_count, 2);
}

/* --- FADT ------------------------------------------------------------------- */

static void test_fadt_v1_116_bytes_gives_pm_timer_sci_and_pm1(void **state)
{
	struct tbl t;

	make_fadt(&t, 116, 1);
	assert_int_equal(parse_fadt(&t), 0);
	assert_true(info.have_fadt);
	assert_int_equal(info.sci_irq, 9);
	assert_int_equal(info.pm_timer.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(info.pm_timer.address, 0x608);
	assert_int_equal(info.pm_timer.bit_width, 32);
	assert_false(info.pm_timer_32bit);
	assert_int_equal(info.pm1a_cnt_port, 0x604);
	assert_int_equal(info.pm1b_cnt_port, 0);
	assert_int_equal(info.smi_cmd, 0xB2);
	assert_int_equal(info.acpi_enable, 0xF1);
	assert_int_equal(info.dsdt_phys, 0x7FE0040);
	assert_false(info.reset_supported);
	assert_int_equal(test_log_count(), 0);
}

static void test_fadt_v1_ignores_reset_flag_without_reset_reg(void **state)
{
	struct tbl t;

	make_fadt(&t, 116, 1);
	set32(t.b + FADT_FLAGS, FLAG_RESET_REG_SUP | FLAG_TMR_VAL_EXT);
	tbl_finish(&t);
	assert_int_equal(parse_fadt(&t), 0);
	assert_false(info.reset_supported);
	assert_int_equal(info.reset_reg.address, 0);
	assert_true(info.pm_timer_32bit);
}

static void test_fadt_v6_prefers_x_pm_tmr_blk(void **state)
{
	struct tbl t;

	make_fadt(&t, 276, 6);
	put_gas(t.b + FADT_X_PM_TMR_BLK, ACPI_GAS_SYSTEM_IO, 32, 3, 0x1808);
	set32(t.b + FADT_FLAGS, FLAG_TMR_VAL_EXT);
	tbl_finish(&t);

	assert_int_equal(parse_fadt(&t), 0);
	assert_int_equal(info.pm_timer.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(info.pm_timer.address, 0x1808);
	assert_int_equal(info.pm_timer.bit_width, 32);
	assert_true(info.pm_timer_32bit);
}

static void test_fadt_v6_memory_mapped_x_pm_timer_is_reported_as_such(void **state)
{
	struct tbl t;

	make_fadt(&t, 276, 6);
	put_gas(t.b + FADT_X_PM_TMR_BLK, ACPI_GAS_SYSTEM_MEMORY, 32, 3, 0xFED80008);
	tbl_finish(&t);

	assert_int_equal(parse_fadt(&t), 0);
	assert_int_equal(info.pm_timer.space_id, ACPI_GAS_SYSTEM_MEMORY);
	assert_int_equal(info.pm_timer.address, 0xFED80008);
}

static void test_fadt_v6_falls_back_to_pm_tmr_blk_when_x_is_zero(void **state)
{
	struct tbl t;

	make_fadt(&t, 276, 6);
	assert_int_equal(parse_fadt(&t), 0);
	assert_int_equal(info.pm_timer.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(info.pm_timer.address, 0x608);
}

static void test_fadt_without_pm_timer_reports_address_zero(void **state)
{
	struct tbl t;

	make_fadt(&t, 276, 6);
	set32(t.b + FADT_PM_TMR_BLK, 0);
	tbl_finish(&t);
	assert_int_equal(parse_fadt(&t), 0);
	assert_true(info.have_fadt);
	assert_int_equal(info.pm_timer.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(info.pm_timer.address, 0);
}

static void test_fadt_x_pm_tmr_blk_ignored_when_table_too_short(void **state)
{
	struct tbl t;

	/* 244-byte ACPI 2.0 FADT: X_PM_TMR_BLK (208..219) is inside, make it
	 * 212 bytes so the field is cut in half and must not be used. */
	make_fadt(&t, 244, 3);
	put_gas(t.b + FADT_X_PM_TMR_BLK, ACPI_GAS_SYSTEM_IO, 32, 3, 0x1808);
	t.len = 212;
	tbl_finish(&t);
	assert_int_equal(parse_fadt(&t), 0);
	assert_int_equal(info.pm_timer.address, 0x608);
}

static void test_fadt_v6_reset_register(void **state)
{
	struct tbl t;

	make_fadt(&t, 276, 6);
	set32(t.b + FADT_FLAGS, FLAG_RESET_REG_SUP);
	put_gas(t.b + FADT_RESET_REG, ACPI_GAS_SYSTEM_IO, 8, 1, 0xCF9);
	t.b[FADT_RESET_VALUE] = 0x06;
	tbl_finish(&t);

	assert_int_equal(parse_fadt(&t), 0);
	assert_true(info.reset_supported);
	assert_int_equal(info.reset_reg.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(info.reset_reg.bit_width, 8);
	assert_int_equal(info.reset_reg.access_size, 1);
	assert_int_equal(info.reset_reg.address, 0xCF9);
	assert_int_equal(info.reset_value, 0x06);
}

static void test_fadt_reset_register_without_flag_is_not_supported(void **state)
{
	struct tbl t;

	make_fadt(&t, 276, 6);
	put_gas(t.b + FADT_RESET_REG, ACPI_GAS_SYSTEM_IO, 8, 1, 0xCF9);
	t.b[FADT_RESET_VALUE] = 0x06;
	tbl_finish(&t);

	assert_int_equal(parse_fadt(&t), 0);
	assert_false(info.reset_supported);
	assert_int_equal(info.reset_reg.address, 0xCF9);
}

static void test_fadt_x_dsdt_preferred(void **state)
{
	struct tbl t;

	make_fadt(&t, 276, 6);
	set64(t.b + FADT_X_DSDT, 0x123456789000ull);
	tbl_finish(&t);
	assert_int_equal(parse_fadt(&t), 0);
	assert_int_equal(info.dsdt_phys, 0x123456789000ull);
}

static void test_fadt_x_pm1a_cnt_blk_preferred_when_io(void **state)
{
	struct tbl t;

	make_fadt(&t, 276, 6);
	put_gas(t.b + FADT_X_PM1A_CNT_BLK, ACPI_GAS_SYSTEM_IO, 16, 2, 0x1804);
	tbl_finish(&t);
	assert_int_equal(parse_fadt(&t), 0);
	assert_int_equal(info.pm1a_cnt_port, 0x1804);
}

static void test_fadt_truncated_is_rejected(void **state)
{
	struct tbl t;

	make_fadt(&t, 100, 1);
	assert_int_equal(parse_fadt(&t), -EINVAL);
	assert_true(test_log_contains("acpi: FACP: truncated (length 100 < minimum 116)"));
	assert_false(info.have_fadt);
	assert_int_equal(info.sci_irq, 0);
	assert_int_equal(info.pm_timer.address, 0);
}

static void test_fadt_bad_checksum_is_rejected(void **state)
{
	struct tbl t;

	make_fadt(&t, 244, 3);
	t.b[200] = 0x3C;
	assert_int_equal(parse_fadt(&t), -EINVAL);
	assert_true(test_log_contains("acpi: FACP: bad checksum (sum 0x3c)"));
	assert_int_equal(test_log_count(), 1);
	assert_false(info.have_fadt);
}

/* --- Captured firmware tables ------------------------------------------------ */

struct blob {
	uint8_t *data;
	size_t len;
};

static bool load_file(const char *path, struct blob *b)
{
	FILE *f = fopen(path, "rb");
	long n;

	b->data = NULL;
	b->len = 0;
	if (!f)
		return false;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return false;
	}
	b->data = malloc(n ? (size_t)n : 1);
	assert_non_null(b->data);
	b->len = fread(b->data, 1, (size_t)n, f);
	fclose(f);
	assert_int_equal(b->len, (size_t)n);
	return true;
}

/* expect.txt: optional `key=value` lines, '#' comments. */
struct expect {
	long cpus;      /* enabled CPUs */
	long ioapics;   /* I/O APIC entries */
	long pm_timer;  /* PM timer address (I/O port on PCs) */
	long sci;       /* SCI interrupt */
	long overrides; /* interrupt source overrides */
	long reset;     /* reset register address, 0 when reset is not supported */
};

static void load_expect(const char *path, struct expect *e)
{
	char line[256];
	FILE *f = fopen(path, "r");

	e->cpus = e->ioapics = e->pm_timer = e->sci = e->overrides = e->reset = -1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char key[64];
		char value[64];
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, " %63[a-z_] = %63s", key, value) != 2)
			fail_msg("%s: cannot read line '%s'", path, line);
		long v = strtol(value, NULL, 0);
		if (strcmp(key, "cpus") == 0)
			e->cpus = v;
		else if (strcmp(key, "ioapics") == 0)
			e->ioapics = v;
		else if (strcmp(key, "pm_timer") == 0)
			e->pm_timer = v;
		else if (strcmp(key, "sci") == 0)
			e->sci = v;
		else if (strcmp(key, "overrides") == 0)
			e->overrides = v;
		else if (strcmp(key, "reset") == 0)
			e->reset = v;
		else
			fail_msg("%s: unknown key '%s'", path, key);
	}
	fclose(f);
}

static bool is_table_file(const char *name, char sig[5])
{
	size_t n = strlen(name);

	/* <SIG>.bin, or <SIG><digits>.bin for a second SSDT */
	if (n < 8 || strcmp(name + n - 4, ".bin") != 0)
		return false;
	memcpy(sig, name, 4);
	sig[4] = '\0';
	return true;
}

static void check_platform_info(const char *dir, const struct acpi_info *ai,
				const struct expect *e)
{
	if (!ai->have_madt || !ai->have_fadt)
		fail_msg("%s: have_madt %d have_fadt %d", dir, ai->have_madt, ai->have_fadt);
	if (enabled_cpus(ai) < 1)
		fail_msg("%s: no enabled CPU", dir);
	if (ai->ioapic_count < 1)
		fail_msg("%s: no I/O APIC", dir);
	if (ai->pm_timer.address == 0)
		fail_msg("%s: no PM timer", dir);
	if (e->cpus >= 0 && (long)enabled_cpus(ai) != e->cpus)
		fail_msg("%s: %u enabled CPUs, expected %ld", dir, enabled_cpus(ai), e->cpus);
	if (e->ioapics >= 0 && (long)ai->ioapic_count != e->ioapics)
		fail_msg("%s: %u I/O APICs, expected %ld", dir, ai->ioapic_count, e->ioapics);
	if (e->pm_timer >= 0 && (long)ai->pm_timer.address != e->pm_timer)
		fail_msg("%s: PM timer 0x%llx, expected 0x%lx", dir,
			 (unsigned long long)ai->pm_timer.address, e->pm_timer);
	if (e->sci >= 0 && (long)ai->sci_irq != e->sci)
		fail_msg("%s: SCI %u, expected %ld", dir, ai->sci_irq, e->sci);
	if (e->overrides >= 0 && (long)ai->override_count != e->overrides)
		fail_msg("%s: %u overrides, expected %ld", dir, ai->override_count, e->overrides);
	long reset = ai->reset_supported ? (long)ai->reset_reg.address : 0;
	if (e->reset >= 0 && reset != e->reset)
		fail_msg("%s: reset register 0x%lx, expected 0x%lx", dir, reset, e->reset);
}

/* Replays one captured platform: every table checks out on its own, MADT and
 * FADT parse, and a full acpi_parse over a fake memory holding those tables
 * (behind a fresh RSDP and XSDT, since the capture keeps no addresses)
 * agrees. */
#define MAX_CAPTURED 64

static void check_platform(const char *dir)
{
	char path[1024];
	struct blob rsdp, tables[MAX_CAPTURED];
	char sigs[MAX_CAPTURED][5];
	size_t n = 0;
	int madt = -1, fadt = -1;
	struct expect e;

	printf("acpi: checking captured tables in %s\n", dir);
	snprintf(path, sizeof(path), "%s/RSDP.bin", dir);
	if (!load_file(path, &rsdp))
		fail_msg("%s: missing", path);
	if (acpi_check_rsdp(rsdp.data, rsdp.len) != 0)
		fail_msg("%s: RSDP rejected: %s", dir, test_log_text());
	free(rsdp.data);

	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char sig[5];
		if (!is_table_file(de->d_name, sig) || strcmp(de->d_name, "RSDP.bin") == 0 ||
		    strcmp(sig, "FACS") == 0) /* FACS has no checksum */
			continue;
		assert_true(n < MAX_CAPTURED);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_true(load_file(path, &tables[n]));
		if (acpi_check_table(tables[n].data, tables[n].len, sig) != 0)
			fail_msg("%s: rejected: %s", path, test_log_text());
		uint32_t len;
		memcpy(&len, tables[n].data + 4, 4);
		if (len != tables[n].len)
			fail_msg("%s: file size %zu differs from the table length %u", path,
				 tables[n].len, len);
		memcpy(sigs[n], sig, 5);
		if (strcmp(de->d_name, "APIC.bin") == 0)
			madt = (int)n;
		if (strcmp(de->d_name, "FACP.bin") == 0)
			fadt = (int)n;
		n++;
	}
	closedir(d);
	if (madt < 0 || fadt < 0)
		fail_msg("%s: APIC.bin and FACP.bin are required", dir);

	/* MADT and FADT on their own. */
	memset(&info, 0, sizeof(info));
	assert_int_equal(parse_exact(acpi_parse_madt, tables[madt].data, tables[madt].len), 0);
	assert_int_equal(parse_exact(acpi_parse_fadt, tables[fadt].data, tables[fadt].len), 0);
	snprintf(path, sizeof(path), "%s/expect.txt", dir);
	load_expect(path, &e);
	check_platform_info(dir, &info, &e);

	/* Everything the root tables list, walked from an RSDP. */
	uint64_t entries[MAX_CAPTURED];
	size_t n_entries = 0;
	uint64_t next = 0x110000;
	memset(fake_mem, 0, sizeof(fake_mem));
	for (size_t i = 0; i < n; i++) {
		if (strcmp(sigs[i], "RSDT") != 0 && strcmp(sigs[i], "XSDT") != 0 &&
		    strcmp(sigs[i], "DSDT") != 0) {
			place(next, tables[i].data, tables[i].len);
			entries[n_entries++] = next;
			next += (tables[i].len + 15) & ~(size_t)15;
		}
		free(tables[i].data);
	}
	place_root(XSDT_PHYS, true, entries, n_entries);
	place_rsdp(RSDP_PHYS, 2, 0, XSDT_PHYS);
	assert_int_equal(acpi_parse(fake_map, RSDP_PHYS, NULL, 0, &info), 0);
	if (info.errors != 0)
		fail_msg("%s: %u errors: %s", dir, info.errors, test_log_text());
	assert_int_equal(info.tables_found, n_entries);
	check_platform_info(dir, &info, &e);
	unmap_all();
}

static void test_captured_tables_parse(void **state)
{
	DIR *d = opendir(ACPI_DATA_DIR);
	int platforms = 0;

	if (!d) {
		printf("acpi: no captured tables (%s missing), nothing to check\n", ACPI_DATA_DIR);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char dir[512];
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", ACPI_DATA_DIR, de->d_name);
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		test_log_reset();
		check_platform(dir);
		platforms++;
	}
	closedir(d);
	printf("acpi: %d captured platform(s) checked\n", platforms);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_rsdp_v1_with_good_checksum_is_accepted),
		T(test_rsdp_v2_with_good_checksums_is_accepted),
		T(test_rsdp_bad_checksum_is_rejected),
		T(test_rsdp_bad_extended_checksum_is_rejected),
		T(test_rsdp_bad_signature_is_rejected),
		T(test_rsdp_revision_2_with_only_20_bytes_is_rejected),
		T(test_rsdp_length_beyond_available_bytes_is_rejected),
		T(test_find_rsdp_in_bios_area),
		T(test_find_rsdp_at_the_last_paragraph_of_the_bios_area),
		T(test_find_rsdp_in_ebda_first_kib),
		T(test_find_rsdp_prefers_ebda_over_bios_area),
		T(test_find_rsdp_ignores_ebda_beyond_first_kib),
		T(test_find_rsdp_ignores_unaligned_signature),
		T(test_find_rsdp_skips_candidate_with_bad_checksum),
		T(test_find_rsdp_skips_candidate_with_bad_extended_checksum),
		T(test_find_rsdp_returns_zero_when_absent),
		T(test_parse_pc_system_reads_madt_and_fadt_through_xsdt),
		T(test_parse_prefers_xsdt_when_revision_2),
		T(test_parse_uses_rsdt_for_revision_0),
		T(test_parse_falls_back_to_rsdt_when_xsdt_checksum_is_bad),
		T(test_parse_falls_back_to_rsdt_when_xsdt_is_truncated),
		T(test_parse_falls_back_to_rsdt_when_xsdt_signature_is_wrong),
		T(test_parse_falls_back_to_rsdt_when_xsdt_is_unreadable),
		T(test_parse_fails_when_no_root_table_is_usable),
		T(test_parse_fails_on_bad_rsdp),
		T(test_parse_fails_on_unreadable_rsdp),
		T(test_parse_uses_multiboot_rsdp_copy),
		T(test_parse_skips_table_with_bad_checksum_and_keeps_others),
		T(test_parse_skips_unreadable_and_null_entries),
		T(test_parse_rejects_table_whose_length_runs_off_memory),
		T(test_broken_madt_in_parse_leaves_have_madt_false),
		T(test_parse_maps_no_more_than_a_table_length),
		T(test_find_table_returns_the_listed_address),
		T(test_find_table_returns_dsdt_named_by_fadt),
		T(test_for_each_table_lists_rsdp_root_and_entries),
		T(test_madt_lapic_entries_enabled_and_disabled),
		T(test_madt_pcat_compat_flag_clear),
		T(test_madt_x2apic_entries),
		T(test_madt_ioapic_entry),
		T(test_madt_override_irq0_to_gsi2),
		T(test_madt_lapic_nmi_and_x2apic_nmi),
		T(test_madt_lapic_address_override),
		T(test_madt_unknown_type_is_skipped_by_its_length),
		T(test_madt_longer_known_entry_is_accepted),
		T(test_madt_bad_checksum_is_rejected),
		T(test_madt_wrong_signature_is_rejected),
		T(test_madt_truncated_below_fixed_fields_is_rejected),
		T(test_madt_shorter_than_sdt_header_is_rejected),
		T(test_madt_zero_length_entry_is_rejected),
		T(test_madt_entry_longer_than_table_is_rejected),
		T(test_madt_lone_byte_at_table_end_is_rejected),
		T(test_madt_known_entry_shorter_than_spec_is_rejected),
		T(test_madt_length_field_beyond_buffer_is_rejected),
		T(test_madt_too_many_cpus_are_capped_with_warning),
		T(test_madt_too_many_ioapics_overrides_and_nmis_are_capped),
		T(test_madt_reparse_forgets_previous_entries),
		T(test_fadt_v1_116_bytes_gives_pm_timer_sci_and_pm1),
		T(test_fadt_v1_ignores_reset_flag_without_reset_reg),
		T(test_fadt_v6_prefers_x_pm_tmr_blk),
		T(test_fadt_v6_memory_mapped_x_pm_timer_is_reported_as_such),
		T(test_fadt_v6_falls_back_to_pm_tmr_blk_when_x_is_zero),
		T(test_fadt_without_pm_timer_reports_address_zero),
		T(test_fadt_x_pm_tmr_blk_ignored_when_table_too_short),
		T(test_fadt_v6_reset_register),
		T(test_fadt_reset_register_without_flag_is_not_supported),
		T(test_fadt_x_dsdt_preferred),
		T(test_fadt_x_pm1a_cnt_blk_preferred_when_io),
		T(test_fadt_truncated_is_rejected),
		T(test_fadt_bad_checksum_is_rejected),
		T(test_captured_tables_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
