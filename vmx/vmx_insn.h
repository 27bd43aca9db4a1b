/* VMX instructions (SDM 3C chapter 31). Each returns 0, or -EIO when the
 * instruction failed (CF=1: VMfailInvalid, ZF=1: VMfailValid; the error
 * number is then in VMCS_VM_INSTRUCTION_ERROR). */
#ifndef VMX_VMX_INSN_H
#define VMX_VMX_INSN_H

#include "hv/compiler.h"
#include "hv/errno.h"

static inline int vmxon(uint64_t phys)
{
	uint8_t fail;
	__asm__ volatile("vmxon %1; setna %0" : "=q"(fail) : "m"(phys) : "cc", "memory");
	return fail ? -EIO : 0;
}

static inline void vmxoff(void)
{
	__asm__ volatile("vmxoff" ::: "cc", "memory");
}

static inline int vmclear(uint64_t phys)
{
	uint8_t fail;
	__asm__ volatile("vmclear %1; setna %0" : "=q"(fail) : "m"(phys) : "cc", "memory");
	return fail ? -EIO : 0;
}

static inline int vmptrld(uint64_t phys)
{
	uint8_t fail;
	__asm__ volatile("vmptrld %1; setna %0" : "=q"(fail) : "m"(phys) : "cc", "memory");
	return fail ? -EIO : 0;
}

static inline uint64_t vmread(uint64_t field)
{
	uint64_t v;
	__asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(field) : "cc");
	return v;
}

static inline int vmwrite(uint64_t field, uint64_t v)
{
	uint8_t fail;
	__asm__ volatile("vmwrite %2, %1; setna %0" : "=q"(fail) : "r"(field), "rm"(v) : "cc");
	return fail ? -EIO : 0;
}

/* VMWRITE without a status, for a field that is always valid and
 * writable: it fails only without a current VMCS, and then so does the
 * VM entry that follows, which reports it. */
static inline void vmwrite_unchecked(uint64_t field, uint64_t v)
{
	__asm__ volatile("vmwrite %1, %0" : : "r"(field), "rm"(v) : "cc");
}

struct invept_desc {
	uint64_t eptp, reserved;
};
#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXTS 2

static inline void invept(uint64_t type, uint64_t eptp)
{
	struct invept_desc d = {eptp, 0};
	__asm__ volatile("invept %0, %1" ::"m"(d), "r"(type) : "cc", "memory");
}

struct invvpid_desc {
	uint64_t vpid, gla;
};
#define INVVPID_SINGLE_CONTEXT 1
#define INVVPID_ALL_CONTEXTS 2

static inline void invvpid(uint64_t type, uint16_t vpid)
{
	struct invvpid_desc d = {vpid, 0};
	__asm__ volatile("invvpid %0, %1" ::"m"(d), "r"(type) : "cc", "memory");
}

#endif
