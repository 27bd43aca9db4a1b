/* The static configuration (hv.cfg, a multiboot module): a small TOML-like
 * language. This is the first cut (issue 3); docs/config.md documents it. */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include "hv/compiler.h"

#define CONFIG_MAX_VMS 8
#define CONFIG_MAX_CPUS 16      /* vCPUs (listed physical CPUs) per VM */
#define CONFIG_CPU_LIMIT 64     /* physical CPU indexes are below this */
#define CONFIG_NAME_MAX 32      /* VM name, NUL included: at most 31 characters */
#define CONFIG_STR_MAX 256      /* image and cmdline, NUL included */
#define CONFIG_ERR_MAX 224      /* err buffer that fits every message (file name <= 32) */
#define CONFIG_MEMORY_MIN MiB
#define CONFIG_MEMORY_MAX (64 * GiB)

enum entry_mode {
	ENTRY_MULTIBOOT = 0, /* multiboot v1 ELF32 (or a.out kludge), like qemu -kernel */
	ENTRY_REAL,          /* raw binary, real mode at CS=0, IP=entry_addr (the parser
	                      * accepts < 1 MiB; the loader needs < 64 KiB for CS=0) */
	ENTRY_PROTECTED,     /* raw binary, flat 32-bit, paging off, EIP=entry_addr */
	ENTRY_LONG,          /* raw binary, 64-bit, identity-mapped first 4 GiB */
	ENTRY_LINUX,         /* bzImage, Linux x86 boot protocol (64-bit entry) */
};

struct vm_config {
	char name[CONFIG_NAME_MAX];
	uint32_t cpus[CONFIG_MAX_CPUS]; /* physical CPU indexes, one vCPU each */
	uint32_t cpu_count;
	uint64_t memory;                /* bytes of RAM at guest-physical 0 */
	char image[CONFIG_STR_MAX];     /* a multiboot module's name */
	char cmdline[CONFIG_STR_MAX];
	enum entry_mode entry;
	uint64_t load_addr, entry_addr; /* raw images */
	uint64_t readonly_gpa, readonly_size; /* an extra read-only slot, 0 size = none */
	char initrd[CONFIG_STR_MAX];    /* entry = "linux": a module's name, "" = none */
	bool test_devices;              /* fw_cfg and pc-testdev, as QEMU's pc offers */
	bool mptable;                   /* an MP table besides ACPI, for old guests */
	uint32_t line;                  /* where the [vm ...] section starts */
};

enum all_stopped_action { ALL_STOPPED_HALT = 0, ALL_STOPPED_POWEROFF };

struct hv_config {
	struct vm_config vm[CONFIG_MAX_VMS];
	uint32_t vm_count;
	enum all_stopped_action on_all_stopped;
};

/* Parses `text` (not NUL-terminated, `len` bytes; a NUL byte inside is an
 * error). `file` names the text in messages (NULL: "config"). Returns 0, or
 * -EINVAL with `err` holding one line "<file>:<line>: <what is wrong>", e.g.
 * "hv.cfg:7: vm hello: memory: bad size '12Q'" (cut to errlen; err may be
 * NULL). It prints nothing: the caller decides how to report. Nothing is
 * partially applied: on error *out is left zeroed.
 *
 * On success every documented invariant holds (docs/config.md): 1..8 VMs
 * with unique names; each VM has 1..16 CPUs below CONFIG_CPU_LIMIT, no CPU
 * used twice in the whole configuration; memory is a multiple of 4 KiB in
 * [CONFIG_MEMORY_MIN, CONFIG_MEMORY_MAX]; image is not empty; strings are
 * NUL-terminated; multiboot VMs have load_addr = entry_addr = 0, raw ones
 * load_addr < memory and entry_addr below 1 MiB (real) or 4 GiB; a readonly
 * slot is page-aligned, non-empty and above RAM. */
int config_parse(const char *text, size_t len, const char *file, struct hv_config *out, char *err,
		 size_t errlen);

#endif
