/* libFuzzer harness for drivers/acpi.c.
 *
 * The input is a fake physical memory image: input byte i is physical
 * address i, so an RSDP belongs at offset 0 and table pointers are offsets
 * into the input. The BIOS area 0xE0000-0xFFFFF mirrors the start of the
 * image (zeros past its end) so acpi_find_rsdp's scan has something to find;
 * everything else is unreadable. Each map call returns a fresh heap copy of
 * exactly the requested range, so AddressSanitizer flags any read past what
 * the parser asked for.
 *
 * Each input is parsed twice: as given (checksums nearly always wrong, which
 * exercises the error paths), and after the harness has recomputed the
 * checksums of the RSDP, the root tables and the tables they list (which
 * lets the fuzzer reach the MADT entry walk and the FADT fields). The input
 * is also handed to acpi_parse_madt / acpi_parse_fadt directly, raw and with
 * a forced valid header. Besides the sanitizers, the harness checks a few
 * promises of acpi.h and traps when one is broken. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/acpi.h"
#include "test_log.h"

#define RSDP_PHYS 0
#define BIOS_AREA_START 0xE0000u
#define BIOS_AREA_END 0x100000u
#define MAX_MAPPINGS 16384

static const uint8_t *image;
static size_t image_size;
static void *mappings[MAX_MAPPINGS];
static size_t mapping_count;

static void unmap_all(void)
{
	for (size_t i = 0; i < mapping_count; i++)
		free(mappings[i]);
	mapping_count = 0;
}

static bool in_image(uint64_t phys, uint64_t len)
{
	return phys <= image_size && len <= image_size - phys;
}

static bool in_bios_area(uint64_t phys, uint64_t len)
{
	return phys >= BIOS_AREA_START && phys <= BIOS_AREA_END && len <= BIOS_AREA_END - phys;
}

/* The whole BIOS area, filled once per pass into one heap block of exactly
 * its size (allocated once): acpi_find_rsdp maps all of it, and a fresh
 * 128 KiB copy per call would make the harness crawl. */
static uint8_t *bios_area;
static bool bios_area_filled;

static void fill_bios_copy(uint8_t *copy, uint64_t phys, uint64_t len)
{
	uint64_t off = phys - BIOS_AREA_START;

	memset(copy, 0, len);
	if (off < image_size)
		memcpy(copy, image + off, MIN(len, image_size - off));
}

static const void *fuzz_map(uint64_t phys, uint64_t len)
{
	bool bios = in_bios_area(phys, len);

	if (!in_image(phys, len) && !bios)
		return NULL;
	if (bios && !in_image(phys, len) && phys == BIOS_AREA_START &&
	    len == BIOS_AREA_END - BIOS_AREA_START) {
		if (!bios_area)
			bios_area = malloc(len);
		if (!bios_area)
			return NULL;
		if (!bios_area_filled)
			fill_bios_copy(bios_area, phys, len);
		bios_area_filled = true;
		return bios_area;
	}
	if (mapping_count == MAX_MAPPINGS)
		return NULL;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return NULL;
	if (bios && !in_image(phys, len))
		fill_bios_copy(copy, phys, len);
	else
		memcpy(copy, image + phys, len);
	mappings[mapping_count++] = copy;
	return copy;
}

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

/* Promises of acpi.h that hold whatever the input. */
static void check_info(const struct acpi_info *info)
{
	check(info->cpu_count <= ACPI_MAX_CPUS);
	check(info->ioapic_count <= ACPI_MAX_IOAPICS);
	check(info->override_count <= ACPI_MAX_OVERRIDES);
	check(info->nmi_count <= ACPI_MAX_NMIS);
	if (!info->have_madt)
		check(info->cpu_count == 0 && info->ioapic_count == 0 &&
		      info->override_count == 0 && info->nmi_count == 0);
	if (!info->have_fadt)
		check(info->pm_timer.address == 0 && info->sci_irq == 0 && !info->reset_supported);
}

/* acpi_for_each_table only lists what it could map whole. */
static void visit(const char sig[4], uint64_t phys, uint32_t len, void *ctx)
{
	const uint8_t *p = fuzz_map(phys, len);
	uint32_t *sum = ctx;

	if (mapping_count == MAX_MAPPINGS)
		return;
	check(p != NULL);
	check(len >= 20);
	for (uint32_t i = 0; i < len; i++)
		*sum += p[i];
	*sum += (uint8_t)sig[0];
}

static void after_parse(const struct acpi_info *info)
{
	static const char *const sigs[] = {"APIC", "FACP", "DSDT", "HPET", "XSDT", "RSDT"};
	uint32_t sum = 0;

	check_info(info);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		uint64_t phys = acpi_find_table(fuzz_map, info, sigs[i]);
		check(phys == 0 || fuzz_map(phys, 36) != NULL || mapping_count == MAX_MAPPINGS);
	}
	acpi_for_each_table(fuzz_map, info, visit, &sum);
}

static void parse_image(bool scan)
{
	static struct acpi_info info;

	if (acpi_parse(fuzz_map, RSDP_PHYS, NULL, 0, &info) == 0)
		after_parse(&info);
	else
		check_info(&info);
	unmap_all();

	/* The same RSDP handed over as a multiboot copy. */
	if (image_size >= 20) {
		uint32_t n = image_size >= 36 ? 36 : 20;
		if (acpi_parse(fuzz_map, 0, image, n, &info) == 0)
			after_parse(&info);
		unmap_all();
	}

	/* The 128 KiB scan is the slowest step: done on one pass only. */
	if (!scan)
		return;
	uint64_t found = acpi_find_rsdp(fuzz_map);
	check(found == 0 || (found % 16 == 0 && found < BIOS_AREA_END));
	unmap_all();
	if (found && acpi_parse(fuzz_map, found, NULL, 0, &info) == 0)
		after_parse(&info);
	unmap_all();
}

/* --- Checksum fix-ups (offsets from ACPI 6.5 5.2.5.3 and 5.2.6) ---------- */

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void fix_sum(uint8_t *p, size_t len, size_t at)
{
	uint8_t s = 0;

	p[at] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	p[at] = (uint8_t)(0x100 - s);
}

/* Fixes the table at `phys` if it lies inside the image; returns its length. */
static uint32_t fix_table(uint8_t *img, size_t size, uint64_t phys)
{
	if (!in_image(phys, 36))
		return 0;
	uint32_t len = get32(img + phys + 4);
	if (len < 36 || !in_image(phys, len))
		return 0;
	fix_sum(img + phys, len, 9);
	return len;
}

static void fix_root(uint8_t *img, size_t size, uint64_t phys, uint32_t entry_size)
{
	uint32_t len = fix_table(img, size, phys);

	for (uint32_t off = 36; len && off + entry_size <= len && off < 36 + 64 * 8;
	     off += entry_size) {
		uint64_t e = entry_size == 8 ? get64(img + phys + off) : get32(img + phys + off);
		fix_table(img, size, e);
	}
	fix_table(img, size, phys); /* an entry may overlap its root */
}

static void fix_image(uint8_t *img, size_t size)
{
	if (size < 20)
		return;
	uint8_t rev = img[15];
	fix_root(img, size, get32(img + 16), 4);
	if (rev >= 2 && size >= 36)
		fix_root(img, size, get64(img + 24), 8);
	memcpy(img, "RSD PTR ", 8);
	fix_sum(img, 20, 8);
	if (rev >= 2 && size >= 36) {
		uint32_t len = get32(img + 20);
		if (len >= 36 && len <= size)
			fix_sum(img, len, 32);
	}
}

/* A copy of the input with signature `sig`, length = input size, and a
 * good checksum, so the table parser gets past its header checks. */
static void parse_forced(const uint8_t *data, size_t size, const char *sig,
			 int (*parse)(const void *, uint64_t, struct acpi_info *))
{
	static struct acpi_info info;

	if (size < 36 || size > UINT32_MAX)
		return;
	uint8_t *t = malloc(size);
	if (!t)
		return;
	memcpy(t, data, size);
	memcpy(t, sig, 4);
	uint32_t len = (uint32_t)size;
	memcpy(t + 4, &len, 4);
	fix_sum(t, size, 9);
	memset(&info, 0, sizeof(info));
	int ret = parse(t, size, &info);
	check_info(&info);
	if (parse == acpi_parse_madt)
		check(ret == 0 ? info.have_madt : !info.have_madt);
	else
		check(ret == 0 ? info.have_fadt : !info.have_fadt);
	free(t);
}

static void parse_raw(const uint8_t *data, size_t size)
{
	static struct acpi_info info;

	memset(&info, 0, sizeof(info));
	acpi_parse_madt(data, size, &info);
	check_info(&info);
	acpi_parse_fadt(data, size, &info);
	check_info(&info);
	acpi_check_rsdp(data, size);
	acpi_check_table(data, size, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	test_log_reset();

	/* Exact-size heap copy: reads past the input's end are caught too. */
	uint8_t *img = malloc(size ? size : 1);
	if (!img)
		return 0;
	memcpy(img, data, size);
	image = img;
	image_size = size;
	bios_area_filled = false;

	parse_raw(img, size);
	parse_forced(img, size, "APIC", acpi_parse_madt);
	parse_forced(img, size, "FACP", acpi_parse_fadt);
	parse_image(false);

	fix_image(img, size);
	bios_area_filled = false;
	parse_image(true);

	bios_area_filled = false;
	free(img);
	image = NULL;
	return 0;
}
