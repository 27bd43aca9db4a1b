/* PIT channel 2 one-shot, gated through port 0x61 (8254 datasheet; the PC's
 * system control port B: bit 0 gate, bit 1 speaker, bit 5 OUT2). */
#include "drivers/pit.h"
#include "hv/x86.h"

#define PIT_CH2_DATA 0x42
#define PIT_COMMAND 0x43
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
/* channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count), binary */
#define PIT_CMD_CH2_MODE0 0xB0
#define PIT_SPIN_LIMIT 100000000ULL

uint64_t pit_measure_tsc(uint16_t ticks)
{
	uint8_t b = inb(PORT_B);
	outb(PORT_B, (b & ~PORT_B_SPEAKER) & ~PORT_B_GATE2);
	outb(PIT_COMMAND, PIT_CMD_CH2_MODE0);
	outb(PIT_CH2_DATA, ticks & 0xFF);
	outb(PIT_CH2_DATA, ticks >> 8);
	/* Raising the gate starts the count; OUT2 goes high at terminal count. */
	outb(PORT_B, (b & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	uint64_t start = rdtsc();
	uint64_t spins = 0;
	while (!(inb(PORT_B) & PORT_B_OUT2)) {
		if (++spins > PIT_SPIN_LIMIT)
			return 0;
	}
	uint64_t end = rdtsc();
	outb(PORT_B, b);
	return end - start;
}
