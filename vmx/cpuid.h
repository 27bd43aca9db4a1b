/* The CPU model a guest sees through CPUID. */
#ifndef VMX_CPUID_H
#define VMX_CPUID_H

#include "hv/compiler.h"
#include "hv/x86.h"

#define HV_CPUID_SIGNATURE_LEAF 0x40000000u
#define HV_CPUID_MAX_LEAF 0x40000001u

/* The guest's view of (leaf, subleaf) for vCPU `vcpu_id` of `vcpu_count`. */
struct cpuid_regs guest_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t vcpu_id, uint32_t vcpu_count);

#endif
