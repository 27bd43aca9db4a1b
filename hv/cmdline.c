/* Hypervisor command line: whitespace-separated `key=value` options and bare
 * flags, applied left to right (a later option overrides an earlier one).
 * No quoting. A bad option is reported and skipped; the rest still apply,
 * because a typo on a boot line must not cost the whole boot. */
#include "hv/cmdline.h"
#include "hv/string.h"
#include "hv/log.h"

/* Legacy PC serial port I/O bases (no standard, but every BIOS agrees). */
#define COM1_PORT 0x3F8
#define COM2_PORT 0x2F8
#define COM3_PORT 0x3E8
#define COM4_PORT 0x2E8
/* A 16550 decodes 8 consecutive ports. */
#define UART_PORT_SPAN 8
/* The 16550 divisor latch divides a 1.8432 MHz / 16 = 115200 Hz clock: only
 * rates dividing it exactly are reachable. */
#define UART_BASE_BAUD 115200

#define DEFAULT_BAUD UART_BASE_BAUD

/* Longest token text echoed in a warning; longer ones are cut. */
#define TOKEN_ECHO_MAX 64

/* A slice of the command line: not NUL-terminated. */
struct slice {
	const char *s;
	size_t len;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool slice_eq(struct slice a, const char *lit)
{
	size_t i = 0;

	for (; i < a.len; i++)
		if (lit[i] == '\0' || lit[i] != a.s[i])
			return false;
	return lit[i] == '\0';
}

static bool slice_contains(struct slice a, const char *lit)
{
	size_t n = 0;

	while (lit[n])
		n++;
	for (size_t i = 0; i + n <= a.len; i++) {
		size_t k = 0;
		while (k < n && a.s[i + k] == lit[k])
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* Index of the first `c` in a, or a.len. */
static size_t slice_find(struct slice a, char c)
{
	size_t i = 0;

	while (i < a.len && a.s[i] != c)
		i++;
	return i;
}

/* Copies a slice into buf for printing, cutting long ones with "...". */
static const char *slice_str(struct slice a, char *buf, size_t cap)
{
	size_t n = a.len;
	bool cut = n > cap - 1;

	if (cut)
		n = cap - 4;
	for (size_t i = 0; i < n; i++)
		buf[i] = a.s[i];
	if (cut) {
		buf[n++] = '.';
		buf[n++] = '.';
		buf[n++] = '.';
	}
	buf[n] = '\0';
	return buf;
}

/* Decimal, or hex with a 0x/0X prefix; the whole slice must be the number
 * and it must not exceed `max`. */
static bool parse_num(struct slice a, uint64_t max, uint64_t *out)
{
	unsigned base = 10;
	size_t i = 0;
	uint64_t v = 0;

	if (a.len > 2 && a.s[0] == '0' && (a.s[1] == 'x' || a.s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == a.len)
		return false;
	for (; i < a.len; i++) {
		char c = a.s[i];
		int dv = hex_digit_value(c);
		if (dv < 0 || (unsigned)dv >= base)
			return false;
		unsigned d = (unsigned)dv;
		if (d > max || v > (max - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/* Each handler returns true if the value was acceptable (and applied). */
typedef bool (*opt_fn)(struct hv_options *opt, struct slice val);

static bool parse_port(struct slice a, uint16_t *port)
{
	static const struct {
		const char *name;
		uint16_t port;
	} names[] = {
		{ "com1", COM1_PORT },
		{ "com2", COM2_PORT },
		{ "com3", COM3_PORT },
		{ "com4", COM4_PORT },
	};
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (slice_eq(a, names[i].name)) {
			*port = names[i].port;
			return true;
		}
	}
	if (!parse_num(a, 0x10000 - UART_PORT_SPAN, &v) || v == 0)
		return false;
	*port = (uint16_t)v;
	return true;
}

static bool opt_console(struct hv_options *opt, struct slice val)
{
	size_t comma = slice_find(val, ',');
	struct slice port_s = { val.s, comma };
	uint16_t port;
	uint32_t baud = opt->console_baud;
	uint64_t v;

	if (slice_eq(val, "none")) {
		opt->console_none = true;
		return true;
	}
	if (!parse_port(port_s, &port))
		return false;
	if (comma < val.len) {
		struct slice baud_s = { val.s + comma + 1, val.len - comma - 1 };
		if (!parse_num(baud_s, UART_BASE_BAUD, &v) || v == 0 || UART_BASE_BAUD % v)
			return false;
		baud = (uint32_t)v;
	}
	opt->console_none = false;
	opt->console_given = true;
	opt->console_port = port;
	opt->console_baud = baud;
	return true;
}

static bool opt_loglevel(struct hv_options *opt, struct slice val)
{
	uint64_t v;

	if (!parse_num(val, LOG_DEBUG, &v))
		return false;
	opt->loglevel = (int)v;
	return true;
}

static bool opt_smp(struct hv_options *opt, struct slice val)
{
	uint64_t v;

	if (!parse_num(val, UINT32_MAX, &v) || v == 0)
		return false;
	opt->smp_max = (uint32_t)v;
	return true;
}

static bool opt_x2apic(struct hv_options *opt, struct slice val)
{
	if (slice_eq(val, "off"))
		opt->x2apic_off = true;
	else if (slice_eq(val, "on"))
		opt->x2apic_off = false;
	else
		return false;
	return true;
}

static bool opt_done(struct hv_options *opt, struct slice val)
{
	if (slice_eq(val, "halt"))
		opt->on_done = DONE_HALT;
	else if (slice_eq(val, "exit"))
		opt->on_done = DONE_EXIT;
	else
		return false;
	return true;
}

static bool opt_crashtest(struct hv_options *opt, struct slice val)
{
	if (slice_eq(val, "pagefault"))
		opt->crashtest = CRASHTEST_PAGEFAULT;
	else if (slice_eq(val, "panic"))
		opt->crashtest = CRASHTEST_PANIC;
	else if (slice_eq(val, "ap"))
		opt->crashtest = CRASHTEST_AP;
	else
		return false;
	return true;
}

static bool opt_selftest(struct hv_options *opt, struct slice val)
{
	opt->selftest = true;
	return true;
}

static bool opt_acpidump(struct hv_options *opt, struct slice val)
{
	opt->acpidump = true;
	return true;
}

static const struct option {
	const char *key;
	bool flag; /* takes no value */
	opt_fn fn;
} options[] = {
	{ "console", false, opt_console },
	{ "loglevel", false, opt_loglevel },
	{ "smp", false, opt_smp },
	{ "x2apic", false, opt_x2apic },
	{ "done", false, opt_done },
	{ "crashtest", false, opt_crashtest },
	{ "selftest", true, opt_selftest },
	{ "acpidump", true, opt_acpidump },
};

/* Applies one token; false (after a warning) if it was rejected. */
static bool apply_token(struct hv_options *opt, struct slice tok)
{
	size_t eq = slice_find(tok, '=');
	struct slice key = { tok.s, eq };
	bool has_val = eq < tok.len;
	struct slice val = { tok.s + eq + has_val, has_val ? tok.len - eq - 1 : 0 };
	char kbuf[TOKEN_ECHO_MAX], vbuf[TOKEN_ECHO_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		const struct option *o = &options[i];
		if (!slice_eq(key, o->key))
			continue;
		if (o->flag && has_val) {
			pr_warn("cmdline: option '%s' takes no value", o->key);
			return false;
		}
		if (!o->flag && val.len == 0) {
			pr_warn("cmdline: missing value for %s", o->key);
			return false;
		}
		if (!o->fn(opt, val)) {
			pr_warn("cmdline: bad value for %s: '%s'", o->key,
				slice_str(val, vbuf, sizeof(vbuf)));
			return false;
		}
		return true;
	}
	pr_warn("cmdline: unknown option '%s'", slice_str(key, kbuf, sizeof(kbuf)));
	return false;
}

/* Loaders put the kernel image path first (GRUB's multiboot1, QEMU -kernel):
 * "/boot/hv.elf console=com2". It is not an option. */
static bool is_image_path(struct slice tok)
{
	return tok.s[0] == '/' || slice_contains(tok, "hv.elf");
}

void cmdline_defaults(struct hv_options *opt)
{
	*opt = (struct hv_options){
		.console_port = COM1_PORT,
		.console_baud = DEFAULT_BAUD,
		.console_none = false,
		.loglevel = LOG_INFO,
		.smp_max = 0,
		.selftest = false,
		.acpidump = false,
		.x2apic_off = false,
		.on_done = DONE_HALT,
		.bad_options = 0,
	};
}

int cmdline_parse(const char *cmdline, struct hv_options *opt)
{
	const char *p = cmdline ? cmdline : "";
	bool first = true;
	int bad = 0;

	for (;;) {
		while (is_space(*p))
			p++;
		if (*p == '\0')
			break;
		struct slice tok = { p, 0 };
		while (p[tok.len] != '\0' && !is_space(p[tok.len]))
			tok.len++;
		p += tok.len;
		if (first && is_image_path(tok)) {
			first = false;
			continue;
		}
		first = false;
		if (!apply_token(opt, tok))
			bad++;
	}
	opt->bad_options += (uint32_t)bad;
	return bad;
}
