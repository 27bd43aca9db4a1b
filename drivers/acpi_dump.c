/* Hex dump of the ACPI tables: "acpidump: <SIG> <offset>: <hex bytes>". */
#include "drivers/acpi_dump.h"
#include "hv/format.h"
#include "hv/log.h"

#define BYTES_PER_LINE 32
#define RSDP_V2_LEN 36

static void dump_bytes(const char sig[4], const uint8_t *p, uint32_t len)
{
	char line[16 + 3 * BYTES_PER_LINE];

	for (uint32_t off = 0; off < len; off += BYTES_PER_LINE) {
		int n = 0;
		for (uint32_t i = off; i < len && i < off + BYTES_PER_LINE; i++)
			n += hv_snprintf(line + n, sizeof(line) - (size_t)n, "%02x", p[i]);
		printk(LOG_MARKER, "acpidump: %.4s %04x: %s", sig, off, line);
	}
}

static void dump_table(const char sig[4], uint64_t phys, uint32_t len, void *ctx)
{
	phys_map_fn map = (phys_map_fn)ctx;
	const uint8_t *p = map(phys, len);

	if (!p) {
		pr_err("acpidump: %.4s at 0x%llx (length %u) is not readable", sig,
		       (unsigned long long)phys, len);
		return;
	}
	printk(LOG_MARKER, "acpidump: table %.4s at 0x%llx length %u", sig, (unsigned long long)phys, len);
	dump_bytes(sig, p, len);
}

void acpi_dump(phys_map_fn map, const struct acpi_info *info, const void *rsdp_copy, uint32_t rsdp_len)
{
	const uint8_t *rsdp = rsdp_copy;
	uint32_t len = rsdp_len;

	if (!rsdp) {
		len = info->revision >= 2 ? RSDP_V2_LEN : 20;
		rsdp = map(info->rsdp_phys, len);
	}
	if (rsdp) {
		printk(LOG_MARKER, "acpidump: table RSDP at 0x%llx length %u",
		       (unsigned long long)info->rsdp_phys, len);
		dump_bytes("RSDP", rsdp, len);
	}
	acpi_for_each_table(map, info, dump_table, (void *)map);
	printk(LOG_MARKER, "acpidump: end");
}
