/* Leaving emulators on request (done=exit), for tests and benchmarks. */
#include "hv/shutdown.h"
#include "hv/cmdline.h"
#include "hv/x86.h"

#define BOCHS_SHUTDOWN_PORT 0x8900 /* Bochs ends on the bytes "Shutdown" */
#define QEMU_DEBUG_EXIT_PORT 0xF4  /* -device isa-debug-exit,iobase=0xf4 */

static int done_action = DONE_HALT;

void hv_set_done_action(int action)
{
	done_action = action;
}

void hv_done(enum hv_exit_code code)
{
	if (done_action != DONE_EXIT)
		return;
	outl(QEMU_DEBUG_EXIT_PORT, code);
	for (const char *s = "Shutdown"; *s; s++)
		outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
}
