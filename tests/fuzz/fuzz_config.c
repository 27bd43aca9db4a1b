/* libFuzzer harness for the static configuration parser (hv/config.c) and
 * the whole-machine checks (hv/config_check.c). The input, in an exact-size
 * heap copy (so ASan sees any read past `len`), is the configuration text.
 * Whatever it says, the parser must return 0 or -EINVAL; an error is one
 * line "fuzz.cfg:<line>: <what>" naming a line of the input, with the output
 * zeroed; a success satisfies every invariant hv/config.h and docs/config.md
 * promise. The parsed configuration is then checked against a machine made
 * from the input's first and last bytes, and the verdict compared with one
 * computed here. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/config.h"
#include "hv/config_check.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "test_log.h"

#define FILE_NAME "fuzz.cfg"

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static void check_name(const char *name)
{
	size_t n = strnlen(name, CONFIG_NAME_MAX);

	check(n >= 1 && n < CONFIG_NAME_MAX);
	for (size_t k = 0; k < n; k++)
		check(is_name_char(name[k]));
}

/* A key's line: inside the VM's section (after its header) and the file. */
static void check_key_line(const struct vm_config *vm, uint32_t line, uint32_t lines)
{
	check(line > vm->line && line <= lines);
}

static void check_error(const char *err, const struct hv_config *cfg, uint32_t lines)
{
	static const struct hv_config zero;
	const char *p = err + strlen(FILE_NAME ":");
	uint64_t line = 0;

	check(memcmp(cfg, &zero, sizeof(zero)) == 0);
	check(strnlen(err, CONFIG_ERR_MAX) < CONFIG_ERR_MAX);
	check(strncmp(err, FILE_NAME ":", strlen(FILE_NAME ":")) == 0);
	check(*p >= '1' && *p <= '9');
	while (*p >= '0' && *p <= '9')
		line = line * 10 + (uint64_t)(*p++ - '0');
	check(line >= 1 && line <= lines);
	check(p[0] == ':' && p[1] == ' ' && p[2] != '\0');
	check(!strchr(err, '\n'));
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* modules: only for multiboot; 1..16 trimmed specs packed back to back,
 * each with a NAME, no commas; the rest of the array zero. */
static void check_modules(const struct vm_config *vm, uint32_t lines)
{
	char name[CONFIG_STR_MAX];
	const char *spec;
	size_t used = 0;

	check(vm->module_count <= CONFIG_MAX_MODULES);
	if (vm->module_count) {
		check(vm->entry == ENTRY_MULTIBOOT);
		check_key_line(vm, vm->modules_line, lines);
	} else {
		check(vm->modules_line == 0);
	}
	for (uint32_t m = 0; m < vm->module_count; m++) {
		check(config_module_spec(vm, m, name, sizeof(name), &spec) == 0);
		check(spec == vm->modules + used);
		size_t n = strlen(spec), w = strlen(name);
		check(n >= 1 && !is_blank(spec[0]) && !is_blank(spec[n - 1]) && !strchr(spec, ','));
		check(w >= 1 && w <= n && strncmp(spec, name, w) == 0);
		check(w == n || is_blank(spec[w]));
		check(!strchr(name, ' ') && !strchr(name, '\t'));
		used += n + 1;
	}
	check(used <= CONFIG_STR_MAX);
	check(config_module_spec(vm, vm->module_count, name, sizeof(name), &spec) == -ENOENT);
	for (size_t k = used; k < CONFIG_STR_MAX; k++)
		check(vm->modules[k] == '\0');
}

static void check_vm(const struct hv_config *cfg, uint32_t i, uint32_t lines)
{
	const struct vm_config *vm = &cfg->vm[i];

	check_name(vm->name);
	check(vm->line >= 1 && vm->line <= lines);
	if (i)
		check(vm->line > cfg->vm[i - 1].line);
	for (uint32_t o = 0; o < i; o++)
		check(strcmp(vm->name, cfg->vm[o].name) != 0);

	check(vm->cpu_count >= 1 && vm->cpu_count <= CONFIG_MAX_CPUS);
	for (uint32_t c = 0; c < vm->cpu_count; c++) {
		check(vm->cpus[c] < CONFIG_CPU_LIMIT);
		for (uint32_t k = 0; k < c; k++)
			check(vm->cpus[k] != vm->cpus[c]);
		for (uint32_t o = 0; o < i; o++)
			for (uint32_t k = 0; k < cfg->vm[o].cpu_count; k++)
				check(cfg->vm[o].cpus[k] != vm->cpus[c]);
	}
	for (uint32_t c = vm->cpu_count; c < CONFIG_MAX_CPUS; c++)
		check(vm->cpus[c] == 0);

	check(vm->memory >= CONFIG_MEMORY_MIN && vm->memory <= CONFIG_MEMORY_MAX);
	check(vm->memory % 4096 == 0);
	check(strnlen(vm->image, CONFIG_STR_MAX) >= 1);
	check(strnlen(vm->image, CONFIG_STR_MAX) < CONFIG_STR_MAX);
	check(strnlen(vm->cmdline, CONFIG_STR_MAX) < CONFIG_STR_MAX);

	check_key_line(vm, vm->cpus_line, lines);
	check_key_line(vm, vm->memory_line, lines);
	check_key_line(vm, vm->image_line, lines);

	check(strnlen(vm->initrd, CONFIG_STR_MAX) < CONFIG_STR_MAX);
	if (vm->initrd[0]) {
		check(vm->entry == ENTRY_LINUX);
		check_key_line(vm, vm->initrd_line, lines);
	} else {
		check(vm->initrd_line == 0);
	}

	check_modules(vm, lines);

	switch (vm->entry) {
	case ENTRY_MULTIBOOT:
	case ENTRY_LINUX:
		check(vm->load_addr == 0 && vm->entry_addr == 0);
		break;
	case ENTRY_REAL:
		check(vm->load_addr < vm->memory && vm->entry_addr < (1ULL << 20));
		break;
	case ENTRY_PROTECTED:
	case ENTRY_LONG:
		check(vm->load_addr < vm->memory && vm->entry_addr < (1ULL << 32));
		break;
	default:
		check(false);
	}

	if (vm->readonly_size == 0) {
		check(vm->readonly_gpa == 0);
	} else {
		check(vm->readonly_gpa % 4096 == 0 && vm->readonly_size % 4096 == 0);
		check(vm->readonly_gpa >= vm->memory);
		check(vm->readonly_gpa + vm->readonly_size > vm->readonly_gpa);
		check(vm->readonly_gpa + vm->readonly_size <= (1ULL << 48));
	}

	check(vm->on_stop == ON_STOP_STOP || vm->on_stop == ON_STOP_RESTART);
	check(vm->uart == VM_UART_COM1 || vm->uart == VM_UART_COM2 || vm->uart == VM_UART_NONE);

	if (vm->shared_size == 0) {
		check(vm->shared_gpa == 0 && vm->shared_line == 0);
		for (size_t k = 0; k < CONFIG_NAME_MAX; k++)
			check(vm->shared_name[k] == '\0');
		return;
	}
	uint64_t start = vm->shared_gpa, end = vm->shared_gpa + vm->shared_size;
	check_name(vm->shared_name);
	check_key_line(vm, vm->shared_line, lines);
	check(start % 4096 == 0 && vm->shared_size % 4096 == 0);
	check(start >= vm->memory && end > start && end <= (1ULL << 48));
	if (vm->readonly_size)
		check(end <= vm->readonly_gpa || start >= vm->readonly_gpa + vm->readonly_size);
	for (uint32_t o = 0; o < i; o++)
		if (cfg->vm[o].shared_size && !strcmp(cfg->vm[o].shared_name, vm->shared_name))
			check(cfg->vm[o].shared_size == vm->shared_size);
}

static void check_hypervisor(const struct hv_config *cfg)
{
	static const uint32_t bauds[] = { 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600,
					  115200 };
	bool baud_ok = false, focus_ok = false;

	check(cfg->on_all_stopped == ALL_STOPPED_HALT ||
	      cfg->on_all_stopped == ALL_STOPPED_POWEROFF ||
	      cfg->on_all_stopped == ALL_STOPPED_SHELL);
	check(cfg->console_port == 0x3F8 || cfg->console_port == 0x2F8);
	for (size_t i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++)
		baud_ok |= cfg->console_baud == bauds[i];
	check(baud_ok && 115200 % cfg->console_baud == 0);
	check(cfg->log_level >= LOG_ERR && cfg->log_level <= LOG_DEBUG);

	/* "" (the first VM), "shell" unless a VM has that name, or a VM's name */
	check(strnlen(cfg->focus, CONFIG_NAME_MAX) < CONFIG_NAME_MAX);
	for (uint32_t i = 0; i < cfg->vm_count; i++)
		focus_ok |= strcmp(cfg->focus, cfg->vm[i].name) == 0;
	if (!strcmp(cfg->focus, "shell"))
		check(!focus_ok);
	else
		check(cfg->focus[0] == '\0' || focus_ok);
}

static void check_config(const struct hv_config *cfg, const char *err, uint32_t lines)
{
	static const struct vm_config zero_vm;

	check(err[0] == '\0');
	check(cfg->vm_count >= 1 && cfg->vm_count <= CONFIG_MAX_VMS);
	check_hypervisor(cfg);
	for (uint32_t i = 0; i < cfg->vm_count; i++)
		check_vm(cfg, i, lines);
	for (uint32_t i = cfg->vm_count; i < CONFIG_MAX_VMS; i++)
		check(memcmp(&cfg->vm[i], &zero_vm, sizeof(zero_vm)) == 0);
}

/* The mock machine's modules: every name but those starting with 'x'. */
static bool has_module(void *ctx, const char *name)
{
	(void)ctx;
	return name[0] != 'x';
}

static void keep_first(uint32_t *first, uint32_t line)
{
	if (!*first || line < *first)
		*first = line;
}

/* The line config_check_machine must report, 0 if none: recomputed here
 * from what docs/config.md says it checks. */
static uint32_t first_machine_problem(const struct hv_config *cfg, const struct config_machine *m)
{
	uint64_t total = 0;
	uint32_t first = 0, over = 0;

	for (uint32_t i = 0; i < cfg->vm_count; i++) {
		const struct vm_config *vm = &cfg->vm[i];
		uint64_t bytes = vm->memory + vm->readonly_size;
		bool counted = false;

		for (uint32_t c = 0; c < vm->cpu_count; c++) {
			if (vm->cpus[c] >= m->cpu_count) {
				keep_first(&first, vm->cpus_line);
				break;
			}
		}
		if (!has_module(NULL, vm->image))
			keep_first(&first, vm->image_line);
		if (vm->initrd[0] && !has_module(NULL, vm->initrd))
			keep_first(&first, vm->initrd_line);
		for (uint32_t k = 0; k < vm->module_count; k++) {
			char name[CONFIG_STR_MAX];
			if (config_module_spec(vm, k, name, sizeof(name), NULL) == 0 && !has_module(NULL, name))
				keep_first(&first, vm->modules_line);
		}
		for (uint32_t o = 0; o < i; o++)
			counted |= cfg->vm[o].shared_size &&
				   !strcmp(cfg->vm[o].shared_name, vm->shared_name);
		if (vm->shared_size && !counted)
			bytes += vm->shared_size;
		total += bytes;
		if (total > m->free_memory && !over)
			over = vm->memory_line;
	}
	if (over)
		keep_first(&first, over);
	return first;
}

static void check_machine(const struct hv_config *cfg, const uint8_t *data, size_t size)
{
	struct config_machine m = {
		size ? data[0] % 66 : 0,                      /* 0 to 65 CPUs */
		size ? (uint64_t)data[size - 1] << 24 : 0, /* 0 to 4G - 16M */
		has_module,
		NULL,
	};
	char err[CONFIG_ERR_MAX];
	uint32_t want = first_machine_problem(cfg, &m);
	const char *p = err + strlen(FILE_NAME ":");
	uint64_t line = 0;

	memset(err, 'X', sizeof(err));
	int rc = config_check_machine(cfg, &m, FILE_NAME, err, sizeof(err));
	check(rc == (want ? -EINVAL : 0));
	check(test_log_count() == 0);
	if (!want) {
		check(err[0] == '\0');
		return;
	}
	check(strnlen(err, CONFIG_ERR_MAX) < CONFIG_ERR_MAX);
	check(strncmp(err, FILE_NAME ":", strlen(FILE_NAME ":")) == 0);
	while (*p >= '0' && *p <= '9')
		line = line * 10 + (uint64_t)(*p++ - '0');
	check(line == want);
	check(strncmp(p, ": vm ", 5) == 0 && !strchr(err, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hv_config cfg, again;
	char err[CONFIG_ERR_MAX], err2[CONFIG_ERR_MAX], small[17];
	char *text = malloc(size ? size : 1);
	uint32_t lines = 1;

	if (!text)
		return 0;
	memcpy(text, data, size);
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	test_log_reset();

	memset(&cfg, 0x5A, sizeof(cfg));
	memset(err, 'X', sizeof(err));
	int rc = config_parse(text, size, FILE_NAME, &cfg, err, sizeof(err));

	check(rc == 0 || rc == -EINVAL);
	check(test_log_count() == 0); /* the caller reports, not the parser */
	if (rc)
		check_error(err, &cfg, lines);
	else
		check_config(&cfg, err, lines);
	check_machine(&cfg, data, size); /* a zeroed config has no VM: always fits */

	/* A pure function of the text: a second run agrees byte for byte, and a
	 * short buffer gets the same message cut short. */
	memset(&again, 0xC3, sizeof(again));
	check(config_parse(text, size, FILE_NAME, &again, err2, sizeof(err2)) == rc);
	check(memcmp(&cfg, &again, sizeof(cfg)) == 0);
	check(strcmp(err, err2) == 0);
	check(config_parse(text, size, FILE_NAME, &again, small, sizeof(small)) == rc);
	check(strncmp(small, err, sizeof(small) - 1) == 0 && strlen(small) < sizeof(small));
	free(text);
	return 0;
}
