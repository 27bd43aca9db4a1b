/* Test reporting in the format the integration tests read:
 *   <guest>: PASS <check>
 *   <guest>: FAIL <check> (<detail>)
 *   <guest>: SKIP <check> (<why>)
 *   <guest>: done <N> passed <M> failed
 * check names are single words (snake_case) so tests can match them. */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

#include <stdbool.h>

/* Prints PASS when ok, else FAIL with the formatted detail; returns ok. */
bool check(bool ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void check_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void check_skip(const char *name, const char *why);
/* Prints the done line; returns the exit code: 0 if nothing failed, else 1. */
int check_finish(void);

#endif
