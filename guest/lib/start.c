/* C side of the start-up: entry.asm calls guest_start() on the guest's
 * own stack with its GDT loaded. */
#include "check.h"
#include "cmdline.h"
#include "serial.h"
#include "guest.h"
#include "multiboot.h"
#include "printf.h"
#include "string.h"
#include "trap.h"
#include "x86.h"

#define DEBUG_EXIT_PORT 0xF4 /* isa-debug-exit, 32-bit write */

struct boot_info boot_info;

__attribute__((noreturn)) void guest_start(uint32_t magic, const struct mb_info *mb);

static void copy_boot_info(const struct mb_info *mb)
{
	if (mb->flags & MB_INFO_MEMORY) {
		boot_info.has_memory = true;
		boot_info.mem_lower_kib = mb->mem_lower;
		boot_info.mem_upper_kib = mb->mem_upper;
	}
	if (mb->flags & MB_INFO_CMDLINE) {
		const char *s = (const char *)(uintptr_t)mb->cmdline;
		size_t n = strlen(s);

		if (n >= sizeof(boot_info.cmdline))
			n = sizeof(boot_info.cmdline) - 1;
		memcpy(boot_info.cmdline, s, n);
	}
	if (mb->flags & MB_INFO_MODS) {
		boot_info.mods_count = mb->mods_count;
		boot_info.mods_addr = mb->mods_addr;
	}
}

void guest_start(uint32_t magic, const struct mb_info *mb)
{
	trap_init();
	if (magic != MB_BOOT_MAGIC) {
		check_fail("multiboot_magic", "EAX=0x%x, not a multiboot v1 loader", magic);
		guest_exit(check_finish());
	}
	copy_boot_info(mb);
	unsigned int n = 0;
	const char *port = cmdline_value("serial", &n);
	if (port && n == 4 && !memcmp(port, "com2", 4))
		serial_use_com2();
	guest_exit((uint32_t)guest_main());
}

void guest_exit(uint32_t code)
{
	outl(DEBUG_EXIT_PORT, code);
	halt_forever();
}
