/* Tests for hv/guest_mptable.c: the MP tables are built into a buffer at
 * 0xF0000 and read back the way a guest would (MultiProcessor
 * Specification 1.4, chapter 4, offsets taken from the spec here): scan
 * for "_MP_" on 16-byte boundaries, check both checksums, follow the
 * pointer to "PCMP", walk the entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hv/errno.h"
#include "hv/guest_mptable.h"
#include "test_log.h"

#define BUF_GPA 0xF0000ULL
#define BUF_SIZE 0x10000ULL /* 0xF0000-0xFFFFF, where guests search */

static uint8_t mem[BUF_SIZE];

static int setup(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	test_log_reset();
	return 0;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static const uint8_t *at(uint64_t gpa, size_t len)
{
	assert_true(gpa >= BUF_GPA && gpa + len <= BUF_GPA + BUF_SIZE);
	return mem + (gpa - BUF_GPA);
}

/* The guest's search (MPS 4): 16-byte boundaries, signature, checksum. */
static uint64_t find_mpfp(void)
{
	for (size_t off = 0; off + 16 <= BUF_SIZE; off += 16)
		if (!memcmp(mem + off, "_MP_", 4) && sum(mem + off, 16) == 0)
			return BUF_GPA + off;
	return 0;
}

/* What a walk of the configuration table found. */
struct mp_seen {
	uint32_t cpus;
	uint8_t cpu_id[64], cpu_flags[64], cpu_version[64];
	uint32_t buses;
	char bus_name[7];
	uint32_t ioapics;
	uint8_t ioapic_id, ioapic_flags;
	uint32_t ioapic_addr;
	uint32_t io_ints;
	int pin_of_irq[16]; /* -1: no entry */
	uint8_t io_int_dst[16];
	uint32_t local_ints;
	uint8_t lint_type[2], lint_dst[2];
	uint16_t entries;
};

static void walk(uint32_t vcpus, struct mp_seen *s)
{
	uint64_t fp = find_mpfp();

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 16; i++)
		s->pin_of_irq[i] = -1;
	assert_int_not_equal(fp, 0);
	const uint8_t *f = at(fp, 16);
	assert_int_equal(f[8], 1); /* length in paragraphs */
	assert_int_equal(f[9], 4); /* spec revision 1.4 */
	assert_int_equal(f[11], 0); /* a configuration table follows */

	uint32_t cfg = rd32(f + 4);
	const uint8_t *h = at(cfg, 44);
	assert_memory_equal(h, "PCMP", 4);
	uint16_t len = rd16(h + 4);
	h = at(cfg, len);
	assert_int_equal(h[6], 4);
	assert_int_equal(sum(h, len), 0);
	assert_int_equal(rd32(h + 36), 0xFEE00000u); /* local APIC address */
	assert_int_equal(rd16(h + 40), 0);           /* no extended table */
	s->entries = rd16(h + 34);

	size_t off = 44;
	uint8_t last_type = 0;
	for (uint16_t i = 0; i < s->entries; i++) {
		assert_true(off < len);
		const uint8_t *e = h + off;
		assert_true(e[0] >= last_type); /* sorted by type (4.3) */
		last_type = e[0];
		switch (e[0]) {
		case 0: /* processor */
			assert_true(off + 20 <= len);
			assert_true(s->cpus < vcpus);
			s->cpu_id[s->cpus] = e[1];
			s->cpu_version[s->cpus] = e[2];
			s->cpu_flags[s->cpus] = e[3];
			s->cpus++;
			off += 20;
			break;
		case 1: /* bus */
			memcpy(s->bus_name, e + 2, 6);
			assert_int_equal(e[1], 0);
			s->buses++;
			off += 8;
			break;
		case 2: /* I/O APIC */
			s->ioapic_id = e[1];
			s->ioapic_flags = e[3];
			s->ioapic_addr = rd32(e + 4);
			s->ioapics++;
			off += 8;
			break;
		case 3: /* I/O interrupt assignment */
			assert_int_equal(e[1], 0);       /* INT */
			assert_int_equal(rd16(e + 2), 0); /* conforms to the ISA bus */
			assert_int_equal(e[4], 0);       /* source bus: ISA */
			assert_true(e[5] < 16);
			assert_int_equal(s->pin_of_irq[e[5]], -1);
			s->pin_of_irq[e[5]] = e[7];
			s->io_int_dst[e[5]] = e[6];
			s->io_ints++;
			off += 8;
			break;
		case 4: /* local interrupt assignment */
			assert_true(e[7] < 2);
			s->lint_type[e[7]] = e[1];
			s->lint_dst[e[7]] = e[6];
			s->local_ints++;
			off += 8;
			break;
		default: fail_msg("unexpected entry type %u at offset %zu", e[0], off);
		}
	}
	assert_int_equal(off, len); /* the entries fill the base table exactly */
}

static void build(uint32_t vcpus, struct guest_mptable_layout *lay)
{
	assert_int_equal(guest_mptable_build(vcpus, (uint8_t)vcpus, 0xFEC00000u, mem, BUF_SIZE,
					     BUF_GPA, lay),
			 0);
}

static void check_vcpus(uint32_t n)
{
	struct guest_mptable_layout lay;
	struct mp_seen s;

	memset(mem, 0, sizeof(mem));
	build(n, &lay);
	walk(n, &s);
	assert_int_equal(find_mpfp(), lay.mpfp_gpa);
	assert_int_equal(s.entries, lay.entries);
	assert_int_equal(s.entries, n + 1 + 1 + 15 + 2);
	assert_int_equal(s.cpus, n);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(s.cpu_id[i], i);
		assert_int_equal(s.cpu_flags[i], i == 0 ? 0x03 : 0x01); /* EN, BP on the first */
		assert_int_equal(s.cpu_version[i] & 0xF0, 0x10);        /* integrated APIC */
	}
	assert_int_equal(s.ioapics, 1);
	assert_int_equal(s.ioapic_id, n);
	assert_int_equal(s.ioapic_flags & 1, 1);
	assert_int_equal(s.ioapic_addr, 0xFEC00000u);
}

static void test_one_processor_entry_per_vcpu_bsp_first(void **state)
{
	(void)state;
	check_vcpus(1);
	check_vcpus(2);
	check_vcpus(4);
	check_vcpus(64);
	assert_int_equal(test_log_count(), 0);
}

static void test_floating_pointer_is_found_and_points_at_the_config_table(void **state)
{
	struct guest_mptable_layout lay;

	(void)state;
	build(2, &lay);
	assert_int_equal(lay.mpfp_gpa, BUF_GPA);
	assert_int_equal(find_mpfp(), BUF_GPA);
	const uint8_t *f = at(lay.mpfp_gpa, 16);
	assert_int_equal(sum(f, 16), 0);
	assert_int_equal(rd32(f + 4), lay.config_gpa);
	assert_int_equal(f[12] & 0x80, 0); /* IMCRP clear: virtual wire mode */
	const uint8_t *h = at(lay.config_gpa, 44);
	assert_int_equal(sum(h, rd16(h + 4)), 0);
	assert_int_equal(lay.size, lay.config_gpa - BUF_GPA + rd16(h + 4));
	assert_memory_equal(h + 8, "HVPLAT  ", 8);
}

static void test_isa_irqs_reach_the_ioapic_with_irq0_on_pin_2(void **state)
{
	struct guest_mptable_layout lay;
	struct mp_seen s;

	(void)state;
	build(4, &lay);
	walk(4, &s);
	assert_int_equal(s.buses, 1);
	assert_string_equal(s.bus_name, "ISA   ");
	assert_int_equal(s.io_ints, 15);
	assert_int_equal(s.pin_of_irq[0], 2);
	assert_int_equal(s.pin_of_irq[2], -1); /* the cascade has no entry */
	for (int irq = 1; irq < 16; irq++) {
		if (irq == 2)
			continue;
		assert_int_equal(s.pin_of_irq[irq], irq);
		assert_int_equal(s.io_int_dst[irq], 4); /* the I/O APIC's ID */
	}
	assert_int_equal(s.io_int_dst[0], 4);
}

static void test_lint0_is_extint_and_lint1_is_nmi_on_every_cpu(void **state)
{
	struct guest_mptable_layout lay;
	struct mp_seen s;

	(void)state;
	build(2, &lay);
	walk(2, &s);
	assert_int_equal(s.local_ints, 2);
	assert_int_equal(s.lint_type[0], 3); /* ExtINT */
	assert_int_equal(s.lint_type[1], 1); /* NMI */
	assert_int_equal(s.lint_dst[0], 0xFF);
	assert_int_equal(s.lint_dst[1], 0xFF);
}

static void test_unaligned_buffer_aligns_the_floating_pointer(void **state)
{
	struct guest_mptable_layout lay;

	(void)state;
	assert_int_equal(guest_mptable_build(1, 1, 0xFEC00000u, mem + 4, BUF_SIZE - 4, BUF_GPA + 4,
					     &lay),
			 0);
	assert_int_equal(lay.mpfp_gpa, BUF_GPA + 16);
	assert_int_equal(find_mpfp(), BUF_GPA + 16);
	struct mp_seen s;
	walk(1, &s);
	assert_int_equal(s.cpus, 1);
}

static void test_too_small_buffer_is_rejected_and_left_untouched(void **state)
{
	struct guest_mptable_layout lay, big;

	(void)state;
	build(8, &big);
	memset(mem, 0xA5, sizeof(mem));
	assert_int_equal(guest_mptable_build(8, 8, 0xFEC00000u, mem, big.size - 1, BUF_GPA, &lay),
			 -ENOSPC);
	char want[128];
	snprintf(want, sizeof(want),
		 "guest_mptable: the tables need %zu bytes, the buffer holds %zu", big.size,
		 big.size - 1);
	assert_true(test_log_contains(want));
	assert_int_equal(test_log_count(), 1);
	for (size_t i = 0; i < sizeof(mem); i++)
		assert_int_equal(mem[i], 0xA5);
	assert_int_equal(guest_mptable_build(8, 8, 0xFEC00000u, mem, big.size, BUF_GPA, &lay), 0);
	assert_int_equal(lay.size, big.size);
}

static void test_zero_and_65_vcpus_are_rejected(void **state)
{
	struct guest_mptable_layout lay;

	(void)state;
	assert_int_equal(guest_mptable_build(0, 0, 0xFEC00000u, mem, BUF_SIZE, BUF_GPA, &lay),
			 -EINVAL);
	assert_true(test_log_contains("guest_mptable: 0 vCPUs is out of range (1..64)"));
	assert_int_equal(guest_mptable_build(65, 65, 0xFEC00000u, mem, BUF_SIZE, BUF_GPA, &lay),
			 -EINVAL);
	assert_true(test_log_contains("guest_mptable: 65 vCPUs is out of range (1..64)"));
	assert_int_equal(test_log_count(), 2);
	assert_int_equal(find_mpfp(), 0);
}

static void test_tables_must_lie_below_4gib(void **state)
{
	struct guest_mptable_layout lay;

	(void)state;
	assert_int_equal(
		guest_mptable_build(1, 1, 0xFEC00000u, mem, BUF_SIZE, 0x100000000ULL, &lay), -EINVAL);
	assert_true(test_log_contains("guest_mptable: tables at 0x100000000 must lie below 4 GiB"));
	assert_int_equal(guest_mptable_build(1, 1, 0xFEC00000u, mem, BUF_SIZE, 0xFFFFFFC0ULL, &lay),
			 -EINVAL);
	assert_true(test_log_contains("guest_mptable: tables at 0xffffffc0-0x"));
	assert_int_equal(guest_mptable_build(1, 1, 0xFEC00000u, NULL, BUF_SIZE, BUF_GPA, &lay),
			 -EINVAL);
	assert_int_equal(guest_mptable_build(1, 1, 0xFEC00000u, mem, BUF_SIZE, BUF_GPA, NULL),
			 -EINVAL);
	assert_true(test_log_contains("guest_mptable: no buffer or layout given"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, setup)
		T(test_one_processor_entry_per_vcpu_bsp_first),
		T(test_floating_pointer_is_found_and_points_at_the_config_table),
		T(test_isa_irqs_reach_the_ioapic_with_irq0_on_pin_2),
		T(test_lint0_is_extint_and_lint1_is_nmi_on_every_cpu),
		T(test_unaligned_buffer_aligns_the_floating_pointer),
		T(test_too_small_buffer_is_rejected_and_left_untouched),
		T(test_zero_and_65_vcpus_are_rejected),
		T(test_tables_must_lie_below_4gib),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
