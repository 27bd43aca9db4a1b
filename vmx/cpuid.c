/* Guest CPUID: the host's answers with host-only features hidden, the
 * hypervisor bit and signature leaf added, and a topology matching the VM
 * (SDM 2A, CPUID instruction reference). */
#include "vmx/cpuid.h"
#include "vmx/exit.h"
#include "hv/string.h"
#include "hv/vlapic.h"

/* Leaf 1 ECX */
#define L1_ECX_DTES64 (1U << 2)
#define L1_ECX_MONITOR (1U << 3)
#define L1_ECX_DS_CPL (1U << 4)
#define L1_ECX_VMX (1U << 5)
#define L1_ECX_SMX (1U << 6)
#define L1_ECX_EST (1U << 7)
#define L1_ECX_TM2 (1U << 8)
#define L1_ECX_XTPR (1U << 14)
#define L1_ECX_PDCM (1U << 15)
#define L1_ECX_X2APIC (1U << 21)
#define L1_ECX_TSC_DEADLINE (1U << 24)
#define L1_ECX_HYPERVISOR (1U << 31)
/* Leaf 1 EDX */
#define L1_EDX_MCE (1U << 7)
#define L1_EDX_MCA (1U << 14)
#define L1_EDX_DS (1U << 21)
#define L1_EDX_ACPI (1U << 22)
#define L1_EDX_HTT (1U << 28)
#define L1_EDX_TM (1U << 29)
#define L1_EDX_PBE (1U << 31)
/* Leaf 7.0 */
#define L7_EBX_RTM (1U << 11)
#define L7_EBX_HLE (1U << 4)
#define L7_EBX_TSC_ADJUST (1U << 1) /* IA32_TSC_ADJUST is not emulated */
#define L7_ECX_WAITPKG (1U << 5)
#define L7_EDX_HYBRID (1U << 15)
#define L1_ECX_OSXSAVE_BIT (1U << 27)
#define L1_EDX_APIC (1U << 9)
/* Leaf 0xB, SDM 2A table 3-8 */
#define TOPO_LEVEL_SMT 1
#define TOPO_LEVEL_CORE 2

/* Host-only or not virtualised: monitoring, thermal, debug store, SMX/VMX,
 * machine checks, MONITOR/MWAIT (would idle the real CPU). x2APIC and the
 * TSC-deadline timer are shown: the in-core LAPIC emulates both. */
#define L1_ECX_HIDDEN (L1_ECX_DTES64 | L1_ECX_MONITOR | L1_ECX_DS_CPL | L1_ECX_VMX | L1_ECX_SMX | \
		       L1_ECX_EST | L1_ECX_TM2 | L1_ECX_XTPR | L1_ECX_PDCM)
#define L1_ECX_SHOWN (L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE)
#define L1_EDX_HIDDEN (L1_EDX_MCE | L1_EDX_MCA | L1_EDX_DS | L1_EDX_ACPI | L1_EDX_TM | L1_EDX_PBE)

static const char signature[12] = {'h', 'v', 'h', 'v', 'h', 'v', 'h', 'v', 'h', 'v', 'h', 'v'};

static uint32_t bits_for(uint32_t count)
{
	uint32_t b = 0;
	while ((1U << b) < count)
		b++;
	return b;
}

static uint32_t host_max_basic_leaf;

struct cpuid_regs guest_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t vcpu_id, uint32_t vcpu_count)
{
	struct cpuid_regs r = {0};
	if (unlikely(!host_max_basic_leaf))
		host_max_basic_leaf = cpuid(0, 0).eax; /* the same on every CPU */
	uint32_t max_basic = host_max_basic_leaf;

	if (leaf >= HV_CPUID_SIGNATURE_LEAF && leaf <= 0x4FFFFFFF) {
		if (leaf == HV_CPUID_SIGNATURE_LEAF) {
			r.eax = HV_CPUID_MAX_LEAF;
			memcpy(&r.ebx, signature, 4);
			memcpy(&r.ecx, signature + 4, 4);
			memcpy(&r.edx, signature + 8, 4);
		}
		return r; /* 0x40000001 (features): none yet */
	}
	if (leaf < 0x80000000 && leaf > max_basic)
		return r;
	r = cpuid(leaf, subleaf);
	switch (leaf) {
	case 1:
		/* OSXSAVE is the guest's own CR4 bit: set at each CPUID exit */
		r.ecx = (r.ecx & ~(L1_ECX_HIDDEN | L1_ECX_OSXSAVE_BIT)) | L1_ECX_HYPERVISOR | L1_ECX_SHOWN;
		r.edx &= ~L1_EDX_HIDDEN;
		if (vcpu_count > 1)
			r.edx |= L1_EDX_HTT;
		else
			r.edx &= ~L1_EDX_HTT;
		/* EBX[31:24] initial APIC id, EBX[23:16] logical processors */
		r.ebx = (r.ebx & 0xFFFF) | ((vcpu_count & 0xFF) << 16) | ((vcpu_id & 0xFF) << 24);
		break;
	case 4:
		/* EAX[31:26]: cores per package - 1; EAX[25:14]: sharing threads - 1 */
		if (r.eax & 0x1F)
			r.eax = (r.eax & 0x3FFF) | ((vcpu_count - 1) << 26);
		break;
	case 5: /* MONITOR/MWAIT is hidden */
	case 6: /* thermal and power management: host-only */
	case 0xA: /* no virtual PMU */
		r = (struct cpuid_regs){0};
		break;
	case 7:
		if (subleaf == 0) {
			r.ebx &= ~(L7_EBX_RTM | L7_EBX_HLE | L7_EBX_TSC_ADJUST);
			r.ecx &= ~L7_ECX_WAITPKG;
			r.edx &= ~L7_EDX_HYBRID;
		}
		break;
	case 0xD:
		if (subleaf == 1)
			r.ecx = r.edx = 0; /* IA32_XSS: no supervisor state components */
		break;
	case 0xB: {
		/* Each vCPU is one core of one package, one thread per core. */
		r.edx = vcpu_id;
		if (subleaf == 0) {
			r.eax = 0;
			r.ebx = 1;
			r.ecx = (TOPO_LEVEL_SMT << 8) | subleaf;
		} else if (subleaf == 1) {
			r.eax = bits_for(vcpu_count);
			r.ebx = vcpu_count;
			r.ecx = (TOPO_LEVEL_CORE << 8) | subleaf;
		} else {
			r.eax = r.ebx = 0;
			r.ecx = subleaf;
		}
		break;
	}
	default:
		break;
	}
	return r;
}

#define CR4_OSXSAVE_BIT (1ULL << 18)
#define L1_ECX_OSXSAVE (1U << 27)

/* Out of line, so the hit path stays a small leaf. */
__attribute__((noinline)) static void fill(struct vcpu *v, struct cpuid_cache_entry *e, uint32_t leaf,
					  uint32_t sub)
{
	struct cpuid_regs r = guest_cpuid(leaf, sub, v->id, v->vm->vcpu_count);
	*e = (struct cpuid_cache_entry){leaf, sub, true, r.eax, r.ebx, r.ecx, r.edx};
}

/* Basic leaves below 32 whose answer depends on ECX (SDM 2A CPUID,
 * "sub-leaf index"): 4, 7, 0xB, 0xD, 0xF, 0x10, 0x12, 0x14, 0x17, 0x18,
 * 0x1A, 0x1B, 0x1D, 0x1E, 0x1F. */
#define SUBLEAF_LEAVES 0xED95A890u

/* Fills the per-leaf table before the first run, so the exit path only
 * indexes it. */
void vmx_cpuid_prepare(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	for (uint32_t leaf = 0; leaf < CPUID_DIRECT_LEAVES; leaf++)
		fill(v, &x->cpuid_direct[leaf], leaf, 0);
	for (uint32_t i = 0; i < CPUID_CACHE_SIZE; i++)
		x->cpuid_cache[i].valid = false;
}

static const struct cpuid_cache_entry *cached(struct vcpu *v, uint32_t leaf, uint32_t sub)
{
	struct vmx_vcpu *x = to_vmx(v);
	struct cpuid_cache_entry *e;

	/* Most leaves ignore ECX: one slot each, indexed by the leaf. */
	if (leaf < CPUID_DIRECT_LEAVES && !((SUBLEAF_LEAVES >> leaf) & 1))
		return &x->cpuid_direct[leaf];
	e = &x->cpuid_cache[(leaf ^ (leaf >> 27) ^ (sub << 2)) % CPUID_CACHE_SIZE];
	if (unlikely(!e->valid || e->leaf != leaf || e->subleaf != sub))
		fill(v, e, leaf, sub);
	return e;
}

/* The CPUID exit. */
int vmx_handle_cpuid(struct vcpu *v)
{
	uint64_t *g = v->regs.gpr;
	uint32_t leaf = (uint32_t)g[GPR_RAX], sub = (uint32_t)g[GPR_RCX];
	const struct cpuid_cache_entry *e = cached(v, leaf, sub);
	g[GPR_RAX] = e->eax;
	g[GPR_RBX] = e->ebx;
	g[GPR_RCX] = e->ecx;
	g[GPR_RDX] = e->edx;
	if (leaf == 1) {
		if (vmread(VMCS_GUEST_CR4) & CR4_OSXSAVE_BIT)
			g[GPR_RCX] |= L1_ECX_OSXSAVE; /* OSXSAVE reflects the guest's CR4 */
		/* the APIC flag follows IA32_APIC_BASE.EN (SDM 2A CPUID) */
		if (v->lapic && vlapic_mode(v->lapic) == VLAPIC_MODE_DISABLED)
			g[GPR_RDX] &= ~L1_EDX_APIC;
	}
	vmx_skip_instruction(v);
	return 1;
}
