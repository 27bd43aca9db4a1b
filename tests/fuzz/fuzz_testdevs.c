/* libFuzzer harness for the firmware/test board devices: fw_cfg
 * (hv/vfwcfg.c), pc-testdev (hv/vtestdev.c) and the ACPI PM1 registers
 * (hv/vacpi_pm.c), all on one port I/O bus plus the testdev's memory on an
 * MMIO bus. The input is a program of port and memory reads and writes at
 * every width (through the buses, and directly with ports, addresses and
 * widths the buses never send), platform events and resets. Each device is
 * checked against a shadow the harness keeps from the spec: the fw_cfg
 * byte stream of the selected item, the scratch register and the 64 KiB
 * memory, the PM1 registers' masks, the SCI level (only ever reported on a
 * change) and every callback's arguments. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_input.h"
#include "hv/errno.h"
#include "hv/iobus.h"
#include "hv/vacpi_pm.h"
#include "hv/vfwcfg.h"
#include "hv/vtestdev.h"
#include "test_log.h"

static struct vfwcfg fw;
static struct vtestdev td;
static struct vacpi_pm pm;
static struct io_bus pio, mmio;

/* Shadows. */
static uint64_t ram_bytes;
static uint16_t nr_cpus;
static uint16_t fw_key;
static uint32_t fw_off;
static uint32_t scratch;
static uint8_t mem[VTESTDEV_MMIO_SIZE];
static int sci_level;
static uint32_t sleeps, flushes, irq_sets;

static void set_irq(void *ctx, uint32_t line, int level)
{
	check(ctx == &td);
	check(line < VTESTDEV_NR_IRQS);
	check(level == 0 || level == 1);
	irq_sets++;
}

static void flush_page(void *ctx, uint64_t gpa)
{
	check(ctx == &td);
	check((gpa & 0xFFF) == 0 && gpa <= 0xFFFFF000u);
	flushes++;
}

static void sleep_cb(void *ctx, uint32_t typ)
{
	uint64_t v = 0;

	check(ctx == &pm);
	check(typ < 8);
	check(vacpi_pm_read(&pm, VACPI_PM1_CNT, 2, &v) == 0);
	check(((v & VACPI_PM1_CNT_SLP_TYP) >> VACPI_PM1_CNT_SLP_TYP_SHIFT) == typ);
	sleeps++;
}

static void sci_set(void *ctx, uint32_t line, int level)
{
	check(ctx == &pm && line == VACPI_PM_SCI_IRQ);
	check(level == 0 || level == 1);
	check(level != sci_level); /* only changes are reported */
	sci_level = level;
}

/* The byte fw_cfg's data port should return next, from the spec. */
static uint8_t fw_expected_byte(void)
{
	uint8_t item[8] = { 0 };
	uint32_t len = 0;

	switch (fw_key & ~VFWCFG_KEY_WRITE_CHANNEL) {
	case VFWCFG_KEY_SIGNATURE:
		memcpy(item, "QEMU", 4);
		len = 4;
		break;
	case VFWCFG_KEY_ID:
		item[0] = 1;
		len = 4;
		break;
	case VFWCFG_KEY_RAM_SIZE:
		for (int i = 0; i < 8; i++)
			item[i] = (uint8_t)(ram_bytes >> (8 * i));
		len = 8;
		break;
	case VFWCFG_KEY_NB_CPUS:
	case VFWCFG_KEY_MAX_CPUS:
		item[0] = (uint8_t)nr_cpus;
		item[1] = (uint8_t)(nr_cpus >> 8);
		len = 2;
		break;
	case VFWCFG_KEY_FILE_DIR:
		len = 4;
		break;
	default:
		break;
	}
	return fw_off < len ? item[fw_off] : 0;
}

static const uint16_t ports[] = {
	0x50F,  0x510,  0x511,  0x512,  0x514,  0xDF,   0xE0,   0xE1,   0xE2,   0xE3,
	0xE4,   0xE5,   0xE6,   0xE8,   0xE9,   0xEA,   0xEB,   0xEC,   0x1FFF, 0x2000,
	0x2001, 0x2009, 0x2016, 0x2017, 0x2018, 0x5FF,  0x600,  0x601,  0x602,  0x603,
	0x604,  0x605,  0x606,  0x608,  0x510,  0x511,  0x604,  0x605,  0x600,  0xE0,
};

static uint16_t port(struct input *in)
{
	return ports[input_u8(in) % ARRAY_SIZE(ports)];
}

static uint32_t width(struct input *in)
{
	static const uint8_t w[4] = { 1, 2, 4, 1 };

	return w[input_u8(in) % 4];
}

/* The shadows' view of a port read; bytes outside the devices aren't
 * reached (the bus refuses such accesses). */
static uint8_t shadow_read_byte(uint16_t p)
{
	if (p >= 0xE0 && p <= 0xEB && !(p >= 0xE4 && p <= 0xE7))
		return (uint8_t)(scratch >> (8 * (p & 3)));
	return 0;
}

static void do_pio_read(struct input *in)
{
	uint16_t p = port(in);
	uint32_t len = width(in);
	uint64_t v = 0;
	bool data = p == VFWCFG_PORT_DATA && len == 1;
	uint8_t want = data ? fw_expected_byte() : 0;
	int rc = io_bus_read(&pio, p, len, &v);

	check(rc == 0 || rc == -ENODEV);
	if (rc)
		return;
	check(v >> (8 * len) == 0);
	if (data) {
		check(v == want);
		fw_off += fw_off < 255;
	} else if (p >= 0xE0 && p + len <= 0xEC) {
		for (uint32_t i = 0; i < len; i++)
			check((uint8_t)(v >> (8 * i)) == shadow_read_byte((uint16_t)(p + i)));
	} else if (p >= VACPI_PM1A_EVT_BLK && p < VACPI_PM1A_EVT_BLK + VACPI_PM_NR_PORTS) {
		for (uint32_t i = 0; i < len; i++) {
			uint32_t off = p + i - VACPI_PM1A_EVT_BLK;
			uint8_t b = (uint8_t)(v >> (8 * i));

			if (off == 4)
				check(b & VACPI_PM1_CNT_SCI_EN);
			if (off == 5)
				check(!(b & (VACPI_PM1_CNT_SLP_EN >> 8)));
		}
	} else {
		check(v == 0); /* the selector and the IRQ ports */
	}
}

static void do_pio_write(struct input *in)
{
	uint16_t p = port(in);
	uint32_t len = width(in);
	uint32_t v = (uint32_t)input_le(in, 4);
	uint32_t flushes_before = flushes, irqs_before = irq_sets, sleeps_before = sleeps;
	bool slp_en = false;
	int rc;

	if (p >= VACPI_PM1A_EVT_BLK && p + len <= VACPI_PM1A_EVT_BLK + VACPI_PM_NR_PORTS)
		for (uint32_t i = 0; i < len; i++)
			if (p + i == VACPI_PM1_CNT + 1 && (v >> (8 * i)) & (VACPI_PM1_CNT_SLP_EN >> 8))
				slp_en = true;
	rc = io_bus_write(&pio, p, len, v);
	check(rc == 0 || rc == -ENODEV);
	if (rc)
		return;
	if (p == VFWCFG_PORT_SELECTOR && len == 2) {
		fw_key = (uint16_t)v;
		fw_off = 0;
	}
	if (p >= 0xE0 && p + len <= 0xEC && !(p == 0xE4 && len == 4)) {
		for (uint32_t i = 0; i < len; i++) {
			uint16_t q = (uint16_t)(p + i);

			if (q >= 0xE4 && q <= 0xE7)
				continue;
			scratch &= ~(0xFFu << (8 * (q & 3)));
			scratch |= (v >> (8 * i) & 0xFF) << (8 * (q & 3));
		}
	}
	check(flushes == flushes_before + (p == 0xE4 && len == 4));
	check(irq_sets == irqs_before + (p >= 0x2000 && p < 0x2018 && len == 1));
	check(sleeps == sleeps_before + slp_en);
}

static uint64_t mem_addr(struct input *in)
{
	uint16_t off = (uint16_t)input_le(in, 2);

	switch (input_u8(in) % 4) {
	case 0: return VTESTDEV_MMIO_BASE + off;
	case 1: return VTESTDEV_MMIO_BASE + VTESTDEV_MMIO_SIZE - (off & 15);
	case 2: return VTESTDEV_MMIO_BASE - (off & 15);
	default: return VTESTDEV_MMIO_BASE + (off & 0xFFF0);
	}
}

static void do_mmio(struct input *in, bool direct)
{
	uint64_t gpa = mem_addr(in), v = 0;
	uint32_t len = direct ? input_u8(in) % 10 : (uint32_t)1 << (input_u8(in) % 4);
	bool write = input_u8(in) & 1;
	bool ok = (len == 1 || len == 2 || len == 4 || len == 8) && gpa >= VTESTDEV_MMIO_BASE &&
		  gpa + len <= VTESTDEV_MMIO_BASE + VTESTDEV_MMIO_SIZE;
	uint64_t off = gpa - VTESTDEV_MMIO_BASE;
	int rc;

	if (write) {
		v = input_le(in, 8);
		rc = direct ? vtestdev_mmio_write(&td, gpa, len, v) : io_bus_write(&mmio, gpa, len, v);
	} else {
		rc = direct ? vtestdev_mmio_read(&td, gpa, len, &v) : io_bus_read(&mmio, gpa, len, &v);
	}
	check(ok ? rc == 0 : rc == (direct ? -EINVAL : -ENODEV));
	if (!ok)
		return;
	for (uint32_t i = 0; i < len; i++) {
		if (write)
			mem[off + i] = (uint8_t)(v >> (8 * i));
		else
			check(mem[off + i] == (uint8_t)(v >> (8 * i)));
	}
	check(write || len == 8 || v >> (8 * len) == 0);
}

/* Straight at the port handlers, with ports and widths the bus never sends:
 * outside its window each refuses. Inside, reads and zero writes to the PM
 * block (enables and SLP_TYP cleared, no status cleared, no sleep) keep the
 * shadows exact. */
static void do_direct_pio(struct input *in)
{
	uint64_t p = port(in), v = 0;
	uint32_t len = input_u8(in) % 10;
	bool w = len == 1 || len == 2 || len == 4;
	int rc;

	rc = vfwcfg_read(&fw, p, len, &v);
	check(rc == ((w && p >= 0x510 && p + len <= 0x512) ? 0 : -EINVAL));
	if (rc == 0 && p == VFWCFG_PORT_DATA && len == 1) {
		check(v == fw_expected_byte());
		fw_off += fw_off < 255;
	}
	rc = vtestdev_pio_read(&td, p, len, &v);
	check(rc == ((w && ((p >= 0xE0 && p + len <= 0xEC) || (p >= 0x2000 && p + len <= 0x2018)))
			     ? 0 : -EINVAL));
	rc = vacpi_pm_read(&pm, p, len, &v);
	check(rc == ((w && p >= 0x600 && p + len <= 0x606) ? 0 : -EINVAL));
	rc = vacpi_pm_write(&pm, p, len, 0); /* zeros: no status cleared, no sleep */
	check(rc == ((w && p >= 0x600 && p + len <= 0x606) ? 0 : -EINVAL));
}

static void check_devices(void)
{
	check(fw.offset <= fw.item_len && fw.item_len <= VFWCFG_ITEM_MAX);
	check(fw.selector == fw_key);
	check(td.scratch == scratch);
	check((pm.sts & ~VACPI_PM1_STS_MASK) == 0);
	check((pm.en & ~VACPI_PM1_EN_MASK) == 0);
	check((pm.cnt & ~VACPI_PM1_CNT_RW) == 0);
	check(sci_level == ((pm.sts & pm.en & VACPI_PM1_EN_SCI_EVENTS) != 0));
	check(pm.sleeps == sleeps);
}

static void setup(struct input *in)
{
	struct vtestdev_config tc = { .set_irq = set_irq, .flush_page = flush_page, .ctx = &td };
	struct vacpi_pm_config pc = {
		.sleep = sleep_cb,
		.ctx = &pm,
		.sci = { .set = sci_set, .ctx = &pm, .line = VACPI_PM_SCI_IRQ },
	};

	memset(&pio, 0, sizeof(pio));
	memset(&mmio, 0, sizeof(mmio));
	memset(mem, 0, sizeof(mem));
	ram_bytes = input_le(in, 8);
	nr_cpus = (uint16_t)input_le(in, 2) | 1;
	fw_key = VFWCFG_KEY_SIGNATURE;
	fw_off = 0;
	scratch = 0;
	sci_level = 0;
	sleeps = flushes = irq_sets = 0;
	check(vfwcfg_init(&fw, ram_bytes, nr_cpus) == 0);
	check(vtestdev_init(&td, &tc) == 0);
	check(vacpi_pm_init(&pm, &pc) == 0);
	check(vfwcfg_register(&fw, &pio) == 0);
	check(vtestdev_register(&td, &pio, &mmio) == 0);
	check(vacpi_pm_register(&pm, &pio) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	test_log_reset();
	setup(&in);
	while (in.n) {
		switch (input_u8(&in) % 12) {
		case 0: case 1: case 2: do_pio_read(&in); break;
		case 3: case 4: case 5: do_pio_write(&in); break;
		case 6: case 7: do_mmio(&in, false); break;
		case 8: do_mmio(&in, true); break;
		case 9: do_direct_pio(&in); break;
		case 10: vacpi_pm_event(&pm, (uint16_t)input_le(&in, 2)); break;
		default:
			if (input_u8(&in) & 1) {
				vfwcfg_reset(&fw);
				fw_key = VFWCFG_KEY_SIGNATURE;
				fw_off = 0;
			} else {
				vacpi_pm_reset(&pm);
			}
			break;
		}
		check_devices();
	}
	check(!test_log_count()); /* guest accesses never log */
	return 0;
}
