/* The PC board every VM gets around its irqchip (QEMU's `pc` machine in
 * miniature): a 16550 (COM1 or COM2), 8254 PIT, MC146818 RTC/CMOS, ACPI PM timer and
 * PM1 event/control registers, PCI host bridge and the reset ports, all
 * in-core on the VM's io bus; QEMU's test devices (fw_cfg, pc-testdev) on
 * request. */
#ifndef HV_BOARD_H
#define HV_BOARD_H

#include "hv/vm.h"

#define BOARD_PM_TIMER_PORT 0x608 /* PM base 0x600 + 8, as QEMU's PIIX4 */

struct board_ops {
	void (*console_byte)(struct vm *vm, uint8_t byte); /* the UART's output */
	void (*reset_request)(struct vm *vm, const char *reason);
	void (*poweroff_request)(struct vm *vm); /* the guest entered ACPI S5 */
};

struct board_config {
	uint64_t ram_bytes;
	uint32_t cpus;
	bool test_devices; /* fw_cfg at 0x510 and pc-testdev */
	uint16_t uart_base; /* the console 16550's ports (VUART_COM1_BASE...), 0: none */
	uint32_t uart_gsi;  /* and its interrupt line (ISA IRQ 4 for COM1, 3 for COM2) */
};

int board_create(struct vm *vm, const struct board_config *cfg, const struct board_ops *ops);
void board_destroy(struct vm *vm);
/* Platform reset of the board devices (the RTC keeps its time, the POST
 * port its last code, as on a PC). */
void board_reset(struct vm *vm);
/* Host console input for the VM's UART; returns the bytes taken (0
 * without a UART). */
size_t board_uart_receive(struct vm *vm, const uint8_t *bytes, size_t n);

#endif
