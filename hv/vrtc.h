/* Motorola MC146818A real-time clock and its CMOS memory (128 bytes behind
 * index port 0x70 and data port 0x71), as pure logic: the time registers,
 * the update-in-progress window and the periodic/alarm/update interrupts
 * are computed from a base wall-clock time and the VM clock; nothing ticks.
 * IRQ8 is driven through struct irq_out and held until register C is read.
 * See docs/device-models.md. */
#ifndef HV_VRTC_H
#define HV_VRTC_H

#include "hv/compiler.h"
#include "hv/devmodel.h"
#include "hv/iobus.h"

#define RTC_PORT_INDEX 0x70 /* bit 7: NMI disable, bits 6:0: register */
#define RTC_PORT_DATA 0x71
#define RTC_CMOS_SIZE 128

/* Registers (MC146818A datasheet, "Address Map"). */
#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES 0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS 0x04
#define RTC_HOURS_ALARM 0x05
#define RTC_DAY_OF_WEEK 0x06 /* 1-7, Sunday = 1 */
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32 /* IBM PC convention; ACPI FADT CENTURY */

#define RTC_A_UIP 0x80       /* update in progress (read-only) */
#define RTC_A_DV_MASK 0x70   /* divider control */
#define RTC_A_DV_RUN 0x20    /* 010: 32.768 kHz time base, running */
#define RTC_A_RS_MASK 0x0f   /* periodic interrupt rate select */
#define RTC_B_SET 0x80       /* stop updates to set the time */
#define RTC_B_PIE 0x40       /* periodic interrupt enable */
#define RTC_B_AIE 0x20       /* alarm interrupt enable */
#define RTC_B_UIE 0x10       /* update-ended interrupt enable */
#define RTC_B_SQWE 0x08      /* square-wave output (not wired on a PC) */
#define RTC_B_DM_BINARY 0x04 /* data mode: 1 binary, 0 BCD */
#define RTC_B_24H 0x02       /* 1: 24-hour mode; 0: 12-hour, bit 7 of hours = PM */
#define RTC_B_DSE 0x01       /* daylight saving enable (kept, not applied) */
#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10
#define RTC_D_VRT 0x80 /* valid RAM and time: the battery is good */
#define RTC_HOURS_PM 0x80
#define RTC_ALARM_DONT_CARE 0xc0 /* an alarm byte 0xc0-0xff matches any value */

/* CMOS memory as PC firmware fills it (IBM PC/AT layout; 0x5b-0x5d are the
 * QEMU/SeaBIOS extension for memory above 4 GiB). 16-bit values are little
 * endian; the checksum over 0x10-0x2d is big endian. */
#define CMOS_BASE_MEM_KB 0x15       /* 0x15/0x16: memory below 1 MiB, KiB */
#define CMOS_EXT_MEM_KB 0x17        /* 0x17/0x18: memory above 1 MiB, KiB */
#define CMOS_CHECKSUM 0x2e          /* 0x2e (high)/0x2f (low): sum of 0x10-0x2d */
#define CMOS_EXT_MEM_KB_COPY 0x30   /* 0x30/0x31: copy of 0x17/0x18 */
#define CMOS_MEM_ABOVE_16M_64K 0x34 /* 0x34/0x35: 16 MiB-4 GiB, 64 KiB units */
#define CMOS_MEM_ABOVE_4G_64K 0x5b  /* 0x5b-0x5d: above 4 GiB, 64 KiB units */

/* A broken-down time in the RTC's (time-zone free) calendar. */
struct rtc_time {
	uint16_t year;  /* 0-9999 */
	uint8_t month;  /* 1-12 */
	uint8_t day;    /* 1-31 */
	uint8_t hour;   /* 0-23 */
	uint8_t min;    /* 0-59 */
	uint8_t sec;    /* 0-59 */
	uint8_t wday;   /* 0 = Sunday; filled by vrtc_epoch_to_time, ignored on input */
};

struct vrtc {
	struct io_device dev; /* ports 0x70-0x71 */
	struct vclock clock;
	struct irq_out irq; /* IRQ8 */
	uint8_t index;
	bool nmi_disabled;
	/* RAM, registers A/B, the alarms, and the time bytes while the clock
	 * does not update (SET, or divider stopped). */
	uint8_t cmos[RTC_CMOS_SIZE];
	/* While updating, the time is base_time + the number of updates since
	 * the divider started at div_ns; updates fall at div_ns + 0.5 s + k s. */
	int64_t base_time;
	uint64_t div_ns;
	uint8_t wday_off; /* day of week as written minus the calendar's */
	uint64_t sync_ns; /* flags account for events up to here */
	uint8_t flags;    /* RTC_C_PF | RTC_C_AF | RTC_C_UF */
	bool line;
};

/* `epoch` is seconds since 1970-01-01 00:00:00 in the guest's RTC time
 * (clamped to years 0-9999). Registers as PC firmware leaves them: A = 0x26
 * (running, 1024 Hz rate), B = 0x02 (24-hour, BCD), C = 0, D = VRT. The
 * first update comes 0.5 s after init. CMOS memory is zero. */
void vrtc_init(struct vrtc *rtc, const struct vclock *clock, const struct irq_out *irq,
	       int64_t epoch);

uint8_t vrtc_inb(struct vrtc *rtc, uint16_t port);
void vrtc_outb(struct vrtc *rtc, uint16_t port, uint8_t val);

/* Bit 7 of the last index written to port 0x70. */
bool vrtc_nmi_disabled(const struct vrtc *rtc);

/* Fills the memory-size bytes (and the checksum) for a guest with `bytes`
 * of RAM: 0x15/0x16 = 640 KiB, 0x17/0x18 and 0x30/0x31 = KiB above 1 MiB
 * (at most 0xffff), 0x34/0x35 = RAM between 16 MiB and 4 GiB in 64 KiB
 * units, 0x5b-0x5d = RAM above 4 GiB in 64 KiB units. */
void vrtc_set_memory_size(struct vrtc *rtc, uint64_t bytes);

/* Absolute ns at which IRQ8 will next rise, or DEADLINE_NONE (also while it
 * is already high: nothing changes until register C is read). */
uint64_t vrtc_next_deadline(struct vrtc *rtc);
void vrtc_poll(struct vrtc *rtc, uint64_t now);

int vrtc_register(struct vrtc *rtc, struct io_bus *bus);

/* Calendar helpers (proleptic Gregorian). -EINVAL for a date that does not
 * exist or a year above 9999. */
int vrtc_time_to_epoch(const struct rtc_time *tm, int64_t *epoch);
void vrtc_epoch_to_time(int64_t epoch, struct rtc_time *tm);

#endif
