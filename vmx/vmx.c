/* Entering VMX operation (SDM 3C 24.7): CPUID.1:ECX.VMX, IA32_FEATURE_CONTROL,
 * the CR0/CR4 fixed bits, a VMXON region with the VMCS revision id, VMXON. */
#include "vmx/vmx.h"
#include "vmx/vmx_insn.h"
#include "vmx/fpu.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/percpu.h"
#include "hv/smp_call.h"
#include "hv/string.h"
#include "hv/x86.h"
#include "mm/pmm.h"

/* IA32_FEATURE_CONTROL bits, SDM 3C 24.7 */
#define FC_LOCKED (1ULL << 0)
#define FC_VMXON_INSIDE_SMX (1ULL << 1)
#define FC_VMXON_OUTSIDE_SMX (1ULL << 2)

struct vmx_config g_vmx;
static bool vmx_ok;
static uint64_t vmxon_region[HV_MAX_CPUS];
static bool vmx_on[HV_MAX_CPUS];

bool vmx_available(void)
{
	return vmx_ok;
}

static void read_msrs(struct vmx_msrs *m)
{
	memset(m, 0, sizeof(*m));
	m->basic = rdmsr(MSR_IA32_VMX_BASIC);
	m->pin = rdmsr(MSR_IA32_VMX_PINBASED_CTLS);
	m->proc = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS);
	m->exit = rdmsr(MSR_IA32_VMX_EXIT_CTLS);
	m->entry = rdmsr(MSR_IA32_VMX_ENTRY_CTLS);
	m->misc = rdmsr(MSR_IA32_VMX_MISC);
	m->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	m->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	m->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	m->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	/* These exist only when the features that need them do (A.3.3, A.10):
	 * reading an absent MSR raises #GP. */
	if ((m->proc >> 32) & PROC_ACTIVATE_SECONDARY) {
		m->proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
		if ((m->proc2 >> 32) & (PROC2_ENABLE_EPT | PROC2_ENABLE_VPID))
			m->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	}
	if (m->basic & VMX_BASIC_TRUE_CTLS) {
		m->true_pin = rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS);
		m->true_proc = rdmsr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
		m->true_exit = rdmsr(MSR_IA32_VMX_TRUE_EXIT_CTLS);
		m->true_entry = rdmsr(MSR_IA32_VMX_TRUE_ENTRY_CTLS);
	}
}

static void log_msrs(const struct vmx_msrs *m)
{
	pr_debug("vmx: msrs basic=%llx pin=%llx proc=%llx exit=%llx entry=%llx misc=%llx",
		 (unsigned long long)m->basic, (unsigned long long)m->pin, (unsigned long long)m->proc,
		 (unsigned long long)m->exit, (unsigned long long)m->entry, (unsigned long long)m->misc);
	pr_debug("vmx: msrs cr0=%llx/%llx cr4=%llx/%llx proc2=%llx ept_vpid=%llx",
		 (unsigned long long)m->cr0_fixed0, (unsigned long long)m->cr0_fixed1,
		 (unsigned long long)m->cr4_fixed0, (unsigned long long)m->cr4_fixed1,
		 (unsigned long long)m->proc2, (unsigned long long)m->ept_vpid);
	pr_debug("vmx: msrs true_pin=%llx true_proc=%llx true_exit=%llx true_entry=%llx",
		 (unsigned long long)m->true_pin, (unsigned long long)m->true_proc,
		 (unsigned long long)m->true_exit, (unsigned long long)m->true_entry);
}

/* Checks (and if firmware left it open, locks) IA32_FEATURE_CONTROL. */
static int check_feature_control(void)
{
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);

	if (!(fc & FC_LOCKED)) {
		fc |= FC_LOCKED | FC_VMXON_OUTSIDE_SMX;
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
	}
	if (!(fc & FC_VMXON_OUTSIDE_SMX)) {
		printk(LOG_MARKER, "vmx: unavailable: disabled by firmware (IA32_FEATURE_CONTROL=0x%llx)",
		       (unsigned long long)fc);
		return -EPERM;
	}
	return 0;
}

/* VMXON on this CPU (runs on each CPU through smp_run_on_sync). */
static int cpu_on(void *unused)
{
	uint32_t cpu = this_cpu_index();
	int err = check_feature_control();

	if (err)
		return err;
	write_cr0((read_cr0() | g_vmx.cr0_fixed0) & g_vmx.cr0_fixed1);
	uint64_t cr4 = read_cr4() | g_vmx.cr4_fixed0 | CR4_VMXE;
	/* XSETBV/XRSTOR on a guest's behalf need OSXSAVE and OSFXSR in the
	 * host's CR4 (the host itself still uses no extended state). */
	cr4 |= CR4_OSFXSR;
	if (cpuid(1, 0).ecx & CPUID1_ECX_XSAVE)
		cr4 |= CR4_OSXSAVE;
	write_cr4(cr4 & g_vmx.cr4_fixed1);
	uint64_t region = vmxon_region[cpu];
	*(volatile uint32_t *)region = g_vmx.revision_id;
	if (vmxon(region)) {
		pr_err("vmx: VMXON failed on cpu%u", cpu);
		write_cr4(read_cr4() & ~CR4_VMXE);
		return -EIO;
	}
	vmx_on[cpu] = true;
	pr_info("vmx: cpu%u on", cpu);
	return 0;
}

static int cpu_off(void *unused)
{
	uint32_t cpu = this_cpu_index();
	if (vmx_on[cpu]) {
		vmxoff();
		write_cr4(read_cr4() & ~CR4_VMXE);
		vmx_on[cpu] = false;
	}
	return 0;
}

int vmx_init_all(void)
{
	struct vmx_msrs m;
	const char *missing;
	char summary[160];

	if (!(cpuid(1, 0).ecx & CPUID1_ECX_VMX)) {
		printk(LOG_MARKER, "vmx: unavailable: CPU has no VMX (CPUID.1:ECX[5]=0)");
		return -ENODEV;
	}
	int err = check_feature_control();
	if (err)
		return err;
	read_msrs(&m);
	log_msrs(&m);
	err = vmx_config_build(&m, &g_vmx, &missing);
	if (err) {
		printk(LOG_MARKER, "vmx: unavailable: %s", missing);
		return err;
	}
	vmx_config_describe(&g_vmx, summary, sizeof(summary));
	printk(LOG_MARKER, "vmx: caps %s", summary);

	if (vmx_fpu_init()) {
		pr_err("vmx: out of memory for the FPU init area");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < g_cpu_count; i++) {
		vmxon_region[i] = pmm_alloc(&g_pmm, 1, PAGE_SIZE, 0);
		if (!vmxon_region[i]) {
			pr_err("vmx: out of memory for VMXON regions");
			return -ENOMEM;
		}
		memset((void *)vmxon_region[i], 0, PAGE_SIZE);
	}
	err = smp_run_on_all(cpu_on, NULL);
	if (err) {
		printk(LOG_MARKER, "vmx: unavailable: VMXON failed on some CPU (error %d)", err);
		vmx_exit_all();
		return err;
	}
	vmx_ok = true;
	return 0;
}

void vmx_exit_all(void)
{
	smp_run_on_all(cpu_off, NULL);
	vmx_ok = false;
}
