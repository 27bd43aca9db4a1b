/* QEMU's test devices as guest test suites use them (kvm-unit-tests):
 * fw_cfg at 0x510/0x511, pc-testdev's scratch ports, its ISA IRQ lines
 * (0x2000 + n) delivered through the IOAPIC, and its 64 KiB of RAM-like
 * MMIO at 0xFF000000. Runs under `qemu -kernel ... -device pc-testdev` and
 * under the hypervisor with `test_devices = true`, with the same verdicts. */
#include <stdint.h>

#include "check.h"
#include "guest.h"
#include "printf.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "testdev";

/* fw_cfg, QEMU docs/specs/fw_cfg.rst: 16-bit selector, byte data */
#define FW_CFG_SELECTOR 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_UNKNOWN_KEY 0x7FF0
#define FW_CFG_ID_TRADITIONAL 1u

/* pc-testdev */
#define TESTDEV_SCRATCH 0xE0
#define TESTDEV_SCRATCH_BYTES 0xE8
#define TESTDEV_IRQ_BASE 0x2000
#define TESTDEV_MEM 0xFF000000u
#define TESTDEV_MEM_SIZE 0x10000u
#define TEST_IRQ 10 /* a free ISA line: IOAPIC pin 10 */

#define LAPIC 0xFEE00000u
#define LAPIC_EOI 0xB0
#define LAPIC_SVR 0xF0
#define IOAPIC 0xFEC00000u
#define IOAPIC_REDIR(pin) (0x10 + 2 * (pin))
#define REDIR_MASKED (1u << 16)
#define VEC_TEST_IRQ 0x3C

static volatile uint32_t irqs;

static void fw_cfg_read(uint16_t key, void *buf, uint32_t len)
{
	outw(FW_CFG_SELECTOR, key);
	for (uint32_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = inb(FW_CFG_DATA);
}

static void fw_cfg(void)
{
	char sig[5] = {0};
	uint32_t id = 0, unknown = 0xFFFFFFFF;
	uint64_t ram = 0;
	uint16_t cpus = 0;

	fw_cfg_read(FW_CFG_SIGNATURE, sig, 4);
	check(sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U', "fw_cfg_signature_is_qemu",
	      "got '%s'", sig);
	fw_cfg_read(FW_CFG_ID, &id, 4);
	check(id & FW_CFG_ID_TRADITIONAL, "fw_cfg_id_has_the_traditional_interface", "id 0x%x", id);
	fw_cfg_read(FW_CFG_NB_CPUS, &cpus, 2);
	check(cpus == 1, "fw_cfg_counts_one_cpu", "%u CPUs", cpus);
	fw_cfg_read(FW_CFG_RAM_SIZE, &ram, 8);
	/* multiboot's mem_upper is the usable RAM above 1 MiB; firmware may
	 * keep a little at the top for itself (SeaBIOS: 128 KiB) */
	uint64_t usable = ((uint64_t)boot_info.mem_upper_kib + 1024) * 1024;
	check(boot_info.has_memory && ram >= usable && ram - usable < 0x100000,
	      "fw_cfg_ram_size_matches_the_memory_map", "fw_cfg %llu, multiboot %llu",
	      (unsigned long long)ram, (unsigned long long)usable);
	fw_cfg_read(FW_CFG_UNKNOWN_KEY, &unknown, 4);
	check(unknown == 0, "fw_cfg_unknown_key_reads_zero", "0x%x", unknown);
}

static void scratch(void)
{
	outl(TESTDEV_SCRATCH, 0x12345678);
	uint32_t v = inl(TESTDEV_SCRATCH);
	uint8_t b1 = inb(TESTDEV_SCRATCH + 1);
	uint16_t w2 = inw(TESTDEV_SCRATCH + 2);
	check(v == 0x12345678 && b1 == 0x56 && w2 == 0x1234, "testdev_scratch_at_every_width",
	      "dword 0x%x byte1 0x%x word2 0x%x", v, b1, w2);
	outb(TESTDEV_SCRATCH_BYTES + 3, 0xAB);
	v = inl(TESTDEV_SCRATCH);
	check(v == 0xAB345678 && inb(TESTDEV_SCRATCH_BYTES) == 0x78, "testdev_byte_ports_view_the_scratch",
	      "dword 0x%x", v);
}

static void on_test_irq(uint32_t vector)
{
	(void)vector;
	irqs++;
	outb(TESTDEV_IRQ_BASE + TEST_IRQ, 0); /* lower the line */
	*(volatile uint32_t *)(LAPIC + LAPIC_EOI) = 0;
}

static void ioapic_write(uint32_t index, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = index;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

static void irq_line(void)
{
	outb(0x21, 0xFF); /* the 8259s stay masked: IOAPIC delivery only */
	outb(0xA1, 0xFF);
	trap_set_irq_handler(VEC_TEST_IRQ, on_test_irq);
	*(volatile uint32_t *)(LAPIC + LAPIC_SVR) = 0x1FF;
	ioapic_write(IOAPIC_REDIR(TEST_IRQ) + 1, 0);      /* destination APIC 0 */
	ioapic_write(IOAPIC_REDIR(TEST_IRQ), VEC_TEST_IRQ); /* edge, high, unmasked */
	for (uint32_t i = 0; i < 3; i++) {
		outb(TESTDEV_IRQ_BASE + TEST_IRQ, 1);
		for (int spin = 0; spin < 1000 && irqs <= i; spin++)
			__asm__ volatile("sti; nop; cli" ::: "memory");
	}
	check(irqs == 3, "testdev_irq_line_reaches_the_ioapic", "%u of 3 interrupts", irqs);
	ioapic_write(IOAPIC_REDIR(TEST_IRQ), REDIR_MASKED);
}

static void iomem(void)
{
	volatile uint32_t *d = (volatile uint32_t *)TESTDEV_MEM;
	volatile uint8_t *b = (volatile uint8_t *)TESTDEV_MEM;
	uint32_t bad = 0;

	for (uint32_t off = 0; off < TESTDEV_MEM_SIZE / 4; off += 997)
		d[off] = 0xC0DE0000u | off;
	for (uint32_t off = 0; off < TESTDEV_MEM_SIZE / 4; off += 997)
		bad += d[off] != (0xC0DE0000u | off);
	b[TESTDEV_MEM_SIZE - 1] = 0x5A;
	check(!bad && b[TESTDEV_MEM_SIZE - 1] == 0x5A && (d[TESTDEV_MEM_SIZE / 4 - 1] >> 24) == 0x5A,
	      "testdev_iomem_reads_back_what_was_written", "%u bad dwords", bad);
}

int guest_main(void)
{
	fw_cfg();
	scratch();
	irq_line();
	iomem();
	return check_finish();
}
