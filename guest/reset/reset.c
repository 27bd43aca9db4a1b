/* Guest-initiated reset with memory kept: boots, counts its boots in RAM
 * the loader does not touch, and resets the machine through the port named
 * on its command line (`via=cf9|92|kbd`) until it has booted `boots=N`
 * times (default 2); then exits with the boot count. */
#include <stdint.h>

#include "check.h"
#include "cmdline.h"
#include "guest.h"
#include "printf.h"
#include "x86.h"

const char guest_name[] = "reset";

/* Above the image and below 2 MiB: untouched by the loader on a restart. */
#define BOOT_COUNTER ((volatile uint32_t *)0x180000)
#define BOOT_MAGIC 0x52455345u /* "RESE" */
#define BOOT_MAGIC_AT ((volatile uint32_t *)0x180004)

static void reset_machine(void)
{
	unsigned int len = 0;
	const char *v = cmdline_value("via", &len);
	char via = v && len ? v[0] : 'c';
	printf("reset: resetting via %s\n", via == '9' ? "port 0x92" : via == 'k' ? "the i8042" : "0xcf9");
	if (via == '9') {
		outb(0x92, inb(0x92) & (uint8_t)~1);
		outb(0x92, inb(0x92) | 1); /* fast reset: 0 -> 1 on bit 0 */
	} else if (via == 'k') {
		outb(0x64, 0xFE); /* i8042: pulse the reset line */
	} else {
		outb(0xCF9, 0x06); /* reset control: SYS_RST | RST_CPU */
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}

int guest_main(void)
{
	uint32_t boots = 2;
	cmdline_uint("boots", &boots);
	if (*BOOT_MAGIC_AT != BOOT_MAGIC) {
		*BOOT_MAGIC_AT = BOOT_MAGIC;
		*BOOT_COUNTER = 0;
	}
	uint32_t n = ++*BOOT_COUNTER;
	printf("reset: boot %u\n", n);
	if (n < boots)
		reset_machine();
	check(n == boots, "memory_kept_across_resets", "boot %u", n);
	return check_finish() ? 1 : (int)n;
}
