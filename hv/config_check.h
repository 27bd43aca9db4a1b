/* Whole-machine checks of a parsed configuration: what config_parse()
 * cannot know from the text alone (docs/config.md, "Checks against the
 * machine"). */
#ifndef HV_CONFIG_CHECK_H
#define HV_CONFIG_CHECK_H

#include "hv/config.h"

struct config_machine {
	uint32_t cpu_count;   /* CPUs online */
	uint64_t free_memory; /* bytes the VMs may take */
	/* A multiboot module by that name exists; NULL: modules are not checked. */
	bool (*has_module)(void *ctx, const char *name);
	void *ctx;
};

/* Checks `c` (from a successful config_parse()) against the machine `m`:
 * every listed CPU exists, every image/kernel and initrd module exists, and
 * the VMs' memory (RAM + readonly + shared, each shared region counted once)
 * fits free_memory. Returns 0, or -EINVAL with `err` holding the problem on
 * the earliest line of the file, "<file>:<line>: vm NAME: <key>: <what>",
 * e.g. "hv.cfg:3: vm a: cpus: cpu 5 does not exist (the machine has 4 CPUs)"
 * (cut to errlen; err may be NULL; `file` NULL: "config"). Prints nothing. */
int config_check_machine(const struct hv_config *c, const struct config_machine *m,
			 const char *file, char *err, size_t errlen);

#endif
