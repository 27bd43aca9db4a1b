/* Host local APIC driver, xAPIC (MMIO) or x2APIC (MSRs), SDM 3A chapter 11. */
#ifndef DRIVERS_LAPIC_H
#define DRIVERS_LAPIC_H

#include "hv/compiler.h"

/* Chooses the mode (x2APIC when the CPU has it and allow_x2apic), maps the
 * xAPIC page. `mmio_base` is the MADT's address (0: from IA32_APIC_BASE).
 * Returns 0 or -ENODEV when the CPU has no APIC. */
int lapic_init(bool allow_x2apic, uint64_t mmio_base);
/* Per CPU: enter the chosen mode, software-enable, mask LVTs. */
void lapic_init_cpu(void);
bool lapic_ready(void);
bool lapic_is_x2apic(void);
uint32_t lapic_id(void);
void lapic_eoi(void);

void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_nmi_all_but_self(void);
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint8_t vector_page);
/* Waits until the last IPI left (xAPIC delivery status); false on timeout. */
bool lapic_ipi_wait_idle(void);

/* One-shot timer: fires `vector` after `count` ticks of (bus clock / 16). */
void lapic_timer_oneshot(uint32_t count, uint8_t vector);
void lapic_timer_stop(void);

/* Wakes this CPU with `vector` once the TSC reaches `tsc` (TSC-deadline
 * mode when the CPU has it, else a one-shot count from the LAPIC timer
 * rate measured at boot). A deadline in the past fires at once. */
void lapic_timer_at_tsc(uint64_t tsc, uint8_t vector);
/* Measures the LAPIC timer against the TSC (boot CPU, once). */
void lapic_timer_calibrate(void);

#endif
