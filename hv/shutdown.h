/* What the hypervisor does when it has nothing left to do, or must stop. */
#ifndef HV_SHUTDOWN_H
#define HV_SHUTDOWN_H

#include "hv/compiler.h"

/* Exit codes seen by emulators (QEMU isa-debug-exit reports (code<<1)|1). */
enum hv_exit_code {
	HV_EXIT_OK = 0x10,
	HV_EXIT_FAILED = 0x11,   /* e.g. a self-test failed */
	HV_EXIT_FATAL = 0x12,
	HV_EXIT_PANIC = 0x13,
};

/* With done=exit on the command line, leaves the emulator (Bochs: "Shutdown"
 * to port 0x8900; QEMU: isa-debug-exit at 0xF4); otherwise returns and the
 * caller halts or idles. */
void hv_done(enum hv_exit_code code);
void hv_set_done_action(int action);

#endif
