/* printk for host tests: captures every line in a buffer (and echoes it when
 * HV_TEST_VERBOSE is set in the environment). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/log.h"
#include "test_log.h"

static char log_buf[1 << 16];
static size_t log_len;
static int log_lines;

void test_log_reset(void)
{
	log_len = 0;
	log_lines = 0;
	log_buf[0] = '\0';
}

bool test_log_contains(const char *needle)
{
	return strstr(log_buf, needle) != NULL;
}

const char *test_log_text(void)
{
	return log_buf;
}

int test_log_count(void)
{
	return log_lines;
}

void printk(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	size_t n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[--n] = '\0';
	if (getenv("HV_TEST_VERBOSE"))
		fprintf(stderr, "[log %d] %s\n", (int)level, line);
	if (log_len + n + 2 < sizeof(log_buf)) {
		memcpy(log_buf + log_len, line, n);
		log_len += n;
		log_buf[log_len++] = '\n';
		log_buf[log_len] = '\0';
	}
	log_lines++;
}
