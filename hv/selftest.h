/* Built-in self-test (`selftest` on the command line): what only the real
 * machine (or an emulator) can check. Prints "selftest: N passed, M failed". */
#ifndef HV_SELFTEST_H
#define HV_SELFTEST_H

#include "hv/bootinfo.h"

/* Returns the number of failed checks. */
int selftest_run(const struct boot_info *bi);

#endif
