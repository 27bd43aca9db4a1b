#include "trap.h"

#include "check.h"
#include "guest.h"

#define IDT_VECTORS 64 /* exceptions 0-31, interrupts 32-63 */
#define FIRST_IRQ_VECTOR 32
#define IDT_GATE_INTERRUPT32 0x8E /* present, DPL 0, 32-bit interrupt gate (SDM 3A 6.11) */

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t zero;
	uint8_t type;
	uint16_t offset_high;
} __attribute__((packed));

struct idt_desc {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

extern const uint32_t trap_stubs[IDT_VECTORS];
static struct idt_gate idt[IDT_VECTORS];

/* Where the next exception resumes (0: nowhere, report it), and what it
 * was. Set by the *_safe() functions around the one instruction they run. */
uint32_t trap_fixup;
static volatile int trap_vector;

static const char *const vector_names[IDT_VECTORS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9", "#TS", "#NP", "#SS", "#GP", "#PF", "vector 15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "vector 22", "vector 23", "vector 24", "vector 25", "vector 26",
	"vector 27", "vector 28", "#VC", "#SX", "vector 31",
};

void trap_load_idt(void)
{
	struct idt_desc desc = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };

	__asm__ volatile("lidt %0" ::"m"(desc));
}

void trap_init(void)
{
	uint16_t cs;

	__asm__("mov %%cs, %0" : "=r"(cs));
	for (int v = 0; v < IDT_VECTORS; v++) {
		idt[v].offset_low = (uint16_t)trap_stubs[v];
		idt[v].offset_high = (uint16_t)(trap_stubs[v] >> 16);
		idt[v].selector = cs;
		idt[v].type = IDT_GATE_INTERRUPT32;
	}
	trap_load_idt();
}

static void (*irq_handlers[IDT_VECTORS])(uint32_t vector);

void trap_set_irq_handler(uint32_t vector, void (*fn)(uint32_t vector))
{
	if (vector >= FIRST_IRQ_VECTOR && vector < IDT_VECTORS)
		irq_handlers[vector] = fn;
}

void trap_handler(struct trap_frame *f)
{
	if (f->vector >= FIRST_IRQ_VECTOR) {
		if (irq_handlers[f->vector]) {
			irq_handlers[f->vector](f->vector);
			return;
		}
		check_fail("unexpected_interrupt", "vector %u at eip=0x%08x", f->vector, f->eip);
		guest_exit((uint32_t)check_finish());
	}
	if (trap_fixup) {
		trap_vector = (int)f->vector;
		f->eip = trap_fixup;
		trap_fixup = 0;
		return;
	}
	check_fail("unexpected_exception", "%s at eip=0x%08x error=0x%x", vector_names[f->vector & 31], f->eip,
		   f->error);
	guest_exit((uint32_t)check_finish());
}

/* The asm in each *_safe() function stores the address of its local label
 * 1 in trap_fixup, runs the instruction, and clears trap_fixup again: a
 * fault in between resumes at label 1 with trap_vector set. */

int rdmsr_safe(uint32_t msr, uint64_t *value)
{
	uint32_t lo = 0, hi = 0;

	trap_vector = TRAP_NONE;
	__asm__ volatile("movl $1f, trap_fixup\n\t"
			 "rdmsr\n"
			 "1:\n\t"
			 "movl $0, trap_fixup"
			 : "+a"(lo), "+d"(hi)
			 : "c"(msr)
			 : "memory");
	*value = ((uint64_t)hi << 32) | lo;
	return trap_vector;
}

int wrmsr_safe(uint32_t msr, uint64_t value)
{
	trap_vector = TRAP_NONE;
	__asm__ volatile("movl $1f, trap_fixup\n\t"
			 "wrmsr\n"
			 "1:\n\t"
			 "movl $0, trap_fixup"
			 :
			 : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			 : "memory");
	return trap_vector;
}

int load_es_safe(uint16_t selector)
{
	uint16_t saved;

	trap_vector = TRAP_NONE;
	__asm__ volatile("mov %%es, %0\n\t"
			 "movl $1f, trap_fixup\n\t"
			 "mov %1, %%es\n"
			 "1:\n\t"
			 "movl $0, trap_fixup\n\t"
			 "mov %0, %%es"
			 : "=&r"(saved)
			 : "r"(selector)
			 : "memory");
	return trap_vector;
}
