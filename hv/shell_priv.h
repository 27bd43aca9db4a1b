/* Shared by the shell's parts: hv/shell.c (parsing, dispatch, output),
 * hv/shell_cmd.c (the commands) and hv/shell_input.c (line editing);
 * nothing else includes it. */
#ifndef HV_SHELL_PRIV_H
#define HV_SHELL_PRIV_H

#include "hv/shell.h"

/* A word of the command line: points into the line, not NUL-terminated. */
struct shell_arg {
	const char *s;
	size_t len;
};

/* Echoing a user's word back: at most this many bytes of it. */
#define SHELL_ARG_SHOW 40
#define ARG_FMT "%.*s"
#define ARG(a) (int)MIN((a)->len, (size_t)SHELL_ARG_SHOW), (a)->s

struct shell_cmd {
	const char *name;
	/* Argument names, "[NAME]" optional: the usage line, and the source of
	 * the argument counts and of "missing NAME" errors. */
	const char *args;
	const char *help;
	int (*run)(struct shell *sh, const struct shell_cmd *cmd, const struct shell_arg *argv,
		   uint32_t argc);
};

/* Writes raw bytes (echo, prompt) to the console. */
void shell_write(struct shell *sh, const char *s, size_t len);

/* Output: shell_add() appends to the current line, shell_eol() ends it
 * with "\r\n" and writes it; bytes that are not printable ASCII become '?'
 * (the ops' strings reach the terminal only this way). */
void shell_add(struct shell *sh, const char *fmt, ...) __printf(2, 3);
void shell_eol(struct shell *sh);
void shell_line(struct shell *sh, const char *fmt, ...) __printf(2, 3);

/* "error: CMD: message" plus "usage: CMD ARGS"; returns err. */
int shell_bad(struct shell *sh, const struct shell_cmd *cmd, int err, const char *fmt, ...)
	__printf(4, 5);
/* "error: CMD: message" alone, for an operation that failed; returns err. */
int shell_fail(struct shell *sh, const struct shell_cmd *cmd, int err, const char *fmt, ...)
	__printf(4, 5);
/* "busy (EBUSY)" for -EBUSY. */
const char *shell_errstr(int err);

bool shell_arg_is(const struct shell_arg *a, const char *word);
/* Decimal or 0x hex, no sign, at most 2^64 - 1. */
bool shell_parse_u64(const struct shell_arg *a, uint64_t *out);

uint32_t shell_vm_count(struct shell *sh);
/* Reads VM `vm` into sh->vm and sh->vm_name. */
int shell_load_vm(struct shell *sh, uint32_t vm);
/* Resolves a VM argument (name first, then index) and loads it; prints the
 * error (with usage for an unknown VM) and returns it on failure. */
int shell_find_vm(struct shell *sh, const struct shell_cmd *cmd, const struct shell_arg *a,
		  uint32_t *vm);

/* Not every command uses every argument. */
#define SHELL_CMD_FN(fn)                                                              \
	int fn(struct shell *sh, const struct shell_cmd *cmd __unused,               \
	       const struct shell_arg *argv __unused, uint32_t argc __unused)
SHELL_CMD_FN(shell_cmd_vms);
SHELL_CMD_FN(shell_cmd_vcpus);
SHELL_CMD_FN(shell_cmd_regs);
SHELL_CMD_FN(shell_cmd_stats);
SHELL_CMD_FN(shell_cmd_mem);
SHELL_CMD_FN(shell_cmd_control);
SHELL_CMD_FN(shell_cmd_console);
SHELL_CMD_FN(shell_cmd_log);
SHELL_CMD_FN(shell_cmd_machine);

#endif
