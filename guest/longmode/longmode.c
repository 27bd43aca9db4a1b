/* Long mode from a multiboot (32-bit) entry: identity-maps 4 GiB with
 * 2 MiB pages, enables PAE, EFER.LME and paging, runs 64-bit code
 * (lm64.asm) that prints from 64-bit mode, and checks the result from
 * compatibility mode. Our IDT holds 32-bit gates, which long mode cannot
 * use: an exception after the switch is a triple fault. */
#include "check.h"
#include "guest.h"
#include "x86.h"

const char guest_name[] = "longmode";

/* 4-level paging entries, SDM 3A 4.5 */
#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_PS (1ULL << 7) /* in a PD entry: maps a 2 MiB page */
#define PT_ENTRIES 512
#define MAPPED_GIB 4
#define LARGE_PAGE_SHIFT 21

#define EXPECTED_VALUE 0xFEDCBA9876543210ULL /* built by lm64.asm */

/* Filled by lm64.asm: keep in step with its RESULT_* offsets. */
struct lm_result {
	uint64_t efer; /* read in 64-bit mode */
	uint64_t value;
};

void lm_enter(uint32_t pml4, struct lm_result *out);

static uint64_t pml4[PT_ENTRIES] __attribute__((aligned(4096)));
static uint64_t pdpt[PT_ENTRIES] __attribute__((aligned(4096)));
static uint64_t pd[MAPPED_GIB][PT_ENTRIES] __attribute__((aligned(4096)));

static uint64_t phys(const void *p) { return (uint32_t)(uintptr_t)p; }

static void build_identity_map(void)
{
	pml4[0] = phys(pdpt) | PTE_P | PTE_W;
	for (uint32_t g = 0; g < MAPPED_GIB; g++) {
		pdpt[g] = phys(pd[g]) | PTE_P | PTE_W;
		for (uint32_t i = 0; i < PT_ENTRIES; i++)
			pd[g][i] = ((uint64_t)(g * PT_ENTRIES + i) << LARGE_PAGE_SHIFT) | PTE_P | PTE_W | PTE_PS;
	}
}

static bool cpu_has_long_mode(void)
{
	return cpuid(CPUID_EXT_MAX, 0).eax >= CPUID_EXT_FEATURES &&
	       (cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID80000001_EDX_LM);
}

int guest_main(void)
{
	struct lm_result r = { 0, 0 };
	uint64_t efer;

	if (!check(cpu_has_long_mode(), "long_mode_supported", "CPUID.80000001:EDX.LM is clear"))
		return check_finish();
	build_identity_map();
	lm_enter((uint32_t)phys(pml4), &r);

	check((r.efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA), "efer_lma_in_64bit_mode", "EFER=0x%llx",
	      r.efer);
	check(r.value == EXPECTED_VALUE, "64bit_registers", "got 0x%llx, want 0x%llx", r.value, EXPECTED_VALUE);
	efer = rdmsr(MSR_EFER);
	check((efer & EFER_LMA) && (read_cr0() & CR0_PG), "compatibility_mode", "EFER=0x%llx CR0=0x%x", efer,
	      read_cr0());
	return check_finish();
}
