/* Reset and miscellaneous board ports, written from the PIIX4/ICH reset
 * control register description, the IBM PS/2 System Control Port A and
 * the 8042 keyboard controller command set.
 *
 * The registers keep what the guest wrote until the platform calls
 * vreset_reset() after acting on a request, with one exception: RST_CPU
 * in 0xCF9 reads 0, because from the guest's point of view the reset it
 * starts has already happened. That also makes every write with bit 2 set
 * a 0->1 transition, so "write 0x02, then 0x06" and a bare 0x06 both
 * reset, as on the real chipsets. */
#include "hv/vreset.h"
#include "hv/errno.h"
#include "hv/string.h"

static void request(struct vreset *r, const char *reason)
{
	r->requests++;
	if (r->cfg.reset_request)
		r->cfg.reset_request(r->cfg.ctx, reason);
}

static void write_rst_cnt(struct vreset *r, uint8_t v)
{
	r->rst_cnt = v & (VRESET_RST_CNT_SYS_RST | VRESET_RST_CNT_FULL_RST);
	if (!(v & VRESET_RST_CNT_RST_CPU))
		return;
	if (!(v & VRESET_RST_CNT_SYS_RST))
		request(r, VRESET_REASON_CF9_SOFT);
	else if (v & VRESET_RST_CNT_FULL_RST)
		request(r, VRESET_REASON_CF9_FULL);
	else
		request(r, VRESET_REASON_CF9_HARD);
}

static void write_port92(struct vreset *r, uint8_t v)
{
	uint8_t old = r->port92;

	r->port92 = (uint8_t)((v & VRESET_SCPA_MASK) | (old & VRESET_SCPA_LOCK));
	if ((v & VRESET_SCPA_FAST_RESET) && !(old & VRESET_SCPA_FAST_RESET))
		request(r, VRESET_REASON_PORT92);
}

static uint8_t kbc_status(const struct vreset *r)
{
	uint8_t s = VRESET_KBC_STATUS_SYS | VRESET_KBC_STATUS_UNINHIBITED;

	if (r->kbc_cmd)
		s |= VRESET_KBC_STATUS_CMD;
	if (r->kbc_obf)
		s |= VRESET_KBC_STATUS_OBF;
	return s;
}

static uint8_t kbc_read_data(struct vreset *r)
{
	if (!r->kbc_obf)
		return 0; /* no keyboard behind it: nothing to read */
	r->kbc_obf = false;
	return r->kbc_data;
}

static void kbc_write_output(struct vreset *r, uint8_t v)
{
	r->kbc_output = v;
	if (!(v & VRESET_KBC_OUT_RESET))
		request(r, VRESET_REASON_KBC_OUTPUT); /* the reset line is active low */
}

static void kbc_write_data(struct vreset *r, uint8_t v)
{
	uint8_t cmd = r->kbc_pending;

	r->kbc_cmd = false;
	r->kbc_pending = 0;
	if (cmd == VRESET_KBC_WRITE_OUTPUT)
		kbc_write_output(r, v);
	/* Otherwise a byte for the keyboard, and there is none. */
}

static void kbc_write_cmd(struct vreset *r, uint8_t cmd)
{
	r->kbc_cmd = true;
	r->kbc_pending = 0; /* a new command abandons one waiting for data */
	if (cmd == VRESET_KBC_READ_OUTPUT) {
		r->kbc_data = r->kbc_output;
		r->kbc_obf = true;
	} else if (cmd == VRESET_KBC_WRITE_OUTPUT) {
		r->kbc_pending = cmd;
	} else if (cmd >= VRESET_KBC_PULSE_BASE && !(cmd & VRESET_KBC_OUT_RESET)) {
		/* Pulse commands drive low, for 6 us, each of output bits 3:0
		 * that is 0 in the command; bit 0 is the CPU reset line. */
		request(r, VRESET_REASON_KBC_PULSE);
	}
}

static uint8_t read_port(struct vreset *r, uint64_t port)
{
	switch (port) {
	case VRESET_PORT_KBC_DATA:
		return kbc_read_data(r);
	case VRESET_PORT_KBC_CMD:
		return kbc_status(r);
	case VRESET_PORT_POST:
		return r->post_code;
	case VRESET_PORT_SYSCTL_A:
		return r->port92;
	case VRESET_PORT_RST_CNT:
		return r->rst_cnt;
	default:
		return 0xFF; /* not ours: floats high */
	}
}

static void write_port(struct vreset *r, uint64_t port, uint8_t v)
{
	switch (port) {
	case VRESET_PORT_KBC_DATA:
		kbc_write_data(r, v);
		break;
	case VRESET_PORT_KBC_CMD:
		kbc_write_cmd(r, v);
		break;
	case VRESET_PORT_POST:
		r->post_code = v;
		break;
	case VRESET_PORT_SYSCTL_A:
		write_port92(r, v);
		break;
	case VRESET_PORT_RST_CNT:
		write_rst_cnt(r, v);
		break;
	default:
		break;
	}
}

int vreset_read(struct vreset *r, uint64_t port, uint32_t len, uint64_t *val)
{
	uint64_t v = 0;

	if (len < 1 || len > 8)
		return -EINVAL;
	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)read_port(r, port + i) << (8 * i);
	*val = v;
	return 0;
}

int vreset_write(struct vreset *r, uint64_t port, uint32_t len, uint64_t val)
{
	if (len < 1 || len > 8)
		return -EINVAL;
	for (uint32_t i = 0; i < len; i++)
		write_port(r, port + i, (uint8_t)(val >> (8 * i)));
	return 0;
}

static int io_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	return vreset_read(dev->opaque, addr, len, val);
}

static int io_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	return vreset_write(dev->opaque, addr, len, val);
}

static const struct io_device_ops vreset_io_ops = {
	.read = io_read,
	.write = io_write,
};

bool vreset_a20_enabled(const struct vreset *r)
{
	return (r->port92 & VRESET_SCPA_A20) || (r->kbc_output & VRESET_KBC_OUT_A20);
}

uint8_t vreset_post_code(const struct vreset *r)
{
	return r->post_code;
}

void vreset_reset(struct vreset *r)
{
	r->rst_cnt = 0;
	r->port92 = VRESET_SCPA_A20;
	r->kbc_output = VRESET_KBC_OUT_DEFAULT;
	r->kbc_pending = 0;
	r->kbc_data = 0;
	r->kbc_obf = false;
	r->kbc_cmd = true; /* status reads VRESET_KBC_STATUS_IDLE */
}

int vreset_init(struct vreset *r, const struct vreset_config *cfg)
{
	if (!r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if (cfg)
		r->cfg = *cfg;
	r->dev.ops = &vreset_io_ops;
	r->dev.opaque = r;
	r->dev.name = "reset";
	vreset_reset(r);
	return 0;
}

int vreset_register(struct vreset *r, struct io_bus *pio)
{
	static const uint16_t ports[] = { VRESET_PORT_KBC_DATA, VRESET_PORT_KBC_CMD,
					  VRESET_PORT_POST, VRESET_PORT_SYSCTL_A };

	for (uint32_t i = 0; i < ARRAY_SIZE(ports); i++) {
		int rc = io_bus_register(pio, ports[i], 1, &r->dev);

		if (rc) {
			io_bus_unregister(pio, &r->dev);
			return rc;
		}
	}
	return 0;
}

int vreset_register_cf9(struct vreset *r, struct io_bus *pio)
{
	return io_bus_register(pio, VRESET_PORT_RST_CNT, 1, &r->dev);
}
