/* The host's MC146818 RTC, read once at boot for the VMs' RTC time. */
#ifndef DRIVERS_CMOS_RTC_H
#define DRIVERS_CMOS_RTC_H

#include "hv/compiler.h"

/* Seconds since 1970-01-01 00:00 UTC (the RTC is assumed to hold UTC, as
 * Linux and QEMU keep it), or -1 if the clock reads as nonsense. */
int64_t cmos_rtc_read_epoch(void);

#endif
