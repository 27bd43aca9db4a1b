/* The guest's ACPI tables; the interface and what they describe are in
 * guest_acpi.h. Section numbers refer to the ACPI Specification 6.0.
 *
 * The tables are written in one pass through a small emitter that only
 * counts when it has no buffer. Building is done twice: a counting pass
 * lays everything out (offsets, total size) without touching the caller's
 * buffer, then the real pass writes, taking forward references (the RSDP
 * comes first but points at the RSDT and XSDT that come last) from the
 * counting pass. Multi-byte fields are little-endian, written byte by byte. */
#include "hv/guest_acpi.h"
#include "hv/table_emit.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"
#include "hv/vreset.h"
#include "hv/vrtc.h"
#include "hv/vuart.h"

#define FOUR_GIB (4ULL * GiB)

/* Identification in every header. The FADT's OEM Table ID must match the
 * RSDT's (5.2.9), so all tables share one. */
#define OEM_ID "HVPLAT"        /* 6 bytes */
#define OEM_TABLE_ID "HVGUEST " /* 8 bytes */
#define OEM_REVISION 1
#define CREATOR_ID "HVPL" /* 4 bytes: the "utility" that made the tables */
#define CREATOR_REVISION 1

/* --- RSDP, 5.2.5.3 ------------------------------------------------------- */
#define RSDP_SIGNATURE "RSD PTR " /* 8 bytes */
#define RSDP_REVISION 2           /* ACPI 2.0+: length, XSDT, extended checksum */
#define RSDP_V1_LEN 20            /* what the first checksum covers */
#define RSDP_LEN 36
#define RSDP_OFF_CHECKSUM 8
#define RSDP_OFF_EXT_CHECKSUM 32
#define RSDP_ALIGN 16 /* 5.2.5.1: found by scanning 16-byte boundaries */

/* --- System description table header, 5.2.6 ----------------------------- */
#define SDT_OFF_LENGTH 4
#define SDT_OFF_CHECKSUM 9
#define TABLE_ALIGN 16 /* ours: 8 would do for the 64-bit fields */

#define RSDT_REVISION 1 /* 5.2.7 */
#define XSDT_REVISION 1 /* 5.2.8 */

/* --- FADT, 5.2.9 Table 5-34 ---------------------------------------------- */
#define FADT_REVISION 6
#define FADT_MINOR_VERSION 0 /* FADT 6.0 */
#define FADT_LEN 276
#define FADT_PM_PROFILE_UNSPECIFIED 0
#define FADT_C2_LATENCY_NONE 101  /* > 100: C2 not supported */
#define FADT_C3_LATENCY_NONE 1001 /* > 1000: C3 not supported */

/* FADT Flags, Table 5-35 */
#define FADT_WBINVD (1u << 0)        /* WBINVD flushes and invalidates caches */
#define FADT_PROC_C1 (1u << 2)       /* C1 (HLT) on all processors */
#define FADT_PWR_BUTTON (1u << 4)    /* power button is a control method device */
#define FADT_SLP_BUTTON (1u << 5)    /* sleep button likewise: we declare none */
#define FADT_RESET_REG_SUP (1u << 10) /* RESET_REG / RESET_VALUE are valid */
/* Not set: TMR_VAL_EXT (bit 8), so the PM timer is 24 bits wide. */
#define FADT_FLAGS (FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON | \
		    FADT_RESET_REG_SUP)

/* IA-PC Boot Architecture Flags, Table 5-36 */
#define BOOT_ARCH_LEGACY_DEVICES (1u << 0) /* ISA devices (PIC, PIT, RTC, COM1) */
#define BOOT_ARCH_8042 (1u << 1)           /* not set: no keyboard controller */
#define BOOT_ARCH_VGA_NOT_PRESENT (1u << 2)
#define IAPC_BOOT_ARCH (BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_VGA_NOT_PRESENT)

/* Reset register (4.8.3.6): PIIX4/ICH reset control, SYS_RST | RST_CPU. */
#define RESET_PORT VRESET_PORT_RST_CNT
#define RESET_VALUE (VRESET_RST_CNT_SYS_RST | VRESET_RST_CNT_RST_CPU)

/* Generic Address Structure, 5.2.3.2 Table 5-25 */
#define GAS_LEN 12
#define GAS_SPACE_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_WORD 2 /* PM1 status, enable, control are 16-bit registers */
#define GAS_ACCESS_DWORD 3

/* --- FACS, 5.2.10 Table 5-37 --------------------------------------------- */
#define FACS_LEN 64
#define FACS_VERSION 2
#define FACS_ALIGN 64 /* "aligned on a 64-byte boundary" */

/* --- MADT, 5.2.12 --------------------------------------------------------- */
#define MADT_REVISION 4 /* ACPI 6.0 */
#define MADT_PCAT_COMPAT (1u << 0)  /* dual 8259 present: mask it to use APICs */
#define MADT_TYPE_LAPIC 0           /* 5.2.12.2 */
#define MADT_TYPE_IOAPIC 1          /* 5.2.12.3 */
#define MADT_TYPE_INT_SRC_OVERRIDE 2 /* 5.2.12.5 */
#define MADT_TYPE_LAPIC_NMI 4       /* 5.2.12.7 */
#define MADT_LEN_LAPIC 8
#define MADT_LEN_IOAPIC 12
#define MADT_LEN_INT_SRC_OVERRIDE 10
#define MADT_LEN_LAPIC_NMI 6
#define MADT_LAPIC_ENABLED (1u << 0)
#define MADT_BUS_ISA 0
#define MADT_UID_ALL 0xFF  /* LAPIC NMI: every processor */
#define MADT_LINT1 1
/* MPS INTI flags, Table 5-50: polarity bits 1:0, trigger mode bits 3:2. */
#define INTI_CONFORMING 0x0000
#define INTI_ACTIVE_HIGH 0x0001
#define INTI_EDGE 0x0004
#define INTI_LEVEL 0x000C
#define ISA_IRQ_PIT 0
#define GSI_PIT 2 /* the PIT reaches I/O APIC pin 2, as on every PC */
#define ISA_IRQ_CASCADE 2 /* the slave 8259's input: never a device IRQ */
#define ISA_IRQ_COUNT 16

/* --- DSDT: AML, chapter 20 ------------------------------------------------ */
#define DSDT_REVISION 2 /* >= 2: AML integers are 64 bits (5.2.11.1) */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0A
#define AML_WORD_PREFIX 0x0B
#define AML_DWORD_PREFIX 0x0C
#define AML_STRING_PREFIX 0x0D
#define AML_QWORD_PREFIX 0x0E
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_EXT_OP_PREFIX 0x5B
#define AML_DEVICE_OP 0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR '\\'
#define AML_NAMESEG_LEN 4
/* PkgLength, 20.2.4: one byte holds 0..63; with 1..3 following bytes the
 * lead byte's bits 7:6 count them and its bits 3:0 are the low nibble. */
#define AML_PKGLEN_1BYTE_MAX 0x3F
#define AML_PKGLEN_MAX_BYTES 4

/* Resource descriptors (6.4), the contents of a _CRS buffer. */
#define RES_IRQ_NO_FLAGS 0x22 /* 6.4.2.1, small item 4, length 2: edge, high */
#define RES_IO 0x47           /* 6.4.2.5, small item 8, length 7 */
#define RES_IO_DECODE16 0x01
#define RES_END_TAG 0x79 /* 6.4.2.9; checksum byte 0 = "treat as valid" */
#define RES_DWORD_ADDR 0x87 /* 6.4.3.5.2 */
#define RES_DWORD_ADDR_LEN 23
#define RES_WORD_ADDR 0x88 /* 6.4.3.5.3 */
#define RES_WORD_ADDR_LEN 13
#define RES_TYPE_MEMORY 0
#define RES_TYPE_IO 1
#define RES_TYPE_BUS 2
/* General flags, Table 6-238: a bridge window the bridge produces, with
 * fixed minimum and maximum, positive decode. */
#define RES_GEN_MIN_FIXED (1u << 2)
#define RES_GEN_MAX_FIXED (1u << 3)
#define RES_GEN_WINDOW (RES_GEN_MIN_FIXED | RES_GEN_MAX_FIXED)
#define RES_IO_ENTIRE_RANGE 0x03 /* Table 6-240 _RNG: ISA and non-ISA ports */
#define RES_MEM_RW 0x01           /* Table 6-239 _RW */
#define RES_MEM_CACHEABLE (1u << 1) /* _MEM = 1 */

#define PCI_CONFIG_PORTS 0xCF8 /* configuration mechanism #1, 8 ports */
#define PCI_CONFIG_PORTS_LEN 8
#define VGA_WINDOW_BASE 0xA0000u
#define VGA_WINDOW_END 0xBFFFFu
#define UART_PORTS_LEN 8

static size_t sdt_begin(struct emit *e, const char *sig, uint8_t revision)
{
	size_t start = e->len;

	emit_bytes(e, sig, 4);
	emit32(e, 0); /* length, set by sdt_end */
	emit8(e, revision);
	emit8(e, 0); /* checksum, set by sdt_end */
	emit_bytes(e, OEM_ID, 6);
	emit_bytes(e, OEM_TABLE_ID, 8);
	emit32(e, OEM_REVISION);
	emit_bytes(e, CREATOR_ID, 4);
	emit32(e, CREATOR_REVISION);
	return start;
}

static void sdt_end(struct emit *e, size_t start)
{
	size_t len = e->len - start;

	emit_patch32(e, start + SDT_OFF_LENGTH, (uint32_t)len);
	emit_checksum(e, start, len, start + SDT_OFF_CHECKSUM);
}

static void emit_gas_io(struct emit *e, uint32_t port, uint8_t bits, uint8_t access)
{
	emit8(e, GAS_SPACE_SYSTEM_IO);
	emit8(e, bits);
	emit8(e, 0); /* bit offset */
	emit8(e, access);
	emit64(e, port);
}

/* --- AML ---------------------------------------------------------------------- */

/* PkgLength for `body` bytes following it; the value counts its own bytes.
 * The DSDT is a few KiB (bounded by GUEST_ACPI_MAX_VCPUS), far below the
 * 2^28 the 4-byte form holds. */
static void aml_pkglength(struct emit *e, size_t body)
{
	if (body + 1 <= AML_PKGLEN_1BYTE_MAX) {
		emit8(e, (uint8_t)(body + 1));
		return;
	}
	size_t n = 2;
	while (n < AML_PKGLEN_MAX_BYTES && body + n >= (size_t)1 << (4 + 8 * (n - 1)))
		n++;
	size_t total = body + n;
	emit8(e, (uint8_t)(((n - 1) << 6) | (total & 0x0F)));
	for (size_t i = 1; i < n; i++)
		emit8(e, (uint8_t)(total >> (4 + 8 * (i - 1))));
}

/* The shortest integer encoding (20.2.3). */
static void aml_integer(struct emit *e, uint64_t v)
{
	if (v == 0) {
		emit8(e, AML_ZERO_OP);
	} else if (v == 1) {
		emit8(e, AML_ONE_OP);
	} else if (v <= UINT8_MAX) {
		emit8(e, AML_BYTE_PREFIX);
		emit8(e, (uint8_t)v);
	} else if (v <= UINT16_MAX) {
		emit8(e, AML_WORD_PREFIX);
		emit16(e, (uint16_t)v);
	} else if (v <= UINT32_MAX) {
		emit8(e, AML_DWORD_PREFIX);
		emit32(e, (uint32_t)v);
	} else {
		emit8(e, AML_QWORD_PREFIX);
		emit64(e, v);
	}
}

static void aml_name(struct emit *e, const char *seg)
{
	emit8(e, AML_NAME_OP);
	emit_bytes(e, seg, AML_NAMESEG_LEN);
}

static void aml_name_integer(struct emit *e, const char *seg, uint64_t v)
{
	aml_name(e, seg);
	aml_integer(e, v);
}

static void aml_name_string(struct emit *e, const char *seg, const char *s)
{
	aml_name(e, seg);
	emit8(e, AML_STRING_PREFIX);
	emit_bytes(e, s, strlen(s) + 1);
}

static uint32_t hex_digit(char c)
{
	return (uint32_t)hex_digit_value(c); /* the IDs here are constants */
}

/* EISAID("PNP0A03") (19.6.35): three letters in 5 bits each ('A' = 1) and
 * four hex digits, stored most significant byte first. */
static uint32_t eisa_id(const char *id)
{
	uint32_t v = (uint32_t)(id[0] - '@') << 26 | (uint32_t)(id[1] - '@') << 21 |
		     (uint32_t)(id[2] - '@') << 16 | hex_digit(id[3]) << 12 |
		     hex_digit(id[4]) << 8 | hex_digit(id[5]) << 4 | hex_digit(id[6]);

	return (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24);
}

static void aml_name_eisa_id(struct emit *e, const char *seg, const char *id)
{
	aml_name_integer(e, seg, eisa_id(id));
}

/* Name(seg, Buffer(){bytes}): BufferOp PkgLength BufferSize ByteList. */
static void aml_name_buffer(struct emit *e, const char *seg, const struct emit *data)
{
	struct emit size = {NULL, 0, 0};

	aml_integer(&size, data->len);
	aml_name(e, seg);
	emit8(e, AML_BUFFER_OP);
	aml_pkglength(e, size.len + data->len);
	aml_integer(e, data->len);
	emit_bytes(e, data->buf, data->len);
}

typedef void (*aml_body_fn)(struct emit *e, const struct guest_acpi_config *cfg, uint32_t arg);

/* Op PkgLength NameString TermList (Scope, Device). The length precedes the
 * body, so the body is emitted twice: once only to count it. */
static void aml_block(struct emit *e, const uint8_t *op, size_t op_len, const char *name,
		      aml_body_fn body, const struct guest_acpi_config *cfg, uint32_t arg)
{
	struct emit count = {NULL, 0, 0};
	size_t name_len = strlen(name);

	body(&count, cfg, arg);
	emit_bytes(e, op, op_len);
	aml_pkglength(e, name_len + count.len);
	emit_bytes(e, name, name_len);
	body(e, cfg, arg);
}

static void aml_device(struct emit *e, const char *seg, aml_body_fn body,
		       const struct guest_acpi_config *cfg, uint32_t arg)
{
	static const uint8_t op[] = {AML_EXT_OP_PREFIX, AML_DEVICE_OP};

	aml_block(e, op, sizeof(op), seg, body, cfg, arg);
}

/* --- Resource templates ------------------------------------------------------ */

#define RES_MAX_LEN 128 /* PCI0's _CRS, the largest, is 110 bytes */

static void res_io(struct emit *r, uint16_t port, uint8_t align, uint8_t len)
{
	emit8(r, RES_IO);
	emit8(r, RES_IO_DECODE16);
	emit16(r, port); /* minimum */
	emit16(r, port); /* maximum: the range is fixed */
	emit8(r, align);
	emit8(r, len);
}

static void res_irq(struct emit *r, uint8_t irq)
{
	emit8(r, RES_IRQ_NO_FLAGS);
	emit16(r, (uint16_t)(1u << irq));
}

static void res_word_window(struct emit *r, uint8_t type, uint8_t type_flags, uint16_t min,
			    uint16_t max)
{
	emit8(r, RES_WORD_ADDR);
	emit16(r, RES_WORD_ADDR_LEN);
	emit8(r, type);
	emit8(r, RES_GEN_WINDOW);
	emit8(r, type_flags);
	emit16(r, 0); /* granularity */
	emit16(r, min);
	emit16(r, max);
	emit16(r, 0); /* translation offset */
	emit16(r, (uint16_t)(max - min + 1));
}

static void res_dword_memory(struct emit *r, uint8_t type_flags, uint32_t min, uint32_t max)
{
	emit8(r, RES_DWORD_ADDR);
	emit16(r, RES_DWORD_ADDR_LEN);
	emit8(r, RES_TYPE_MEMORY);
	emit8(r, RES_GEN_WINDOW);
	emit8(r, type_flags);
	emit32(r, 0); /* granularity */
	emit32(r, min);
	emit32(r, max);
	emit32(r, 0); /* translation offset */
	emit32(r, max - min + 1);
}

static void res_end(struct emit *r)
{
	emit8(r, RES_END_TAG);
	emit8(r, 0);
}

/* --- DSDT ------------------------------------------------------------------- */

/* Name(_S5, Package(4){typ, typ, 0, 0}): SLP_TYP for PM1a and PM1b control,
 * then two reserved elements (7.4.2). */
static void dsdt_s5(struct emit *e)
{
	uint8_t bytes[16];
	struct emit pkg = {bytes, sizeof(bytes), 0};

	emit8(&pkg, 4); /* NumElements */
	aml_integer(&pkg, GUEST_ACPI_S5_SLP_TYP);
	aml_integer(&pkg, GUEST_ACPI_S5_SLP_TYP);
	aml_integer(&pkg, 0);
	aml_integer(&pkg, 0);

	aml_name(e, "_S5_");
	emit8(e, AML_PACKAGE_OP);
	aml_pkglength(e, pkg.len);
	emit_bytes(e, bytes, pkg.len);
}

/* The host bridge's resources (which Linux takes as the windows it may
 * assign BARs from): bus 0-255, the configuration ports it decodes itself,
 * every other I/O port, the VGA window and the optional 32-bit window. */
static void dsdt_pci0(struct emit *e, const struct guest_acpi_config *cfg, uint32_t arg)
{
	uint8_t bytes[RES_MAX_LEN];
	struct emit crs = {bytes, sizeof(bytes), 0};

	(void)arg;
	aml_name_eisa_id(e, "_HID", "PNP0A03");
	aml_name_integer(e, "_UID", 0);
	aml_name_integer(e, "_BBN", 0);

	res_word_window(&crs, RES_TYPE_BUS, 0, 0x00, 0xFF);
	res_io(&crs, PCI_CONFIG_PORTS, 1, PCI_CONFIG_PORTS_LEN);
	res_word_window(&crs, RES_TYPE_IO, RES_IO_ENTIRE_RANGE, 0x0000, PCI_CONFIG_PORTS - 1);
	res_word_window(&crs, RES_TYPE_IO, RES_IO_ENTIRE_RANGE,
			PCI_CONFIG_PORTS + PCI_CONFIG_PORTS_LEN, 0xFFFF);
	res_dword_memory(&crs, RES_MEM_RW | RES_MEM_CACHEABLE, VGA_WINDOW_BASE, VGA_WINDOW_END);
	if (cfg->pci_mmio_size)
		res_dword_memory(&crs, RES_MEM_RW, cfg->pci_mmio_base,
				 cfg->pci_mmio_base + (cfg->pci_mmio_size - 1));
	res_end(&crs);
	aml_name_buffer(e, "_CRS", &crs);
}

static void dsdt_com1(struct emit *e, const struct guest_acpi_config *cfg, uint32_t arg)
{
	uint8_t bytes[RES_MAX_LEN];
	struct emit crs = {bytes, sizeof(bytes), 0};

	(void)cfg;
	(void)arg;
	aml_name_eisa_id(e, "_HID", "PNP0501");
	aml_name_integer(e, "_UID", 1);
	res_io(&crs, VUART_COM1_BASE, 1, UART_PORTS_LEN);
	res_irq(&crs, VUART_COM1_IRQ);
	res_end(&crs);
	aml_name_buffer(e, "_CRS", &crs);
}

/* A processor device (8.4): its _UID is the MADT entry's ACPI Processor
 * UID, which is how the OS pairs the two. */
static void dsdt_cpu(struct emit *e, const struct guest_acpi_config *cfg, uint32_t index)
{
	(void)cfg;
	aml_name_string(e, "_HID", "ACPI0007");
	aml_name_integer(e, "_UID", index);
}

static void dsdt_sb(struct emit *e, const struct guest_acpi_config *cfg, uint32_t arg)
{
	static const char hex[] = "0123456789ABCDEF";

	(void)arg;
	if (cfg->pci_host_bridge)
		aml_device(e, "PCI0", dsdt_pci0, cfg, 0);
	if (cfg->com1)
		aml_device(e, "COM1", dsdt_com1, cfg, 0);
	for (uint32_t i = 0; i < cfg->vcpus; i++) {
		/* C000, C001 ...: a NameSeg is 4 characters of [A-Z0-9_]. */
		char seg[AML_NAMESEG_LEN + 1] = {'C', hex[(i >> 8) & 0xF], hex[(i >> 4) & 0xF],
						 hex[i & 0xF], '\0'};
		aml_device(e, seg, dsdt_cpu, cfg, i);
	}
}

static void emit_dsdt(struct emit *e, const struct guest_acpi_config *cfg)
{
	static const uint8_t scope_op[] = {AML_SCOPE_OP};
	static const char sb[] = {AML_ROOT_CHAR, '_', 'S', 'B', '_', '\0'};
	size_t start = sdt_begin(e, "DSDT", DSDT_REVISION);

	dsdt_s5(e);
	aml_block(e, scope_op, sizeof(scope_op), sb, dsdt_sb, cfg, 0);
	sdt_end(e, start);
}

/* --- The other tables ------------------------------------------------------- */

static void emit_rsdp(struct emit *e, uint64_t rsdt, uint64_t xsdt)
{
	size_t start = e->len;

	emit_bytes(e, RSDP_SIGNATURE, 8);
	emit8(e, 0); /* checksum of the first 20 bytes */
	emit_bytes(e, OEM_ID, 6);
	emit8(e, RSDP_REVISION);
	emit32(e, (uint32_t)rsdt);
	emit32(e, RSDP_LEN);
	emit64(e, xsdt);
	emit8(e, 0); /* extended checksum, of all 36 */
	emit_zeros(e, 3);
	emit_checksum(e, start, RSDP_V1_LEN, start + RSDP_OFF_CHECKSUM);
	emit_checksum(e, start, RSDP_LEN, start + RSDP_OFF_EXT_CHECKSUM);
}

/* Everything zero: no hardware signature, no waking vector yet (the OS
 * writes it), no global lock users, no S4BIOS, no 64-bit wake. */
static void emit_facs(struct emit *e)
{
	emit_bytes(e, "FACS", 4);
	emit32(e, FACS_LEN);
	emit32(e, 0);  /* hardware signature */
	emit32(e, 0);  /* firmware waking vector */
	emit32(e, 0);  /* global lock */
	emit32(e, 0);  /* flags */
	emit64(e, 0);  /* X firmware waking vector */
	emit8(e, FACS_VERSION);
	emit_zeros(e, 3);
	emit32(e, 0);  /* OSPM flags */
	emit_zeros(e, 24);
}

static void emit_fadt(struct emit *e, const struct guest_acpi_config *cfg, uint64_t facs,
		      uint64_t dsdt)
{
	uint32_t evt = cfg->pm_base + GUEST_ACPI_PM1_EVT_OFF;
	uint32_t cnt = cfg->pm_base + GUEST_ACPI_PM1_CNT_OFF;
	uint32_t tmr = cfg->pm_base + GUEST_ACPI_PM_TMR_OFF;
	size_t start = sdt_begin(e, "FACP", FADT_REVISION);

	/* X_FIRMWARE_CTRL must be zero when FIRMWARE_CTRL is set (Table 5-34);
	 * the DSDT may and does have both. */
	emit32(e, (uint32_t)facs);        /* 36 FIRMWARE_CTRL */
	emit32(e, (uint32_t)dsdt);        /* 40 DSDT */
	emit8(e, 0);                      /* 44 reserved (ACPI 1.0 INT_MODEL) */
	emit8(e, FADT_PM_PROFILE_UNSPECIFIED); /* 45 */
	emit16(e, cfg->sci_irq);          /* 46 SCI_INT */
	/* No SMM: SMI_CMD 0 tells the OS that ACPI is always enabled (4.8.2.5). */
	emit32(e, 0);                     /* 48 SMI_CMD */
	emit8(e, 0);                      /* 52 ACPI_ENABLE */
	emit8(e, 0);                      /* 53 ACPI_DISABLE */
	emit8(e, 0);                      /* 54 S4BIOS_REQ */
	emit8(e, 0);                      /* 55 PSTATE_CNT */
	emit32(e, evt);                   /* 56 PM1a_EVT_BLK */
	emit32(e, 0);                     /* 60 PM1b_EVT_BLK */
	emit32(e, cnt);                   /* 64 PM1a_CNT_BLK */
	emit32(e, 0);                     /* 68 PM1b_CNT_BLK */
	emit32(e, 0);                     /* 72 PM2_CNT_BLK */
	emit32(e, tmr);                   /* 76 PM_TMR_BLK */
	emit32(e, 0);                     /* 80 GPE0_BLK */
	emit32(e, 0);                     /* 84 GPE1_BLK */
	emit8(e, GUEST_ACPI_PM1_EVT_LEN); /* 88 PM1_EVT_LEN */
	emit8(e, GUEST_ACPI_PM1_CNT_LEN); /* 89 PM1_CNT_LEN */
	emit8(e, 0);                      /* 90 PM2_CNT_LEN */
	emit8(e, GUEST_ACPI_PM_TMR_LEN);  /* 91 PM_TMR_LEN */
	emit8(e, 0);                      /* 92 GPE0_BLK_LEN */
	emit8(e, 0);                      /* 93 GPE1_BLK_LEN */
	emit8(e, 0);                      /* 94 GPE1_BASE */
	emit8(e, 0);                      /* 95 CST_CNT */
	emit16(e, FADT_C2_LATENCY_NONE);  /* 96 P_LVL2_LAT */
	emit16(e, FADT_C3_LATENCY_NONE);  /* 98 P_LVL3_LAT */
	emit16(e, 0);                     /* 100 FLUSH_SIZE (WBINVD is supported) */
	emit16(e, 0);                     /* 102 FLUSH_STRIDE */
	emit8(e, 0);                      /* 104 DUTY_OFFSET */
	emit8(e, 0);                      /* 105 DUTY_WIDTH */
	emit8(e, 0);                      /* 106 DAY_ALRM: no day-of-month alarm */
	emit8(e, 0);                      /* 107 MON_ALRM */
	emit8(e, RTC_CENTURY);            /* 108 CENTURY */
	emit16(e, IAPC_BOOT_ARCH);        /* 109 IAPC_BOOT_ARCH */
	emit8(e, 0);                      /* 111 reserved */
	emit32(e, FADT_FLAGS);            /* 112 Flags */
	emit_gas_io(e, RESET_PORT, 8, GAS_ACCESS_BYTE); /* 116 RESET_REG */
	emit8(e, RESET_VALUE);            /* 128 RESET_VALUE */
	emit16(e, 0);                     /* 129 ARM_BOOT_ARCH */
	emit8(e, FADT_MINOR_VERSION);     /* 131 */
	emit64(e, 0);                     /* 132 X_FIRMWARE_CTRL */
	emit64(e, dsdt);                  /* 140 X_DSDT */
	emit_gas_io(e, evt, 8 * GUEST_ACPI_PM1_EVT_LEN, GAS_ACCESS_WORD); /* 148 X_PM1a_EVT_BLK */
	emit_zeros(e, GAS_LEN);           /* 160 X_PM1b_EVT_BLK */
	emit_gas_io(e, cnt, 8 * GUEST_ACPI_PM1_CNT_LEN, GAS_ACCESS_WORD); /* 172 X_PM1a_CNT_BLK */
	emit_zeros(e, GAS_LEN);           /* 184 X_PM1b_CNT_BLK */
	emit_zeros(e, GAS_LEN);           /* 196 X_PM2_CNT_BLK */
	emit_gas_io(e, tmr, 8 * GUEST_ACPI_PM_TMR_LEN, GAS_ACCESS_DWORD); /* 208 X_PM_TMR_BLK */
	emit_zeros(e, GAS_LEN);           /* 220 X_GPE0_BLK */
	emit_zeros(e, GAS_LEN);           /* 232 X_GPE1_BLK */
	emit_zeros(e, GAS_LEN);           /* 244 SLEEP_CONTROL_REG (HW-reduced only) */
	emit_zeros(e, GAS_LEN);           /* 256 SLEEP_STATUS_REG */
	emit64(e, 0);                     /* 268 hypervisor vendor identity */
	sdt_end(e, start);                /* 276 */
}

static void madt_override(struct emit *e, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	emit8(e, MADT_TYPE_INT_SRC_OVERRIDE);
	emit8(e, MADT_LEN_INT_SRC_OVERRIDE);
	emit8(e, MADT_BUS_ISA);
	emit8(e, irq);
	emit32(e, gsi);
	emit16(e, flags);
}

static void emit_madt(struct emit *e, const struct guest_acpi_config *cfg)
{
	size_t start = sdt_begin(e, "APIC", MADT_REVISION);

	emit32(e, cfg->lapic_addr);
	emit32(e, MADT_PCAT_COMPAT);
	for (uint32_t i = 0; i < cfg->vcpus; i++) {
		emit8(e, MADT_TYPE_LAPIC);
		emit8(e, MADT_LEN_LAPIC);
		emit8(e, (uint8_t)i); /* ACPI processor UID, the DSDT's _UID */
		emit8(e, (uint8_t)i); /* APIC ID */
		emit32(e, MADT_LAPIC_ENABLED);
	}
	emit8(e, MADT_TYPE_IOAPIC);
	emit8(e, MADT_LEN_IOAPIC);
	emit8(e, cfg->ioapic_id);
	emit8(e, 0); /* reserved */
	emit32(e, cfg->ioapic_addr);
	emit32(e, 0); /* GSI base: pins are GSIs 0..23 */
	/* ISA IRQs not listed map to the GSI of the same number, edge/high. */
	madt_override(e, ISA_IRQ_PIT, GSI_PIT, INTI_CONFORMING);
	madt_override(e, cfg->sci_irq, cfg->sci_irq, INTI_LEVEL | INTI_ACTIVE_HIGH);
	emit8(e, MADT_TYPE_LAPIC_NMI);
	emit8(e, MADT_LEN_LAPIC_NMI);
	emit8(e, MADT_UID_ALL);
	emit16(e, INTI_EDGE | INTI_ACTIVE_HIGH);
	emit8(e, MADT_LINT1);
	sdt_end(e, start);
}

static void emit_root(struct emit *e, bool xsdt, uint64_t fadt, uint64_t madt)
{
	size_t start = sdt_begin(e, xsdt ? "XSDT" : "RSDT", xsdt ? XSDT_REVISION : RSDT_REVISION);

	if (xsdt) {
		emit64(e, fadt);
		emit64(e, madt);
	} else {
		emit32(e, (uint32_t)fadt);
		emit32(e, (uint32_t)madt);
	}
	sdt_end(e, start);
}

/* --- Putting it together ---------------------------------------------------- */

/* Buffer offsets of each structure, and where the used part ends. */
struct plan {
	size_t rsdp, facs, dsdt, fadt, madt, rsdt, xsdt, end;
};

static void emit_all(struct emit *e, const struct guest_acpi_config *cfg, uint64_t gpa,
		     const struct plan *ref, struct plan *got)
{
	emit_align(e, gpa, RSDP_ALIGN);
	got->rsdp = e->len;
	emit_rsdp(e, gpa + ref->rsdt, gpa + ref->xsdt);
	emit_align(e, gpa, FACS_ALIGN);
	got->facs = e->len;
	emit_facs(e);
	emit_align(e, gpa, TABLE_ALIGN);
	got->dsdt = e->len;
	emit_dsdt(e, cfg);
	emit_align(e, gpa, TABLE_ALIGN);
	got->fadt = e->len;
	emit_fadt(e, cfg, gpa + ref->facs, gpa + ref->dsdt);
	emit_align(e, gpa, TABLE_ALIGN);
	got->madt = e->len;
	emit_madt(e, cfg);
	emit_align(e, gpa, TABLE_ALIGN);
	got->rsdt = e->len;
	emit_root(e, false, gpa + ref->fadt, gpa + ref->madt);
	emit_align(e, gpa, TABLE_ALIGN);
	got->xsdt = e->len;
	emit_root(e, true, gpa + ref->fadt, gpa + ref->madt);
	got->end = e->len;
}

void guest_acpi_default_config(struct guest_acpi_config *cfg, uint32_t vcpus)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vcpus = vcpus;
	cfg->lapic_addr = GUEST_ACPI_LAPIC_ADDR;
	cfg->ioapic_addr = GUEST_ACPI_IOAPIC_ADDR;
	cfg->ioapic_id = (uint8_t)vcpus;
	cfg->pm_base = GUEST_ACPI_PM_BASE;
	cfg->sci_irq = GUEST_ACPI_SCI_IRQ;
	cfg->pci_host_bridge = true;
	cfg->com1 = true;
}

static int check_config(const struct guest_acpi_config *cfg)
{
	if (cfg->vcpus < 1 || cfg->vcpus > GUEST_ACPI_MAX_VCPUS) {
		pr_err("guest_acpi: %u vCPUs is out of range (1..%u)", cfg->vcpus,
		       GUEST_ACPI_MAX_VCPUS);
		return -EINVAL;
	}
	/* The SCI shares an 8259 input with nothing: not the PIT's, not the cascade. */
	if (cfg->sci_irq == ISA_IRQ_PIT || cfg->sci_irq == ISA_IRQ_CASCADE ||
	    cfg->sci_irq >= ISA_IRQ_COUNT) {
		pr_err("guest_acpi: SCI IRQ %u is not a usable ISA IRQ (1, 3..15)", cfg->sci_irq);
		return -EINVAL;
	}
	if (cfg->pm_base == 0 || cfg->pm_base > UINT16_MAX - (GUEST_ACPI_PM_BLOCK_LEN - 1)) {
		pr_err("guest_acpi: PM base port 0x%x cannot hold the %u-byte PM block",
		       cfg->pm_base, GUEST_ACPI_PM_BLOCK_LEN);
		return -EINVAL;
	}
	if (cfg->pci_mmio_size && (uint64_t)cfg->pci_mmio_base + cfg->pci_mmio_size > FOUR_GIB) {
		pr_err("guest_acpi: PCI window 0x%x+0x%x crosses 4 GiB", cfg->pci_mmio_base,
		       cfg->pci_mmio_size);
		return -EINVAL;
	}
	return 0;
}

int guest_acpi_build(const struct guest_acpi_config *cfg, uint8_t *buf, size_t buf_size,
		     uint64_t buf_gpa, struct guest_acpi_layout *out)
{
	struct plan none = {0}, plan, again;
	struct emit count = {NULL, 0, 0};
	int ret;

	if (!cfg || !buf || !out) {
		pr_err("guest_acpi: no configuration, buffer or layout given");
		return -EINVAL;
	}
	ret = check_config(cfg);
	if (ret)
		return ret;
	/* RSDT entries, FIRMWARE_CTRL and DSDT are 32-bit addresses. */
	if (buf_gpa >= FOUR_GIB) {
		pr_err("guest_acpi: tables at 0x%llx must lie below 4 GiB",
		       (unsigned long long)buf_gpa);
		return -EINVAL;
	}
	emit_all(&count, cfg, buf_gpa, &none, &plan);
	if (plan.end > buf_size) {
		pr_err("guest_acpi: the tables need %zu bytes, the buffer holds %zu", plan.end,
		       buf_size);
		return -ENOSPC;
	}
	if (plan.end > FOUR_GIB - buf_gpa) {
		pr_err("guest_acpi: tables at 0x%llx-0x%llx must lie below 4 GiB",
		       (unsigned long long)buf_gpa, (unsigned long long)(buf_gpa + plan.end - 1));
		return -EINVAL;
	}

	struct emit e = {buf, buf_size, 0};
	memset(buf, 0, plan.end);
	emit_all(&e, cfg, buf_gpa, &plan, &again);

	out->rsdp_gpa = buf_gpa + plan.rsdp;
	out->size = plan.end;
	out->rsdt_gpa = buf_gpa + plan.rsdt;
	out->xsdt_gpa = buf_gpa + plan.xsdt;
	out->fadt_gpa = buf_gpa + plan.fadt;
	out->facs_gpa = buf_gpa + plan.facs;
	out->dsdt_gpa = buf_gpa + plan.dsdt;
	out->madt_gpa = buf_gpa + plan.madt;
	return 0;
}
