/* VMX operation on every CPU: detection, capability probing, VMXON/VMXOFF. */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include "hv/compiler.h"
#include "vmx/caps.h"

extern struct vmx_config g_vmx;

/* Probes on the boot CPU and turns VMX on on every online CPU, printing
 * "vmx: caps ..." and "vmx: cpu<N> on" lines, or one "vmx: unavailable:
 * <reason>" line. Returns 0 or a negative errno (nothing left on). */
int vmx_init_all(void);
/* VMXOFF on every CPU where it is on. */
void vmx_exit_all(void);
bool vmx_available(void);
/* Installs the VMX backend (hv/arch.h) once VMX is on everywhere. */
int vmx_backend_init(void);

#endif
