/* What vcpu_run() reports when it returns (KVM's struct kvm_run): exits
 * the core handled itself never show up here. */
#ifndef HV_RUN_H
#define HV_RUN_H

#include "hv/compiler.h"

enum exit_reason {
	EXIT_NONE = 0,
	EXIT_IO,             /* port I/O no in-core device claimed */
	EXIT_MMIO,           /* MMIO no in-core device claimed */
	EXIT_HLT,            /* halted with no way to be woken */
	EXIT_SHUTDOWN,       /* triple fault */
	EXIT_FAIL_ENTRY,     /* VM entry failed: guest state invalid */
	EXIT_INTERNAL_ERROR, /* the core could not handle an exit */
	EXIT_HYPERCALL,      /* a VMCALL the core leaves to the VMM layer */
	EXIT_DEBUG,
	EXIT_STOPPED,        /* the VM was asked to stop */
};

#define IO_DIRECTION_IN 0
#define IO_DIRECTION_OUT 1
#define RUN_IO_DATA_MAX 4096

enum internal_suberror {
	INTERNAL_UNHANDLED_EXIT = 1,   /* data[0] = hardware exit reason */
	INTERNAL_EMULATION_FAILED = 2, /* data[0] = gpa, data[1..2] = instruction bytes */
	INTERNAL_UNMAPPED_ACCESS = 3,  /* data[0] = gpa, data[1] = qualification */
	INTERNAL_BAD_STATE = 4,
};

struct vcpu_run {
	uint32_t exit_reason;
	union {
		struct {
			uint8_t direction;
			uint8_t size;    /* 1, 2 or 4 */
			uint16_t port;
			uint32_t count;  /* elements in data[] (string I/O: more than 1) */
		} io;
		struct {
			uint64_t phys_addr;
			uint64_t data;
			uint32_t len;
			uint8_t is_write;
		} mmio;
		struct {
			uint64_t nr;
			uint64_t args[4];
			uint64_t ret;
		} hypercall;
		struct {
			uint64_t hardware_entry_failure_reason; /* VM-instruction error or exit reason */
		} fail_entry;
		struct {
			uint32_t suberror;
			uint32_t ndata;
			uint64_t data[4];
		} internal;
	};
	/* I/O data: OUT data to consume, or IN data the VMM layer fills before
	 * the next vcpu_run() completes the instruction. */
	uint8_t io_data[RUN_IO_DATA_MAX];
};

#endif
