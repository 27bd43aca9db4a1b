/* Power-off through PM1a/PM1b control (ACPI 6.x 4.8.3.2.1, 16.1.7). */
#include "hv/poweroff.h"
#include "drivers/acpi_s5.h"
#include "hv/log.h"
#include "hv/shutdown.h"
#include "hv/x86.h"
#include "mm/paging.h"

#define PM1_SCI_EN (1U << 0)
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN (1U << 13)
#define BOCHS_SHUTDOWN_PORT 0x8900
#define QEMU_DEBUG_EXIT_PORT 0xF4

static uint16_t pm1a, pm1b, smi_cmd;
static uint8_t acpi_enable_value, typ_a, typ_b;
static bool have_s5;
static uint16_t reset_port;
static uint8_t reset_value;

/* PC reset paths: the chipset's reset control register (0xCF9: bit 1
 * system reset, bit 2 reset CPU) and the 8042's pulse-reset command. */
#define RESET_CONTROL_PORT 0xCF9
#define RESET_CONTROL_HARD 0x06
#define I8042_COMMAND_PORT 0x64
#define I8042_PULSE_RESET 0xFE

void poweroff_init(const struct acpi_info *acpi)
{
	if (acpi->have_fadt && acpi->reset_supported && acpi->reset_reg.space_id == ACPI_GAS_SYSTEM_IO) {
		reset_port = (uint16_t)acpi->reset_reg.address;
		reset_value = acpi->reset_value;
	}
	if (!acpi->have_fadt || !acpi->dsdt_phys || !acpi->pm1a_cnt_port)
		return;
	const uint8_t *hdr = phys_map(acpi->dsdt_phys, 36);
	if (!hdr)
		return;
	uint32_t len = (uint32_t)hdr[4] | (uint32_t)hdr[5] << 8 | (uint32_t)hdr[6] << 16 | (uint32_t)hdr[7] << 24;
	const uint8_t *dsdt = phys_map(acpi->dsdt_phys, len);
	if (!dsdt || acpi_find_s5(dsdt, len, &typ_a, &typ_b)) {
		pr_warn("poweroff: no usable _S5 in the DSDT; will use the emulators' exit ports");
		return;
	}
	pm1a = (uint16_t)acpi->pm1a_cnt_port;
	pm1b = (uint16_t)acpi->pm1b_cnt_port;
	smi_cmd = (uint16_t)acpi->smi_cmd;
	acpi_enable_value = acpi->acpi_enable;
	have_s5 = true;
}

void poweroff(void)
{
	printk(LOG_MARKER, "hv: powering off");
	if (have_s5) {
		/* Firmware may still own ACPI: ask for it first. */
		if (!(inw(pm1a) & PM1_SCI_EN) && smi_cmd && acpi_enable_value)
			outb(smi_cmd, acpi_enable_value);
		outw(pm1a, (uint16_t)(typ_a << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
		if (pm1b)
			outw(pm1b, (uint16_t)(typ_b << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
	}
	/* Still here: the emulators' own exits, then halt. */
	outl(QEMU_DEBUG_EXIT_PORT, HV_EXIT_OK);
	for (const char *s = "Shutdown"; *s; s++)
		outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
	printk(LOG_MARKER, "hv: power-off did not happen; halting");
	halt_forever();
}

void machine_reboot(void)
{
	printk(LOG_MARKER, "hv: rebooting");
	if (reset_port)
		outb(reset_port, reset_value);
	outb(RESET_CONTROL_PORT, RESET_CONTROL_HARD);
	outb(I8042_COMMAND_PORT, I8042_PULSE_RESET);
	/* no reset line answered: a triple fault resets every PC */
	irq_disable();
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __packed no_idt = {0, 0};
	__asm__ volatile("lidt %0; int3" ::"m"(no_idt));
	halt_forever();
}
