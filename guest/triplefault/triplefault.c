/* A guest that triple-faults on purpose: with an empty IDT (limit 0) the
 * #UD from UD2 cannot be delivered, which raises #GP, then #DF, then a
 * shutdown (SDM 3A 6.15, "Interrupt 8"). qemu -no-reboot exits on it; the
 * hypervisor must stop the VM with a report. Nothing after UD2 may run. */
#include "check.h"
#include "guest.h"
#include "printf.h"

const char guest_name[] = "triplefault";

int guest_main(void)
{
	static const struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) empty_idt = { 0, 0 };

	printf("triplefault: loading an empty IDT and faulting\n");
	__asm__ volatile("lidt %0\n\t"
			 "ud2" ::"m"(empty_idt));
	check_fail("still_running", "executed past ud2 with an empty IDT");
	return check_finish();
}
