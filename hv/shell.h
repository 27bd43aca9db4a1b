/* The operator shell on the hypervisor's serial console (docs/shell.md).
 *
 * A pure module: the console multiplexer feeds it typed bytes with
 * shell_input(), it writes through ops->write and acts on the machine only
 * through the ops table, which the VMM implements (tests use fakes). All
 * calls on one shell must be serialised by the caller. Strings and counts
 * the ops hand back are not trusted: names need not be NUL-terminated,
 * counts are clamped, NULL strings print as "-", and a NULL op makes its
 * command fail with "not available". */
#ifndef HV_SHELL_H
#define HV_SHELL_H

#include "hv/compiler.h"

#define SHELL_LINE_MAX 128    /* input line, NUL included: 127 typed bytes */
#define SHELL_VALUES_MAX 80   /* name/value pairs from vcpu_regs / vm_stats */
#define SHELL_VALUE_NAME 24
#define SHELL_VM_NAME 32
#define SHELL_VMS_MAX 64      /* VMs the shell looks at (vm_count is clamped) */
#define SHELL_VM_CPUS_MAX 16  /* entries of shell_vm_info.cpus */
#define SHELL_VCPUS_MAX 64    /* vCPUs per VM that `vcpus` lists */
#define SHELL_MSG_MAX 96      /* vm_control's msg buffer, NUL included */
#define SHELL_MEM_DEFAULT 64  /* `mem` LEN when not given */
#define SHELL_MEM_MAX 4096    /* the largest `mem` LEN */
#define SHELL_OUT_MAX 384     /* one output line; longer ones are cut */

struct shell_value {
	char name[SHELL_VALUE_NAME]; /* "rip", "exit_io"...; need not be NUL-terminated if full */
	uint64_t value;
};

/* Name/value pairs (registers, exit counts), printed in the order given. */
struct shell_values {
	uint32_t count; /* values past SHELL_VALUES_MAX are ignored */
	struct shell_value v[SHELL_VALUES_MAX];
};

struct shell_vm_info {
	char name[SHELL_VM_NAME];
	const char *state;  /* "running", "halted", "stopped", "restarting" */
	const char *reason; /* why (e.g. "triple fault"), "" or NULL if none */
	uint32_t cpus[SHELL_VM_CPUS_MAX]; /* physical CPUs, one per vCPU */
	uint32_t cpu_count;
	uint64_t memory;    /* bytes of RAM */
	uint64_t exits;
	uint32_t restarts;
};

struct shell_vcpu_info {
	uint32_t pcpu;
	const char *state;  /* "running", "halted", "wait-for-sipi", "stopped" */
	uint64_t exits;
	uint64_t rip;
};

enum shell_vm_action { SHELL_VM_START, SHELL_VM_STOP, SHELL_VM_RESTART };
enum shell_machine_action { SHELL_REBOOT, SHELL_POWEROFF };

/* Return values are 0 or a negative errno. The shell zeroes every out
 * structure (and msg) before the call. */
struct shell_ops {
	void (*write)(void *ctx, const char *s, size_t len); /* console output */
	uint32_t (*vm_count)(void *ctx);
	int (*vm_info)(void *ctx, uint32_t vm, struct shell_vm_info *out);
	/* -ENOENT for a vCPU past the VM's last. */
	int (*vcpu_info)(void *ctx, uint32_t vm, uint32_t vcpu, struct shell_vcpu_info *out);
	/* -ENOENT past the last vCPU; may fail otherwise (-EBUSY...). */
	int (*vcpu_regs)(void *ctx, uint32_t vm, uint32_t vcpu, struct shell_values *out);
	int (*vm_stats)(void *ctx, uint32_t vm, struct shell_values *out);
	/* -EFAULT if any byte of [gpa, gpa + len) is outside the VM's memory. */
	int (*read_guest)(void *ctx, uint32_t vm, uint64_t gpa, void *buf, size_t len);
	/* On failure msg may say why (shown to the user); on success it may
	 * add a note ("stopping: waiting for 2 vCPUs"). */
	int (*vm_control)(void *ctx, uint32_t vm, enum shell_vm_action a, char *msg, size_t msglen);
	int (*set_log_level)(void *ctx, int level); /* 0..4 (include/hv/log.h) */
	int (*get_log_level)(void *ctx);
	void (*machine)(void *ctx, enum shell_machine_action a); /* need not return */
	/* Console input goes to that VM's UART until the escape key. */
	int (*attach)(void *ctx, uint32_t vm);
};

/* About 7.4 KiB (the `mem` and register buffers live here, not on the
 * stack): keep it static. Fields are private to hv/shell*.c. */
struct shell {
	const struct shell_ops *ops;
	void *ctx;
	char line[SHELL_LINE_MAX];
	size_t len;
	bool after_cr;  /* the last byte was CR: a following LF is the same Enter */
	uint8_t esc;    /* state of an ANSI escape sequence being swallowed */
	bool attached;  /* the last command attached the console to a VM */
	char out[SHELL_OUT_MAX]; /* the output line being built */
	size_t out_len;
	struct shell_vm_info vm; /* the VM a command works on */
	char vm_name[SHELL_VM_NAME + 1]; /* its name, NUL-terminated */
	struct shell_vcpu_info vcpu;
	struct shell_values values;
	uint8_t mem[SHELL_MEM_MAX];
};

void shell_init(struct shell *sh, const struct shell_ops *ops, void *ctx);
/* Prints "hv> ". The multiplexer calls it when the console comes back to
 * the shell (at start and after `console VM` is left). */
void shell_prompt(struct shell *sh);
/* One typed byte: printable ASCII is echoed and kept; BS or DEL erases one,
 * Ctrl-U the whole line, Ctrl-C abandons it; CR, LF or CRLF runs it and
 * prints the prompt again (not after a successful `console VM`). Other
 * control bytes, bytes >= 0x80 and ANSI escape sequences (arrow keys) are
 * ignored; a byte past SHELL_LINE_MAX - 1 is refused with a bell. */
void shell_input(struct shell *sh, uint8_t byte);
/* Runs one command line (NUL-terminated, any length). Returns 0, -EINVAL
 * or -ENOENT for a bad command or argument (after printing the error and
 * the usage), or the negative errno of a failed operation. */
int shell_execute(struct shell *sh, const char *line);

#endif
