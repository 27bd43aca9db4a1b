/* The static configuration (hv.cfg, a multiboot module): a small TOML-like
 * language for firmware-style operation; docs/config.md documents it.
 * config_parse() checks everything the text alone can tell;
 * config_check_machine() (hv/config_check.h) checks it against the machine. */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include "hv/compiler.h"

#define CONFIG_MAX_VMS 8
#define CONFIG_MAX_CPUS 16      /* vCPUs (listed physical CPUs) per VM */
#define CONFIG_MAX_MODULES 16   /* multiboot modules per VM (the modules key) */
#define CONFIG_CPU_LIMIT 64     /* physical CPU indexes are below this */
#define CONFIG_NAME_MAX 32      /* VM name, NUL included: at most 31 characters */
#define CONFIG_STR_MAX 256      /* image and cmdline, NUL included */
#define CONFIG_ERR_MAX 256      /* err buffer that fits every message (file name <= 32) */
#define CONFIG_MEMORY_MIN MiB
#define CONFIG_MEMORY_MAX (64 * GiB)
#define CONFIG_COM1_PORT 0x3F8
#define CONFIG_COM2_PORT 0x2F8
#define CONFIG_CONSOLE_BAUD 115200 /* default; the 16550's base clock */
#define CONFIG_FOCUS_SHELL "shell" /* focus = "shell": the operator shell */

enum entry_mode {
	ENTRY_MULTIBOOT = 0, /* multiboot v1 ELF32 (or a.out kludge), like qemu -kernel */
	ENTRY_REAL,          /* raw binary, real mode at CS=0, IP=entry_addr (the parser
	                      * accepts < 1 MiB; the loader needs < 64 KiB for CS=0) */
	ENTRY_PROTECTED,     /* raw binary, flat 32-bit, paging off, EIP=entry_addr */
	ENTRY_LONG,          /* raw binary, 64-bit, identity-mapped first 4 GiB */
	ENTRY_LINUX,         /* bzImage, Linux x86 boot protocol (64-bit entry) */
};

/* What happens when the guest stops abnormally (triple fault, unmapped
 * access, failed entry) or asks for a reset. ACPI S5 and the debug-exit
 * port always stop the VM. */
enum on_stop_action { ON_STOP_STOP = 0, ON_STOP_RESTART };

/* The guest's 16550 whose output is the VM's console. */
enum vm_uart {
	VM_UART_COM1 = 0, /* 0x3F8, IRQ 4 */
	VM_UART_COM2,     /* 0x2F8, IRQ 3 */
	VM_UART_NONE,
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
	enum on_stop_action on_stop;
	enum vm_uart uart;
	/* A slot of host pages shared by every VM naming the same region;
	 * shared_size 0 = none (then the name is "" and the GPA 0). */
	char shared_name[CONFIG_NAME_MAX];
	uint64_t shared_gpa, shared_size;
	bool image_is_kernel; /* the image was given as `kernel` (messages name it) */
	/* entry = "multiboot": the modules handed to the guest, module_count
	 * specs "NAME [ARGS]" (trimmed, NAME not empty) stored back to back,
	 * each NUL-terminated; read them with config_module_spec(). */
	char modules[CONFIG_STR_MAX];
	uint32_t module_count; /* 0 to CONFIG_MAX_MODULES */
	/* Source lines of the keys whose errors only the machine can reveal
	 * (config_check_machine); 0 = the key is absent. */
	uint32_t cpus_line, memory_line, image_line, initrd_line, shared_line, modules_line;
};

enum all_stopped_action {
	ALL_STOPPED_HALT = 0,
	ALL_STOPPED_POWEROFF,
	ALL_STOPPED_SHELL, /* the operator shell stays up */
};

struct hv_config {
	struct vm_config vm[CONFIG_MAX_VMS];
	uint32_t vm_count;
	enum all_stopped_action on_all_stopped;
	uint16_t console_port;  /* CONFIG_COM1_PORT (default) or CONFIG_COM2_PORT */
	uint32_t console_baud;  /* a standard rate dividing 115200; default 115200 */
	/* Where typed console input goes first: "" = the first VM, "shell" =
	 * the hypervisor shell, else the name of one of vm[]. */
	char focus[CONFIG_NAME_MAX];
	int log_level;          /* LOG_ERR..LOG_DEBUG (hv/log.h); default LOG_INFO */
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
 * load_addr < memory and entry_addr below 1 MiB (real) or 4 GiB; only
 * multiboot VMs have modules (0..16 specs, each with a NAME); a readonly
 * slot is page-aligned, non-empty and above RAM; a shared slot likewise,
 * not overlapping the readonly slot, and the same size in every VM that
 * names its region; focus is "", "shell" or a VM's name; the enums hold
 * one of their values. */
int config_parse(const char *text, size_t len, const char *file, struct hv_config *out, char *err,
		 size_t errlen);

/* Module i (from 0) of a VM's `modules` key. `*spec` (if spec is not NULL)
 * points at its whole spec "NAME [ARGS]" inside vm->modules, NUL-terminated:
 * the string the guest reads for the module. NAME, its first word (up to a
 * space or tab), the boot module to load, is copied to `name` (if not NULL;
 * cap bytes, CONFIG_STR_MAX always suffice). Returns 0, -ENOENT when the VM
 * has no module i, -E2BIG when NAME does not fit in `name`; on error *spec
 * is NULL and name "". */
int config_module_spec(const struct vm_config *vm, uint32_t i, char *name, size_t cap,
		       const char **spec);

#endif
