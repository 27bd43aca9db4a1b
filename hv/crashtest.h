/* crashtest=pagefault|panic|ap: breaks the hypervisor on purpose after
 * start-up, so the fatal paths (register dump, backtrace, every CPU stopped
 * by NMI) can be seen working on a real machine and checked by tests. */
#ifndef HV_CRASHTEST_H
#define HV_CRASHTEST_H

void crashtest_run(int which);

#endif
