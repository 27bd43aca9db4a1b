/* Unit tests for the operator shell (hv/shell*.c) with fake VMM ops: the
 * exact text every command prints, line editing, and every error path.
 * The shell and the fake guest memory are exact-size heap blocks so ASan
 * sees any overrun. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/errno.h"
#include "hv/shell.h"
#include "test_log.h"

#define FAKE_VMS 4
#define FAKE_VCPUS 4
#define FAKE_MEM 0x2000

struct fake_vm {
	struct shell_vm_info info;
	int info_err;
	uint32_t vcpus;
	struct shell_vcpu_info vcpu[FAKE_VCPUS];
	int vcpu_err[FAKE_VCPUS];
	struct shell_values regs;
	int regs_err;
	struct shell_values stats;
	int stats_err;
	uint8_t *mem; /* FAKE_MEM bytes at guest-physical 0 */
	int mem_err;  /* returned instead of reading, if set */
	int control_err;
	const char *control_msg;
	bool control_msg_unterminated; /* fill the whole buffer, no NUL */
	int attach_err;
};

static struct fake {
	struct fake_vm vm[FAKE_VMS];
	uint32_t count;
	int level, level_get_err, level_set_err;
	/* What the shell asked for. */
	int control_calls, control_vm, control_action;
	int attach_calls, attach_vm;
	int machine_calls, machine_action;
	int set_level_calls;
	uint64_t read_gpa;
	size_t read_len;
} fake;

static char out[1 << 17];
static size_t out_len;
static struct shell *sh;
static int ret;

static void fake_write(void *ctx, const char *s, size_t len)
{
	assert_ptr_equal(ctx, &fake);
	assert_true(len > 0);
	assert_true(out_len + len < sizeof(out));
	memcpy(out + out_len, s, len);
	out_len += len;
	out[out_len] = '\0';
}

static uint32_t fake_vm_count(void *ctx)
{
	return fake.count;
}

static struct fake_vm *vm_of(uint32_t vm)
{
	assert_true(vm < fake.count); /* the shell never asks past vm_count */
	return &fake.vm[vm];
}

static int fake_vm_info(void *ctx, uint32_t vm, struct shell_vm_info *o)
{
	struct fake_vm *v = vm_of(vm);

	if (v->info_err)
		return v->info_err;
	*o = v->info;
	return 0;
}

static int fake_vcpu_info(void *ctx, uint32_t vm, uint32_t vcpu, struct shell_vcpu_info *o)
{
	struct fake_vm *v = vm_of(vm);

	if (vcpu >= v->vcpus)
		return -ENOENT;
	if (v->vcpu_err[vcpu])
		return v->vcpu_err[vcpu];
	*o = v->vcpu[vcpu];
	return 0;
}

static int fake_vcpu_regs(void *ctx, uint32_t vm, uint32_t vcpu, struct shell_values *o)
{
	struct fake_vm *v = vm_of(vm);

	if (vcpu >= v->vcpus)
		return -ENOENT;
	if (v->regs_err)
		return v->regs_err;
	*o = v->regs;
	return 0;
}

static int fake_vm_stats(void *ctx, uint32_t vm, struct shell_values *o)
{
	struct fake_vm *v = vm_of(vm);

	if (v->stats_err)
		return v->stats_err;
	*o = v->stats;
	return 0;
}

static int fake_read_guest(void *ctx, uint32_t vm, uint64_t gpa, void *buf, size_t len)
{
	struct fake_vm *v = vm_of(vm);

	fake.read_gpa = gpa;
	fake.read_len = len;
	if (v->mem_err)
		return v->mem_err;
	if (gpa >= FAKE_MEM || len > FAKE_MEM - gpa)
		return -EFAULT;
	memcpy(buf, v->mem + gpa, len);
	return 0;
}

static int fake_vm_control(void *ctx, uint32_t vm, enum shell_vm_action a, char *msg, size_t msglen)
{
	struct fake_vm *v = vm_of(vm);

	fake.control_calls++;
	fake.control_vm = (int)vm;
	fake.control_action = (int)a;
	assert_true(msglen > 0);
	assert_int_equal(msg[0], '\0');
	if (v->control_msg_unterminated)
		memset(msg, 'm', msglen);
	else if (v->control_msg)
		snprintf(msg, msglen, "%s", v->control_msg);
	return v->control_err;
}

static int fake_set_log_level(void *ctx, int level)
{
	fake.set_level_calls++;
	if (fake.level_set_err)
		return fake.level_set_err;
	fake.level = level;
	return 0;
}

static int fake_get_log_level(void *ctx)
{
	return fake.level_get_err ? fake.level_get_err : fake.level;
}

static void fake_machine(void *ctx, enum shell_machine_action a)
{
	fake.machine_calls++;
	fake.machine_action = (int)a;
}

static int fake_attach(void *ctx, uint32_t vm)
{
	fake.attach_calls++;
	fake.attach_vm = (int)vm;
	return vm_of(vm)->attach_err;
}

static const struct shell_ops ops = {
	.write = fake_write,
	.vm_count = fake_vm_count,
	.vm_info = fake_vm_info,
	.vcpu_info = fake_vcpu_info,
	.vcpu_regs = fake_vcpu_regs,
	.vm_stats = fake_vm_stats,
	.read_guest = fake_read_guest,
	.vm_control = fake_vm_control,
	.set_log_level = fake_set_log_level,
	.get_log_level = fake_get_log_level,
	.machine = fake_machine,
	.attach = fake_attach,
};

static void add_value(struct shell_values *vals, const char *name, uint64_t value)
{
	struct shell_value *v = &vals->v[vals->count++];

	memset(v->name, 0, sizeof(v->name));
	memcpy(v->name, name, strnlen(name, sizeof(v->name)));
	v->value = value;
}

/* linux: 2 vCPUs on CPUs 1,2; rt: 1 vCPU on CPU 3, halted by a triple fault. */
static int setup(void **state)
{
	static const char *const regs[] = { "rax", "rbx", "rcx", "rip", "rflags", "cr0", "cr3" };

	(void)state;
	memset(&fake, 0, sizeof(fake));
	fake.count = 2;
	fake.level = 3;

	struct fake_vm *l = &fake.vm[0];
	strcpy(l->info.name, "linux");
	l->info.state = "running";
	l->info.reason = "";
	l->info.cpus[0] = 1;
	l->info.cpus[1] = 2;
	l->info.cpu_count = 2;
	l->info.memory = 512 * 1024 * 1024ULL;
	l->info.exits = 123456;
	l->vcpus = 2;
	l->vcpu[0] = (struct shell_vcpu_info){ 1, "running", 5000, 0xffffffff81000000ULL };
	l->vcpu[1] = (struct shell_vcpu_info){ 2, "halted", 42, 0x1000e0 };
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		add_value(&l->regs, regs[i], 0x1111111111111111ULL * i);
	add_value(&l->stats, "exits", 123456);
	add_value(&l->stats, "io", 100000);
	add_value(&l->stats, "cpuid", 23456);
	add_value(&l->stats, "injections", 7);

	struct fake_vm *r = &fake.vm[1];
	strcpy(r->info.name, "rt");
	r->info.state = "halted";
	r->info.reason = "triple fault";
	r->info.cpus[0] = 3;
	r->info.cpu_count = 1;
	r->info.memory = 16 * 1024 * 1024ULL;
	r->info.exits = 42;
	r->info.restarts = 1;
	r->vcpus = 1;
	r->vcpu[0] = (struct shell_vcpu_info){ 3, "stopped", 42, 0xfff0 };

	for (int i = 0; i < FAKE_VMS; i++) {
		fake.vm[i].mem = malloc(FAKE_MEM);
		assert_non_null(fake.vm[i].mem);
		for (size_t j = 0; j < FAKE_MEM; j++)
			fake.vm[i].mem[j] = (uint8_t)j;
	}
	memcpy(l->mem + 0x1000, "Hello, world!\n", 14);

	sh = malloc(sizeof(*sh));
	assert_non_null(sh);
	shell_init(sh, &ops, &fake);
	out_len = 0;
	out[0] = '\0';
	test_log_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < FAKE_VMS; i++)
		free(fake.vm[i].mem);
	free(sh);
	return 0;
}

static void clear(void)
{
	out_len = 0;
	out[0] = '\0';
}

/* Runs one command line; returns everything it printed. */
static const char *run(const char *line)
{
	clear();
	ret = shell_execute(sh, line);
	return out;
}

static void type(const char *s)
{
	while (*s)
		shell_input(sh, (uint8_t)*s++);
}

static void type_bytes(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		shell_input(sh, s[i]);
}

#define assert_run(line, expected_ret, expected_out)          \
	do {                                                  \
		assert_string_equal(run(line), expected_out); \
		assert_int_equal(ret, expected_ret);          \
	} while (0)

/* --- vms ------------------------------------------------------------------ */

#define VMS_HEADER "ID  NAME             STATE       CPUS         MEMORY          EXITS RESTARTS REASON\r\n"

static void test_vms_table(void **state)
{
	(void)state;
	assert_run("vms", 0,
		   VMS_HEADER
		   " 0  linux            running     1,2            512M         123456        0 -\r\n"
		   " 1  rt               halted      3               16M             42        1 triple fault\r\n");
}

static void test_vms_memory_uses_the_largest_exact_unit(void **state)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} cases[] = {
		{ 2ULL << 30, "  2G" }, { 1536ULL << 20, "1536M" }, { 4096, "  4K" },
		{ 1000, "1000" },        { 0, "   0" },             { UINT64_MAX, "18446744073709551615" },
	};
	char want[128];

	(void)state;
	fake.count = 1;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake.vm[0].info.memory = cases[i].bytes;
		run("vms");
		snprintf(want, sizeof(want), "1,2          %6s ", cases[i].text);
		assert_non_null(strstr(out, want));
	}
}

static void test_vms_without_vms_prints_the_header(void **state)
{
	(void)state;
	fake.count = 0;
	assert_run("vms", 0, VMS_HEADER);
}

static void test_vms_row_of_an_unreadable_vm_says_why(void **state)
{
	(void)state;
	fake.vm[0].info_err = -EBUSY;
	assert_run("vms", 0,
		   VMS_HEADER " 0  (unavailable: busy (EBUSY))\r\n"
			      " 1  rt               halted      3               16M             42        1 triple fault\r\n");
}

static void test_vms_survives_bad_vm_info(void **state)
{
	(void)state;
	fake.count = 1;
	struct shell_vm_info *i = &fake.vm[0].info;
	memset(i->name, 'n', sizeof(i->name)); /* no NUL */
	i->state = NULL;
	i->reason = "\x1b[2Jgone\n";
	i->cpu_count = 1000;
	for (int c = 0; c < 16; c++)
		i->cpus[c] = (uint32_t)c;
	assert_run("vms", 0,
		   VMS_HEADER
		   " 0  nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn -           0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15   512M         123456        0 ?[2Jgone?\r\n");
}

static void test_vms_takes_no_arguments(void **state)
{
	(void)state;
	assert_run("vms linux", -EINVAL, "error: vms: unexpected argument 'linux'\r\nusage: vms\r\n");
}

static uint32_t many_asked_max;

static uint32_t many_vm_count(void *ctx)
{
	return UINT32_MAX;
}

static int many_vm_info(void *ctx, uint32_t vm, struct shell_vm_info *o)
{
	many_asked_max = vm > many_asked_max ? vm : many_asked_max;
	snprintf(o->name, sizeof(o->name), "vm%u", vm);
	return 0;
}

static void test_vm_count_is_clamped(void **state)
{
	static struct shell_ops many;

	(void)state;
	many = ops;
	many.vm_count = many_vm_count;
	many.vm_info = many_vm_info;
	shell_init(sh, &many, &fake);
	run("vms");
	assert_int_equal(ret, 0);
	assert_int_equal(many_asked_max, SHELL_VMS_MAX - 1);
	assert_non_null(strstr(out, "\r\n63  vm63 "));
	assert_null(strstr(out, "vm64"));
	assert_run("stats 64", -ENOENT,
		   "error: stats: no VM '64' (type 'vms' for the list)\r\nusage: stats VM\r\n");
}

/* --- vcpus ---------------------------------------------------------------- */

#define VCPUS_HEADER "VM               VCPU PCPU STATE         RIP                       EXITS\r\n"
#define LINUX_VCPU0 "linux               0    1 running       0xffffffff81000000         5000\r\n"
#define LINUX_VCPU1 "linux               1    2 halted        0x00000000001000e0           42\r\n"
#define RT_VCPU0 "rt                  0    3 stopped       0x000000000000fff0           42\r\n"

static void test_vcpus_of_every_vm(void **state)
{
	(void)state;
	assert_run("vcpus", 0, VCPUS_HEADER LINUX_VCPU0 LINUX_VCPU1 RT_VCPU0);
}

static void test_vcpus_of_one_vm_by_name_or_index(void **state)
{
	(void)state;
	assert_run("vcpus rt", 0, VCPUS_HEADER RT_VCPU0);
	assert_run("vcpus 0", 0, VCPUS_HEADER LINUX_VCPU0 LINUX_VCPU1);
	assert_run("vcpus 0x1", 0, VCPUS_HEADER RT_VCPU0);
	assert_run("vcpus 0X01", 0, VCPUS_HEADER RT_VCPU0);
}

static void test_vcpus_unreadable_vcpu_and_vm_rows(void **state)
{
	(void)state;
	fake.vm[0].vcpu_err[0] = -EBUSY;
	fake.vm[1].info_err = -EIO;
	assert_run("vcpus", 0,
		   VCPUS_HEADER "linux               0 (unavailable: busy (EBUSY))\r\n" LINUX_VCPU1
				"1                     (unavailable: I/O error (EIO))\r\n");
}

static void test_vcpus_listing_stops_at_the_cap(void **state)
{
	(void)state;
	fake.vm[0].vcpus = FAKE_VCPUS;
	fake.vm[0].vcpu[2] = fake.vm[0].vcpu[3] = fake.vm[0].vcpu[1];
	assert_run("vcpus linux", 0,
		   VCPUS_HEADER LINUX_VCPU0 LINUX_VCPU1
		   "linux               2    2 halted        0x00000000001000e0           42\r\n"
		   "linux               3    2 halted        0x00000000001000e0           42\r\n");
}

static void test_vcpus_unknown_vm(void **state)
{
	(void)state;
	assert_run("vcpus windows", -ENOENT,
		   "error: vcpus: no VM 'windows' (type 'vms' for the list)\r\nusage: vcpus [VM]\r\n");
	assert_run("vcpus 2", -ENOENT,
		   "error: vcpus: no VM '2' (type 'vms' for the list)\r\nusage: vcpus [VM]\r\n");
	assert_run("vcpus -1", -ENOENT,
		   "error: vcpus: no VM '-1' (type 'vms' for the list)\r\nusage: vcpus [VM]\r\n");
	assert_run("vcpus rt rt", -EINVAL,
		   "error: vcpus: unexpected argument 'rt'\r\nusage: vcpus [VM]\r\n");
}

static void test_vm_name_wins_over_index(void **state)
{
	(void)state;
	strcpy(fake.vm[1].info.name, "0");
	assert_run("vcpus 0", 0,
		   VCPUS_HEADER "0                   0    3 stopped       0x000000000000fff0           42\r\n");
	assert_run("vcpus 1", 0,
		   VCPUS_HEADER "0                   0    3 stopped       0x000000000000fff0           42\r\n");
}

static void test_vm_names_are_matched_whole_and_case_sensitive(void **state)
{
	(void)state;
	assert_int_equal(shell_execute(sh, "vcpus lin"), -ENOENT);
	assert_int_equal(shell_execute(sh, "vcpus linuxx"), -ENOENT);
	assert_int_equal(shell_execute(sh, "vcpus Linux"), -ENOENT);
	assert_int_equal(shell_execute(sh, "vcpus linux"), 0);
}

static void test_vm_index_of_unreadable_vm(void **state)
{
	(void)state;
	fake.vm[1].info_err = -EBUSY;
	assert_run("vcpus 1", -EBUSY, "error: vcpus: cannot read VM 1: busy (EBUSY)\r\n");
	/* A VM that cannot be read cannot be found by name either. */
	assert_int_equal(shell_execute(sh, "vcpus rt"), -ENOENT);
}

/* --- regs ----------------------------------------------------------------- */

static void test_regs_three_a_line_with_aligned_names(void **state)
{
	(void)state;
	assert_run("regs linux 0", 0,
		   "rax    0x0000000000000000  rbx    0x1111111111111111  rcx    0x2222222222222222\r\n"
		   "rip    0x3333333333333333  rflags 0x4444444444444444  cr0    0x5555555555555555\r\n"
		   "cr3    0x6666666666666666\r\n");
	assert_int_equal(shell_execute(sh, "regs 0 1"), 0);
	assert_int_equal(shell_execute(sh, "regs 0x0 0x1"), 0);
}

static void test_regs_long_names_take_fewer_columns(void **state)
{
	(void)state;
	struct shell_values *v = &fake.vm[0].regs;
	v->count = 0;
	add_value(v, "guest_interruptibility", 1); /* 22 characters: one a line */
	add_value(v, "rip", 2);
	assert_run("regs linux 0", 0,
		   "guest_interruptibility 0x0000000000000001\r\n"
		   "rip                    0x0000000000000002\r\n");
	v->count = 0;
	add_value(v, "cs.selector", 1); /* 11: two a line */
	add_value(v, "ss.selector", 2);
	add_value(v, "rip", 3);
	assert_run("regs linux 0", 0,
		   "cs.selector 0x0000000000000001  ss.selector 0x0000000000000002\r\n"
		   "rip         0x0000000000000003\r\n");
}

static void test_regs_survives_bad_values(void **state)
{
	(void)state;
	struct shell_values *v = &fake.vm[0].regs;
	v->count = 0;
	add_value(v, "abcdefghijklmnopqrstuvwx", 5); /* fills name[24]: no NUL */
	assert_run("regs linux 0", 0, "abcdefghijklmnopqrstuvwx 0x0000000000000005\r\n");
	v->count = 1000; /* clamped to SHELL_VALUES_MAX */
	run("regs linux 0");
	assert_int_equal(ret, 0);
	size_t lines = 0;
	for (const char *p = out; (p = strstr(p, "\r\n")); p += 2)
		lines++;
	assert_int_equal(lines, SHELL_VALUES_MAX);
	v->count = 0;
	assert_run("regs linux 0", 0, "no registers\r\n");
}

static void test_regs_errors(void **state)
{
	(void)state;
	assert_run("regs linux 2", -ENOENT,
		   "error: regs: VM 'linux' has no vCPU 2\r\nusage: regs VM VCPU\r\n");
	assert_run("regs linux 4294967296", -ENOENT,
		   "error: regs: VM 'linux' has no vCPU 4294967296\r\nusage: regs VM VCPU\r\n");
	assert_run("regs linux one", -EINVAL,
		   "error: regs: VCPU 'one' is not a number\r\nusage: regs VM VCPU\r\n");
	assert_run("regs linux", -EINVAL, "error: regs: missing VCPU\r\nusage: regs VM VCPU\r\n");
	assert_run("regs", -EINVAL, "error: regs: missing VM\r\nusage: regs VM VCPU\r\n");
	assert_run("regs linux 0 0", -EINVAL,
		   "error: regs: unexpected argument '0'\r\nusage: regs VM VCPU\r\n");
	assert_run("regs bsd 0", -ENOENT,
		   "error: regs: no VM 'bsd' (type 'vms' for the list)\r\nusage: regs VM VCPU\r\n");
	fake.vm[0].regs_err = -EBUSY;
	assert_run("regs linux 1", -EBUSY,
		   "error: regs: cannot read the registers of VM 'linux' vCPU 1: busy (EBUSY)\r\n");
	fake.vm[0].regs_err = 7; /* not an errno: still a failure */
	assert_run("regs linux 1", -EIO,
		   "error: regs: cannot read the registers of VM 'linux' vCPU 1: I/O error (EIO)\r\n");
	fake.vm[0].regs_err = -1000;
	assert_run("regs linux 1", -1000,
		   "error: regs: cannot read the registers of VM 'linux' vCPU 1: unexpected error\r\n");
}

/* --- stats ---------------------------------------------------------------- */

static void test_stats_one_a_line_in_the_given_order(void **state)
{
	(void)state;
	assert_run("stats linux", 0,
		   "exits      123456\r\n"
		   "io         100000\r\n"
		   "cpuid      23456\r\n"
		   "injections 7\r\n");
	assert_run("stats 1", 0, "no statistics\r\n");
}

static void test_stats_errors(void **state)
{
	(void)state;
	assert_run("stats", -EINVAL, "error: stats: missing VM\r\nusage: stats VM\r\n");
	assert_run("stats 7", -ENOENT,
		   "error: stats: no VM '7' (type 'vms' for the list)\r\nusage: stats VM\r\n");
	fake.vm[1].stats_err = -ENODEV;
	assert_run("stats rt", -ENODEV,
		   "error: stats: cannot read the statistics of VM 'rt': no such device (ENODEV)\r\n");
}

/* --- mem ------------------------------------------------------------------ */

static void test_mem_default_length_is_64(void **state)
{
	(void)state;
	assert_run("mem linux 0x1000", 0,
		   "0000000000001000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 0e 0f  |Hello, world!...|\r\n"
		   "0000000000001010  10 11 12 13 14 15 16 17  18 19 1a 1b 1c 1d 1e 1f  |................|\r\n"
		   "0000000000001020  20 21 22 23 24 25 26 27  28 29 2a 2b 2c 2d 2e 2f  | !\"#$%&'()*+,-./|\r\n"
		   "0000000000001030  30 31 32 33 34 35 36 37  38 39 3a 3b 3c 3d 3e 3f  |0123456789:;<=>?|\r\n");
	assert_int_equal(fake.read_gpa, 0x1000);
	assert_int_equal(fake.read_len, 64);
}

static void test_mem_short_last_line_keeps_the_columns(void **state)
{
	(void)state;
	assert_run("mem rt 4106 20", 0,
		   "000000000000100a  0a 0b 0c 0d 0e 0f 10 11  12 13 14 15 16 17 18 19  |................|\r\n"
		   "000000000000101a  1a 1b 1c 1d                                       |....|\r\n");
	assert_run("mem 0 0x7e 9", 0,
		   "000000000000007e  7e 7f 80 81 82 83 84 85  86                       |~........|\r\n");
}

static void test_mem_whole_range_up_to_4096(void **state)
{
	(void)state;
	run("mem linux 0 4096");
	assert_int_equal(ret, 0);
	assert_int_equal(strlen(out), 256 * 88);
	assert_non_null(strstr(out, "0000000000000ff0  f0 f1"));
	run("mem linux 0x1000 0x1000");
	assert_int_equal(ret, 0);
	assert_int_equal(fake.read_len, 4096);
}

static void test_mem_length_and_address_errors(void **state)
{
	(void)state;
	assert_run("mem linux 0 0", -EINVAL,
		   "error: mem: LEN must be 1 to 4096\r\nusage: mem VM GPA [LEN]\r\n");
	assert_run("mem linux 0 4097", -EINVAL,
		   "error: mem: LEN must be 1 to 4096\r\nusage: mem VM GPA [LEN]\r\n");
	assert_run("mem linux 0 0xffffffffffffffff", -EINVAL,
		   "error: mem: LEN must be 1 to 4096\r\nusage: mem VM GPA [LEN]\r\n");
	assert_run("mem linux 0xfffffffffffffff0 17", -EINVAL,
		   "error: mem: GPA + LEN runs past the top of the address space\r\n"
		   "usage: mem VM GPA [LEN]\r\n");
	assert_run("mem linux 0x10000000000000000", -EINVAL,
		   "error: mem: GPA '0x10000000000000000' is not a number\r\nusage: mem VM GPA [LEN]\r\n");
	assert_run("mem linux 0x", -EINVAL,
		   "error: mem: GPA '0x' is not a number\r\nusage: mem VM GPA [LEN]\r\n");
	assert_run("mem linux 12ab", -EINVAL,
		   "error: mem: GPA '12ab' is not a number\r\nusage: mem VM GPA [LEN]\r\n");
	assert_run("mem linux 0 1k", -EINVAL,
		   "error: mem: LEN '1k' is not a number\r\nusage: mem VM GPA [LEN]\r\n");
	assert_run("mem linux", -EINVAL, "error: mem: missing GPA\r\nusage: mem VM GPA [LEN]\r\n");
	assert_run("mem", -EINVAL, "error: mem: missing VM\r\nusage: mem VM GPA [LEN]\r\n");
	assert_run("mem bsd 0", -ENOENT,
		   "error: mem: no VM 'bsd' (type 'vms' for the list)\r\nusage: mem VM GPA [LEN]\r\n");
	assert_run("mem linux 0 16 16", -EINVAL,
		   "error: mem: unexpected argument '16'\r\nusage: mem VM GPA [LEN]\r\n");
	assert_int_equal(fake.read_len, 0); /* nothing was read */
}

static void test_mem_outside_guest_memory(void **state)
{
	(void)state;
	assert_run("mem linux 0x1ff0 32", -EFAULT,
		   "error: mem: 0x1ff0-0x200f is outside the memory of VM 'linux'\r\n");
	/* The very top byte is a valid range to ask for. */
	assert_run("mem rt 0xffffffffffffffff 1", -EFAULT,
		   "error: mem: 0xffffffffffffffff-0xffffffffffffffff is outside the memory of VM 'rt'\r\n");
	assert_run("mem linux 0x1ff0 16", 0,
		   "0000000000001ff0  f0 f1 f2 f3 f4 f5 f6 f7  f8 f9 fa fb fc fd fe ff  |................|\r\n");
	fake.vm[0].mem_err = -EBUSY;
	assert_run("mem linux 0", -EBUSY,
		   "error: mem: cannot read the memory of VM 'linux': busy (EBUSY)\r\n");
}

/* --- start, stop, restart, console ---------------------------------------- */

static void test_vm_control_success(void **state)
{
	(void)state;
	assert_run("start rt", 0, "VM 'rt' started\r\n");
	assert_int_equal(fake.control_vm, 1);
	assert_int_equal(fake.control_action, SHELL_VM_START);
	assert_run("stop 0", 0, "VM 'linux' stopped\r\n");
	assert_int_equal(fake.control_vm, 0);
	assert_int_equal(fake.control_action, SHELL_VM_STOP);
	fake.vm[0].control_msg = "after 2 vCPUs halt";
	assert_run("restart linux", 0, "VM 'linux' restarted (after 2 vCPUs halt)\r\n");
	assert_int_equal(fake.control_action, SHELL_VM_RESTART);
	assert_int_equal(fake.control_calls, 3);
}

static void test_vm_control_failure_shows_the_vmm_message(void **state)
{
	(void)state;
	fake.vm[0].control_err = -EBUSY;
	fake.vm[0].control_msg = "already running";
	assert_run("start linux", -EBUSY, "error: start: VM 'linux': already running\r\n");
	fake.vm[0].control_msg = NULL;
	assert_run("stop linux", -EBUSY, "error: stop: VM 'linux': busy (EBUSY)\r\n");
	fake.vm[0].control_msg_unterminated = true;
	run("restart linux");
	assert_int_equal(ret, -EBUSY);
	char want[SHELL_MSG_MAX + 64];
	snprintf(want, sizeof(want), "error: restart: VM 'linux': %.*s\r\n", SHELL_MSG_MAX - 1,
		 "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
		 "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm");
	assert_string_equal(out, want);
}

static void test_vm_control_argument_errors(void **state)
{
	(void)state;
	assert_run("start", -EINVAL, "error: start: missing VM\r\nusage: start VM\r\n");
	assert_run("stop nothing", -ENOENT,
		   "error: stop: no VM 'nothing' (type 'vms' for the list)\r\nusage: stop VM\r\n");
	assert_run("restart linux now", -EINVAL,
		   "error: restart: unexpected argument 'now'\r\nusage: restart VM\r\n");
	assert_int_equal(fake.control_calls, 0);
}

static void test_console_attaches_without_output(void **state)
{
	(void)state;
	assert_run("console rt", 0, "");
	assert_int_equal(fake.attach_calls, 1);
	assert_int_equal(fake.attach_vm, 1);
}

static void test_console_typed_prints_no_prompt(void **state)
{
	(void)state;
	type("console linux\r");
	assert_string_equal(out, "console linux\r\n");
	shell_prompt(sh); /* the multiplexer, when the user comes back */
	type("vms\r");
	assert_non_null(strstr(out, "\r\nhv> vms\r\n" VMS_HEADER));
	assert_int_equal(strcmp(out + out_len - 4, "hv> "), 0);
}

static void test_console_errors(void **state)
{
	(void)state;
	fake.vm[0].attach_err = -EBUSY;
	assert_run("console linux", -EBUSY,
		   "error: console: cannot connect to VM 'linux': busy (EBUSY)\r\n");
	assert_run("console", -EINVAL, "error: console: missing VM\r\nusage: console VM\r\n");
	assert_run("console 9", -ENOENT,
		   "error: console: no VM '9' (type 'vms' for the list)\r\nusage: console VM\r\n");
	clear();
	type("console linux\r");
	assert_string_equal(out, "console linux\r\n"
				 "error: console: cannot connect to VM 'linux': busy (EBUSY)\r\nhv> ");
}

/* --- log, reboot, poweroff ------------------------------------------------ */

static void test_log_shows_the_level(void **state)
{
	(void)state;
	assert_run("log", 0, "log level: 3 (info)\r\n");
	fake.level = 0;
	assert_run("log", 0, "log level: 0 (fatal)\r\n");
	fake.level = 9;
	assert_run("log", 0, "log level: 9 (?)\r\n");
	fake.level_get_err = -EIO;
	assert_run("log", -EIO, "error: log: cannot read the log level: I/O error (EIO)\r\n");
}

static void test_log_sets_by_number_or_name(void **state)
{
	(void)state;
	assert_run("log 4", 0, "log level: 4 (debug)\r\n");
	assert_int_equal(fake.level, 4);
	assert_run("log err", 0, "log level: 1 (err)\r\n");
	assert_int_equal(fake.level, 1);
	assert_run("log warn", 0, "log level: 2 (warn)\r\n");
	assert_run("log info", 0, "log level: 3 (info)\r\n");
	assert_run("log debug", 0, "log level: 4 (debug)\r\n");
	assert_run("log 0x0", 0, "log level: 0 (fatal)\r\n");
	assert_int_equal(fake.level, 0);
}

static void test_log_errors(void **state)
{
	(void)state;
	static const char *const bad[] = { "5", "-1", "verbose", "INFO", "0x", "99999999999999999999" };
	char want[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[64];
		snprintf(line, sizeof(line), "log %s", bad[i]);
		snprintf(want, sizeof(want),
			 "error: log: '%s' is not a log level (0-4, err, warn, info, debug)\r\n"
			 "usage: log [LEVEL]\r\n",
			 bad[i]);
		assert_run(line, -EINVAL, want);
	}
	assert_run("log 1 2", -EINVAL, "error: log: unexpected argument '2'\r\nusage: log [LEVEL]\r\n");
	assert_int_equal(fake.set_level_calls, 0);
	fake.level_set_err = -EPERM;
	assert_run("log 2", -EPERM, "error: log: cannot set the log level: not permitted (EPERM)\r\n");
	assert_int_equal(fake.level, 3);
}

static void test_reboot_and_poweroff(void **state)
{
	(void)state;
	assert_run("reboot", 0, "rebooting the machine\r\n");
	assert_int_equal(fake.machine_calls, 1);
	assert_int_equal(fake.machine_action, SHELL_REBOOT);
	assert_run("poweroff", 0, "powering the machine off\r\n");
	assert_int_equal(fake.machine_calls, 2);
	assert_int_equal(fake.machine_action, SHELL_POWEROFF);
	assert_run("reboot now", -EINVAL,
		   "error: reboot: unexpected argument 'now'\r\nusage: reboot\r\n");
	assert_run("poweroff -f", -EINVAL,
		   "error: poweroff: unexpected argument '-f'\r\nusage: poweroff\r\n");
	assert_int_equal(fake.machine_calls, 2);
}

/* --- help and the parser ---------------------------------------------------- */

static void test_help_lists_every_command(void **state)
{
	(void)state;
	assert_run("help", 0,
		   "commands (a VM is a name or an index; numbers are decimal or 0x hex):\r\n"
		   "  help [CMD]        list the commands, or show how to use one\r\n"
		   "  vms               list the VMs: state, CPUs, memory, exits\r\n"
		   "  vcpus [VM]        list the vCPUs of every VM, or of one\r\n"
		   "  regs VM VCPU      show a vCPU's registers\r\n"
		   "  stats VM          show a VM's exit counts and other statistics\r\n"
		   "  mem VM GPA [LEN]  hex-dump LEN bytes of guest memory (default 64, at most 4096)\r\n"
		   "  start VM          start a stopped VM\r\n"
		   "  stop VM           stop a VM\r\n"
		   "  restart VM        stop a VM and start it again\r\n"
		   "  console VM        connect the console to a VM's serial port\r\n"
		   "  log [LEVEL]       show or set the log level (0-4 or err, warn, info, debug)\r\n"
		   "  reboot            reset the machine\r\n"
		   "  poweroff          power the machine off\r\n");
}

static void test_help_for_one_command(void **state)
{
	(void)state;
	assert_run("help mem", 0,
		   "usage: mem VM GPA [LEN]\r\n"
		   "hex-dump LEN bytes of guest memory (default 64, at most 4096)\r\n");
	assert_run("help vms", 0, "usage: vms\r\nlist the VMs: state, CPUs, memory, exits\r\n");
	assert_run("help help", 0,
		   "usage: help [CMD]\r\nlist the commands, or show how to use one\r\n");
	assert_run("help foo", -EINVAL,
		   "error: help: unknown command 'foo'\r\nusage: help [CMD]\r\n");
	assert_run("help mem regs", -EINVAL,
		   "error: help: unexpected argument 'regs'\r\nusage: help [CMD]\r\n");
}

static void test_unknown_command(void **state)
{
	(void)state;
	assert_run("frobnicate", -EINVAL,
		   "error: unknown command 'frobnicate' (type 'help' for the list)\r\n");
	assert_run("VMS", -EINVAL, "error: unknown command 'VMS' (type 'help' for the list)\r\n");
	assert_run("vm", -EINVAL, "error: unknown command 'vm' (type 'help' for the list)\r\n");
}

static void test_blank_lines_do_nothing(void **state)
{
	(void)state;
	assert_run("", 0, "");
	assert_run("  \t ", 0, "");
	assert_run(NULL, 0, "");
}

static void test_words_split_on_spaces_and_tabs(void **state)
{
	(void)state;
	assert_run("  \tvcpus\t \trt  ", 0, VCPUS_HEADER RT_VCPU0);
}

static void test_many_words_and_long_words(void **state)
{
	(void)state;
	assert_run("vcpus a b c d e f g h i j k l", -EINVAL,
		   "error: vcpus: unexpected argument 'b'\r\nusage: vcpus [VM]\r\n");
	/* A word is echoed back cut to 40 characters. */
	char line[600];
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_run(line, -EINVAL,
		   "error: unknown command 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' (type 'help' for "
		   "the list)\r\n");
	memcpy(line, "stats ", 6);
	assert_run(line, -ENOENT,
		   "error: stats: no VM 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' (type 'vms' for the "
		   "list)\r\nusage: stats VM\r\n");
}

static void test_control_bytes_from_execute_are_not_echoed_raw(void **state)
{
	(void)state;
	assert_run("\x1b[2J\a", -EINVAL,
		   "error: unknown command '?[2J?' (type 'help' for the list)\r\n");
	assert_run("stats \xff\xfe", -ENOENT,
		   "error: stats: no VM '?" "?' (type 'vms' for the list)\r\nusage: stats VM\r\n");
}

static void test_numbers(void **state)
{
	(void)state;
	assert_int_equal(shell_execute(sh, "mem linux 18446744073709551615 1"), -EFAULT);
	assert_int_equal(shell_execute(sh, "mem linux 18446744073709551616 1"), -EINVAL);
	assert_int_equal(shell_execute(sh, "mem linux 0xFFFFFFFFFFFFFFFF 1"), -EFAULT);
	assert_int_equal(shell_execute(sh, "mem linux 0x0000000000000000010 1"), 0);
	assert_int_equal(fake.read_gpa, 0x10);
	assert_int_equal(shell_execute(sh, "mem linux 010 1"), 0);
	assert_int_equal(fake.read_gpa, 10); /* leading zeros stay decimal */
	assert_int_equal(shell_execute(sh, "mem linux +1 1"), -EINVAL);
	assert_int_equal(shell_execute(sh, "mem linux 0xg 1"), -EINVAL);
	assert_int_equal(shell_execute(sh, "mem linux 0b1 1"), -EINVAL);
	assert_int_equal(shell_execute(sh, "mem linux x10 1"), -EINVAL);
}

static void test_missing_ops_are_not_available(void **state)
{
	static const struct shell_ops write_only = { .write = fake_write };
	static const char *const lines[] = { "vcpus", "regs 0 0", "stats 0",    "mem 0 0",
					     "start 0", "stop 0",   "restart 0", "console 0",
					     "log",     "log 1",    "reboot",    "poweroff" };
	char want[128];

	(void)state;
	shell_init(sh, &write_only, &fake);
	assert_run("vms", 0, VMS_HEADER);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char name[16];
		sscanf(lines[i], "%15s", name);
		snprintf(want, sizeof(want), "error: %s: not available\r\n", name);
		assert_run(lines[i], -ENOSYS, want);
	}
	/* VMs exist but cannot be described. */
	static struct shell_ops no_info;
	no_info = ops;
	no_info.vm_info = NULL;
	shell_init(sh, &no_info, &fake);
	assert_run("vms", 0, VMS_HEADER " 0  (unavailable: not available (ENOSYS))\r\n"
					" 1  (unavailable: not available (ENOSYS))\r\n");
	assert_run("stats 0", -ENOSYS,
		   "error: stats: cannot read VM 0: not available (ENOSYS)\r\n");
}

static void test_null_ops_table_is_harmless(void **state)
{
	(void)state;
	shell_init(sh, NULL, NULL);
	type("vms\rhelp\rreboot\r\x03");
	assert_int_equal(shell_execute(sh, "reboot"), -ENOSYS);
	assert_int_equal(shell_execute(sh, "vms"), 0);
	assert_string_equal(out, "");
}

/* --- line editing ------------------------------------------------------------- */

static void test_prompt(void **state)
{
	(void)state;
	shell_prompt(sh);
	assert_string_equal(out, "hv> ");
}

static void test_typing_echoes_and_enter_runs_the_line(void **state)
{
	(void)state;
	type("log\r");
	assert_string_equal(out, "log\r\nlog level: 3 (info)\r\nhv> ");
}

static void test_lf_and_crlf_are_one_enter(void **state)
{
	(void)state;
	type("log\n");
	assert_string_equal(out, "log\r\nlog level: 3 (info)\r\nhv> ");
	clear();
	type("log\r\n");
	assert_string_equal(out, "log\r\nlog level: 3 (info)\r\nhv> ");
	clear();
	type("\r\r\n\n"); /* CR, CRLF, LF: three empty lines */
	assert_string_equal(out, "\r\nhv> \r\nhv> \r\nhv> ");
}

static void test_backspace_and_del_erase_one(void **state)
{
	(void)state;
	type("lox\bg\x7f\x7fog\r");
	assert_string_equal(out, "lox\b \bg\b \b\b \bog\r\nlog level: 3 (info)\r\nhv> ");
}

static void test_backspace_on_empty_line_does_nothing(void **state)
{
	(void)state;
	type("\b\x7f\x15");
	assert_string_equal(out, "");
	type("log\r");
	assert_string_equal(out, "log\r\nlog level: 3 (info)\r\nhv> ");
}

static void test_ctrl_u_kills_the_line(void **state)
{
	(void)state;
	type("reboot\x15");
	assert_string_equal(out, "reboot\b \b\b \b\b \b\b \b\b \b\b \b");
	clear();
	type("\r");
	assert_string_equal(out, "\r\nhv> ");
	assert_int_equal(fake.machine_calls, 0);
	/* A long line is erased whole too. */
	clear();
	for (int i = 0; i < 100; i++)
		type("z");
	type("\x15");
	assert_int_equal(out_len, 100 + 300);
	type("log\r");
	assert_non_null(strstr(out, "log level: 3"));
}

static void test_ctrl_c_abandons_the_line(void **state)
{
	(void)state;
	type("poweroff\x03");
	assert_string_equal(out, "poweroff^C\r\nhv> ");
	clear();
	type("\r");
	assert_string_equal(out, "\r\nhv> ");
	assert_int_equal(fake.machine_calls, 0);
}

static void test_non_printable_bytes_are_ignored(void **state)
{
	static const uint8_t bytes[] = { 'l', 0x00, 0x01, '\t', 0x80, 0xff, 'o', 0x07, 0x04, 'g', 0xc3, 0xa9, '\r' };

	(void)state;
	type_bytes(bytes, sizeof(bytes));
	assert_string_equal(out, "log\r\nlog level: 3 (info)\r\nhv> ");
}

static void test_escape_sequences_are_swallowed(void **state)
{
	(void)state;
	/* Up, Left, Ctrl-Right, F1 (SS3), F5, Alt-x, then the command. */
	type("\x1b[A\x1b[D\x1b[1;5C\x1bOP\x1b[15~\x1bxlog\r");
	assert_string_equal(out, "log\r\nlog level: 3 (info)\r\nhv> ");
}

static void test_escape_then_a_control_key_still_acts(void **state)
{
	(void)state;
	type("log\x1b\r");
	assert_string_equal(out, "log\r\nlog level: 3 (info)\r\nhv> ");
	clear();
	type("x\x1b[1\x7f");  /* a sequence cut by DEL: DEL still erases */
	assert_string_equal(out, "x\b \b");
	clear();
	type("\x1b\x1b[Alog\r"); /* ESC ESC [ A: the second ESC restarts */
	assert_string_equal(out, "log\r\nlog level: 3 (info)\r\nhv> ");
}

static void test_overlong_line_rings_and_still_runs(void **state)
{
	(void)state;
	type("log");
	for (int i = 0; i < SHELL_LINE_MAX - 1 - 3; i++)
		type(" ");
	assert_int_equal(out_len, SHELL_LINE_MAX - 1);
	type("9"); /* refused: the line is full */
	type("9");
	assert_string_equal(out + SHELL_LINE_MAX - 1, "\a\a");
	type("\r");
	assert_string_equal(out + SHELL_LINE_MAX - 1, "\a\a\r\nlog level: 3 (info)\r\nhv> ");
	assert_int_equal(fake.set_level_calls, 0);
	/* Editing works again after a refusal, and the next line starts empty. */
	clear();
	for (int i = 0; i < 200; i++)
		type("a");
	type("\b\bb\r");
	assert_non_null(strstr(out, "a\a"));
	assert_non_null(strstr(out, "\b \b\b \bb\r\nerror: unknown command 'aaaa"));
	clear();
	type("log\r");
	assert_string_equal(out, "log\r\nlog level: 3 (info)\r\nhv> ");
}

static void test_output_lines_end_with_crlf(void **state)
{
	static const char *const lines[] = { "help",       "vms",         "vcpus",    "regs 0 0",
					     "stats 0",    "mem 0 0 100", "start 0",  "log",
					     "help regs",  "bogus",       "mem 0 0 0" };

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		run(lines[i]);
		assert_true(out_len >= 2);
		assert_int_equal(memcmp(out + out_len - 2, "\r\n", 2), 0);
		for (size_t j = 0; j < out_len; j++)
			if (out[j] == '\n')
				assert_int_equal(out[j - 1], '\r');
	}
}

static void test_shell_never_logs(void **state)
{
	(void)state;
	run("help");
	run("bogus");
	run("mem linux 0xffffffff");
	assert_int_equal(test_log_count(), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_vms_table),
		T(test_vms_memory_uses_the_largest_exact_unit),
		T(test_vms_without_vms_prints_the_header),
		T(test_vms_row_of_an_unreadable_vm_says_why),
		T(test_vms_survives_bad_vm_info),
		T(test_vms_takes_no_arguments),
		T(test_vm_count_is_clamped),
		T(test_vcpus_of_every_vm),
		T(test_vcpus_of_one_vm_by_name_or_index),
		T(test_vcpus_unreadable_vcpu_and_vm_rows),
		T(test_vcpus_listing_stops_at_the_cap),
		T(test_vcpus_unknown_vm),
		T(test_vm_name_wins_over_index),
		T(test_vm_names_are_matched_whole_and_case_sensitive),
		T(test_vm_index_of_unreadable_vm),
		T(test_regs_three_a_line_with_aligned_names),
		T(test_regs_long_names_take_fewer_columns),
		T(test_regs_survives_bad_values),
		T(test_regs_errors),
		T(test_stats_one_a_line_in_the_given_order),
		T(test_stats_errors),
		T(test_mem_default_length_is_64),
		T(test_mem_short_last_line_keeps_the_columns),
		T(test_mem_whole_range_up_to_4096),
		T(test_mem_length_and_address_errors),
		T(test_mem_outside_guest_memory),
		T(test_vm_control_success),
		T(test_vm_control_failure_shows_the_vmm_message),
		T(test_vm_control_argument_errors),
		T(test_console_attaches_without_output),
		T(test_console_typed_prints_no_prompt),
		T(test_console_errors),
		T(test_log_shows_the_level),
		T(test_log_sets_by_number_or_name),
		T(test_log_errors),
		T(test_reboot_and_poweroff),
		T(test_help_lists_every_command),
		T(test_help_for_one_command),
		T(test_unknown_command),
		T(test_blank_lines_do_nothing),
		T(test_words_split_on_spaces_and_tabs),
		T(test_many_words_and_long_words),
		T(test_control_bytes_from_execute_are_not_echoed_raw),
		T(test_numbers),
		T(test_missing_ops_are_not_available),
		T(test_null_ops_table_is_harmless),
		T(test_prompt),
		T(test_typing_echoes_and_enter_runs_the_line),
		T(test_lf_and_crlf_are_one_enter),
		T(test_backspace_and_del_erase_one),
		T(test_backspace_on_empty_line_does_nothing),
		T(test_ctrl_u_kills_the_line),
		T(test_ctrl_c_abandons_the_line),
		T(test_non_printable_bytes_are_ignored),
		T(test_escape_sequences_are_swallowed),
		T(test_escape_then_a_control_key_still_acts),
		T(test_overlong_line_rings_and_still_runs),
		T(test_output_lines_end_with_crlf),
		T(test_shell_never_logs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
