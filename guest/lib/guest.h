/* What every guest program provides and gets from the runtime in lib/.
 * A guest defines guest_name and guest_main(); the runtime (start.c) has
 * already loaded a GDT and an IDT that reports stray exceptions, copied the
 * command line and the memory sizes out of the multiboot info, and exits
 * with guest_main()'s return value. */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdbool.h>
#include <stdint.h>

extern const char guest_name[];
int guest_main(void);

/* From the multiboot info, copied at start-up: the loader may have put
 * the originals in RAM a guest goes on to overwrite (qemu puts the command
 * line right after the image, where memtest writes). */
struct boot_info {
	bool has_memory; /* mem_lower/mem_upper below are valid */
	uint32_t mem_lower_kib;
	uint32_t mem_upper_kib;
	char cmdline[256]; /* "" when the loader gave none */
	uint32_t mods_count;  /* boot modules (0 when the loader gave none) */
	uint32_t mods_addr;   /* their struct mb_module array (multiboot.h) */
};
extern struct boot_info boot_info;

/* Ends the VM through isa-debug-exit (port 0xF4, docs/guest-abi.md); halts
 * if nothing is listening there. */
__attribute__((noreturn)) void guest_exit(uint32_t code);

#endif
