/* libFuzzer harness for the operator shell (hv/shell*.c). The input first
 * describes up to four fake VMs (names that fill their buffer, NULL or long
 * states, too many CPUs or values, failing ops, small guest memories), then
 * either one command line for shell_execute() or keystrokes for
 * shell_input(), where bytes 0x80-0xBF type a whole word (or a whole
 * command) from a dictionary so the fuzzer reaches deep paths quickly.
 * The shell and each guest memory are exact-size heap blocks, so ASan
 * catches any overrun; the output may only hold printable ASCII, CR, LF, BS
 * and BEL, every LF preceded by CR. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "hv/errno.h"
#include "hv/shell.h"
#include "test_log.h"

#define FAKE_VMS 4

struct fake_vm {
	uint8_t flags;
	char name[SHELL_VM_NAME];
	uint32_t cpu_count, vcpus;
	uint64_t memory_size; /* what vm_info reports */
	uint8_t regs_count, stats_count;
	uint8_t *mem;         /* mem_len bytes at guest-physical 0 */
	size_t mem_len;
	int err;              /* returned by the ops FLAG_* selects */
};

enum {
	FLAG_INFO_FAILS = 1 << 0,
	FLAG_VCPU_FAILS = 1 << 1,
	FLAG_REGS_FAIL = 1 << 2,
	FLAG_STATS_FAIL = 1 << 3,
	FLAG_CONTROL_FAILS = 1 << 4,
	FLAG_MSG_FULL = 1 << 5,   /* vm_control fills msg without a NUL */
	FLAG_ATTACH_FAILS = 1 << 6,
	FLAG_STRANGE_STR = 1 << 7, /* NULL state, long control-laden reason */
};

static struct {
	struct fake_vm vm[FAKE_VMS];
	uint32_t count;
	struct shell *sh;
	char prev; /* the byte written before, for the CR-before-LF check */
	bool attached;
} fake;

static const int errs[] = { -EBUSY, -EIO, -EFAULT, -ENOENT, -EPERM, 5, -4095 };

static void fake_write(void *ctx, const char *s, size_t len)
{
	check(ctx == &fake && len > 0);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		check((c >= 0x20 && c < 0x7F) || c == '\r' || c == '\n' || c == '\b' || c == '\a');
		check(c != '\n' || fake.prev == '\r');
		fake.prev = (char)c;
	}
}

static struct fake_vm *vm_of(uint32_t vm)
{
	check(vm < fake.count);
	return &fake.vm[vm];
}

static uint32_t fake_vm_count(void *ctx)
{
	return fake.count;
}

static const char long_reason[] =
	"a reason long enough to be cut \x1b[2J\r\n with escapes and line breaks in it, "
	"and then some more words so that it runs well past the column limits";

static int fake_vm_info(void *ctx, uint32_t vm, struct shell_vm_info *o)
{
	struct fake_vm *v = vm_of(vm);

	if (v->flags & FLAG_INFO_FAILS)
		return errs[v->err];
	memcpy(o->name, v->name, sizeof(o->name));
	o->state = v->flags & FLAG_STRANGE_STR ? NULL : "running";
	o->reason = v->flags & FLAG_STRANGE_STR ? long_reason : "";
	o->cpu_count = v->cpu_count; /* may exceed SHELL_VM_CPUS_MAX */
	for (uint32_t i = 0; i < SHELL_VM_CPUS_MAX; i++)
		o->cpus[i] = UINT32_MAX - i;
	o->memory = v->memory_size;
	o->exits = UINT64_MAX;
	o->restarts = UINT32_MAX;
	return 0;
}

static int fake_vcpu_info(void *ctx, uint32_t vm, uint32_t vcpu, struct shell_vcpu_info *o)
{
	struct fake_vm *v = vm_of(vm);

	if (vcpu >= v->vcpus)
		return -ENOENT;
	if (v->flags & FLAG_VCPU_FAILS && vcpu == 1)
		return errs[v->err];
	o->pcpu = vcpu;
	o->state = v->flags & FLAG_STRANGE_STR ? long_reason : "halted";
	o->exits = vcpu;
	o->rip = UINT64_MAX - vcpu;
	return 0;
}

/* Names are made of bytes of the VM's name, some filling all 24 bytes. */
static void fill_values(const struct fake_vm *v, uint8_t count, struct shell_values *o)
{
	o->count = count;
	for (uint32_t i = 0; i < count && i < SHELL_VALUES_MAX; i++) {
		size_t n = (i * 7) % (SHELL_VALUE_NAME + 1);
		for (size_t j = 0; j < n; j++)
			o->v[i].name[j] = v->name[(i + j) % SHELL_VM_NAME];
		o->v[i].value = (uint64_t)i * 0x0123456789abcdefULL;
	}
}

static int fake_vcpu_regs(void *ctx, uint32_t vm, uint32_t vcpu, struct shell_values *o)
{
	struct fake_vm *v = vm_of(vm);

	if (vcpu >= v->vcpus)
		return -ENOENT;
	if (v->flags & FLAG_REGS_FAIL)
		return errs[v->err];
	fill_values(v, v->regs_count, o);
	return 0;
}

static int fake_vm_stats(void *ctx, uint32_t vm, struct shell_values *o)
{
	struct fake_vm *v = vm_of(vm);

	if (v->flags & FLAG_STATS_FAIL)
		return errs[v->err];
	fill_values(v, v->stats_count, o);
	return 0;
}

static int fake_read_guest(void *ctx, uint32_t vm, uint64_t gpa, void *buf, size_t len)
{
	struct fake_vm *v = vm_of(vm);

	check(len >= 1 && len <= SHELL_MEM_MAX);
	check(gpa + (len - 1) >= gpa); /* the shell refuses wrapping ranges */
	if (gpa >= v->mem_len || len > v->mem_len - gpa)
		return -EFAULT;
	memcpy(buf, v->mem + gpa, len);
	return 0;
}

static int fake_vm_control(void *ctx, uint32_t vm, enum shell_vm_action a, char *msg, size_t msglen)
{
	struct fake_vm *v = vm_of(vm);

	check(a == SHELL_VM_START || a == SHELL_VM_STOP || a == SHELL_VM_RESTART);
	check(msglen > 0 && msg[0] == '\0');
	if (v->flags & FLAG_MSG_FULL)
		memset(msg, '\a', msglen);
	return v->flags & FLAG_CONTROL_FAILS ? errs[v->err] : 0;
}

static int level = 3;

static int fake_set_log_level(void *ctx, int l)
{
	check(l >= 0 && l <= 4);
	level = l;
	return 0;
}

static int fake_get_log_level(void *ctx)
{
	return level;
}

static void fake_machine(void *ctx, enum shell_machine_action a)
{
	check(a == SHELL_REBOOT || a == SHELL_POWEROFF);
}

static int fake_attach(void *ctx, uint32_t vm)
{
	if (vm_of(vm)->flags & FLAG_ATTACH_FAILS)
		return -EBUSY;
	fake.attached = true;
	return 0;
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

static const char *const dictionary[] = {
	"help", "vms", "vcpus", "regs", "stats", "mem", "start", "stop", "restart", "console",
	"log", "reboot", "poweroff", " ", "\r", "\r\n", "\n", "0", "1", "2", "3", "0x", "0X1f",
	"ff", "linux", "rt", "64", "4096", "4097", "0x1000", "0xffffffffffffffff",
	"18446744073709551616", "debug", "err", "\x1b[A", "\x1bOP", "\x15", "\x03", "\x7f", "\b",
	"\t", "  ",
	/* Whole commands: deep paths one byte away. */
	"help mem\r", "vms\r", "vcpus\r", "vcpus 1\r", "regs 0 0\r", "regs 1 1\r", "regs 2 7\r",
	"stats 0\r", "stats 3\r", "mem 0 0\r", "mem 1 0x100 4096\r", "mem 2 0xfff 33\r",
	"mem 3 0xfffffffffffffff0 16\r", "start 0\r", "stop 1\r", "restart 2\r", "console 3\r",
	"log\r", "log 4\r", "reboot\r", "poweroff\r",
};

/* Two bytes a VM, so that keystrokes start early in the input. */
static void setup_vms(struct input *in)
{
	static const char *const names[] = { "linux", "rt", "0", "1" };

	memset(fake.vm, 0, sizeof(fake.vm));
	fake.count = input_u8(in) % (FAKE_VMS + 1);
	for (uint32_t i = 0; i < FAKE_VMS; i++) {
		struct fake_vm *v = &fake.vm[i];
		v->flags = input_u8(in);
		uint8_t shape = input_u8(in);
		if (shape & 1) /* a full buffer, no NUL, control and high bytes */
			for (size_t j = 0; j < sizeof(v->name); j++)
				v->name[j] = (char)(i * 37 + j * 11 + shape);
		else
			memcpy(v->name, names[i], strlen(names[i]));
		v->cpu_count = shape & 2 ? UINT32_MAX : (shape >> 2) & 7;
		v->vcpus = (shape >> 5) & 7;
		v->err = (shape ^ i) % (int)(sizeof(errs) / sizeof(errs[0]));
		v->memory_size = (uint64_t)shape << (shape % 40);
		v->regs_count = shape; /* past SHELL_VALUES_MAX from 81 */
		v->stats_count = shape ^ 0x5a;
		v->mem_len = (size_t)shape * 48;
		v->mem = malloc(v->mem_len ? v->mem_len : 1);
		for (size_t j = 0; j < v->mem_len; j++)
			v->mem[j] = (uint8_t)(j * 31);
	}
}

static void type_byte(uint8_t b)
{
	struct shell *sh = fake.sh;
	bool enter = b == '\r' || b == '\n';

	fake.attached = false;
	shell_input(sh, b);
	check(sh->len < SHELL_LINE_MAX);
	/* A line that attached the console prints no prompt; others do. */
	if (enter && !fake.attached)
		check(fake.prev == ' ' || fake.prev == '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct shell *sh = malloc(sizeof(*sh));

	if (!sh)
		return 0;
	test_log_reset();
	fake.sh = sh;
	fake.prev = '\0';
	setup_vms(&in);
	shell_init(sh, &ops, &fake);

	if (input_u8(&in) & 1) {
		char *line = malloc(in.n + 1);
		memcpy(line, in.p, in.n);
		line[in.n] = '\0';
		int r = shell_execute(sh, line);
		check(r <= 0);
		free(line);
	} else {
		shell_prompt(sh);
		while (in.n) {
			uint8_t b = input_u8(&in);
			if (b >= 0x80 && b < 0xC0) {
				const char *w = dictionary[(b - 0x80) % (sizeof(dictionary) / sizeof(dictionary[0]))];
				while (*w)
					type_byte((uint8_t)*w++);
			} else {
				type_byte(b);
			}
		}
	}
	check(test_log_count() == 0); /* the shell talks to the console only */

	for (uint32_t i = 0; i < FAKE_VMS; i++)
		free(fake.vm[i].mem);
	free(sh);
	return 0;
}
