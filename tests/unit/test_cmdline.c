/* Hypervisor command-line parser (hv/cmdline.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hv/cmdline.h"
#include "hv/log.h"
#include "test_log.h"

static struct hv_options opt;

static int setup(void **state)
{
	(void)state;
	memset(&opt, 0xA5, sizeof(opt)); /* cmdline_defaults must set every field */
	cmdline_defaults(&opt);
	test_log_reset();
	return 0;
}

static void assert_defaults(const struct hv_options *o)
{
	assert_int_equal(o->console_port, 0x3F8);
	assert_int_equal(o->console_baud, 115200);
	assert_false(o->console_none);
	assert_int_equal(o->loglevel, LOG_INFO);
	assert_int_equal(o->smp_max, 0);
	assert_false(o->selftest);
	assert_false(o->acpidump);
	assert_false(o->x2apic_off);
	assert_int_equal(o->on_done, DONE_HALT);
	assert_int_equal(o->bad_options, 0);
}

/* Parses `s` and expects `bad` rejected options. */
static void parse(const char *s, int bad)
{
	assert_int_equal(cmdline_parse(s, &opt), bad);
	assert_int_equal(opt.bad_options, (uint32_t)bad);
}

static void test_defaults(void **state)
{
	(void)state;
	assert_defaults(&opt);
}

static void test_empty_null_and_blank_lines_change_nothing(void **state)
{
	(void)state;
	parse("", 0);
	parse(NULL, 0);
	parse(" \t\r\n ", 0);
	assert_defaults(&opt);
	assert_int_equal(test_log_count(), 0);
}

static void test_console_com_names_select_legacy_ports(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		uint16_t port;
	} cases[] = {
		{ "console=com1", 0x3F8 },
		{ "console=com2", 0x2F8 },
		{ "console=com3", 0x3E8 },
		{ "console=com4", 0x2E8 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cmdline_defaults(&opt);
		opt.console_port = 0;
		parse(cases[i].line, 0);
		assert_int_equal(opt.console_port, cases[i].port);
		assert_int_equal(opt.console_baud, 115200);
	}
}

static void test_console_hex_port_and_baud(void **state)
{
	(void)state;
	parse("console=0x2f8,9600", 0);
	assert_int_equal(opt.console_port, 0x2F8);
	assert_int_equal(opt.console_baud, 9600);
	assert_false(opt.console_none);
}

static void test_console_name_with_baud(void **state)
{
	(void)state;
	parse("console=com2,38400", 0);
	assert_int_equal(opt.console_port, 0x2F8);
	assert_int_equal(opt.console_baud, 38400);
}

static void test_console_pci_uart_port_in_decimal_and_upper_hex(void **state)
{
	(void)state;
	parse("console=0XE000", 0);
	assert_int_equal(opt.console_port, 0xE000);
	parse("console=4096,57600", 0);
	assert_int_equal(opt.console_port, 4096);
	assert_int_equal(opt.console_baud, 57600);
}

static void test_console_none_silences_and_later_console_restores(void **state)
{
	(void)state;
	parse("console=none", 0);
	assert_true(opt.console_none);
	parse("console=com3", 0);
	assert_false(opt.console_none);
	assert_int_equal(opt.console_port, 0x3E8);
}

static void test_console_bad_values_are_rejected_whole(void **state)
{
	(void)state;
	static const struct {
		const char *line, *msg;
	} cases[] = {
		{ "console=com5", "cmdline: bad value for console: 'com5'" },
		{ "console=COM1", "cmdline: bad value for console: 'COM1'" },
		{ "console=com1,abc", "cmdline: bad value for console: 'com1,abc'" },
		{ "console=com1,", "cmdline: bad value for console: 'com1,'" },
		{ "console=com1,0", "cmdline: bad value for console: 'com1,0'" },
		{ "console=com1,230400", "cmdline: bad value for console: 'com1,230400'" },
		{ "console=com1,7000", "cmdline: bad value for console: 'com1,7000'" },
		{ "console=0x0", "cmdline: bad value for console: '0x0'" },
		{ "console=0x10000", "cmdline: bad value for console: '0x10000'" },
		{ "console=0xfffa", "cmdline: bad value for console: '0xfffa'" },
		{ "console=0x", "cmdline: bad value for console: '0x'" },
		{ "console=,9600", "cmdline: bad value for console: ',9600'" },
		{ "console=none,9600", "cmdline: bad value for console: 'none,9600'" },
		{ "console=0x3f8g", "cmdline: bad value for console: '0x3f8g'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cmdline_defaults(&opt);
		test_log_reset();
		assert_int_equal(cmdline_parse(cases[i].line, &opt), 1);
		if (!test_log_contains(cases[i].msg))
			fail_msg("'%s': expected '%s', got '%s'", cases[i].line, cases[i].msg,
				 test_log_text());
		/* Nothing half-applied. */
		opt.bad_options = 0;
		assert_defaults(&opt);
	}
}

static void test_loglevel_accepts_0_to_4(void **state)
{
	(void)state;
	for (int l = 0; l <= 4; l++) {
		char line[32];
		snprintf(line, sizeof(line), "loglevel=%d", l);
		cmdline_defaults(&opt);
		parse(line, 0);
		assert_int_equal(opt.loglevel, l);
	}
	cmdline_defaults(&opt);
	parse("loglevel=0x4", 0);
	assert_int_equal(opt.loglevel, LOG_DEBUG);
}

static void test_loglevel_out_of_range_or_junk_is_rejected(void **state)
{
	(void)state;
	parse("loglevel=5", 1);
	assert_true(test_log_contains("cmdline: bad value for loglevel: '5'"));
	cmdline_defaults(&opt);
	parse("loglevel=-1", 1);
	assert_true(test_log_contains("cmdline: bad value for loglevel: '-1'"));
	cmdline_defaults(&opt);
	parse("loglevel=debug", 1);
	assert_true(test_log_contains("cmdline: bad value for loglevel: 'debug'"));
	cmdline_defaults(&opt);
	parse("loglevel=99999999999999999999999", 1);
	assert_int_equal(opt.loglevel, LOG_INFO);
}

static void test_smp_sets_cpu_limit(void **state)
{
	(void)state;
	parse("smp=2", 0);
	assert_int_equal(opt.smp_max, 2);
	parse("smp=0x10", 0);
	assert_int_equal(opt.smp_max, 16);
	parse("smp=4294967295", 0);
	assert_int_equal(opt.smp_max, 4294967295u);
}

static void test_smp_zero_overflow_and_junk_are_rejected(void **state)
{
	(void)state;
	parse("smp=0", 1);
	assert_true(test_log_contains("cmdline: bad value for smp: '0'"));
	cmdline_defaults(&opt);
	parse("smp=x", 1);
	assert_true(test_log_contains("cmdline: bad value for smp: 'x'"));
	cmdline_defaults(&opt);
	parse("smp=4294967296", 1);
	assert_true(test_log_contains("cmdline: bad value for smp: '4294967296'"));
	cmdline_defaults(&opt);
	assert_int_equal(cmdline_parse("smp=2cpus", &opt), 1);
	assert_int_equal(cmdline_parse("smp=+2", &opt), 1);
	assert_int_equal(cmdline_parse("smp=0x", &opt), 1);
	assert_int_equal(cmdline_parse("smp=-1", &opt), 1);
	assert_int_equal(opt.smp_max, 0);
}

static void test_flags_selftest_and_acpidump(void **state)
{
	(void)state;
	parse("selftest acpidump", 0);
	assert_true(opt.selftest);
	assert_true(opt.acpidump);
}

static void test_flag_with_value_is_rejected(void **state)
{
	(void)state;
	parse("selftest=1 acpidump=", 2);
	assert_false(opt.selftest);
	assert_false(opt.acpidump);
	assert_true(test_log_contains("cmdline: option 'selftest' takes no value"));
	assert_true(test_log_contains("cmdline: option 'acpidump' takes no value"));
}

static void test_x2apic_off_and_on(void **state)
{
	(void)state;
	parse("x2apic=off", 0);
	assert_true(opt.x2apic_off);
	parse("x2apic=on", 0);
	assert_false(opt.x2apic_off);
	parse("x2apic=maybe", 1);
	assert_true(test_log_contains("cmdline: bad value for x2apic: 'maybe'"));
	assert_false(opt.x2apic_off);
}

static void test_done_exit_and_halt(void **state)
{
	(void)state;
	parse("done=exit", 0);
	assert_int_equal(opt.on_done, DONE_EXIT);
	parse("done=halt", 0);
	assert_int_equal(opt.on_done, DONE_HALT);
	parse("done=reboot", 1);
	assert_true(test_log_contains("cmdline: bad value for done: 'reboot'"));
	assert_int_equal(opt.on_done, DONE_HALT);
}

static void test_crashtest_selects_the_fatal_path(void **state)
{
	(void)state;
	parse("", 0);
	assert_int_equal(opt.crashtest, CRASHTEST_NONE);
	parse("crashtest=pagefault", 0);
	assert_int_equal(opt.crashtest, CRASHTEST_PAGEFAULT);
	parse("crashtest=panic", 0);
	assert_int_equal(opt.crashtest, CRASHTEST_PANIC);
	parse("crashtest=ap", 0);
	assert_int_equal(opt.crashtest, CRASHTEST_AP);
	parse("crashtest=everything", 1);
	assert_true(test_log_contains("cmdline: bad value for crashtest: 'everything'"));
}

static void test_missing_value_is_reported(void **state)
{
	(void)state;
	parse("smp loglevel= console console= x2apic done=", 6);
	assert_true(test_log_contains("cmdline: missing value for smp"));
	assert_true(test_log_contains("cmdline: missing value for loglevel"));
	assert_true(test_log_contains("cmdline: missing value for console"));
	assert_true(test_log_contains("cmdline: missing value for x2apic"));
	assert_true(test_log_contains("cmdline: missing value for done"));
	opt.bad_options = 0;
	assert_defaults(&opt);
}

static void test_unknown_options_are_reported_and_others_apply(void **state)
{
	(void)state;
	parse("foo smp=3 bar=baz selftestx selftest =x", 4);
	assert_true(test_log_contains("cmdline: unknown option 'foo'"));
	assert_true(test_log_contains("cmdline: unknown option 'bar'"));
	assert_true(test_log_contains("cmdline: unknown option 'selftestx'"));
	assert_true(test_log_contains("cmdline: unknown option ''"));
	assert_int_equal(test_log_count(), 4);
	assert_int_equal(opt.smp_max, 3);
	assert_true(opt.selftest);
}

static void test_options_are_case_sensitive(void **state)
{
	(void)state;
	parse("SMP=2", 1);
	assert_true(test_log_contains("cmdline: unknown option 'SMP'"));
	assert_int_equal(opt.smp_max, 0);
}

static void test_combination_with_mixed_whitespace(void **state)
{
	(void)state;
	parse("  console=com2,57600\tloglevel=4\n smp=2  selftest x2apic=off done=exit acpidump ", 0);
	assert_int_equal(opt.console_port, 0x2F8);
	assert_int_equal(opt.console_baud, 57600);
	assert_int_equal(opt.loglevel, LOG_DEBUG);
	assert_int_equal(opt.smp_max, 2);
	assert_true(opt.selftest);
	assert_true(opt.x2apic_off);
	assert_int_equal(opt.on_done, DONE_EXIT);
	assert_true(opt.acpidump);
	assert_int_equal(test_log_count(), 0);
}

static void test_later_option_overrides_earlier(void **state)
{
	(void)state;
	parse("smp=2 loglevel=1 smp=5 loglevel=2", 0);
	assert_int_equal(opt.smp_max, 5);
	assert_int_equal(opt.loglevel, LOG_WARN);
}

static void test_bad_value_keeps_earlier_good_value(void **state)
{
	(void)state;
	parse("smp=4 smp=0", 1);
	assert_int_equal(opt.smp_max, 4);
}

static void test_first_word_image_path_is_skipped(void **state)
{
	(void)state;
	parse("/boot/hv.elf console=com2 smp=2", 0);
	assert_int_equal(opt.console_port, 0x2F8);
	assert_int_equal(opt.smp_max, 2);
	assert_int_equal(test_log_count(), 0);
}

static void test_first_word_containing_hv_elf_is_skipped(void **state)
{
	(void)state;
	parse("(hd0)hv.elf selftest", 0);
	assert_true(opt.selftest);
	cmdline_defaults(&opt);
	parse("  hv.elf", 0);
	cmdline_defaults(&opt);
	parse("/", 0);
}

static void test_image_path_only_skipped_as_first_word(void **state)
{
	(void)state;
	parse("selftest /boot/hv.elf", 1);
	assert_true(test_log_contains("cmdline: unknown option '/boot/hv.elf'"));
	assert_true(opt.selftest);
	cmdline_defaults(&opt);
	parse("/boot/hv.elf /boot/hv.elf", 1);
}

static void test_first_word_option_is_not_skipped(void **state)
{
	(void)state;
	parse("smp=7", 0);
	assert_int_equal(opt.smp_max, 7);
}

static void test_long_bad_token_is_echoed_cut(void **state)
{
	(void)state;
	char line[300] = "smp=";
	memset(line + 4, '9', 200);
	line[204] = 'x';
	line[205] = '\0';
	parse(line, 1);
	/* 60 characters then "...": the warning line stays readable. */
	char expect[100] = "cmdline: bad value for smp: '";
	memset(expect + strlen(expect), '9', 60);
	strcat(expect, "...'");
	assert_true(test_log_contains(expect));
}

static void test_bad_options_accumulate_across_calls(void **state)
{
	(void)state;
	assert_int_equal(cmdline_parse("foo", &opt), 1);
	assert_int_equal(cmdline_parse("bar baz", &opt), 2);
	assert_int_equal(opt.bad_options, 3);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_empty_null_and_blank_lines_change_nothing),
		T(test_console_com_names_select_legacy_ports),
		T(test_console_hex_port_and_baud),
		T(test_console_name_with_baud),
		T(test_console_pci_uart_port_in_decimal_and_upper_hex),
		T(test_console_none_silences_and_later_console_restores),
		T(test_console_bad_values_are_rejected_whole),
		T(test_loglevel_accepts_0_to_4),
		T(test_loglevel_out_of_range_or_junk_is_rejected),
		T(test_smp_sets_cpu_limit),
		T(test_smp_zero_overflow_and_junk_are_rejected),
		T(test_flags_selftest_and_acpidump),
		T(test_flag_with_value_is_rejected),
		T(test_x2apic_off_and_on),
		T(test_done_exit_and_halt),
		T(test_crashtest_selects_the_fatal_path),
		T(test_missing_value_is_reported),
		T(test_unknown_options_are_reported_and_others_apply),
		T(test_options_are_case_sensitive),
		T(test_combination_with_mixed_whitespace),
		T(test_later_option_overrides_earlier),
		T(test_bad_value_keeps_earlier_good_value),
		T(test_first_word_image_path_is_skipped),
		T(test_first_word_containing_hv_elf_is_skipped),
		T(test_image_path_only_skipped_as_first_word),
		T(test_first_word_option_is_not_skipped),
		T(test_long_bad_token_is_echoed_cut),
		T(test_bad_options_accumulate_across_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
