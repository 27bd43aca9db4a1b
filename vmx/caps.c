/* Control-field computation from the VMX capability MSRs (SDM 3D A.3-A.10). */
#include "vmx/caps.h"
#include "hv/errno.h"
#include "hv/format.h"

#define BASIC_REVISION_MASK 0x7FFFFFFFULL
#define BASIC_REGION_SIZE(b) ((uint32_t)(((b) >> 32) & 0x1FFF))
#define MISC_PREEMPTION_SHIFT(m) ((uint8_t)((m) & 0x1F))

uint32_t vmx_adjust_controls(uint32_t required, uint32_t optional, uint64_t cap, uint32_t *missing)
{
	uint32_t must_be_one = (uint32_t)cap;
	uint32_t may_be_one = (uint32_t)(cap >> 32);

	*missing = required & ~may_be_one;
	return ((required | optional) & may_be_one) | must_be_one;
}

struct field {
	const char *name;     /* for "vmx: unavailable: <name>" */
	uint32_t bit;
};

/* Adjusts a field; on a missing required bit sets *missing to its name. */
static int adjust(uint32_t *out, const struct field *req, size_t nreq, uint32_t optional, uint64_t cap,
		  const char **missing)
{
	uint32_t required = 0, absent;

	if ((uint32_t)cap & ~(uint32_t)(cap >> 32))
		return -EINVAL; /* must-be-one bits that may not be one */
	for (size_t i = 0; i < nreq; i++)
		required |= req[i].bit;
	*out = vmx_adjust_controls(required, optional, cap, &absent);
	for (size_t i = 0; i < nreq; i++) {
		if (absent & req[i].bit) {
			*missing = req[i].name;
			return -ENODEV;
		}
	}
	return 0;
}

static const struct field pin_required[] = {
	{"external-interrupt exiting", PIN_EXTERNAL_INTERRUPT_EXITING},
	{"NMI exiting", PIN_NMI_EXITING},
};
static const struct field proc_required[] = {
	{"HLT exiting", PROC_HLT_EXITING},
	{"I/O bitmaps", PROC_USE_IO_BITMAPS},
	{"MSR bitmaps", PROC_USE_MSR_BITMAPS},
	{"secondary controls", PROC_ACTIVATE_SECONDARY},
	/* Without them MOV to CR8 would write the host's own TPR (SDM 3C 26.3). */
	{"CR8-load exiting", PROC_CR8_LOAD_EXITING},
	{"CR8-store exiting", PROC_CR8_STORE_EXITING},
};
static const struct field proc2_required[] = {
	{"EPT", PROC2_ENABLE_EPT},
	{"unrestricted guest", PROC2_UNRESTRICTED_GUEST},
};
static const struct field exit_required[] = {
	{"64-bit host", EXIT_HOST_ADDRESS_SPACE_SIZE},
	{"save IA32_EFER on exit", EXIT_SAVE_EFER},
	{"load IA32_EFER on exit", EXIT_LOAD_EFER},
};
static const struct field entry_required[] = {
	{"load IA32_EFER on entry", ENTRY_LOAD_EFER},
};

static int build_controls(const struct vmx_msrs *m, struct vmx_config *c, const char **missing)
{
	bool true_ctls = m->basic & VMX_BASIC_TRUE_CTLS;
	uint64_t pin = true_ctls ? m->true_pin : m->pin;
	uint64_t proc = true_ctls ? m->true_proc : m->proc;
	uint64_t exit = true_ctls ? m->true_exit : m->exit;
	uint64_t entry = true_ctls ? m->true_entry : m->entry;
	int err;

	err = adjust(&c->pin, pin_required, ARRAY_SIZE(pin_required),
		     PIN_VIRTUAL_NMIS | PIN_PREEMPTION_TIMER, pin, missing);
	if (!err)
		err = adjust(&c->proc, proc_required, ARRAY_SIZE(proc_required), PROC_USE_TSC_OFFSETTING,
			     proc, missing);
	if (!err)
		err = adjust(&c->proc2, proc2_required, ARRAY_SIZE(proc2_required),
			     PROC2_ENABLE_VPID | PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID |
				     PROC2_ENABLE_XSAVES,
			     m->proc2, missing);
	if (!err)
		err = adjust(&c->exit, exit_required, ARRAY_SIZE(exit_required),
			     EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_PREEMPTION_TIMER, exit, missing);
	if (!err)
		err = adjust(&c->entry, entry_required, ARRAY_SIZE(entry_required), ENTRY_LOAD_PAT,
			     entry, missing);
	if (err)
		return err;

	/* Bits toggled while running must be allowed; they start clear unless
	 * the CPU forces them. */
	c->interrupt_window = (proc >> 32) & PROC_INTERRUPT_WINDOW_EXITING;
	c->apic_register_virtualization =
		((proc >> 32) & PROC_USE_TPR_SHADOW) && (c->proc & PROC_ACTIVATE_SECONDARY) &&
		((m->proc2 >> 32) & (PROC2_VIRTUALIZE_APIC_ACCESSES | PROC2_APIC_REGISTER_VIRTUALIZATION)) ==
			(PROC2_VIRTUALIZE_APIC_ACCESSES | PROC2_APIC_REGISTER_VIRTUALIZATION);
	c->nmi_window = (proc >> 32) & PROC_NMI_WINDOW_EXITING;
	c->ia32e_guest = (entry >> 32) & ENTRY_IA32E_MODE_GUEST;
	c->virtual_nmis = c->pin & PIN_VIRTUAL_NMIS;
	c->preemption_timer = c->pin & PIN_PREEMPTION_TIMER;
	c->save_preemption_timer = c->exit & EXIT_SAVE_PREEMPTION_TIMER;
	/* Only valid while the timer is active (SDM 27.2.1.2): set with it. */
	c->exit &= ~EXIT_SAVE_PREEMPTION_TIMER | (uint32_t)exit;
	c->pin &= ~PIN_PREEMPTION_TIMER | (uint32_t)pin; /* armed per run, not always */
	c->unrestricted_guest = c->proc2 & PROC2_UNRESTRICTED_GUEST;
	c->vpid = (c->proc2 & PROC2_ENABLE_VPID) && (m->ept_vpid & VPID_CAP_INVVPID);
	if (!c->vpid)
		c->proc2 &= ~PROC2_ENABLE_VPID;
	if (!c->interrupt_window) {
		*missing = "interrupt-window exiting";
		return -ENODEV;
	}
	if (!c->ia32e_guest) {
		*missing = "64-bit guests (IA-32e mode guest entry control)";
		return -ENODEV;
	}
	return 0;
}

static int build_ept(const struct vmx_msrs *m, struct vmx_config *c, const char **missing)
{
	uint64_t cap = m->ept_vpid;

	if (!(cap & EPT_CAP_WALK_4)) {
		*missing = "EPT 4-level walk";
		return -ENODEV;
	}
	if (!(cap & EPT_CAP_WB)) {
		*missing = "EPT write-back memory type";
		return -ENODEV;
	}
	if (!(cap & EPT_CAP_INVEPT) || !(cap & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL))) {
		*missing = "INVEPT";
		return -ENODEV;
	}
	c->ept_2m = cap & EPT_CAP_2M;
	c->ept_1g = cap & EPT_CAP_1G;
	c->ept_ad = cap & EPT_CAP_AD;
	c->invept_single = cap & EPT_CAP_INVEPT_SINGLE;
	c->invept_all = cap & EPT_CAP_INVEPT_ALL;
	c->invvpid_single = cap & VPID_CAP_INVVPID_SINGLE;
	c->invvpid_all = cap & VPID_CAP_INVVPID_ALL;
	if (c->vpid && !c->invvpid_single && !c->invvpid_all) {
		c->vpid = false; /* VPIDs we could never flush are worse than none */
		c->proc2 &= ~PROC2_ENABLE_VPID;
	}
	return 0;
}

int vmx_config_build(const struct vmx_msrs *m, struct vmx_config *out, const char **missing)
{
	struct vmx_config c = {0};
	int err;

	*missing = NULL;
	c.revision_id = (uint32_t)(m->basic & BASIC_REVISION_MASK);
	c.region_size = BASIC_REGION_SIZE(m->basic);
	if (c.region_size == 0 || c.region_size > 4096) {
		*missing = "a VMCS region of at most 4 KiB";
		return -EINVAL;
	}
	err = build_controls(m, &c, missing);
	if (!err)
		err = build_ept(m, &c, missing);
	if (err) {
		if (err == -EINVAL)
			*missing = "consistent capability MSRs";
		return err;
	}
	c.preemption_timer_shift = MISC_PREEMPTION_SHIFT(m->misc);
	c.cr0_fixed0 = m->cr0_fixed0;
	c.cr0_fixed1 = m->cr0_fixed1;
	c.cr4_fixed0 = m->cr4_fixed0;
	c.cr4_fixed1 = m->cr4_fixed1;
	*out = c;
	return 0;
}

int vmx_config_describe(const struct vmx_config *c, char *buf, size_t size)
{
	return hv_snprintf(buf, size,
			   "ept=1 vpid=%d ug=%d ept2m=%d ept1g=%d ad=%d invept=%s%s invvpid=%s%s "
			   "preempt=%d(shift %u) vnmi=%d nmiwin=%d apicv=%d",
			   c->vpid, c->unrestricted_guest, c->ept_2m, c->ept_1g, c->ept_ad,
			   c->invept_single ? "single," : "", c->invept_all ? "all" : "",
			   c->invvpid_single ? "single," : "", c->invvpid_all ? "all" : "",
			   c->preemption_timer, c->preemption_timer_shift, c->virtual_nmis, c->nmi_window,
			   c->apic_register_virtualization);
}
