/* Logging interface. The hypervisor implements it in hv/printk.c; host tests
 * implement it in tests/unit/test_log.c, where messages are captured so a
 * test can assert on the exact error text a user would read. */
#ifndef HV_LOG_H
#define HV_LOG_H

#include "hv/compiler.h"

enum log_level {
	LOG_FATAL = 0, /* the hypervisor cannot continue */
	LOG_MARKER = 0, /* stable console markers (README): never filtered */
	LOG_ERR = 1,
	LOG_WARN = 2,
	LOG_INFO = 3,
	LOG_DEBUG = 4,
};

/* Prints one line (a trailing newline is added if missing). */
void printk(enum log_level level, const char *fmt, ...) __printf(2, 3);

void printk_set_level(int level);
int printk_get_level(void);

#define pr_err(...) printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...) printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

#endif
