/* ACPI table discovery and parsing; the interface is described in acpi.h.
 * Section numbers refer to the ACPI Specification 6.5, chapter 5.2.
 *
 * Firmware tables are packed and may start at any byte, so multi-byte fields
 * are read with memcpy, and every offset is checked against the table's
 * length before it is read. Physical memory is reached only through the
 * caller's phys_map_fn, always for the exact range about to be read: first a
 * header, then the length the header announces. */
#include "drivers/acpi.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"

/* --- Root System Description Pointer, 5.2.5.3 ---------------------------- */
#define RSDP_SIGNATURE "RSD PTR "
#define RSDP_SIGNATURE_LEN 8
#define RSDP_OFF_REVISION 15
#define RSDP_OFF_RSDT 16
#define RSDP_V1_LEN 20 /* the ACPI 1.0 structure; its checksum covers these */
#define RSDP_OFF_LENGTH 20
#define RSDP_OFF_XSDT 24
#define RSDP_V2_LEN 36
#define RSDP_REVISION_2 2 /* ACPI 2.0+: adds length, XSDT, extended checksum */
#define RSDP_MAX_LEN 1024 /* ours: the RSDP is 36 bytes, more is corruption */

/* Finding the RSDP on IA-PC systems, 5.2.5.1 */
#define BDA_EBDA_SEGMENT 0x40E /* BIOS data area word: EBDA real-mode segment */
#define EBDA_SEARCH_LEN 1024   /* only the first 1 KiB of the EBDA is searched */
#define BIOS_AREA_START 0xE0000
#define BIOS_AREA_END 0x100000
#define RSDP_ALIGN 16

/* --- System Description Table header, 5.2.6 ------------------------------ */
#define SDT_SIG_LEN 4
#define SDT_OFF_LENGTH 4
#define SDT_HEADER_LEN 36
#define SDT_MAX_LEN (16 * MiB) /* ours: a larger length is corruption */

#define SIG_RSDT "RSDT" /* 5.2.7 */
#define SIG_XSDT "XSDT" /* 5.2.8 */
#define SIG_FADT "FACP" /* 5.2.9 */
#define SIG_DSDT "DSDT" /* 5.2.11.1 */
#define SIG_MADT "APIC" /* 5.2.12 */
#define SIG_RSDP "RSDP" /* not a table: how acpi_for_each_table names it */

#define RSDT_ENTRY_SIZE 4
#define XSDT_ENTRY_SIZE 8
#define ROOT_MAX_ENTRIES 1024 /* ours: real machines list a few dozen */

/* --- Multiple APIC Description Table, 5.2.12 ----------------------------- */
#define MADT_OFF_LAPIC_ADDRESS 36
#define MADT_OFF_FLAGS 40
#define MADT_OFF_ENTRIES 44
#define MADT_FLAG_PCAT_COMPAT (1u << 0)
#define MADT_ENTRY_HEADER_LEN 2 /* every entry starts with type, length */

#define MADT_TYPE_LAPIC 0               /* 5.2.12.2 */
#define MADT_TYPE_IOAPIC 1              /* 5.2.12.3 */
#define MADT_TYPE_INT_SRC_OVERRIDE 2    /* 5.2.12.5 */
#define MADT_TYPE_LAPIC_NMI 4           /* 5.2.12.7 */
#define MADT_TYPE_LAPIC_ADDR_OVERRIDE 5 /* 5.2.12.8 */
#define MADT_TYPE_X2APIC 9              /* 5.2.12.12 */
#define MADT_TYPE_X2APIC_NMI 0xA        /* 5.2.12.13 */

/* Local APIC flags (shared by the x2APIC entry), Table 5.23 */
#define MADT_LAPIC_ENABLED (1u << 0)
#define MADT_LAPIC_ONLINE_CAPABLE (1u << 1) /* ACPI 6.3 */

/* --- Fixed ACPI Description Table, 5.2.9 Table 5.9 ----------------------- */
#define FADT_OFF_DSDT 40
#define FADT_OFF_SCI_INT 46
#define FADT_OFF_SMI_CMD 48
#define FADT_OFF_ACPI_ENABLE 52
#define FADT_OFF_PM1A_CNT_BLK 64
#define FADT_OFF_PM1B_CNT_BLK 68
#define FADT_OFF_PM_TMR_BLK 76
#define FADT_OFF_FLAGS 112
#define FADT_V1_LEN 116 /* ACPI 1.0 ends after Flags */
#define FADT_OFF_RESET_REG 116
#define FADT_OFF_RESET_VALUE 128
#define FADT_OFF_X_DSDT 140
#define FADT_OFF_X_PM1A_CNT_BLK 172
#define FADT_OFF_X_PM1B_CNT_BLK 184
#define FADT_OFF_X_PM_TMR_BLK 208

/* FADT Flags, Table 5.10 */
#define FADT_FLAG_TMR_VAL_EXT (1u << 8)    /* PM timer is 32 bits, not 24 */
#define FADT_FLAG_RESET_REG_SUP (1u << 10) /* RESET_REG/RESET_VALUE valid */

/* Generic Address Structure, 5.2.3.2 */
#define GAS_LEN 12
#define GAS_ACCESS_DWORD 3

/* ---------------------------------------------------------------------------
 * Reporting. Normally a problem is one pr_err line and counts in
 * info->errors; while scanning memory for RSDP candidates a bad candidate is
 * only a warning (the next one may be good); and re-walks after acpi_parse
 * (find_table, for_each_table) stay silent because the problem was already
 * reported once.
 */
struct reporter {
	enum log_level level;
	bool silent;
	uint32_t *errors; /* counted when non-NULL */
};

#define report(r, ...)                                  \
	do {                                            \
		if (!(r)->silent) {                     \
			printk((r)->level, __VA_ARGS__); \
			if ((r)->errors)                \
				(*(r)->errors)++;       \
		}                                       \
	} while (0)

static const struct reporter quiet = {LOG_DEBUG, true, NULL};

/* --- Little helpers --------------------------------------------------------- */

static uint16_t rd16(const uint8_t *p, uint32_t off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p, uint32_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p, uint32_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint8_t checksum(const uint8_t *p, uint64_t len)
{
	uint8_t sum = 0;

	for (uint64_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum;
}

/* A signature as a printable NUL-terminated string: firmware bytes may be
 * anything, and the log must stay one readable line. */
struct sig_str {
	char s[SDT_SIG_LEN + 1];
};

static struct sig_str sig_name(const uint8_t *sig)
{
	struct sig_str n;

	for (int i = 0; i < SDT_SIG_LEN; i++)
		n.s[i] = (sig[i] >= 0x20 && sig[i] < 0x7F) ? (char)sig[i] : '?';
	n.s[SDT_SIG_LEN] = '\0';
	return n;
}

/* --- RSDP ------------------------------------------------------------------- */

static int rsdp_check(const uint8_t *p, uint64_t len, const struct reporter *r)
{
	uint8_t sum;

	if (len < RSDP_V1_LEN) {
		report(r, "acpi: RSDP: truncated (%llu bytes < %u)", (unsigned long long)len,
		       RSDP_V1_LEN);
		return -EINVAL;
	}
	if (memcmp(p, RSDP_SIGNATURE, RSDP_SIGNATURE_LEN) != 0) {
		report(r, "acpi: RSDP: bad signature");
		return -EINVAL;
	}
	sum = checksum(p, RSDP_V1_LEN);
	if (sum != 0) {
		report(r, "acpi: RSDP: bad checksum (sum 0x%x)", sum);
		return -EINVAL;
	}
	if (p[RSDP_OFF_REVISION] < RSDP_REVISION_2)
		return 0;

	if (len < RSDP_V2_LEN) {
		report(r, "acpi: RSDP: truncated (revision %u needs %u bytes, have %llu)",
		       p[RSDP_OFF_REVISION], RSDP_V2_LEN, (unsigned long long)len);
		return -EINVAL;
	}
	uint32_t length = rd32(p, RSDP_OFF_LENGTH);
	if (length < RSDP_V2_LEN || length > RSDP_MAX_LEN) {
		report(r, "acpi: RSDP: bad length %u for revision %u", length,
		       p[RSDP_OFF_REVISION]);
		return -EINVAL;
	}
	if (length > len) {
		report(r, "acpi: RSDP: length %u exceeds the %llu bytes available", length,
		       (unsigned long long)len);
		return -EINVAL;
	}
	sum = checksum(p, length);
	if (sum != 0) {
		report(r, "acpi: RSDP: bad extended checksum (sum 0x%x)", sum);
		return -EINVAL;
	}
	return 0;
}

/* Maps the RSDP at `phys` in steps (v1 part, v2 part, announced length) so
 * nothing past what the structure claims is requested; *len is how much
 * was mapped for rsdp_check to judge. */
static int rsdp_map(phys_map_fn map, uint64_t phys, const uint8_t **out, uint64_t *len,
		    const struct reporter *r)
{
	const uint8_t *p = map(phys, RSDP_V1_LEN);

	if (!p) {
		report(r, "acpi: RSDP: %u bytes at 0x%llx are not readable", RSDP_V1_LEN,
		       (unsigned long long)phys);
		return -EFAULT;
	}
	*out = p;
	*len = RSDP_V1_LEN;
	if (p[RSDP_OFF_REVISION] < RSDP_REVISION_2)
		return 0;

	p = map(phys, RSDP_V2_LEN);
	if (!p) {
		report(r, "acpi: RSDP: %u bytes at 0x%llx are not readable", RSDP_V2_LEN,
		       (unsigned long long)phys);
		return -EFAULT;
	}
	*out = p;
	*len = RSDP_V2_LEN;
	uint32_t length = rd32(p, RSDP_OFF_LENGTH);
	if (length <= RSDP_V2_LEN || length > RSDP_MAX_LEN)
		return 0; /* rsdp_check judges the length */

	p = map(phys, length);
	if (!p) {
		report(r, "acpi: RSDP: %u bytes at 0x%llx are not readable", length,
		       (unsigned long long)phys);
		return -EFAULT;
	}
	*out = p;
	*len = length;
	return 0;
}

int acpi_check_rsdp(const void *rsdp, uint64_t len)
{
	const struct reporter r = {LOG_ERR, false, NULL};

	if (!rsdp) {
		pr_err("acpi: RSDP: no structure given");
		return -EINVAL;
	}
	return rsdp_check(rsdp, len, &r);
}

/* Searches [start, start + len) on 16-byte boundaries. A signature with a bad
 * checksum is only warned about: stray "RSD PTR " bytes in option ROMs are
 * possible and a valid RSDP may still follow. */
static uint64_t rsdp_scan(phys_map_fn map, uint64_t start, uint32_t len)
{
	const struct reporter warn = {LOG_WARN, false, NULL};
	const uint8_t *area = map(start, len);

	if (!area)
		return 0;
	for (uint32_t off = 0; off + RSDP_SIGNATURE_LEN <= len; off += RSDP_ALIGN) {
		if (memcmp(area + off, RSDP_SIGNATURE, RSDP_SIGNATURE_LEN) != 0)
			continue;
		const uint8_t *p;
		uint64_t plen;
		if (rsdp_map(map, start + off, &p, &plen, &warn) == 0 &&
		    rsdp_check(p, plen, &warn) == 0)
			return start + off;
	}
	return 0;
}

uint64_t acpi_find_rsdp(phys_map_fn map)
{
	const uint8_t *bda = map(BDA_EBDA_SEGMENT, sizeof(uint16_t));
	uint64_t found = 0;

	if (bda) {
		uint64_t ebda = (uint64_t)rd16(bda, 0) << 4;
		if (ebda)
			found = rsdp_scan(map, ebda, EBDA_SEARCH_LEN);
	}
	if (!found)
		found = rsdp_scan(map, BIOS_AREA_START, BIOS_AREA_END - BIOS_AREA_START);
	if (!found)
		pr_err("acpi: RSDP: not found in the EBDA or 0xe0000-0xfffff");
	return found;
}

/* --- System description tables -------------------------------------------- */

struct sdt {
	const uint8_t *p;
	uint64_t phys;
	uint32_t len;
	struct sig_str sig;
};

/* Checks a table already in memory: signature (when `want` is given),
 * `min_len` <= length field <= `avail`, checksum. `min_what` names the
 * minimum in the message. */
static int sdt_check(const uint8_t *p, uint64_t avail, const char *want, uint32_t min_len,
		     const char *min_what, const struct reporter *r, uint32_t *len_out)
{
	const char *name = want;

	if (avail < SDT_HEADER_LEN) {
		report(r, "acpi: %s: truncated (%llu bytes < header %u)", name ? name : "table",
		       (unsigned long long)avail, SDT_HEADER_LEN);
		return -EINVAL;
	}
	struct sig_str sig = sig_name(p);
	if (want && memcmp(p, want, SDT_SIG_LEN) != 0) {
		report(r, "acpi: %s: wrong signature '%s'", want, sig.s);
		return -EINVAL;
	}
	if (!name)
		name = sig.s;
	uint32_t len = rd32(p, SDT_OFF_LENGTH);
	if (len < min_len) {
		report(r, "acpi: %s: truncated (length %u < %s %u)", name, len, min_what, min_len);
		return -EINVAL;
	}
	if (len > avail) {
		report(r, "acpi: %s: length %u exceeds the %llu bytes available", name, len,
		       (unsigned long long)avail);
		return -EINVAL;
	}
	uint8_t sum = checksum(p, len);
	if (sum != 0) {
		report(r, "acpi: %s: bad checksum (sum 0x%x)", name, sum);
		return -EINVAL;
	}
	*len_out = len;
	return 0;
}

int acpi_check_table(const void *table, uint64_t len, const char *sig)
{
	const struct reporter r = {LOG_ERR, false, NULL};
	uint32_t tlen;
	char want[SDT_SIG_LEN + 1];

	if (!table) {
		pr_err("acpi: %s: no table given", sig ? sig : "table");
		return -EINVAL;
	}
	if (sig) {
		memcpy(want, sig, SDT_SIG_LEN);
		want[SDT_SIG_LEN] = '\0';
	}
	return sdt_check(table, len, sig ? want : NULL, SDT_HEADER_LEN, "header", &r, &tlen);
}

/* Maps the table header at `phys`, then the whole table. `who` names the
 * table in messages until its own signature is known (the root table's
 * name plus entry index, for instance). With `check_sum` false only the
 * header is validated: acpidump wants broken tables too. */
static int sdt_map(phys_map_fn map, uint64_t phys, const char *want, const char *who,
		   bool check_sum, const struct reporter *r, struct sdt *t)
{
	const uint8_t *h = map(phys, SDT_HEADER_LEN);

	if (!h) {
		report(r, "acpi: %s: table header at 0x%llx is not readable", who,
		       (unsigned long long)phys);
		return -EFAULT;
	}
	t->sig = sig_name(h);
	if (want && memcmp(h, want, SDT_SIG_LEN) != 0) {
		report(r, "acpi: %s: wrong signature '%s' at 0x%llx", want, t->sig.s,
		       (unsigned long long)phys);
		return -EINVAL;
	}
	uint32_t len = rd32(h, SDT_OFF_LENGTH);
	if (len < SDT_HEADER_LEN) {
		report(r, "acpi: %s: truncated (length %u < header %u)", t->sig.s, len,
		       SDT_HEADER_LEN);
		return -EINVAL;
	}
	if (len > SDT_MAX_LEN) {
		report(r, "acpi: %s: implausible length 0x%x at 0x%llx", t->sig.s, len,
		       (unsigned long long)phys);
		return -EINVAL;
	}
	const uint8_t *p = map(phys, len);
	if (!p) {
		report(r, "acpi: %s: %u bytes at 0x%llx are not readable", t->sig.s, len,
		       (unsigned long long)phys);
		return -EFAULT;
	}
	if (check_sum) {
		uint8_t sum = checksum(p, len);
		if (sum != 0) {
			report(r, "acpi: %s: bad checksum (sum 0x%x)", t->sig.s, sum);
			return -EINVAL;
		}
	}
	t->p = p;
	t->phys = phys;
	t->len = len;
	return 0;
}

/* The root table's entries: 32-bit (RSDT) or 64-bit (XSDT) physical
 * addresses after the header. */
struct root {
	struct sdt t;
	uint32_t entry_size;
	uint32_t count;
};

static int root_open(phys_map_fn map, uint64_t phys, bool xsdt, const struct reporter *r,
		     struct root *root)
{
	const char *sig = xsdt ? SIG_XSDT : SIG_RSDT;
	int ret = sdt_map(map, phys, sig, sig, true, r, &root->t);

	if (ret)
		return ret;
	root->entry_size = xsdt ? XSDT_ENTRY_SIZE : RSDT_ENTRY_SIZE;
	root->count = (root->t.len - SDT_HEADER_LEN) / root->entry_size;
	return 0;
}

/* Re-opens the root table acpi_parse settled on, without reporting. */
static int root_reopen(phys_map_fn map, const struct acpi_info *info, struct root *root)
{
	if (!info->root_phys)
		return -ENOENT;
	return root_open(map, info->root_phys, info->have_xsdt, &quiet, root);
}

static uint64_t root_entry(const struct root *root, uint32_t i)
{
	uint32_t off = SDT_HEADER_LEN + i * root->entry_size;

	if (root->entry_size == XSDT_ENTRY_SIZE)
		return rd64(root->t.p, off);
	return rd32(root->t.p, off);
}

/* --- MADT ------------------------------------------------------------------- */

/* Entries that did not fit the fixed arrays in acpi_info. */
struct madt_dropped {
	uint32_t cpus, ioapics, overrides, nmis;
};

static void madt_add_cpu(struct acpi_info *info, struct madt_dropped *d, uint32_t apic_id,
			 uint32_t uid, uint32_t flags, bool x2apic)
{
	if (info->cpu_count >= ACPI_MAX_CPUS) {
		d->cpus++;
		return;
	}
	struct acpi_cpu *c = &info->cpus[info->cpu_count++];
	c->apic_id = apic_id;
	c->acpi_uid = uid;
	c->enabled = flags & MADT_LAPIC_ENABLED;
	c->online_capable = flags & MADT_LAPIC_ONLINE_CAPABLE;
	c->x2apic_entry = x2apic;
}

static void madt_add_nmi(struct acpi_info *info, struct madt_dropped *d, uint32_t uid,
			 uint8_t lint, uint16_t flags)
{
	if (info->nmi_count >= ACPI_MAX_NMIS) {
		d->nmis++;
		return;
	}
	struct acpi_nmi *n = &info->nmis[info->nmi_count++];
	n->acpi_uid = uid;
	n->lint = lint;
	n->flags = flags;
}

/* Processor Local APIC: uid(1) @2, APIC ID(1) @3, flags(4) @4 */
static void madt_lapic(const uint8_t *e, struct acpi_info *info, struct madt_dropped *d)
{
	madt_add_cpu(info, d, e[3], e[2], rd32(e, 4), false);
}

/* I/O APIC: id(1) @2, reserved @3, address(4) @4, GSI base(4) @8 */
static void madt_ioapic(const uint8_t *e, struct acpi_info *info, struct madt_dropped *d)
{
	if (info->ioapic_count >= ACPI_MAX_IOAPICS) {
		d->ioapics++;
		return;
	}
	struct acpi_ioapic *io = &info->ioapics[info->ioapic_count++];
	io->id = e[2];
	io->address = rd32(e, 4);
	io->gsi_base = rd32(e, 8);
}

/* Interrupt Source Override: bus(1) @2, source(1) @3, GSI(4) @4, flags(2) @8 */
static void madt_override(const uint8_t *e, struct acpi_info *info, struct madt_dropped *d)
{
	if (info->override_count >= ACPI_MAX_OVERRIDES) {
		d->overrides++;
		return;
	}
	struct acpi_override *o = &info->overrides[info->override_count++];
	o->bus = e[2];
	o->source = e[3];
	o->gsi = rd32(e, 4);
	o->flags = rd16(e, 8);
}

/* Local APIC NMI: uid(1) @2, flags(2) @3, LINT#(1) @5 */
static void madt_lapic_nmi(const uint8_t *e, struct acpi_info *info, struct madt_dropped *d)
{
	madt_add_nmi(info, d, e[2], e[5], rd16(e, 3));
}

/* Local APIC Address Override: reserved(2) @2, 64-bit address @4 */
static void madt_lapic_addr(const uint8_t *e, struct acpi_info *info, struct madt_dropped *d)
{
	(void)d;
	info->lapic_address_override = rd64(e, 4);
}

/* Processor Local x2APIC: reserved(2) @2, x2APIC ID(4) @4, flags(4) @8, uid(4) @12 */
static void madt_x2apic(const uint8_t *e, struct acpi_info *info, struct madt_dropped *d)
{
	madt_add_cpu(info, d, rd32(e, 4), rd32(e, 12), rd32(e, 8), true);
}

/* Local x2APIC NMI: flags(2) @2, uid(4) @4, LINT#(1) @8, reserved(3) @9 */
static void madt_x2apic_nmi(const uint8_t *e, struct acpi_info *info, struct madt_dropped *d)
{
	madt_add_nmi(info, d, rd32(e, 4), e[8], rd16(e, 2));
}

/* The entry types we use, with the length the spec gives them. A longer
 * entry is fine (later revisions append fields); a shorter one is broken. */
static const struct madt_kind {
	uint8_t type;
	uint8_t min_len;
	void (*parse)(const uint8_t *e, struct acpi_info *info, struct madt_dropped *d);
} madt_kinds[] = {
	{MADT_TYPE_LAPIC, 8, madt_lapic},
	{MADT_TYPE_IOAPIC, 12, madt_ioapic},
	{MADT_TYPE_INT_SRC_OVERRIDE, 10, madt_override},
	{MADT_TYPE_LAPIC_NMI, 6, madt_lapic_nmi},
	{MADT_TYPE_LAPIC_ADDR_OVERRIDE, 12, madt_lapic_addr},
	{MADT_TYPE_X2APIC, 16, madt_x2apic},
	{MADT_TYPE_X2APIC_NMI, 12, madt_x2apic_nmi},
};

static const struct madt_kind *madt_kind(uint8_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(madt_kinds); i++)
		if (madt_kinds[i].type == type)
			return &madt_kinds[i];
	return NULL;
}

static int madt_walk(const uint8_t *t, uint32_t len, struct acpi_info *info,
		     struct madt_dropped *d, const struct reporter *r)
{
	uint32_t off = MADT_OFF_ENTRIES;

	while (off < len) {
		if (len - off < MADT_ENTRY_HEADER_LEN) {
			report(r, "acpi: APIC: entry at offset 0x%x runs past the table end (0x%x)",
			       off, len);
			return -EINVAL;
		}
		uint8_t type = t[off], elen = t[off + 1];
		if (elen < MADT_ENTRY_HEADER_LEN) {
			report(r, "acpi: APIC: entry at offset 0x%x has length %u", off, elen);
			return -EINVAL;
		}
		if (elen > len - off) {
			report(r,
			       "acpi: APIC: entry at offset 0x%x (length %u) runs past the table end (0x%x)",
			       off, elen, len);
			return -EINVAL;
		}
		const struct madt_kind *k = madt_kind(type);
		if (k && elen < k->min_len) {
			report(r, "acpi: APIC: type %u entry at offset 0x%x has length %u (needs %u)",
			       type, off, elen, k->min_len);
			return -EINVAL;
		}
		if (k)
			k->parse(t + off, info, d);
		off += elen;
	}
	return 0;
}

static void madt_clear(struct acpi_info *info)
{
	info->have_madt = false;
	info->lapic_address = 0;
	info->lapic_address_override = 0;
	info->pcat_compat = false;
	memset(info->cpus, 0, sizeof(info->cpus));
	info->cpu_count = 0;
	memset(info->ioapics, 0, sizeof(info->ioapics));
	info->ioapic_count = 0;
	memset(info->overrides, 0, sizeof(info->overrides));
	info->override_count = 0;
	memset(info->nmis, 0, sizeof(info->nmis));
	info->nmi_count = 0;
}

static void madt_warn_dropped(const struct madt_dropped *d)
{
	if (d->cpus)
		pr_warn("acpi: APIC: %u processor entries dropped (limit %u)", d->cpus,
			ACPI_MAX_CPUS);
	if (d->ioapics)
		pr_warn("acpi: APIC: %u I/O APIC entries dropped (limit %u)", d->ioapics,
			ACPI_MAX_IOAPICS);
	if (d->overrides)
		pr_warn("acpi: APIC: %u interrupt source overrides dropped (limit %u)",
			d->overrides, ACPI_MAX_OVERRIDES);
	if (d->nmis)
		pr_warn("acpi: APIC: %u NMI entries dropped (limit %u)", d->nmis, ACPI_MAX_NMIS);
}

int acpi_parse_madt(const void *table, uint64_t len, struct acpi_info *info)
{
	const struct reporter r = {LOG_ERR, false, &info->errors};
	struct madt_dropped d = {0};
	const uint8_t *t = table;
	uint32_t tlen;
	int ret;

	madt_clear(info);
	if (!t) {
		report(&r, "acpi: APIC: no table given");
		return -EINVAL;
	}
	ret = sdt_check(t, len, SIG_MADT, MADT_OFF_ENTRIES, "header", &r, &tlen);
	if (ret)
		return ret;
	info->lapic_address = rd32(t, MADT_OFF_LAPIC_ADDRESS);
	info->pcat_compat = rd32(t, MADT_OFF_FLAGS) & MADT_FLAG_PCAT_COMPAT;
	ret = madt_walk(t, tlen, info, &d, &r);
	if (ret) {
		/* A half-read MADT is worse than none: the caller runs on one CPU. */
		madt_clear(info);
		return ret;
	}
	madt_warn_dropped(&d);
	info->have_madt = true;
	return 0;
}

/* --- FADT ------------------------------------------------------------------- */

static bool fadt_has(uint32_t len, uint32_t off, uint32_t size)
{
	return len >= off && len - off >= size;
}

static struct acpi_gas gas_read(const uint8_t *p, uint32_t off)
{
	struct acpi_gas g;

	g.space_id = p[off];
	g.bit_width = p[off + 1];
	g.bit_offset = p[off + 2];
	g.access_size = p[off + 3];
	g.address = rd64(p, off + 4);
	return g;
}

static struct acpi_gas gas_io_port(uint32_t port, uint8_t bits)
{
	struct acpi_gas g = {ACPI_GAS_SYSTEM_IO, bits, 0, GAS_ACCESS_DWORD, port};

	return g;
}

/* An ACPI 2.0+ extended block supersedes the 32-bit one when non-zero. Only
 * an I/O-space block can be stored as a port. */
static uint32_t fadt_io_port(const uint8_t *t, uint32_t len, uint32_t off32, uint32_t off_x)
{
	if (fadt_has(len, off_x, GAS_LEN)) {
		struct acpi_gas g = gas_read(t, off_x);
		if (g.address && g.space_id == ACPI_GAS_SYSTEM_IO && g.address <= UINT32_MAX)
			return (uint32_t)g.address;
	}
	return rd32(t, off32);
}

static void fadt_clear(struct acpi_info *info)
{
	info->have_fadt = false;
	info->sci_irq = 0;
	memset(&info->pm_timer, 0, sizeof(info->pm_timer));
	info->pm_timer.space_id = ACPI_GAS_SYSTEM_IO;
	info->pm_timer_32bit = false;
	memset(&info->reset_reg, 0, sizeof(info->reset_reg));
	info->reset_value = 0;
	info->reset_supported = false;
	info->dsdt_phys = 0;
	info->pm1a_cnt_port = 0;
	info->pm1b_cnt_port = 0;
	info->smi_cmd = 0;
	info->acpi_enable = 0;
	info->fadt_flags = 0;
}

int acpi_parse_fadt(const void *table, uint64_t len, struct acpi_info *info)
{
	const struct reporter r = {LOG_ERR, false, &info->errors};
	const uint8_t *t = table;
	uint32_t tlen;
	int ret;

	fadt_clear(info);
	if (!t) {
		report(&r, "acpi: FACP: no table given");
		return -EINVAL;
	}
	/* ACPI 1.0 FADTs are 116 bytes; fields past that are read only when the
	 * table's own length covers them. */
	ret = sdt_check(t, len, SIG_FADT, FADT_V1_LEN, "minimum", &r, &tlen);
	if (ret)
		return ret;

	uint32_t flags = rd32(t, FADT_OFF_FLAGS);
	info->fadt_flags = flags;
	info->sci_irq = rd16(t, FADT_OFF_SCI_INT);
	info->smi_cmd = rd32(t, FADT_OFF_SMI_CMD);
	info->acpi_enable = t[FADT_OFF_ACPI_ENABLE];
	info->pm1a_cnt_port = fadt_io_port(t, tlen, FADT_OFF_PM1A_CNT_BLK, FADT_OFF_X_PM1A_CNT_BLK);
	info->pm1b_cnt_port = fadt_io_port(t, tlen, FADT_OFF_PM1B_CNT_BLK, FADT_OFF_X_PM1B_CNT_BLK);

	/* The PM timer register is read as a dword, 24 or 32 of its bits valid. */
	uint32_t tmr = rd32(t, FADT_OFF_PM_TMR_BLK);
	if (tmr)
		info->pm_timer = gas_io_port(tmr, 32);
	if (fadt_has(tlen, FADT_OFF_X_PM_TMR_BLK, GAS_LEN)) {
		struct acpi_gas x = gas_read(t, FADT_OFF_X_PM_TMR_BLK);
		if (x.address)
			info->pm_timer = x;
	}
	info->pm_timer_32bit = flags & FADT_FLAG_TMR_VAL_EXT;

	info->dsdt_phys = rd32(t, FADT_OFF_DSDT);
	if (fadt_has(tlen, FADT_OFF_X_DSDT, sizeof(uint64_t))) {
		uint64_t x = rd64(t, FADT_OFF_X_DSDT);
		if (x)
			info->dsdt_phys = x;
	}

	/* RESET_REG exists from ACPI 2.0 on; in a 1.0 table bit 10 is reserved. */
	if (fadt_has(tlen, FADT_OFF_RESET_VALUE, 1)) {
		info->reset_reg = gas_read(t, FADT_OFF_RESET_REG);
		info->reset_value = t[FADT_OFF_RESET_VALUE];
		info->reset_supported = (flags & FADT_FLAG_RESET_REG_SUP) && info->reset_reg.address;
	}
	info->have_fadt = true;
	return 0;
}

/* --- Walking the root table ------------------------------------------------ */

static void parse_entry(phys_map_fn map, const struct root *root, uint32_t i,
			struct acpi_info *info, const struct reporter *r)
{
	uint64_t phys = root_entry(root, i);
	struct sdt t;

	if (!phys) {
		pr_warn("acpi: %s: entry %u is a null pointer, skipped", root->t.sig.s, i);
		return;
	}
	if (sdt_map(map, phys, NULL, root->t.sig.s, true, r, &t))
		return;
	if (memcmp(t.sig.s, SIG_MADT, SDT_SIG_LEN) == 0) {
		if (info->have_madt)
			pr_warn("acpi: APIC: another MADT at 0x%llx ignored", (unsigned long long)phys);
		else
			acpi_parse_madt(t.p, t.len, info);
	} else if (memcmp(t.sig.s, SIG_FADT, SDT_SIG_LEN) == 0) {
		if (info->have_fadt)
			pr_warn("acpi: FACP: another FADT at 0x%llx ignored", (unsigned long long)phys);
		else
			acpi_parse_fadt(t.p, t.len, info);
	}
}

static void walk_root(phys_map_fn map, const struct root *root, struct acpi_info *info,
		      const struct reporter *r)
{
	uint32_t count = root->count;
	uint32_t extra = (root->t.len - SDT_HEADER_LEN) % root->entry_size;

	if (extra)
		pr_warn("acpi: %s: %u trailing bytes after the last entry ignored", root->t.sig.s,
			extra);
	if (count > ROOT_MAX_ENTRIES) {
		pr_warn("acpi: %s: %u entries, only the first %u are used", root->t.sig.s, count,
			ROOT_MAX_ENTRIES);
		count = ROOT_MAX_ENTRIES;
	}
	for (uint32_t i = 0; i < count; i++) {
		parse_entry(map, root, i, info, r);
		info->tables_found++;
	}
}

/* XSDT when the RSDP has one and it is sound, else the RSDT. */
static int choose_root(phys_map_fn map, const uint8_t *rsdp, struct acpi_info *info,
		       const struct reporter *r, struct root *root)
{
	uint32_t rsdt = rd32(rsdp, RSDP_OFF_RSDT);
	uint64_t xsdt = 0;

	if (info->revision >= RSDP_REVISION_2)
		xsdt = rd64(rsdp, RSDP_OFF_XSDT);
	if (xsdt) {
		if (root_open(map, xsdt, true, r, root) == 0) {
			info->have_xsdt = true;
			return 0;
		}
		if (rsdt)
			pr_warn("acpi: XSDT unusable, falling back to the RSDT at 0x%x", rsdt);
	}
	if (!rsdt) {
		report(r, "acpi: RSDP: no usable root table (RSDT address is 0)");
		return -ENODEV;
	}
	return root_open(map, rsdt, false, r, root);
}

int acpi_parse(phys_map_fn map, uint64_t rsdp_phys, const void *rsdp_copy,
	       uint32_t rsdp_copy_len, struct acpi_info *info)
{
	const struct reporter r = {LOG_ERR, false, &info->errors};
	const uint8_t *rsdp;
	uint64_t rsdp_len;
	struct root root;
	int ret;

	memset(info, 0, sizeof(*info));
	fadt_clear(info);
	info->rsdp_phys = rsdp_phys;
	if (rsdp_copy) {
		rsdp = rsdp_copy;
		rsdp_len = rsdp_copy_len;
	} else {
		ret = rsdp_map(map, rsdp_phys, &rsdp, &rsdp_len, &r);
		if (ret)
			return ret;
	}
	ret = rsdp_check(rsdp, rsdp_len, &r);
	if (ret)
		return ret;
	info->revision = rsdp[RSDP_OFF_REVISION];

	ret = choose_root(map, rsdp, info, &r, &root);
	if (ret)
		return ret;
	info->root_phys = root.t.phys;
	info->root_len = root.t.len;
	walk_root(map, &root, info, &r);
	return 0;
}

/* --- Lookups after acpi_parse ---------------------------------------------- */

uint64_t acpi_find_table(phys_map_fn map, const struct acpi_info *info, const char sig[4])
{
	struct root root;
	struct sdt t;

	if (memcmp(sig, SIG_DSDT, SDT_SIG_LEN) == 0) {
		if (info->dsdt_phys &&
		    sdt_map(map, info->dsdt_phys, SIG_DSDT, SIG_DSDT, true, &quiet, &t) == 0)
			return info->dsdt_phys;
		return 0;
	}
	if (root_reopen(map, info, &root))
		return 0;
	if (memcmp(sig, root.t.sig.s, SDT_SIG_LEN) == 0)
		return root.t.phys;
	uint32_t count = MIN(root.count, (uint32_t)ROOT_MAX_ENTRIES);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t phys = root_entry(&root, i);
		if (phys && sdt_map(map, phys, NULL, "", true, &quiet, &t) == 0 &&
		    memcmp(t.sig.s, sig, SDT_SIG_LEN) == 0)
			return phys;
	}
	return 0;
}

void acpi_for_each_table(phys_map_fn map, const struct acpi_info *info,
			 void (*fn)(const char sig[4], uint64_t phys, uint32_t len, void *ctx),
			 void *ctx)
{
	struct root root;
	struct sdt t;

	if (info->rsdp_phys) {
		const uint8_t *p;
		uint64_t len;
		if (rsdp_map(map, info->rsdp_phys, &p, &len, &quiet) == 0 &&
		    rsdp_check(p, len, &quiet) == 0)
			fn(SIG_RSDP, info->rsdp_phys, (uint32_t)len, ctx);
	}
	if (root_reopen(map, info, &root))
		return;
	fn(root.t.sig.s, root.t.phys, root.t.len, ctx);
	uint32_t count = MIN(root.count, (uint32_t)ROOT_MAX_ENTRIES);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t phys = root_entry(&root, i);
		if (phys && sdt_map(map, phys, NULL, "", false, &quiet, &t) == 0)
			fn(t.sig.s, phys, t.len, ctx);
	}
	if (info->dsdt_phys &&
	    sdt_map(map, info->dsdt_phys, SIG_DSDT, SIG_DSDT, false, &quiet, &t) == 0)
		fn(t.sig.s, t.phys, t.len, ctx);
}
