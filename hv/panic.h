/* Stopping the machine when a hypervisor invariant breaks. Never for guest
 * behaviour or bad input: those are reported and handled. */
#ifndef HV_PANIC_H
#define HV_PANIC_H

#include "hv/compiler.h"
#include "hv/trap.h"

/* Prints "hv: panic: <reason>", a backtrace, stops every CPU, never returns. */
void __noreturn panic(const char *fmt, ...) __printf(1, 2);

/* The pieces, for the exception path: claim the panic (a second CPU that
 * panics meanwhile just stops), then stop everyone. */
void panic_begin(void);
void __noreturn panic_stop_all(void);
/* NMI handler: stops this CPU if a panic is in progress. */
void panic_nmi(struct trap_frame *f);
bool panic_in_progress(void);

/* `hv: fatal: <reason>` and stop: for conditions before SMP where the
 * hypervisor cannot go on (bad boot information...). */
void __noreturn fatal(const char *fmt, ...) __printf(1, 2);

#endif
