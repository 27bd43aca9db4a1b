/* The CPU as a guest sees it (docs/guest-abi.md "CPUID and MSRs"): the
 * hypervisor bit and signature, VMX hidden, IA32_FEATURE_CONTROL locked
 * with VMX off, the local APIC at its default base, #GP for unknown MSRs,
 * and a TSC that moves.
 * `expect=qemu` checks plain QEMU TCG's answers instead, so the guest's own
 * logic can be tested without the hypervisor. */
#include <stdbool.h>

#include "check.h"
#include "cmdline.h"
#include "guest.h"
#include "string.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "cpuid";

#define UNKNOWN_MSR 0x12345 /* not an MSR on any CPU: must raise #GP */
#define BAD_SELECTOR 0xFFF8 /* beyond our 4-entry GDT: loading it raises #GP */
#define SIGNATURE_LEN 12

struct expect {
	const char *signature; /* leaf 0x40000000 EBX,ECX,EDX */
	bool feature_control_locked;
	int unknown_msr_vector; /* what RDMSR/WRMSR of UNKNOWN_MSR raise */
};

static const struct expect hypervisor_expect = { "hvhvhvhvhvhv", true, VEC_GP };
/* QEMU 7.2 TCG: its own signature, IA32_FEATURE_CONTROL reads 0, unknown
 * MSRs read as 0 and ignore writes instead of faulting. */
static const struct expect qemu_expect = { "TCGTCGTCGTCG", false, TRAP_NONE };

static void check_cpuid(const struct expect *e)
{
	struct cpuid_regs f = cpuid(CPUID_FEATURES, 0);
	struct cpuid_regs hv = cpuid(CPUID_HV_BASE, 0);
	char sig[SIGNATURE_LEN + 1];

	memcpy(sig, &hv.ebx, 4);
	memcpy(sig + 4, &hv.ecx, 4);
	memcpy(sig + 8, &hv.edx, 4);
	sig[SIGNATURE_LEN] = '\0';

	check(f.ecx & CPUID1_ECX_HYPERVISOR, "hypervisor_bit", "CPUID.1:ECX=0x%08x", f.ecx);
	check(memcmp(sig, e->signature, SIGNATURE_LEN) == 0, "hypervisor_signature", "\"%s\", want \"%s\"", sig,
	      e->signature);
	check(hv.eax >= CPUID_HV_BASE, "hypervisor_max_leaf", "EAX=0x%08x", hv.eax);
	check(!(f.ecx & CPUID1_ECX_VMX), "vmx_hidden", "CPUID.1:ECX=0x%08x", f.ecx);
}

static void check_known_msrs(const struct expect *e)
{
	uint64_t v = 0;
	int vec = rdmsr_safe(MSR_IA32_FEATURE_CONTROL, &v);
	bool locked = v & FEATURE_CONTROL_LOCK;
	bool vmx_on = v & (FEATURE_CONTROL_VMX_IN_SMX | FEATURE_CONTROL_VMX_OUTSIDE_SMX);

	check(vec == TRAP_NONE && locked == e->feature_control_locked && !vmx_on, "feature_control",
	      "vector %d, value 0x%llx", vec, v);

	vec = rdmsr_safe(MSR_IA32_APIC_BASE, &v);
	check(vec == TRAP_NONE && (v & APIC_BASE_ENABLE) && (v & APIC_BASE_ADDR_MASK) == APIC_DEFAULT_BASE,
	      "apic_base", "vector %d, value 0x%llx", vec, v);
}

static void check_unknown_msrs(const struct expect *e)
{
	uint64_t v = 0;
	int vec;

	/* First show that the fault catcher works at all: a #GP every CPU
	 * raises, so a FAIL below is about MSRs, not about trap.c. */
	vec = load_es_safe(BAD_SELECTOR);
	check(vec == VEC_GP, "gp_is_caught", "loading selector 0x%x gave vector %d", BAD_SELECTOR, vec);

	vec = rdmsr_safe(UNKNOWN_MSR, &v);
	check(vec == e->unknown_msr_vector, "rdmsr_unknown", "vector %d, want %d (read 0x%llx)", vec,
	      e->unknown_msr_vector, v);
	vec = wrmsr_safe(UNKNOWN_MSR, 0);
	check(vec == e->unknown_msr_vector, "wrmsr_unknown", "vector %d, want %d", vec, e->unknown_msr_vector);
}

static void check_tsc(void)
{
	uint64_t t0 = rdtsc(), t1;

	cpuid(0, 0); /* something between the reads: a VM exit under VMX */
	t1 = rdtsc();
	check(t1 > t0, "rdtsc_increases", "0x%llx then 0x%llx", t0, t1);
}

int guest_main(void)
{
	const struct expect *e = &hypervisor_expect;
	unsigned int len;
	const char *want = cmdline_value("expect", &len);

	if (want != NULL && len == 4 && memcmp(want, "qemu", 4) == 0)
		e = &qemu_expect;
	check_cpuid(e);
	check_known_msrs(e);
	check_unknown_msrs(e);
	check_tsc();
	return check_finish();
}
