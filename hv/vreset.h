/* Reset and miscellaneous board ports of a PC: the reset control register
 * at 0xCF9 (PIIX3/PIIX4/ICH "RST_CNT"), System Control Port A at 0x92
 * (fast reset, A20 gate), the i8042 keyboard controller's reset paths
 * (ports 0x60/0x64) and the POST code port 0x80. Every reset path ends in
 * one reset_request(ctx, reason) call; what a reset does to the VM is the
 * caller's decision, and the caller then calls vreset_reset(). Pure logic
 * (docs/device-models.md); the caller serialises calls on one vreset. */
#ifndef HV_VRESET_H
#define HV_VRESET_H

#include "hv/compiler.h"
#include "hv/iobus.h"

#define VRESET_PORT_KBC_DATA 0x60
#define VRESET_PORT_KBC_CMD 0x64 /* reads: status */
#define VRESET_PORT_POST 0x80
#define VRESET_PORT_SYSCTL_A 0x92
#define VRESET_PORT_RST_CNT 0xCF9

/* 0xCF9 (PIIX4 RC register, ICH RST_CNT): RST_CPU going to 1 starts a
 * reset, hard when SYS_RST is set, a full (power-cycle) one when FULL_RST
 * is also set. */
#define VRESET_RST_CNT_SYS_RST 0x02
#define VRESET_RST_CNT_RST_CPU 0x04
#define VRESET_RST_CNT_FULL_RST 0x08

/* Port 0x92 (PS/2 System Control Port A). */
#define VRESET_SCPA_FAST_RESET 0x01 /* 0->1 resets the CPU */
#define VRESET_SCPA_A20 0x02
#define VRESET_SCPA_LOCK 0x08 /* CMOS password lock: set-once until reset */
#define VRESET_SCPA_LED 0xC0  /* disk activity light */
#define VRESET_SCPA_MASK \
	(VRESET_SCPA_FAST_RESET | VRESET_SCPA_A20 | VRESET_SCPA_LOCK | VRESET_SCPA_LED)

/* i8042 status register (port 0x64 read). */
#define VRESET_KBC_STATUS_OBF 0x01 /* output buffer full: a byte at 0x60 */
#define VRESET_KBC_STATUS_SYS 0x04 /* system flag: self-test passed */
#define VRESET_KBC_STATUS_CMD 0x08 /* last write went to 0x64 */
#define VRESET_KBC_STATUS_UNINHIBITED 0x10
#define VRESET_KBC_STATUS_IDLE \
	(VRESET_KBC_STATUS_SYS | VRESET_KBC_STATUS_CMD | VRESET_KBC_STATUS_UNINHIBITED)

/* i8042 commands the model acts on; every other command is ignored. */
#define VRESET_KBC_READ_OUTPUT 0xD0  /* output port -> 0x60 */
#define VRESET_KBC_WRITE_OUTPUT 0xD1 /* next 0x60 byte -> output port */
#define VRESET_KBC_PULSE_BASE 0xF0   /* 0xF0-0xFF: pulse output bits 3:0 that are 0 */
#define VRESET_KBC_PULSE_RESET 0xFE  /* the usual one: pulse bit 0, the CPU reset */

/* i8042 output port bits with a meaning here. */
#define VRESET_KBC_OUT_RESET 0x01 /* CPU reset line, active low */
#define VRESET_KBC_OUT_A20 0x02
#define VRESET_KBC_OUT_DEFAULT (VRESET_KBC_OUT_RESET | VRESET_KBC_OUT_A20)

/* The reason strings reset_request receives. */
#define VRESET_REASON_CF9_SOFT "CF9 soft reset"
#define VRESET_REASON_CF9_HARD "CF9 hard reset"
#define VRESET_REASON_CF9_FULL "CF9 full reset"
#define VRESET_REASON_PORT92 "port 0x92 fast reset"
#define VRESET_REASON_KBC_PULSE "i8042 reset pulse"
#define VRESET_REASON_KBC_OUTPUT "i8042 output port reset"

struct vreset_config {
	void (*reset_request)(void *ctx, const char *reason); /* may be NULL */
	void *ctx;
};

struct vreset {
	struct io_device dev; /* answers 0x60, 0x64, 0x80, 0x92, 0xCF9 */
	struct vreset_config cfg;
	uint8_t rst_cnt;      /* SYS_RST and FULL_RST as written */
	uint8_t port92;
	uint8_t post_code;
	uint8_t kbc_output;   /* i8042 output port */
	uint8_t kbc_pending;  /* command waiting for its data byte, or 0 */
	uint8_t kbc_data;     /* output buffer, valid while kbc_obf */
	bool kbc_obf;
	bool kbc_cmd;         /* the last write went to the command port */
	uint32_t requests;    /* reset requests so far */
};

int vreset_init(struct vreset *r, const struct vreset_config *cfg);
/* The platform reset: every register to its power-on value, except the
 * POST code, which keeps the last value written (what a POST card shows
 * after the reset it caused). */
void vreset_reset(struct vreset *r);
/* Registers r->dev at 0x60, 0x64, 0x80 and 0x92. 0xCF9 sits inside the
 * PCI host bridge's CONFIG_ADDRESS dword: pass &r->dev as vpci's `narrow`
 * device, or on a board without vpci call vreset_register_cf9(). On failure
 * none of r->dev's ranges stay registered. */
int vreset_register(struct vreset *r, struct io_bus *pio);
int vreset_register_cf9(struct vreset *r, struct io_bus *pio);

/* The io_device handlers, also callable directly: len 1..8 bytes on
 * consecutive ports; ports that are not these registers read 0xFF. */
int vreset_read(struct vreset *r, uint64_t port, uint32_t len, uint64_t *val);
int vreset_write(struct vreset *r, uint64_t port, uint32_t len, uint64_t val);

/* The A20 gate as the guest set it (port 0x92 bit 1 OR i8042 output port
 * bit 1). Recorded, not enforced: guest memory is never wrapped at 1 MiB,
 * which is why both start enabled. */
bool vreset_a20_enabled(const struct vreset *r);
uint8_t vreset_post_code(const struct vreset *r);

#endif
