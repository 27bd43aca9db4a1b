/* libFuzzer harness for the static configuration parser (hv/config.c).
 * The input, in an exact-size heap copy (so ASan sees any read past `len`),
 * is the configuration text. Whatever it says, the parser must return 0 or
 * -EINVAL; an error is one line "fuzz.cfg:<line>: <what>" naming a line of
 * the input, with the output zeroed; a success satisfies every invariant
 * hv/config.h and docs/config.md promise. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/config.h"
#include "hv/errno.h"
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

static void check_vm(const struct hv_config *cfg, uint32_t i, uint32_t lines)
{
	const struct vm_config *vm = &cfg->vm[i];
	size_t n = strnlen(vm->name, CONFIG_NAME_MAX);

	check(n >= 1 && n < CONFIG_NAME_MAX);
	for (size_t k = 0; k < n; k++)
		check(is_name_char(vm->name[k]));
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

	switch (vm->entry) {
	case ENTRY_MULTIBOOT:
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
}

static void check_config(const struct hv_config *cfg, const char *err, uint32_t lines)
{
	static const struct vm_config zero_vm;

	check(err[0] == '\0');
	check(cfg->vm_count >= 1 && cfg->vm_count <= CONFIG_MAX_VMS);
	check(cfg->on_all_stopped == ALL_STOPPED_HALT ||
	      cfg->on_all_stopped == ALL_STOPPED_POWEROFF);
	for (uint32_t i = 0; i < cfg->vm_count; i++)
		check_vm(cfg, i, lines);
	for (uint32_t i = cfg->vm_count; i < CONFIG_MAX_VMS; i++)
		check(memcmp(&cfg->vm[i], &zero_vm, sizeof(zero_vm)) == 0);
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
