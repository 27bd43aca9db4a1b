/* MC146818A RTC/CMOS model (Motorola MC146818A datasheet). The chip counts
 * seconds from a 32.768 kHz divider chain: an update (seconds + 1, carried
 * through the calendar) falls once a second, UIP warns 244 us ahead of it,
 * and the periodic interrupt taps the same chain. Here the time is a number
 * of seconds since 1970 plus the updates counted from the VM clock; the
 * registers are encoded from it on each read, so a change of data mode or
 * hour format shows at once (the chip would need the time rewritten). */
#include "hv/vrtc.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/string.h"

#define NS_PER_SEC 1000000000ULL
#define SECS_PER_DAY 86400
#define RTC_DIVIDER_HZ 32768u
/* Datasheet: UIP rises tBUC = 244 us before the update cycle. */
#define RTC_UIP_NS 244000ULL
/* Releasing the divider from reset: "the first update cycle begins one-half
 * second later". */
#define RTC_FIRST_UPDATE_NS 500000000ULL
#define RTC_FLAGS_MASK (RTC_C_PF | RTC_C_AF | RTC_C_UF)
#define RTC_A_POWER_ON 0x26 /* divider running, rate 6 (1024 Hz) */
#define RTC_B_POWER_ON RTC_B_24H

#define NO_ALARM INT64_MAX

/* --- calendar ----------------------------------------------------------- */

/* Counting years from March puts the leap day at the end of the year, so
 * month starts are fixed: day-of-year of the 1st of Mar, Apr, ..., Feb. */
static const uint16_t march_month_start[12] = { 0,   31,  61,  92,  122, 153,
						 184, 214, 245, 275, 306, 337 };
/* Day numbers below count from 1 March of year -400, so that every date from
 * year 0 on is non-negative; 1970-01-01 is day 865565 there. */
#define DAYS_TO_EPOCH 865565
#define DAYS_PER_400Y 146097
#define DAYS_PER_100Y 36524 /* the last century of 400 years has one more */
#define DAYS_PER_4Y 1461    /* the last 4 years of a century may have one less */
#define EPOCH_MIN (-62167219200LL)         /* 0000-01-01 00:00:00 */
#define EPOCH_MAX (253402300799LL)         /* 9999-12-31 23:59:59 */

static bool is_leap(unsigned int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned int days_in_month(unsigned int y, unsigned int m)
{
	static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int64_t days_from_civil(unsigned int year, unsigned int month, unsigned int day)
{
	int64_t y = (int64_t)year + 400 - (month < 3); /* March-based year */
	unsigned int mi = month < 3 ? month + 9 : month - 3;

	return y * 365 + y / 4 - y / 100 + y / 400 + march_month_start[mi] + day - 1 -
	       DAYS_TO_EPOCH;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return a % b < 0 ? q - 1 : q;
}

void vrtc_epoch_to_time(int64_t epoch, struct rtc_time *tm)
{
	int64_t days, z, sod;
	uint64_t r;
	unsigned int c, q, yi, mi = 11, month;

	epoch = MAX(epoch, EPOCH_MIN);
	days = floor_div(epoch, SECS_PER_DAY);
	sod = epoch - days * SECS_PER_DAY;
	z = days + DAYS_TO_EPOCH;
	r = (uint64_t)(z % DAYS_PER_400Y);
	c = (unsigned int)MIN(r / DAYS_PER_100Y, 3);
	r -= c * DAYS_PER_100Y;
	q = (unsigned int)(r / DAYS_PER_4Y);
	r -= q * DAYS_PER_4Y;
	yi = (unsigned int)MIN(r / 365, 3);
	r -= yi * 365; /* day of the March-based year */
	while (march_month_start[mi] > r)
		mi--;
	month = mi < 10 ? mi + 3 : mi - 9;
	tm->year = (uint16_t)(z / DAYS_PER_400Y * 400 + c * 100 + q * 4 + yi - 400 + (month < 3));
	tm->month = (uint8_t)month;
	tm->day = (uint8_t)(r - march_month_start[mi] + 1);
	tm->hour = (uint8_t)(sod / 3600);
	tm->min = (uint8_t)(sod / 60 % 60);
	tm->sec = (uint8_t)(sod % 60);
	tm->wday = (uint8_t)((days % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
}

int vrtc_time_to_epoch(const struct rtc_time *tm, int64_t *epoch)
{
	if (tm->year > 9999 || tm->month < 1 || tm->month > 12 || tm->day < 1 ||
	    tm->day > days_in_month(tm->year, tm->month) || tm->hour > 23 || tm->min > 59 ||
	    tm->sec > 59) {
		pr_err("rtc: invalid time %04u-%02u-%02u %02u:%02u:%02u", tm->year, tm->month,
		       tm->day, tm->hour, tm->min, tm->sec);
		return -EINVAL;
	}
	*epoch = days_from_civil(tm->year, tm->month, tm->day) * SECS_PER_DAY + tm->hour * 3600 +
		 tm->min * 60 + tm->sec;
	return 0;
}

/* --- clock -------------------------------------------------------------- */

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX - 1 : a + b;
}

static bool divider_running(const struct vrtc *rtc)
{
	return (rtc->cmos[RTC_REG_A] & RTC_A_DV_MASK) == RTC_A_DV_RUN;
}

static bool updating(const struct vrtc *rtc)
{
	return divider_running(rtc) && !(rtc->cmos[RTC_REG_B] & RTC_B_SET);
}

/* Updates (second boundaries) in (div_ns, t]. */
static uint64_t updates_by(const struct vrtc *rtc, uint64_t t)
{
	uint64_t first = add_sat(rtc->div_ns, RTC_FIRST_UPDATE_NS);

	return t < first ? 0 : (t - first) / NS_PER_SEC + 1;
}

/* When update k (k >= 1) falls. */
static uint64_t update_ns(const struct vrtc *rtc, uint64_t k)
{
	uint64_t first = add_sat(rtc->div_ns, RTC_FIRST_UPDATE_NS);

	if (k - 1 > (UINT64_MAX - first) / NS_PER_SEC)
		return UINT64_MAX - 1;
	return first + (k - 1) * NS_PER_SEC;
}

static int64_t time_at(const struct vrtc *rtc, uint64_t t)
{
	return rtc->base_time + (int64_t)updates_by(rtc, t);
}

/* Periodic rate select (datasheet, "Periodic Interrupt Rate"): rates 1 and
 * 2 give 256 and 128 Hz, rate r >= 3 gives 32768 >> (r - 1) Hz. In divider
 * cycles: */
static uint64_t periodic_cycles(const struct vrtc *rtc)
{
	unsigned int rs = rtc->cmos[RTC_REG_A] & RTC_A_RS_MASK;

	if (!rs)
		return 0;
	return rs < 3 ? 64ULL << rs : 1ULL << (rs - 1);
}

static uint64_t ns_to_cycles(uint64_t ns)
{
	return ns / NS_PER_SEC * RTC_DIVIDER_HZ + ns % NS_PER_SEC * RTC_DIVIDER_HZ / NS_PER_SEC;
}

static uint64_t cycles_to_ns(uint64_t c)
{
	uint64_t sec = c / RTC_DIVIDER_HZ, rem = c % RTC_DIVIDER_HZ;

	if (sec > (UINT64_MAX - NS_PER_SEC) / NS_PER_SEC)
		return UINT64_MAX - 1;
	return sec * NS_PER_SEC + (rem * NS_PER_SEC + RTC_DIVIDER_HZ - 1) / RTC_DIVIDER_HZ;
}

/* First periodic event after t: the chain's divided output, in phase with
 * the divider's start. */
static uint64_t next_periodic(const struct vrtc *rtc, uint64_t t)
{
	uint64_t p = periodic_cycles(rtc);
	uint64_t m = t < rtc->div_ns ? 1 : ns_to_cycles(t - rtc->div_ns) / p + 1;

	return add_sat(rtc->div_ns, cycles_to_ns(m * p));
}

static bool uip(const struct vrtc *rtc, uint64_t t)
{
	return updating(rtc) && update_ns(rtc, updates_by(rtc, t) + 1) - t <= RTC_UIP_NS;
}

/* --- register encoding -------------------------------------------------- */

static bool binary(const struct vrtc *rtc)
{
	return rtc->cmos[RTC_REG_B] & RTC_B_DM_BINARY;
}

static uint8_t enc(const struct vrtc *rtc, unsigned int v)
{
	v %= 100;
	return (uint8_t)(binary(rtc) ? v : (v / 10) << 4 | v % 10);
}

static unsigned int dec(const struct vrtc *rtc, uint8_t b)
{
	return binary(rtc) ? b : (b >> 4) * 10u + (b & 15);
}

static uint8_t enc_hour(const struct vrtc *rtc, unsigned int h)
{
	if (rtc->cmos[RTC_REG_B] & RTC_B_24H)
		return enc(rtc, h);
	return (uint8_t)(enc(rtc, h % 12 ? h % 12 : 12) | (h >= 12 ? RTC_HOURS_PM : 0));
}

static unsigned int dec_hour(const struct vrtc *rtc, uint8_t b)
{
	if (rtc->cmos[RTC_REG_B] & RTC_B_24H)
		return dec(rtc, b);
	return dec(rtc, b & ~RTC_HOURS_PM) % 12 + (b & RTC_HOURS_PM ? 12 : 0);
}

static bool is_time_reg(uint8_t idx)
{
	switch (idx) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		return true;
	default:
		return false;
	}
}

static uint8_t time_reg(const struct vrtc *rtc, uint8_t idx, int64_t t)
{
	struct rtc_time tm;

	vrtc_epoch_to_time(t, &tm);
	switch (idx) {
	case RTC_SECONDS:
		return enc(rtc, tm.sec);
	case RTC_MINUTES:
		return enc(rtc, tm.min);
	case RTC_HOURS:
		return enc_hour(rtc, tm.hour);
	case RTC_DAY_OF_WEEK:
		return enc(rtc, (tm.wday + rtc->wday_off) % 7u + 1);
	case RTC_DAY_OF_MONTH:
		return enc(rtc, tm.day);
	case RTC_MONTH:
		return enc(rtc, tm.month);
	case RTC_YEAR:
		return enc(rtc, tm.year % 100u);
	default: /* RTC_CENTURY */
		return enc(rtc, tm.year / 100u);
	}
}

static void store_time(struct vrtc *rtc, int64_t t)
{
	static const uint8_t regs[] = { RTC_SECONDS,      RTC_MINUTES, RTC_HOURS, RTC_DAY_OF_WEEK,
					RTC_DAY_OF_MONTH, RTC_MONTH,   RTC_YEAR,  RTC_CENTURY };

	for (unsigned int i = 0; i < ARRAY_SIZE(regs); i++)
		rtc->cmos[regs[i]] = time_reg(rtc, regs[i], t);
}

/* The time the stored registers say. The chip would count on from values
 * out of range; here each field is brought into range instead. */
static int64_t load_time(struct vrtc *rtc)
{
	const uint8_t *r = rtc->cmos;
	unsigned int year =
		MIN(dec(rtc, r[RTC_YEAR]), 99u) + 100 * MIN(dec(rtc, r[RTC_CENTURY]), 99u);
	unsigned int month = MAX(MIN(dec(rtc, r[RTC_MONTH]), 12u), 1u);
	unsigned int day = MAX(MIN(dec(rtc, r[RTC_DAY_OF_MONTH]), days_in_month(year, month)), 1u);
	unsigned int wday = dec(rtc, r[RTC_DAY_OF_WEEK]);
	int64_t t = days_from_civil(year, month, day) * SECS_PER_DAY +
		    MIN(dec_hour(rtc, r[RTC_HOURS]), 23u) * 3600 +
		    MIN(dec(rtc, r[RTC_MINUTES]), 59u) * 60 + MIN(dec(rtc, r[RTC_SECONDS]), 59u);
	struct rtc_time tm;

	vrtc_epoch_to_time(t, &tm);
	rtc->wday_off = wday >= 1 && wday <= 7 ? (uint8_t)((wday - 1 + 7 - tm.wday) % 7) : 0;
	return t;
}

/* The registers' time becomes the current time; the divider's phase stays. */
static void resume_from_regs(struct vrtc *rtc, uint64_t now)
{
	rtc->base_time = load_time(rtc) - (int64_t)updates_by(rtc, now);
}

/* --- alarm -------------------------------------------------------------- */

#define ALARM_ANY (-1)
#define ALARM_NEVER (-2)

/* An alarm byte as the value it matches. A byte that no valid time encodes
 * to never matches (the chip compares bytes). */
static int alarm_field(const struct vrtc *rtc, uint8_t b, unsigned int max, bool hours)
{
	unsigned int v;

	if ((b & RTC_ALARM_DONT_CARE) == RTC_ALARM_DONT_CARE)
		return ALARM_ANY;
	v = hours ? dec_hour(rtc, b) : dec(rtc, b);
	if (v > max || (hours ? enc_hour(rtc, v) : enc(rtc, v)) != b)
		return ALARM_NEVER;
	return (int)v;
}

/* First time of day at or after h0:m0:s0 matching spec[] = {h, m, s}. Each
 * loop runs at most twice: a later hour or minute starts its seconds at 0. */
static bool next_time_of_day(const int spec[3], unsigned int h0, unsigned int m0, unsigned int s0,
			     unsigned int *tod)
{
	unsigned int lo[3], hi[3];
	static const unsigned int max[3] = { 23, 59, 59 };

	for (unsigned int i = 0; i < 3; i++) {
		if (spec[i] == ALARM_NEVER)
			return false;
		lo[i] = spec[i] == ALARM_ANY ? 0 : (unsigned int)spec[i];
		hi[i] = spec[i] == ALARM_ANY ? max[i] : (unsigned int)spec[i];
	}
	for (unsigned int h = MAX(h0, lo[0]); h <= hi[0]; h++) {
		for (unsigned int m = MAX(h == h0 ? m0 : 0, lo[1]); m <= hi[1]; m++) {
			unsigned int s = MAX(h == h0 && m == m0 ? s0 : 0, lo[2]);

			if (s <= hi[2]) {
				*tod = h * 3600 + m * 60 + s;
				return true;
			}
		}
	}
	return false;
}

/* The first time after t that the alarm bytes match, or NO_ALARM. */
static int64_t next_alarm(const struct vrtc *rtc, int64_t t)
{
	const int spec[3] = {
		alarm_field(rtc, rtc->cmos[RTC_HOURS_ALARM], 23, true),
		alarm_field(rtc, rtc->cmos[RTC_MINUTES_ALARM], 59, false),
		alarm_field(rtc, rtc->cmos[RTC_SECONDS_ALARM], 59, false),
	};
	int64_t day = floor_div(t + 1, SECS_PER_DAY);
	unsigned int sod = (unsigned int)(t + 1 - day * SECS_PER_DAY), tod;

	if (next_time_of_day(spec, sod / 3600, sod / 60 % 60, sod % 60, &tod))
		return day * SECS_PER_DAY + tod;
	if (next_time_of_day(spec, 0, 0, 0, &tod))
		return (day + 1) * SECS_PER_DAY + tod;
	return NO_ALARM;
}

/* --- flags and IRQ8 ----------------------------------------------------- */

/* Sets the flags for what happened in (sync_ns, now]. PF, AF and UF are set
 * whether or not their interrupts are enabled. */
static void rtc_sync(struct vrtc *rtc, uint64_t now)
{
	uint64_t from = rtc->sync_ns, k0, k1;
	int64_t alarm;

	if (now <= from)
		return;
	rtc->sync_ns = now;
	if (!divider_running(rtc))
		return;
	if (periodic_cycles(rtc) && next_periodic(rtc, from) <= now)
		rtc->flags |= RTC_C_PF;
	if (rtc->cmos[RTC_REG_B] & RTC_B_SET)
		return;
	k0 = updates_by(rtc, from);
	k1 = updates_by(rtc, now);
	if (k1 == k0)
		return;
	rtc->flags |= RTC_C_UF;
	alarm = next_alarm(rtc, rtc->base_time + (int64_t)k0);
	if (alarm != NO_ALARM && alarm <= rtc->base_time + (int64_t)k1)
		rtc->flags |= RTC_C_AF;
}

static bool irqf(const struct vrtc *rtc)
{
	return rtc->flags & rtc->cmos[RTC_REG_B] & RTC_FLAGS_MASK;
}

/* The IRQ pin follows IRQF: it stays asserted until register C is read or
 * the enables are cleared. */
static void rtc_update_irq(struct vrtc *rtc)
{
	bool level = irqf(rtc);

	if (level != rtc->line) {
		rtc->line = level;
		irq_out_set(&rtc->irq, level);
	}
}

static uint64_t rtc_now(const struct vrtc *rtc)
{
	return MAX(vclock_now(&rtc->clock), rtc->sync_ns);
}

/* --- registers ---------------------------------------------------------- */

/* Register A or B changed: SET and the divider decide whether the time
 * counts (from the registers) or is held (in the registers). */
static void rtc_set_ab(struct vrtc *rtc, uint8_t a, uint8_t b, uint64_t now)
{
	bool was_updating = updating(rtc), was_running = divider_running(rtc);
	int64_t t = was_updating ? time_at(rtc, now) : 0;

	rtc->cmos[RTC_REG_A] = a & ~RTC_A_UIP;
	rtc->cmos[RTC_REG_B] = b;
	if (divider_running(rtc) && !was_running)
		rtc->div_ns = now;
	if (was_updating && !updating(rtc))
		store_time(rtc, t);
	else if (!was_updating && updating(rtc))
		resume_from_regs(rtc, now);
}

static uint8_t rtc_read_reg(struct vrtc *rtc, uint8_t idx, uint64_t now)
{
	uint8_t v;

	if (is_time_reg(idx))
		return updating(rtc) ? time_reg(rtc, idx, time_at(rtc, now)) : rtc->cmos[idx];
	switch (idx) {
	case RTC_REG_A:
		return (uint8_t)(rtc->cmos[RTC_REG_A] | (uip(rtc, now) ? RTC_A_UIP : 0));
	case RTC_REG_C: /* reading clears every flag */
		v = (uint8_t)(rtc->flags | (irqf(rtc) ? RTC_C_IRQF : 0));
		rtc->flags = 0;
		return v;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return rtc->cmos[idx];
	}
}

static void rtc_write_reg(struct vrtc *rtc, uint8_t idx, uint8_t val, uint64_t now)
{
	if (is_time_reg(idx)) {
		if (!updating(rtc)) {
			rtc->cmos[idx] = val;
			return;
		}
		/* Written while counting: the next update counts on from it. */
		store_time(rtc, time_at(rtc, now));
		rtc->cmos[idx] = val;
		resume_from_regs(rtc, now);
		return;
	}
	switch (idx) {
	case RTC_REG_A:
		rtc_set_ab(rtc, val, rtc->cmos[RTC_REG_B], now);
		break;
	case RTC_REG_B:
		/* Datasheet: SET going high clears UIE. */
		if ((val & RTC_B_SET) && !(rtc->cmos[RTC_REG_B] & RTC_B_SET))
			val &= ~RTC_B_UIE;
		rtc_set_ab(rtc, rtc->cmos[RTC_REG_A], val, now);
		break;
	case RTC_REG_C: /* read-only */
	case RTC_REG_D:
		break;
	default:
		rtc->cmos[idx] = val;
		break;
	}
}

static uint8_t rtc_read_port(struct vrtc *rtc, uint64_t port, uint64_t now)
{
	if (port == RTC_PORT_DATA)
		return rtc_read_reg(rtc, rtc->index, now);
	return 0xff; /* the index port is write-only */
}

static void rtc_write_port(struct vrtc *rtc, uint64_t port, uint8_t val, uint64_t now)
{
	if (port == RTC_PORT_INDEX) {
		rtc->index = val & (RTC_CMOS_SIZE - 1);
		rtc->nmi_disabled = val & 0x80;
	} else if (port == RTC_PORT_DATA) {
		rtc_write_reg(rtc, rtc->index, val, now);
	}
}

/* --- interface ---------------------------------------------------------- */

static const struct io_device_ops vrtc_ops;

void vrtc_init(struct vrtc *rtc, const struct vclock *clock, const struct irq_out *irq,
	       int64_t epoch)
{
	memset(rtc, 0, sizeof(*rtc));
	rtc->dev.ops = &vrtc_ops;
	rtc->dev.opaque = rtc;
	rtc->dev.name = "rtc";
	rtc->clock = *clock;
	if (irq)
		rtc->irq = *irq;
	rtc->cmos[RTC_REG_A] = RTC_A_POWER_ON;
	rtc->cmos[RTC_REG_B] = RTC_B_POWER_ON;
	rtc->div_ns = rtc->sync_ns = vclock_now(&rtc->clock);
	rtc->base_time = MIN(MAX(epoch, EPOCH_MIN), EPOCH_MAX);
}

uint8_t vrtc_inb(struct vrtc *rtc, uint16_t port)
{
	uint64_t now = rtc_now(rtc);
	uint8_t v;

	rtc_sync(rtc, now);
	v = rtc_read_port(rtc, port, now);
	rtc_update_irq(rtc);
	return v;
}

void vrtc_outb(struct vrtc *rtc, uint16_t port, uint8_t val)
{
	uint64_t now = rtc_now(rtc);

	rtc_sync(rtc, now);
	rtc_write_port(rtc, port, val, now);
	rtc_update_irq(rtc);
}

bool vrtc_nmi_disabled(const struct vrtc *rtc)
{
	return rtc->nmi_disabled;
}

static void cmos_set16(struct vrtc *rtc, uint8_t idx, uint64_t v)
{
	rtc->cmos[idx] = (uint8_t)v;
	rtc->cmos[idx + 1] = (uint8_t)(v >> 8);
}

void vrtc_set_memory_size(struct vrtc *rtc, uint64_t bytes)
{
	uint64_t kib = bytes / KiB, below_4g = MIN(bytes, 4 * GiB), sum = 0;
	uint64_t ext = kib > 1024 ? MIN(kib - 1024, 0xffff) : 0;
	uint64_t above_16m =
		below_4g > 16 * MiB ? MIN((below_4g - 16 * MiB) / (64 * KiB), 0xffff) : 0;
	uint64_t above_4g = bytes > 4 * GiB ? MIN((bytes - 4 * GiB) / (64 * KiB), 0xffffff) : 0;

	cmos_set16(rtc, CMOS_BASE_MEM_KB, MIN(kib, 640));
	cmos_set16(rtc, CMOS_EXT_MEM_KB, ext);
	cmos_set16(rtc, CMOS_EXT_MEM_KB_COPY, ext);
	cmos_set16(rtc, CMOS_MEM_ABOVE_16M_64K, above_16m);
	cmos_set16(rtc, CMOS_MEM_ABOVE_4G_64K, above_4g);
	rtc->cmos[CMOS_MEM_ABOVE_4G_64K + 2] = (uint8_t)(above_4g >> 16);
	for (unsigned int i = 0x10; i < CMOS_CHECKSUM; i++)
		sum += rtc->cmos[i];
	rtc->cmos[CMOS_CHECKSUM] = (uint8_t)(sum >> 8);
	rtc->cmos[CMOS_CHECKSUM + 1] = (uint8_t)sum;
}

uint64_t vrtc_next_deadline(struct vrtc *rtc)
{
	uint64_t d = DEADLINE_NONE, from = rtc->sync_ns, k0;
	uint8_t b = rtc->cmos[RTC_REG_B];
	int64_t alarm;

	if (rtc->line || !divider_running(rtc))
		return DEADLINE_NONE;
	if ((b & RTC_B_PIE) && periodic_cycles(rtc))
		d = next_periodic(rtc, from);
	if ((b & RTC_B_SET) || !(b & (RTC_B_UIE | RTC_B_AIE)))
		return d;
	k0 = updates_by(rtc, from);
	if (b & RTC_B_UIE)
		d = MIN(d, update_ns(rtc, k0 + 1));
	if (b & RTC_B_AIE) {
		alarm = next_alarm(rtc, rtc->base_time + (int64_t)k0);
		if (alarm != NO_ALARM)
			d = MIN(d, update_ns(rtc, (uint64_t)(alarm - rtc->base_time)));
	}
	return d;
}

void vrtc_poll(struct vrtc *rtc, uint64_t now)
{
	rtc_sync(rtc, now);
	rtc_update_irq(rtc);
}

/* Byte-wide ports: a wider access is split over consecutive ports (so a
 * 16-bit write to 0x70 selects the register and writes it). */
static int rtc_io_read(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t *val)
{
	struct vrtc *rtc = dev->opaque;
	uint64_t now = rtc_now(rtc);

	rtc_sync(rtc, now);
	*val = 0;
	for (uint32_t i = 0; i < len && i < 8; i++)
		*val |= (uint64_t)rtc_read_port(rtc, addr + i, now) << (8 * i);
	rtc_update_irq(rtc);
	return 0;
}

static int rtc_io_write(struct io_device *dev, uint64_t addr, uint32_t len, uint64_t val)
{
	struct vrtc *rtc = dev->opaque;
	uint64_t now = rtc_now(rtc);

	rtc_sync(rtc, now);
	for (uint32_t i = 0; i < len && i < 8; i++)
		rtc_write_port(rtc, addr + i, (uint8_t)(val >> (8 * i)), now);
	rtc_update_irq(rtc);
	return 0;
}

static const struct io_device_ops vrtc_ops = {
	.read = rtc_io_read,
	.write = rtc_io_write,
};

int vrtc_register(struct vrtc *rtc, struct io_bus *bus)
{
	int rc = io_bus_register(bus, RTC_PORT_INDEX, 2, &rtc->dev);

	if (rc)
		pr_err("rtc: cannot claim ports 0x70-0x71: error %d", rc);
	return rc;
}
