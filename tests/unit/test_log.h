/* Host-test side of include/hv/log.h: printk captures lines here so tests
 * can assert on the exact message a user would read. */
#ifndef TEST_LOG_H
#define TEST_LOG_H

#include <stdbool.h>

void test_log_reset(void);
/* True if any captured line since the last reset contains `needle`. */
bool test_log_contains(const char *needle);
/* All captured lines, newline-separated. */
const char *test_log_text(void);
int test_log_count(void);

#endif
