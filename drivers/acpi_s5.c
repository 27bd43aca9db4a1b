/* AML just deep enough for `Name (_S5, Package () {a, b, ...})`: the name,
 * PackageOp, a PkgLength, NumElements, then integer data objects (ACPI 6.x
 * 20.2.3 data objects, 20.2.4 PkgLength). */
#include "drivers/acpi_s5.h"
#include "hv/errno.h"
#include "hv/string.h"

#define AML_HEADER_LEN 36
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_BYTE_PREFIX 0x0A
#define AML_WORD_PREFIX 0x0B
#define AML_PACKAGE_OP 0x12
#define AML_ONES_OP 0xFF

/* One integer element; returns its encoded length, 0 if not an integer. */
static size_t aml_integer(const uint8_t *p, size_t left, uint8_t *val)
{
	if (!left)
		return 0;
	switch (p[0]) {
	case AML_ZERO_OP: *val = 0; return 1;
	case AML_ONE_OP: *val = 1; return 1;
	case AML_ONES_OP: *val = 0xFF; return 1;
	case AML_BYTE_PREFIX:
		if (left < 2)
			return 0;
		*val = p[1];
		return 2;
	case AML_WORD_PREFIX:
		if (left < 3)
			return 0;
		*val = p[1];
		return 3;
	default: return 0;
	}
}

int acpi_find_s5(const uint8_t *dsdt, size_t len, uint8_t *slp_typ_a, uint8_t *slp_typ_b)
{
	for (size_t i = len > AML_HEADER_LEN ? AML_HEADER_LEN : len; i + 4 < len; i++) {
		if (memcmp(dsdt + i, "_S5_", 4))
			continue;
		size_t p = i + 4;
		if (p >= len || dsdt[p] != AML_PACKAGE_OP)
			continue; /* a reference to _S5_, not its definition */
		p++;
		if (p >= len)
			return -EINVAL;
		size_t pkglen_bytes = 1 + (dsdt[p] >> 6); /* bits 7:6: following bytes */
		p += pkglen_bytes + 1;                     /* PkgLength, NumElements */
		if (p >= len)
			return -EINVAL;
		size_t n = aml_integer(dsdt + p, len - p, slp_typ_a);
		if (!n)
			return -EINVAL;
		p += n;
		if (!aml_integer(dsdt + p, len - p, slp_typ_b))
			*slp_typ_b = 0;
		return 0;
	}
	return -ENOENT;
}
