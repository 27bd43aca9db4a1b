/* The in-core irqchip: models from hv/vpic.c, hv/vioapic.c, hv/vlapic.c
 * and hv/irq_routing.c connected the way a PC connects them. One lock per
 * VM serializes them all (a VM's vCPUs are few; exits that touch the
 * irqchip are not the hot path). */
#include "hv/irqchip.h"
#include "hv/devmodel.h"
#include "hv/errno.h"
#include "hv/irq_routing.h"
#include "hv/percpu.h"
#include "hv/vioapic.h"
#include "hv/vlapic.h"
#include "hv/vpic.h"
#include "drivers/tsc.h"
#include "mm/heap.h"

#define IOAPIC_BASE 0xFEC00000ULL
#define LAPIC_DEFAULT_BASE 0xFEE00000ULL
#define IRQCHIP_MAX_TIMERS 8
#define LAPIC_BUS_HZ 1000000000ULL /* guest LAPIC timer clock: 1 GHz */

struct board_timer {
	uint64_t (*next)(void *ctx);
	void (*poll)(void *ctx, uint64_t now);
	void *ctx;
};

struct vm_irqchip {
	struct vm *vm;
	struct vpic pic;
	struct vioapic ioapic;
	struct irq_routing routing;
	struct vlapic lapic[VM_MAX_VCPUS];
	struct io_device lapic_mmio;
	struct board_timer timers[IRQCHIP_MAX_TIMERS];
	uint32_t timer_count;
};

static struct vm_irqchip *chip(const struct vm *vm)
{
	return vm->irqchip;
}

/* Delivers a message to every LAPIC it addresses (lowest priority: the
 * first match, which is a valid choice of "lowest"). */
static void deliver_msg(struct vm_irqchip *c, const struct irq_message *irq)
{
	for (uint32_t i = 0; i < c->vm->vcpu_count; i++) {
		struct vlapic *l = &c->lapic[i];
		bool x2 = vlapic_mode(l) == VLAPIC_MODE_X2APIC;
		if (!vlapic_matches_destination(l, irq->dest, irq->dest_logical, x2))
			continue;
		if (vlapic_deliver(l, irq))
			vcpu_kick(c->vm->vcpus[i], VCPU_REQ_DEVICE);
		if (irq->delivery_mode == IRQ_DM_LOWEST)
			break;
	}
}

static void ioapic_deliver(void *ctx, const struct irq_message *m)
{
	deliver_msg(ctx, m);
}

static void lapic_send_ipi_cb(void *ctx, const struct lapic_ipi *ipi)
{
	struct vcpu *from = ctx;
	struct vm_irqchip *c = chip(from->vm);
	for (uint32_t i = 0; i < c->vm->vcpu_count; i++) {
		struct vlapic *l = &c->lapic[i];
		if (vlapic_ipi_targets(l, ipi, i == from->id) && vlapic_deliver(l, &ipi->msg))
			vcpu_kick(c->vm->vcpus[i], VCPU_REQ_DEVICE);
	}
}

static void lapic_eoi_cb(void *ctx, uint8_t vector)
{
	struct vcpu *v = ctx;
	vioapic_eoi(&chip(v->vm)->ioapic, vector);
}

static void lapic_kick_cb(void *ctx)
{
	vcpu_kick(ctx, VCPU_REQ_DEVICE);
}

static uint64_t lapic_read_tsc(void *ctx)
{
	return rdtsc(); /* the guest TSC is the host TSC (no offset is set) */
}

static const struct vlapic_ops lapic_ops = {lapic_send_ipi_cb, lapic_eoi_cb, lapic_kick_cb, lapic_read_tsc};

/* The 8259's INTR wire goes to the BSP's LINT0 (virtual wire) and to
 * IOAPIC pin 0 (ExtINT through the IOAPIC). */
static void pic_intr(void *ctx, uint32_t line, int level)
{
	struct vm_irqchip *c = ctx;
	if (c->vm->vcpu_count) {
		vlapic_set_lint(&c->lapic[0], 0, level);
		if (level)
			vcpu_kick(c->vm->vcpus[0], VCPU_REQ_DEVICE);
	}
	vioapic_set_irq(&c->ioapic, 0, level);
}

/* xAPIC MMIO: the page at the APIC base belongs to whichever vCPU touches
 * it, i.e. the one running on this CPU. */
static int lapic_mmio_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	struct vcpu *v = this_cpu()->current_vcpu;
	if (!v)
		return -ENODEV;
	return vlapic_mmio_read(irqchip_lapic(v), addr, len, val);
}

static int lapic_mmio_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	struct vcpu *v = this_cpu()->current_vcpu;
	if (!v)
		return -ENODEV;
	return vlapic_mmio_write(irqchip_lapic(v), addr, len, val);
}

static const struct io_device_ops lapic_mmio_ops = {lapic_mmio_read, lapic_mmio_write};

int irqchip_create(struct vm *vm)
{
	struct vm_irqchip *c = kmalloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->vm = vm;
	struct irq_out intr = {pic_intr, c, 0};
	vpic_init(&c->pic, &intr);
	struct irq_msg_out out = {ioapic_deliver, c};
	vioapic_init(&c->ioapic, IOAPIC_BASE, &out);
	struct irq_routing_chips chips = {vpic_irq_set, &c->pic, vioapic_irq_set, &c->ioapic, {ioapic_deliver, c}};
	irq_routing_init(&c->routing, &chips);
	int err = irq_routing_default_pc(&c->routing);
	if (!err)
		err = vpic_register(&c->pic, &vm->bus[IO_BUS_PIO]);
	if (!err)
		err = vioapic_register(&c->ioapic, &vm->bus[IO_BUS_MMIO]);
	c->lapic_mmio = (struct io_device){&lapic_mmio_ops, c, "lapic", 0};
	if (!err)
		err = io_bus_register(&vm->bus[IO_BUS_MMIO], LAPIC_DEFAULT_BASE, PAGE_SIZE, &c->lapic_mmio);
	if (err) {
		kfree(c);
		return err;
	}
	vm->irqchip = c;
	return 0;
}

void irqchip_destroy(struct vm *vm)
{
	kfree(vm->irqchip);
	vm->irqchip = NULL;
}

void irqchip_reset(struct vm *vm)
{
	struct vm_irqchip *c = chip(vm);
	irqchip_lock(vm);
	vpic_reset(&c->pic);
	vioapic_reset(&c->ioapic);
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		vlapic_reset(&c->lapic[i]);
	irqchip_unlock(vm);
}

int irqchip_add_vcpu(struct vcpu *v)
{
	struct vm_irqchip *c = chip(v->vm);
	struct vlapic_config cfg = {
		.apic_id = v->id,
		.bsp = v->id == 0,
		.x2apic = true,
		.tsc_deadline = true,
		.virtual_wire = true,
		.bus_hz = LAPIC_BUS_HZ,
		.tsc_hz = tsc_hz(),
		.clock = vm_vclock(v->vm),
		.ops = &lapic_ops,
		.ctx = v,
	};
	int err = vlapic_init(&c->lapic[v->id], &cfg);
	if (err)
		return err;
	v->lapic = &c->lapic[v->id];
	/* the IOAPIC's ID follows the LAPICs' (the guest's MADT says so) */
	vioapic_set_reset_id(&c->ioapic, (uint8_t)(v->id + 1));
	/* with the LAPICs in-core, application processors start the way a
	 * PC's do: waiting for INIT and STARTUP IPIs from the BSP */
	v->mp_state = v->id == 0 ? VCPU_MP_RUNNABLE : VCPU_MP_WAIT_SIPI;
	if (v->id != 0)
		__atomic_fetch_or(&v->requests, VCPU_REQ_MP, __ATOMIC_RELEASE);
	return 0;
}

struct vlapic *irqchip_lapic(struct vcpu *v)
{
	return &chip(v->vm)->lapic[v->id];
}

int irq_line_vm(struct vm *vm, uint32_t gsi, int level)
{
	return irq_line(&chip(vm)->routing, gsi, level);
}

int signal_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	irqchip_lock(vm);
	int err = irq_signal_msi(&chip(vm)->routing, addr, data);
	irqchip_unlock(vm);
	return err;
}

int irqchip_add_timer(struct vm *vm, uint64_t (*next)(void *ctx), void (*poll)(void *ctx, uint64_t now), void *ctx)
{
	struct vm_irqchip *c = chip(vm);
	if (c->timer_count == IRQCHIP_MAX_TIMERS)
		return -ENOSPC;
	c->timers[c->timer_count++] = (struct board_timer){next, poll, ctx};
	return 0;
}

bool irqchip_has_interrupt(struct vcpu *v)
{
	if (!v->vm->irqchip)
		return false;
	struct vm_irqchip *c = chip(v->vm);
	irqchip_lock(v->vm);
	struct vlapic *l = &c->lapic[v->id];
	bool r = vlapic_pending_vector(l) >= 0 || (vlapic_extint_pending(l) && vpic_has_interrupt(&c->pic));
	irqchip_unlock(v->vm);
	return r;
}

int irqchip_ack(struct vcpu *v)
{
	if (!v->vm->irqchip)
		return -1;
	struct vm_irqchip *c = chip(v->vm);
	irqchip_lock(v->vm);
	struct vlapic *l = &c->lapic[v->id];
	int vector = vlapic_ack_pending(l);
	if (vector < 0 && vlapic_extint_pending(l) && vpic_has_interrupt(&c->pic)) {
		vlapic_extint_ack(l); /* the 8259 supplies the vector (INTA) */
		vector = vpic_ack(&c->pic);
	}
	irqchip_unlock(v->vm);
	return vector;
}

uint64_t irqchip_next_deadline(struct vcpu *v)
{
	if (!v->vm->irqchip)
		return DEADLINE_NONE;
	struct vm_irqchip *c = chip(v->vm);
	irqchip_lock(v->vm);
	uint64_t d = vlapic_next_deadline(&c->lapic[v->id]);
	for (uint32_t i = 0; v->id == 0 && i < c->timer_count; i++)
		d = MIN(d, c->timers[i].next(c->timers[i].ctx));
	irqchip_unlock(v->vm);
	return d;
}

void irqchip_poll(struct vcpu *v)
{
	if (!v->vm->irqchip)
		return;
	struct vm_irqchip *c = chip(v->vm);
	uint64_t now = vm_clock_ns(v->vm);
	uint8_t sipi;
	irqchip_lock(v->vm);
	vlapic_poll(&c->lapic[v->id], now);
	for (uint32_t i = 0; v->id == 0 && i < c->timer_count; i++)
		c->timers[i].poll(c->timers[i].ctx, now);
	uint32_t ev = vlapic_take_events(&c->lapic[v->id], &sipi);
	/* INIT resets the APIC but keeps its ID and mode (SDM 3A 12.4.7.3) */
	if (ev & VLAPIC_EV_INIT)
		vlapic_init_reset(&c->lapic[v->id]);
	irqchip_unlock(v->vm);
	if (ev & VLAPIC_EV_NMI)
		v->nmi_pending = true;
	if (ev & VLAPIC_EV_SIPI)
		v->sipi_vector = sipi;
	if (ev & (VLAPIC_EV_INIT | VLAPIC_EV_SIPI)) {
		__atomic_fetch_or(&v->mp_events, (ev & VLAPIC_EV_INIT ? VCPU_MP_EV_INIT : 0) |
						 (ev & VLAPIC_EV_SIPI ? VCPU_MP_EV_SIPI : 0), __ATOMIC_RELEASE);
		__atomic_fetch_or(&v->requests, VCPU_REQ_MP, __ATOMIC_RELEASE);
	}
}
