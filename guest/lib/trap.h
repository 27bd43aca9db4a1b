/* Exceptions in the guest: an IDT for vectors 0-31 and "safe" forms of
 * instructions that are expected to fault (RDMSR of an unknown MSR must
 * raise #GP, docs/guest-abi.md). An exception nobody expects is reported as
 * a FAIL line and ends the guest with exit code 1. */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <stdint.h>

#define TRAP_NONE (-1) /* the instruction completed without an exception */

/* Saved by vectors.asm: PUSHAD's registers, then the vector and error code,
 * then what the CPU pushed (no privilege change, so no SS:ESP). */
struct trap_frame {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
	uint32_t vector, error;
	uint32_t eip, cs, eflags;
};

void trap_init(void);
/* Loads the IDT trap_init() built: another CPU of the guest shares it. */
void trap_load_idt(void);
/* Interrupt vectors 32-63: fn runs with interrupts off and must EOI. */
void trap_set_irq_handler(uint32_t vector, void (*fn)(uint32_t vector));
void trap_handler(struct trap_frame *f);

/* Each returns TRAP_NONE or the vector of the exception it caught. */
int rdmsr_safe(uint32_t msr, uint64_t *value);
int wrmsr_safe(uint32_t msr, uint64_t value);
int load_es_safe(uint16_t selector);

#endif
