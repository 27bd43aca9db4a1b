/* libFuzzer harness for the hypervisor command-line parser (hv/cmdline.c).
 * The input, NUL-terminated in an exact-size heap copy, is the command line;
 * whatever it says, the options must stay within their documented ranges. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/cmdline.h"
#include "hv/log.h"
#include "test_log.h"

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_options opt;
	char *line = malloc(size + 1);

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	test_log_reset();

	cmdline_defaults(&opt);
	int bad = cmdline_parse(line, &opt);

	check(bad >= 0 && (uint32_t)bad == opt.bad_options);
	check(test_log_count() == bad); /* one warning per rejected option */
	check(opt.loglevel >= LOG_FATAL && opt.loglevel <= LOG_DEBUG);
	check(opt.console_port != 0 && opt.console_port <= 0xFFF8);
	check(opt.console_baud != 0 && 115200 % opt.console_baud == 0);
	check(opt.on_done == DONE_HALT || opt.on_done == DONE_EXIT);

	/* Parsing is a pure function of the text: a second run agrees. */
	struct hv_options again;
	cmdline_defaults(&again);
	check(cmdline_parse(line, &again) == bad);
	check(again.console_port == opt.console_port && again.console_baud == opt.console_baud &&
	      again.console_none == opt.console_none && again.loglevel == opt.loglevel &&
	      again.smp_max == opt.smp_max && again.selftest == opt.selftest &&
	      again.acpidump == opt.acpidump && again.x2apic_off == opt.x2apic_off &&
	      again.on_done == opt.on_done);
	free(line);
	return 0;
}
