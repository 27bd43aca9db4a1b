/* Hypervisor command line: "console=com1,115200 loglevel=4 smp=2 selftest".
 * Parsed into struct hv_options; an unknown or malformed option is reported
 * (pr_warn naming it) and skipped; the others still apply. */
#ifndef HV_CMDLINE_H
#define HV_CMDLINE_H

#include "hv/compiler.h"

struct hv_options {
	uint16_t console_port;  /* I/O base of the 16550; default 0x3F8 (COM1) */
	uint32_t console_baud;  /* default 115200 */
	bool console_none;      /* console=none: no serial output */
	bool console_given;     /* console= was on the command line (hv.cfg's console then yields) */
	int loglevel;           /* enum log_level; default LOG_INFO */
	uint32_t smp_max;       /* 0: no limit */
	bool selftest;
	bool acpidump;          /* hex-dump the ACPI tables at boot */
	bool x2apic_off;        /* x2apic=off: stay in xAPIC mode */
	int on_done;            /* enum done_action: what to do after "hv: ready" */
	int crashtest;          /* enum crashtest: deliberately break after start-up */
	uint32_t bad_options;   /* how many options were rejected */
};

enum done_action {
	DONE_HALT = 0,  /* idle forever (default) */
	DONE_EXIT = 1,  /* done=exit: leave the emulator (Bochs 0x8900, QEMU isa-debug-exit), else halt */
};

/* crashtest=...: exercises the fatal paths on a real machine (and in tests). */
enum crashtest {
	CRASHTEST_NONE = 0,
	CRASHTEST_PAGEFAULT = 1, /* boot CPU writes to an unmapped address */
	CRASHTEST_PANIC = 2,     /* boot CPU calls panic() */
	CRASHTEST_AP = 3,        /* the last CPU faults inside an IPI handler */
};

void cmdline_defaults(struct hv_options *opt);
/* Returns the number of rejected options (also in opt->bad_options). */
int cmdline_parse(const char *cmdline, struct hv_options *opt);

#endif
