/* The _S5_ sleep-type scan, on DSDTs captured from QEMU and Bochs and on
 * hand-made AML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/acpi_s5.h"
#include "hv/errno.h"

static uint8_t *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 16];
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

static void check_captured(const char *platform)
{
	char path[256];
	size_t len;
	uint8_t a = 0x55, b = 0x55;
	snprintf(path, sizeof(path), "tests/data/acpi/%s/DSDT.bin", platform);
	uint8_t *d = load(path, &len);
	assert_int_equal(acpi_find_s5(d, len, &a, &b), 0);
	/* SLP_TYP is a 3-bit field in PM1 control */
	assert_true(a < 8 && b < 8);
}

static void test_qemu_pc_dsdt_has_s5(void **s) { check_captured("qemu-pc"); }
static void test_qemu_q35_dsdt_has_s5(void **s) { check_captured("qemu-q35"); }
static void test_bochs_dsdt_has_s5(void **s) { check_captured("bochs"); }

static size_t with_header(uint8_t *buf, const uint8_t *aml, size_t n)
{
	memset(buf, 0, 36);
	memcpy(buf, "DSDT", 4);
	memcpy(buf + 36, aml, n);
	return 36 + n;
}

static void test_byte_prefixed_values_are_read(void **s)
{
	static const uint8_t aml[] = {0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x07, 0x00, 0x00};
	uint8_t buf[64], a, b;
	size_t n = with_header(buf, aml, sizeof(aml));
	assert_int_equal(acpi_find_s5(buf, n, &a, &b), 0);
	assert_int_equal(a, 5);
	assert_int_equal(b, 7);
}

static void test_zero_and_one_ops_are_read(void **s)
{
	static const uint8_t aml[] = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x01, 0x00};
	uint8_t buf[64], a, b;
	size_t n = with_header(buf, aml, sizeof(aml));
	assert_int_equal(acpi_find_s5(buf, n, &a, &b), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 0);
}

static void test_reference_before_definition_is_skipped(void **s)
{
	/* a use of _S5_ (not followed by PackageOp), then the definition */
	static const uint8_t aml[] = {'_', 'S', '5', '_', 0x70, 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0A, 0x03, 0x00};
	uint8_t buf[64], a, b;
	size_t n = with_header(buf, aml, sizeof(aml));
	assert_int_equal(acpi_find_s5(buf, n, &a, &b), 0);
	assert_int_equal(a, 3);
}

static void test_missing_s5_is_enoent(void **s)
{
	static const uint8_t aml[] = {0x08, '_', 'S', '4', '_', 0x12, 0x06, 0x02, 0x01, 0x00};
	uint8_t buf[64], a, b;
	size_t n = with_header(buf, aml, sizeof(aml));
	assert_int_equal(acpi_find_s5(buf, n, &a, &b), -ENOENT);
}

static void test_truncated_package_is_einval(void **s)
{
	static const uint8_t aml[] = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0A};
	uint8_t buf[64], a, b;
	size_t n = with_header(buf, aml, sizeof(aml));
	assert_int_equal(acpi_find_s5(buf, n, &a, &b), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_pc_dsdt_has_s5),
		cmocka_unit_test(test_qemu_q35_dsdt_has_s5),
		cmocka_unit_test(test_bochs_dsdt_has_s5),
		cmocka_unit_test(test_byte_prefixed_values_are_read),
		cmocka_unit_test(test_zero_and_one_ops_are_read),
		cmocka_unit_test(test_reference_before_definition_is_skipped),
		cmocka_unit_test(test_missing_s5_is_enoent),
		cmocka_unit_test(test_truncated_package_is_einval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
