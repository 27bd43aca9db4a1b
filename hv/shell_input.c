/* The operator shell's line editor: typed bytes in, echo out, a complete
 * line to shell_execute(). */
#include "hv/shell.h"
#include "hv/shell_priv.h"
#include "hv/string.h"

#define KEY_CTRL_C 0x03
#define KEY_BS 0x08
#define KEY_CTRL_U 0x15
#define KEY_ESC 0x1B
#define KEY_DEL 0x7F

/* Where an ANSI escape sequence (ECMA-48) being swallowed has got to. */
enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };

void shell_init(struct shell *sh, const struct shell_ops *ops, void *ctx)
{
	static const struct shell_ops no_ops;

	memset(sh, 0, sizeof(*sh));
	sh->ops = ops ? ops : &no_ops;
	sh->ctx = ctx;
}

void shell_prompt(struct shell *sh)
{
	shell_write(sh, "hv> ", 4);
}

/* Erases the last n typed bytes on the terminal and in the line. */
static void erase(struct shell *sh, size_t n)
{
	static const char rubout[] = "\b \b\b \b\b \b\b \b\b \b\b \b\b \b\b \b";
	const size_t per_write = (sizeof(rubout) - 1) / 3;

	n = MIN(n, sh->len);
	sh->len -= n;
	while (n) {
		size_t k = MIN(n, per_write);
		shell_write(sh, rubout, 3 * k);
		n -= k;
	}
}

static void run_line(struct shell *sh)
{
	shell_write(sh, "\r\n", 2);
	sh->line[sh->len] = '\0';
	sh->len = 0;
	sh->attached = false;
	shell_execute(sh, sh->line);
	/* After `console VM` the VM owns the terminal: the multiplexer prompts
	 * when it gives the console back. */
	if (!sh->attached)
		shell_prompt(sh);
}

/* Arrow and function keys send ESC [ ... final or ESC O x: drop them whole
 * rather than typing their printable tail. True if c was swallowed. */
static bool swallow_escape(struct shell *sh, uint8_t c)
{
	uint8_t state = sh->esc;

	sh->esc = ESC_NONE;
	if (c < 0x20 || c >= 0x7F)
		return false; /* a control byte ends the sequence and counts itself */
	switch (state) {
	case ESC_START:
		if (c == '[')
			sh->esc = ESC_CSI;
		else if (c == 'O')
			sh->esc = ESC_SS3;
		return true;
	case ESC_CSI:
		if (c < 0x40) /* parameter and intermediate bytes */
			sh->esc = ESC_CSI;
		return true;
	case ESC_SS3:
		return true;
	default:
		return false;
	}
}

void shell_input(struct shell *sh, uint8_t c)
{
	bool after_cr = sh->after_cr;

	sh->after_cr = false;
	if (swallow_escape(sh, c))
		return;
	switch (c) {
	case '\r':
		sh->after_cr = true;
		run_line(sh);
		return;
	case '\n':
		if (!after_cr) /* CRLF is one Enter */
			run_line(sh);
		return;
	case KEY_BS:
	case KEY_DEL:
		erase(sh, 1);
		return;
	case KEY_CTRL_U:
		erase(sh, sh->len);
		return;
	case KEY_CTRL_C:
		shell_write(sh, "^C\r\n", 4);
		sh->len = 0;
		shell_prompt(sh);
		return;
	case KEY_ESC:
		sh->esc = ESC_START;
		return;
	default:
		break;
	}
	if (c < 0x20 || c >= 0x7F)
		return;
	if (sh->len >= SHELL_LINE_MAX - 1) {
		shell_write(sh, "\a", 1);
		return;
	}
	sh->line[sh->len++] = (char)c;
	shell_write(sh, (const char *)&c, 1);
}
