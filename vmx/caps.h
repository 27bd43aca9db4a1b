/* VMX capabilities, probed once like KVM's setup_vmcs_config(): every VMCS
 * control field is computed from the capability MSRs (SDM 3D appendix A) as
 * "required" bits (missing ones make VMX unusable here) plus "optional" bits
 * (used when allowed). Pure logic, so host tests can feed it MSR values
 * recorded from Bochs and from real CPUs. */
#ifndef VMX_CAPS_H
#define VMX_CAPS_H

#include "hv/compiler.h"

/* Capability MSRs, SDM 3D A.1-A.10 */
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_VMCS_ENUM 0x48A
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48B
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48C
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48D
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48E
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48F
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490

#define VMX_BASIC_TRUE_CTLS (1ULL << 55)

/* Pin-based controls, SDM 3C 25.6.1 */
#define PIN_EXTERNAL_INTERRUPT_EXITING (1U << 0)
#define PIN_NMI_EXITING (1U << 3)
#define PIN_VIRTUAL_NMIS (1U << 5)
#define PIN_PREEMPTION_TIMER (1U << 6)
/* Primary processor-based controls, 25.6.2 */
#define PROC_INTERRUPT_WINDOW_EXITING (1U << 2)
#define PROC_USE_TSC_OFFSETTING (1U << 3)
#define PROC_HLT_EXITING (1U << 7)
#define PROC_INVLPG_EXITING (1U << 9)
#define PROC_CR3_LOAD_EXITING (1U << 15)
#define PROC_CR3_STORE_EXITING (1U << 16)
#define PROC_CR8_LOAD_EXITING (1U << 19)
#define PROC_CR8_STORE_EXITING (1U << 20)
#define PROC_USE_TPR_SHADOW (1U << 21)
#define PROC_NMI_WINDOW_EXITING (1U << 22)
#define PROC_USE_IO_BITMAPS (1U << 25)
#define PROC_USE_MSR_BITMAPS (1U << 28)
#define PROC_ACTIVATE_SECONDARY (1U << 31)
/* Secondary processor-based controls, 25.6.2 */
#define PROC2_VIRTUALIZE_APIC_ACCESSES (1U << 0)
#define PROC2_ENABLE_EPT (1U << 1)
#define PROC2_ENABLE_RDTSCP (1U << 3)
#define PROC2_ENABLE_VPID (1U << 5)
#define PROC2_UNRESTRICTED_GUEST (1U << 7)
#define PROC2_APIC_REGISTER_VIRTUALIZATION (1U << 8)
#define PROC2_ENABLE_INVPCID (1U << 12)
#define PROC2_ENABLE_XSAVES (1U << 20)
/* VM-exit controls, 25.7.1 */
#define EXIT_SAVE_DEBUG_CONTROLS (1U << 2)
#define EXIT_HOST_ADDRESS_SPACE_SIZE (1U << 9)
#define EXIT_SAVE_PAT (1U << 18)
#define EXIT_LOAD_PAT (1U << 19)
#define EXIT_SAVE_EFER (1U << 20)
#define EXIT_LOAD_EFER (1U << 21)
#define EXIT_SAVE_PREEMPTION_TIMER (1U << 22)
/* VM-entry controls, 25.8.1 */
#define ENTRY_LOAD_DEBUG_CONTROLS (1U << 2)
#define ENTRY_IA32E_MODE_GUEST (1U << 9)
#define ENTRY_LOAD_PAT (1U << 14)
#define ENTRY_LOAD_EFER (1U << 15)

/* IA32_VMX_EPT_VPID_CAP bits, SDM 3D A.10 */
#define EPT_CAP_WALK_4 (1ULL << 6)
#define EPT_CAP_WB (1ULL << 14)
#define EPT_CAP_2M (1ULL << 16)
#define EPT_CAP_1G (1ULL << 17)
#define EPT_CAP_INVEPT (1ULL << 20)
#define EPT_CAP_AD (1ULL << 21)
#define EPT_CAP_INVEPT_SINGLE (1ULL << 25)
#define EPT_CAP_INVEPT_ALL (1ULL << 26)
#define VPID_CAP_INVVPID (1ULL << 32)
#define VPID_CAP_INVVPID_SINGLE (1ULL << 41)
#define VPID_CAP_INVVPID_ALL (1ULL << 42)

/* The capability MSR values one CPU reports. */
struct vmx_msrs {
	uint64_t basic, pin, proc, exit, entry, misc;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t proc2, ept_vpid;
	uint64_t true_pin, true_proc, true_exit, true_entry;
};

/* What every VMCS starts from, and which optional features exist. */
struct vmx_config {
	uint32_t revision_id;
	uint32_t region_size;
	uint32_t pin, proc, proc2, exit, entry;
	bool ept_2m, ept_1g, ept_ad;
	bool invept_single, invept_all;
	bool vpid, invvpid_single, invvpid_all;
	bool unrestricted_guest;
	bool preemption_timer;
	bool save_preemption_timer; /* the remaining count survives exits */
	uint8_t preemption_timer_shift; /* timer counts TSC >> shift (A.6) */
	bool virtual_nmis;
	bool interrupt_window, nmi_window; /* may be set while running */
	/* TPR shadow + virtualized APIC accesses + APIC-register
	 * virtualization (SDM 3C 30): set per vCPU, for VMs with an irqchip */
	bool apic_register_virtualization;
	bool ia32e_guest;                  /* ENTRY_IA32E_MODE_GUEST allowed */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

/* Adjusts one control field against its capability MSR (A.3: bits 31:0 are
 * the allowed 0-settings, a 1 there means the bit must be 1; bits 63:32 are
 * the allowed 1-settings). Returns the value; *missing gets the required
 * bits the CPU cannot set. */
uint32_t vmx_adjust_controls(uint32_t required, uint32_t optional, uint64_t cap, uint32_t *missing);

/* Builds the configuration. Returns 0, or -ENODEV with *missing naming the
 * first required feature that is absent ("EPT", "unrestricted guest", ...),
 * or -EINVAL when the MSR values contradict themselves (a bit that must be
 * 1 but may not be 1). */
int vmx_config_build(const struct vmx_msrs *m, struct vmx_config *out, const char **missing);

/* A one-line summary: "ept=1 vpid=1 ug=1 ept2m=1 ept1g=0 ad=0 ...". */
int vmx_config_describe(const struct vmx_config *c, char *buf, size_t size);

#endif
