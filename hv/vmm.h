/* The VMM layer (QEMU's role above KVM): reads the configuration, creates
 * the VMs through the core API, loads their images, runs each vCPU on its
 * physical CPU and handles the exits that leave the core. */
#ifndef HV_VMM_H
#define HV_VMM_H

#include "hv/bootinfo.h"
#include "drivers/acpi.h"

#define VMM_CONFIG_MODULE "hv.cfg"

/* Reads and checks hv.cfg, creates its VMs and starts their vCPU threads
 * on their CPUs. Returns the number started. A vCPU on the boot CPU runs
 * from vmm_run_local_vcpu(), called by the boot CPU's console loop. */
int vmm_start(const struct boot_info *bi, const struct acpi_info *acpi, bool console_given);
void vmm_run_local_vcpu(void);

/* Whether the boot CPU should serve the console (the shell, VM input):
 * there are VMs, or a configuration that was refused and the shell can
 * tell why. */
bool vmm_serves_console(void);
/* Every VM stopped and on_all_stopped = "halt": the console loop ends. */
bool vmm_console_halted(void);

/* Typed bytes go to the VM in focus or the operator shell; idle guest
 * console lines are flushed. About every 10 ms on the boot CPU. */
void vmm_poll_console_input(void);

#endif
