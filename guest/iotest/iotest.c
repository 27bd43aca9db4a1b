/* String I/O and MMIO instruction forms through the hypervisor's exit
 * handlers: REP OUTS/INS of every size against the VMM layer's ports, and
 * the MOV/MOVZX/MOVSX/AND/OR/XOR/TEST/CMP/STOS/MOVS forms on its test MMIO
 * page (docs/guest-abi.md: reads return 0, writes are ignored).
 * `expect=qemu` skips the value checks plain QEMU answers differently. */
#include <stdint.h>

#include "check.h"
#include "cmdline.h"
#include "guest.h"
#include "printf.h"

const char guest_name[] = "iotest";

#define COM1_THR 0x3F8
#define DEBUG_PORT 0xE9
#define ABSENT_PORT 0x80
#define TEST_MMIO 0xFEBF0000u
#define EFLAGS_CF 0x001u
#define EFLAGS_ZF 0x040u
#define EFLAGS_SF 0x080u

static const char line[] = "iotest: rep outsb reached the console\n";

static void rep_outsb(void)
{
	const char *src = line;
	uint32_t n = sizeof(line) - 1;
	__asm__ volatile("cld; rep outsb" : "+S"(src), "+c"(n) : "d"(COM1_THR) : "memory");
	check(n == 0 && src == line + sizeof(line) - 1, "rep_outsb_registers", "ecx=%u esi advanced %d", n,
	      (int)(src - line));
}

static void rep_ins(bool values)
{
	static uint8_t b[64];
	static uint16_t w[16];
	static uint32_t d[8];
	uint8_t *pb = b;
	uint16_t *pw = w;
	uint32_t *pd = &d[7];
	uint32_t n = sizeof(b);
	__asm__ volatile("cld; rep insb" : "+D"(pb), "+c"(n) : "d"(DEBUG_PORT) : "memory");
	check(n == 0 && pb == b + sizeof(b), "rep_insb_registers", "ecx=%u", n);
	n = 16;
	__asm__ volatile("cld; rep insw" : "+D"(pw), "+c"(n) : "d"(DEBUG_PORT) : "memory");
	check(n == 0 && pw == w + 16, "rep_insw_registers", "ecx=%u", n);
	n = 8;
	__asm__ volatile("std; rep insl; cld" : "+D"(pd), "+c"(n) : "d"(DEBUG_PORT) : "memory");
	/* DF=1: EDI walks down from d[7] by 8 dwords */
	check(n == 0 && (uintptr_t)pd == (uintptr_t)&d[7] - 32, "rep_insd_backwards_registers", "ecx=%u", n);
	if (!values) {
		check_skip("ins_values", "expect=qemu");
		return;
	}
	bool ok = true;
	for (unsigned i = 0; i < sizeof(b); i++)
		ok &= b[i] == DEBUG_PORT;
	for (unsigned i = 0; i < 16; i++)
		ok &= w[i] == 0xE9E9;
	check(ok, "ins_values", "bytes read from port 0xE9 are not 0xE9");
}

static void rep_outs_absent_port(void)
{
	static const uint16_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	const uint16_t *pw = w;
	uint32_t n = 8;
	__asm__ volatile("cld; rep outsw" : "+S"(pw), "+c"(n) : "d"(ABSENT_PORT) : "memory");
	check(n == 0 && pw == w + 8, "rep_outsw_absent_port", "ecx=%u", n);
}

static uint32_t flags_after_cmp(uint32_t imm)
{
	uint32_t f;
	__asm__ volatile("cmpl %1, (%2); pushfl; popl %0" : "=r"(f) : "ri"(imm), "r"(TEST_MMIO) : "cc", "memory");
	return f;
}

static void mmio_forms(bool values)
{
	volatile uint32_t *p = (volatile uint32_t *)TEST_MMIO;
	uint32_t v = 0x12345678, f;

	*p = 0xDEADBEEF; /* MOV store: ignored by the device */
	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(p) : "memory");
	uint32_t zx = 0x55, sx = 0x55;
	__asm__ volatile("movzbl 1(%1), %0" : "=r"(zx) : "r"(p) : "memory");
	__asm__ volatile("movswl 2(%1), %0" : "=r"(sx) : "r"(p) : "memory");
	uint32_t idx = 3, sib = 7;
	__asm__ volatile("movl 4(%1,%2,4), %0" : "=r"(sib) : "r"(p), "r"(idx) : "memory");
	if (values) {
		check(v == 0 && zx == 0 && sx == 0 && sib == 0, "mmio_loads",
		      "mov %x movzx %x movsx %x sib %x", v, zx, sx, sib);
	} else {
		check_skip("mmio_loads", "expect=qemu");
	}

	f = flags_after_cmp(0);
	uint32_t f1 = flags_after_cmp(1);
	if (values)
		check((f & EFLAGS_ZF) && !(f & EFLAGS_CF) && !(f1 & EFLAGS_ZF) && (f1 & EFLAGS_CF) && (f1 & EFLAGS_SF),
		      "mmio_cmp_flags", "cmp 0: %x, cmp 1: %x", f, f1);
	__asm__ volatile("testl $0xffffffff, (%1); pushfl; popl %0" : "=r"(f) : "r"(p) : "cc", "memory");
	if (values)
		check(f & EFLAGS_ZF, "mmio_test_flags", "eflags %x", f);
	__asm__ volatile("orl $5, (%1); pushfl; popl %0" : "=r"(f) : "r"(p) : "cc", "memory");
	if (values)
		check(!(f & EFLAGS_ZF) && !(f & EFLAGS_CF), "mmio_or_flags", "eflags %x", f);
	__asm__ volatile("andl $5, (%0); xorl $3, (%0)" ::"r"(p) : "cc", "memory");

	uint32_t *dst = (uint32_t *)TEST_MMIO, n = 16, val = 0xA5A5A5A5;
	__asm__ volatile("cld; rep stosl" : "+D"(dst), "+c"(n) : "a"(val) : "memory");
	check(n == 0 && dst == (uint32_t *)TEST_MMIO + 16, "mmio_rep_stos", "ecx=%u", n);

	static uint32_t ram[16] = {[0 ... 15] = 0x77777777};
	const uint32_t *src = (const uint32_t *)TEST_MMIO;
	uint32_t *to = ram;
	n = 16;
	__asm__ volatile("cld; rep movsl" : "+S"(src), "+D"(to), "+c"(n) : : "memory");
	check(n == 0 && to == ram + 16, "mmio_rep_movs_to_ram", "ecx=%u", n);
	if (values)
		check(ram[0] == 0 && ram[15] == 0, "mmio_rep_movs_values", "ram[0]=%x", ram[0]);
	const uint32_t *from = ram;
	dst = (uint32_t *)TEST_MMIO;
	n = 16;
	__asm__ volatile("cld; rep movsl" : "+S"(from), "+D"(dst), "+c"(n) : : "memory");
	check(n == 0 && from == ram + 16, "mmio_rep_movs_from_ram", "ecx=%u", n);
}

int guest_main(void)
{
	bool values = !cmdline_has("expect=qemu");
	rep_outsb();
	rep_ins(values);
	rep_outs_absent_port();
	mmio_forms(values);
	return check_finish();
}
