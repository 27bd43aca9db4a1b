/* Guest RAM from the inside (docs/guest-abi.md):
 *  - every 32-bit word of RAM the guest does not itself occupy gets a
 *    pattern unique to its address, then is read back: catches missing,
 *    aliased (two addresses backed by one host page) and lost memory;
 *  - `ro=<hex>`: a read-only slot. Reads work; a write is ignored and the
 *    VM goes on (the value must be unchanged afterwards);
 *  - `unmapped=<hex>`: an address outside RAM and devices. The hypervisor
 *    stops the VM on the read ("vm <name>: stopped: unmapped access"), so a
 *    read that returns is a FAIL.
 * The accesses to ro= and unmapped= are single `mov` instructions with a
 * register operand, the simplest thing for a hypervisor to decode. */
#include "check.h"
#include "cmdline.h"
#include "guest.h"
#include "printf.h"

const char guest_name[] = "memtest";

#define KiB 1024U
#define MiB (1024U * 1024U)
#define PAGE_SIZE 4096U
/* Low memory left alone: page 0 (real-mode IVT, BIOS data) and the
 * multiboot info block and memory map (docs/guest-abi.md). */
#define LOW_TEST_START PAGE_SIZE
#define MB_INFO_START 0x9000U
#define MB_INFO_END 0xA000U
#define PATTERN_XOR 0xA5C3F00FU /* toggles bits in both halves of each word */

extern char _end[]; /* guest.ld: first byte after the image (and its bss) */

static uint32_t pattern(uint32_t addr) { return addr ^ PATTERN_XOR; }

/* Fills [start, end) then reads it back. Two passes, so a later write that
 * lands on an earlier address (aliasing) is seen. */
static void test_range(const char *name, uint32_t start, uint32_t end)
{
	uint32_t bad = 0, first_bad = 0, first_val = 0;

	if (end <= start) {
		check_skip(name, "no such memory");
		return;
	}
	printf("memtest: %s 0x%08x-0x%08x (%u KiB)\n", name, start, end, (end - start) / KiB);
	for (uint32_t a = start; a < end; a += 4)
		*(volatile uint32_t *)a = pattern(a);
	for (uint32_t a = start; a < end; a += 4) {
		uint32_t v = *(volatile uint32_t *)a;

		if (v != pattern(a) && bad++ == 0)
			first_bad = a, first_val = v;
	}
	check(bad == 0, name, "%u bad words, first at 0x%08x: 0x%08x, want 0x%08x", bad, first_bad, first_val,
	      pattern(first_bad));
}

static uint32_t read32(uint32_t addr)
{
	uint32_t v;

	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static void write32(uint32_t addr, uint32_t v) { __asm__ volatile("movl %1, (%0)" ::"r"(addr), "r"(v) : "memory"); }

static void test_read_only(uint32_t addr)
{
	uint32_t before = read32(addr), after;

	printf("memtest: read-only 0x%08x holds 0x%08x\n", addr, before);
	write32(addr, ~before);
	after = read32(addr);
	check(after == before, "ro_write_ignored", "wrote 0x%08x over 0x%08x, read back 0x%08x", ~before, before,
	      after);
}

static void touch_unmapped(uint32_t addr)
{
	uint32_t v;

	printf("memtest: touching unmapped 0x%08x\n", addr);
	v = read32(addr);
	check_fail("unmapped_stops_vm", "the read returned 0x%08x", v);
}

int guest_main(void)
{
	uint32_t image_end = ((uint32_t)(uintptr_t)_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint32_t addr;

	if (!check(boot_info.has_memory && boot_info.mem_upper_kib > 0, "memory_info", "the loader gave none"))
		return check_finish();
	test_range("low_ram", LOW_TEST_START, MB_INFO_START);
	test_range("low_ram_above_info", MB_INFO_END, boot_info.mem_lower_kib * KiB);
	test_range("high_ram", image_end, 1 * MiB + boot_info.mem_upper_kib * KiB);
	if (cmdline_hex("ro", &addr))
		test_read_only(addr);
	if (cmdline_hex("unmapped", &addr))
		touch_unmapped(addr);
	return check_finish();
}
