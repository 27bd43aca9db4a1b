/* Keeping one VM's FPU/SSE/AVX registers away from the next (vmx/fpu.c). */
#ifndef VMX_FPU_H
#define VMX_FPU_H

int vmx_fpu_init(void);   /* once, at VMX start-up */
void vmx_fpu_reset(void); /* on the vCPU's CPU, before its first entry */

#endif
