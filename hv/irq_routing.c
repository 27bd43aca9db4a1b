/* GSI routing and MSI decoding. See hv/irq_routing.h. */
#include "hv/irq_routing.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"

#define MSI_ADDR_HI_SHIFT 32
/* x2APIC-style 32-bit destinations: address bits 63:40 are destination
 * bits 31:8, bits 39:32 must be clear (KVM's layout). */
#define MSI_ADDR_HI_DEST_MASK 0xFFFFFF00u
#define MSI_DM_RESERVED_3 3

/* ISA IRQ0 (the PIT) reaches IOAPIC pin 2: the interrupt source override
 * every PC's MADT reports (ACPI 5.2.12.5). */
#define PC_IRQ0_IOAPIC_PIN 2
#define PC_ISA_IRQS 16
#define PC_PCI_GSI_END 24

int irq_msi_decode(uint64_t addr, uint32_t data, bool x2apic_ids, struct irq_message *m)
{
	uint32_t lo = (uint32_t)addr;
	uint32_t hi = (uint32_t)(addr >> MSI_ADDR_HI_SHIFT);
	unsigned dm = (data >> MSI_DATA_DM_SHIFT) & 7u;

	if ((lo & MSI_ADDR_BASE_MASK) != MSI_ADDR_BASE)
		return -EINVAL;
	if (hi & ~(x2apic_ids ? MSI_ADDR_HI_DEST_MASK : 0u))
		return -EINVAL;
	if (dm == MSI_DM_RESERVED_3 || dm == IRQ_DM_STARTUP)
		return -EINVAL;
	bool level = data & MSI_DATA_TRIGGER;

	*m = (struct irq_message){
		.vector = (uint8_t)(data & MSI_DATA_VECTOR_MASK),
		.delivery_mode = (uint8_t)dm,
		.dest_logical = lo & MSI_ADDR_DM,
		.dest = hi | ((lo >> MSI_ADDR_DEST_SHIFT) & 0xFFu),
		.trigger_level = level,
		/* The level bit only means something for level triggers. */
		.level = !level || (data & MSI_DATA_LEVEL),
		.redirect_hint = lo & MSI_ADDR_RH,
	};
	return 0;
}

void irq_routing_init(struct irq_routing *rt, const struct irq_routing_chips *chips)
{
	memset(rt, 0, sizeof(*rt));
	if (chips)
		rt->chips = *chips;
	for (uint32_t g = 0; g < IRQ_ROUTING_NR_GSI; g++) {
		rt->gsi[g].pic_pin = -1;
		rt->gsi[g].ioapic_pin = -1;
	}
}

/* What the entries so far put on each GSI, for the one-per-chip rule. */
#define USE_PIC 1u
#define USE_IOAPIC 2u
#define USE_MSI 4u

static int check_entry(const struct irq_routing *rt, const struct irq_route_entry *e, uint32_t i,
		       uint8_t *use)
{
	struct irq_message m;
	unsigned want;

	if (e->gsi >= IRQ_ROUTING_NR_GSI) {
		pr_err("irq routing: entry %u: GSI %u out of range (0-%u)", i, e->gsi,
		       IRQ_ROUTING_NR_GSI - 1);
		return -EINVAL;
	}
	if (e->type == IRQ_ROUTE_MSI) {
		if (irq_msi_decode(e->msi.address, e->msi.data, rt->x2apic_msi, &m)) {
			pr_err("irq routing: entry %u: GSI %u: invalid MSI address 0x%llx data 0x%x", i,
			       e->gsi, (unsigned long long)e->msi.address, e->msi.data);
			return -EINVAL;
		}
		want = USE_MSI;
	} else if (e->type == IRQ_ROUTE_IRQCHIP && e->irqchip.chip == IRQ_CHIP_PIC) {
		if (e->irqchip.pin >= IRQ_ROUTING_PIC_PINS || e->irqchip.pin == IRQ_ROUTING_PIC_CASCADE) {
			pr_err("irq routing: entry %u: GSI %u: PIC pin %u is not routable (0-15 except 2)",
			       i, e->gsi, e->irqchip.pin);
			return -EINVAL;
		}
		want = USE_PIC;
	} else if (e->type == IRQ_ROUTE_IRQCHIP && e->irqchip.chip == IRQ_CHIP_IOAPIC) {
		if (e->irqchip.pin >= IRQ_ROUTING_IOAPIC_PINS) {
			pr_err("irq routing: entry %u: GSI %u: IOAPIC pin %u out of range (0-%u)", i,
			       e->gsi, e->irqchip.pin, IRQ_ROUTING_IOAPIC_PINS - 1);
			return -EINVAL;
		}
		want = USE_IOAPIC;
	} else if (e->type == IRQ_ROUTE_IRQCHIP) {
		pr_err("irq routing: entry %u: GSI %u: unknown irqchip %u", i, e->gsi, e->irqchip.chip);
		return -EINVAL;
	} else {
		pr_err("irq routing: entry %u: GSI %u: unknown route type %u", i, e->gsi, e->type);
		return -EINVAL;
	}
	/* Like KVM: one pin per chip per GSI, and an MSI GSI carries nothing else. */
	if (use[e->gsi] & want & (USE_PIC | USE_IOAPIC)) {
		pr_err("irq routing: entry %u: GSI %u is already routed to the %s", i, e->gsi,
		       want == USE_PIC ? "PIC" : "IOAPIC");
		return -EINVAL;
	}
	if (use[e->gsi] && ((use[e->gsi] | want) & USE_MSI)) {
		pr_err("irq routing: entry %u: GSI %u: an MSI route cannot share its GSI", i, e->gsi);
		return -EINVAL;
	}
	use[e->gsi] |= (uint8_t)want;
	return 0;
}

int irq_routing_set(struct irq_routing *rt, const struct irq_route_entry *e, uint32_t n)
{
	uint8_t use[IRQ_ROUTING_NR_GSI];

	if (n && !e)
		return -EINVAL;
	memset(use, 0, sizeof(use));
	for (uint32_t i = 0; i < n; i++) {
		int rc = check_entry(rt, &e[i], i, use);

		if (rc)
			return rc;
	}
	for (uint32_t g = 0; g < IRQ_ROUTING_NR_GSI; g++) {
		struct irq_gsi_route *r = &rt->gsi[g];

		r->pic_pin = -1;
		r->ioapic_pin = -1;
		r->msi = false;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct irq_gsi_route *r = &rt->gsi[e[i].gsi];

		if (e[i].type == IRQ_ROUTE_MSI) {
			r->msi = true;
			irq_msi_decode(e[i].msi.address, e[i].msi.data, rt->x2apic_msi, &r->msg);
		} else if (e[i].irqchip.chip == IRQ_CHIP_PIC) {
			r->pic_pin = (int8_t)e[i].irqchip.pin;
		} else {
			r->ioapic_pin = (int8_t)e[i].irqchip.pin;
		}
	}
	return 0;
}

static struct irq_route_entry chip_entry(uint32_t gsi, uint32_t chip, uint32_t pin)
{
	return (struct irq_route_entry){
		.gsi = gsi,
		.type = IRQ_ROUTE_IRQCHIP,
		.irqchip = { .chip = chip, .pin = pin },
	};
}

int irq_routing_default_pc(struct irq_routing *rt)
{
	struct irq_route_entry e[2 * PC_ISA_IRQS + (PC_PCI_GSI_END - PC_ISA_IRQS)];
	uint32_t n = 0;

	for (uint32_t irq = 0; irq < PC_ISA_IRQS; irq++) {
		if (irq == IRQ_ROUTING_PIC_CASCADE)
			continue;
		e[n++] = chip_entry(irq, IRQ_CHIP_PIC, irq);
		e[n++] = chip_entry(irq, IRQ_CHIP_IOAPIC, irq == 0 ? PC_IRQ0_IOAPIC_PIN : irq);
	}
	for (uint32_t gsi = PC_ISA_IRQS; gsi < PC_PCI_GSI_END; gsi++)
		e[n++] = chip_entry(gsi, IRQ_CHIP_IOAPIC, gsi);
	return irq_routing_set(rt, e, n);
}

int irq_line_source(struct irq_routing *rt, uint32_t source, uint32_t gsi, int level)
{
	if (gsi >= IRQ_ROUTING_NR_GSI || source >= IRQ_LINE_SOURCES)
		return -EINVAL;
	struct irq_gsi_route *r = &rt->gsi[gsi];

	if (r->msi) {
		if (level)
			irq_msg_deliver(&rt->chips.msi, &r->msg);
		return 0;
	}
	if (r->pic_pin < 0 && r->ioapic_pin < 0)
		return -ENOENT;
	bool was = r->sources != 0;

	if (level)
		r->sources |= 1u << source;
	else
		r->sources &= ~(1u << source);
	bool now = r->sources != 0;

	if (was == now)
		return 0;
	if (r->pic_pin >= 0 && rt->chips.pic_set)
		rt->chips.pic_set(rt->chips.pic, (uint32_t)r->pic_pin, now);
	if (r->ioapic_pin >= 0 && rt->chips.ioapic_set)
		rt->chips.ioapic_set(rt->chips.ioapic, (uint32_t)r->ioapic_pin, now);
	return 0;
}

int irq_line(struct irq_routing *rt, uint32_t gsi, int level)
{
	return irq_line_source(rt, IRQ_SOURCE_DEFAULT, gsi, level);
}

int irq_signal_msi(struct irq_routing *rt, uint64_t addr, uint32_t data)
{
	struct irq_message m;
	int rc = irq_msi_decode(addr, data, rt->x2apic_msi, &m);

	if (rc)
		return rc;
	irq_msg_deliver(&rt->chips.msi, &m);
	return 0;
}
