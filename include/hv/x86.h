/* x86-64 instructions and architectural constants used by the hypervisor
 * (vendor-neutral: nothing here is VMX- or SVM-specific). SDM Vol. 3A. */
#ifndef HV_X86_H
#define HV_X86_H

#include "hv/compiler.h"

/* CR0 bits, SDM 3A 2.5 */
#define CR0_PE (1ULL << 0)
#define CR0_MP (1ULL << 1)
#define CR0_ET (1ULL << 4)
#define CR0_NE (1ULL << 5)
#define CR0_WP (1ULL << 16)
#define CR0_PG (1ULL << 31)
/* CR4 bits, SDM 3A 2.5 */
#define CR4_PAE (1ULL << 5)
#define CR4_PGE (1ULL << 7)
#define CR4_OSFXSR (1ULL << 9)
#define CR4_VMXE (1ULL << 13)
#define CR4_OSXSAVE (1ULL << 18)
/* RFLAGS */
#define RFLAGS_IF (1ULL << 9)

/* MSRs, SDM 4 chapter 2 */
#define MSR_IA32_APIC_BASE 0x1B
#define MSR_IA32_FEATURE_CONTROL 0x3A
#define MSR_IA32_TSC_DEADLINE 0x6E0
#define MSR_IA32_PAT 0x277
#define MSR_EFER 0xC0000080
#define MSR_FS_BASE 0xC0000100
#define MSR_GS_BASE 0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define EFER_LME (1ULL << 8)
#define EFER_NXE (1ULL << 11)

/* CPUID feature bits */
#define CPUID1_ECX_VMX (1U << 5)
#define CPUID1_ECX_X2APIC (1U << 21)
#define CPUID1_ECX_XSAVE (1U << 26)
#define CPUID1_ECX_TSC_DEADLINE (1U << 24)
#define CPUID1_ECX_HYPERVISOR (1U << 31)
#define CPUID1_EDX_APIC (1U << 9)
#define CPUID80000001_EDX_NX (1U << 20)
#define CPUID80000001_EDX_PAGE1G (1U << 26)
#define CPUID80000007_EDX_INVARIANT_TSC (1U << 8)

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
	return r;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_READ_CR(n)                                                  \
	static inline uint64_t read_cr##n(void)                            \
	{                                                                  \
		uint64_t v;                                                \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));          \
		return v;                                                  \
	}
DEFINE_READ_CR(0)
DEFINE_READ_CR(2)
DEFINE_READ_CR(3)
DEFINE_READ_CR(4)
static inline void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }

static inline uint64_t read_rflags(void)
{
	uint64_t v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
/* Saves and clears IF; restores it with irq_restore. */
static inline uint64_t irq_save(void)
{
	uint64_t f = read_rflags();
	irq_disable();
	return f;
}
static inline void irq_restore(uint64_t flags)
{
	if (flags & RFLAGS_IF)
		irq_enable();
}
static inline void halt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
/* Spin-wait hint (PAUSE). */
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

static inline void __noreturn halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif
