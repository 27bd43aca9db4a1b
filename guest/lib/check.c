#include "check.h"

#include <stdarg.h>

#include "guest.h"
#include "printf.h"

static unsigned int passed, failed;

static void report_fail(const char *name, const char *fmt, va_list ap)
{
	failed++;
	printf("%s: FAIL %s (", guest_name, name);
	vprintf(fmt, ap);
	printf(")\n");
}

bool check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		printf("%s: PASS %s\n", guest_name, name);
		return true;
	}
	va_start(ap, fmt);
	report_fail(name, fmt, ap);
	va_end(ap);
	return false;
}

void check_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_fail(name, fmt, ap);
	va_end(ap);
}

void check_skip(const char *name, const char *why)
{
	printf("%s: SKIP %s (%s)\n", guest_name, name, why);
}

int check_finish(void)
{
	printf("%s: done %u passed %u failed\n", guest_name, passed, failed);
	return failed ? 1 : 0;
}
