/* VMX capability MSRs -> control fields, against values recorded from Bochs
 * and from a real CPU, and against broken or contradictory values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "vmx/caps.h"

/* Bochs 2.7, cpu model corei7_skylake_x (hv's own `loglevel=4` dump). */
static const struct vmx_msrs bochs_skylake_x = {
	.basic = 0xd810000000002bULL, .pin = 0x7f00000016ULL, .proc = 0xf7f9fffe0401e172ULL,
	.exit = 0x7fffff00036dffULL, .entry = 0xffff000011ffULL, .misc = 0x600401e0ULL,
	.cr0_fixed0 = 0x80000021ULL, .cr0_fixed1 = 0xffffffffULL, .cr4_fixed0 = 0x2000ULL,
	.cr4_fixed1 = 0x3727ffULL, .proc2 = 0x2177fff00000000ULL, .ept_vpid = 0xf0106334141ULL,
	.true_pin = 0x7f00000016ULL, .true_proc = 0xf7f9fffe04006172ULL,
	.true_exit = 0x7fffff00036dfbULL, .true_entry = 0xffff000011fbULL,
};

/* Intel family 6 model 158 (Coffee Lake), recorded by VirtualBox (VBox.log
 * "HM: MSR_IA32_VMX_*" lines in a public bug report). */
static const struct vmx_msrs coffee_lake = {
	.basic = 0xda040000000004ULL, .pin = 0x7f00000016ULL, .proc = 0xfff9fffe0401e172ULL,
	.exit = 0x1ffffff00036dffULL, .entry = 0x3ffff000011ffULL, .misc = 0x7004c1e7ULL,
	.cr0_fixed0 = 0x80000021ULL, .cr0_fixed1 = 0xffffffffULL, .cr4_fixed0 = 0x2000ULL,
	.cr4_fixed1 = 0x3727ffULL, .proc2 = 0x5fbcff00000000ULL, .ept_vpid = 0xf0106734141ULL,
	.true_pin = 0x7f00000016ULL, .true_proc = 0xfff9fffe04006172ULL,
	.true_exit = 0x1ffffff00036dfbULL, .true_entry = 0x3ffff000011fbULL,
};

static void test_adjust_sets_must_be_one_and_drops_disallowed_optional(void **state)
{
	uint32_t missing;
	/* allowed-0: bits 1,2 forced; allowed-1: bits 0-3 */
	uint32_t v = vmx_adjust_controls(0x1, 0x10, 0x0000000F00000006ULL, &missing);
	assert_int_equal(v, 0x7);
	assert_int_equal(missing, 0);
	v = vmx_adjust_controls(0x30, 0, 0x0000000F00000000ULL, &missing);
	assert_int_equal(missing, 0x30);
}

static void check_common(const struct vmx_config *c)
{
	assert_true(c->pin & PIN_EXTERNAL_INTERRUPT_EXITING);
	assert_true(c->pin & PIN_NMI_EXITING);
	assert_false(c->pin & PIN_PREEMPTION_TIMER); /* armed per run only */
	assert_true(c->proc & PROC_HLT_EXITING);
	assert_true(c->proc & PROC_USE_IO_BITMAPS);
	assert_true(c->proc & PROC_USE_MSR_BITMAPS);
	assert_true(c->proc & PROC_ACTIVATE_SECONDARY);
	/* TRUE controls let CR3 accesses go unexited with EPT */
	assert_false(c->proc & (PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING));
	assert_false(c->proc & PROC_INTERRUPT_WINDOW_EXITING);
	assert_true(c->proc2 & PROC2_ENABLE_EPT);
	assert_true(c->proc2 & PROC2_UNRESTRICTED_GUEST);
	assert_true(c->exit & EXIT_HOST_ADDRESS_SPACE_SIZE);
	assert_true(c->exit & EXIT_LOAD_EFER);
	assert_true(c->entry & ENTRY_LOAD_EFER);
	assert_false(c->entry & ENTRY_IA32E_MODE_GUEST);
	assert_true(c->interrupt_window && c->nmi_window && c->ia32e_guest);
	assert_int_equal(c->cr0_fixed0, 0x80000021);
}

static void test_bochs_skylake_x_has_everything(void **state)
{
	struct vmx_config c;
	const char *missing = "x";
	assert_int_equal(vmx_config_build(&bochs_skylake_x, &c, &missing), 0);
	assert_null(missing);
	check_common(&c);
	assert_int_equal(c.revision_id, 0x2b);
	assert_int_equal(c.region_size, 0x1000);
	assert_true(c.vpid && c.ept_2m && c.ept_1g && c.ept_ad && c.unrestricted_guest);
	assert_true(c.preemption_timer);
	assert_int_equal(c.preemption_timer_shift, 0);
}

static void test_coffee_lake_has_everything(void **state)
{
	struct vmx_config c;
	const char *missing;
	assert_int_equal(vmx_config_build(&coffee_lake, &c, &missing), 0);
	check_common(&c);
	assert_int_equal(c.revision_id, 4);
	assert_int_equal(c.region_size, 1024);
	assert_int_equal(c.preemption_timer_shift, 7);
	assert_true(c.vpid && c.invvpid_single && c.invept_single);
	assert_true(c.proc2 & PROC2_ENABLE_INVPCID);
	char buf[200];
	vmx_config_describe(&c, buf, sizeof(buf));
	assert_non_null(strstr(buf, "ept=1 vpid=1 ug=1 ept2m=1 ept1g=1 ad=1"));
}

static void test_cpu_without_true_controls_keeps_forced_cr3_exiting(void **state)
{
	struct vmx_msrs m = coffee_lake;
	struct vmx_config c;
	const char *missing;
	m.basic &= ~VMX_BASIC_TRUE_CTLS;
	assert_int_equal(vmx_config_build(&m, &c, &missing), 0);
	/* the non-TRUE MSR forces CR3 load/store exiting on (default1 bits) */
	assert_true(c.proc & PROC_CR3_LOAD_EXITING);
	assert_true(c.proc & PROC_CR3_STORE_EXITING);
}

static void test_missing_ept_is_named(void **state)
{
	struct vmx_msrs m = bochs_skylake_x;
	struct vmx_config c;
	const char *missing;
	m.proc2 &= ~((uint64_t)PROC2_ENABLE_EPT << 32);
	assert_int_equal(vmx_config_build(&m, &c, &missing), -ENODEV);
	assert_string_equal(missing, "EPT");
}

static void test_missing_unrestricted_guest_is_named(void **state)
{
	struct vmx_msrs m = coffee_lake;
	struct vmx_config c;
	const char *missing;
	m.proc2 &= ~((uint64_t)PROC2_UNRESTRICTED_GUEST << 32);
	assert_int_equal(vmx_config_build(&m, &c, &missing), -ENODEV);
	assert_string_equal(missing, "unrestricted guest");
}

static void test_missing_hlt_exiting_is_named(void **state)
{
	struct vmx_msrs m = bochs_skylake_x;
	struct vmx_config c;
	const char *missing;
	m.true_proc &= ~((uint64_t)PROC_HLT_EXITING << 32);
	assert_int_equal(vmx_config_build(&m, &c, &missing), -ENODEV);
	assert_string_equal(missing, "HLT exiting");
}

static void test_ept_without_write_back_is_refused(void **state)
{
	struct vmx_msrs m = coffee_lake;
	struct vmx_config c;
	const char *missing;
	m.ept_vpid &= ~EPT_CAP_WB;
	assert_int_equal(vmx_config_build(&m, &c, &missing), -ENODEV);
	assert_string_equal(missing, "EPT write-back memory type");
}

static void test_contradictory_controls_are_rejected(void **state)
{
	struct vmx_msrs m = bochs_skylake_x;
	struct vmx_config c;
	const char *missing;
	/* bit 3 must be 1 (allowed-0) but may not be 1 (allowed-1) */
	m.true_pin = (0x7fULL & ~0x8ULL) << 32 | 0x16ULL | 0x8ULL;
	assert_int_equal(vmx_config_build(&m, &c, &missing), -EINVAL);
	assert_string_equal(missing, "consistent capability MSRs");
}

static void test_vpid_without_invvpid_is_not_used(void **state)
{
	struct vmx_msrs m = coffee_lake;
	struct vmx_config c;
	const char *missing;
	m.ept_vpid &= ~(VPID_CAP_INVVPID | VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL);
	assert_int_equal(vmx_config_build(&m, &c, &missing), 0);
	assert_false(c.vpid);
	assert_false(c.proc2 & PROC2_ENABLE_VPID);
}

static void test_oversized_vmcs_region_is_refused(void **state)
{
	struct vmx_msrs m = coffee_lake;
	struct vmx_config c;
	const char *missing;
	m.basic = (m.basic & ~(0x1FFFULL << 32)) | (0x1001ULL << 32);
	assert_int_equal(vmx_config_build(&m, &c, &missing), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adjust_sets_must_be_one_and_drops_disallowed_optional),
		cmocka_unit_test(test_bochs_skylake_x_has_everything),
		cmocka_unit_test(test_coffee_lake_has_everything),
		cmocka_unit_test(test_cpu_without_true_controls_keeps_forced_cr3_exiting),
		cmocka_unit_test(test_missing_ept_is_named),
		cmocka_unit_test(test_missing_unrestricted_guest_is_named),
		cmocka_unit_test(test_missing_hlt_exiting_is_named),
		cmocka_unit_test(test_ept_without_write_back_is_refused),
		cmocka_unit_test(test_contradictory_controls_are_rejected),
		cmocka_unit_test(test_vpid_without_invvpid_is_not_used),
		cmocka_unit_test(test_oversized_vmcs_region_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
