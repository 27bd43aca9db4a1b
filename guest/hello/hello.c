/* The smallest guest: shows that loading, entry, the console and exit
 * work, and echoes what the loader passed. `exit=<n>` on the command line
 * sets the exit code (tests use it to check exit-code plumbing). */
#include "cmdline.h"
#include "guest.h"
#include "multiboot.h"
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
	/* boot modules as the loader placed them: their strings, sizes and a
	 * checksum of their bytes, so runs under QEMU and the hypervisor can be
	 * compared line for line */
	const struct mb_module *mods = (const struct mb_module *)(uintptr_t)boot_info.mods_addr;
	for (uint32_t i = 0; i < boot_info.mods_count && i < 16; i++) {
		uint32_t sum = 0;
		for (uint32_t a = mods[i].mod_start; a < mods[i].mod_end; a++)
			sum = sum * 31 + *(const volatile uint8_t *)(uintptr_t)a;
		printf("hello: module %u \"%s\" %u bytes sum 0x%08x%s\n", i, (const char *)(uintptr_t)mods[i].string,
		       mods[i].mod_end - mods[i].mod_start, sum, mods[i].mod_start & 0xFFF ? " unaligned" : "");
	}
	cmdline_uint("exit", &code);
	printf("hello: exiting with code %u\n", code);
	return (int)code;
}
