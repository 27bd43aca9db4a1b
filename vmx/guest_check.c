/* Guest-state checks, SDM 3C 27.3.1.1 (control registers, MSRs), 27.3.1.2
 * (segments), 27.3.1.4 (RIP/RFLAGS), 27.3.1.5 (non-register state). */
#include <stdarg.h>

#include "vmx/guest_check.h"
#include "hv/format.h"

#define CR0_PE (1ULL << 0)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define RFLAGS_FIXED1 (1ULL << 1)
#define RFLAGS_RESERVED 0xFFFFFFFFFFC08028ULL /* bits 3, 5, 15, 22-63 */
#define RFLAGS_VM (1ULL << 17)
#define SEG_TYPE(a) ((a) & 0xF)
#define SEG_DPL(a) (((a) >> 5) & 3)
#define TYPE_TSS_BUSY_16 3
#define TYPE_TSS_BUSY 11
#define TYPE_LDT 2
#define ACTIVITY_MAX 3
#define LINK_NONE 0xFFFFFFFFFFFFFFFFULL

struct report {
	char (*out)[96];
	int max, n;
};

static void add(struct report *r, const char *fmt, ...) __printf(2, 3);
static void add(struct report *r, const char *fmt, ...)
{
	va_list ap;
	if (r->n < r->max) {
		va_start(ap, fmt);
		hv_vsnprintf(r->out[r->n], sizeof(r->out[0]), fmt, ap);
		va_end(ap);
	}
	r->n++;
}

static bool usable(const struct segment *s)
{
	return s->attrib && !(s->attrib & SEG_UNUSABLE);
}

/* Limit and granularity agree (27.3.1.2, every usable register). */
static void check_granularity(struct report *r, const char *name, const struct segment *s)
{
	if (!usable(s))
		return;
	bool g = s->attrib & SEG_G;
	if ((s->limit & 0xFFF) != 0xFFF && g)
		add(r, "%s: limit 0x%x with G=1 (low 12 bits must be all ones)", name, s->limit);
	if ((s->limit & 0xFFF00000) && !g)
		add(r, "%s: limit 0x%x above 1 MiB with G=0", name, s->limit);
}

static void check_control_registers(struct report *r, const struct guest_state *g)
{
	uint64_t must1 = g->cr0_fixed0 & ~(g->unrestricted ? CR0_PE | CR0_PG : 0);
	if ((g->cr0 & must1) != must1)
		add(r, "CR0 0x%llx lacks fixed-1 bits 0x%llx", (unsigned long long)g->cr0,
		    (unsigned long long)(must1 & ~g->cr0));
	if (g->cr0 & ~g->cr0_fixed1)
		add(r, "CR0 0x%llx sets fixed-0 bits", (unsigned long long)g->cr0);
	if ((g->cr0 & CR0_PG) && !(g->cr0 & CR0_PE))
		add(r, "CR0: PG=1 with PE=0");
	if ((g->cr4 & g->cr4_fixed0) != g->cr4_fixed0 || (g->cr4 & ~g->cr4_fixed1))
		add(r, "CR4 0x%llx violates the VMX fixed bits (fixed0 0x%llx fixed1 0x%llx)",
		    (unsigned long long)g->cr4, (unsigned long long)g->cr4_fixed0, (unsigned long long)g->cr4_fixed1);
	if (g->ia32e_entry && (!(g->cr0 & CR0_PG) || !(g->cr4 & CR4_PAE)))
		add(r, "IA-32e mode guest entry control without CR0.PG and CR4.PAE");
	if (!!(g->efer & EFER_LMA) != g->ia32e_entry)
		add(r, "EFER.LMA=%d but the IA-32e mode guest entry control is %d", !!(g->efer & EFER_LMA),
		    g->ia32e_entry);
	if ((g->cr0 & CR0_PG) && !!(g->efer & EFER_LMA) != !!(g->efer & EFER_LME))
		add(r, "EFER.LMA differs from EFER.LME with paging on");
}

static void check_segments(struct report *r, const struct guest_state *g)
{
	uint32_t cs = g->cs.attrib;
	if (!usable(&g->cs) || !(cs & SEG_P) || !(cs & SEG_S))
		add(r, "CS: access rights 0x%x: must be a present code segment", cs);
	else if (!(SEG_TYPE(cs) & 8) && !(g->unrestricted && SEG_TYPE(cs) == 3))
		add(r, "CS: type %u is not an accessed code segment", SEG_TYPE(cs));
	if (g->ia32e_entry && (cs & SEG_L) && (cs & SEG_DB))
		add(r, "CS: L=1 and D/B=1 together");
	if (usable(&g->ss) && SEG_TYPE(g->ss.attrib) != 3 && SEG_TYPE(g->ss.attrib) != 7)
		add(r, "SS: type %u, must be a read/write data segment (3 or 7)", SEG_TYPE(g->ss.attrib));
	if (usable(&g->ss) && (g->cr0 & CR0_PE) && SEG_DPL(g->ss.attrib) != SEG_DPL(cs) && !g->unrestricted)
		add(r, "SS: DPL %u differs from CS's %u", SEG_DPL(g->ss.attrib), SEG_DPL(cs));
	uint32_t tr = g->tr.attrib;
	bool tr_type_ok = SEG_TYPE(tr) == TYPE_TSS_BUSY || (!g->ia32e_entry && SEG_TYPE(tr) == TYPE_TSS_BUSY_16);
	if (!usable(&g->tr) || !(tr & SEG_P) || (tr & SEG_S) || !tr_type_ok)
		add(r, "TR: access rights 0x%x, must be a present busy TSS (type 11%s)", tr,
		    g->ia32e_entry ? "" : " or 3");
	if (usable(&g->ldtr) && (SEG_TYPE(g->ldtr.attrib) != TYPE_LDT || (g->ldtr.attrib & SEG_S) ||
				 !(g->ldtr.attrib & SEG_P)))
		add(r, "LDTR: access rights 0x%x, must be unusable or a present LDT", g->ldtr.attrib);
	check_granularity(r, "CS", &g->cs);
	check_granularity(r, "SS", &g->ss);
	check_granularity(r, "DS", &g->ds);
	check_granularity(r, "ES", &g->es);
	check_granularity(r, "FS", &g->fs);
	check_granularity(r, "GS", &g->gs);
	check_granularity(r, "TR", &g->tr);
}

int vmx_guest_state_problems(const struct guest_state *g, char out[][96], int max)
{
	struct report r = {out, max, 0};

	check_control_registers(&r, g);
	check_segments(&r, g);
	if (!(g->rflags & RFLAGS_FIXED1) || (g->rflags & RFLAGS_RESERVED))
		add(&r, "RFLAGS 0x%llx: bit 1 must be 1 and reserved bits 0", (unsigned long long)g->rflags);
	if ((g->rflags & RFLAGS_VM) && (g->ia32e_entry || !(g->cr0 & CR0_PE)))
		add(&r, "RFLAGS.VM=1 outside 32-bit protected mode");
	if (g->activity > ACTIVITY_MAX)
		add(&r, "activity state %u is not defined", g->activity);
	if (g->link_pointer != LINK_NONE)
		add(&r, "VMCS link pointer 0x%llx, must be all ones", (unsigned long long)g->link_pointer);
	return r.n;
}
