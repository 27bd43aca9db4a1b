/* The host's legacy 8259 PICs: moved off the exception vectors and masked,
 * since the hypervisor uses the local APIC and IOAPIC. */
#ifndef DRIVERS_I8259_H
#define DRIVERS_I8259_H

#include "hv/compiler.h"

void i8259_disable(uint8_t vector_base);

#endif
