/* The operator shell: the command table and its parser, and the output
 * and argument helpers the commands (hv/shell_cmd.c) share. */
#include <stdarg.h>

#include "hv/errno.h"
#include "hv/format.h"
#include "hv/shell.h"
#include "hv/shell_priv.h"
#include "hv/string.h"

/* Enough for every command's words plus the first extra one. */
#define SHELL_WORDS_MAX 8

static SHELL_CMD_FN(cmd_help);

static const struct shell_cmd commands[] = {
	{ "help", "[CMD]", "list the commands, or show how to use one", cmd_help },
	{ "vms", "", "list the VMs: state, CPUs, memory, exits", shell_cmd_vms },
	{ "vcpus", "[VM]", "list the vCPUs of every VM, or of one", shell_cmd_vcpus },
	{ "regs", "VM VCPU", "show a vCPU's registers", shell_cmd_regs },
	{ "stats", "VM", "show a VM's exit counts and other statistics", shell_cmd_stats },
	{ "mem", "VM GPA [LEN]", "hex-dump LEN bytes of guest memory (default 64, at most 4096)",
	  shell_cmd_mem },
	{ "start", "VM", "start a stopped VM", shell_cmd_control },
	{ "stop", "VM", "stop a VM", shell_cmd_control },
	{ "restart", "VM", "stop a VM and start it again", shell_cmd_control },
	{ "console", "VM", "connect the console to a VM's serial port", shell_cmd_console },
	{ "log", "[LEVEL]", "show or set the log level (0-4 or err, warn, info, debug)",
	  shell_cmd_log },
	{ "reboot", "", "reset the machine", shell_cmd_machine },
	{ "poweroff", "", "power the machine off", shell_cmd_machine },
};

/* --- output ------------------------------------------------------------- */

void shell_write(struct shell *sh, const char *s, size_t len)
{
	if (sh->ops->write && len)
		sh->ops->write(sh->ctx, s, len);
}

static void vadd(struct shell *sh, const char *fmt, va_list ap)
{
	/* Room is kept for "\r\n": a cut line still ends like the others. */
	size_t room = SHELL_OUT_MAX - 2 - sh->out_len;
	int n = hv_vsnprintf(sh->out + sh->out_len, room, fmt, ap);

	if (n > 0)
		sh->out_len += MIN((size_t)n, room - 1);
}

void shell_add(struct shell *sh, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(sh, fmt, ap);
	va_end(ap);
}

void shell_eol(struct shell *sh)
{
	/* Guest and VMM strings must not move the cursor or start escapes. */
	for (size_t i = 0; i < sh->out_len; i++) {
		unsigned char c = (unsigned char)sh->out[i];
		if (c < 0x20 || c >= 0x7F)
			sh->out[i] = '?';
	}
	sh->out[sh->out_len++] = '\r';
	sh->out[sh->out_len++] = '\n';
	shell_write(sh, sh->out, sh->out_len);
	sh->out_len = 0;
}

void shell_line(struct shell *sh, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(sh, fmt, ap);
	va_end(ap);
	shell_eol(sh);
}

static void usage(struct shell *sh, const struct shell_cmd *cmd)
{
	shell_line(sh, "usage: %s%s%s", cmd->name, cmd->args[0] ? " " : "", cmd->args);
}

static void verror(struct shell *sh, const struct shell_cmd *cmd, const char *fmt, va_list ap)
{
	sh->out_len = 0;
	shell_add(sh, "error: %s%s", cmd ? cmd->name : "", cmd ? ": " : "");
	vadd(sh, fmt, ap);
	shell_eol(sh);
}

int shell_bad(struct shell *sh, const struct shell_cmd *cmd, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(sh, cmd, fmt, ap);
	va_end(ap);
	usage(sh, cmd);
	return err;
}

int shell_fail(struct shell *sh, const struct shell_cmd *cmd, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(sh, cmd, fmt, ap);
	va_end(ap);
	return err;
}

const char *shell_errstr(int err)
{
	static const struct {
		int err;
		const char *text;
	} names[] = {
		{ EPERM, "not permitted (EPERM)" },     { ENOENT, "not found (ENOENT)" },
		{ EIO, "I/O error (EIO)" },             { E2BIG, "too big (E2BIG)" },
		{ ENOMEM, "out of memory (ENOMEM)" },   { EFAULT, "bad address (EFAULT)" },
		{ EBUSY, "busy (EBUSY)" },              { EEXIST, "already exists (EEXIST)" },
		{ ENODEV, "no such device (ENODEV)" },  { EINVAL, "invalid argument (EINVAL)" },
		{ ENOSPC, "no space left (ENOSPC)" },   { ERANGE, "out of range (ERANGE)" },
		{ ENOSYS, "not available (ENOSYS)" },   { ENODATA, "no data (ENODATA)" },
		{ EBADMSG, "bad message (EBADMSG)" },   { EOVERFLOW, "overflow (EOVERFLOW)" },
		{ EOPNOTSUPP, "not supported (EOPNOTSUPP)" },
		{ ETIMEDOUT, "timed out (ETIMEDOUT)" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (-names[i].err == err)
			return names[i].text;
	return "unexpected error";
}

/* --- arguments ---------------------------------------------------------- */

bool shell_arg_is(const struct shell_arg *a, const char *word)
{
	return strlen(word) == a->len && !memcmp(a->s, word, a->len);
}

bool shell_parse_u64(const struct shell_arg *a, uint64_t *out)
{
	size_t i = 0;
	uint64_t base = 10, v = 0;

	if (a->len > 2 && a->s[0] == '0' && (a->s[1] == 'x' || a->s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == a->len)
		return false;
	for (; i < a->len; i++) {
		int d = hex_digit_value(a->s[i]);
		if (d < 0 || (uint64_t)d >= base || v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return true;
}

/* --- VMs ---------------------------------------------------------------- */

uint32_t shell_vm_count(struct shell *sh)
{
	uint32_t n = sh->ops->vm_count ? sh->ops->vm_count(sh->ctx) : 0;

	return MIN(n, (uint32_t)SHELL_VMS_MAX);
}

int shell_load_vm(struct shell *sh, uint32_t vm)
{
	int err;

	memset(&sh->vm, 0, sizeof(sh->vm));
	sh->vm_name[0] = '\0';
	if (!sh->ops->vm_info)
		return -ENOSYS;
	err = sh->ops->vm_info(sh->ctx, vm, &sh->vm);
	if (err)
		return err < 0 ? err : -EIO;
	size_t n = strnlen(sh->vm.name, sizeof(sh->vm.name));
	memcpy(sh->vm_name, sh->vm.name, n);
	sh->vm_name[n] = '\0';
	sh->vm.cpu_count = MIN(sh->vm.cpu_count, (uint32_t)SHELL_VM_CPUS_MAX);
	return 0;
}

int shell_find_vm(struct shell *sh, const struct shell_cmd *cmd, const struct shell_arg *a,
		  uint32_t *vm)
{
	uint32_t count = shell_vm_count(sh);
	uint64_t index;
	int err;

	/* A name wins over an index: a VM may be called "1". */
	for (uint32_t i = 0; i < count; i++) {
		if (!shell_load_vm(sh, i) && shell_arg_is(a, sh->vm_name)) {
			*vm = i;
			return 0;
		}
	}
	if (!shell_parse_u64(a, &index) || index >= count)
		return shell_bad(sh, cmd, -ENOENT, "no VM '" ARG_FMT "' (type 'vms' for the list)",
				 ARG(a));
	*vm = (uint32_t)index;
	err = shell_load_vm(sh, *vm);
	if (err)
		return shell_fail(sh, cmd, err, "cannot read VM %u: %s", *vm, shell_errstr(err));
	return 0;
}

/* --- commands ----------------------------------------------------------- */

/* The k-th word of a command's argument list, brackets kept. */
static bool arg_name(const char *args, uint32_t k, struct shell_arg *out)
{
	const char *p = args;

	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			return false;
		const char *start = p;
		while (*p && *p != ' ')
			p++;
		if (k-- == 0) {
			*out = (struct shell_arg){ start, (size_t)(p - start) };
			return true;
		}
	}
}

static void arg_counts(const struct shell_cmd *cmd, uint32_t *min, uint32_t *max)
{
	struct shell_arg a;

	*min = *max = 0;
	while (arg_name(cmd->args, *max, &a)) {
		if (a.s[0] != '[')
			*min = *max + 1;
		(*max)++;
	}
}

static const struct shell_cmd *find_cmd(const struct shell_arg *a)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (shell_arg_is(a, commands[i].name))
			return &commands[i];
	return NULL;
}

static SHELL_CMD_FN(cmd_help)
{
	const struct shell_cmd *c;

	if (argc == 0) {
		shell_line(sh, "commands (a VM is a name or an index; numbers are decimal or 0x hex):");
		for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
			c = &commands[i];
			shell_add(sh, "  %s%s%s", c->name, c->args[0] ? " " : "", c->args);
			/* Pads the usage to 20 columns. */
			while (sh->out_len < 20)
				sh->out[sh->out_len++] = ' ';
			shell_line(sh, "%s", c->help);
		}
		return 0;
	}
	c = find_cmd(&argv[0]);
	if (!c)
		return shell_bad(sh, cmd, -EINVAL, "unknown command '" ARG_FMT "'", ARG(&argv[0]));
	usage(sh, c);
	shell_line(sh, "%s", c->help);
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits the line into words; returns how many there are, storing at most
 * SHELL_WORDS_MAX. */
static uint32_t split(const char *line, struct shell_arg *words)
{
	uint32_t n = 0;
	const char *p = line;

	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p)
			return n;
		const char *start = p;
		while (*p && !is_blank(*p))
			p++;
		if (n < SHELL_WORDS_MAX)
			words[n] = (struct shell_arg){ start, (size_t)(p - start) };
		if (n < UINT32_MAX)
			n++;
	}
}

int shell_execute(struct shell *sh, const char *line)
{
	struct shell_arg words[SHELL_WORDS_MAX];
	const struct shell_cmd *cmd;
	uint32_t n, argc, min, max;
	struct shell_arg missing;

	sh->out_len = 0;
	if (!line)
		return 0;
	n = split(line, words);
	if (n == 0)
		return 0;
	cmd = find_cmd(&words[0]);
	if (!cmd)
		return shell_fail(sh, NULL, -EINVAL,
				  "unknown command '" ARG_FMT "' (type 'help' for the list)",
				  ARG(&words[0]));
	argc = n - 1;
	arg_counts(cmd, &min, &max);
	/* max < SHELL_WORDS_MAX - 1 for every command: the extra word is stored. */
	if (argc > max)
		return shell_bad(sh, cmd, -EINVAL, "unexpected argument '" ARG_FMT "'",
				 ARG(&words[max + 1]));
	if (argc < min) {
		missing = (struct shell_arg){ "argument", 8 };
		arg_name(cmd->args, argc, &missing); /* always there: min counts names */
		return shell_bad(sh, cmd, -EINVAL, "missing " ARG_FMT, ARG(&missing));
	}
	return cmd->run(sh, cmd, words + 1, argc);
}
