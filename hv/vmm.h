/* The VMM layer (QEMU's role above KVM): reads the configuration, creates
 * the VMs through the core API, loads their images, runs each vCPU on its
 * physical CPU and handles the exits that leave the core. */
#ifndef HV_VMM_H
#define HV_VMM_H

#include "hv/bootinfo.h"
#include "drivers/acpi.h"

#define VMM_CONFIG_MODULE "hv.cfg"

/* Starts every configured VM. Returns the number started; the boot CPU may
 * have been given a vCPU, in which case this does not return until that
 * VM stops. */
int vmm_start(const struct boot_info *bi, const struct acpi_info *acpi);

/* Bytes typed on the hypervisor's serial port go to the console VM's COM1
 * (the first VM of hv.cfg): called by the idle boot CPU. */
void vmm_poll_console_input(void);

#endif
