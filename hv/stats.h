/* Per-vCPU counters (KVM's debugfs stats); VM totals are sums. */
#ifndef HV_STATS_H
#define HV_STATS_H

#include "hv/compiler.h"

/* Indexed by the backend's hardware exit reason (VMX: basic reasons < 128),
 * masked rather than bounds-checked on the exit path. */
#define STATS_EXIT_REASONS 128

struct vcpu_stats {
	uint64_t exits;
	uint64_t exit_reason[STATS_EXIT_REASONS];
	uint64_t io_exits;      /* I/O left to the VMM layer */
	uint64_t mmio_exits;    /* MMIO left to the VMM layer */
	uint64_t emulated_mmio; /* MMIO instructions emulated in the core */
	uint64_t halts;
	uint64_t hypercalls;
	uint64_t injections;    /* events injected into the guest */
};

#endif
