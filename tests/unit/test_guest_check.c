/* Naming what is wrong with a guest state VM entry refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "vmx/guest_check.h"

/* The multiboot entry state on Bochs' fixed-bit MSRs, unrestricted guest. */
static struct guest_state flat32(void)
{
	struct guest_state g = {0};
	uint16_t code = SEG_TYPE_CODE_RX_ACCESSED | SEG_S | SEG_P | SEG_DB | SEG_G;
	uint16_t data = SEG_TYPE_DATA_RW_ACCESSED | SEG_S | SEG_P | SEG_DB | SEG_G;
	g.cr0 = 0x31;
	g.cr4 = 0x2000;
	g.rflags = 2;
	g.link_pointer = ~0ULL;
	g.cs = (struct segment){0, 0xFFFFFFFF, 0x10, code};
	g.ss = g.ds = g.es = g.fs = g.gs = (struct segment){0, 0xFFFFFFFF, 0x18, data};
	g.tr = (struct segment){0, 0xFFFF, 0, SEG_TYPE_TSS_BUSY_32 | SEG_P};
	g.ldtr = (struct segment){0, 0xFFFF, 0, SEG_TYPE_LDT | SEG_P};
	g.unrestricted = true;
	g.cr0_fixed0 = 0x80000021;
	g.cr0_fixed1 = 0xFFFFFFFF;
	g.cr4_fixed0 = 0x2000;
	g.cr4_fixed1 = 0x3727FF;
	return g;
}

static char out[GUEST_CHECK_MAX][96];

static int problems(const struct guest_state *g)
{
	memset(out, 0, sizeof(out));
	return vmx_guest_state_problems(g, out, GUEST_CHECK_MAX);
}

static void test_valid_flat32_state_has_no_problem(void **s)
{
	struct guest_state g = flat32();
	assert_int_equal(problems(&g), 0);
}

static void test_real_mode_is_fine_with_unrestricted_guest_only(void **s)
{
	struct guest_state g = flat32();
	g.cr0 = 0x30; /* PE=0 */
	assert_int_equal(problems(&g), 0);
	g.unrestricted = false;
	assert_int_equal(problems(&g), 1);
	assert_non_null(strstr(out[0], "lacks fixed-1 bits 0x80000001"));
}

static void test_tr_that_is_not_a_busy_tss_is_named(void **s)
{
	struct guest_state g = flat32();
	g.tr.attrib = 9 | SEG_P; /* available, not busy */
	assert_int_equal(problems(&g), 1);
	assert_string_equal(out[0], "TR: access rights 0x89, must be a present busy TSS (type 11 or 3)");
}

static void test_lma_without_ia32e_control_is_named(void **s)
{
	struct guest_state g = flat32();
	g.cr0 |= 0x80000000;
	g.cr4 |= 0x20;
	g.efer = 0x500;
	assert_int_equal(problems(&g), 1);
	assert_string_equal(out[0], "EFER.LMA=1 but the IA-32e mode guest entry control is 0");
}

static void test_ia32e_without_paging_is_named(void **s)
{
	struct guest_state g = flat32();
	g.ia32e_entry = true;
	g.efer = 0x500;
	assert_true(problems(&g) >= 1);
	assert_string_equal(out[0], "IA-32e mode guest entry control without CR0.PG and CR4.PAE");
}

static void test_rflags_reserved_bit_is_named(void **s)
{
	struct guest_state g = flat32();
	g.rflags = 0;
	assert_int_equal(problems(&g), 1);
	assert_non_null(strstr(out[0], "RFLAGS 0x0"));
}

static void test_granularity_mismatch_is_named(void **s)
{
	struct guest_state g = flat32();
	g.ds.attrib &= ~SEG_G; /* 4 GiB limit with byte granularity */
	assert_int_equal(problems(&g), 1);
	assert_string_equal(out[0], "DS: limit 0xffffffff above 1 MiB with G=0");
}

static void test_data_segment_in_cs_is_named(void **s)
{
	struct guest_state g = flat32();
	g.cs.attrib = 1 | SEG_S | SEG_P | SEG_DB | SEG_G; /* read-only data, accessed */
	assert_int_equal(problems(&g), 1);
	assert_string_equal(out[0], "CS: type 1 is not an accessed code segment");
}

static void test_cr4_without_vmxe_is_named(void **s)
{
	struct guest_state g = flat32();
	g.cr4 = 0;
	assert_int_equal(problems(&g), 1);
	assert_non_null(strstr(out[0], "CR4 0x0 violates the VMX fixed bits"));
}

static void test_bad_link_pointer_and_activity_are_both_named(void **s)
{
	struct guest_state g = flat32();
	g.link_pointer = 0;
	g.activity = 7;
	assert_int_equal(problems(&g), 2);
	assert_string_equal(out[0], "activity state 7 is not defined");
	assert_string_equal(out[1], "VMCS link pointer 0x0, must be all ones");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_flat32_state_has_no_problem),
		cmocka_unit_test(test_real_mode_is_fine_with_unrestricted_guest_only),
		cmocka_unit_test(test_tr_that_is_not_a_busy_tss_is_named),
		cmocka_unit_test(test_lma_without_ia32e_control_is_named),
		cmocka_unit_test(test_ia32e_without_paging_is_named),
		cmocka_unit_test(test_rflags_reserved_bit_is_named),
		cmocka_unit_test(test_granularity_mismatch_is_named),
		cmocka_unit_test(test_data_segment_in_cs_is_named),
		cmocka_unit_test(test_cr4_without_vmxe_is_named),
		cmocka_unit_test(test_bad_link_pointer_and_activity_are_both_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
