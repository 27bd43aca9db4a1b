/* The MSRs a guest may touch (SDM 4 chapter 2): a few pass straight through
 * (their values live in the VMCS or are never used by the host), a defined
 * set is emulated here, and everything else raises #GP in the guest. */
#include "vmx/vmx_vcpu.h"
#include "vmx/exit.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx.h"
#include "vmx/apicv.h"
#include "vmx/vmx_insn.h"
#include "hv/errno.h"
#include "hv/string.h"
#include "hv/irqchip.h"
#include "hv/vlapic.h"
#include "hv/x86.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_BIOS_SIGN_ID 0x8B
#define MSR_IA32_MTRRCAP 0xFE
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MCG_CAP 0x179
#define MSR_IA32_MCG_STATUS 0x17A
#define MSR_IA32_MISC_ENABLE 0x1A0
#define MSR_MTRR_PHYS_BASE0 0x200
#define MSR_MTRR_FIX64K_00000 0x250
#define MSR_MTRR_FIX16K_80000 0x258
#define MSR_MTRR_FIX16K_A0000 0x259
#define MSR_MTRR_FIX4K_C0000 0x268
#define MSR_MTRR_FIX4K_F8000 0x26F
#define MSR_MTRR_DEF_TYPE 0x2FF
#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_CSTAR 0xC0000083
#define MSR_SFMASK 0xC0000084
#define MSR_TSC_AUX 0xC0000103
#define MSR_IA32_XSS 0xDA0 /* supervisor state components: none offered */

#define APIC_BASE_DEFAULT 0xFEE00000ULL
#define APIC_BASE_BSP (1ULL << 8)
#define APIC_BASE_ENABLE (1ULL << 11)
#define PAT_POWER_ON 0x0007040600070406ULL /* SDM 3A 13.12.4 */
#define MTRRCAP_VALUE (VMX_MTRR_VAR_COUNT | (1ULL << 8) | (1ULL << 10)) /* VCNT, FIX, WC */
#define MTRR_DEF_TYPE_WB_ENABLED 0xC06ULL /* E, FE, default WB */
#define MISC_ENABLE_FAST_STRINGS 1ULL
#define FEATURE_CONTROL_LOCKED 1ULL
#define EFER_SCE (1ULL << 0)
#define EFER_LME_BIT (1ULL << 8)
#define EFER_LMA_BIT (1ULL << 10)
#define EFER_NXE_BIT (1ULL << 11)
#define CR0_PG_BIT (1ULL << 31)

#define X2APIC_MSR_TPR 0x808
#define X2APIC_MSR_EOI 0x80B

/* MSR bitmap layout, SDM 3C 25.6.9: read-low, read-high, write-low,
 * write-high, 1 KiB each; a set bit means "exit". */
#define MSR_LOW_END 0x2000
#define MSR_HIGH_BASE 0xC0000000

static const uint32_t passthrough[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, /* FS/GS in the VMCS; KERNEL_GS unused by the host */
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, /* in the VMCS */
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, /* the host never uses SYSCALL */
	MSR_TSC_AUX, /* RDTSCP/RDPID read it in the guest; the host never does */
};

static void clear_intercept(uint8_t *bitmap, uint32_t msr)
{
	uint32_t base = msr >= MSR_HIGH_BASE ? 1024 : 0;
	uint32_t bit = msr & (MSR_LOW_END - 1);
	bitmap[base + bit / 8] &= (uint8_t)~(1u << (bit % 8));        /* read */
	bitmap[2048 + base + bit / 8] &= (uint8_t)~(1u << (bit % 8)); /* write */
}

int vmx_msr_bitmap_init(uint64_t bitmap_phys)
{
	uint8_t *b = (uint8_t *)bitmap_phys;
	memset(b, 0xFF, PAGE_SIZE);
	for (size_t i = 0; i < ARRAY_SIZE(passthrough); i++)
		clear_intercept(b, passthrough[i]);
	return 0;
}

void vmx_msr_reset(struct vcpu *v)
{
	struct vmx_msr_state *m = &to_vmx(v)->msr;
	memset(m, 0, sizeof(*m));
	m->apic_base = APIC_BASE_DEFAULT | APIC_BASE_ENABLE | (v->id == 0 ? APIC_BASE_BSP : 0);
	m->pat = PAT_POWER_ON;
	m->misc_enable = MISC_ENABLE_FAST_STRINGS;
	m->mtrr_def_type = MTRR_DEF_TYPE_WB_ENABLED;
	m->xcr0 = 1; /* x87 */
	/* Pass-through MSRs start clean: a previous VM on this CPU must not leak. */
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	wrmsr(MSR_STAR, 0);
	wrmsr(MSR_LSTAR, 0);
	wrmsr(MSR_CSTAR, 0);
	wrmsr(MSR_SFMASK, 0);
}

static uint64_t *mtrr_slot(struct vmx_msr_state *m, uint32_t msr)
{
	if (msr >= MSR_MTRR_PHYS_BASE0 && msr < MSR_MTRR_PHYS_BASE0 + 2 * VMX_MTRR_VAR_COUNT)
		return &m->mtrr_var[msr - MSR_MTRR_PHYS_BASE0];
	if (msr == MSR_MTRR_FIX64K_00000)
		return &m->mtrr_fixed[0];
	if (msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000)
		return &m->mtrr_fixed[1 + msr - MSR_MTRR_FIX16K_80000];
	if (msr >= MSR_MTRR_FIX4K_C0000 && msr <= MSR_MTRR_FIX4K_F8000)
		return &m->mtrr_fixed[3 + msr - MSR_MTRR_FIX4K_C0000];
	if (msr == MSR_MTRR_DEF_TYPE)
		return &m->mtrr_def_type;
	return NULL;
}

/* Memory types a PAT entry may hold: UC WC WT WP WB UC- (SDM 3A 13.12.2). */
static bool pat_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(pat >> (8 * i));
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/* The LAPIC's MSRs: IA32_APIC_BASE, the x2APIC range, TSC deadline. */
static bool lapic_msr(struct vcpu *v, uint32_t msr)
{
	return v->vm->irqchip && (msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE || vlapic_msr_owned(msr));
}

static int lapic_msr_access(struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
	struct vlapic *l = irqchip_lapic(v);
	int r;
	vmx_apicv_take_tpr(v, to_vmx(v)); /* CR8 may have moved VTPR */
	irqchip_lock(v->vm);
	if (msr == MSR_IA32_APIC_BASE)
		r = write ? vlapic_set_apic_base(l, *val) : (*val = vlapic_get_apic_base(l), 0);
	else if (msr == MSR_IA32_TSC_DEADLINE)
		r = write ? vlapic_write_tsc_deadline(l, *val) : vlapic_read_tsc_deadline(l, val);
	else
		r = write ? vlapic_msr_write(l, msr, *val) : vlapic_msr_read(l, msr, val);
	irqchip_unlock(v->vm);
	if (write) /* EOI and TPR change only deliverability; the rest may move the timer */
		__atomic_fetch_or(&v->requests, msr == X2APIC_MSR_EOI || msr == X2APIC_MSR_TPR ? VCPU_REQ_EVENT
												: VCPU_REQ_DEVICE,
				  __ATOMIC_RELAXED);
	return r ? -EINVAL : 0;
}

int vmx_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	struct vmx_msr_state *m = &to_vmx(v)->msr;
	uint64_t *slot;

	if (lapic_msr(v, msr))
		return lapic_msr_access(v, msr, false, val);

	switch (msr) {
	case MSR_IA32_TSC: *val = rdtsc() + vmread(VMCS_CTRL_TSC_OFFSET); return 0;
	case MSR_IA32_APIC_BASE: *val = m->apic_base; return 0;
	case MSR_IA32_FEATURE_CONTROL: *val = FEATURE_CONTROL_LOCKED; return 0;
	case MSR_IA32_BIOS_SIGN_ID: *val = 0; return 0;
	case MSR_IA32_MTRRCAP: *val = MTRRCAP_VALUE; return 0;
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_MCG_STATUS: *val = 0; return 0;
	case MSR_IA32_MISC_ENABLE: *val = m->misc_enable; return 0;
	case MSR_IA32_PAT: *val = vmread(VMCS_GUEST_IA32_PAT); return 0;
	case MSR_EFER: *val = vmread(VMCS_GUEST_IA32_EFER); return 0;
	case MSR_IA32_XSS: *val = 0; return 0;
	default:
		slot = mtrr_slot(m, msr);
		if (!slot)
			return -EINVAL;
		*val = *slot;
		return 0;
	}
}

/* EFER.LMA follows LME and CR0.PG (SDM 3A 10.8.5); the IA-32e mode guest
 * entry control must agree with it (3C 27.3.1.1). */
static int write_efer(struct vcpu *v, uint64_t val)
{
	if (val & ~(EFER_SCE | EFER_LME_BIT | EFER_LMA_BIT | EFER_NXE_BIT))
		return -EINVAL;
	uint64_t old = vmread(VMCS_GUEST_IA32_EFER);
	bool paging = vmread(VMCS_GUEST_CR0) & CR0_PG_BIT; /* PG is guest-owned */
	if (paging && ((val ^ old) & EFER_LME_BIT))
		return -EINVAL; /* LME may not change while paging is on */
	val = (val & ~EFER_LMA_BIT) | (old & EFER_LMA_BIT);
	vmwrite(VMCS_GUEST_IA32_EFER, val);
	return 0;
}

int vmx_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	struct vmx_msr_state *m = &to_vmx(v)->msr;
	uint64_t *slot;

	if (lapic_msr(v, msr))
		return lapic_msr_access(v, msr, true, &val);

	switch (msr) {
	case MSR_IA32_TSC:
		vmwrite(VMCS_CTRL_TSC_OFFSET, val - rdtsc());
		return 0;
	case MSR_IA32_APIC_BASE:
		m->apic_base = val;
		return 0;
	case MSR_IA32_BIOS_SIGN_ID:
		return 0; /* Linux writes 0 before reading the microcode revision */
	case MSR_IA32_MISC_ENABLE:
		m->misc_enable = val;
		return 0;
	case MSR_IA32_PAT:
		if (!pat_valid(val))
			return -EINVAL;
		vmwrite(VMCS_GUEST_IA32_PAT, val);
		return 0;
	case MSR_EFER:
		return write_efer(v, val);
	case MSR_IA32_XSS:
		return val ? -EINVAL : 0; /* CPUID 0xD.1 offers no supervisor state */
	default:
		slot = mtrr_slot(m, msr);
		if (!slot)
			return -EINVAL; /* including IA32_FEATURE_CONTROL: locked */
		*slot = val;
		return 0;
	}
}

#define VEC_GP 13

/* The RDMSR/WRMSR exits: here, so the emulation inlines into them. */
int vmx_handle_rdmsr(struct vcpu *v)
{
	uint64_t val;
	uint64_t *g = v->regs.gpr;
	uint32_t msr = (uint32_t)g[GPR_RCX];
	/* The APIC base is read often (Linux: every IPI in some paths);
	 * only this vCPU changes it, so no lock. */
	if (msr == MSR_IA32_APIC_BASE && v->lapic) {
		val = v->lapic->apic_base; /* vlapic_get_apic_base(), inlined */
	} else if (vmx_msr_read(v, msr, &val)) {
		vmx_inject_exception(v, VEC_GP, true, 0);
		return 1;
	}
	g[GPR_RAX] = (uint32_t)val;
	g[GPR_RDX] = val >> 32;
	vmx_skip_instruction(v);
	return 1;
}

int vmx_handle_wrmsr(struct vcpu *v)
{
	uint64_t *g = v->regs.gpr;
	uint64_t val = (g[GPR_RDX] << 32) | (uint32_t)g[GPR_RAX];
	if (vmx_msr_write(v, (uint32_t)g[GPR_RCX], val)) {
		vmx_inject_exception(v, VEC_GP, true, 0);
		return 1;
	}
	vmx_skip_instruction(v);
	return 1;
}
