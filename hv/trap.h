/* Interrupts and exceptions: one IDT shared by all CPUs, a handler table
 * for interrupt vectors, and the fatal path for unexpected exceptions. */
#ifndef HV_TRAP_H
#define HV_TRAP_H

#include "hv/compiler.h"

/* Layout pushed by boot/isr.asm, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Exception vectors, SDM 3A table 6-1 */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_NMI 2
#define VEC_BP 3
#define VEC_UD 6
#define VEC_DF 8
#define VEC_GP 13
#define VEC_PF 14
#define VEC_MC 18

/* Interrupt vectors the hypervisor uses. */
#define VEC_LEGACY_PIC_BASE 0x20 /* the masked 8259s are moved here */
#define VEC_LAPIC_TIMER 0xF0
#define VEC_IPI_PING 0xF1
#define VEC_IPI_PONG 0xF2
#define VEC_CRASHTEST 0xF3
#define VEC_WAKE 0xF4 /* work for an idle CPU (hv/smp_call.c) */
#define VEC_LAPIC_ERROR 0xFE
#define VEC_SPURIOUS 0xFF

typedef void (*irq_handler_fn)(struct trap_frame *f);

void idt_init(void);  /* builds the shared IDT (once) */
void idt_load(void);  /* loads it on this CPU */
void irq_register(uint8_t vector, irq_handler_fn fn);

void trap_dispatch(struct trap_frame *f);

/* Prints the register dump lines for a frame (used by exceptions and panic). */
void trap_dump_frame(const struct trap_frame *f);
/* Prints a frame-pointer backtrace starting at rbp. */
void backtrace_from(uint64_t rip, uint64_t rbp);

/* Probes (boot/probe.asm): 0, or -EFAULT if the access faulted. */
int probe_read64(const volatile uint64_t *addr, uint64_t *out);
int probe_write64(volatile uint64_t *addr, uint64_t value);

/* The last fault a probe absorbed on this CPU (for self-test reports). */
struct probe_fault {
	uint64_t vector, error_code, address;
};
void probe_last_fault(struct probe_fault *out);

#endif
