/* A guest that tries to break out of its memory. After checking that its
 * own RAM works, it writes to guest-physical addresses outside that RAM,
 * one after another: just past the end, 16 MiB, 64 MiB, 256 MiB, 1 GiB,
 * 0xFEB00000 (a hole below the IOAPIC) and 4 GiB (through PAE paging).
 * Under the hypervisor the first of those writes must stop the VM
 * ("vm NAME: stopped: unmapped access at 0x... (write)"), so every line
 * after the first "probing" line is a sign that isolation is broken.
 *
 * Under plain QEMU the same writes go to RAM or to nowhere and return:
 * `mode=selftest` runs only the own-memory part there.
 *
 * Each probe is one `mov` between a register and (reg), the simplest
 * access for a hypervisor to decode. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "guest.h"
#include "printf.h"
#include "string.h"
#include "x86.h"

const char guest_name[] = "hostile";

#define KiB 1024U
#define MiB (1024U * 1024U)
#define GiB (1024ULL * MiB)
#define PAGE_SIZE 4096U
#define OWN_WINDOW (64 * KiB) /* tested at each end of its RAM */
#define OWN_PATTERN 0x5AA5C33CU
#define PROBE_PATTERN 0x484F5354U /* "HOST", mixed with the address */
#define HOLE_ADDR 0xFEB00000ULL /* below the IOAPIC: no RAM, no device */
#define HIGH_ADDR (4 * GiB)

/* PAE paging (SDM 3A 4.4): a 4-entry PDPT, 2 MiB pages. The first GiB is
 * identity-mapped (the image, stack and IDT live there); the second GiB's
 * first 2 MiB page is the window onto a physical address above 4 GiB. */
#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PDE_PS (1ULL << 7)
#define LARGE_PAGE (2 * MiB)
#define WINDOW_VA 0x40000000U
#define CPUID1_EDX_PAE (1U << 6)
#define CPUID_EXT_ADDR_SIZES 0x80000008
#define DEFAULT_MAXPHYADDR 36

extern char _end[]; /* guest.ld: first byte after the image and its bss */

static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pd_low[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t pd_window[512] __attribute__((aligned(PAGE_SIZE)));

static uint32_t read32(uint32_t addr)
{
	uint32_t v;

	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static void write32(uint32_t addr, uint32_t v) { __asm__ volatile("movl %1, (%0)" ::"r"(addr), "r"(v) : "memory"); }

/* Writes then reads back [start, end); true when every word held. */
static bool own_window_ok(uint32_t start, uint32_t end)
{
	for (uint32_t a = start; a < end; a += 4)
		write32(a, a ^ OWN_PATTERN);
	for (uint32_t a = start; a < end; a += 4) {
		uint32_t v = read32(a);

		if (v != (a ^ OWN_PATTERN)) {
			printf("hostile: own memory at 0x%x holds 0x%08x, expected 0x%08x\n", a, v, a ^ OWN_PATTERN);
			return false;
		}
	}
	return true;
}

static uint32_t max_phys_bits(void)
{
	if (cpuid(CPUID_EXT_MAX, 0).eax >= CPUID_EXT_ADDR_SIZES)
		return cpuid(CPUID_EXT_ADDR_SIZES, 0).eax & 0xFF;
	return DEFAULT_MAXPHYADDR;
}

/* Turns PAE paging on around one write and one read through the window,
 * then off again (paging stays off everywhere else in the guest). */
static uint32_t pae_write(uint64_t addr, uint32_t v)
{
	uint32_t va = WINDOW_VA + (uint32_t)(addr & (LARGE_PAGE - 1)), back;

	for (uint32_t i = 0; i < 512; i++)
		pd_low[i] = (uint64_t)i * LARGE_PAGE | PDE_PS | PTE_RW | PTE_P;
	pd_window[0] = (addr & ~(uint64_t)(LARGE_PAGE - 1)) | PDE_PS | PTE_RW | PTE_P;
	pdpt[0] = (uint32_t)(uintptr_t)pd_low | PTE_P; /* a PDPTE has no RW bit in PAE mode */
	pdpt[1] = (uint32_t)(uintptr_t)pd_window | PTE_P;
	__asm__ volatile("mov %[pdpt], %%cr3\n\t"
			 "mov %%cr4, %%eax\n\t"
			 "or %[pae], %%eax\n\t"
			 "mov %%eax, %%cr4\n\t"
			 "mov %%cr0, %%eax\n\t"
			 "or %[pg], %%eax\n\t"
			 "mov %%eax, %%cr0\n\t"
			 "movl %[v], (%[va])\n\t"
			 "movl (%[va]), %[back]\n\t"
			 "mov %%cr0, %%eax\n\t"
			 "and %[nopg], %%eax\n\t"
			 "mov %%eax, %%cr0\n\t"
			 "mov %%cr4, %%eax\n\t"
			 "and %[nopae], %%eax\n\t"
			 "mov %%eax, %%cr4"
			 : [back] "=&r"(back)
			 : [pdpt] "r"(pdpt), [v] "r"(v), [va] "r"(va), [pae] "i"(CR4_PAE), [pg] "i"(CR0_PG),
			   [nopg] "i"(~CR0_PG), [nopae] "i"(~CR4_PAE)
			 : "eax", "memory");
	return back;
}

/* One probe. Under the hypervisor it does not return; true when the write
 * went through, false when the address cannot be tried from here. */
static bool probe(uint64_t addr)
{
	uint32_t v = PROBE_PATTERN ^ (uint32_t)addr, back;

	if (addr >= 4 * GiB) {
		if (!(cpuid(CPUID_FEATURES, 0).edx & CPUID1_EDX_PAE)) {
			printf("hostile: skipping 0x%llx (no PAE)\n", (unsigned long long)addr);
			return false;
		}
		if (addr >> max_phys_bits()) {
			printf("hostile: skipping 0x%llx (beyond MAXPHYADDR %u)\n", (unsigned long long)addr,
			       max_phys_bits());
			return false;
		}
	}
	printf("hostile: probing 0x%llx\n", (unsigned long long)addr);
	if (addr >= 4 * GiB) {
		back = pae_write(addr, v);
	} else {
		write32((uint32_t)addr, v);
		back = read32((uint32_t)addr);
	}
	printf("hostile: wrote 0x%08x to 0x%llx and went on (read back 0x%08x)\n", v, (unsigned long long)addr,
	       back);
	return true;
}

/* target=<hex>, up to 64 bits, with or without 0x. */
static bool parse_target(uint64_t *out)
{
	unsigned int len;
	const char *s = cmdline_value("target", &len);

	return s != NULL && parse_hex64(s, len, out);
}

static int fail(const char *why)
{
	printf("hostile: FAIL %s\n", why);
	return 1;
}

int guest_main(void)
{
	uint32_t image_end = ((uint32_t)(uintptr_t)_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint32_t ram_end, low_end, high_start;
	uint64_t probes[] = { 0, 16 * MiB, 64 * MiB, 256 * MiB, 1 * GiB, HOLE_ADDR, HIGH_ADDR };
	unsigned int n = sizeof(probes) / sizeof(probes[0]), survived = 0, len;
	const char *mode = cmdline_value("mode", &len);
	bool selftest = false;

	if (mode != NULL) {
		if (len == 8 && memcmp(mode, "selftest", 8) == 0)
			selftest = true;
		else if (!(len == 5 && memcmp(mode, "probe", 5) == 0))
			return fail("mode= is selftest or probe");
	}
	if (!boot_info.has_memory)
		return fail("the loader gave no memory size");
	ram_end = 1 * MiB + boot_info.mem_upper_kib * KiB;
	printf("hostile: RAM ends at 0x%x (mem_upper %u KiB)\n", ram_end, boot_info.mem_upper_kib);

	low_end = image_end + OWN_WINDOW < ram_end ? image_end + OWN_WINDOW : ram_end;
	high_start = ram_end - OWN_WINDOW > image_end ? (ram_end - OWN_WINDOW) & ~3U : image_end;
	if (!own_window_ok(image_end, low_end) || !own_window_ok(high_start, ram_end))
		return fail("own memory");
	printf("hostile: own memory ok\n");
	if (selftest) {
		printf("hostile: PASS selftest\n");
		return 0;
	}

	probes[0] = ram_end;
	if (cmdline_value("target", &len) != NULL && !parse_target(&probes[0]))
		return fail("target= wants a hex address");
	probes[0] &= ~3ULL; /* one aligned word: never straddles a page */
	for (unsigned int i = 0; i < n; i++) {
		bool seen = false;

		for (unsigned int j = 0; j < i; j++)
			seen |= probes[j] == probes[i];
		if (seen)
			continue;
		if (probes[i] < ram_end) {
			printf("hostile: skipping 0x%llx (inside its RAM)\n", (unsigned long long)probes[i]);
			continue;
		}
		if (probe(probes[i]))
			survived++;
	}
	if (survived == 0)
		return fail("nothing probed");
	printf("hostile: FAIL isolation broken (wrote %u addresses outside RAM)\n", survived);
	return 1;
}
