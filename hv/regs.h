/* Architectural vCPU state as callers see it (KVM's kvm_regs/kvm_sregs). */
#ifndef HV_REGS_H
#define HV_REGS_H

#include "hv/compiler.h"

/* General-purpose registers in x86 encoding order, so decoded register
 * numbers index gpr[] directly. */
enum gpr {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	GPR_COUNT
};

struct regs {
	uint64_t gpr[GPR_COUNT];
	uint64_t rip, rflags;
};

struct segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint16_t attrib; /* VMX access-rights layout: type, S, DPL, P, AVL, L, D/B, G */
};

struct dtable {
	uint64_t base;
	uint16_t limit;
};

struct sregs {
	struct segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, efer;
};

/* Access-rights bits for struct segment.attrib (SDM 3C 25.4.1 table 25-2). */
#define SEG_TYPE_CODE_RX_ACCESSED 0xB
#define SEG_TYPE_DATA_RW_ACCESSED 0x3
#define SEG_TYPE_TSS_BUSY_32 0xB
#define SEG_TYPE_LDT 0x2
#define SEG_S (1U << 4)
#define SEG_P (1U << 7)
#define SEG_L (1U << 13)
#define SEG_DB (1U << 14)
#define SEG_G (1U << 15)
#define SEG_UNUSABLE (1U << 16)

#endif
