/* printk: "[seconds.micros cpuN] message" lines to the console, filtered by
 * the log level (loglevel= on the command line). */
#include <stdarg.h>

#include "hv/log.h"
#include "hv/console.h"
#include "hv/format.h"
#include "hv/percpu.h"
#include "drivers/tsc.h"

#define LINE_MAX 512

static int current_loglevel = LOG_INFO;

void printk_set_level(int level)
{
	current_loglevel = level;
}

int printk_get_level(void)
{
	return current_loglevel;
}

void printk(enum log_level level, const char *fmt, ...)
{
	char line[LINE_MAX];
	va_list ap;

	if ((int)level > current_loglevel)
		return;
	uint64_t us = clock_us();
	int n = hv_snprintf(line, sizeof(line), "[%5llu.%06llu cpu%u] ", (unsigned long long)(us / 1000000),
			    (unsigned long long)(us % 1000000), this_cpu_index());
	if (n < 0 || n >= LINE_MAX)
		n = 0;
	va_start(ap, fmt);
	int m = hv_vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > LINE_MAX - 2)
		len = LINE_MAX - 2; /* truncated: keep room for the newline */
	if (len == 0 || line[len - 1] != '\n')
		line[len++] = '\n';
	line[len] = '\0';
	console_write_line(line, len);
}
