/* The hypercall ABI (docs/guest-abi.md "Hypercalls: VMCALL"), then
 * HC_EXIT with code 7: under the hypervisor the expected exit code is 7.
 * `nohc` (plain qemu, where VMCALL raises #UD) skips every hypercall and
 * exits 0 through isa-debug-exit. */
#include "check.h"
#include "cmdline.h"
#include "guest.h"
#include "hypercall.h"
#include "printf.h"
#include "string.h"

const char guest_name[] = "hypercall";

#define EXIT_CODE 7
#define UNKNOWN_HC 0x4C0FFEE /* no such hypercall */
#define MARKER 0x600DF00DU

static const char message[] = "hypercall: this line came through HC_PRINT\n";

/* An unknown number must return HC_ENOSYS with RIP past the VMCALL: the
 * instruction right after it must run (and only once, not skipped). */
static void check_unknown(void)
{
	uint32_t ret, marker = 0;

	__asm__ volatile("vmcall\n\t"
			 "movl %2, %1"
			 : "=a"(ret), "+r"(marker)
			 : "i"(MARKER), "a"(UNKNOWN_HC)
			 : "memory");
	check((int32_t)ret == HC_ENOSYS && marker == MARKER, "unknown_returns_enosys",
	      "returned %d, marker 0x%x", (int32_t)ret, marker);
}

/* The first byte past the memory the loader reported is not RAM: RAM from
 * 1 MiB is contiguous up to mem_upper by the definition of mem_upper. */
static uint32_t address_past_ram(void) { return 0x100000U + boot_info.mem_upper_kib * 1024U; }

int guest_main(void)
{
	int32_t ret;

	if (cmdline_has("nohc")) {
		check_skip("hc_nop", "nohc");
		check_skip("hc_print", "nohc");
		check_skip("hc_print_bad_address", "nohc");
		check_skip("unknown_returns_enosys", "nohc");
		check_skip("hc_exit", "nohc");
		return check_finish();
	}
	ret = hypercall0(HC_NOP);
	check(ret == 0, "hc_nop", "returned %d", ret);

	ret = hypercall2(HC_PRINT, (uint32_t)(uintptr_t)message, strlen(message));
	check(ret == 0, "hc_print", "returned %d", ret);

	if (boot_info.has_memory) {
		ret = hypercall2(HC_PRINT, address_past_ram(), 16);
		check(ret == HC_EINVAL, "hc_print_bad_address", "0x%08x returned %d", address_past_ram(), ret);
	} else {
		check_skip("hc_print_bad_address", "no memory information to find the end of RAM");
	}

	check_unknown();
	check_finish();

	printf("hypercall: exiting through HC_EXIT with code %u\n", EXIT_CODE);
	ret = hypercall2(HC_EXIT, EXIT_CODE, 0);
	check_fail("hc_exit", "returned %d", ret);
	return 1;
}
