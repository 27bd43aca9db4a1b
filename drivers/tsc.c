/* TSC frequency discovery and the monotonic clock. */
#include "drivers/tsc.h"
#include "drivers/pit.h"
#include "hv/x86.h"

#define PM_TIMER_HZ 3579545ULL   /* ACPI PM timer, ACPI 6.x s4.8.3.3 */
#define CALIBRATE_MS 10
#define ASSUMED_HZ 4000000000ULL /* before calibration: never wait too little */
#define PM_SPIN_LIMIT 100000000ULL

static uint64_t tsc_freq;
static uint64_t tsc_at_init;
static uint64_t ns_per_tick_q32; /* nanoseconds per TSC tick, 32.32 fixed point */
static uint64_t ticks_per_ns_q32; /* TSC ticks per nanosecond, 32.32 fixed point */

const char *tsc_source_name(enum tsc_source s)
{
	switch (s) {
	case TSC_SRC_CPUID15: return "cpuid 0x15";
	case TSC_SRC_CPUID16: return "cpuid 0x16";
	case TSC_SRC_PMTIMER: return "pm timer";
	case TSC_SRC_PIT: return "pit";
	default: return "none";
	}
}

static uint64_t from_cpuid(enum tsc_source *src)
{
	uint32_t max = cpuid(0, 0).eax;

	if (max >= 0x15) {
		struct cpuid_regs r = cpuid(0x15, 0); /* SDM 2 CPUID leaf 15H */
		if (r.eax && r.ebx && r.ecx) {
			*src = TSC_SRC_CPUID15;
			return (uint64_t)r.ecx * r.ebx / r.eax;
		}
	}
	if (max >= 0x16) {
		struct cpuid_regs r = cpuid(0x16, 0); /* base frequency in MHz */
		if (r.eax & 0xFFFF) {
			*src = TSC_SRC_CPUID16;
			return (uint64_t)(r.eax & 0xFFFF) * 1000000;
		}
	}
	return 0;
}

static uint64_t from_pm_timer(uint16_t port, bool is32)
{
	uint32_t mask = is32 ? 0xFFFFFFFFu : 0xFFFFFFu;
	uint64_t want = PM_TIMER_HZ * CALIBRATE_MS / 1000;
	uint32_t start = inl(port) & mask;
	uint64_t t0 = rdtsc();
	uint64_t elapsed = 0, spins = 0;

	while (elapsed < want) {
		elapsed = ((inl(port) & mask) - start) & mask;
		if (++spins > PM_SPIN_LIMIT)
			return 0;
	}
	uint64_t dt = rdtsc() - t0;
	return dt * PM_TIMER_HZ / elapsed;
}

static uint64_t from_pit(void)
{
	uint16_t ticks = (uint16_t)(PIT_HZ * CALIBRATE_MS / 1000);
	uint64_t dt = pit_measure_tsc(ticks);
	return dt ? dt * PIT_HZ / ticks : 0;
}

enum tsc_source tsc_init(uint16_t pm_port, bool pm_32bit)
{
	enum tsc_source src = TSC_SRC_NONE;
	uint64_t hz = from_cpuid(&src);

	if (!hz && pm_port) {
		hz = from_pm_timer(pm_port, pm_32bit);
		src = TSC_SRC_PMTIMER;
	}
	if (!hz) {
		hz = from_pit();
		src = TSC_SRC_PIT;
	}
	if (!hz) {
		hz = ASSUMED_HZ;
		src = TSC_SRC_NONE;
	}
	ns_per_tick_q32 = (1000000000ULL << 32) / hz;
	/* (hz << 32) / 1e9 without a 128-bit division (no libgcc here) */
	ticks_per_ns_q32 = ((hz / 1000000000ULL) << 32) + ((hz % 1000000000ULL) << 32) / 1000000000ULL;
	tsc_at_init = rdtsc();
	tsc_freq = hz;
	return src;
}

uint64_t tsc_hz(void)
{
	return tsc_freq;
}

uint64_t clock_ns(void)
{
	if (!tsc_freq)
		return 0;
	/* 128-bit product, no division: no libgcc helpers in a freestanding build */
	unsigned __int128 d = rdtsc() - tsc_at_init;
	return (uint64_t)((d * ns_per_tick_q32) >> 32);
}

uint64_t tsc_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * ns_per_tick_q32) >> 32);
}

uint64_t ns_to_tsc(uint64_t ns)
{
	/* saturates: a guest may ask for a deadline centuries away (Linux
	 * arms its TSC-deadline timer ~2^63 ticks out when idle), which must
	 * stay "far", not wrap into the past */
	unsigned __int128 t = ((unsigned __int128)ns * ticks_per_ns_q32) >> 32;
	return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

uint64_t clock_us(void)
{
	return clock_ns() / 1000;
}

uint64_t tsc_deadline_us(uint64_t us)
{
	uint64_t hz = tsc_freq ? tsc_freq : ASSUMED_HZ;
	return rdtsc() + hz / 1000000 * us;
}

bool tsc_passed(uint64_t deadline)
{
	return (int64_t)(rdtsc() - deadline) >= 0;
}

void udelay(uint64_t us)
{
	uint64_t d = tsc_deadline_us(us);
	while (!tsc_passed(d))
		cpu_relax();
}
