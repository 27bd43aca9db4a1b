/* Console output: serial + optional VGA mirror under one lock. */
#include "hv/console.h"
#include "hv/panic.h"
#include "hv/percpu.h"
#include "hv/spinlock.h"
#include "drivers/uart16550.h"
#include "drivers/vga_text.h"

#define NO_OWNER 0xFFFFFFFFu

static spinlock_t console_lock = SPINLOCK_INIT;
static volatile uint32_t console_owner = NO_OWNER;
static bool serial_on = true, vga_on;

void console_set_serial(bool enabled)
{
	serial_on = enabled;
}

void console_set_vga(bool enabled)
{
	vga_on = enabled;
}

static void emit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (serial_on) {
			if (s[i] == '\n')
				uart_putc('\r');
			uart_putc(s[i]);
		}
		if (vga_on)
			vga_text_putc(s[i]);
	}
}

void console_write_line(const char *s, size_t len)
{
	uint32_t me = this_cpu_index();
	uint64_t flags = irq_save();
	bool locked = false;

	/* Re-entry on the same CPU (an exception or NMI inside printk), or a
	 * panic: write without waiting for the lock rather than deadlock; a
	 * torn line beats a silent hang. */
	if (console_owner != me) {
		if (panic_in_progress()) {
			locked = spin_trylock(&console_lock);
		} else {
			spin_lock(&console_lock);
			locked = true;
		}
	}
	if (locked)
		console_owner = me;
	emit(s, len);
	if (locked) {
		console_owner = NO_OWNER;
		spin_unlock(&console_lock);
	}
	irq_restore(flags);
}
