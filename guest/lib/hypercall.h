/* Hypercalls (docs/guest-abi.md "Hypercalls: VMCALL"): EAX = number,
 * arguments in EBX, ECX, EDX, ESI, the result in EAX. These guests run in
 * 32-bit mode and see only the low halves of RAX, RBX, ...: the result is
 * a signed 32-bit value (-22 arrives as 0xFFFFFFEA).
 * Without VMX underneath (plain qemu) VMCALL raises #UD: guests skip their
 * hypercalls when their command line says `nohc`. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <stdint.h>

#define HC_NOP 0
#define HC_PRINT 1 /* EBX = guest-physical address, ECX = length (<= 4096) */
#define HC_EXIT 2 /* EBX = exit code; does not return */

#define HC_ENOSYS (-1000) /* unknown hypercall number (KVM's -KVM_ENOSYS) */
#define HC_EINVAL (-22)

static inline int32_t hypercall2(uint32_t nr, uint32_t a0, uint32_t a1)
{
	uint32_t ret;

	__asm__ volatile("vmcall" : "=a"(ret) : "a"(nr), "b"(a0), "c"(a1) : "memory");
	return (int32_t)ret;
}

static inline int32_t hypercall0(uint32_t nr) { return hypercall2(nr, 0, 0); }

#endif
