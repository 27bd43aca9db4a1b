/* Host RTC (MC146818 datasheet): read the time registers outside an update
 * cycle, twice until two reads agree, decoding BCD and 12-hour formats. */
#include "drivers/cmos_rtc.h"
#include "hv/vrtc.h"
#include "hv/x86.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define NMI_DISABLE 0x80
#define REG_SECONDS 0x00
#define REG_MINUTES 0x02
#define REG_HOURS 0x04
#define REG_DAY 0x07
#define REG_MONTH 0x08
#define REG_YEAR 0x09
#define REG_A 0x0A
#define REG_B 0x0B
#define REG_CENTURY 0x32
#define A_UIP 0x80
#define B_24H 0x02
#define B_BINARY 0x04
#define HOUR_PM 0x80
#define UIP_SPIN_LIMIT 1000000

static uint8_t cmos(uint8_t reg)
{
	outb(CMOS_INDEX, NMI_DISABLE | reg);
	return inb(CMOS_DATA);
}

static uint8_t bcd(uint8_t v)
{
	return (uint8_t)((v >> 4) * 10 + (v & 0xF));
}

struct raw_time {
	uint8_t sec, min, hour, day, mon, year, century;
};

static void read_raw(struct raw_time *t)
{
	for (int i = 0; i < UIP_SPIN_LIMIT && (cmos(REG_A) & A_UIP); i++)
		cpu_relax();
	*t = (struct raw_time){cmos(REG_SECONDS), cmos(REG_MINUTES), cmos(REG_HOURS), cmos(REG_DAY),
			       cmos(REG_MONTH), cmos(REG_YEAR), cmos(REG_CENTURY)};
}

int64_t cmos_rtc_read_epoch(void)
{
	struct raw_time a, b;
	int tries = 0;
	do {
		read_raw(&a);
		read_raw(&b);
	} while ((a.sec != b.sec || a.min != b.min || a.hour != b.hour || a.day != b.day) && ++tries < 5);

	uint8_t regb = cmos(REG_B);
	bool pm = a.hour & HOUR_PM;
	a.hour &= (uint8_t)~HOUR_PM;
	if (!(regb & B_BINARY)) {
		a.sec = bcd(a.sec);
		a.min = bcd(a.min);
		a.hour = bcd(a.hour);
		a.day = bcd(a.day);
		a.mon = bcd(a.mon);
		a.year = bcd(a.year);
		a.century = bcd(a.century);
	}
	if (!(regb & B_24H)) /* 12-hour clock: 12 AM is 0, 12 PM is 12 */
		a.hour = (uint8_t)(a.hour % 12 + (pm ? 12 : 0));
	int year = (a.century >= 19 && a.century <= 21 ? a.century : 20) * 100 + a.year;
	struct rtc_time tm = {.year = (uint16_t)year, .month = a.mon, .day = a.day, .hour = a.hour, .min = a.min, .sec = a.sec};
	int64_t epoch;
	return vrtc_time_to_epoch(&tm, &epoch) ? -1 : epoch;
}
