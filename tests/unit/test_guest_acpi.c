/* Tests for hv/guest_acpi.c: the tables are built into a buffer placed at
 * 0xE0000 of a fake guest-physical address space and read back the way a
 * guest OS would, through the hypervisor's own ACPI parser (drivers/acpi.c:
 * RSDP scan, XSDT walk, MADT, FADT) and S5 scan (drivers/acpi_s5.c), plus
 * checks written here from the ACPI 6.0 spec: raw FADT fields, checksums,
 * and a small AML walker that verifies every package length in the DSDT.
 * The fake phys_map_fn hands out heap copies of exactly the requested
 * range, so AddressSanitizer catches a parser reading past what it asked.
 *
 * With GUEST_ACPI_DUMP_DIR set, the 64-vCPU tables are also written there
 * as <SIG>.bin for `iasl -d` (not needed by the test itself). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/acpi.h"
#include "drivers/acpi_s5.h"
#include "hv/errno.h"
#include "hv/guest_acpi.h"
#include "test_log.h"

#define AREA_GPA 0xE0000ULL
#define AREA_SIZE 0x20000ULL

/* --- Fake guest-physical memory: 0xE0000-0xFFFFF and nothing else ----------- */

/* The BIOS area. The tables' buffer is `area`, the part of it from
 * area_gpa, normally 0xE0000 (the whole BIOS area); a test may start it a
 * little higher, the rest of the BIOS area then stays zero. */
static uint8_t bios[AREA_SIZE];
static uint8_t *area = bios;
static uint64_t area_gpa = AREA_GPA;
static void *mappings[8192];
static size_t mapping_count;

static const void *fake_map(uint64_t phys, uint64_t len)
{
	if (phys < AREA_GPA || phys - AREA_GPA > AREA_SIZE || len > AREA_SIZE - (phys - AREA_GPA))
		return NULL;
	assert_true(mapping_count < sizeof(mappings) / sizeof(mappings[0]));
	void *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, bios + (phys - AREA_GPA), len);
	mappings[mapping_count++] = copy;
	return copy;
}

static void place_area(uint64_t gpa)
{
	area_gpa = gpa;
	area = bios + (gpa - AREA_GPA);
}

static int setup(void **state)
{
	(void)state;
	memset(bios, 0, sizeof(bios));
	place_area(AREA_GPA);
	test_log_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < mapping_count; i++)
		free(mappings[i]);
	mapping_count = 0;
	return 0;
}

/* --- Helpers ----------------------------------------------------------------- */

static const uint8_t *at(uint64_t gpa)
{
	assert_true(gpa >= AREA_GPA && gpa < AREA_GPA + AREA_SIZE);
	return bios + (gpa - AREA_GPA);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static void build_cfg(const struct guest_acpi_config *cfg, struct guest_acpi_layout *lay)
{
	size_t size = AREA_SIZE - (area_gpa - AREA_GPA);

	assert_int_equal(guest_acpi_build(cfg, area, size, area_gpa, lay), 0);
	assert_true(lay->size > 0 && lay->size <= size);
}

static void build(uint32_t vcpus, struct guest_acpi_layout *lay)
{
	struct guest_acpi_config cfg;

	guest_acpi_default_config(&cfg, vcpus);
	build_cfg(&cfg, lay);
}

static struct acpi_info info;

/* Finds the RSDP the way a guest does and parses everything behind it. */
static void parse(void)
{
	uint64_t rsdp = acpi_find_rsdp(fake_map);

	assert_int_not_equal(rsdp, 0);
	assert_int_equal(acpi_parse(fake_map, rsdp, NULL, 0, &info), 0);
	assert_int_equal(info.errors, 0);
}

static const uint8_t *table(uint64_t gpa, const char *sig)
{
	const uint8_t *t = at(gpa);

	assert_memory_equal(t, sig, 4);
	assert_true(gpa + rd32(t + 4) <= AREA_GPA + AREA_SIZE);
	return t;
}

static uint32_t table_len(const uint8_t *t)
{
	return rd32(t + 4);
}

/* --- RSDP and root tables ---------------------------------------------------- */

static void test_rsdp_is_found_by_scanning_the_bios_area(void **state)
{
	struct guest_acpi_layout lay;

	(void)state;
	build(1, &lay);
	assert_int_equal(lay.rsdp_gpa, AREA_GPA);
	assert_int_equal(acpi_find_rsdp(fake_map), AREA_GPA);
	const uint8_t *r = at(lay.rsdp_gpa);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(r[15], 2);          /* revision: ACPI 2.0+ */
	assert_int_equal(rd32(r + 20), 36);  /* length */
	assert_int_equal(rd32(r + 16), lay.rsdt_gpa);
	assert_int_equal(rd64(r + 24), lay.xsdt_gpa);
	assert_int_equal(sum(r, 20), 0);
	assert_int_equal(sum(r, 36), 0);
	parse();
	assert_int_equal(info.revision, 2);
	assert_true(info.have_xsdt);
	assert_int_equal(info.root_phys, lay.xsdt_gpa);
	assert_int_equal(test_log_count(), 0);
}

static void test_rsdt_and_xsdt_both_list_the_fadt_and_madt(void **state)
{
	struct guest_acpi_layout lay;

	(void)state;
	build(4, &lay);
	const uint8_t *rsdt = table(lay.rsdt_gpa, "RSDT");
	const uint8_t *xsdt = table(lay.xsdt_gpa, "XSDT");
	assert_int_equal(table_len(rsdt), 36 + 2 * 4);
	assert_int_equal(table_len(xsdt), 36 + 2 * 8);
	assert_int_equal(rd32(rsdt + 36), lay.fadt_gpa);
	assert_int_equal(rd32(rsdt + 40), lay.madt_gpa);
	assert_int_equal(rd64(xsdt + 36), lay.fadt_gpa);
	assert_int_equal(rd64(xsdt + 44), lay.madt_gpa);
	/* The FADT's OEM Table ID must match the root table's (5.2.9). */
	assert_memory_equal(at(lay.fadt_gpa) + 16, rsdt + 16, 8);
	assert_memory_equal(at(lay.fadt_gpa) + 16, xsdt + 16, 8);
	assert_memory_equal(xsdt + 10, "HVPLAT", 6);

	parse();
	assert_int_equal(info.tables_found, 2);
	assert_int_equal(acpi_find_table(fake_map, &info, "FACP"), lay.fadt_gpa);
	assert_int_equal(acpi_find_table(fake_map, &info, "APIC"), lay.madt_gpa);
	assert_int_equal(acpi_find_table(fake_map, &info, "HPET"), 0);
}

struct seen {
	char sig[8][5];
	uint64_t phys[8];
	int n;
};

static void collect(const char sig[4], uint64_t phys, uint32_t len, void *ctx)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	memcpy(s->sig[s->n], sig, 4);
	s->sig[s->n][4] = '\0';
	s->phys[s->n++] = phys;
	/* Every structure with a checksum sums to zero over its whole length. */
	assert_int_equal(sum(at(phys), len), 0);
}

static void check_all_checksums(uint32_t vcpus)
{
	struct guest_acpi_layout lay;
	struct seen s = {0};

	build(vcpus, &lay);
	parse();
	acpi_for_each_table(fake_map, &info, collect, &s);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.sig[0], "RSDP");
	assert_string_equal(s.sig[1], "XSDT");
	assert_string_equal(s.sig[2], "FACP");
	assert_string_equal(s.sig[3], "APIC");
	assert_string_equal(s.sig[4], "DSDT");
	/* The RSDT is not walked when there is an XSDT: check it here. */
	const uint8_t *rsdt = table(lay.rsdt_gpa, "RSDT");
	assert_int_equal(sum(rsdt, table_len(rsdt)), 0);
	assert_int_equal(acpi_check_table(rsdt, table_len(rsdt), "RSDT"), 0);
	assert_int_equal(sum(at(lay.rsdp_gpa), 20), 0);
	assert_int_equal(acpi_check_rsdp(at(lay.rsdp_gpa), 36), 0);
}

static void test_every_table_checksum_sums_to_zero(void **state)
{
	(void)state;
	check_all_checksums(1);
	check_all_checksums(2);
	check_all_checksums(64);
	assert_int_equal(test_log_count(), 0);
}

/* --- MADT --------------------------------------------------------------------- */

static void check_cpus(uint32_t n)
{
	struct guest_acpi_layout lay;

	memset(bios, 0, sizeof(bios));
	build(n, &lay);
	parse();
	assert_true(info.have_madt);
	assert_int_equal(info.cpu_count, n);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(info.cpus[i].apic_id, i);
		assert_int_equal(info.cpus[i].acpi_uid, i);
		assert_true(info.cpus[i].enabled);
		assert_false(info.cpus[i].x2apic_entry);
	}
	/* The I/O APIC takes the first ID after the local APICs. */
	assert_int_equal(info.ioapic_count, 1);
	assert_int_equal(info.ioapics[0].id, n);
}

static void test_madt_lists_one_enabled_cpu_per_vcpu_with_apic_ids_in_order(void **state)
{
	(void)state;
	check_cpus(1);
	check_cpus(2);
	check_cpus(4);
	check_cpus(64);
	assert_int_equal(test_log_count(), 0);
}

static void test_madt_describes_ioapic_overrides_and_lint1_nmi(void **state)
{
	struct guest_acpi_layout lay;

	(void)state;
	build(2, &lay);
	parse();
	assert_int_equal(info.lapic_address, 0xFEE00000u);
	assert_int_equal(info.lapic_address_override, 0);
	assert_true(info.pcat_compat);

	assert_int_equal(info.ioapic_count, 1);
	assert_int_equal(info.ioapics[0].id, 2);
	assert_int_equal(info.ioapics[0].address, 0xFEC00000u);
	assert_int_equal(info.ioapics[0].gsi_base, 0);

	assert_int_equal(info.override_count, 2);
	assert_int_equal(info.overrides[0].bus, 0);
	assert_int_equal(info.overrides[0].source, 0);
	assert_int_equal(info.overrides[0].gsi, 2);
	assert_int_equal(info.overrides[0].flags, 0); /* conforming: edge, high */
	assert_int_equal(info.overrides[1].bus, 0);
	assert_int_equal(info.overrides[1].source, 9);
	assert_int_equal(info.overrides[1].gsi, 9);
	assert_int_equal(info.overrides[1].flags, 0x000D); /* level, active high */

	assert_int_equal(info.nmi_count, 1);
	assert_int_equal(info.nmis[0].acpi_uid, 0xFF); /* all processors */
	assert_int_equal(info.nmis[0].lint, 1);

	const uint8_t *madt = table(lay.madt_gpa, "APIC");
	/* header + flags, 2 LAPICs, IOAPIC, 2 overrides, NMI */
	assert_int_equal(table_len(madt), 44 + 2 * 8 + 12 + 2 * 10 + 6);
}

static void test_madt_follows_a_configured_sci_irq(void **state)
{
	struct guest_acpi_config cfg;
	struct guest_acpi_layout lay;

	(void)state;
	guest_acpi_default_config(&cfg, 1);
	cfg.sci_irq = 11;
	build_cfg(&cfg, &lay);
	parse();
	assert_int_equal(info.sci_irq, 11);
	assert_int_equal(info.override_count, 2);
	assert_int_equal(info.overrides[1].source, 11);
	assert_int_equal(info.overrides[1].gsi, 11);
	assert_int_equal(info.overrides[1].flags, 0x000D);
}

/* --- FADT, FACS ----------------------------------------------------------------- */

static void test_fadt_gives_pm_timer_pm1_control_and_reset_register(void **state)
{
	struct guest_acpi_layout lay;

	(void)state;
	build(1, &lay);
	parse();
	assert_true(info.have_fadt);
	assert_int_equal(info.sci_irq, 9);
	assert_int_equal(info.pm_timer.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(info.pm_timer.address, 0x608);
	assert_int_equal(info.pm_timer.bit_width, 32);
	assert_false(info.pm_timer_32bit); /* 24-bit timer */
	assert_int_equal(info.pm1a_cnt_port, 0x604);
	assert_int_equal(info.pm1b_cnt_port, 0);
	assert_int_equal(info.smi_cmd, 0); /* no SMM: ACPI always enabled */
	assert_int_equal(info.acpi_enable, 0);
	assert_true(info.reset_supported);
	assert_int_equal(info.reset_reg.space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(info.reset_reg.address, 0xCF9);
	assert_int_equal(info.reset_reg.bit_width, 8);
	assert_int_equal(info.reset_value, 0x06);
}

/* ACPI 6.0 Table 5-34 offsets, read directly. */
static void test_fadt_fixed_fields_describe_the_piix4_pm_block(void **state)
{
	struct guest_acpi_layout lay;

	(void)state;
	build(1, &lay);
	const uint8_t *f = table(lay.fadt_gpa, "FACP");
	assert_int_equal(table_len(f), 276);
	assert_int_equal(f[8], 6);   /* revision */
	assert_int_equal(f[131], 0); /* minor version: FADT 6.0 */
	assert_int_equal(rd32(f + 56), 0x600); /* PM1a_EVT_BLK */
	assert_int_equal(rd32(f + 60), 0);     /* PM1b_EVT_BLK */
	assert_int_equal(rd32(f + 64), 0x604); /* PM1a_CNT_BLK */
	assert_int_equal(rd32(f + 72), 0);     /* PM2_CNT_BLK */
	assert_int_equal(rd32(f + 76), 0x608); /* PM_TMR_BLK */
	assert_int_equal(rd32(f + 80), 0);     /* GPE0_BLK */
	assert_int_equal(rd32(f + 84), 0);     /* GPE1_BLK */
	assert_int_equal(f[88], 4);            /* PM1_EVT_LEN */
	assert_int_equal(f[89], 2);            /* PM1_CNT_LEN */
	assert_int_equal(f[90], 0);            /* PM2_CNT_LEN */
	assert_int_equal(f[91], 4);            /* PM_TMR_LEN */
	assert_int_equal(f[92], 0);            /* GPE0_BLK_LEN */
	assert_int_equal(f[93], 0);            /* GPE1_BLK_LEN */
	assert_int_equal(rd32(f + 48), 0);     /* SMI_CMD */
	assert_int_equal(f[52], 0);            /* ACPI_ENABLE */
	assert_int_equal(f[53], 0);            /* ACPI_DISABLE */
	assert_true(rd16(f + 96) > 100);       /* no C2 */
	assert_true(rd16(f + 98) > 1000);      /* no C3 */
	assert_int_equal(f[108], 0x32);        /* CENTURY */
	/* IAPC_BOOT_ARCH: legacy devices, VGA not present; no 8042, MSI allowed */
	assert_int_equal(rd16(f + 109), 0x0005);
	/* Flags: WBINVD, PROC_C1, PWR_BUTTON, SLP_BUTTON, RESET_REG_SUP */
	assert_int_equal(rd32(f + 112), 0x00000435);
	assert_int_equal(rd32(f + 112) & (1u << 8), 0); /* TMR_VAL_EXT clear */
	assert_int_equal(f[128], 0x06);                 /* RESET_VALUE */

	/* X_ blocks: I/O space, the same ports, bit widths = 8 * the lengths. */
	static const struct {
		uint32_t off, port;
		uint8_t bits;
	} x[] = {{148, 0x600, 32}, {172, 0x604, 16}, {208, 0x608, 32}};
	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		const uint8_t *g = f + x[i].off;
		assert_int_equal(g[0], 1); /* system I/O */
		assert_int_equal(g[1], x[i].bits);
		assert_int_equal(g[2], 0);
		assert_int_not_equal(g[3], 0); /* access size given */
		assert_int_equal(rd64(g + 4), x[i].port);
	}
	/* Absent blocks are all-zero GAS entries. */
	static const uint32_t absent[] = {160, 184, 196, 220, 232, 244, 256};
	static const uint8_t zero[12];
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		assert_memory_equal(f + absent[i], zero, 12);
}

static void test_fadt_dsdt_and_facs_pointers_resolve_inside_the_buffer(void **state)
{
	struct guest_acpi_layout lay;

	(void)state;
	build(2, &lay);
	parse();
	const uint8_t *f = table(lay.fadt_gpa, "FACP");

	uint32_t facs = rd32(f + 36); /* FIRMWARE_CTRL */
	assert_int_equal(facs, lay.facs_gpa);
	assert_int_equal(rd64(f + 132), 0); /* X_FIRMWARE_CTRL: 0 when FIRMWARE_CTRL is set */
	assert_true(facs >= AREA_GPA && facs + 64 <= AREA_GPA + lay.size);
	assert_int_equal(facs % 64, 0);
	const uint8_t *fc = at(facs);
	assert_memory_equal(fc, "FACS", 4);
	assert_int_equal(rd32(fc + 4), 64);
	assert_int_equal(fc[32], 2); /* version */

	uint32_t dsdt = rd32(f + 40);
	assert_int_equal(dsdt, lay.dsdt_gpa);
	assert_int_equal(rd64(f + 140), dsdt); /* X_DSDT */
	assert_int_equal(info.dsdt_phys, dsdt);
	assert_int_equal(acpi_find_table(fake_map, &info, "DSDT"), dsdt);
	const uint8_t *d = table(dsdt, "DSDT");
	assert_true(dsdt + table_len(d) <= AREA_GPA + lay.size);
	assert_int_equal(acpi_check_table(d, table_len(d), "DSDT"), 0);
}

/* --- DSDT ------------------------------------------------------------------------ */

/* AML PkgLength (ACPI 6.0 20.2.4): returns the value, *n its byte count. */
static size_t pkglen(const uint8_t *p, size_t *n)
{
	size_t bytes = 1 + (p[0] >> 6);
	size_t v = bytes == 1 ? p[0] & 0x3F : p[0] & 0x0F;

	for (size_t i = 1; i < bytes; i++)
		v |= (size_t)p[i] << (4 + 8 * (i - 1));
	*n = bytes;
	return v;
}

/* One device as the walker saw it. */
struct aml_dev {
	char name[5];
	uint32_t hid_eisa;
	char hid_str[16];
	bool has_uid, has_bbn;
	uint64_t uid, bbn;
	uint8_t crs[160];
	size_t crs_len;
};

struct aml_tree {
	bool s5;
	uint8_t s5_vals[4];
	struct aml_dev devs[80];
	size_t ndev;
	bool pkglen_multibyte_seen;
};

/* A data object: integer, string or buffer. Returns its end. */
static size_t aml_data(const uint8_t *p, size_t off, size_t end, uint64_t *ival,
		       const char **sval, const uint8_t **bval, size_t *blen)
{
	size_t n;

	assert_true(off < end);
	switch (p[off]) {
	case 0x00: *ival = 0; return off + 1;
	case 0x01: *ival = 1; return off + 1;
	case 0x0A: *ival = p[off + 1]; return off + 2;
	case 0x0B: *ival = rd16(p + off + 1); return off + 3;
	case 0x0C: *ival = rd32(p + off + 1); return off + 5;
	case 0x0E: *ival = rd64(p + off + 1); return off + 9;
	case 0x0D: {
		*sval = (const char *)p + off + 1;
		size_t len = strnlen(*sval, end - off - 1);
		assert_true(off + 1 + len < end);
		return off + 2 + len;
	}
	case 0x11: { /* Buffer: PkgLength BufferSize ByteList */
		size_t len = pkglen(p + off + 1, &n);
		size_t bend = off + 1 + len;
		assert_true(bend <= end);
		uint64_t size;
		const char *s;
		size_t data = aml_data(p, off + 1 + n, bend, &size, &s, bval, blen);
		assert_int_equal(size, bend - data); /* BufferSize = the bytes present */
		*bval = p + data;
		*blen = bend - data;
		return bend;
	}
	default: fail_msg("unexpected AML data opcode 0x%02x at 0x%zx", p[off], off); return end;
	}
}

/* A device's TermList: only Name(seg, data) objects. */
static void aml_device_body(const uint8_t *p, size_t off, size_t end, struct aml_dev *d)
{
	while (off < end) {
		uint64_t v = 0;
		const char *s = NULL;
		const uint8_t *b = NULL;
		size_t blen = 0;
		assert_int_equal(p[off], 0x08); /* NameOp */
		const uint8_t *seg = p + off + 1;
		off = aml_data(p, off + 5, end, &v, &s, &b, &blen);
		if (!memcmp(seg, "_HID", 4)) {
			if (s)
				snprintf(d->hid_str, sizeof(d->hid_str), "%s", s);
			else
				d->hid_eisa = (uint32_t)v;
		} else if (!memcmp(seg, "_UID", 4)) {
			d->has_uid = true;
			d->uid = v;
		} else if (!memcmp(seg, "_BBN", 4)) {
			d->has_bbn = true;
			d->bbn = v;
		} else if (!memcmp(seg, "_CRS", 4)) {
			assert_non_null(b);
			assert_true(blen <= sizeof(d->crs));
			memcpy(d->crs, b, blen);
			d->crs_len = blen;
		}
	}
	assert_int_equal(off, end); /* the objects tile the device exactly */
}

/* Walks the whole DSDT: \_S5_, then Scope(\_SB_) holding only devices.
 * Every PkgLength must end exactly where the next object begins and the
 * outermost exactly at the table's end. */
static void aml_walk(const uint8_t *d, struct aml_tree *t)
{
	size_t len = table_len(d), off = 36, n;

	memset(t, 0, sizeof(*t));
	while (off < len) {
		if (d[off] == 0x08 && !memcmp(d + off + 1, "_S5_", 4)) {
			assert_int_equal(d[off + 5], 0x12); /* PackageOp */
			size_t plen = pkglen(d + off + 6, &n);
			size_t pend = off + 6 + plen;
			size_t p = off + 6 + n;
			assert_int_equal(d[p], 4); /* NumElements */
			p++;
			for (int i = 0; i < 4; i++) {
				uint64_t v = 0xFF;
				const char *s = NULL;
				const uint8_t *b = NULL;
				size_t bl;
				p = aml_data(d, p, pend, &v, &s, &b, &bl);
				t->s5_vals[i] = (uint8_t)v;
			}
			assert_int_equal(p, pend);
			t->s5 = true;
			off = pend;
		} else if (d[off] == 0x10) { /* ScopeOp */
			size_t slen = pkglen(d + off + 1, &n);
			size_t send = off + 1 + slen;
			if (n > 1)
				t->pkglen_multibyte_seen = true;
			assert_true(send <= len);
			size_t p = off + 1 + n;
			assert_memory_equal(d + p, "\\_SB_", 5);
			p += 5;
			while (p < send) {
				assert_int_equal(d[p], 0x5B);
				assert_int_equal(d[p + 1], 0x82); /* DeviceOp */
				size_t dlen = pkglen(d + p + 2, &n);
				size_t dend = p + 2 + dlen;
				if (n > 1)
					t->pkglen_multibyte_seen = true;
				assert_true(dend <= send);
				assert_true(t->ndev < sizeof(t->devs) / sizeof(t->devs[0]));
				struct aml_dev *dev = &t->devs[t->ndev++];
				memcpy(dev->name, d + p + 2 + n, 4);
				aml_device_body(d, p + 2 + n + 4, dend, dev);
				p = dend;
			}
			assert_int_equal(p, send);
			off = send;
		} else {
			fail_msg("unexpected top-level AML byte 0x%02x at 0x%zx", d[off], off);
		}
	}
	assert_int_equal(off, len);
}

static const struct aml_dev *find_dev(const struct aml_tree *t, const char *name)
{
	for (size_t i = 0; i < t->ndev; i++)
		if (!strcmp(t->devs[i].name, name))
			return &t->devs[i];
	return NULL;
}

static void dump_tables(const struct guest_acpi_layout *lay)
{
	const char *dir = getenv("GUEST_ACPI_DUMP_DIR");
	const uint64_t tables[] = {lay->dsdt_gpa, lay->fadt_gpa, lay->madt_gpa, lay->rsdt_gpa,
				   lay->xsdt_gpa, lay->facs_gpa};

	if (!dir)
		return;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char path[512];
		const uint8_t *t = at(tables[i]);
		snprintf(path, sizeof(path), "%s/%.4s.bin", dir, (const char *)t);
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		fwrite(t, 1, rd32(t + 4), f);
		fclose(f);
	}
}

static void test_dsdt_defines_s5_with_the_exported_sleep_type(void **state)
{
	struct guest_acpi_layout lay;
	uint8_t a = 0xAA, b = 0xAA;

	(void)state;
	build(2, &lay);
	const uint8_t *d = table(lay.dsdt_gpa, "DSDT");
	size_t len = table_len(d);
	bool found = false;
	for (size_t i = 36; i + 5 < len; i++)
		if (!memcmp(d + i, "_S5_", 4) && d[i + 4] == 0x12)
			found = true;
	assert_true(found);
	assert_int_equal(acpi_find_s5(d, len, &a, &b), 0);
	assert_int_equal(a, GUEST_ACPI_S5_SLP_TYP);
	assert_int_equal(b, GUEST_ACPI_S5_SLP_TYP);
	assert_true(GUEST_ACPI_S5_SLP_TYP < 8); /* SLP_TYP is 3 bits of PM1_CNT */

	struct aml_tree t;
	aml_walk(d, &t);
	assert_true(t.s5);
	assert_int_equal(t.s5_vals[0], GUEST_ACPI_S5_SLP_TYP);
	assert_int_equal(t.s5_vals[1], GUEST_ACPI_S5_SLP_TYP);
	assert_int_equal(t.s5_vals[2], 0);
	assert_int_equal(t.s5_vals[3], 0);
}

static void test_dsdt_package_lengths_nest_exactly(void **state)
{
	struct guest_acpi_layout lay;
	struct aml_tree t;
	struct guest_acpi_config cfg;

	(void)state;
	/* One processor device alone: the \_SB_ scope fits a one-byte PkgLength. */
	guest_acpi_default_config(&cfg, 1);
	cfg.pci_host_bridge = false;
	cfg.com1 = false;
	build_cfg(&cfg, &lay);
	aml_walk(table(lay.dsdt_gpa, "DSDT"), &t);
	assert_int_equal(t.ndev, 1);
	assert_false(t.pkglen_multibyte_seen);

	/* 64 vCPUs: the scope needs the multi-byte form. */
	memset(bios, 0, sizeof(bios));
	build(64, &lay);
	aml_walk(table(lay.dsdt_gpa, "DSDT"), &t);
	assert_int_equal(t.ndev, 2 + 64);
	assert_true(t.pkglen_multibyte_seen);
	assert_true(table_len(at(lay.dsdt_gpa)) > 64 * 16);
	dump_tables(&lay);
}

/* EISAID("PNP0A03") and ("PNP0501") as AML stores them (ACPI 6.0 19.6.35). */
#define EISA_PNP0A03 0x030AD041u
#define EISA_PNP0501 0x0105D041u

static void test_dsdt_describes_pci_host_bridge_and_com1(void **state)
{
	struct guest_acpi_layout lay;
	struct aml_tree t;

	(void)state;
	build(1, &lay);
	aml_walk(table(lay.dsdt_gpa, "DSDT"), &t);

	const struct aml_dev *pci = find_dev(&t, "PCI0");
	assert_non_null(pci);
	assert_int_equal(pci->hid_eisa, EISA_PNP0A03);
	assert_true(pci->has_uid);
	assert_int_equal(pci->uid, 0);
	assert_true(pci->has_bbn);
	assert_int_equal(pci->bbn, 0);
	/* _CRS: bus 0-255 first (a Word bus-number descriptor) and an end tag. */
	assert_true(pci->crs_len > 16);
	assert_int_equal(pci->crs[0], 0x88);
	assert_int_equal(pci->crs[3], 2); /* bus number range */
	assert_int_equal(rd16(pci->crs + 8), 0);
	assert_int_equal(rd16(pci->crs + 10), 0xFF);
	assert_int_equal(pci->crs[pci->crs_len - 2], 0x79);

	const struct aml_dev *com = find_dev(&t, "COM1");
	assert_non_null(com);
	assert_int_equal(com->hid_eisa, EISA_PNP0501);
	/* IO(Decode16, 0x3F8, 0x3F8, 1, 8), IRQNoFlags(){4}, end tag */
	static const uint8_t crs[] = {0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08,
				      0x22, 0x10, 0x00, 0x79, 0x00};
	assert_int_equal(com->crs_len, sizeof(crs));
	assert_memory_equal(com->crs, crs, sizeof(crs));
}

static void test_dsdt_processor_devices_match_the_madt_uids(void **state)
{
	struct guest_acpi_layout lay;
	struct aml_tree t;

	(void)state;
	build(64, &lay);
	aml_walk(table(lay.dsdt_gpa, "DSDT"), &t);
	for (uint32_t i = 0; i < 64; i++) {
		char name[5];
		snprintf(name, sizeof(name), "C%03X", i);
		const struct aml_dev *c = find_dev(&t, name);
		assert_non_null(c);
		assert_string_equal(c->hid_str, "ACPI0007");
		assert_true(c->has_uid);
		assert_int_equal(c->uid, i);
	}
	assert_null(find_dev(&t, "C040"));
}

static void test_dsdt_omits_pci_and_com1_when_not_configured(void **state)
{
	struct guest_acpi_config cfg;
	struct guest_acpi_layout lay;
	struct aml_tree t;

	(void)state;
	guest_acpi_default_config(&cfg, 2);
	cfg.pci_host_bridge = false;
	cfg.com1 = false;
	build_cfg(&cfg, &lay);
	aml_walk(table(lay.dsdt_gpa, "DSDT"), &t);
	assert_int_equal(t.ndev, 2);
	assert_null(find_dev(&t, "PCI0"));
	assert_null(find_dev(&t, "COM1"));
	assert_true(t.s5);
	parse();
	assert_int_equal(info.cpu_count, 2);
}

/* Finds DWord memory descriptors (0x87, type 0) in a _CRS. */
static int find_mem_window(const struct aml_dev *d, uint32_t min, uint32_t max)
{
	size_t off = 0;
	int found = 0;

	while (off < d->crs_len) {
		uint8_t tag = d->crs[off];
		size_t len;
		if (tag & 0x80) { /* large item: 16-bit length */
			len = 3 + rd16(d->crs + off + 1);
			if (tag == 0x87 && d->crs[off + 3] == 0 && rd32(d->crs + off + 10) == min &&
			    rd32(d->crs + off + 14) == max && rd32(d->crs + off + 22) == max - min + 1)
				found++;
		} else {
			len = 1 + (tag & 7);
		}
		off += len;
	}
	assert_int_equal(off, d->crs_len);
	return found;
}

static void test_pci_window_is_announced_in_the_host_bridge_crs(void **state)
{
	struct guest_acpi_config cfg;
	struct guest_acpi_layout lay;
	struct aml_tree t;

	(void)state;
	guest_acpi_default_config(&cfg, 1);
	build_cfg(&cfg, &lay);
	aml_walk(table(lay.dsdt_gpa, "DSDT"), &t);
	assert_int_equal(find_mem_window(find_dev(&t, "PCI0"), 0xA0000, 0xBFFFF), 1);
	assert_int_equal(find_mem_window(find_dev(&t, "PCI0"), 0xE0000000u, 0xFEBFFFFFu), 0);

	memset(bios, 0, sizeof(bios));
	cfg.pci_mmio_base = 0xE0000000u;
	cfg.pci_mmio_size = 0x1EC00000u;
	build_cfg(&cfg, &lay);
	aml_walk(table(lay.dsdt_gpa, "DSDT"), &t);
	assert_int_equal(find_mem_window(find_dev(&t, "PCI0"), 0xE0000000u, 0xFEBFFFFFu), 1);
	parse();
}

/* --- Placement ------------------------------------------------------------------ */

static void test_unaligned_buffer_still_aligns_rsdp_and_facs(void **state)
{
	struct guest_acpi_config cfg;
	struct guest_acpi_layout lay;

	(void)state;
	place_area(AREA_GPA + 8); /* the buffer itself starts at 0xE0008 */
	guest_acpi_default_config(&cfg, 4);
	build_cfg(&cfg, &lay);
	assert_int_equal(lay.rsdp_gpa, AREA_GPA + 16);
	assert_int_equal(lay.facs_gpa % 64, 0);
	assert_int_equal(acpi_find_rsdp(fake_map), lay.rsdp_gpa);
	parse();
	assert_int_equal(info.cpu_count, 4);
	assert_int_equal(rd32(at(lay.fadt_gpa) + 36), lay.facs_gpa);
	/* The size counts from the buffer's start, padding included. */
	assert_int_equal(lay.size, lay.xsdt_gpa + 36 + 16 - area_gpa);
}

static void test_tables_fit_the_bios_area_for_the_most_vcpus(void **state)
{
	struct guest_acpi_layout lay;

	(void)state;
	build(GUEST_ACPI_MAX_VCPUS, &lay);
	assert_true(lay.size < 8192); /* a small part of the 128 KiB area */
	assert_true(lay.rsdp_gpa + 36 <= 0x100000);
}

/* --- Errors ------------------------------------------------------------------------ */

static void test_too_small_buffer_is_rejected_and_left_untouched(void **state)
{
	struct guest_acpi_config cfg;
	struct guest_acpi_layout lay, big;

	(void)state;
	guest_acpi_default_config(&cfg, 4);
	build_cfg(&cfg, &big);

	memset(bios, 0xA5, sizeof(bios));
	test_log_reset();
	assert_int_equal(guest_acpi_build(&cfg, area, big.size - 1, AREA_GPA, &lay), -ENOSPC);
	assert_int_equal(test_log_count(), 1);
	char want[128];
	snprintf(want, sizeof(want), "guest_acpi: the tables need %zu bytes, the buffer holds %zu",
		 big.size, big.size - 1);
	assert_true(test_log_contains(want));
	for (size_t i = 0; i < sizeof(bios); i++)
		assert_int_equal(bios[i], 0xA5);

	assert_int_equal(guest_acpi_build(&cfg, area, 64, AREA_GPA, &lay), -ENOSPC);

	/* Exactly the size needed is enough. */
	test_log_reset();
	assert_int_equal(guest_acpi_build(&cfg, area, big.size, AREA_GPA, &lay), 0);
	assert_int_equal(lay.size, big.size);
	assert_int_equal(test_log_count(), 0);
	parse();
	assert_int_equal(info.cpu_count, 4);
}

static void test_zero_and_65_vcpus_are_rejected(void **state)
{
	struct guest_acpi_config cfg;
	struct guest_acpi_layout lay;

	(void)state;
	memset(area, 0xA5, 64);
	guest_acpi_default_config(&cfg, 0);
	assert_int_equal(guest_acpi_build(&cfg, area, AREA_SIZE, AREA_GPA, &lay), -EINVAL);
	assert_true(test_log_contains("guest_acpi: 0 vCPUs is out of range (1..64)"));
	assert_int_equal(test_log_count(), 1);
	assert_int_equal(area[0], 0xA5);

	test_log_reset();
	guest_acpi_default_config(&cfg, 65);
	assert_int_equal(guest_acpi_build(&cfg, area, AREA_SIZE, AREA_GPA, &lay), -EINVAL);
	assert_true(test_log_contains("guest_acpi: 65 vCPUs is out of range (1..64)"));
	assert_int_equal(test_log_count(), 1);
	assert_int_equal(area[0], 0xA5);
}

static void test_bad_sci_irq_pm_base_and_pci_window_are_rejected(void **state)
{
	struct guest_acpi_config cfg;
	struct guest_acpi_layout lay;

	(void)state;
	static const uint8_t bad_irqs[] = {0, 2, 16, 255};
	for (size_t i = 0; i < sizeof(bad_irqs); i++) {
		char want[96];
		guest_acpi_default_config(&cfg, 1);
		cfg.sci_irq = bad_irqs[i];
		test_log_reset();
		assert_int_equal(guest_acpi_build(&cfg, area, AREA_SIZE, AREA_GPA, &lay), -EINVAL);
		snprintf(want, sizeof(want), "guest_acpi: SCI IRQ %u is not a usable ISA IRQ",
			 bad_irqs[i]);
		assert_true(test_log_contains(want));
	}

	guest_acpi_default_config(&cfg, 1);
	cfg.pm_base = 0;
	test_log_reset();
	assert_int_equal(guest_acpi_build(&cfg, area, AREA_SIZE, AREA_GPA, &lay), -EINVAL);
	assert_true(test_log_contains("guest_acpi: PM base port 0x0 cannot hold the 12-byte PM block"));
	cfg.pm_base = 0xFFF8;
	assert_int_equal(guest_acpi_build(&cfg, area, AREA_SIZE, AREA_GPA, &lay), -EINVAL);
	cfg.pm_base = 0xFFF4; /* 0xFFF4..0xFFFF: just fits */
	assert_int_equal(guest_acpi_build(&cfg, area, AREA_SIZE, AREA_GPA, &lay), 0);

	guest_acpi_default_config(&cfg, 1);
	cfg.pci_mmio_base = 0xF0000000u;
	cfg.pci_mmio_size = 0x10000001u;
	test_log_reset();
	assert_int_equal(guest_acpi_build(&cfg, area, AREA_SIZE, AREA_GPA, &lay), -EINVAL);
	assert_true(test_log_contains("guest_acpi: PCI window 0xf0000000+0x10000001 crosses 4 GiB"));
	cfg.pci_mmio_size = 0x10000000u; /* up to 0xFFFFFFFF: fine */
	assert_int_equal(guest_acpi_build(&cfg, area, AREA_SIZE, AREA_GPA, &lay), 0);
}

static void test_tables_must_lie_below_4gib(void **state)
{
	struct guest_acpi_config cfg;
	struct guest_acpi_layout lay;

	(void)state;
	guest_acpi_default_config(&cfg, 1);
	assert_int_equal(guest_acpi_build(&cfg, area, AREA_SIZE, 0x100000000ULL, &lay), -EINVAL);
	assert_true(test_log_contains("guest_acpi: tables at 0x100000000 must lie below 4 GiB"));
	/* Starting below 4 GiB but running past it. */
	test_log_reset();
	assert_int_equal(guest_acpi_build(&cfg, area, AREA_SIZE, 0xFFFFFF00ULL, &lay), -EINVAL);
	assert_true(test_log_contains("guest_acpi: tables at 0xffffff00-0x"));
	assert_true(test_log_contains("must lie below 4 GiB"));
	/* Just below 4 GiB is fine (64-aligned, so the layout is as at 0). */
	assert_int_equal(guest_acpi_build(&cfg, area, AREA_SIZE, 0, &lay), 0);
	uint64_t gpa = 0x100000000ULL - ((lay.size + 63) & ~(size_t)63);
	assert_int_equal(guest_acpi_build(&cfg, area, AREA_SIZE, gpa, &lay), 0);
	assert_true(gpa + lay.size <= 0x100000000ULL);
	assert_true(0x100000000ULL - (gpa + lay.size) < 64);
}

static void test_null_arguments_are_rejected(void **state)
{
	struct guest_acpi_config cfg;
	struct guest_acpi_layout lay;

	(void)state;
	guest_acpi_default_config(&cfg, 1);
	assert_int_equal(guest_acpi_build(NULL, area, AREA_SIZE, AREA_GPA, &lay), -EINVAL);
	assert_int_equal(guest_acpi_build(&cfg, NULL, AREA_SIZE, AREA_GPA, &lay), -EINVAL);
	assert_int_equal(guest_acpi_build(&cfg, area, AREA_SIZE, AREA_GPA, NULL), -EINVAL);
	assert_true(test_log_contains("guest_acpi: no configuration, buffer or layout given"));
	assert_int_equal(test_log_count(), 3);
}

static void test_default_config_describes_the_pc_board(void **state)
{
	struct guest_acpi_config cfg;

	(void)state;
	memset(&cfg, 0x5A, sizeof(cfg));
	guest_acpi_default_config(&cfg, 8);
	assert_int_equal(cfg.vcpus, 8);
	assert_int_equal(cfg.lapic_addr, 0xFEE00000u);
	assert_int_equal(cfg.ioapic_addr, 0xFEC00000u);
	assert_int_equal(cfg.ioapic_id, 8);
	assert_int_equal(cfg.pm_base, 0x600);
	assert_int_equal(cfg.sci_irq, 9);
	assert_true(cfg.pci_host_bridge);
	assert_true(cfg.com1);
	assert_int_equal(cfg.pci_mmio_size, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_rsdp_is_found_by_scanning_the_bios_area),
		T(test_rsdt_and_xsdt_both_list_the_fadt_and_madt),
		T(test_every_table_checksum_sums_to_zero),
		T(test_madt_lists_one_enabled_cpu_per_vcpu_with_apic_ids_in_order),
		T(test_madt_describes_ioapic_overrides_and_lint1_nmi),
		T(test_madt_follows_a_configured_sci_irq),
		T(test_fadt_gives_pm_timer_pm1_control_and_reset_register),
		T(test_fadt_fixed_fields_describe_the_piix4_pm_block),
		T(test_fadt_dsdt_and_facs_pointers_resolve_inside_the_buffer),
		T(test_dsdt_defines_s5_with_the_exported_sleep_type),
		T(test_dsdt_package_lengths_nest_exactly),
		T(test_dsdt_describes_pci_host_bridge_and_com1),
		T(test_dsdt_processor_devices_match_the_madt_uids),
		T(test_dsdt_omits_pci_and_com1_when_not_configured),
		T(test_pci_window_is_announced_in_the_host_bridge_crs),
		T(test_unaligned_buffer_still_aligns_rsdp_and_facs),
		T(test_tables_fit_the_bios_area_for_the_most_vcpus),
		T(test_too_small_buffer_is_rejected_and_left_untouched),
		T(test_zero_and_65_vcpus_are_rejected),
		T(test_bad_sci_irq_pm_base_and_pci_window_are_rejected),
		T(test_tables_must_lie_below_4gib),
		T(test_null_arguments_are_rejected),
		T(test_default_config_describes_the_pc_board),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
