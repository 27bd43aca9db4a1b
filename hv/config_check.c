/* Checks a parsed configuration against the machine it boots on. The parser
 * has made every VM consistent in itself; only here are the CPUs, the boot
 * modules and the free memory known. Each check may find a problem; the one
 * on the earliest line of the file is reported, so the operator fixes the
 * file from the top, as with the parser's errors. */
#include "hv/config_check.h"
#include "hv/errno.h"
#include "hv/format.h"
#include "hv/string.h"

#define ECHO_MAX 40 /* a module name quoted in a message is cut here */

struct report {
	const char *file;
	char *err;
	size_t errlen;
	uint32_t line; /* of the problem reported so far; 0: none */
};

/* Keeps the problem if it is on an earlier line than the one kept. A key
 * without a line (a configuration not made by config_parse) falls back to
 * its VM's header line. */
static void __printf(5, 6) report(struct report *r, const struct vm_config *vm, uint32_t line,
				  const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!line)
		line = vm->line ? vm->line : 1;
	if (r->line && r->line <= line)
		return;
	r->line = line;
	if (!r->err || !r->errlen)
		return;
	n = hv_snprintf(r->err, r->errlen, "%s:%u: vm %.*s: %s: ", r->file, r->line,
			(int)strnlen(vm->name, CONFIG_NAME_MAX - 1), vm->name, key);
	if (n < 0 || (size_t)n >= r->errlen)
		return;
	va_start(ap, fmt);
	hv_vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* A module name made safe to quote: non-printable bytes become '?', long
 * names are cut with "...". */
static const char *echo(const char *s, char buf[ECHO_MAX + 4])
{
	size_t len = strnlen(s, CONFIG_STR_MAX);
	size_t n = len > ECHO_MAX ? ECHO_MAX : len;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = c >= 0x20 && c < 0x7F ? (char)c : '?';
	}
	if (len > ECHO_MAX) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* A byte count in the largest unit that divides it exactly ("1040M",
 * "64K", "4097"), as the file would write it. */
static const char *size_str(uint64_t bytes, char buf[24])
{
	static const struct {
		uint64_t unit;
		char suffix;
	} units[] = { { GiB, 'G' }, { MiB, 'M' }, { KiB, 'K' } };

	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (bytes && bytes % units[i].unit == 0) {
			hv_snprintf(buf, 24, "%llu%c", (unsigned long long)(bytes / units[i].unit),
				    units[i].suffix);
			return buf;
		}
	}
	hv_snprintf(buf, 24, "%llu", (unsigned long long)bytes);
	return buf;
}

static void check_cpus(struct report *r, const struct vm_config *vm, uint32_t online)
{
	uint32_t n = vm->cpu_count < CONFIG_MAX_CPUS ? vm->cpu_count : CONFIG_MAX_CPUS;

	for (uint32_t i = 0; i < n; i++) {
		if (vm->cpus[i] < online)
			continue;
		report(r, vm, vm->cpus_line, "cpus", "cpu %u does not exist (the machine has %u CPU%s)",
		       vm->cpus[i], online, online == 1 ? "" : "s");
		return;
	}
}

static void check_module(struct report *r, const struct config_machine *m,
			 const struct vm_config *vm, const char *key, const char *name,
			 uint32_t line)
{
	char buf[ECHO_MAX + 4];

	/* An unterminated name cannot have come from the parser: skip it
	 * rather than let the callback read past it. */
	if (!m->has_module || strnlen(name, CONFIG_STR_MAX) == CONFIG_STR_MAX)
		return;
	if (!m->has_module(m->ctx, name))
		report(r, vm, line, key, "no boot module named '%s'", echo(name, buf));
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* What VM i adds to the machine's memory: a shared region only at the
 * first VM that names it. */
static uint64_t vm_bytes(const struct hv_config *c, uint32_t i)
{
	const struct vm_config *vm = &c->vm[i];
	uint64_t bytes = add_sat(vm->memory, vm->readonly_size);

	if (!vm->shared_size)
		return bytes;
	for (uint32_t k = 0; k < i; k++)
		if (c->vm[k].shared_size &&
		    strncmp(c->vm[k].shared_name, vm->shared_name, CONFIG_NAME_MAX) == 0)
			return bytes;
	return add_sat(bytes, vm->shared_size);
}

/* The total goes in the message; the VM named is the one at which the
 * running sum first exceeds what is free. */
static void check_memory(struct report *r, const struct hv_config *c, uint32_t count,
			 uint64_t free_memory)
{
	uint64_t total = 0, sum = 0;
	char need[24], have[24];

	for (uint32_t i = 0; i < count; i++)
		total = add_sat(total, vm_bytes(c, i));
	if (total <= free_memory)
		return;
	for (uint32_t i = 0; i < count; i++) {
		sum = add_sat(sum, vm_bytes(c, i));
		if (sum > free_memory) {
			report(r, &c->vm[i], c->vm[i].memory_line, "memory",
			       "the VMs need %s in all, the machine has %s free",
			       size_str(total, need), size_str(free_memory, have));
			return;
		}
	}
}

int config_check_machine(const struct hv_config *c, const struct config_machine *m,
			 const char *file, char *err, size_t errlen)
{
	struct report r = { file ? file : "config", err, errlen, 0 };

	if (err && errlen)
		err[0] = '\0';
	if (!c || !m) {
		if (err && errlen)
			hv_snprintf(err, errlen, "%s:1: no configuration or machine to check", r.file);
		return -EINVAL;
	}

	uint32_t count = c->vm_count < CONFIG_MAX_VMS ? c->vm_count : CONFIG_MAX_VMS;
	for (uint32_t i = 0; i < count; i++) {
		const struct vm_config *vm = &c->vm[i];

		check_cpus(&r, vm, m->cpu_count);
		check_module(&r, m, vm, vm->image_is_kernel ? "kernel" : "image", vm->image,
			     vm->image_line);
		if (vm->initrd[0])
			check_module(&r, m, vm, "initrd", vm->initrd, vm->initrd_line);
		for (uint32_t k = 0; k < vm->module_count; k++) {
			char name[CONFIG_STR_MAX];
			if (config_module_spec(vm, k, name, sizeof(name), NULL) == 0)
				check_module(&r, m, vm, "modules", name, vm->modules_line);
		}
	}
	check_memory(&r, c, count, m->free_memory);
	return r.line ? -EINVAL : 0;
}
