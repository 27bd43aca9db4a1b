/* Guest-linear memory access for exit handlers: translate through the
 * guest's own page tables (hv/gpt.c), then through the memslots. */
#include "vmx/guest_mem.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx_insn.h"
#include "hv/errno.h"
#include "hv/gpt.h"

#define CR4_PSE (1ULL << 4)

static int read_gpa(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	return vm_read_phys((struct vm *)ctx, gpa, dst, len);
}

int vmx_gla_to_gpa(struct vcpu *v, uint64_t gla, bool write, uint64_t *gpa)
{
	struct gpt_walker w = {read_gpa, v->vm, NULL};
	uint64_t cr0 = vmread(VMCS_GUEST_CR0), cr4 = vmread(VMCS_GUEST_CR4);
	enum gpt_mode mode = gpt_mode_of(cr0, cr4, vmread(VMCS_GUEST_IA32_EFER));
	return gpt_translate(&w, mode, vmread(VMCS_GUEST_CR3), cr4 & CR4_PSE, gla, write, gpa);
}

int vmx_walk_for_fetch(struct vcpu *v, enum gpt_mode mode, uint64_t cr3, bool pse, uint64_t gla,
		       struct gpt_path *path, uint64_t *gpa)
{
	struct gpt_walker w = {read_gpa, v->vm, path};
	return gpt_translate(&w, mode, cr3, pse, gla, false, gpa);
}

/* Splits at guest page boundaries: each page translates on its own. */
static int access(struct vcpu *v, uint64_t gla, void *buf, size_t len, bool write)
{
	uint8_t *p = buf;
	while (len) {
		size_t chunk = MIN(len, (size_t)(PAGE_SIZE - (gla & (PAGE_SIZE - 1))));
		uint64_t gpa;
		int err = vmx_gla_to_gpa(v, gla, write, &gpa);
		if (err)
			return err;
		err = write ? vm_write_phys(v->vm, gpa, p, chunk) : vm_read_phys(v->vm, gpa, p, chunk);
		if (err)
			return err;
		gla += chunk;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

int vmx_read_gla(struct vcpu *v, uint64_t gla, void *buf, size_t len)
{
	return access(v, gla, buf, len, false);
}

int vmx_write_gla(struct vcpu *v, uint64_t gla, const void *buf, size_t len)
{
	return access(v, gla, (void *)buf, len, true);
}
