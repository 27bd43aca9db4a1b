/* Board devices wired to the irqchip: IRQ0 PIT, IRQ4 COM1 (or IRQ3 COM2),
 * IRQ8 RTC. */
#include "hv/board.h"
#include "hv/errno.h"
#include "hv/string.h"
#include "hv/irqchip.h"
#include "hv/vacpi_pm.h"
#include "hv/vfwcfg.h"
#include "hv/vtestdev.h"
#include "hv/vpci.h"
#include "hv/vpit.h"
#include "hv/vpmtimer.h"
#include "hv/vreset.h"
#include "hv/vrtc.h"
#include "hv/vuart.h"
#include "mm/heap.h"
#include "drivers/cmos_rtc.h"

#define GSI_PIT 0
#define GSI_RTC 8

struct board {
	struct vm *vm;
	const struct board_ops *ops;
	struct vuart uart; /* the VM's console 16550 (COM1 or COM2) */
	bool has_uart;
	struct vpit pit;
	struct vrtc rtc;
	struct vpmtimer pm;
	struct vpci pci;
	struct vreset reset;
	struct vacpi_pm pm1;
	struct vfwcfg *fwcfg;     /* NULL unless test devices are on */
	struct vtestdev *testdev; /* 64 KiB of its own; NULL unless test devices are on */
};

/* Device interrupt lines go through the VM's GSI routing. Devices are
 * called with the irqchip lock held (exit handlers and timer polls). */
static void board_irq(void *ctx, uint32_t gsi, int level)
{
	irq_line_vm(ctx, gsi, level);
}

static void uart_tx(void *ctx, uint8_t byte)
{
	struct board *b = ctx;
	b->ops->console_byte(b->vm, byte);
}

/* The board's timers are polled by vCPU 0 (irqchip_poll). */
static void uart_deadline_changed(void *ctx)
{
	struct board *b = ctx;
	if (b->vm->vcpu_count)
		vcpu_kick(b->vm->vcpus[0], VCPU_REQ_TIMER);
}

static void reset_cb(void *ctx, const char *reason)
{
	struct board *b = ctx;
	b->ops->reset_request(b->vm, reason);
}

/* SLP_EN with \_S5's SLP_TYP (hv/guest_acpi.c's DSDT) powers the VM off;
 * the only sleep state offered, so other types do nothing. */
static void pm1_sleep(void *ctx, uint32_t slp_typ)
{
	struct board *b = ctx;
	if (slp_typ == VACPI_PM_S5_SLP_TYP && b->ops->poweroff_request)
		b->ops->poweroff_request(b->vm);
}

static int create_test_devices(struct board *b, const struct board_config *cfg)
{
	struct vm *vm = b->vm;
	b->fwcfg = kmalloc(sizeof(*b->fwcfg));
	b->testdev = kmalloc(sizeof(*b->testdev));
	if (!b->fwcfg || !b->testdev)
		return -ENOMEM;
	struct vtestdev_config tc = {board_irq, NULL, vm}; /* ISA line n is GSI n */
	int err = vfwcfg_init(b->fwcfg, cfg->ram_bytes, (uint16_t)cfg->cpus);
	if (!err)
		err = vtestdev_init(b->testdev, &tc);
	if (!err)
		err = vfwcfg_register(b->fwcfg, &vm->bus[IO_BUS_PIO]);
	if (!err && cfg->ram_bytes <= VTESTDEV_MMIO_BASE) /* RAM there would hide its MMIO */
		err = vtestdev_register(b->testdev, &vm->bus[IO_BUS_PIO], &vm->bus[IO_BUS_MMIO]);
	return err;
}

static uint64_t pit_next(void *ctx) { return vpit_next_deadline(ctx); }
static void pit_poll(void *ctx, uint64_t now) { vpit_poll(ctx, now); }
static uint64_t rtc_next(void *ctx) { return vrtc_next_deadline(ctx); }
static void rtc_poll(void *ctx, uint64_t now) { vrtc_poll(ctx, now); }
static uint64_t uart_next(void *ctx) { return vuart_next_deadline(ctx); }
static void uart_poll(void *ctx, uint64_t now) { vuart_poll(ctx, now); }

int board_create(struct vm *vm, const struct board_config *cfg, const struct board_ops *ops)
{
	uint64_t ram_bytes = cfg->ram_bytes;
	/* The guest's RTC starts from the host's clock (read once). */
	static int64_t host_epoch = -2;
	if (host_epoch == -2) {
		host_epoch = cmos_rtc_read_epoch();
		if (host_epoch < 0)
			host_epoch = 0;
	}
	struct board *b = kmalloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	memset(b, 0, sizeof(*b));
	b->vm = vm;
	b->ops = ops;
	struct vclock clock = vm_vclock(vm);
	struct io_bus *pio = &vm->bus[IO_BUS_PIO];

	struct vuart_config uc = {cfg->uart_base, uart_tx, b, {board_irq, vm, cfg->uart_gsi}, clock,
				  uart_deadline_changed};
	struct irq_out pit_irq = {board_irq, vm, GSI_PIT}, rtc_irq = {board_irq, vm, GSI_RTC};
	struct vreset_config rc = {reset_cb, b};
	struct vacpi_pm_config pmc = {pm1_sleep, b, {board_irq, vm, VACPI_PM_SCI_IRQ}};
	b->has_uart = cfg->uart_base != 0;
	int err = b->has_uart ? vuart_init(&b->uart, &uc) : 0;
	if (!err)
		err = vacpi_pm_init(&b->pm1, &pmc);
	vpit_init(&b->pit, &clock, &pit_irq);
	vrtc_init(&b->rtc, &clock, &rtc_irq, host_epoch);
	vrtc_set_memory_size(&b->rtc, ram_bytes);
	vpmtimer_init(&b->pm, &clock, BOARD_PM_TIMER_PORT, false);
	if (!err)
		err = vreset_init(&b->reset, &rc);
	struct vpci_config pc = {&b->reset.dev};
	if (!err)
		err = vpci_init(&b->pci, &pc);
	if (!err && b->has_uart)
		err = vuart_register(&b->uart, pio);
	if (!err)
		err = vpit_register(&b->pit, pio);
	if (!err)
		err = vrtc_register(&b->rtc, pio);
	if (!err)
		err = vpmtimer_register(&b->pm, pio);
	if (!err)
		err = vpci_register(&b->pci, pio);
	if (!err)
		err = vreset_register(&b->reset, pio);
	if (!err)
		err = vacpi_pm_register(&b->pm1, pio);
	if (!err && cfg->test_devices)
		err = create_test_devices(b, cfg);
	if (!err)
		err = irqchip_add_timer(vm, pit_next, pit_poll, &b->pit);
	if (!err)
		err = irqchip_add_timer(vm, rtc_next, rtc_poll, &b->rtc);
	if (!err && b->has_uart)
		err = irqchip_add_timer(vm, uart_next, uart_poll, &b->uart);
	if (err) {
		/* Devices already on the io bus point into b: the VM must not
		 * run (the caller abandons it), so b is kept, not freed. */
		vm->board = b;
		return err;
	}
	vm->board = b;
	return 0;
}

void board_destroy(struct vm *vm)
{
	struct board *b = vm->board;
	if (b) {
		kfree(b->fwcfg);
		kfree(b->testdev);
	}
	kfree(b);
	vm->board = NULL;
}

void board_reset(struct vm *vm)
{
	struct board *b = vm->board;
	irqchip_lock(vm);
	if (b->has_uart)
		vuart_reset(&b->uart);
	vpit_reset(&b->pit);
	vpci_reset(&b->pci);
	vreset_reset(&b->reset);
	vacpi_pm_reset(&b->pm1);
	if (b->fwcfg)
		vfwcfg_reset(b->fwcfg);
	irqchip_unlock(vm);
}

size_t board_uart_receive(struct vm *vm, const uint8_t *bytes, size_t n)
{
	struct board *b = vm->board;
	if (!b || !b->has_uart)
		return 0;
	irqchip_lock(vm);
	size_t took = vuart_receive(&b->uart, bytes, n);
	irqchip_unlock(vm);
	if (vm->vcpu_count) /* the UART's receive timeout may now be armed */
		vcpu_kick(vm->vcpus[0], VCPU_REQ_TIMER);
	return took;
}
