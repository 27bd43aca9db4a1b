/* VMCS set-up (SDM 3C chapter 25): host state from the per-CPU area, guest
 * state from the vCPU's sregs/regs, controls from the probed configuration. */
#include "vmx/vmx_vcpu.h"
#include "vmx/apicv.h"
#include "vmx/guest_check.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx.h"
#include "vmx/vmx_insn.h"
#include "hv/log.h"
#include "hv/percpu.h"
#include "hv/x86.h"

#define DR7_RESET 0x400ULL
#define VMCS_LINK_NONE 0xFFFFFFFFFFFFFFFFULL
#define CR0_NE_BIT (1ULL << 5)
#define CR0_PE_BIT (1ULL << 0)
#define CR0_PG_BIT (1ULL << 31)
#define CR0_CD_NW ((1ULL << 30) | (1ULL << 29))
#define EFER_LMA_BIT (1ULL << 10)
#define RFLAGS_RESERVED_ONE 0x2ULL

extern void vmx_exit(void);

struct dt_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

/* The guest owns every CR0/CR4 bit but those VMX forces (fixed-1 bits that
 * unrestricted guest does not exempt) and CR0.CD/NW, which stay with the
 * host; reads of those come from the read shadow. */
static uint64_t cr0_host_owned(void)
{
	uint64_t forced = g_vmx.cr0_fixed0 & ~(CR0_PE_BIT | CR0_PG_BIT);
	return forced | CR0_CD_NW;
}

static uint64_t cr4_host_owned(void)
{
	return g_vmx.cr4_fixed0 | ~g_vmx.cr4_fixed1;
}

/* CR0/CR4 as the guest sees them: its own bits from the VMCS (it may have
 * changed them without an exit), the host-owned ones from the shadow. */
uint64_t vmx_guest_cr0(struct vmx_vcpu *x)
{
	uint64_t mask = cr0_host_owned();
	return (vmread(VMCS_GUEST_CR0) & ~mask) | (x->cr0_shadow & mask);
}

uint64_t vmx_guest_cr4(struct vmx_vcpu *x)
{
	uint64_t mask = cr4_host_owned();
	return (vmread(VMCS_GUEST_CR4) & ~mask) | (x->cr4_shadow & mask);
}

uint64_t vmx_guest_cr0_for(uint64_t cr0)
{
	uint64_t forced = g_vmx.cr0_fixed0 & ~(CR0_PE_BIT | CR0_PG_BIT);
	return ((cr0 | forced) & g_vmx.cr0_fixed1) & ~CR0_CD_NW;
}

uint64_t vmx_guest_cr4_for(uint64_t cr4)
{
	return (cr4 | g_vmx.cr4_fixed0) & g_vmx.cr4_fixed1;
}

static void write_host_state(void)
{
	struct percpu *c = this_cpu();
	struct dt_ptr gdt, idt;

	__asm__ volatile("sgdt %0" : "=m"(gdt));
	__asm__ volatile("sidt %0" : "=m"(idt));
	vmwrite(VMCS_HOST_CR0, read_cr0());
	vmwrite(VMCS_HOST_CR3, read_cr3());
	vmwrite(VMCS_HOST_CR4, read_cr4());
	vmwrite(VMCS_HOST_CS_SELECTOR, SEL_KERNEL_CS);
	vmwrite(VMCS_HOST_SS_SELECTOR, SEL_KERNEL_DS);
	vmwrite(VMCS_HOST_DS_SELECTOR, SEL_KERNEL_DS);
	vmwrite(VMCS_HOST_ES_SELECTOR, SEL_KERNEL_DS);
	vmwrite(VMCS_HOST_FS_SELECTOR, 0);
	vmwrite(VMCS_HOST_GS_SELECTOR, 0);
	vmwrite(VMCS_HOST_TR_SELECTOR, SEL_TSS);
	vmwrite(VMCS_HOST_FS_BASE, 0);
	vmwrite(VMCS_HOST_GS_BASE, (uint64_t)c);
	vmwrite(VMCS_HOST_TR_BASE, (uint64_t)&c->tss);
	vmwrite(VMCS_HOST_GDTR_BASE, gdt.base);
	vmwrite(VMCS_HOST_IDTR_BASE, idt.base);
	vmwrite(VMCS_HOST_IA32_SYSENTER_CS, 0);
	vmwrite(VMCS_HOST_IA32_SYSENTER_ESP, 0);
	vmwrite(VMCS_HOST_IA32_SYSENTER_EIP, 0);
	vmwrite(VMCS_HOST_IA32_EFER, rdmsr(MSR_EFER));
	if (g_vmx.exit & EXIT_LOAD_PAT)
		vmwrite(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmwrite(VMCS_HOST_RIP, (uint64_t)vmx_exit);
}

/* The controls running changes (windows, the preemption timer, APIC
 * virtualization, the TSC offset, a pending injection), back to their
 * values at set-up: also what a vCPU reset needs. */
void vmcs_write_run_controls(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);

	vmwrite(VMCS_CTRL_PIN_BASED, g_vmx.pin);
	vmwrite(VMCS_CTRL_PROC_BASED, x->proc);
	vmwrite(VMCS_CTRL_PROC_BASED2, x->proc2);
	vmx_apicv_write_controls(v);
	vmwrite(VMCS_CTRL_EXIT_CONTROLS, g_vmx.exit);
	vmwrite(VMCS_CTRL_ENTRY_INTR_INFO, 0);
	vmwrite(VMCS_CTRL_TSC_OFFSET, 0);
	x->timer_armed = false;
}

static void write_controls(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	struct vmx_vm *xm = to_vmx_vm(v->vm);

	vmcs_write_run_controls(v);
	vmwrite(VMCS_CTRL_ENTRY_CONTROLS, g_vmx.entry);
	vmwrite(VMCS_CTRL_EXCEPTION_BITMAP, 0);
	vmwrite(VMCS_CTRL_PF_ERROR_CODE_MASK, 0);
	vmwrite(VMCS_CTRL_PF_ERROR_CODE_MATCH, 0);
	vmwrite(VMCS_CTRL_CR3_TARGET_COUNT, 0);
	vmwrite(VMCS_CTRL_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VMCS_CTRL_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_CTRL_IO_BITMAP_A, xm->io_bitmap[0]);
	vmwrite(VMCS_CTRL_IO_BITMAP_B, xm->io_bitmap[1]);
	vmwrite(VMCS_CTRL_MSR_BITMAP, xm->msr_bitmap);
	vmwrite(VMCS_CTRL_EPT_POINTER, ept_pointer(&xm->ept));
	if (g_vmx.vpid)
		vmwrite(VMCS_CTRL_VPID, x->vpid);
	vmwrite(VMCS_CTRL_CR0_GUEST_HOST_MASK, cr0_host_owned());
	vmwrite(VMCS_CTRL_CR4_GUEST_HOST_MASK, cr4_host_owned());
	if (x->proc2 & PROC2_ENABLE_XSAVES)
		vmwrite(VMCS_CTRL_XSS_EXITING_BITMAP, 0); /* XSAVES/XRSTORS run without exits */
}

static void write_segment(uint32_t sel_field, const struct segment *s)
{
	/* Field groups are laid out in the same order for every segment
	 * register (B.1.2, B.3.3, B.4.3): selector, limit, access rights, base. */
	uint32_t idx = (sel_field - VMCS_GUEST_ES_SELECTOR) / 2;
	uint32_t attrib = s->attrib ? s->attrib : SEG_UNUSABLE;
	vmwrite(VMCS_GUEST_ES_SELECTOR + idx * 2, s->selector);
	vmwrite(VMCS_GUEST_ES_LIMIT + idx * 2, s->limit);
	vmwrite(VMCS_GUEST_ES_ACCESS_RIGHTS + idx * 2, attrib);
	vmwrite(VMCS_GUEST_ES_BASE + idx * 2, s->base);
}

static void read_segment(uint32_t sel_field, struct segment *s)
{
	uint32_t idx = (sel_field - VMCS_GUEST_ES_SELECTOR) / 2;
	s->selector = (uint16_t)vmread(VMCS_GUEST_ES_SELECTOR + idx * 2);
	s->limit = (uint32_t)vmread(VMCS_GUEST_ES_LIMIT + idx * 2);
	uint32_t ar = (uint32_t)vmread(VMCS_GUEST_ES_ACCESS_RIGHTS + idx * 2);
	s->attrib = ar & SEG_UNUSABLE ? 0 : (uint16_t)ar;
	s->base = vmread(VMCS_GUEST_ES_BASE + idx * 2);
}

void vmcs_write_guest_sregs(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	const struct sregs *s = &v->sregs;

	write_segment(VMCS_GUEST_ES_SELECTOR, &s->es);
	write_segment(VMCS_GUEST_CS_SELECTOR, &s->cs);
	write_segment(VMCS_GUEST_SS_SELECTOR, &s->ss);
	write_segment(VMCS_GUEST_DS_SELECTOR, &s->ds);
	write_segment(VMCS_GUEST_FS_SELECTOR, &s->fs);
	write_segment(VMCS_GUEST_GS_SELECTOR, &s->gs);
	write_segment(VMCS_GUEST_LDTR_SELECTOR, &s->ldt);
	write_segment(VMCS_GUEST_TR_SELECTOR, &s->tr);
	vmwrite(VMCS_GUEST_GDTR_BASE, s->gdt.base);
	vmwrite(VMCS_GUEST_GDTR_LIMIT, s->gdt.limit);
	vmwrite(VMCS_GUEST_IDTR_BASE, s->idt.base);
	vmwrite(VMCS_GUEST_IDTR_LIMIT, s->idt.limit);
	x->cr0_shadow = s->cr0;
	x->cr4_shadow = s->cr4;
	vmwrite(VMCS_GUEST_CR0, vmx_guest_cr0_for(s->cr0));
	vmwrite(VMCS_CTRL_CR0_READ_SHADOW, s->cr0);
	vmwrite(VMCS_GUEST_CR3, s->cr3);
	vmwrite(VMCS_GUEST_CR4, vmx_guest_cr4_for(s->cr4));
	vmwrite(VMCS_CTRL_CR4_READ_SHADOW, s->cr4);
	/* CR2 is not in the VMCS. The host never takes a page fault while
	 * running a guest's vCPU, so the guest's CR2 simply stays loaded. */
	__asm__ volatile("mov %0, %%cr2" ::"r"(s->cr2));
	vmwrite(VMCS_GUEST_IA32_EFER, s->efer);
	uint32_t entry = g_vmx.entry & ~ENTRY_IA32E_MODE_GUEST;
	if (s->efer & EFER_LMA_BIT)
		entry |= ENTRY_IA32E_MODE_GUEST;
	vmwrite(VMCS_CTRL_ENTRY_CONTROLS, entry);
}

void vmcs_read_guest_sregs(struct vcpu *v, struct sregs *s)
{
	struct vmx_vcpu *x = to_vmx(v);

	read_segment(VMCS_GUEST_ES_SELECTOR, &s->es);
	read_segment(VMCS_GUEST_CS_SELECTOR, &s->cs);
	read_segment(VMCS_GUEST_SS_SELECTOR, &s->ss);
	read_segment(VMCS_GUEST_DS_SELECTOR, &s->ds);
	read_segment(VMCS_GUEST_FS_SELECTOR, &s->fs);
	read_segment(VMCS_GUEST_GS_SELECTOR, &s->gs);
	read_segment(VMCS_GUEST_LDTR_SELECTOR, &s->ldt);
	read_segment(VMCS_GUEST_TR_SELECTOR, &s->tr);
	s->gdt.base = vmread(VMCS_GUEST_GDTR_BASE);
	s->gdt.limit = (uint16_t)vmread(VMCS_GUEST_GDTR_LIMIT);
	s->idt.base = vmread(VMCS_GUEST_IDTR_BASE);
	s->idt.limit = (uint16_t)vmread(VMCS_GUEST_IDTR_LIMIT);
	s->cr0 = vmx_guest_cr0(x);
	s->cr2 = read_cr2();
	s->cr3 = vmread(VMCS_GUEST_CR3);
	s->cr4 = vmx_guest_cr4(x);
	s->efer = vmread(VMCS_GUEST_IA32_EFER);
}

static void write_guest_fixed_state(struct vcpu *v)
{
	vmwrite(VMCS_GUEST_DR7, DR7_RESET);
	vmwrite(VMCS_GUEST_IA32_DEBUGCTL, 0);
	vmwrite(VMCS_GUEST_IA32_SYSENTER_CS, 0);
	vmwrite(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
	vmwrite(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
	vmwrite(VMCS_GUEST_IA32_PAT, to_vmx(v)->msr.pat);
	vmwrite(VMCS_GUEST_VMCS_LINK_POINTER, VMCS_LINK_NONE);
	vmwrite(VMCS_GUEST_ACTIVITY_STATE, 0);
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmwrite(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
}

int vmcs_load(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	int cpu = (int)this_cpu_index();

	if (x->loaded_cpu == cpu)
		return 0;
	if (x->loaded_cpu >= 0)
		return -EBUSY; /* current on another CPU: its state lives there */
	/* A VMCS moves between CPUs only through VMCLEAR (SDM 3C 25.11.1);
	 * ours never move: each vCPU belongs to one CPU. */
	*(volatile uint32_t *)x->vmcs = g_vmx.revision_id;
	if (vmclear(x->vmcs) || vmptrld(x->vmcs)) {
		pr_err("vmx: cannot load the VMCS of %s vcpu%u", v->vm->name, v->id);
		return -EIO;
	}
	x->loaded_cpu = cpu;
	x->launched = false;
	x->host_rsp = 0;
	write_host_state();
	write_controls(v);
	write_guest_fixed_state(v);
	vmcs_write_guest_sregs(v);
	v->sregs_dirty = false;
	v->regs_dirty = true;
	return 0;
}

void vmcs_dump(struct vcpu *v)
{
	struct sregs s;
	const struct regs *r = &v->regs;

	vmcs_read_guest_sregs(v, &s);
	pr_err("  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx", (unsigned long long)r->gpr[GPR_RAX],
	       (unsigned long long)r->gpr[GPR_RBX], (unsigned long long)r->gpr[GPR_RCX],
	       (unsigned long long)r->gpr[GPR_RDX]);
	pr_err("  rsi=%016llx rdi=%016llx rbp=%016llx rsp=%016llx", (unsigned long long)r->gpr[GPR_RSI],
	       (unsigned long long)r->gpr[GPR_RDI], (unsigned long long)r->gpr[GPR_RBP],
	       (unsigned long long)vmread(VMCS_GUEST_RSP));
	pr_err("  rip=%016llx rflags=%08llx cs=%04x(base %llx ar %x) ss=%04x",
	       (unsigned long long)vmread(VMCS_GUEST_RIP), (unsigned long long)vmread(VMCS_GUEST_RFLAGS),
	       s.cs.selector, (unsigned long long)s.cs.base, s.cs.attrib, s.ss.selector);
	pr_err("  cr0=%llx (real %llx) cr3=%llx cr4=%llx (real %llx) efer=%llx",
	       (unsigned long long)s.cr0, (unsigned long long)vmread(VMCS_GUEST_CR0),
	       (unsigned long long)s.cr3, (unsigned long long)s.cr4,
	       (unsigned long long)vmread(VMCS_GUEST_CR4), (unsigned long long)s.efer);
	pr_err("  gdt=%llx/%x idt=%llx/%x tr=%04x(ar %x) activity=%llu interruptibility=%llx",
	       (unsigned long long)s.gdt.base, s.gdt.limit, (unsigned long long)s.idt.base, s.idt.limit,
	       s.tr.selector, s.tr.attrib, (unsigned long long)vmread(VMCS_GUEST_ACTIVITY_STATE),
	       (unsigned long long)vmread(VMCS_GUEST_INTERRUPTIBILITY));
}

/* The guest state as VM entry sees it, for vmx/guest_check.c. */
void vmcs_snapshot_guest(struct vcpu *v, struct guest_state *g)
{
	struct sregs s;
	vmcs_read_guest_sregs(v, &s);
	g->cr0 = vmread(VMCS_GUEST_CR0);
	g->cr4 = vmread(VMCS_GUEST_CR4);
	g->efer = vmread(VMCS_GUEST_IA32_EFER);
	g->rflags = vmread(VMCS_GUEST_RFLAGS);
	g->link_pointer = vmread(VMCS_GUEST_VMCS_LINK_POINTER);
	g->activity = (uint32_t)vmread(VMCS_GUEST_ACTIVITY_STATE);
	g->cs = s.cs;
	g->ss = s.ss;
	g->ds = s.ds;
	g->es = s.es;
	g->fs = s.fs;
	g->gs = s.gs;
	g->tr = s.tr;
	g->ldtr = s.ldt;
	g->ia32e_entry = vmread(VMCS_CTRL_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST;
	g->unrestricted = vmread(VMCS_CTRL_PROC_BASED2) & PROC2_UNRESTRICTED_GUEST;
	g->cr0_fixed0 = g_vmx.cr0_fixed0;
	g->cr0_fixed1 = g_vmx.cr0_fixed1;
	g->cr4_fixed0 = g_vmx.cr4_fixed0;
	g->cr4_fixed1 = g_vmx.cr4_fixed1;
}
