/* Hypercalls: the core answers what needs nothing from the VMM layer. */
#include "hv/hypercall.h"

int hypercall_dispatch(struct vcpu *v, uint64_t mask)
{
	uint64_t *g = v->regs.gpr;
	uint64_t nr = g[GPR_RAX] & mask;

	switch (nr) {
	case HC_NOP:
		g[GPR_RAX] = 0;
		return 1;
	case HC_PRINT:
	case HC_EXIT:
		v->run->exit_reason = EXIT_HYPERCALL;
		v->run->hypercall.nr = nr;
		v->run->hypercall.args[0] = g[GPR_RBX] & mask;
		v->run->hypercall.args[1] = g[GPR_RCX] & mask;
		v->run->hypercall.args[2] = g[GPR_RDX] & mask;
		v->run->hypercall.args[3] = g[GPR_RSI] & mask;
		v->run->hypercall.ret = 0;
		return 0;
	default:
		g[GPR_RAX] = HC_ENOSYS & mask;
		return 1;
	}
}
