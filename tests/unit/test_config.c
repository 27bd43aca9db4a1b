/* Static configuration parser (hv/config.c): good files parse into the
 * fields a VMM would use; every bad file gets exactly one message, with the
 * file and line, and leaves nothing behind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/config.h"
#include "hv/errno.h"
#include "hv/log.h"
#include "test_log.h"

static struct hv_config cfg;
static char err[CONFIG_ERR_MAX];

static int parse_len(const char *text, size_t len)
{
	memset(&cfg, 0xA5, sizeof(cfg)); /* config_parse must set every field */
	memset(err, 'X', sizeof(err));
	test_log_reset();
	int rc = config_parse(text, len, "hv.cfg", &cfg, err, sizeof(err));
	assert_int_equal(test_log_count(), 0); /* the caller prints, not the parser */
	return rc;
}

static int parse(const char *text)
{
	return parse_len(text, strlen(text));
}

/* Parses a file that must be accepted. */
static void parse_ok(const char *text)
{
	int rc = parse(text);
	if (rc)
		fail_msg("rejected: %s", err);
	assert_string_equal(err, "");
}

static void assert_zeroed(const struct hv_config *c)
{
	static const struct hv_config zero;
	assert_memory_equal(c, &zero, sizeof(zero));
}

/* --- good files ------------------------------------------------------------ */

#define VM(n, cpu) "[vm v" #n "]\ncpus = [" #cpu "]\nmemory = 1M\nimage = \"i\"\n"
#define EIGHT_VMS VM(0, 0) VM(1, 1) VM(2, 2) VM(3, 3) VM(4, 4) VM(5, 5) VM(6, 6) VM(7, 7)

static const char full_config[] =
	"# hv.cfg: two VMs\n"                             /* 1 */
	"[hypervisor]\n"                                  /* 2 */
	"on_all_stopped = \"poweroff\"   # leave\n"      /* 3 */
	"\n"                                              /* 4 */
	"[vm linux]\n"                                    /* 5 */
	"cpus = [1, 2, 0x3]\n"                            /* 6 */
	"memory = \"512M\"\n"                             /* 7 */
	"image = \"bzImage\"\n"                           /* 8 */
	"cmdline = \"console=ttyS0 # not a comment\"\n"  /* 9 */
	"entry = \"long\"\n"                              /* 10 */
	"load_addr = 0x200000\n"                          /* 11 */
	"entry_addr = 2M\n"                               /* 12 */
	"readonly = \"0x100000000, 64K\"\n"               /* 13 */
	"\n"                                              /* 14 */
	"  [ vm rt-1_B ]  # spaces are fine\n"            /* 15 */
	"\tcpus=[0]\n"                                    /* 16 */
	"memory = 0x2000000\n"                            /* 17 */
	"image = \"/boot/rt.elf\"\n"                      /* 18 */
	"cmdline = \"\"\n"                                /* 19 */
	"entry = \"multiboot\"\n";                        /* 20 */

static void test_full_config_with_two_vms_sets_every_field(void **state)
{
	(void)state;
	parse_ok(full_config);
	assert_int_equal(cfg.vm_count, 2);
	assert_int_equal(cfg.on_all_stopped, ALL_STOPPED_POWEROFF);

	const struct vm_config *a = &cfg.vm[0];
	assert_string_equal(a->name, "linux");
	assert_int_equal(a->line, 5);
	assert_int_equal(a->cpu_count, 3);
	assert_int_equal(a->cpus[0], 1);
	assert_int_equal(a->cpus[1], 2);
	assert_int_equal(a->cpus[2], 3);
	assert_int_equal(a->memory, 512ULL << 20);
	assert_string_equal(a->image, "bzImage");
	assert_string_equal(a->cmdline, "console=ttyS0 # not a comment");
	assert_int_equal(a->entry, ENTRY_LONG);
	assert_int_equal(a->load_addr, 0x200000);
	assert_int_equal(a->entry_addr, 0x200000);
	assert_int_equal(a->readonly_gpa, 0x100000000ULL);
	assert_int_equal(a->readonly_size, 0x10000);

	const struct vm_config *b = &cfg.vm[1];
	assert_string_equal(b->name, "rt-1_B");
	assert_int_equal(b->line, 15);
	assert_int_equal(b->cpu_count, 1);
	assert_int_equal(b->cpus[0], 0);
	assert_int_equal(b->memory, 0x2000000);
	assert_string_equal(b->image, "/boot/rt.elf");
	assert_string_equal(b->cmdline, "");
	assert_int_equal(b->entry, ENTRY_MULTIBOOT);
	assert_int_equal(b->load_addr, 0);
	assert_int_equal(b->entry_addr, 0);
	assert_int_equal(b->readonly_gpa, 0);
	assert_int_equal(b->readonly_size, 0);

	/* Unused slots stay zero. */
	static const struct vm_config zero_vm;
	for (int i = 2; i < CONFIG_MAX_VMS; i++)
		assert_memory_equal(&cfg.vm[i], &zero_vm, sizeof(zero_vm));
}

static void test_linux_vm_with_initrd_and_platform_options(void **state)
{
	(void)state;
	parse_ok("[vm linux]\ncpus = [0, 1]\nmemory = 256M\nimage = \"vmlinuz\"\nentry = \"linux\"\n"
		 "initrd = \"initramfs.cpio.gz\"\ncmdline = \"console=ttyS0\"\ntest_devices = true\n"
		 "mptable = false\n");
	const struct vm_config *a = &cfg.vm[0];
	assert_int_equal(a->entry, ENTRY_LINUX);
	assert_string_equal(a->initrd, "initramfs.cpio.gz");
	assert_true(a->test_devices);
	assert_false(a->mptable);
	assert_int_equal(a->load_addr, 0);
}

/* The firmware-style keys of issue 6, all in one file. */
static const char firmware_config[] =
	"[hypervisor]\n"                                  /* 1 */
	"console = \"com2,9600\"\n"                       /* 2 */
	"on_all_stopped = \"shell\"\n"                    /* 3 */
	"focus = \"rt\"\n"                                /* 4 */
	"log = \"debug\"\n"                               /* 5 */
	"\n"                                              /* 6 */
	"[vm linux]\n"                                    /* 7 */
	"kernel = \"bzImage\"\n"                          /* 8 */
	"entry = \"linux\"\n"                             /* 9 */
	"initrd = \"initrd.gz\"\n"                        /* 10 */
	"memory = 256M\n"                                 /* 11 */
	"cpus = [1, 2]\n"                                 /* 12 */
	"on_stop = \"restart\"\n"                         /* 13 */
	"uart = \"com2\"\n"                               /* 14 */
	"shared = \"ring, 0x100000000, 64K\"\n"           /* 15 */
	"\n"                                              /* 16 */
	"[vm rt]\n"                                       /* 17 */
	"shared = \"ring,0x2000000,0x10000\"\n"           /* 18 */
	"cpus = [0]\n"                                    /* 19 */
	"memory = 16M\n"                                  /* 20 */
	"image = \"rt.elf\"\n"                            /* 21 */
	"uart = \"none\"\n"                               /* 22 */
	"on_stop = \"stop\"\n"                            /* 23 */
	"readonly = \"0x3000000,4K\"\n";                  /* 24 */

static void test_firmware_keys_set_every_new_field(void **state)
{
	(void)state;
	parse_ok(firmware_config);
	assert_int_equal(cfg.console_port, 0x2F8);
	assert_int_equal(cfg.console_baud, 9600);
	assert_int_equal(cfg.on_all_stopped, ALL_STOPPED_SHELL);
	assert_string_equal(cfg.focus, "rt");
	assert_int_equal(cfg.log_level, LOG_DEBUG);

	const struct vm_config *a = &cfg.vm[0];
	assert_string_equal(a->image, "bzImage");
	assert_true(a->image_is_kernel);
	assert_int_equal(a->on_stop, ON_STOP_RESTART);
	assert_int_equal(a->uart, VM_UART_COM2);
	assert_string_equal(a->shared_name, "ring");
	assert_int_equal(a->shared_gpa, 0x100000000ULL);
	assert_int_equal(a->shared_size, 0x10000);
	assert_int_equal(a->image_line, 8);
	assert_int_equal(a->initrd_line, 10);
	assert_int_equal(a->memory_line, 11);
	assert_int_equal(a->cpus_line, 12);
	assert_int_equal(a->shared_line, 15);

	const struct vm_config *b = &cfg.vm[1];
	assert_false(b->image_is_kernel);
	assert_int_equal(b->on_stop, ON_STOP_STOP);
	assert_int_equal(b->uart, VM_UART_NONE);
	assert_string_equal(b->shared_name, "ring");
	assert_int_equal(b->shared_gpa, 0x2000000);
	assert_int_equal(b->shared_size, 0x10000);
	assert_int_equal(b->shared_line, 18);
	assert_int_equal(b->image_line, 21);
	assert_int_equal(b->initrd_line, 0);
}

static void test_console_takes_each_port_and_standard_rate(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint16_t port;
		uint32_t baud;
	} cases[] = {
		{ "com1,115200", 0x3F8, 115200 }, { "com2,300", 0x2F8, 300 },
		{ "com1, 57600", 0x3F8, 57600 },  { " com2 ,38400 ", 0x2F8, 38400 },
		{ "com1,19200", 0x3F8, 19200 },   { "com2,4800", 0x2F8, 4800 },
		{ "com2", 0x2F8, 115200 },        { "com1", 0x3F8, 115200 },
	};
	char text[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[hypervisor]\nconsole = \"%s\"\n" VM(0, 0),
			 cases[i].text);
		parse_ok(text);
		assert_int_equal(cfg.console_port, cases[i].port);
		assert_int_equal(cfg.console_baud, cases[i].baud);
	}
}

static void test_log_levels_map_to_printk_levels(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int level;
	} cases[] = {
		{ "err", LOG_ERR }, { "warn", LOG_WARN }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};
	char text[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[hypervisor]\nlog = \"%s\"\n" VM(0, 0), cases[i].name);
		parse_ok(text);
		assert_int_equal(cfg.log_level, cases[i].level);
	}
}

static void test_focus_may_name_a_later_vm_or_the_shell(void **state)
{
	(void)state;
	parse_ok("[hypervisor]\nfocus = \"v1\"\n" VM(0, 0) VM(1, 1));
	assert_string_equal(cfg.focus, "v1");
	parse_ok("[hypervisor]\nfocus = \"shell\"\n" VM(0, 0));
	assert_string_equal(cfg.focus, "shell");
	/* the [hypervisor] section may also come last */
	parse_ok(VM(0, 0) "[hypervisor]\nfocus = \"v0\"\n");
	assert_string_equal(cfg.focus, "v0");
	/* a VM may be called "shell" while focus does not say "shell" */
	parse_ok("[vm shell]\ncpus = [0]\nmemory = 1M\nimage = \"s\"\n");
	assert_string_equal(cfg.vm[0].name, "shell");
}

static void test_shared_region_may_be_named_by_one_or_many_vms(void **state)
{
	(void)state;
	parse_ok("[vm a]\ncpus = [0]\nmemory = 16M\nimage = \"a\"\nshared = \"x,16M,4K\"\n"
		 "[vm b]\ncpus = [1]\nmemory = 16M\nimage = \"b\"\nshared = \"y,0x2000000,8K\"\n"
		 "[vm c]\ncpus = [2]\nmemory = 1M\nimage = \"c\"\nshared = \"x,0x100000,4K\"\n"
		 "readonly = \"0x101000,4K\"\n");
	assert_int_equal(cfg.vm[0].shared_gpa, 16ULL << 20);
	assert_string_equal(cfg.vm[1].shared_name, "y");
	assert_int_equal(cfg.vm[1].shared_size, 8192);
	assert_int_equal(cfg.vm[2].shared_gpa, 0x100000);
	/* a slot ending right at the GPA limit, with a 31-character name */
	parse_ok("[vm a]\ncpus = [0]\nmemory = 1M\nimage = \"a\"\n"
		 "shared = \"abcdefghijklmnopqrstuvwxyz-_012,0xfffffffff000,4K\"\n");
	assert_string_equal(cfg.vm[0].shared_name, "abcdefghijklmnopqrstuvwxyz-_012");
}

static void test_optional_keys_take_their_defaults(void **state)
{
	(void)state;
	parse_ok("[vm a]\ncpus = [5]\nmemory = 1M\nimage = \"a\"\n");
	assert_int_equal(cfg.vm_count, 1);
	assert_int_equal(cfg.on_all_stopped, ALL_STOPPED_HALT);
	assert_int_equal(cfg.vm[0].entry, ENTRY_MULTIBOOT);
	assert_string_equal(cfg.vm[0].cmdline, "");
	assert_int_equal(cfg.vm[0].load_addr, 0);
	assert_int_equal(cfg.vm[0].entry_addr, 0);
	assert_int_equal(cfg.vm[0].readonly_size, 0);
	assert_int_equal(cfg.vm[0].readonly_gpa, 0);
	assert_string_equal(cfg.vm[0].initrd, "");
	assert_false(cfg.vm[0].test_devices);
	assert_false(cfg.vm[0].mptable);
	assert_int_equal(cfg.console_port, 0x3F8);
	assert_int_equal(cfg.console_baud, 115200);
	assert_string_equal(cfg.focus, "");
	assert_int_equal(cfg.log_level, LOG_INFO);
	assert_int_equal(cfg.vm[0].on_stop, ON_STOP_STOP);
	assert_int_equal(cfg.vm[0].uart, VM_UART_COM1);
	assert_string_equal(cfg.vm[0].shared_name, "");
	assert_int_equal(cfg.vm[0].shared_gpa, 0);
	assert_int_equal(cfg.vm[0].shared_size, 0);
	assert_int_equal(cfg.vm[0].shared_line, 0);
	assert_false(cfg.vm[0].image_is_kernel);
	assert_int_equal(cfg.vm[0].cpus_line, 2);
	assert_int_equal(cfg.vm[0].memory_line, 3);
	assert_int_equal(cfg.vm[0].image_line, 4);
	assert_int_equal(cfg.vm[0].initrd_line, 0);
	assert_int_equal(cfg.vm[0].module_count, 0);
	assert_int_equal(cfg.vm[0].modules_line, 0);
	static const char no_modules[CONFIG_STR_MAX];
	assert_memory_equal(cfg.vm[0].modules, no_modules, sizeof(no_modules));
	assert_int_equal(config_module_spec(&cfg.vm[0], 0, NULL, 0, NULL), -ENOENT);

	parse_ok("[hypervisor]\non_all_stopped = \"halt\"\n[vm a]\ncpus=[0]\nmemory=1M\nimage=\"a\"\n");
	assert_int_equal(cfg.on_all_stopped, ALL_STOPPED_HALT);
}

/* Module i's NAME and whole spec, through the helper the VMM uses. */
static void assert_module(const struct vm_config *vm, uint32_t i, const char *name, const char *spec)
{
	char buf[CONFIG_STR_MAX];
	const char *got = NULL;

	assert_int_equal(config_module_spec(vm, i, buf, sizeof(buf), &got), 0);
	assert_string_equal(buf, name);
	assert_non_null(got);
	assert_string_equal(got, spec);
	assert_true(got >= vm->modules && got < vm->modules + sizeof(vm->modules));
}

static void test_modules_are_split_into_trimmed_specs(void **state)
{
	(void)state;
	parse_ok("[vm mb]\ncpus = [0]\nmemory = 64M\nimage = \"kernel.elf\"\n"
		 "modules = \"a.bin arg1  arg2 ,b.bin,\t /boot/c.img x=1\t\"\n");
	const struct vm_config *vm = &cfg.vm[0];
	assert_int_equal(vm->module_count, 3);
	assert_int_equal(vm->modules_line, 5);
	assert_module(vm, 0, "a.bin", "a.bin arg1  arg2");
	assert_module(vm, 1, "b.bin", "b.bin");
	assert_module(vm, 2, "/boot/c.img", "/boot/c.img x=1");
	/* stored back to back, the rest zero */
	static const char packed[] = "a.bin arg1  arg2\0b.bin\0/boot/c.img x=1";
	assert_memory_equal(vm->modules, packed, sizeof(packed));
	for (size_t k = sizeof(packed); k < sizeof(vm->modules); k++)
		assert_int_equal(vm->modules[k], 0);
	assert_int_equal(config_module_spec(vm, 3, NULL, 0, NULL), -ENOENT);
	assert_int_equal(config_module_spec(vm, UINT32_MAX, NULL, 0, NULL), -ENOENT);
}

static void test_module_spec_helper_reports_small_buffers_and_takes_nulls(void **state)
{
	(void)state;
	parse_ok("[vm mb]\ncpus = [0]\nmemory = 64M\nimage = \"k\"\nmodules = \"abcd\targs, e\"\n");
	const struct vm_config *vm = &cfg.vm[0];
	char name[5];
	const char *spec = "unchanged";

	assert_int_equal(config_module_spec(vm, 0, name, sizeof(name), NULL), 0);
	assert_string_equal(name, "abcd"); /* a tab ends the name too */
	assert_int_equal(config_module_spec(vm, 0, name, 4, &spec), -E2BIG);
	assert_string_equal(name, "");
	assert_null(spec);
	assert_int_equal(config_module_spec(vm, 0, name, 0, NULL), -E2BIG);
	assert_int_equal(config_module_spec(vm, 1, NULL, 0, &spec), 0);
	assert_string_equal(spec, "e");
	assert_int_equal(config_module_spec(vm, 2, name, sizeof(name), &spec), -ENOENT);
	assert_string_equal(name, "");
	assert_null(spec);
}

/* Whatever a vm_config holds, the helper stays inside its modules array. */
static void test_module_spec_helper_stays_inside_a_corrupt_config(void **state)
{
	(void)state;
	static struct vm_config vm;
	const char *spec;

	memset(vm.modules, 'x', sizeof(vm.modules)); /* no NUL anywhere */
	vm.module_count = CONFIG_MAX_MODULES;
	assert_int_equal(config_module_spec(&vm, 0, NULL, 0, &spec), -ENOENT);
	assert_int_equal(config_module_spec(&vm, 15, NULL, 0, &spec), -ENOENT);
	vm.modules[sizeof(vm.modules) - 1] = '\0'; /* one spec filling the array */
	assert_int_equal(config_module_spec(&vm, 0, NULL, 0, &spec), 0);
	assert_int_equal(config_module_spec(&vm, 1, NULL, 0, &spec), -ENOENT);
	vm.module_count = UINT32_MAX;
	assert_int_equal(config_module_spec(&vm, 16, NULL, 0, &spec), -ENOENT);
}

#define MB_VM "[vm a]\ncpus = [0]\nmemory = 16M\nimage = \"a\"\n" /* lines 1-4 */
#define S64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_sixteen_modules_and_longest_string_are_accepted(void **state)
{
	(void)state;
	parse_ok(MB_VM "modules = \"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p\"\n");
	assert_int_equal(cfg.vm[0].module_count, 16);
	assert_module(&cfg.vm[0], 15, "p", "p");

	/* 255 bytes, one module: the packed form fits exactly. */
	char text[400];
	snprintf(text, sizeof(text), MB_VM "modules = \"%s\"\n",
		 S64 S64 S64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde");
	parse_ok(text);
	assert_int_equal(strlen(cfg.vm[0].modules), 255);
	/* 16 one-letter modules with spaces: trimming only shortens */
	parse_ok(MB_VM "modules = \" a , b , c , d , e , f , g , h , i , j , k , l , m , n , o , p \"\n");
	assert_module(&cfg.vm[0], 0, "a", "a");
	assert_module(&cfg.vm[0], 15, "p", "p");
}

static void test_sizes_accept_decimal_hex_suffixes_and_strings(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint64_t bytes;
	} cases[] = {
		{ "1048576", 1ULL << 20 },  { "0x100000", 1ULL << 20 }, { "0X100000", 1ULL << 20 },
		{ "1024K", 1ULL << 20 },    { "1024k", 1ULL << 20 },    { "1M", 1ULL << 20 },
		{ "0x10m", 16ULL << 20 },   { "\"512M\"", 512ULL << 20 }, { "\"0x1G\"", 1ULL << 30 },
		{ "64G", 64ULL << 30 },     { "2g", 2ULL << 30 },       { "0010M", 10ULL << 20 },
		{ "0xfffff000", 0xfffff000ULL },
	};
	char text[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[vm a]\ncpus = [0]\nimage = \"a\"\nmemory = %s\n",
			 cases[i].text);
		parse_ok(text);
		assert_int_equal(cfg.vm[0].memory, cases[i].bytes);
	}
}

static void test_crlf_line_endings_are_accepted(void **state)
{
	(void)state;
	parse_ok("# crlf\r\n[vm a]\r\ncpus = [0] # c\r\nmemory = 1M\r\nimage = \"a\"\r\n"
		 "cmdline = \"x\"\r\n\r\n[vm b]\r\ncpus = [1]\r\nmemory = 2M\r\nimage = \"b\"");
	assert_int_equal(cfg.vm_count, 2);
	assert_string_equal(cfg.vm[0].cmdline, "x");
	assert_string_equal(cfg.vm[1].image, "b");
	assert_int_equal(cfg.vm[1].line, 8);
}

static void test_list_may_span_lines_with_comments_and_trailing_comma(void **state)
{
	(void)state;
	parse_ok("[vm a]\ncpus = [\n  0,  # first\n  7,\n\n  63,\n]\nmemory = 1M\nimage = \"a\"\n");
	assert_int_equal(cfg.vm[0].cpu_count, 3);
	assert_int_equal(cfg.vm[0].cpus[0], 0);
	assert_int_equal(cfg.vm[0].cpus[1], 7);
	assert_int_equal(cfg.vm[0].cpus[2], 63);
}

static void test_string_escapes_are_decoded(void **state)
{
	(void)state;
	parse_ok("[vm a]\ncpus = [0]\nmemory = 1M\nimage = \"a b\"\n"
		 "cmdline = \"say \\\"hi\\\"\\\\n \\n#x\tab\"\n");
	assert_string_equal(cfg.vm[0].image, "a b");
	assert_string_equal(cfg.vm[0].cmdline, "say \"hi\"\\n \n#x\tab");
}

static void test_raw_entry_modes_store_their_addresses(void **state)
{
	(void)state;
	parse_ok("[vm r]\ncpus = [0]\nmemory = 1M\nimage = \"boot.bin\"\nentry = \"real\"\n"
		 "load_addr = 0x7c00\nentry_addr = 0xFFFFF\n"
		 "[vm p]\ncpus = [1]\nmemory = 16M\nimage = \"p.bin\"\nentry = \"protected\"\n"
		 "entry_addr = 0xffffffff\nload_addr = 0x0\n"
		 "[vm l]\ncpus = [2]\nmemory = 8G\nimage = \"l.bin\"\nload_addr = \"0x1ffffffff\"\n"
		 "entry_addr = 0x100000\nentry = \"long\"\n");
	assert_int_equal(cfg.vm_count, 3);
	assert_int_equal(cfg.vm[0].entry, ENTRY_REAL);
	assert_int_equal(cfg.vm[0].load_addr, 0x7c00);
	assert_int_equal(cfg.vm[0].entry_addr, 0xfffff);
	assert_int_equal(cfg.vm[1].entry, ENTRY_PROTECTED);
	assert_int_equal(cfg.vm[1].load_addr, 0);
	assert_int_equal(cfg.vm[1].entry_addr, 0xffffffffULL);
	assert_int_equal(cfg.vm[2].entry, ENTRY_LONG);
	assert_int_equal(cfg.vm[2].load_addr, 0x1ffffffffULL);
	assert_int_equal(cfg.vm[2].entry_addr, 0x100000);
}

static void test_limits_at_their_boundaries_are_accepted(void **state)
{
	(void)state;
	/* 31-character name, 16 CPUs up to index 63, 64G, a 255-byte cmdline,
	 * a readonly slot right above RAM and one ending at the GPA limit. */
	char text[1024], cmdline[256];

	memset(cmdline, 'c', 255);
	cmdline[255] = '\0';
	snprintf(text, sizeof(text),
		 "[vm abcdefghijklmnopqrstuvwxyz-_012]\n"
		 "cpus = [63, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]\n"
		 "memory = 64G\nimage = \"a\"\ncmdline = \"%s\"\nreadonly = \"64G,4K\"\n"
		 "[vm b]\ncpus = [0]\nmemory = 1M\nimage = \"b\"\n"
		 "readonly = \"0xffffffffe000,8K\"\n",
		 cmdline);
	parse_ok(text);
	assert_string_equal(cfg.vm[0].name, "abcdefghijklmnopqrstuvwxyz-_012");
	assert_int_equal(cfg.vm[0].cpu_count, 16);
	assert_int_equal(cfg.vm[0].cpus[0], 63);
	assert_int_equal(cfg.vm[0].memory, 64ULL << 30);
	assert_int_equal(strlen(cfg.vm[0].cmdline), 255);
	assert_int_equal(cfg.vm[0].readonly_gpa, 64ULL << 30);
	assert_int_equal(cfg.vm[0].readonly_size, 4096);
	assert_int_equal(cfg.vm[1].readonly_gpa, 0xffffffffe000ULL);
	assert_int_equal(cfg.vm[1].readonly_size, 8192);
}

static void test_eight_vms_are_accepted(void **state)
{
	(void)state;
	parse_ok(EIGHT_VMS);
	assert_int_equal(cfg.vm_count, CONFIG_MAX_VMS);
	assert_string_equal(cfg.vm[7].name, "v7");
	assert_int_equal(cfg.vm[7].cpus[0], 7);
	assert_int_equal(cfg.vm[7].line, 29);
}

/* --- error reporting mechanics --------------------------------------------- */

static void test_error_leaves_output_zeroed(void **state)
{
	(void)state;
	/* The first VM is complete and valid when the second one fails. */
	assert_int_equal(parse("[hypervisor]\non_all_stopped = \"poweroff\"\n" VM(0, 0)
			       "[vm b]\ncpus = [1]\nmemory = 3\n"),
			 -EINVAL);
	assert_string_equal(err, "hv.cfg:9: vm b: memory: 3 is less than the minimum 1M");
	assert_zeroed(&cfg);
}

static void test_error_is_cut_to_errlen_and_may_be_dropped(void **state)
{
	(void)state;
	const char *text = "[vm hello]\nmemroy = 1\n";
	char small[12];

	memset(small, 'X', sizeof(small));
	assert_int_equal(config_parse(text, strlen(text), "hv.cfg", &cfg, small, sizeof(small)),
			 -EINVAL);
	assert_string_equal(small, "hv.cfg:2: u");
	assert_int_equal(config_parse(text, strlen(text), "hv.cfg", &cfg, NULL, 0), -EINVAL);
	assert_zeroed(&cfg);
	small[0] = 'X';
	assert_int_equal(config_parse(text, strlen(text), "hv.cfg", &cfg, small, 0), -EINVAL);
	assert_int_equal(small[0], 'X');
}

static void test_longest_message_fits_config_err_max(void **state)
{
	(void)state;
	/* The longest message: a 31-character VM name, a bad entry mode cut at
	 * 40 characters, the list of modes, a 5-digit line, a 32-character file
	 * name. */
	static const char file[] = "/boot/config/hv-machine-0001.cfg";
	size_t len = 10000 + 200;
	char *text = malloc(len), big[512];

	assert_non_null(text);
	assert_int_equal(strlen(file), 32);
	memset(text, '\n', 10000);
	int n = snprintf(text + 9998, len - 9998,
			 "[vm abcdefghijklmnopqrstuvwxyz01234]\nentry = \"%s\"\n",
			 "0123456789abcdef0123456789abcdef0123456789");
	len = 9998 + (size_t)n;
	assert_int_equal(config_parse(text, len, file, &cfg, big, sizeof(big)), -EINVAL);
	assert_true(strlen(big) < CONFIG_ERR_MAX);
	assert_int_equal(strncmp(big, "/boot/config/hv-machine-0001.cfg:10000: vm ", 43), 0);
	assert_non_null(strstr(big, "\"linux\")"));
	free(text);
}

static void test_longest_shared_and_console_messages_fit_config_err_max(void **state)
{
	(void)state;
	/* The longest messages of issue 6's keys: two 31-character VM names, a
	 * 31-character region and 12-digit sizes; a bad baud rate cut at 40
	 * characters after the list of rates; lines of 5 digits. */
	static const char file[] = "/boot/config/hv-machine-0001.cfg";
	static const char *const tails[] = {
		"[vm abcdefghijklmnopqrstuvwxyz01234]\ncpus = [0]\nmemory = 1M\nimage = \"a\"\n"
		"shared = \"abcdefghijklmnopqrstuvwxyz-_012,0x100000,0xffffffeff000\"\n"
		"[vm abcdefghijklmnopqrstuvwxyz56789]\ncpus = [1]\nmemory = 1M\nimage = \"b\"\n"
		"shared = \"abcdefghijklmnopqrstuvwxyz-_012,0x100000,0xfffffff00000\"\n",
		"[hypervisor]\nconsole = \"com1,0123456789012345678901234567890123456789x\"\n",
	};
	size_t pad = 10000;
	char big[512];

	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		size_t len = pad + strlen(tails[i]);
		char *text = malloc(len);
		assert_non_null(text);
		memset(text, '\n', pad);
		memcpy(text + pad, tails[i], strlen(tails[i]));
		assert_int_equal(config_parse(text, len, file, &cfg, big, sizeof(big)), -EINVAL);
		assert_true(strlen(big) < CONFIG_ERR_MAX);
		assert_int_equal(strncmp(big, "/boot/config/hv-machine-0001.cfg:100", 36), 0);
		assert_non_null(strstr(big, i == 0 ? "(line 10005)" : "57600, 115200)"));
		free(text);
	}
}

static void test_success_clears_err(void **state)
{
	(void)state;
	parse_ok(VM(0, 0));
	assert_string_equal(err, "");
}

static void test_missing_file_name_is_called_config(void **state)
{
	(void)state;
	assert_int_equal(config_parse("", 0, NULL, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "config:1: no [vm NAME] section: at least one VM is required");
	assert_int_equal(config_parse(NULL, 0, "x.cfg", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "x.cfg:1: no [vm NAME] section: at least one VM is required");
}

static void test_nul_byte_is_rejected_with_its_line(void **state)
{
	(void)state;
	static const char text[] = VM(0, 0) "# comment \0 with a NUL\n";
	assert_int_equal(parse_len(text, sizeof(text) - 1), -EINVAL);
	assert_string_equal(err, "hv.cfg:5: NUL byte in input");
	assert_zeroed(&cfg);

	static const char first[] = "\0";
	assert_int_equal(parse_len(first, 1), -EINVAL);
	assert_string_equal(err, "hv.cfg:1: NUL byte in input");
}

static void test_parse_uses_only_len_bytes(void **state)
{
	(void)state;
	static const char text[] = VM(0, 0) "memory = 2M\n";
	size_t len = strlen(VM(0, 0));

	assert_int_equal(parse_len(text, len), 0);
	assert_int_equal(cfg.vm[0].memory, 1ULL << 20);
	/* A string cut by the end of the text is unterminated, not over-read
	 * (an exact-size copy lets ASan catch a read past the end). */
	char *cut = malloc(17);
	assert_non_null(cut);
	memcpy(cut, "[vm a]\nimage = \"abc\"", 17);
	assert_int_equal(parse_len(cut, 17), -EINVAL);
	assert_string_equal(err, "hv.cfg:2: unterminated string");
	free(cut);
}

static void test_parse_is_repeatable_on_the_same_output(void **state)
{
	(void)state;
	parse_ok(full_config);
	struct hv_config first = cfg;
	parse_ok(full_config);
	assert_memory_equal(&first, &cfg, sizeof(cfg));
}

/* --- bad files: one exact message each -------------------------------------- */

#define A "[vm a]\ncpus = [0]\nmemory = 16M\nimage = \"a\"\n" /* lines 1-4 */
#define TEN "0,0,0,0,0,0,0,0,0,0,"
#define CHUNK "0123456789abcdef"

struct bad_case {
	const char *name;
	const char *text;
	const char *err;
};

static const struct bad_case bad_cases[] = {
	/* lexical */
	{ "test_unterminated_string_is_rejected",
	  "[vm a]\ncpus = [0]\nmemory = 16M\nimage = \"a\n", "hv.cfg:4: unterminated string" },
	{ "test_string_cut_by_crlf_is_unterminated", "[vm a]\r\nimage = \"abc\r\nx",
	  "hv.cfg:2: unterminated string" },
	{ "test_string_ending_in_backslash_is_unterminated", A "cmdline = \"abc\\\n",
	  "hv.cfg:5: unterminated string" },
	{ "test_unknown_escape_in_string_is_rejected", A "cmdline = \"a\\tb\"\n",
	  "hv.cfg:5: unknown escape '\\t' in string" },
	{ "test_escape_of_a_control_byte_is_rejected", A "cmdline = \"a\\\x01\"\n",
	  "hv.cfg:5: unknown escape in string" },
	{ "test_control_character_in_string_is_rejected", A "cmdline = \"a\x01z\"\n",
	  "hv.cfg:5: control character 0x01 in string" },
	{ "test_delete_character_in_string_is_rejected", A "cmdline = \"a\x7f\"\n",
	  "hv.cfg:5: control character 0x7f in string" },
	{ "test_unexpected_character_is_rejected", A "cmdline = @\n",
	  "hv.cfg:5: unexpected character '@'" },
	{ "test_unexpected_non_ascii_byte_is_rejected", A "\xc3\xa9 = 1\n",
	  "hv.cfg:5: unexpected byte 0xc3" },
	{ "test_lone_carriage_return_is_rejected", "[vm a]\rcpus = [0]\n",
	  "hv.cfg:1: unexpected byte 0x0d" },
	{ "test_dot_in_vm_name_is_rejected", "[vm a.b]\n", "hv.cfg:1: unexpected character '.'" },

	/* line syntax */
	{ "test_key_without_equals_is_rejected", "memory 64M\n",
	  "hv.cfg:1: expected '=' after key" },
	{ "test_key_alone_at_end_of_file_needs_equals", A "cmdline",
	  "hv.cfg:5: expected '=' after key" },
	{ "test_missing_value_is_rejected", A "cmdline =\n", "hv.cfg:5: missing value after '='" },
	{ "test_value_that_is_punctuation_is_rejected", A "cmdline = ,\n",
	  "hv.cfg:5: expected a value after '='" },
	{ "test_text_after_value_is_rejected", A "cmdline = \"x\" \"y\"\n",
	  "hv.cfg:5: expected end of line after the value" },
	{ "test_line_starting_with_equals_is_rejected", A "= 5\n",
	  "hv.cfg:5: expected a key or a [section]" },
	{ "test_line_starting_with_string_is_rejected", "\"memory\" = 1M\n",
	  "hv.cfg:1: expected a key or a [section]" },

	/* lists */
	{ "test_unterminated_list_is_rejected", "[vm a]\ncpus = [0, 1\n\n",
	  "hv.cfg:2: unterminated list" },
	{ "test_list_missing_comma_is_rejected", "[vm a]\ncpus = [0 1]\n",
	  "hv.cfg:2: expected ',' or ']' in list" },
	{ "test_list_with_double_comma_is_rejected", "[vm a]\ncpus = [0,,1]\n",
	  "hv.cfg:2: expected an integer or ']' in list" },
	{ "test_list_of_strings_is_rejected", "[vm a]\ncpus = [\"0\"]\n",
	  "hv.cfg:2: a list holds integers only" },
	{ "test_nested_list_is_rejected", "[vm a]\ncpus = [\n[0]]\n",
	  "hv.cfg:3: a list holds integers only" },
	{ "test_list_longer_than_64_is_rejected",
	  "[vm a]\ncpus = [" TEN TEN TEN TEN TEN TEN TEN "]\n",
	  "hv.cfg:2: list too long (at most 64 elements)" },

	/* section headers */
	{ "test_header_without_closing_bracket_is_rejected", "[vm a\ncpus = [0]\n",
	  "hv.cfg:1: expected ']' to close the section header" },
	{ "test_header_with_two_names_is_rejected", "[vm a b]\n",
	  "hv.cfg:1: expected ']' to close the section header" },
	{ "test_text_after_header_is_rejected", "[vm a] x\n",
	  "hv.cfg:1: expected end of line after ']'" },
	{ "test_empty_header_is_rejected", "[]\n", "hv.cfg:1: expected a section name after '['" },
	{ "test_unknown_section_is_rejected", "[vms a]\n", "hv.cfg:1: unknown section [vms]" },
	{ "test_vm_section_without_name_is_rejected", "[vm]\n",
	  "hv.cfg:1: [vm] needs a name: [vm NAME]" },
	{ "test_hypervisor_section_with_name_is_rejected", "[hypervisor x]\n",
	  "hv.cfg:1: [hypervisor] takes no name" },
	{ "test_duplicate_hypervisor_section_is_rejected", "[hypervisor]\n\n[hypervisor]\n",
	  "hv.cfg:3: duplicate section [hypervisor] (first on line 1)" },
	{ "test_vm_name_of_32_characters_is_rejected", "[vm abcdefghijklmnopqrstuvwxyz012345]\n",
	  "hv.cfg:1: vm name 'abcdefghijklmnopqrstuvwxyz012345' is too long (at most 31 characters)" },
	{ "test_duplicate_vm_name_is_rejected", A "[vm a]\n",
	  "hv.cfg:5: duplicate vm name 'a' (first on line 1)" },
	{ "test_ninth_vm_is_rejected", EIGHT_VMS "[vm v8]\ncpus = [8]\n",
	  "hv.cfg:33: too many [vm] sections (at most 8)" },
	{ "test_file_without_vm_is_rejected", "[hypervisor]\non_all_stopped = \"halt\"\n\n",
	  "hv.cfg:3: no [vm NAME] section: at least one VM is required" },
	{ "test_empty_file_is_rejected", "",
	  "hv.cfg:1: no [vm NAME] section: at least one VM is required" },

	/* keys */
	{ "test_key_before_any_section_is_rejected", "memory = 16M\n[vm a]\n",
	  "hv.cfg:1: key 'memory' before any [section]" },
	{ "test_unknown_vm_key_is_rejected", "[vm hello]\ncpus = [0]\nmemroy = 16M\n",
	  "hv.cfg:3: unknown key 'memroy' in [vm hello]" },
	{ "test_unknown_hypervisor_key_is_rejected", "[hypervisor]\nmemory = 1M\n",
	  "hv.cfg:2: unknown key 'memory' in [hypervisor]" },
	{ "test_duplicate_vm_key_is_rejected", A "memory = 32M\n",
	  "hv.cfg:5: duplicate key 'memory' in [vm a] (first on line 3)" },
	{ "test_duplicate_hypervisor_key_is_rejected",
	  "[hypervisor]\non_all_stopped = \"halt\"\non_all_stopped = \"halt\"\n",
	  "hv.cfg:3: duplicate key 'on_all_stopped' in [hypervisor] (first on line 2)" },
	{ "test_long_unknown_key_is_cut_in_the_message",
	  "[vm a]\n" CHUNK CHUNK CHUNK CHUNK " = 1\n",
	  "hv.cfg:2: unknown key '" CHUNK CHUNK "01234567...' in [vm a]" },

	/* missing keys: on the section header's line */
	{ "test_missing_image_is_reported_on_the_header_line",
	  A "\n# the second VM\n[vm b]\ncpus = [1]\nmemory = 1M\nimage = \"b\"\n\n[vm hello]\n"
	    "cpus = [2]\nmemory = 1M\n",
	  "hv.cfg:12: vm hello: missing required key 'image' (or its alias 'kernel')" },
	{ "test_missing_cpus_is_reported_when_the_next_section_starts",
	  "[vm a]\nmemory = 16M\nimage = \"a\"\n[vm b\n",
	  "hv.cfg:1: vm a: missing required key 'cpus'" },
	{ "test_missing_memory_is_rejected", "[vm a]\ncpus = [0]\nimage = \"a\"\n",
	  "hv.cfg:1: vm a: missing required key 'memory'" },

	/* cpus */
	{ "test_cpus_that_is_not_a_list_is_rejected", "[vm a]\ncpus = 0\n",
	  "hv.cfg:2: vm a: cpus: expected a list of CPU indexes like [0, 1]" },
	{ "test_empty_cpus_list_is_rejected", "[vm a]\ncpus = []\n",
	  "hv.cfg:2: vm a: cpus: needs at least one CPU" },
	{ "test_cpu_index_that_is_not_a_number_is_rejected", "[vm a]\ncpus = [0, x1]\n",
	  "hv.cfg:2: vm a: cpus: bad CPU index 'x1'" },
	{ "test_negative_cpu_index_is_rejected", "[vm a]\ncpus = [-1]\n",
	  "hv.cfg:2: vm a: cpus: bad CPU index '-1'" },
	{ "test_cpu_index_64_is_rejected", "[vm a]\ncpus = [0x40]\n",
	  "hv.cfg:2: vm a: cpus: cpu 64 is out of range (at most 63)" },
	{ "test_cpu_listed_twice_in_one_vm_is_rejected", "[vm a]\ncpus = [1, 2, 0x1]\n",
	  "hv.cfg:2: vm a: cpus: cpu 1 is listed twice" },
	{ "test_seventeen_cpus_in_one_vm_are_rejected",
	  "[vm a]\ncpus = [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]\n",
	  "hv.cfg:2: vm a: cpus: too many CPUs (17, at most 16)" },
	{ "test_cpu_claimed_by_two_vms_names_both",
	  "[vm a]\ncpus = [0, 1]\nmemory = 16M\nimage = \"a\"\n\n[vm b]\nmemory = 16M\n"
	  "image = \"b\"\ncpus = [2, 1]\n",
	  "hv.cfg:9: vm b: cpu 1 is already used by vm a" },

	/* memory */
	{ "test_memory_with_unknown_suffix_is_rejected",
	  "# a\n# b\n\n[vm hello]\ncpus = [0]\nimage = \"h\"\nmemory = 12Q\n",
	  "hv.cfg:7: vm hello: memory: bad size '12Q'" },
	{ "test_memory_below_1m_is_rejected", "[vm a]\nmemory = 1020K\n",
	  "hv.cfg:2: vm a: memory: 1020K is less than the minimum 1M" },
	{ "test_memory_above_64g_is_rejected", "[vm a]\nmemory = \"0x1000001000\"\n",
	  "hv.cfg:2: vm a: memory: 0x1000001000 is more than the maximum 64G" },
	{ "test_memory_not_a_multiple_of_4k_is_rejected", "[vm a]\nmemory = 0x100800\n",
	  "hv.cfg:2: vm a: memory: 0x100800 is not a multiple of 4K" },
	{ "test_memory_with_space_inside_string_is_rejected", "[vm a]\nmemory = \"12 M\"\n",
	  "hv.cfg:2: vm a: memory: bad size '12 M'" },
	{ "test_memory_as_list_is_rejected", "[vm a]\nmemory = [1]\n",
	  "hv.cfg:2: vm a: memory: expected a single size, not a list" },
	{ "test_memory_as_boolean_is_rejected", "[vm a]\nmemory = true\n",
	  "hv.cfg:2: vm a: memory: bad size 'true'" },
	{ "test_memory_overflowing_64_bits_is_rejected", "[vm a]\nmemory = 18446744073709551616\n",
	  "hv.cfg:2: vm a: memory: bad size '18446744073709551616'" },
	{ "test_memory_overflowing_with_suffix_is_rejected", "[vm a]\nmemory = 0x400000000G\n",
	  "hv.cfg:2: vm a: memory: bad size '0x400000000G'" },
	{ "test_memory_hex_prefix_without_digits_is_rejected", "[vm a]\nmemory = 0xK\n",
	  "hv.cfg:2: vm a: memory: bad size '0xK'" },
	{ "test_memory_with_two_suffixes_is_rejected", "[vm a]\nmemory = 1MK\n",
	  "hv.cfg:2: vm a: memory: bad size '1MK'" },
	{ "test_non_ascii_in_echoed_value_is_masked", "[vm a]\nmemory = \"1\xc3\xa9\"\n",
	  "hv.cfg:2: vm a: memory: bad size '1?\?'" },

	/* image, cmdline */
	{ "test_unquoted_image_is_rejected", "[vm a]\nimage = hello\n",
	  "hv.cfg:2: vm a: image: expected a string in double quotes, got 'hello'" },
	{ "test_empty_image_is_rejected", "[vm a]\nimage = \"\"\n",
	  "hv.cfg:2: vm a: image: must name a module, not be empty" },
	{ "test_image_as_list_is_rejected", "[vm a]\nimage = [1]\n",
	  "hv.cfg:2: vm a: image: expected a string in double quotes, not a list" },
	{ "test_cmdline_of_256_bytes_is_rejected",
	  "[vm a]\ncmdline = \"" CHUNK CHUNK CHUNK CHUNK CHUNK CHUNK CHUNK CHUNK CHUNK CHUNK CHUNK
	  CHUNK CHUNK CHUNK CHUNK CHUNK "\"\n",
	  "hv.cfg:2: vm a: cmdline: string too long (256 bytes, at most 255)" },

	/* entry, load_addr, entry_addr */
	{ "test_unknown_entry_mode_is_rejected", "[vm a]\nentry = \"v86\"\n",
	  "hv.cfg:2: vm a: entry: bad value 'v86' (one of \"multiboot\", \"real\", \"protected\", "
	  "\"long\", \"linux\")" },
	{ "test_entry_mode_longer_than_any_choice_is_rejected",
	  "[vm a]\nentry = \"" CHUNK CHUNK CHUNK "\"\n",
	  "hv.cfg:2: vm a: entry: bad value '" CHUNK CHUNK "01234567...' (one of \"multiboot\", "
	  "\"real\", \"protected\", \"long\", \"linux\")" },
	{ "test_initrd_without_linux_entry_is_rejected", A "initrd = \"initrd.gz\"\n",
	  "hv.cfg:5: vm a: initrd: only with entry = \"linux\"" },

	/* modules */
	{ "test_modules_with_linux_entry_are_rejected_on_their_line",
	  A "modules = \"a.bin\"\nentry = \"linux\"\n",
	  "hv.cfg:5: vm a: modules: only with entry = \"multiboot\"" },
	{ "test_modules_with_raw_entry_are_rejected",
	  A "entry = \"protected\"\nload_addr = 0x100000\nentry_addr = 0x100000\n"
	    "modules = \"a.bin\"\n",
	  "hv.cfg:8: vm a: modules: only with entry = \"multiboot\"" },
	{ "test_empty_modules_are_rejected", A "modules = \"\"\n",
	  "hv.cfg:5: vm a: modules: must name a module, not be empty" },
	{ "test_blank_module_is_rejected", A "modules = \"  \"\n",
	  "hv.cfg:5: vm a: modules: module 1 has no name (expected \"NAME [ARGS], NAME [ARGS]...\")" },
	{ "test_module_between_two_commas_is_rejected", A "modules = \"a.bin x, \t ,c\"\n",
	  "hv.cfg:5: vm a: modules: module 2 has no name (expected \"NAME [ARGS], NAME [ARGS]...\")" },
	{ "test_trailing_comma_in_modules_is_rejected", A "modules = \"a.bin,\"\n",
	  "hv.cfg:5: vm a: modules: module 2 has no name (expected \"NAME [ARGS], NAME [ARGS]...\")" },
	{ "test_leading_comma_in_modules_is_rejected", A "modules = \",a.bin\"\n",
	  "hv.cfg:5: vm a: modules: module 1 has no name (expected \"NAME [ARGS], NAME [ARGS]...\")" },
	{ "test_seventeen_modules_are_rejected", A "modules = \"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\"\n",
	  "hv.cfg:5: vm a: modules: too many modules (17, at most 16)" },
	{ "test_modules_as_list_are_rejected", A "modules = [1, 2]\n",
	  "hv.cfg:5: vm a: modules: expected a string in double quotes, not a list" },
	{ "test_unquoted_modules_are_rejected", A "modules = a\n",
	  "hv.cfg:5: vm a: modules: expected a string in double quotes, got 'a'" },
	{ "test_duplicate_modules_key_is_rejected", A "modules = \"a\"\nmodules = \"b\"\n",
	  "hv.cfg:6: duplicate key 'modules' in [vm a] (first on line 5)" },
	{ "test_modules_of_256_bytes_are_rejected",
	  A "modules = \"" CHUNK CHUNK CHUNK CHUNK CHUNK CHUNK CHUNK CHUNK CHUNK CHUNK CHUNK
	  CHUNK CHUNK CHUNK CHUNK CHUNK "\"\n",
	  "hv.cfg:5: vm a: modules: string too long (256 bytes, at most 255)" },
	{ "test_load_addr_with_linux_entry_is_rejected", A "entry = \"linux\"\nload_addr = 0x100000\n",
	  "hv.cfg:6: vm a: load_addr: not allowed with entry = \"linux\" (the image's headers give "
	  "the addresses)" },
	{ "test_test_devices_must_be_true_or_false", A "test_devices = yes\n",
	  "hv.cfg:5: vm a: test_devices: bad value 'yes' (true or false)" },
	{ "test_quoted_boolean_is_rejected", A "mptable = \"true\"\n",
	  "hv.cfg:5: vm a: mptable: bad value 'true' (true or false)" },
	{ "test_unquoted_entry_mode_is_rejected", "[vm a]\nentry = long\n",
	  "hv.cfg:2: vm a: entry: expected a string in double quotes, got 'long'" },
	{ "test_load_addr_with_multiboot_entry_is_rejected", A "load_addr = 0x100000\n",
	  "hv.cfg:5: vm a: load_addr: not allowed with entry = \"multiboot\" (the image's headers "
	  "give the addresses)" },
	{ "test_entry_addr_with_explicit_multiboot_entry_is_rejected",
	  A "entry_addr = 0x100000\nentry = \"multiboot\"\n",
	  "hv.cfg:5: vm a: entry_addr: not allowed with entry = \"multiboot\" (the image's headers "
	  "give the addresses)" },
	{ "test_real_entry_without_load_addr_is_rejected",
	  A "entry = \"real\"\nentry_addr = 0x7c00\n",
	  "hv.cfg:1: vm a: missing required key 'load_addr' (entry = \"real\")" },
	{ "test_protected_entry_without_entry_addr_is_rejected",
	  A "entry = \"protected\"\nload_addr = 0x100000\n",
	  "hv.cfg:1: vm a: missing required key 'entry_addr' (entry = \"protected\")" },
	{ "test_real_entry_addr_at_1m_is_rejected",
	  A "entry_addr = 0x100000\nload_addr = 0x7c00\nentry = \"real\"\n",
	  "hv.cfg:5: vm a: entry_addr: 0x100000 is not below 1M (entry = \"real\")" },
	{ "test_long_entry_addr_at_4g_is_rejected",
	  A "entry = \"long\"\nload_addr = 0x100000\nentry_addr = 4G\n",
	  "hv.cfg:7: vm a: entry_addr: 0x100000000 is not below 4G (entry = \"long\")" },
	{ "test_protected_entry_addr_above_4g_is_rejected",
	  A "entry = \"protected\"\nload_addr = 0x100000\nentry_addr = 0x123456789\n",
	  "hv.cfg:7: vm a: entry_addr: 0x123456789 is not below 4G (entry = \"protected\")" },
	{ "test_load_addr_outside_ram_is_rejected",
	  A "entry = \"protected\"\nload_addr = 16M\nentry_addr = 0\n",
	  "hv.cfg:6: vm a: load_addr: 0x1000000 is not inside RAM (0x0-0xffffff)" },
	{ "test_load_addr_that_is_not_a_number_is_rejected", A "load_addr = 0xZZ\n",
	  "hv.cfg:5: vm a: load_addr: bad address '0xZZ'" },
	{ "test_entry_addr_as_list_is_rejected", A "entry_addr = [0]\n",
	  "hv.cfg:5: vm a: entry_addr: expected a single address, not a list" },

	/* on_all_stopped */
	{ "test_unknown_on_all_stopped_action_is_rejected", "[hypervisor]\non_all_stopped = \"reboot\"\n",
	  "hv.cfg:2: hypervisor: on_all_stopped: bad value 'reboot' (one of \"halt\", \"poweroff\", "
	  "\"shell\")" },
	{ "test_boolean_on_all_stopped_is_rejected", "[hypervisor]\non_all_stopped = true\n",
	  "hv.cfg:2: hypervisor: on_all_stopped: expected a string in double quotes, got 'true'" },

	/* readonly */
	{ "test_readonly_overlapping_ram_is_rejected", A "readonly = \"0xff0000,64K\"\n",
	  "hv.cfg:5: vm a: readonly: 0xff0000-0xffffff overlaps RAM 0x0-0xffffff" },
	{ "test_readonly_overlap_is_found_when_memory_comes_later",
	  "[vm a]\nreadonly = \"0x1000000,4K\"\ncpus = [0]\nimage = \"a\"\nmemory = 32M\n",
	  "hv.cfg:2: vm a: readonly: 0x1000000-0x1000fff overlaps RAM 0x0-0x1ffffff" },
	{ "test_readonly_without_comma_is_rejected", A "readonly = \"0x10000000\"\n",
	  "hv.cfg:5: vm a: readonly: expected \"GPA,SIZE\" like \"0x10000000,64K\", got "
	  "'0x10000000'" },
	{ "test_readonly_unaligned_address_is_rejected", A "readonly = \"0x10000100,4K\"\n",
	  "hv.cfg:5: vm a: readonly: address 0x10000100 is not a multiple of 4K" },
	{ "test_readonly_zero_size_is_rejected", A "readonly = \"0x10000000,0\"\n",
	  "hv.cfg:5: vm a: readonly: size must not be zero" },
	{ "test_readonly_unaligned_size_is_rejected", A "readonly = \"0x10000000, 100\"\n",
	  "hv.cfg:5: vm a: readonly: size 100 is not a multiple of 4K" },
	{ "test_readonly_bad_address_is_rejected", A "readonly = \"x,4K\"\n",
	  "hv.cfg:5: vm a: readonly: bad address 'x'" },
	{ "test_readonly_bad_size_is_rejected", A "readonly = \"0x10000000,4Q\"\n",
	  "hv.cfg:5: vm a: readonly: bad size '4Q'" },
	{ "test_readonly_beyond_the_gpa_limit_is_rejected", A "readonly = \"0xffffffffe000,12K\"\n",
	  "hv.cfg:5: vm a: readonly: slot ends beyond the guest-physical limit 0x1000000000000" },
	{ "test_readonly_as_bare_word_is_rejected", A "readonly = 0x10000000\n",
	  "hv.cfg:5: vm a: readonly: expected a string in double quotes, got '0x10000000'" },

	/* [hypervisor] console, focus, log */
	{ "test_console_on_com3_is_rejected", "[hypervisor]\nconsole = \"com3,115200\"\n",
	  "hv.cfg:2: hypervisor: console: bad port 'com3' (\"com1\" or \"com2\")" },
	{ "test_console_with_empty_port_is_rejected", "[hypervisor]\nconsole = \",9600\"\n",
	  "hv.cfg:2: hypervisor: console: bad port '' (\"com1\" or \"com2\")" },
	{ "test_console_rate_not_dividing_115200_is_rejected",
	  "[hypervisor]\nconsole = \"com1,56000\"\n",
	  "hv.cfg:2: hypervisor: console: bad baud rate '56000' (one of 300, 600, 1200, 2400, "
	  "4800, 9600, 19200, 38400, 57600, 115200)" },
	{ "test_console_rate_above_115200_is_rejected", "[hypervisor]\nconsole = \"com2,230400\"\n",
	  "hv.cfg:2: hypervisor: console: bad baud rate '230400' (one of 300, 600, 1200, 2400, "
	  "4800, 9600, 19200, 38400, 57600, 115200)" },
	{ "test_console_rate_that_is_not_a_number_is_rejected",
	  "[hypervisor]\nconsole = \"com1,fast\"\n",
	  "hv.cfg:2: hypervisor: console: bad baud rate 'fast' (one of 300, 600, 1200, 2400, "
	  "4800, 9600, 19200, 38400, 57600, 115200)" },
	{ "test_console_with_two_rates_is_rejected", "[hypervisor]\nconsole = \"com1,9600,8n1\"\n",
	  "hv.cfg:2: hypervisor: console: bad baud rate '9600,8n1' (one of 300, 600, 1200, 2400, "
	  "4800, 9600, 19200, 38400, 57600, 115200)" },
	{ "test_unquoted_console_is_rejected", "[hypervisor]\nconsole = com1\n",
	  "hv.cfg:2: hypervisor: console: expected a string in double quotes, got 'com1'" },
	{ "test_empty_focus_is_rejected", "[hypervisor]\nfocus = \"\"\n",
	  "hv.cfg:2: hypervisor: focus: must name a VM or be \"shell\", not be empty" },
	{ "test_focus_longer_than_a_vm_name_is_rejected",
	  "[hypervisor]\nfocus = \"abcdefghijklmnopqrstuvwxyz012345\"\n",
	  "hv.cfg:2: hypervisor: focus: 'abcdefghijklmnopqrstuvwxyz012345' is too long for a vm "
	  "name (at most 31 characters)" },
	{ "test_focus_on_a_vm_not_in_the_file_is_rejected_on_its_line",
	  "# machine\n[hypervisor]\nfocus = \"linux\"\n" VM(0, 0) VM(1, 1),
	  "hv.cfg:3: hypervisor: focus: no vm named 'linux' in the file" },
	{ "test_focus_name_is_masked_in_the_message",
	  VM(0, 0) "[hypervisor]\nfocus = \"a\\nb\"\n",
	  "hv.cfg:6: hypervisor: focus: no vm named 'a?b' in the file" },
	{ "test_focus_shell_with_a_vm_named_shell_is_ambiguous",
	  "[hypervisor]\nfocus = \"shell\"\n" VM(0, 0)
	  "[vm shell]\ncpus = [1]\nmemory = 1M\nimage = \"s\"\n",
	  "hv.cfg:2: hypervisor: focus: \"shell\" is ambiguous: vm shell (line 7) has that name "
	  "too; rename the VM" },
	{ "test_unknown_log_level_is_rejected", "[hypervisor]\nlog = \"trace\"\n",
	  "hv.cfg:2: hypervisor: log: bad value 'trace' (one of \"err\", \"warn\", \"info\", "
	  "\"debug\")" },
	{ "test_numeric_log_level_is_rejected", "[hypervisor]\nlog = 4\n",
	  "hv.cfg:2: hypervisor: log: expected a string in double quotes, got '4'" },

	/* image and its alias kernel */
	{ "test_kernel_after_image_names_both_lines",
	  "[vm a]\ncpus = [0]\nimage = \"a\"\nmemory = 1M\nkernel = \"b\"\n",
	  "hv.cfg:5: vm a: kernel: both image (line 3) and kernel (line 5) given: kernel is an "
	  "alias of image, give one" },
	{ "test_image_after_kernel_names_both_lines",
	  "[vm a]\nkernel = \"b\"\ncpus = [0]\nmemory = 1M\nimage = \"a\"\n",
	  "hv.cfg:5: vm a: image: both kernel (line 2) and image (line 5) given: kernel is an "
	  "alias of image, give one" },
	{ "test_empty_kernel_is_rejected", "[vm a]\nkernel = \"\"\n",
	  "hv.cfg:2: vm a: kernel: must name a module, not be empty" },
	{ "test_missing_image_and_kernel_is_rejected", "[vm a]\ncpus = [0]\nmemory = 1M\n\n",
	  "hv.cfg:1: vm a: missing required key 'image' (or its alias 'kernel')" },

	/* on_stop, uart */
	{ "test_unknown_on_stop_action_is_rejected", A "on_stop = \"reboot\"\n",
	  "hv.cfg:5: vm a: on_stop: bad value 'reboot' (one of \"stop\", \"restart\")" },
	{ "test_unknown_vm_uart_is_rejected", A "uart = \"com3\"\n",
	  "hv.cfg:5: vm a: uart: bad value 'com3' (one of \"com1\", \"com2\", \"none\")" },
	{ "test_vm_uart_as_boolean_is_rejected", A "uart = false\n",
	  "hv.cfg:5: vm a: uart: expected a string in double quotes, got 'false'" },

	/* shared */
	{ "test_shared_without_name_is_rejected", A "shared = \"0x10000000,4K\"\n",
	  "hv.cfg:5: vm a: shared: expected \"NAME,GPA,SIZE\" like \"ring,0x100000000,64K\", got "
	  "'0x10000000,4K'" },
	{ "test_shared_with_empty_region_name_is_rejected", A "shared = \" ,0x10000000,4K\"\n",
	  "hv.cfg:5: vm a: shared: bad region name '' (1 to 31 letters, digits, '-', '_')" },
	{ "test_shared_region_name_with_a_dot_is_rejected", A "shared = \"a.b,0x10000000,4K\"\n",
	  "hv.cfg:5: vm a: shared: bad region name 'a.b' (1 to 31 letters, digits, '-', '_')" },
	{ "test_shared_region_name_of_32_characters_is_rejected",
	  A "shared = \"abcdefghijklmnopqrstuvwxyz012345,0x10000000,4K\"\n",
	  "hv.cfg:5: vm a: shared: bad region name 'abcdefghijklmnopqrstuvwxyz012345' (1 to 31 "
	  "letters, digits, '-', '_')" },
	{ "test_shared_bad_address_is_rejected", A "shared = \"r,0xg,4K\"\n",
	  "hv.cfg:5: vm a: shared: bad address '0xg'" },
	{ "test_shared_with_a_fourth_field_is_rejected", A "shared = \"r,0x10000000,4K,1\"\n",
	  "hv.cfg:5: vm a: shared: bad size '4K,1'" },
	{ "test_shared_unaligned_address_is_rejected", A "shared = \"r,0x10000800,4K\"\n",
	  "hv.cfg:5: vm a: shared: address 0x10000800 is not a multiple of 4K" },
	{ "test_shared_zero_size_is_rejected", A "shared = \"r,0x10000000,0\"\n",
	  "hv.cfg:5: vm a: shared: size must not be zero" },
	{ "test_shared_unaligned_size_is_rejected", A "shared = \"r,0x10000000,6K\"\n",
	  "hv.cfg:5: vm a: shared: size 6K is not a multiple of 4K" },
	{ "test_shared_beyond_the_gpa_limit_is_rejected", A "shared = \"r,0xfffffffff000,8K\"\n",
	  "hv.cfg:5: vm a: shared: slot ends beyond the guest-physical limit 0x1000000000000" },
	{ "test_shared_overlapping_ram_is_rejected", A "shared = \"r,0xfff000,8K\"\n",
	  "hv.cfg:5: vm a: shared: 0xfff000-0x1000fff overlaps RAM 0x0-0xffffff" },
	{ "test_shared_overlap_with_ram_is_found_when_memory_comes_later",
	  "[vm a]\nshared = \"r,16M,4K\"\ncpus = [0]\nimage = \"a\"\nmemory = 32M\n",
	  "hv.cfg:2: vm a: shared: 0x1000000-0x1000fff overlaps RAM 0x0-0x1ffffff" },
	{ "test_shared_overlapping_the_readonly_slot_is_rejected",
	  A "shared = \"r,0x10001000,8K\"\nreadonly = \"0x10000000,8K\"\n",
	  "hv.cfg:5: vm a: shared: 0x10001000-0x10002fff overlaps the readonly slot "
	  "0x10000000-0x10001fff" },
	{ "test_shared_containing_the_readonly_slot_is_rejected",
	  A "readonly = \"0x10001000,4K\"\nshared = \"r,0x10000000,1M\"\n",
	  "hv.cfg:6: vm a: shared: 0x10000000-0x100fffff overlaps the readonly slot "
	  "0x10001000-0x10001fff" },
	{ "test_second_shared_slot_in_one_vm_is_rejected",
	  A "shared = \"r,0x10000000,4K\"\nshared = \"s,0x20000000,4K\"\n",
	  "hv.cfg:6: duplicate key 'shared' in [vm a] (first on line 5)" },
	{ "test_shared_region_sizes_must_agree_naming_the_first_vm",
	  A "shared = \"ring,0x10000000,64K\"\n"
	  "[vm b]\ncpus = [1]\nmemory = 16M\nimage = \"b\"\nshared = \"ring,0x10000000,128K\"\n",
	  "hv.cfg:10: vm b: shared: region 'ring' is 0x20000 bytes here but 0x10000 in vm a "
	  "(line 5)" },

	/* order: the first problem in the file wins */
	{ "test_missing_key_in_earlier_vm_wins_over_later_syntax_error",
	  "[vm a]\ncpus = [0]\nmemory = 1M\n[vm b\n",
	  "hv.cfg:1: vm a: missing required key 'image' (or its alias 'kernel')" },
	{ "test_focus_is_checked_after_every_other_error",
	  "[hypervisor]\nfocus = \"nope\"\n[vm a]\ncpus = [0]\nmemory = 1M\n",
	  "hv.cfg:3: vm a: missing required key 'image' (or its alias 'kernel')" },
};

static void run_bad_case(void **state)
{
	const struct bad_case *c = *state;

	assert_int_equal(parse(c->text), -EINVAL);
	assert_string_equal(err, c->err);
	assert_null(strchr(err, '\n'));
	assert_zeroed(&cfg);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		T(test_full_config_with_two_vms_sets_every_field),
		T(test_optional_keys_take_their_defaults),
		T(test_linux_vm_with_initrd_and_platform_options),
		T(test_modules_are_split_into_trimmed_specs),
		T(test_module_spec_helper_reports_small_buffers_and_takes_nulls),
		T(test_module_spec_helper_stays_inside_a_corrupt_config),
		T(test_sixteen_modules_and_longest_string_are_accepted),
		T(test_firmware_keys_set_every_new_field),
		T(test_console_takes_each_port_and_standard_rate),
		T(test_log_levels_map_to_printk_levels),
		T(test_focus_may_name_a_later_vm_or_the_shell),
		T(test_shared_region_may_be_named_by_one_or_many_vms),
		T(test_sizes_accept_decimal_hex_suffixes_and_strings),
		T(test_crlf_line_endings_are_accepted),
		T(test_list_may_span_lines_with_comments_and_trailing_comma),
		T(test_string_escapes_are_decoded),
		T(test_raw_entry_modes_store_their_addresses),
		T(test_limits_at_their_boundaries_are_accepted),
		T(test_eight_vms_are_accepted),
		T(test_error_leaves_output_zeroed),
		T(test_error_is_cut_to_errlen_and_may_be_dropped),
		T(test_longest_message_fits_config_err_max),
		T(test_longest_shared_and_console_messages_fit_config_err_max),
		T(test_success_clears_err),
		T(test_missing_file_name_is_called_config),
		T(test_nul_byte_is_rejected_with_its_line),
		T(test_parse_uses_only_len_bytes),
		T(test_parse_is_repeatable_on_the_same_output),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	size_t nbad = sizeof(bad_cases) / sizeof(bad_cases[0]);
	struct CMUnitTest *tests = calloc(nfixed + nbad, sizeof(*tests));

	if (!tests)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	/* Each bad input is its own test, named for what it checks. */
	for (size_t i = 0; i < nbad; i++)
		tests[nfixed + i] = (struct CMUnitTest){ bad_cases[i].name, run_bad_case, NULL, NULL,
							 (void *)&bad_cases[i] };
	int failed = _cmocka_run_group_tests("config", tests, nfixed + nbad, NULL, NULL);
	free(tests);
	return failed;
}
