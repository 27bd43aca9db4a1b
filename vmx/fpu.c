/* Guest FPU/SSE/AVX state. The hypervisor is built without floating point
 * or SIMD and never touches that state, and each physical CPU runs one
 * vCPU, so the state simply stays in the registers while the host runs.
 * What must not happen is one VM seeing another's registers: when a vCPU
 * starts, every XSAVE component is put in its initial state by an XRSTOR
 * whose header marks nothing as present (SDM 1 13.8.1). */
#include "vmx/fpu.h"
#include "hv/log.h"
#include "hv/string.h"
#include "hv/x86.h"
#include "mm/pmm.h"

#define XSAVE_HEADER_OFFSET 512
#define FXSAVE_FCW_OFFSET 0
#define FXSAVE_MXCSR_OFFSET 24
#define FCW_INIT 0x037F   /* all x87 exceptions masked, 64-bit precision */
#define MXCSR_INIT 0x1F80 /* all SSE exceptions masked */
#define XCR0_GUEST_RESET 0x1ULL

static uint64_t init_area; /* XSAVE (or FXSAVE) image of the initial state */
static uint64_t host_xcr0_all;
static bool have_xsave;

int vmx_fpu_init(void)
{
	struct cpuid_regs r = cpuid(1, 0);
	uint64_t size = 512;

	have_xsave = r.ecx & CPUID1_ECX_XSAVE;
	if (have_xsave) {
		struct cpuid_regs d = cpuid(0xD, 0);
		host_xcr0_all = ((uint64_t)d.edx << 32) | d.eax;
		size = d.ecx; /* enough for every supported component */
	}
	init_area = pmm_alloc(&g_pmm, ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE, PAGE_SIZE, 0);
	if (!init_area)
		return -1;
	memset((void *)init_area, 0, ALIGN_UP(size, PAGE_SIZE));
	*(uint16_t *)(init_area + FXSAVE_FCW_OFFSET) = FCW_INIT;
	*(uint32_t *)(init_area + FXSAVE_MXCSR_OFFSET) = MXCSR_INIT;
	return 0;
}

void vmx_fpu_reset(void)
{
	if (have_xsave) {
		/* XSTATE_BV = 0 in the header: every component in RFBM gets its
		 * initial state; MXCSR still comes from the legacy area. */
		__asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)host_xcr0_all), "d"((uint32_t)(host_xcr0_all >> 32)));
		__asm__ volatile("xrstor64 (%0)" ::"r"(init_area), "a"(0xFFFFFFFFu), "d"(0xFFFFFFFFu) : "memory");
		__asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)XCR0_GUEST_RESET), "d"(0));
	} else {
		__asm__ volatile("fninit; fxrstor64 (%0)" ::"r"(init_area) : "memory");
	}
}
