/* Whole-machine checks (hv/config_check.c): a configuration the parser
 * accepted is held against the CPUs, boot modules and free memory of the
 * machine; the first problem in the file is reported on its key's line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/config.h"
#include "hv/config_check.h"
#include "hv/errno.h"
#include "test_log.h"

static struct hv_config cfg;
static char err[CONFIG_ERR_MAX];

/* The boot modules the mock machine has: a NULL-terminated list. */
struct modules {
	const char *const *names;
	unsigned calls;
};

static bool has_module(void *ctx, const char *name)
{
	struct modules *m = ctx;

	m->calls++;
	for (const char *const *n = m->names; *n; n++)
		if (strcmp(*n, name) == 0)
			return true;
	return false;
}

static const char *const all_modules[] = { "a", "b", "c", "bzImage", "initrd.gz", NULL };
static struct modules mods = { all_modules, 0 };

static struct config_machine machine(uint32_t cpus, uint64_t free_memory)
{
	mods.names = all_modules;
	mods.calls = 0;
	return (struct config_machine){ cpus, free_memory, has_module, &mods };
}

static void parse_ok(const char *text)
{
	char perr[CONFIG_ERR_MAX];

	if (config_parse(text, strlen(text), "hv.cfg", &cfg, perr, sizeof(perr)))
		fail_msg("rejected: %s", perr);
}

static int check(const struct config_machine *m)
{
	memset(err, 'X', sizeof(err));
	test_log_reset();
	int rc = config_check_machine(&cfg, m, "hv.cfg", err, sizeof(err));
	assert_int_equal(test_log_count(), 0); /* the caller prints */
	return rc;
}

static void check_fails(const struct config_machine *m, const char *msg)
{
	assert_int_equal(check(m), -EINVAL);
	assert_string_equal(err, msg);
}

#define TWO_VMS                                                                 \
	"[vm a]\ncpus = [0, 1]\nmemory = 512M\nimage = \"a\"\n" /* lines 1-4 */ \
	"[vm b]\ncpus = [2, 3]\nmemory = 528M\nkernel = \"bzImage\"\n"          \
	"entry = \"linux\"\ninitrd = \"initrd.gz\"\n" /* lines 5-10 */

static void test_configuration_that_fits_the_machine_passes(void **state)
{
	(void)state;
	parse_ok(TWO_VMS);
	struct config_machine m = machine(4, 1040 * (1ULL << 20));
	assert_int_equal(check(&m), 0);
	assert_string_equal(err, "");
	assert_int_equal(mods.calls, 3); /* a, bzImage, initrd.gz */
}

static void test_cpu_that_does_not_exist_is_reported_on_the_cpus_line(void **state)
{
	(void)state;
	parse_ok("[vm a]\nmemory = 16M\ncpus = [0, 5, 7]\nimage = \"a\"\n");
	struct config_machine m = machine(4, 1ULL << 30);
	check_fails(&m, "hv.cfg:3: vm a: cpus: cpu 5 does not exist (the machine has 4 CPUs)");
}

static void test_one_cpu_machine_is_named_in_the_singular(void **state)
{
	(void)state;
	parse_ok("[vm a]\ncpus = [1]\nmemory = 16M\nimage = \"a\"\n");
	struct config_machine m = machine(1, 1ULL << 30);
	check_fails(&m, "hv.cfg:2: vm a: cpus: cpu 1 does not exist (the machine has 1 CPU)");
}

static void test_missing_image_module_is_reported_on_the_image_line(void **state)
{
	(void)state;
	parse_ok("[vm a]\ncpus = [0]\nmemory = 16M\nimage = \"a\"\n"
		 "[vm linux]\ncpus = [1]\nimage = \"vmlinuz\"\nmemory = 16M\n");
	struct config_machine m = machine(2, 1ULL << 30);
	check_fails(&m, "hv.cfg:7: vm linux: image: no boot module named 'vmlinuz'");
}

static void test_missing_kernel_module_names_the_kernel_key(void **state)
{
	(void)state;
	parse_ok("[vm a]\ncpus = [0]\nmemory = 16M\nkernel = \"bzImage-6.1\"\n");
	struct config_machine m = machine(1, 1ULL << 30);
	check_fails(&m, "hv.cfg:4: vm a: kernel: no boot module named 'bzImage-6.1'");
}

static void test_missing_initrd_module_is_reported_on_the_initrd_line(void **state)
{
	(void)state;
	parse_ok("[vm a]\ncpus = [0]\nmemory = 16M\nkernel = \"bzImage\"\nentry = \"linux\"\n"
		 "initrd = \"rootfs.cpio\"\n");
	struct config_machine m = machine(1, 1ULL << 30);
	check_fails(&m, "hv.cfg:6: vm a: initrd: no boot module named 'rootfs.cpio'");
}

static void test_missing_multiboot_module_is_reported_on_the_modules_line(void **state)
{
	(void)state;
	parse_ok("[vm a]\ncpus = [0]\nmemory = 16M\nimage = \"a\"\nmodules = \"b arg, ramdisk.img x\"\n");
	struct config_machine m = machine(1, 1ULL << 30);
	check_fails(&m, "hv.cfg:5: vm a: modules: no boot module named 'ramdisk.img'");
}

static void test_long_module_name_is_cut_and_masked_in_the_message(void **state)
{
	(void)state;
	parse_ok("[vm a]\ncpus = [0]\nmemory = 16M\n"
		 "image = \"\tmodules/0123456789012345678901234567890123456789\"\n");
	struct config_machine m = machine(1, 1ULL << 30);
	check_fails(&m, "hv.cfg:4: vm a: image: no boot module named "
			"'?modules/0123456789012345678901234567890...'");
}

static void test_memory_overflow_names_the_vm_that_overflows_with_the_total(void **state)
{
	(void)state;
	parse_ok(TWO_VMS);
	struct config_machine m = machine(4, 900ULL << 20);
	check_fails(&m, "hv.cfg:7: vm b: memory: the VMs need 1040M in all, the machine has 900M "
			"free");

	/* a VM after the one that overflows still counts in the total */
	parse_ok("[vm a]\ncpus = [0]\nmemory = 512M\nimage = \"a\"\n"
		 "[vm b]\ncpus = [1]\nimage = \"b\"\nmemory = 512M\n"
		 "[vm c]\ncpus = [2]\nmemory = 16M\nimage = \"c\"\n");
	m = machine(4, 1000ULL << 20);
	check_fails(&m, "hv.cfg:8: vm b: memory: the VMs need 1040M in all, the machine has "
			"1000M free");

	/* the first VM alone may be too big */
	m = machine(4, 256ULL << 20);
	check_fails(&m, "hv.cfg:3: vm a: memory: the VMs need 1040M in all, the machine has 256M "
			"free");
}

static void test_memory_counts_readonly_and_each_shared_region_once(void **state)
{
	(void)state;
	/* 16M + 64K shared + 16M + 64K again (same region) + 4K readonly
	 * + 1M + 8K (another region) = 33M + 76K = 33868K */
	parse_ok("[vm a]\ncpus = [0]\nmemory = 16M\nimage = \"a\"\nshared = \"ring,1G,64K\"\n"
		 "[vm b]\ncpus = [1]\nmemory = 16M\nimage = \"b\"\nshared = \"ring,2G,64K\"\n"
		 "readonly = \"0x80010000,4K\"\n"
		 "[vm c]\ncpus = [2]\nmemory = 1M\nimage = \"c\"\nshared = \"log,1G,8K\"\n");
	struct config_machine m = machine(3, 33868ULL << 10);
	assert_int_equal(check(&m), 0);
	m = machine(3, (33868ULL - 4) << 10);
	check_fails(&m, "hv.cfg:14: vm c: memory: the VMs need 33868K in all, the machine has "
			"33864K free");
}

static void test_sizes_in_the_message_use_the_largest_exact_unit(void **state)
{
	(void)state;
	parse_ok("[vm a]\ncpus = [0]\nmemory = 2G\nimage = \"a\"\n");
	struct config_machine m = machine(1, 1ULL << 30);
	check_fails(&m, "hv.cfg:3: vm a: memory: the VMs need 2G in all, the machine has 1G free");
	m = machine(1, 0);
	check_fails(&m, "hv.cfg:3: vm a: memory: the VMs need 2G in all, the machine has 0 free");
	m = machine(1, 12345);
	check_fails(&m, "hv.cfg:3: vm a: memory: the VMs need 2G in all, the machine has 12345 "
			"free");
}

static void test_the_problem_on_the_earliest_line_is_reported(void **state)
{
	(void)state;
	/* Within a VM, keys may come in any order: the earlier line wins. */
	parse_ok("[vm a]\nimage = \"x\"\ncpus = [9]\nmemory = 16M\n");
	struct config_machine m = machine(4, 1ULL << 30);
	check_fails(&m, "hv.cfg:2: vm a: image: no boot module named 'x'");
	parse_ok("[vm a]\ncpus = [9]\nimage = \"x\"\nmemory = 16M\n");
	check_fails(&m, "hv.cfg:2: vm a: cpus: cpu 9 does not exist (the machine has 4 CPUs)");

	/* An earlier VM's memory line beats a later VM's missing module. */
	parse_ok("[vm a]\ncpus = [0]\nmemory = 1G\nimage = \"a\"\n"
		 "[vm b]\ncpus = [1]\nmemory = 16M\nimage = \"nope\"\n");
	m = machine(2, 512ULL << 20);
	check_fails(&m, "hv.cfg:3: vm a: memory: the VMs need 1040M in all, the machine has 512M "
			"free");

	/* A later VM's missing module beats nothing in the first VM. */
	m = machine(2, 2ULL << 30);
	check_fails(&m, "hv.cfg:8: vm b: image: no boot module named 'nope'");
}

static void test_modules_are_not_checked_without_a_callback(void **state)
{
	(void)state;
	parse_ok("[vm a]\ncpus = [0]\nmemory = 16M\nimage = \"missing\"\n");
	struct config_machine m = { 1, 1ULL << 30, NULL, NULL };
	assert_int_equal(check(&m), 0);
}

static void test_err_may_be_null_or_short_and_file_defaults_to_config(void **state)
{
	(void)state;
	char small[12];
	parse_ok("[vm a]\ncpus = [3]\nmemory = 16M\nimage = \"a\"\n");
	struct config_machine m = machine(2, 1ULL << 30);

	assert_int_equal(config_check_machine(&cfg, &m, "hv.cfg", NULL, 0), -EINVAL);
	assert_int_equal(config_check_machine(&cfg, &m, "hv.cfg", small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "hv.cfg:2: v");
	assert_int_equal(config_check_machine(&cfg, &m, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "config:2: vm a: cpus: cpu 3 does not exist (the machine has 2 "
				 "CPUs)");
	small[0] = 'X';
	assert_int_equal(config_check_machine(&cfg, &m, "hv.cfg", small, 0), -EINVAL);
	assert_int_equal(small[0], 'X');
}

static void test_missing_configuration_or_machine_is_an_error(void **state)
{
	(void)state;
	struct config_machine m = machine(1, 0);

	assert_int_equal(config_check_machine(NULL, &m, "hv.cfg", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "hv.cfg:1: no configuration or machine to check");
	assert_int_equal(config_check_machine(&cfg, NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "config:1: no configuration or machine to check");
}

static void test_configuration_without_key_lines_falls_back_to_the_header(void **state)
{
	(void)state;
	/* Built by hand rather than parsed: no key lines, maybe no header line;
	 * garbage counts are clamped to the arrays. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.vm_count = 1;
	strcpy(cfg.vm[0].name, "hand");
	cfg.vm[0].line = 7;
	cfg.vm[0].cpu_count = 1;
	cfg.vm[0].cpus[0] = 2;
	cfg.vm[0].memory = 1ULL << 20;
	strcpy(cfg.vm[0].image, "a");
	struct config_machine m = machine(2, 1ULL << 30);
	check_fails(&m, "hv.cfg:7: vm hand: cpus: cpu 2 does not exist (the machine has 2 CPUs)");
	cfg.vm[0].line = 0;
	check_fails(&m, "hv.cfg:1: vm hand: cpus: cpu 2 does not exist (the machine has 2 CPUs)");

	cfg.vm[0].cpus[0] = 0;
	memset(cfg.vm[0].image, 'i', sizeof(cfg.vm[0].image)); /* unterminated: skipped */
	mods.calls = 0;
	assert_int_equal(check(&m), 0);
	assert_int_equal(mods.calls, 0);
	cfg.vm_count = 1000; /* the other seven slots are empty */
	cfg.vm[0].cpu_count = 1000;
	m.has_module = NULL;
	assert_int_equal(check(&m), 0);
}

static void test_a_huge_configuration_saturates_instead_of_wrapping(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.vm_count = 2;
	for (int i = 0; i < 2; i++) {
		cfg.vm[i].name[0] = (char)('a' + i);
		cfg.vm[i].line = (uint32_t)(1 + 4 * i);
		cfg.vm[i].memory_line = (uint32_t)(3 + 4 * i);
		cfg.vm[i].memory = UINT64_MAX - 1;
		strcpy(cfg.vm[i].image, "a");
	}
	struct config_machine m = machine(1, UINT64_MAX - 1);
	check_fails(&m, "hv.cfg:7: vm b: memory: the VMs need 18446744073709551615 in all, the "
			"machine has 18446744073709551614 free");
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	static const struct CMUnitTest tests[] = {
		T(test_configuration_that_fits_the_machine_passes),
		T(test_cpu_that_does_not_exist_is_reported_on_the_cpus_line),
		T(test_one_cpu_machine_is_named_in_the_singular),
		T(test_missing_image_module_is_reported_on_the_image_line),
		T(test_missing_kernel_module_names_the_kernel_key),
		T(test_missing_initrd_module_is_reported_on_the_initrd_line),
		T(test_missing_multiboot_module_is_reported_on_the_modules_line),
		T(test_long_module_name_is_cut_and_masked_in_the_message),
		T(test_memory_overflow_names_the_vm_that_overflows_with_the_total),
		T(test_memory_counts_readonly_and_each_shared_region_once),
		T(test_sizes_in_the_message_use_the_largest_exact_unit),
		T(test_the_problem_on_the_earliest_line_is_reported),
		T(test_modules_are_not_checked_without_a_callback),
		T(test_err_may_be_null_or_short_and_file_defaults_to_config),
		T(test_missing_configuration_or_machine_is_an_error),
		T(test_configuration_without_key_lines_falls_back_to_the_header),
		T(test_a_huge_configuration_saturates_instead_of_wrapping),
	};

	return cmocka_run_group_tests_name("config_check", tests, NULL, NULL);
}
