/* Per-CPU GDT and TSS. Each CPU has its own because the TSS descriptor's busy
 * bit and IST stacks are per CPU (SDM 3A 7.2.2, 7.7). */
#include "hv/percpu.h"

/* Descriptor fields, SDM 3A 3.4.5 */
#define DESC_P (1ULL << 47)
#define DESC_S (1ULL << 44)           /* code/data (not system) */
#define DESC_CODE (0xAULL << 40)      /* execute/read */
#define DESC_DATA (0x2ULL << 40)      /* read/write */
#define DESC_L (1ULL << 53)           /* 64-bit code */
#define DESC_G (1ULL << 55)
#define DESC_LIMIT_MAX (0xFFFFULL | (0xFULL << 48))
#define DESC_TSS_AVAILABLE (0x9ULL << 40)

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

static void build_tss_descriptor(uint64_t *slot, const struct tss64 *tss)
{
	uint64_t base = (uint64_t)tss;
	uint64_t limit = sizeof(*tss) - 1;

	slot[0] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | DESC_TSS_AVAILABLE | DESC_P |
		  (((base >> 24) & 0xFF) << 56);
	slot[1] = base >> 32;
}

void gdt_load_cpu(struct percpu *c)
{
	c->gdt[0] = 0;
	c->gdt[SEL_KERNEL_CS / 8] = DESC_P | DESC_S | DESC_CODE | DESC_L | DESC_G | DESC_LIMIT_MAX;
	c->gdt[SEL_KERNEL_DS / 8] = DESC_P | DESC_S | DESC_DATA | DESC_G | DESC_LIMIT_MAX | (1ULL << 54);
	for (int i = 0; i < IST_COUNT; i++)
		c->tss.ist[i] = c->ist_top[i]; /* ist[0] is IST1 */
	c->tss.iomap_base = sizeof(c->tss); /* no I/O bitmap */
	build_tss_descriptor(&c->gdt[SEL_TSS / 8], &c->tss);

	struct gdt_ptr p = {.limit = sizeof(c->gdt) - 1, .base = (uint64_t)c->gdt};
	uint64_t gs_base = rdmsr(MSR_GS_BASE);
	/* Reload CS with a far return, then the data segments and the task register. */
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movw %%ax, %%fs\n\t"
			 "movw %%ax, %%gs\n\t"
			 "ltr %w3"
			 :
			 : "m"(p), "i"(SEL_KERNEL_CS), "r"((uint64_t)SEL_KERNEL_DS), "r"((uint64_t)SEL_TSS)
			 : "rax", "memory");
	/* Loading GS zeroed the base: restore it. */
	wrmsr(MSR_GS_BASE, gs_base);
}
