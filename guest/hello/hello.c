/* The smallest guest: shows that loading, entry, the console and exit
 * work, and echoes what the loader passed. `exit=<n>` on the command line
 * sets the exit code (tests use it to check exit-code plumbing). */
#include "cmdline.h"
#include "guest.h"
#include "printf.h"

const char guest_name[] = "hello";

int guest_main(void)
{
	uint32_t code = 0;

	printf("hello from a guest\n");
	printf("hello: cmdline \"%s\"\n", boot_info.cmdline);
	if (boot_info.has_memory)
		printf("hello: mem_upper %u KiB\n", boot_info.mem_upper_kib);
	else
		printf("hello: no memory information\n");
	cmdline_uint("exit", &code);
	printf("hello: exiting with code %u\n", code);
	return (int)code;
}
