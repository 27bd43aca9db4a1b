/* Names what is wrong when VM entry refuses the guest state: a subset of
 * the checks of SDM 3C 27.3.1 applied to a snapshot of the VMCS, so a
 * failure reads "TR: type 9, must be 11 (busy TSS)" instead of "exit
 * reason 33". Pure logic, unit-tested. */
#ifndef VMX_GUEST_CHECK_H
#define VMX_GUEST_CHECK_H

#include "hv/compiler.h"
#include "hv/regs.h"

struct guest_state {
	uint64_t cr0, cr4, efer, rflags, link_pointer;
	uint32_t activity;
	struct segment cs, ss, ds, es, fs, gs, tr, ldtr;
	bool ia32e_entry;      /* the IA-32e mode guest entry control */
	bool unrestricted;     /* secondary control: unrestricted guest */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

#define GUEST_CHECK_MAX 8

/* Writes up to `max` one-line findings; returns how many there are. */
int vmx_guest_state_problems(const struct guest_state *g, char out[][96], int max);

#endif
