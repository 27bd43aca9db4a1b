/* The guest's MP tables; the interface is described in guest_mptable.h.
 * Section numbers refer to the Intel MultiProcessor Specification 1.4,
 * chapter 4. Every size is known up front, so the tables are written
 * directly once the buffer is known to be large enough. */
#include "hv/guest_mptable.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"
#include "hv/table_emit.h"
#include "hv/vioapic.h"
#include "hv/vlapic.h"

#define FOUR_GIB (4ULL * GiB)

/* MP floating pointer structure, 4.1 */
#define MPFP_SIGNATURE "_MP_"
#define MPFP_LEN 16
#define MPFP_ALIGN 16 /* searched on 16-byte boundaries */
#define MPFP_OFF_CHECKSUM 10
#define MP_SPEC_REV 4 /* version 1.4 */
/* Feature byte 1 = 0: a configuration table is present (no default
 * configuration). Feature byte 2 bit 7 (IMCRP) = 0: virtual wire mode, there
 * is no IMCR to switch. */

/* MP configuration table header, 4.2 */
#define MPC_SIGNATURE "PCMP"
#define MPC_HEADER_LEN 44
#define MPC_OFF_LENGTH 4
#define MPC_OFF_CHECKSUM 7
#define MPC_OEM_ID "HVPLAT  "          /* 8 bytes */
#define MPC_PRODUCT_ID "HVGUEST     " /* 12 bytes */

/* Base table entries, 4.3 (they must appear sorted by type) */
#define MP_PROCESSOR 0
#define MP_BUS 1
#define MP_IOAPIC 2
#define MP_IO_INTERRUPT 3
#define MP_LOCAL_INTERRUPT 4
#define MP_PROCESSOR_LEN 20
#define MP_ENTRY_LEN 8 /* all the others */

#define MP_CPU_ENABLED 0x01 /* 4.3.1 CPU flags EN */
#define MP_CPU_BSP 0x02     /* BP: the bootstrap processor */
/* CPU signature and feature flags as CPUID leaf 1 reports them (4.3.1):
 * family 6; features FPU (bit 0) and on-chip APIC (bit 9). */
#define MP_CPU_SIGNATURE 0x00000600u
#define MP_CPU_FEATURES 0x00000201u

#define MP_IOAPIC_ENABLED 0x01 /* 4.3.3 */
#define MP_IOAPIC_VERSION ((uint8_t)VIOAPIC_VERSION) /* its version register's bits 7:0 */

#define MP_BUS_ISA_ID 0
#define MP_BUS_ISA_NAME "ISA   " /* 6 bytes, Table 4-8 */

/* Interrupt types, Table 4-10 */
#define MP_INT 0
#define MP_NMI 1
#define MP_EXTINT 3
#define MP_INT_CONFORMING 0x0000 /* polarity and trigger conform to the bus */
#define MP_ALL_LAPICS 0xFF
#define MP_LINT0 0
#define MP_LINT1 1

#define ISA_IRQ_COUNT 16
#define ISA_IRQ_PIT 0
#define ISA_IRQ_CASCADE 2 /* the slave 8259's input: no device of its own */
#define IOAPIC_PIN_PIT 2

#define MP_ISA_IRQ_ENTRIES (ISA_IRQ_COUNT - 1) /* all but the cascade */
#define MP_LOCAL_ENTRIES 2                     /* ExtINT LINT0, NMI LINT1 */


static void put_interrupt(struct emit *o, uint8_t entry, uint8_t type, uint8_t src_irq,
			  uint8_t dst_id, uint8_t dst_pin)
{
	emit8(o, entry);
	emit8(o, type);
	emit16(o, MP_INT_CONFORMING);
	emit8(o, MP_BUS_ISA_ID);
	emit8(o, src_irq);
	emit8(o, dst_id);
	emit8(o, dst_pin);
}

static uint16_t entry_count(uint32_t vcpus)
{
	return (uint16_t)(vcpus + 1 + 1 + MP_ISA_IRQ_ENTRIES + MP_LOCAL_ENTRIES);
}

static size_t config_len(uint32_t vcpus)
{
	return MPC_HEADER_LEN + vcpus * MP_PROCESSOR_LEN +
	       (size_t)(entry_count(vcpus) - vcpus) * MP_ENTRY_LEN;
}

static void put_config(struct emit *o, uint32_t vcpus, uint8_t ioapic_id, uint32_t ioapic_addr)
{
	size_t start = o->len;

	emit_bytes(o, MPC_SIGNATURE, 4);
	emit16(o, (uint16_t)config_len(vcpus)); /* base table length */
	emit8(o, MP_SPEC_REV);
	emit8(o, 0); /* checksum, set below */
	emit_bytes(o, MPC_OEM_ID, 8);
	emit_bytes(o, MPC_PRODUCT_ID, 12);
	emit32(o, 0); /* OEM table pointer: none */
	emit16(o, 0); /* OEM table size */
	emit16(o, entry_count(vcpus));
	emit32(o, (uint32_t)LAPIC_DEFAULT_BASE);
	emit16(o, 0); /* extended table length: none */
	emit8(o, 0);  /* extended table checksum */
	emit8(o, 0);  /* reserved */

	for (uint32_t i = 0; i < vcpus; i++) {
		emit8(o, MP_PROCESSOR);
		emit8(o, (uint8_t)i); /* local APIC ID */
		emit8(o, LAPIC_VERSION);
		emit8(o, MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0));
		emit32(o, MP_CPU_SIGNATURE);
		emit32(o, MP_CPU_FEATURES);
		emit32(o, 0); /* reserved */
		emit32(o, 0);
	}

	emit8(o, MP_BUS);
	emit8(o, MP_BUS_ISA_ID);
	emit_bytes(o, MP_BUS_ISA_NAME, 6);

	emit8(o, MP_IOAPIC);
	emit8(o, ioapic_id);
	emit8(o, MP_IOAPIC_VERSION);
	emit8(o, MP_IOAPIC_ENABLED);
	emit32(o, ioapic_addr);

	for (uint8_t irq = 0; irq < ISA_IRQ_COUNT; irq++) {
		if (irq == ISA_IRQ_CASCADE)
			continue;
		uint8_t pin = irq == ISA_IRQ_PIT ? IOAPIC_PIN_PIT : irq;
		put_interrupt(o, MP_IO_INTERRUPT, MP_INT, irq, ioapic_id, pin);
	}

	/* Virtual wire: the 8259's INTR on LINT0, NMI on LINT1, on every CPU. */
	put_interrupt(o, MP_LOCAL_INTERRUPT, MP_EXTINT, 0, MP_ALL_LAPICS, MP_LINT0);
	put_interrupt(o, MP_LOCAL_INTERRUPT, MP_NMI, 0, MP_ALL_LAPICS, MP_LINT1);

	emit_checksum(o, start, o->len - start, start + MPC_OFF_CHECKSUM);
}

static void put_mpfp(struct emit *o, uint32_t config_gpa)
{
	size_t start = o->len;

	emit_bytes(o, MPFP_SIGNATURE, 4);
	emit32(o, config_gpa);
	emit8(o, MPFP_LEN / 16); /* length in 16-byte units */
	emit8(o, MP_SPEC_REV);
	emit8(o, 0); /* checksum, set below */
	emit8(o, 0); /* feature 1: configuration table present */
	emit8(o, 0); /* feature 2: IMCRP clear */
	emit8(o, 0); /* features 3-5: reserved */
	emit8(o, 0);
	emit8(o, 0);
	emit_checksum(o, start, MPFP_LEN, start + MPFP_OFF_CHECKSUM);
}

int guest_mptable_build(uint32_t vcpus, uint8_t ioapic_id, uint32_t ioapic_addr, uint8_t *buf,
			size_t size, uint64_t buf_gpa, struct guest_mptable_layout *out)
{
	if (!buf || !out) {
		pr_err("guest_mptable: no buffer or layout given");
		return -EINVAL;
	}
	if (vcpus < 1 || vcpus > GUEST_MPTABLE_MAX_VCPUS) {
		pr_err("guest_mptable: %u vCPUs is out of range (1..%u)", vcpus,
		       GUEST_MPTABLE_MAX_VCPUS);
		return -EINVAL;
	}
	if (buf_gpa >= FOUR_GIB) {
		pr_err("guest_mptable: tables at 0x%llx must lie below 4 GiB",
		       (unsigned long long)buf_gpa);
		return -EINVAL;
	}
	size_t mpfp = (size_t)(ALIGN_UP(buf_gpa, MPFP_ALIGN) - buf_gpa);
	size_t config = mpfp + MPFP_LEN;
	size_t end = config + config_len(vcpus);
	if (end > size) {
		pr_err("guest_mptable: the tables need %zu bytes, the buffer holds %zu", end, size);
		return -ENOSPC;
	}
	if (end > FOUR_GIB - buf_gpa) {
		pr_err("guest_mptable: tables at 0x%llx-0x%llx must lie below 4 GiB",
		       (unsigned long long)buf_gpa, (unsigned long long)(buf_gpa + end - 1));
		return -EINVAL;
	}

	struct emit o = {buf, end, mpfp};
	memset(buf, 0, end);
	put_mpfp(&o, (uint32_t)(buf_gpa + config));
	put_config(&o, vcpus, ioapic_id, ioapic_addr);

	out->mpfp_gpa = buf_gpa + mpfp;
	out->config_gpa = buf_gpa + config;
	out->size = end;
	out->entries = entry_count(vcpus);
	return 0;
}
