/* The shell's commands: each checks its arguments, calls the VMM through
 * the ops table and prints what it got in the formats of docs/shell.md. */
#include "hv/errno.h"
#include "hv/format.h"
#include "hv/shell.h"
#include "hv/shell_priv.h"
#include "hv/string.h"

/* The terminal width the multi-column output is laid out for. */
#define SHELL_COLUMNS 80

static const char *const level_names[] = { "fatal", "err", "warn", "info", "debug" };

/* The ops promise 0 or a negative errno; anything else is still a failure. */
static int op_err(int r)
{
	return r > 0 ? -EIO : r;
}

static int not_available(struct shell *sh, const struct shell_cmd *cmd)
{
	return shell_fail(sh, cmd, -ENOSYS, "not available");
}

static const char *or_dash(const char *s)
{
	return s && s[0] ? s : "-";
}

/* Exact sizes only: the largest binary unit that divides it ("512M",
 * "1536M", "4K", "1000"). */
static void format_size(char *buf, size_t cap, uint64_t bytes)
{
	static const struct {
		uint64_t unit;
		char suffix;
	} units[] = { { GiB, 'G' }, { MiB, 'M' }, { KiB, 'K' } };

	for (size_t i = 0; bytes && i < ARRAY_SIZE(units); i++) {
		if (bytes % units[i].unit == 0) {
			hv_snprintf(buf, cap, "%llu%c", (unsigned long long)(bytes / units[i].unit),
				    units[i].suffix);
			return;
		}
	}
	hv_snprintf(buf, cap, "%llu", (unsigned long long)bytes);
}

/* "1,2,3", or "-" for none. */
static void format_cpus(char *buf, size_t cap, const struct shell_vm_info *vm)
{
	size_t len = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < vm->cpu_count && len < cap; i++) {
		int n = hv_snprintf(buf + len, cap - len, "%s%u", i ? "," : "", vm->cpus[i]);
		if (n > 0)
			len += (size_t)n;
	}
	if (!buf[0])
		hv_snprintf(buf, cap, "-");
}

/* --- vms, vcpus ----------------------------------------------------------- */

SHELL_CMD_FN(shell_cmd_vms)
{
	uint32_t count = shell_vm_count(sh);
	char cpus[SHELL_VM_CPUS_MAX * 11 + 1];
	char mem[24];

	shell_line(sh, "%2s  %-16s %-11s %-12s %6s %14s %8s %s", "ID", "NAME", "STATE", "CPUS",
		   "MEMORY", "EXITS", "RESTARTS", "REASON");
	for (uint32_t i = 0; i < count; i++) {
		int err = shell_load_vm(sh, i);
		if (err) {
			shell_line(sh, "%2u  (unavailable: %s)", i, shell_errstr(err));
			continue;
		}
		format_cpus(cpus, sizeof(cpus), &sh->vm);
		format_size(mem, sizeof(mem), sh->vm.memory);
		shell_line(sh, "%2u  %-16s %-11.16s %-12s %6s %14llu %8u %.64s", i, or_dash(sh->vm_name),
			   or_dash(sh->vm.state), cpus, mem, (unsigned long long)sh->vm.exits,
			   sh->vm.restarts, or_dash(sh->vm.reason));
	}
	return 0;
}

/* The rows of one VM, loaded in sh->vm. */
static void list_vcpus(struct shell *sh, uint32_t vm)
{
	for (uint32_t i = 0; i < SHELL_VCPUS_MAX; i++) {
		memset(&sh->vcpu, 0, sizeof(sh->vcpu));
		int err = op_err(sh->ops->vcpu_info(sh->ctx, vm, i, &sh->vcpu));
		if (err == -ENOENT)
			return;
		if (err)
			shell_line(sh, "%-16s %4u (unavailable: %s)", or_dash(sh->vm_name), i,
				   shell_errstr(err));
		else
			shell_line(sh, "%-16s %4u %4u %-13.16s 0x%016llx %12llu", or_dash(sh->vm_name),
				   i, sh->vcpu.pcpu, or_dash(sh->vcpu.state),
				   (unsigned long long)sh->vcpu.rip, (unsigned long long)sh->vcpu.exits);
	}
}

SHELL_CMD_FN(shell_cmd_vcpus)
{
	uint32_t vm, count;
	int err;

	if (!sh->ops->vcpu_info)
		return not_available(sh, cmd);
	if (argc) {
		err = shell_find_vm(sh, cmd, &argv[0], &vm);
		if (err)
			return err;
	}
	shell_line(sh, "%-16s %4s %4s %-13s %-18s %12s", "VM", "VCPU", "PCPU", "STATE", "RIP",
		   "EXITS");
	if (argc) {
		list_vcpus(sh, vm);
		return 0;
	}
	count = shell_vm_count(sh);
	for (vm = 0; vm < count; vm++) {
		err = shell_load_vm(sh, vm);
		if (err) {
			char index[12];
			hv_snprintf(index, sizeof(index), "%u", vm);
			shell_line(sh, "%-16s      (unavailable: %s)", index, shell_errstr(err));
			continue;
		}
		list_vcpus(sh, vm);
	}
	return 0;
}

/* --- regs, stats ---------------------------------------------------------- */

static size_t value_name_len(const struct shell_value *v)
{
	return strnlen(v->name, sizeof(v->name));
}

static uint32_t values_count(const struct shell_values *vals)
{
	return MIN(vals->count, (uint32_t)SHELL_VALUES_MAX);
}

static int values_name_width(const struct shell_values *vals)
{
	size_t w = 0;

	for (uint32_t i = 0; i < values_count(vals); i++)
		w = MAX(w, value_name_len(&vals->v[i]));
	return (int)w;
}

/* NAME 0x%016llx items, names padded alike, as many a line as fit. */
static void print_hex_values(struct shell *sh, const struct shell_values *vals)
{
	uint32_t count = values_count(vals);
	int w = values_name_width(vals);
	/* An item is w + 19 columns, and two spaces separate items. */
	uint32_t per_line = MAX((uint32_t)(SHELL_COLUMNS + 2) / (uint32_t)(w + 21), 1u);

	for (uint32_t i = 0; i < count; i++) {
		const struct shell_value *v = &vals->v[i];
		shell_add(sh, "%s%-*.*s 0x%016llx", i % per_line ? "  " : "", w,
			  (int)value_name_len(v), v->name, (unsigned long long)v->value);
		if (i % per_line == per_line - 1 || i + 1 == count)
			shell_eol(sh);
	}
}

SHELL_CMD_FN(shell_cmd_regs)
{
	uint64_t vcpu;
	uint32_t vm;
	int err;

	if (!sh->ops->vcpu_regs)
		return not_available(sh, cmd);
	err = shell_find_vm(sh, cmd, &argv[0], &vm);
	if (err)
		return err;
	if (!shell_parse_u64(&argv[1], &vcpu))
		return shell_bad(sh, cmd, -EINVAL, "VCPU '" ARG_FMT "' is not a number", ARG(&argv[1]));
	err = -ENOENT;
	if (vcpu <= UINT32_MAX) {
		memset(&sh->values, 0, sizeof(sh->values));
		err = op_err(sh->ops->vcpu_regs(sh->ctx, vm, (uint32_t)vcpu, &sh->values));
	}
	if (err == -ENOENT)
		return shell_bad(sh, cmd, err, "VM '%s' has no vCPU %llu", sh->vm_name,
				 (unsigned long long)vcpu);
	if (err)
		return shell_fail(sh, cmd, err, "cannot read the registers of VM '%s' vCPU %llu: %s",
				  sh->vm_name, (unsigned long long)vcpu, shell_errstr(err));
	if (!values_count(&sh->values))
		shell_line(sh, "no registers");
	print_hex_values(sh, &sh->values);
	return 0;
}

SHELL_CMD_FN(shell_cmd_stats)
{
	uint32_t vm;
	int err;

	if (!sh->ops->vm_stats)
		return not_available(sh, cmd);
	err = shell_find_vm(sh, cmd, &argv[0], &vm);
	if (err)
		return err;
	memset(&sh->values, 0, sizeof(sh->values));
	err = op_err(sh->ops->vm_stats(sh->ctx, vm, &sh->values));
	if (err)
		return shell_fail(sh, cmd, err, "cannot read the statistics of VM '%s': %s",
				  sh->vm_name, shell_errstr(err));
	uint32_t count = values_count(&sh->values);
	int w = values_name_width(&sh->values);
	if (!count)
		shell_line(sh, "no statistics");
	for (uint32_t i = 0; i < count; i++) {
		const struct shell_value *v = &sh->values.v[i];
		shell_line(sh, "%-*.*s %llu", w, (int)value_name_len(v), v->name,
			   (unsigned long long)v->value);
	}
	return 0;
}

/* --- mem ------------------------------------------------------------------ */

/* "ADDR  xx xx xx xx xx xx xx xx  xx xx xx xx xx xx xx xx  |ascii...|" */
static void dump_line(struct shell *sh, uint64_t addr, const uint8_t *p, size_t n)
{
	char text[16];

	shell_add(sh, "%016llx ", (unsigned long long)addr);
	for (size_t i = 0; i < 16; i++) {
		if (i == 8)
			shell_add(sh, " ");
		if (i < n)
			shell_add(sh, " %02x", p[i]);
		else
			shell_add(sh, "   ");
	}
	for (size_t i = 0; i < n; i++)
		text[i] = p[i] >= 0x20 && p[i] < 0x7F ? (char)p[i] : '.';
	shell_line(sh, "  |%.*s|", (int)n, text);
}

SHELL_CMD_FN(shell_cmd_mem)
{
	uint64_t gpa, len = SHELL_MEM_DEFAULT;
	uint32_t vm;
	int err;

	if (!sh->ops->read_guest)
		return not_available(sh, cmd);
	err = shell_find_vm(sh, cmd, &argv[0], &vm);
	if (err)
		return err;
	if (!shell_parse_u64(&argv[1], &gpa))
		return shell_bad(sh, cmd, -EINVAL, "GPA '" ARG_FMT "' is not a number", ARG(&argv[1]));
	if (argc > 2 && !shell_parse_u64(&argv[2], &len))
		return shell_bad(sh, cmd, -EINVAL, "LEN '" ARG_FMT "' is not a number", ARG(&argv[2]));
	if (len == 0 || len > SHELL_MEM_MAX)
		return shell_bad(sh, cmd, -EINVAL, "LEN must be 1 to %u", (unsigned int)SHELL_MEM_MAX);
	if (gpa > UINT64_MAX - (len - 1))
		return shell_bad(sh, cmd, -EINVAL, "GPA + LEN runs past the top of the address space");
	memset(sh->mem, 0, (size_t)len);
	err = op_err(sh->ops->read_guest(sh->ctx, vm, gpa, sh->mem, (size_t)len));
	if (err == -EFAULT)
		return shell_fail(sh, cmd, err, "0x%llx-0x%llx is outside the memory of VM '%s'",
				  (unsigned long long)gpa, (unsigned long long)(gpa + len - 1),
				  sh->vm_name);
	if (err)
		return shell_fail(sh, cmd, err, "cannot read the memory of VM '%s': %s", sh->vm_name,
				  shell_errstr(err));
	for (uint64_t off = 0; off < len; off += 16)
		dump_line(sh, gpa + off, sh->mem + off, (size_t)MIN(len - off, (uint64_t)16));
	return 0;
}

/* --- start, stop, restart, console ---------------------------------------- */

SHELL_CMD_FN(shell_cmd_control)
{
	static const struct {
		const char *name;
		enum shell_vm_action action;
		const char *done;
	} actions[] = {
		{ "start", SHELL_VM_START, "started" },
		{ "stop", SHELL_VM_STOP, "stopped" },
		{ "restart", SHELL_VM_RESTART, "restarted" },
	};
	char msg[SHELL_MSG_MAX];
	size_t i = 0;
	uint32_t vm;
	int err;

	while (i + 1 < ARRAY_SIZE(actions) && strcmp(actions[i].name, cmd->name))
		i++;
	if (!sh->ops->vm_control)
		return not_available(sh, cmd);
	err = shell_find_vm(sh, cmd, &argv[0], &vm);
	if (err)
		return err;
	memset(msg, 0, sizeof(msg));
	err = op_err(sh->ops->vm_control(sh->ctx, vm, actions[i].action, msg, sizeof(msg)));
	msg[sizeof(msg) - 1] = '\0';
	if (err)
		return shell_fail(sh, cmd, err, "VM '%s': %s", sh->vm_name,
				  msg[0] ? msg : shell_errstr(err));
	if (msg[0])
		shell_line(sh, "VM '%s' %s (%s)", sh->vm_name, actions[i].done, msg);
	else
		shell_line(sh, "VM '%s' %s", sh->vm_name, actions[i].done);
	return 0;
}

SHELL_CMD_FN(shell_cmd_console)
{
	uint32_t vm;
	int err;

	if (!sh->ops->attach)
		return not_available(sh, cmd);
	err = shell_find_vm(sh, cmd, &argv[0], &vm);
	if (err)
		return err;
	err = op_err(sh->ops->attach(sh->ctx, vm));
	if (err)
		return shell_fail(sh, cmd, err, "cannot connect to VM '%s': %s", sh->vm_name,
				  shell_errstr(err));
	sh->attached = true;
	return 0;
}

/* --- log, reboot, poweroff ------------------------------------------------ */

static void print_level(struct shell *sh, int level)
{
	bool known = level >= 0 && (size_t)level < ARRAY_SIZE(level_names);

	shell_line(sh, "log level: %d (%s)", level, known ? level_names[level] : "?");
}

static bool parse_level(const struct shell_arg *a, int *level)
{
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (shell_arg_is(a, level_names[i])) {
			*level = (int)i;
			return true;
		}
	}
	if (!shell_parse_u64(a, &v) || v >= ARRAY_SIZE(level_names))
		return false;
	*level = (int)v;
	return true;
}

SHELL_CMD_FN(shell_cmd_log)
{
	int level, err;

	if (argc == 0) {
		if (!sh->ops->get_log_level)
			return not_available(sh, cmd);
		level = sh->ops->get_log_level(sh->ctx);
		if (level < 0)
			return shell_fail(sh, cmd, level, "cannot read the log level: %s",
					  shell_errstr(level));
		print_level(sh, level);
		return 0;
	}
	if (!parse_level(&argv[0], &level))
		return shell_bad(sh, cmd, -EINVAL,
				 "'" ARG_FMT "' is not a log level (0-4, err, warn, info, debug)",
				 ARG(&argv[0]));
	if (!sh->ops->set_log_level)
		return not_available(sh, cmd);
	err = op_err(sh->ops->set_log_level(sh->ctx, level));
	if (err)
		return shell_fail(sh, cmd, err, "cannot set the log level: %s", shell_errstr(err));
	print_level(sh, level);
	return 0;
}

SHELL_CMD_FN(shell_cmd_machine)
{
	bool reboot = !strcmp(cmd->name, "reboot");

	if (!sh->ops->machine)
		return not_available(sh, cmd);
	shell_line(sh, "%s", reboot ? "rebooting the machine" : "powering the machine off");
	sh->ops->machine(sh->ctx, reboot ? SHELL_REBOOT : SHELL_POWEROFF);
	return 0;
}
