/* Guest SMP: the BSP starts the second CPU the way an OS does (INIT, then
 * a single STARTUP IPI with vector 0: real mode at physical 0), and the
 * two CPUs exchange IPIs through their LAPICs: fixed physical, logical
 * flat and the all-excluding-self shorthand. Runs unchanged under
 * `qemu -kernel -smp 2` and under the hypervisor with a 2-vCPU VM. Only
 * the BSP prints. With `boots=N` it resets the machine (port 0xCF9) after
 * its checks until it has booted N times: each boot must find the AP
 * waiting for INIT/SIPI again. */
#include <stdint.h>

#include "check.h"
#include "cmdline.h"
#include "guest.h"
#include "printf.h"
#include "string.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "smp";

/* xAPIC registers, SDM 3A 12.4.1 table 12-1 */
#define LAPIC 0xFEE00000u
#define LAPIC_ID 0x20
#define LAPIC_EOI 0xB0
#define LAPIC_LDR 0xD0
#define LAPIC_DFR 0xE0
#define LAPIC_SVR 0xF0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define SVR_ENABLE 0x100
#define SPURIOUS_VECTOR 0xFF
/* ICR fields, SDM 3A 12.6.1 */
#define ICR_FIXED (0u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_LOGICAL (1u << 11)
#define ICR_PENDING (1u << 12)
#define ICR_ASSERT (1u << 14)
#define ICR_ALL_BUT_SELF (3u << 18)
#define DFR_FLAT 0xFFFFFFFFu

#define AP_APIC_ID 1
#define SIPI_VECTOR 0 /* start at 0000:0000 */
#define VEC_PING 0x38 /* BSP -> AP */
#define VEC_PONG 0x39 /* AP -> BSP */
#define VEC_LOGICAL 0x3A
#define ROUND_TRIPS 10
#define WAIT_TSC 2000000000ull /* generous: Bochs counts instructions */
#define AP_STACK_SIZE 4096
/* Above the image and below 2 MiB: kept across a reset (RAM is kept) */
#define BOOT_COUNTER ((volatile uint32_t *)0x180000)
#define BOOT_MAGIC_AT ((volatile uint32_t *)0x180004)
#define BOOT_MAGIC 0x534D5042u
#define RESET_PORT 0xCF9
#define RESET_CPU_AND_SYSTEM 0x06

extern const uint8_t tramp_start[], tramp_end[], tramp_stack[], tramp_entry[];

static volatile uint32_t ap_alive, ap_apic_id, pings, pongs;
static uint8_t ap_stack[AP_STACK_SIZE] __attribute__((aligned(16)));

static void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(LAPIC + reg) = v; }
static uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(LAPIC + reg); }

static void send_ipi(uint32_t dest, uint32_t lo)
{
	lapic_write(LAPIC_ICR_HI, dest << 24);
	lapic_write(LAPIC_ICR_LO, lo);
	for (int i = 0; i < 100000 && (lapic_read(LAPIC_ICR_LO) & ICR_PENDING); i++)
		__asm__ volatile("pause");
}

/* Spins (interrupts on) until *counter reaches n or the time is up. */
static uint32_t wait_count(volatile uint32_t *counter, uint32_t n)
{
	uint64_t start = rdtsc();
	__asm__ volatile("sti" ::: "memory");
	while (*counter < n && rdtsc() - start < WAIT_TSC)
		__asm__ volatile("pause" ::: "memory");
	__asm__ volatile("cli" ::: "memory");
	return *counter;
}

static void on_ping(uint32_t vector)
{
	(void)vector;
	pings++;
	lapic_write(LAPIC_EOI, 0);
	send_ipi(0, ICR_FIXED | ICR_ASSERT | VEC_PONG);
}

static void on_pong(uint32_t vector)
{
	(void)vector;
	pongs++;
	lapic_write(LAPIC_EOI, 0);
}

/* The AP, from the trampoline: flat protected mode on its own stack. */
static void ap_main(void)
{
	trap_load_idt();
	uint32_t id = lapic_read(LAPIC_ID) >> 24;
	lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	lapic_write(LAPIC_DFR, DFR_FLAT);
	lapic_write(LAPIC_LDR, (1u << id) << 24); /* logical ID: one bit per CPU */
	ap_apic_id = id;
	__atomic_store_n(&ap_alive, 1, __ATOMIC_RELEASE);
	for (;;)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}

static void start_ap(void)
{
	uint32_t len = (uint32_t)(tramp_end - tramp_start);
	uint8_t *low = (uint8_t *)(uintptr_t)(SIPI_VECTOR << 12);
	uint32_t stack_top = (uint32_t)(uintptr_t)(ap_stack + sizeof(ap_stack));
	uint32_t entry = (uint32_t)(uintptr_t)ap_main;

	memcpy(low, tramp_start, len);
	memcpy(low + (tramp_stack - tramp_start), &stack_top, 4);
	memcpy(low + (tramp_entry - tramp_start), &entry, 4);
	send_ipi(AP_APIC_ID, ICR_INIT | ICR_ASSERT);
	uint64_t t = rdtsc();
	while (rdtsc() - t < 1000000) /* a short pause; no firmware needs 10 ms here */
		__asm__ volatile("pause");
	send_ipi(AP_APIC_ID, ICR_STARTUP | ICR_ASSERT | SIPI_VECTOR); /* one SIPI only */
}

int guest_main(void)
{
	trap_set_irq_handler(VEC_PING, on_ping);
	trap_set_irq_handler(VEC_PONG, on_pong);
	trap_set_irq_handler(VEC_LOGICAL, on_ping); /* the AP answers it too */
	lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);

	start_ap();
	if (!check(wait_count(&ap_alive, 1) == 1, "ap_starts_with_init_and_one_sipi", "the AP never ran"))
		return check_finish();
	check(ap_apic_id == AP_APIC_ID, "ap_has_apic_id_1", "id %u", ap_apic_id);

	uint32_t trips = 0;
	for (uint32_t i = 0; i < ROUND_TRIPS; i++) {
		send_ipi(AP_APIC_ID, ICR_FIXED | ICR_ASSERT | VEC_PING);
		if (wait_count(&pongs, i + 1) != i + 1)
			break;
		trips++;
	}
	check(trips == ROUND_TRIPS && pings == ROUND_TRIPS, "ipi_round_trips_between_cpus",
	      "%u of %u round trips, %u pings", trips, ROUND_TRIPS, pings);

	send_ipi(0, ICR_ALL_BUT_SELF | ICR_ASSERT | VEC_PING);
	check(wait_count(&pongs, ROUND_TRIPS + 1) == ROUND_TRIPS + 1, "ipi_all_excluding_self_reaches_the_ap",
	      "pongs %u", pongs);

	/* logical flat: destination bit 1 is the AP's logical ID */
	send_ipi(1u << AP_APIC_ID, ICR_LOGICAL | ICR_FIXED | ICR_ASSERT | VEC_LOGICAL);
	check(wait_count(&pongs, ROUND_TRIPS + 2) == ROUND_TRIPS + 2, "ipi_logical_flat_reaches_the_ap",
	      "pongs %u", pongs);

	uint32_t boots = 1;
	cmdline_uint("boots", &boots);
	if (*BOOT_MAGIC_AT != BOOT_MAGIC) {
		*BOOT_MAGIC_AT = BOOT_MAGIC;
		*BOOT_COUNTER = 0;
	}
	uint32_t n = ++*BOOT_COUNTER;
	printf("smp: boot %u of %u\n", n, boots);
	if (n < boots) {
		outb(RESET_PORT, RESET_CPU_AND_SYSTEM);
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	return check_finish();
}
