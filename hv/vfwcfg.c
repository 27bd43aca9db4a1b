/* fw_cfg, legacy I/O interface, written from QEMU's docs/specs/fw_cfg.rst.
 *
 * Every item served is at most 8 bytes, so selecting one copies its bytes
 * into the device (built from the VM's RAM size and CPU count) and the data
 * port walks that copy: a read is one bounds check, and there is no table
 * of blobs to keep consistent. */
#include "hv/vfwcfg.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"

static const uint8_t signature[4] = { 'Q', 'E', 'M', 'U' };

static void put_le(uint8_t *p, uint64_t v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Bit 14 only asks for write access to the same item (fw_cfg.rst), so a
 * read through it sees that item's bytes. */
static void select_item(struct vfwcfg *fw, uint16_t key)
{
	fw->selector = key;
	fw->offset = 0;
	fw->item_len = 0;
	memset(fw->item, 0, sizeof(fw->item));
	switch (key & ~VFWCFG_KEY_WRITE_CHANNEL) {
	case VFWCFG_KEY_SIGNATURE:
		memcpy(fw->item, signature, sizeof(signature));
		fw->item_len = sizeof(signature);
		break;
	case VFWCFG_KEY_ID:
		put_le(fw->item, VFWCFG_ID_TRADITIONAL, 4);
		fw->item_len = 4;
		break;
	case VFWCFG_KEY_RAM_SIZE:
		put_le(fw->item, fw->ram_bytes, 8);
		fw->item_len = 8;
		break;
	case VFWCFG_KEY_NB_CPUS:
	case VFWCFG_KEY_MAX_CPUS:
		put_le(fw->item, fw->nr_cpus, 2);
		fw->item_len = 2;
		break;
	case VFWCFG_KEY_FILE_DIR:
		/* struct FWCfgFiles: a big-endian count, then the entries.
		 * No files: the count 0 and nothing after it. */
		fw->item_len = 4;
		break;
	default:
		break; /* unknown: an empty item, every read 0 */
	}
}

static uint8_t read_data(struct vfwcfg *fw)
{
	if (fw->offset >= fw->item_len)
		return 0;
	return fw->item[fw->offset++];
}

static bool inside(uint64_t port, uint32_t len)
{
	return (len == 1 || len == 2 || len == 4) && port >= VFWCFG_PORT_SELECTOR &&
	       port - VFWCFG_PORT_SELECTOR + len <= VFWCFG_NR_PORTS;
}

int vfwcfg_read(struct vfwcfg *fw, uint64_t port, uint32_t len, uint64_t *val)
{
	if (!inside(port, len))
		return -EINVAL;
	*val = port == VFWCFG_PORT_DATA && len == 1 ? read_data(fw) : 0;
	return 0;
}

int vfwcfg_write(struct vfwcfg *fw, uint64_t port, uint32_t len, uint64_t val)
{
	if (!inside(port, len))
		return -EINVAL;
	if (port == VFWCFG_PORT_SELECTOR && len == 2)
		select_item(fw, (uint16_t)val);
	return 0;
}

static int io_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	return vfwcfg_read(dev->opaque, addr, len, val);
}

static int io_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	return vfwcfg_write(dev->opaque, addr, len, val);
}

static const struct io_device_ops vfwcfg_io_ops = {
	.read = io_read,
	.write = io_write,
};

void vfwcfg_reset(struct vfwcfg *fw)
{
	select_item(fw, VFWCFG_KEY_SIGNATURE);
}

int vfwcfg_init(struct vfwcfg *fw, uint64_t ram_bytes, uint16_t nr_cpus)
{
	if (!nr_cpus) {
		pr_err("fw_cfg: a VM needs at least one CPU");
		return -EINVAL;
	}
	memset(fw, 0, sizeof(*fw));
	fw->dev.ops = &vfwcfg_io_ops;
	fw->dev.opaque = fw;
	fw->dev.name = "fw_cfg";
	fw->ram_bytes = ram_bytes;
	fw->nr_cpus = nr_cpus;
	vfwcfg_reset(fw);
	return 0;
}

int vfwcfg_register(struct vfwcfg *fw, struct io_bus *pio)
{
	int rc = io_bus_register(pio, VFWCFG_PORT_SELECTOR, VFWCFG_NR_PORTS, &fw->dev);

	if (rc)
		pr_err("fw_cfg: cannot claim ports 0x%x-0x%x: error %d", VFWCFG_PORT_SELECTOR,
		       VFWCFG_PORT_SELECTOR + VFWCFG_NR_PORTS - 1, rc);
	return rc;
}
