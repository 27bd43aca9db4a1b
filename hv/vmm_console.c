/* The one serial line that drives everything: guest console output becomes
 * "[name] line" on the hypervisor console, and typed input goes either to
 * one VM's UART or to the operator shell. Ctrl-] leaves a VM for the shell;
 * the shell's `console VM` goes back. Input is read on the boot CPU only
 * (its idle loop or its vCPU thread's host poll), so the shell and the
 * focus need no lock; vCPU threads only ask for the shell through a flag. */
#include "hv/vmm.h"
#include "hv/vmm_priv.h"
#include "hv/board.h"
#include "hv/console.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "hv/shell.h"
#include "hv/string.h"
#include "drivers/tsc.h"
#include "drivers/uart16550.h"

#define CONSOLE_ESCAPE 0x1D /* Ctrl-] (as telnet): from a VM back to the shell */
#define CONSOLE_INPUT_BATCH 16
#define LINE_IDLE_NS 50000000ULL /* a partial line shows after 50 ms */

static struct shell shell; /* ~7 KiB: not on a stack */
static struct vm *focus;   /* NULL: the shell has the input */
static struct vm *volatile want_shell_from; /* set by vCPU threads */
static volatile bool want_shell;
static bool started;
static const char *note; /* why no VM runs */

static void flush_line(struct vm *vm, struct vmm_vm *m)
{
	m->line[m->line_len] = '\0';
	printk(LOG_MARKER, "[%s] %s", vm->name, m->line);
	m->line_len = 0;
}

/* Guest console bytes become "[name] line" on the host console. */
void vmm_console_byte(struct vm *vm, uint8_t c)
{
	struct vmm_vm *m = vm->vmm;
	if (c == '\r' || c == 0)
		return;
	spin_lock(&m->line_lock);
	if (c == '\n') {
		flush_line(vm, m);
	} else {
		m->line[m->line_len++] = (c >= 0x20 && c < 0x7F) || c == '\t' ? (char)c : '?';
		m->line_tsc = rdtsc();
		if (m->line_len == VMM_LINE_MAX)
			flush_line(vm, m);
	}
	spin_unlock(&m->line_lock);
}

void vmm_console_flush(struct vm *vm)
{
	struct vmm_vm *m = vm->vmm;
	spin_lock(&m->line_lock);
	if (m->line_len)
		flush_line(vm, m);
	spin_unlock(&m->line_lock);
}

/* A partial line the guest stopped writing (a shell prompt, typed
 * characters echoed) is shown after a short pause rather than held. */
static void flush_idle_line(struct vm *vm)
{
	struct vmm_vm *m = vm->vmm;
	if (!m->line_len)
		return;
	spin_lock(&m->line_lock);
	if (m->line_len && rdtsc() - m->line_tsc > ns_to_tsc(LINE_IDLE_NS))
		flush_line(vm, m);
	spin_unlock(&m->line_lock);
}

static void enter_shell(const char *why)
{
	focus = NULL;
	printk(LOG_MARKER, "vmm: console: hypervisor shell%s ('help' lists the commands)", why);
	if (note) {
		printk(LOG_MARKER, "vmm: %s", note);
		note = NULL;
	}
	shell_prompt(&shell);
}

static void hint_vm_focus(struct vm *vm)
{
	printk(LOG_MARKER, "vmm: console: input goes to vm %s (Ctrl-] for the hypervisor shell)", vm->name);
}

void vmm_console_init(struct vm *first)
{
	shell_init(&shell, &vmm_shell_ops, NULL);
	started = true;
	if (first) {
		focus = first;
		hint_vm_focus(first);
	} else {
		enter_shell("");
	}
}

void vmm_console_set_note(const char *why)
{
	note = why;
}

void vmm_console_want_shell(struct vm *stopped)
{
	want_shell_from = stopped;
	__atomic_store_n(&want_shell, true, __ATOMIC_RELEASE);
}

int vmm_console_attach(struct vm *vm)
{
	if (vm->state != VM_RUNNING)
		return -EINVAL; /* a stopped VM takes no input */
	if (vmm_of(vm)->cfg->uart == VM_UART_NONE)
		return -ENODEV;
	focus = vm;
	hint_vm_focus(vm);
	return 0;
}

/* Called about every 10 ms on the boot CPU. */
void vmm_poll_console_input(void)
{
	uint8_t buf[CONSOLE_INPUT_BATCH];
	size_t n = 0;
	int c;

	for (uint32_t i = 0; i < vmm_vm_count(); i++) {
		struct vm *v = vmm_vm_at(i);
		if (v->state == VM_RUNNING)
			flush_idle_line(v);
	}
	if (!started)
		return;
	if (__atomic_load_n(&want_shell, __ATOMIC_ACQUIRE)) {
		struct vm *from = want_shell_from;
		__atomic_store_n(&want_shell, false, __ATOMIC_RELAXED);
		if (focus && (!from || from == focus))
			enter_shell(": the VM it served stopped");
	}
	while (n < sizeof(buf) && (c = uart_getc()) >= 0) {
		if (!focus) {
			shell_input(&shell, (uint8_t)c);
			continue;
		}
		if (c == CONSOLE_ESCAPE) {
			if (n)
				board_uart_receive(focus, buf, n);
			n = 0;
			enter_shell("");
			continue;
		}
		buf[n++] = (uint8_t)c;
	}
	/* A full FIFO drops the rest, as a real line would overrun. */
	if (n && focus && focus->state == VM_RUNNING)
		board_uart_receive(focus, buf, n);
}
