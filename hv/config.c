/* The static configuration parser: a small TOML-like language, documented in
 * docs/config.md. Three layers, so that a new key is one table row plus one
 * small handler, and a new section one table row plus its key table:
 *   lexer   bytes -> tokens: words, "strings", [ ] = , and newlines
 *   parser  tokens -> `[section NAME]` headers and `key = value` lines; a
 *           value is a string, a bare word (integer or boolean) or a list
 *           of words, not yet interpreted
 *   schema  the sections and their keys; each key's handler interprets its
 *           value (size, address, choice ...) and stores it; a section's end
 *           handler checks what depends on several keys.
 * The first error stops the parse; its message names the file and line. */
#include "hv/config.h"
#include "hv/errno.h"
#include "hv/format.h"
#include "hv/log.h"
#include "hv/string.h"

#define LIST_MAX 64          /* elements in one list value */
#define SECTION_KEYS_MAX 16  /* keys one section may define */
#define SECTION_KINDS_MAX 4  /* section kinds ([hypervisor], [vm]) */
#define ECHO_MAX 40          /* user text quoted in a message is cut here */

/* Real-address mode forms 20-bit addresses (segment * 16 + offset). */
#define REAL_MODE_LIMIT MiB
/* Flat 32-bit protected mode with paging off, and the loader's identity map
 * for long mode, both reach the first 4 GiB only. */
#define LOW_4G_LIMIT (4 * GiB)
/* Four-level EPT translates 48-bit guest-physical addresses (SDM Vol. 3C
 * 29.3.2, EPT translation mechanism). */
#define GPA_LIMIT (1ULL << 48)

/* A piece of the input: not NUL-terminated. */
struct slice {
	const char *s;
	size_t len;
};

/* --- tokens --------------------------------------------------------------- */

enum tok_kind {
	TOK_EOF,
	TOK_NEWLINE,
	TOK_LBRACKET,
	TOK_RBRACKET,
	TOK_EQUALS,
	TOK_COMMA,
	TOK_WORD,   /* letters, digits, '_' and '-': keys, names, numbers, booleans */
	TOK_STRING, /* text is the body between the quotes, escapes not decoded */
};

struct token {
	enum tok_kind kind;
	struct slice text;
	uint32_t line;
};

/* --- values -------------------------------------------------------------- */

enum value_type {
	VAL_STRING,
	VAL_WORD,
	VAL_LIST, /* of words */
};

struct value {
	enum value_type type;
	struct slice text; /* string body or word */
	struct slice items[LIST_MAX];
	size_t count;
};

/* --- parser state -------------------------------------------------------- */

struct parser;

struct key_def {
	const char *name;
	bool required;
	int (*set)(struct parser *p, const struct value *v);
};

struct section_def {
	const char *name;
	bool named;  /* [vm NAME] rather than [hypervisor] */
	bool unique; /* may appear once */
	const struct key_def *keys;
	size_t key_count;
	int (*begin)(struct parser *p, struct slice name, uint32_t line);
	int (*end)(struct parser *p); /* checks across keys; may be NULL */
};

struct parser {
	const char *text;
	size_t len, pos;
	uint32_t line;

	const char *file;
	char *err;
	size_t errlen;
	bool failed;

	struct hv_config *out;

	/* The open section: its definition, where it starts, the line each of
	 * its keys was set on (0: not set), and its name for messages. */
	const struct section_def *sect;
	uint32_t sect_line;
	uint32_t key_line[SECTION_KEYS_MAX];
	char ctx[CONFIG_NAME_MAX + 8]; /* "vm NAME" or "hypervisor" */
	uint32_t first_line[SECTION_KINDS_MAX]; /* of each unique section kind */
	struct vm_config *vm;                   /* the open [vm], else NULL */
	uint32_t focus_line; /* focus names a VM that may come later */

	/* The key whose handler runs, for key_error(). */
	const char *key;
	uint32_t line_of_key;
};

/* --- messages ------------------------------------------------------------ */

static void err_append(struct parser *p, const char *fmt, va_list ap)
{
	size_t used = strlen(p->err);

	if (used + 1 < p->errlen)
		hv_vsnprintf(p->err + used, p->errlen - used, fmt, ap);
}

static void __printf(2, 3) err_appendf(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_append(p, fmt, ap);
	va_end(ap);
}

/* Records the first error only: "<file>:<line>: [<ctx>: ][<key>: ]<msg>". */
static int verror(struct parser *p, uint32_t line, const char *ctx, const char *key,
		  const char *fmt, va_list ap)
{
	if (p->failed)
		return -EINVAL;
	p->failed = true;
	if (!p->err || !p->errlen)
		return -EINVAL;
	p->err[0] = '\0';
	err_appendf(p, "%s:%u: ", p->file, line);
	if (ctx)
		err_appendf(p, "%s: ", ctx);
	if (key)
		err_appendf(p, "%s: ", key);
	err_append(p, fmt, ap);
	return -EINVAL;
}

/* A syntax error, or one that belongs to no section. */
static int __printf(3, 4) parse_error(struct parser *p, uint32_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(p, line, NULL, NULL, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An error about the open section as a whole: "vm a: ...". */
static int __printf(3, 4) section_error(struct parser *p, uint32_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(p, line, p->ctx, NULL, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An error about one key's value, on that key's line: "vm a: memory: ...". */
static int __printf(4, 5) key_error_at(struct parser *p, const char *key, uint32_t line,
				       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(p, line, p->ctx, key, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The same about a section that is no longer open. */
static int __printf(5, 6) key_error_in(struct parser *p, const char *ctx, const char *key,
				       uint32_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(p, line, ctx, key, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An error about the value the running key handler was given. */
static int __printf(2, 3) key_error(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(p, p->line_of_key, p->ctx, p->key, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* User text made safe to quote in a message: control and non-ASCII bytes
 * become '?', long text is cut with "...". */
struct echo_buf {
	char s[ECHO_MAX + 4];
};

static const char *echo(struct slice a, struct echo_buf *b)
{
	size_t n = a.len > ECHO_MAX ? ECHO_MAX : a.len;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a.s[i];
		b->s[i] = c >= 0x20 && c < 0x7F ? (char)c : '?';
	}
	if (a.len > ECHO_MAX) {
		memcpy(b->s + n, "...", 3);
		n += 3;
	}
	b->s[n] = '\0';
	return b->s;
}

/* --- small helpers -------------------------------------------------------- */

static bool slice_eq(struct slice a, const char *lit)
{
	return strlen(lit) == a.len && strncmp(a.s, lit, a.len) == 0;
}

/* The line the open section set `name` on, 0 if it did not. */
static uint32_t key_seen(const struct parser *p, const char *name)
{
	for (size_t i = 0; i < p->sect->key_count; i++)
		if (strcmp(p->sect->keys[i].name, name) == 0)
			return p->key_line[i];
	return 0;
}

static struct slice slice_trim(struct slice a)
{
	while (a.len && (a.s[0] == ' ' || a.s[0] == '\t')) {
		a.s++;
		a.len--;
	}
	while (a.len && (a.s[a.len - 1] == ' ' || a.s[a.len - 1] == '\t'))
		a.len--;
	return a;
}

/* The language's integer: decimal or 0x hex, then an optional K, M or G
 * (either case) multiplying by KiB, MiB or GiB. The whole slice must be the
 * number and it must fit in 64 bits. */
static bool parse_integer(struct slice a, uint64_t *out)
{
	unsigned base = 10;
	size_t i = 0, end = a.len;
	uint64_t v = 0, scale = 1;

	if (end > 0) {
		switch (a.s[end - 1]) {
		case 'K': case 'k': scale = KiB; end--; break;
		case 'M': case 'm': scale = MiB; end--; break;
		case 'G': case 'g': scale = GiB; end--; break;
		}
	}
	if (end >= 2 && a.s[0] == '0' && (a.s[1] == 'x' || a.s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == end)
		return false;
	for (; i < end; i++) {
		int d = hex_digit_value(a.s[i]);
		if (d < 0 || (unsigned)d >= base)
			return false;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return false;
		v = v * base + (unsigned)d;
	}
	if (v > UINT64_MAX / scale)
		return false;
	*out = v * scale;
	return true;
}

/* --- lexer ---------------------------------------------------------------- */

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static bool at_line_end(const struct parser *p, size_t pos)
{
	if (pos >= p->len || p->text[pos] == '\n')
		return true;
	return p->text[pos] == '\r' && (pos + 1 == p->len || p->text[pos + 1] == '\n');
}

/* A string's escapes are checked here and decoded later by string_copy(). */
static int lex_string(struct parser *p, struct token *t)
{
	size_t start = ++p->pos; /* past the opening quote */

	for (;;) {
		if (at_line_end(p, p->pos))
			return parse_error(p, t->line, "unterminated string");
		unsigned char c = (unsigned char)p->text[p->pos];
		if (c == '"')
			break;
		if (c == '\\') {
			if (at_line_end(p, p->pos + 1))
				return parse_error(p, t->line, "unterminated string");
			char e = p->text[p->pos + 1];
			if (e != '"' && e != '\\' && e != 'n') {
				if ((unsigned char)e >= 0x20 && (unsigned char)e < 0x7F)
					return parse_error(p, t->line,
							   "unknown escape '\\%c' in string", e);
				return parse_error(p, t->line, "unknown escape in string");
			}
			p->pos += 2;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return parse_error(p, t->line, "control character 0x%02x in string", c);
		p->pos++;
	}
	t->kind = TOK_STRING;
	t->text = (struct slice){ p->text + start, p->pos - start };
	p->pos++; /* the closing quote */
	return 0;
}

static int lex(struct parser *p, struct token *t)
{
	for (;;) {
		while (p->pos < p->len && (p->text[p->pos] == ' ' || p->text[p->pos] == '\t'))
			p->pos++;
		if (p->pos < p->len && p->text[p->pos] == '#') {
			/* A comment runs to the newline, which is still a token. */
			while (p->pos < p->len && p->text[p->pos] != '\n')
				p->pos++;
			continue;
		}
		break;
	}
	t->line = p->line;
	t->text = (struct slice){ p->text + p->pos, 0 };
	if (p->pos == p->len) {
		t->kind = TOK_EOF;
		return 0;
	}

	char c = p->text[p->pos];
	if (c == '\n' || (c == '\r' && p->pos + 1 < p->len && p->text[p->pos + 1] == '\n')) {
		p->pos += c == '\r' ? 2 : 1;
		p->line++;
		t->kind = TOK_NEWLINE;
		return 0;
	}
	switch (c) {
	case '[': t->kind = TOK_LBRACKET; break;
	case ']': t->kind = TOK_RBRACKET; break;
	case '=': t->kind = TOK_EQUALS; break;
	case ',': t->kind = TOK_COMMA; break;
	case '"': return lex_string(p, t);
	default:
		if (is_word_char(c)) {
			size_t start = p->pos;
			while (p->pos < p->len && is_word_char(p->text[p->pos]))
				p->pos++;
			t->kind = TOK_WORD;
			t->text = (struct slice){ p->text + start, p->pos - start };
			return 0;
		}
		if ((unsigned char)c > 0x20 && (unsigned char)c < 0x7F)
			return parse_error(p, t->line, "unexpected character '%c'", c);
		return parse_error(p, t->line, "unexpected byte 0x%02x", (unsigned char)c);
	}
	t->text.len = 1;
	p->pos++;
	return 0;
}

/* --- value access for key handlers ---------------------------------------- */

/* Length of a lexed string body once its escapes are decoded. */
static size_t string_len(struct slice body)
{
	size_t n = 0;

	for (size_t i = 0; i < body.len; i++, n++)
		if (body.s[i] == '\\')
			i++;
	return n;
}

/* Decodes a lexed string body into dst (cap > string_len(body)). */
static void string_copy(struct slice body, char *dst)
{
	size_t n = 0;

	for (size_t i = 0; i < body.len; i++) {
		char c = body.s[i];
		if (c == '\\') {
			c = body.s[++i];
			if (c == 'n')
				c = '\n';
		}
		dst[n++] = c;
	}
	dst[n] = '\0';
}

/* A string value into dst (cap bytes, NUL included). */
static int get_string(struct parser *p, const struct value *v, char *dst, size_t cap)
{
	struct echo_buf b;

	if (v->type == VAL_LIST)
		return key_error(p, "expected a string in double quotes, not a list");
	if (v->type != VAL_STRING)
		return key_error(p, "expected a string in double quotes, got '%s'", echo(v->text, &b));
	size_t n = string_len(v->text);
	if (n >= cap)
		return key_error(p, "string too long (%zu bytes, at most %zu)", n, cap - 1);
	string_copy(v->text, dst);
	return 0;
}

/* An integer, bare or in a string ("512M"); `what` names it in messages. */
static int get_integer(struct parser *p, const struct value *v, const char *what, uint64_t *out)
{
	struct echo_buf b;

	if (v->type == VAL_LIST)
		return key_error(p, "expected a single %s, not a list", what);
	if (!parse_integer(v->text, out))
		return key_error(p, "bad %s '%s'", what, echo(v->text, &b));
	return 0;
}

struct choice {
	const char *name;
	int value;
};

/* A string that must be one of `choices`. */
static int get_choice(struct parser *p, const struct value *v, const struct choice *choices,
		      size_t n, int *out)
{
	char buf[32], list[96];
	struct echo_buf b;
	size_t used = 0;

	if (v->type != VAL_STRING)
		return get_string(p, v, buf, sizeof(buf)); /* says what it is instead */
	if (string_len(v->text) < sizeof(buf)) {
		string_copy(v->text, buf);
		for (size_t i = 0; i < n; i++) {
			if (strcmp(buf, choices[i].name) == 0) {
				*out = choices[i].value;
				return 0;
			}
		}
	}
	list[0] = '\0';
	for (size_t i = 0; i < n && used < sizeof(list); i++)
		used += (size_t)hv_snprintf(list + used, sizeof(list) - used, "%s\"%s\"",
					    i ? ", " : "", choices[i].name);
	return key_error(p, "bad value '%s' (one of %s)", echo(v->text, &b), list);
}

/* --- [hypervisor] --------------------------------------------------------- */

static int hv_begin(struct parser *p, struct slice name, uint32_t line)
{
	hv_snprintf(p->ctx, sizeof(p->ctx), "hypervisor");
	return 0;
}

static int hv_set_on_all_stopped(struct parser *p, const struct value *v)
{
	static const struct choice actions[] = {
		{ "halt", ALL_STOPPED_HALT },
		{ "poweroff", ALL_STOPPED_POWEROFF },
		{ "shell", ALL_STOPPED_SHELL },
	};
	int action;
	int rc = get_choice(p, v, actions, ARRAY_SIZE(actions), &action);

	if (!rc)
		p->out->on_all_stopped = (enum all_stopped_action)action;
	return rc;
}

/* The rates every terminal offers from 300 up; the 16550's divisor latch
 * divides a 115200 Hz clock, and each of these divides it exactly. */
static const uint32_t console_bauds[] = {
	300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
};

static bool is_console_baud(uint64_t baud)
{
	for (size_t i = 0; i < ARRAY_SIZE(console_bauds); i++)
		if (console_bauds[i] == baud)
			return true;
	return false;
}

static int bad_baud(struct parser *p, struct slice baud)
{
	char list[96];
	struct echo_buf b;
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(console_bauds) && used < sizeof(list); i++)
		used += (size_t)hv_snprintf(list + used, sizeof(list) - used, "%s%u", i ? ", " : "",
					    console_bauds[i]);
	return key_error(p, "bad baud rate '%s' (one of %s)", echo(baud, &b), list);
}

/* "PORT[,BAUD]": the hypervisor's own serial console. */
static int hv_set_console(struct parser *p, const struct value *v)
{
	static const struct {
		const char *name;
		uint16_t port;
	} ports[] = {
		{ "com1", CONFIG_COM1_PORT },
		{ "com2", CONFIG_COM2_PORT },
	};
	char buf[CONFIG_STR_MAX];
	struct echo_buf b;
	uint64_t baud = CONFIG_CONSOLE_BAUD;
	size_t i;
	int rc = get_string(p, v, buf, sizeof(buf));

	if (rc)
		return rc;
	char *comma = strchr(buf, ',');
	size_t port_len = comma ? (size_t)(comma - buf) : strlen(buf);
	struct slice port_s = slice_trim((struct slice){ buf, port_len });

	for (i = 0; i < ARRAY_SIZE(ports); i++)
		if (slice_eq(port_s, ports[i].name))
			break;
	if (i == ARRAY_SIZE(ports))
		return key_error(p, "bad port '%s' (\"com1\" or \"com2\")", echo(port_s, &b));
	if (comma) {
		struct slice baud_s = slice_trim((struct slice){ comma + 1, strlen(comma + 1) });

		if (!parse_integer(baud_s, &baud) || !is_console_baud(baud))
			return bad_baud(p, baud_s);
	}
	p->out->console_port = ports[i].port;
	p->out->console_baud = (uint32_t)baud;
	return 0;
}

/* A VM's name or "shell"; which VMs exist is known when the file ends
 * (check_focus). */
static int hv_set_focus(struct parser *p, const struct value *v)
{
	char buf[CONFIG_STR_MAX];
	struct echo_buf b;
	int rc = get_string(p, v, buf, sizeof(buf));

	if (rc)
		return rc;
	if (buf[0] == '\0')
		return key_error(p, "must name a VM or be \"shell\", not be empty");
	if (strlen(buf) >= CONFIG_NAME_MAX)
		return key_error(p, "'%s' is too long for a vm name (at most %d characters)",
				 echo(v->text, &b), CONFIG_NAME_MAX - 1);
	memcpy(p->out->focus, buf, strlen(buf) + 1);
	p->focus_line = p->line_of_key;
	return 0;
}

static int hv_set_log(struct parser *p, const struct value *v)
{
	static const struct choice levels[] = {
		{ "err", LOG_ERR },
		{ "warn", LOG_WARN },
		{ "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};

	return get_choice(p, v, levels, ARRAY_SIZE(levels), &p->out->log_level);
}

static const struct key_def hypervisor_keys[] = {
	{ "on_all_stopped", false, hv_set_on_all_stopped },
	{ "console", false, hv_set_console },
	{ "focus", false, hv_set_focus },
	{ "log", false, hv_set_log },
};

/* focus = "NAME" must name a VM of the file; "shell" must not be ambiguous. */
static int check_focus(struct parser *p)
{
	const struct hv_config *c = p->out;
	bool shell = strcmp(c->focus, CONFIG_FOCUS_SHELL) == 0;
	struct echo_buf b;

	if (c->focus[0] == '\0')
		return 0;
	for (uint32_t i = 0; i < c->vm_count; i++) {
		if (strcmp(c->vm[i].name, c->focus) != 0)
			continue;
		if (shell)
			return key_error_in(p, "hypervisor", "focus", p->focus_line,
					    "\"shell\" is ambiguous: vm shell (line %u) has that "
					    "name too; rename the VM", c->vm[i].line);
		return 0;
	}
	if (shell)
		return 0;
	return key_error_in(p, "hypervisor", "focus", p->focus_line, "no vm named '%s' in the file",
			    echo((struct slice){ c->focus, strlen(c->focus) }, &b));
}

/* --- [vm NAME] ------------------------------------------------------------ */

static const struct choice entry_modes[] = {
	{ "multiboot", ENTRY_MULTIBOOT },
	{ "real", ENTRY_REAL },
	{ "protected", ENTRY_PROTECTED },
	{ "long", ENTRY_LONG },
	{ "linux", ENTRY_LINUX },
};

static const char *entry_name(enum entry_mode mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(entry_modes); i++)
		if (entry_modes[i].value == (int)mode)
			return entry_modes[i].name;
	return "?";
}

static int vm_begin(struct parser *p, struct slice name, uint32_t line)
{
	struct hv_config *c = p->out;
	struct echo_buf b;

	if (c->vm_count == CONFIG_MAX_VMS)
		return parse_error(p, line, "too many [vm] sections (at most %d)", CONFIG_MAX_VMS);
	if (name.len >= CONFIG_NAME_MAX)
		return parse_error(p, line, "vm name '%s' is too long (at most %d characters)",
				   echo(name, &b), CONFIG_NAME_MAX - 1);
	for (uint32_t i = 0; i < c->vm_count; i++)
		if (slice_eq(name, c->vm[i].name))
			return parse_error(p, line, "duplicate vm name '%s' (first on line %u)",
					   c->vm[i].name, c->vm[i].line);

	struct vm_config *vm = &c->vm[c->vm_count++];
	memcpy(vm->name, name.s, name.len);
	vm->name[name.len] = '\0';
	vm->line = line;
	vm->entry = ENTRY_MULTIBOOT;
	p->vm = vm;
	hv_snprintf(p->ctx, sizeof(p->ctx), "vm %s", vm->name);
	return 0;
}

static int vm_set_cpus(struct parser *p, const struct value *v)
{
	struct vm_config *vm = p->vm;
	const struct hv_config *c = p->out;
	struct echo_buf b;

	if (v->type != VAL_LIST)
		return key_error(p, "expected a list of CPU indexes like [0, 1]");
	if (v->count == 0)
		return key_error(p, "needs at least one CPU");
	if (v->count > CONFIG_MAX_CPUS)
		return key_error(p, "too many CPUs (%zu, at most %d)", v->count, CONFIG_MAX_CPUS);

	for (size_t i = 0; i < v->count; i++) {
		uint64_t cpu;
		if (!parse_integer(v->items[i], &cpu))
			return key_error(p, "bad CPU index '%s'", echo(v->items[i], &b));
		if (cpu >= CONFIG_CPU_LIMIT)
			return key_error(p, "cpu %llu is out of range (at most %d)",
					 (unsigned long long)cpu, CONFIG_CPU_LIMIT - 1);
		for (size_t k = 0; k < i; k++)
			if (vm->cpus[k] == cpu)
				return key_error(p, "cpu %llu is listed twice",
						 (unsigned long long)cpu);
		/* Every earlier VM is complete: its CPUs are known. */
		for (const struct vm_config *o = c->vm; o != vm; o++)
			for (uint32_t k = 0; k < o->cpu_count; k++)
				if (o->cpus[k] == cpu)
					return section_error(p, p->line_of_key,
							     "cpu %llu is already used by vm %s",
							     (unsigned long long)cpu, o->name);
		vm->cpus[i] = (uint32_t)cpu;
	}
	vm->cpu_count = (uint32_t)v->count;
	vm->cpus_line = p->line_of_key;
	return 0;
}

static int vm_set_memory(struct parser *p, const struct value *v)
{
	struct echo_buf b;
	uint64_t size;
	int rc = get_integer(p, v, "size", &size);

	if (rc)
		return rc;
	if (size < CONFIG_MEMORY_MIN)
		return key_error(p, "%s is less than the minimum 1M", echo(v->text, &b));
	if (size > CONFIG_MEMORY_MAX)
		return key_error(p, "%s is more than the maximum 64G", echo(v->text, &b));
	if (!IS_ALIGNED(size, PAGE_SIZE))
		return key_error(p, "%s is not a multiple of 4K", echo(v->text, &b));
	p->vm->memory = size;
	p->vm->memory_line = p->line_of_key;
	return 0;
}

/* A multiboot module's name: a non-empty string. */
static int get_module_name(struct parser *p, const struct value *v, char *dst, size_t cap)
{
	int rc = get_string(p, v, dst, cap);

	if (!rc && dst[0] == '\0')
		return key_error(p, "must name a module, not be empty");
	return rc;
}

/* `image` and its alias `kernel`: exactly one of them (vm_end checks that
 * one is there). */
static int set_image(struct parser *p, const struct value *v, bool kernel)
{
	uint32_t other = key_seen(p, kernel ? "image" : "kernel");
	int rc;

	if (other)
		return key_error(p, "both %s (line %u) and %s (line %u) given: kernel is an alias "
				 "of image, give one", kernel ? "image" : "kernel", other,
				 kernel ? "kernel" : "image", p->line_of_key);
	rc = get_module_name(p, v, p->vm->image, sizeof(p->vm->image));
	if (!rc) {
		p->vm->image_is_kernel = kernel;
		p->vm->image_line = p->line_of_key;
	}
	return rc;
}

static int vm_set_image(struct parser *p, const struct value *v)
{
	return set_image(p, v, false);
}

static int vm_set_kernel(struct parser *p, const struct value *v)
{
	return set_image(p, v, true);
}

static int vm_set_cmdline(struct parser *p, const struct value *v)
{
	return get_string(p, v, p->vm->cmdline, sizeof(p->vm->cmdline));
}

static int vm_set_entry(struct parser *p, const struct value *v)
{
	int mode;
	int rc = get_choice(p, v, entry_modes, ARRAY_SIZE(entry_modes), &mode);

	if (!rc)
		p->vm->entry = (enum entry_mode)mode;
	return rc;
}

/* Whether they fit the entry mode is checked at the section's end, as
 * `entry` may come later. */
static int vm_set_load_addr(struct parser *p, const struct value *v)
{
	return get_integer(p, v, "address", &p->vm->load_addr);
}

static int vm_set_entry_addr(struct parser *p, const struct value *v)
{
	return get_integer(p, v, "address", &p->vm->entry_addr);
}

/* The GPA and SIZE of an extra memory slot (readonly, shared): page-aligned,
 * not empty, inside the EPT's reach. That it lies above RAM is checked at
 * the section's end, as `memory` may come later. */
static int get_slot(struct parser *p, struct slice gpa_s, struct slice size_s, uint64_t *gpa_out,
		    uint64_t *size_out)
{
	struct echo_buf b;
	uint64_t gpa, size;

	gpa_s = slice_trim(gpa_s);
	size_s = slice_trim(size_s);
	if (!parse_integer(gpa_s, &gpa))
		return key_error(p, "bad address '%s'", echo(gpa_s, &b));
	if (!parse_integer(size_s, &size))
		return key_error(p, "bad size '%s'", echo(size_s, &b));
	if (!IS_ALIGNED(gpa, PAGE_SIZE))
		return key_error(p, "address %#llx is not a multiple of 4K",
				 (unsigned long long)gpa);
	if (size == 0)
		return key_error(p, "size must not be zero");
	if (!IS_ALIGNED(size, PAGE_SIZE))
		return key_error(p, "size %s is not a multiple of 4K", echo(size_s, &b));
	if (gpa >= GPA_LIMIT || size > GPA_LIMIT - gpa)
		return key_error(p, "slot ends beyond the guest-physical limit %#llx",
				 (unsigned long long)GPA_LIMIT);
	*gpa_out = gpa;
	*size_out = size;
	return 0;
}

/* "GPA,SIZE" */
static int vm_set_readonly(struct parser *p, const struct value *v)
{
	char buf[CONFIG_STR_MAX];
	struct echo_buf b;
	int rc = get_string(p, v, buf, sizeof(buf));

	if (rc)
		return rc;
	char *comma = strchr(buf, ',');
	if (!comma)
		return key_error(p, "expected \"GPA,SIZE\" like \"0x10000000,64K\", got '%s'",
				 echo(v->text, &b));
	return get_slot(p, (struct slice){ buf, (size_t)(comma - buf) },
			(struct slice){ comma + 1, strlen(comma + 1) }, &p->vm->readonly_gpa,
			&p->vm->readonly_size);
}

static bool is_name(struct slice a)
{
	if (a.len == 0 || a.len >= CONFIG_NAME_MAX)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (!is_word_char(a.s[i]))
			return false;
	return true;
}

/* "NAME,GPA,SIZE": every VM naming region NAME maps the same host pages,
 * so all of them must agree on its size. Earlier VMs are complete. */
static int vm_set_shared(struct parser *p, const struct value *v)
{
	const struct hv_config *c = p->out;
	struct vm_config *vm = p->vm;
	char buf[CONFIG_STR_MAX];
	struct echo_buf b;
	uint64_t gpa, size;
	int rc = get_string(p, v, buf, sizeof(buf));

	if (rc)
		return rc;
	char *c1 = strchr(buf, ',');
	char *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
	if (!c2)
		return key_error(p, "expected \"NAME,GPA,SIZE\" like \"ring,0x100000000,64K\", "
				 "got '%s'", echo(v->text, &b));
	struct slice name = slice_trim((struct slice){ buf, (size_t)(c1 - buf) });
	if (!is_name(name))
		return key_error(p, "bad region name '%s' (1 to %d letters, digits, '-', '_')",
				 echo(name, &b), CONFIG_NAME_MAX - 1);
	rc = get_slot(p, (struct slice){ c1 + 1, (size_t)(c2 - c1 - 1) },
		      (struct slice){ c2 + 1, strlen(c2 + 1) }, &gpa, &size);
	if (rc)
		return rc;
	memcpy(vm->shared_name, name.s, name.len);
	vm->shared_name[name.len] = '\0';
	for (const struct vm_config *o = c->vm; o != vm; o++)
		if (o->shared_size && strcmp(o->shared_name, vm->shared_name) == 0 &&
		    o->shared_size != size)
			return key_error(p, "region '%s' is %#llx bytes here but %#llx in vm %s "
					 "(line %u)", vm->shared_name, (unsigned long long)size,
					 (unsigned long long)o->shared_size, o->name, o->shared_line);
	vm->shared_gpa = gpa;
	vm->shared_size = size;
	vm->shared_line = p->line_of_key;
	return 0;
}

static int vm_set_on_stop(struct parser *p, const struct value *v)
{
	static const struct choice actions[] = {
		{ "stop", ON_STOP_STOP },
		{ "restart", ON_STOP_RESTART },
	};
	int action;
	int rc = get_choice(p, v, actions, ARRAY_SIZE(actions), &action);

	if (!rc)
		p->vm->on_stop = (enum on_stop_action)action;
	return rc;
}

static int vm_set_uart(struct parser *p, const struct value *v)
{
	static const struct choice uarts[] = {
		{ "com1", VM_UART_COM1 },
		{ "com2", VM_UART_COM2 },
		{ "none", VM_UART_NONE },
	};
	int uart;
	int rc = get_choice(p, v, uarts, ARRAY_SIZE(uarts), &uart);

	if (!rc)
		p->vm->uart = (enum vm_uart)uart;
	return rc;
}

static int get_bool(struct parser *p, const struct value *v, bool *out)
{
	struct echo_buf b;

	/* TOML's bare true/false */
	if (v->type == VAL_WORD && v->text.len == 4 && !strncmp(v->text.s, "true", 4))
		*out = true;
	else if (v->type == VAL_WORD && v->text.len == 5 && !strncmp(v->text.s, "false", 5))
		*out = false;
	else
		return key_error(p, "bad value '%s' (true or false)", echo(v->text, &b));
	return 0;
}

static int vm_set_initrd(struct parser *p, const struct value *v)
{
	int rc = get_module_name(p, v, p->vm->initrd, sizeof(p->vm->initrd));

	if (!rc)
		p->vm->initrd_line = p->line_of_key;
	return rc;
}

/* "NAME [ARGS], NAME [ARGS]": multiboot modules, like QEMU's -initrd. Each
 * spec is stored trimmed and NUL-terminated, back to back; that never takes
 * more room than the string, as each comma becomes the NUL of the spec
 * before it. A module's arguments cannot hold a comma. */
static int vm_set_modules(struct parser *p, const struct value *v)
{
	struct vm_config *vm = p->vm;
	char buf[CONFIG_STR_MAX];
	size_t used = 0, count = 1;
	int rc = get_string(p, v, buf, sizeof(buf));

	if (rc)
		return rc;
	if (buf[0] == '\0')
		return key_error(p, "must name a module, not be empty");
	for (const char *c = buf; (c = strchr(c, ',')) != NULL; c++)
		count++;
	if (count > CONFIG_MAX_MODULES)
		return key_error(p, "too many modules (%zu, at most %d)", count, CONFIG_MAX_MODULES);

	const char *s = buf;
	for (uint32_t i = 0; i < count; i++) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		struct slice spec = slice_trim((struct slice){ s, n });

		if (spec.len == 0)
			return key_error(p, "module %u has no name (expected \"NAME [ARGS], "
					 "NAME [ARGS]...\")", i + 1);
		memcpy(vm->modules + used, spec.s, spec.len);
		used += spec.len;
		vm->modules[used++] = '\0';
		s += n + 1;
	}
	vm->module_count = (uint32_t)count;
	vm->modules_line = p->line_of_key;
	return 0;
}

static int vm_set_test_devices(struct parser *p, const struct value *v)
{
	return get_bool(p, v, &p->vm->test_devices);
}

static int vm_set_mptable(struct parser *p, const struct value *v)
{
	return get_bool(p, v, &p->vm->mptable);
}

static const struct key_def vm_keys[] = {
	{ "cpus", true, vm_set_cpus },
	{ "memory", true, vm_set_memory },
	{ "image", false, vm_set_image }, /* or kernel: vm_end checks */
	{ "kernel", false, vm_set_kernel },
	{ "cmdline", false, vm_set_cmdline },
	{ "entry", false, vm_set_entry },
	{ "load_addr", false, vm_set_load_addr },
	{ "entry_addr", false, vm_set_entry_addr },
	{ "readonly", false, vm_set_readonly },
	{ "initrd", false, vm_set_initrd },
	{ "test_devices", false, vm_set_test_devices },
	{ "mptable", false, vm_set_mptable },
	{ "on_stop", false, vm_set_on_stop },
	{ "uart", false, vm_set_uart },
	{ "shared", false, vm_set_shared },
	{ "modules", false, vm_set_modules },
};

/* The shared slot lies above RAM and apart from the readonly slot. */
static int check_shared_slot(struct parser *p)
{
	const struct vm_config *vm = p->vm;
	uint64_t start = vm->shared_gpa, end = vm->shared_gpa + vm->shared_size - 1;

	if (!vm->shared_size)
		return 0;
	if (start < vm->memory)
		return key_error_at(p, "shared", vm->shared_line, "%#llx-%#llx overlaps RAM 0x0-%#llx",
				    (unsigned long long)start, (unsigned long long)end,
				    (unsigned long long)vm->memory - 1);
	if (vm->readonly_size && start < vm->readonly_gpa + vm->readonly_size &&
	    vm->readonly_gpa <= end)
		return key_error_at(p, "shared", vm->shared_line,
				    "%#llx-%#llx overlaps the readonly slot %#llx-%#llx",
				    (unsigned long long)start, (unsigned long long)end,
				    (unsigned long long)vm->readonly_gpa,
				    (unsigned long long)(vm->readonly_gpa + vm->readonly_size - 1));
	return 0;
}

/* The rules that tie keys together; each error is on the line of the key
 * at fault, or of the section header for a missing one. */
static int vm_end(struct parser *p)
{
	const struct vm_config *vm = p->vm;
	const char *mode = entry_name(vm->entry);
	static const char *const addr_keys[] = { "load_addr", "entry_addr" };

	/* Where `image` was in the required-key order: after cpus and memory. */
	if (!key_seen(p, "image") && !key_seen(p, "kernel"))
		return section_error(p, p->sect_line,
				     "missing required key 'image' (or its alias 'kernel')");
	bool from_headers = vm->entry == ENTRY_MULTIBOOT || vm->entry == ENTRY_LINUX;
	for (size_t i = 0; i < ARRAY_SIZE(addr_keys); i++) {
		uint32_t line = key_seen(p, addr_keys[i]);
		if (from_headers && line)
			return key_error_at(p, addr_keys[i], line,
					    "not allowed with entry = \"%s\" (the image's "
					    "headers give the addresses)", mode);
		if (!from_headers && !line)
			return section_error(p, p->sect_line,
					     "missing required key '%s' (entry = \"%s\")",
					     addr_keys[i], mode);
	}
	if (vm->entry != ENTRY_LINUX && key_seen(p, "initrd"))
		return key_error_at(p, "initrd", key_seen(p, "initrd"),
				    "only with entry = \"linux\"");
	if (vm->entry != ENTRY_MULTIBOOT && key_seen(p, "modules"))
		return key_error_at(p, "modules", key_seen(p, "modules"),
				    "only with entry = \"multiboot\"");
	if (!from_headers && vm->load_addr >= vm->memory)
		return key_error_at(p, "load_addr", key_seen(p, "load_addr"),
				    "%#llx is not inside RAM (0x0-%#llx)",
				    (unsigned long long)vm->load_addr,
				    (unsigned long long)vm->memory - 1);
	if (vm->entry == ENTRY_REAL && vm->entry_addr >= REAL_MODE_LIMIT)
		return key_error_at(p, "entry_addr", key_seen(p, "entry_addr"),
				    "%#llx is not below 1M (entry = \"real\")",
				    (unsigned long long)vm->entry_addr);
	if ((vm->entry == ENTRY_PROTECTED || vm->entry == ENTRY_LONG) &&
	    vm->entry_addr >= LOW_4G_LIMIT)
		return key_error_at(p, "entry_addr", key_seen(p, "entry_addr"),
				    "%#llx is not below 4G (entry = \"%s\")",
				    (unsigned long long)vm->entry_addr, mode);
	if (vm->readonly_size && vm->readonly_gpa < vm->memory)
		return key_error_at(p, "readonly", key_seen(p, "readonly"),
				    "%#llx-%#llx overlaps RAM 0x0-%#llx",
				    (unsigned long long)vm->readonly_gpa,
				    (unsigned long long)(vm->readonly_gpa + vm->readonly_size - 1),
				    (unsigned long long)vm->memory - 1);
	return check_shared_slot(p);
}

/* --- the schema ----------------------------------------------------------- */

static const struct section_def sections[] = {
	{ "hypervisor", false, true, hypervisor_keys, ARRAY_SIZE(hypervisor_keys), hv_begin, NULL },
	{ "vm", true, false, vm_keys, ARRAY_SIZE(vm_keys), vm_begin, vm_end },
};

_Static_assert(ARRAY_SIZE(sections) <= SECTION_KINDS_MAX, "raise SECTION_KINDS_MAX");
_Static_assert(ARRAY_SIZE(vm_keys) <= SECTION_KEYS_MAX, "raise SECTION_KEYS_MAX");
_Static_assert(ARRAY_SIZE(hypervisor_keys) <= SECTION_KEYS_MAX, "raise SECTION_KEYS_MAX");

/* Closes the open section: its required keys, then its own end checks. */
static int section_end(struct parser *p)
{
	const struct section_def *d = p->sect;
	int rc = 0;

	if (!d)
		return 0;
	for (size_t i = 0; i < d->key_count; i++)
		if (d->keys[i].required && !p->key_line[i])
			return section_error(p, p->sect_line, "missing required key '%s'",
					     d->keys[i].name);
	if (d->end)
		rc = d->end(p);
	p->sect = NULL;
	p->vm = NULL;
	return rc;
}

static int section_begin(struct parser *p, struct slice kind, struct slice name, bool has_name,
			 uint32_t line)
{
	const struct section_def *d = NULL;
	struct echo_buf b;
	size_t idx = 0;

	for (; idx < ARRAY_SIZE(sections); idx++) {
		if (slice_eq(kind, sections[idx].name)) {
			d = &sections[idx];
			break;
		}
	}
	if (!d)
		return parse_error(p, line, "unknown section [%s]", echo(kind, &b));
	if (d->named && !has_name)
		return parse_error(p, line, "[%s] needs a name: [%s NAME]", d->name, d->name);
	if (!d->named && has_name)
		return parse_error(p, line, "[%s] takes no name", d->name);
	if (d->unique && p->first_line[idx])
		return parse_error(p, line, "duplicate section [%s] (first on line %u)", d->name,
				   p->first_line[idx]);
	p->first_line[idx] = line;
	p->sect = d;
	p->sect_line = line;
	memset(p->key_line, 0, sizeof(p->key_line));
	return d->begin(p, name, line);
}

/* Hands a parsed `key = value` to the open section's key handler. */
static int section_set(struct parser *p, const struct token *key, const struct value *v)
{
	const struct section_def *d = p->sect;
	struct echo_buf b;

	if (!d)
		return parse_error(p, key->line, "key '%s' before any [section]",
				   echo(key->text, &b));
	for (size_t i = 0; i < d->key_count; i++) {
		if (!slice_eq(key->text, d->keys[i].name))
			continue;
		if (p->key_line[i])
			return parse_error(p, key->line, "duplicate key '%s' in [%s] (first on line %u)",
					   d->keys[i].name, p->ctx, p->key_line[i]);
		p->key_line[i] = key->line;
		p->key = d->keys[i].name;
		p->line_of_key = key->line;
		return d->keys[i].set(p, v);
	}
	return parse_error(p, key->line, "unknown key '%s' in [%s]", echo(key->text, &b), p->ctx);
}

/* --- parser --------------------------------------------------------------- */

static int expect_line_end(struct parser *p, const char *after)
{
	struct token t;
	int rc = lex(p, &t);

	if (rc)
		return rc;
	if (t.kind != TOK_NEWLINE && t.kind != TOK_EOF)
		return parse_error(p, t.line, "expected end of line after %s", after);
	return 0;
}

/* `[kind]` or `[kind NAME]`, the '[' already read. */
static int parse_header(struct parser *p, const struct token *open)
{
	struct token kind, name, t;
	bool has_name = false;
	int rc = section_end(p); /* its errors belong to earlier lines */

	if (!rc)
		rc = lex(p, &kind);
	if (rc)
		return rc;
	if (kind.kind != TOK_WORD)
		return parse_error(p, open->line, "expected a section name after '['");
	rc = lex(p, &t);
	if (!rc && t.kind == TOK_WORD) {
		name = t;
		has_name = true;
		rc = lex(p, &t);
	}
	if (rc)
		return rc;
	if (t.kind != TOK_RBRACKET)
		return parse_error(p, open->line, "expected ']' to close the section header");
	rc = expect_line_end(p, "']'");
	if (rc)
		return rc;
	return section_begin(p, kind.text, has_name ? name.text : (struct slice){ NULL, 0 },
			     has_name, open->line);
}

/* Reads the next token, skipping newlines (lists may span lines). */
static int lex_in_list(struct parser *p, struct token *t)
{
	int rc;

	do
		rc = lex(p, t);
	while (!rc && t->kind == TOK_NEWLINE);
	return rc;
}

/* `[w, w, ...]` of words, the '[' already read; a trailing comma is fine. */
static int parse_list(struct parser *p, const struct token *open, struct value *v)
{
	struct token t;
	int rc;

	v->type = VAL_LIST;
	v->text = open->text;
	v->count = 0;
	for (;;) {
		rc = lex_in_list(p, &t);
		if (rc)
			return rc;
		if (t.kind == TOK_RBRACKET)
			return 0;
		if (t.kind == TOK_EOF)
			return parse_error(p, open->line, "unterminated list");
		if (t.kind == TOK_STRING || t.kind == TOK_LBRACKET)
			return parse_error(p, t.line, "a list holds integers only");
		if (t.kind != TOK_WORD)
			return parse_error(p, t.line, "expected an integer or ']' in list");
		if (v->count == LIST_MAX)
			return parse_error(p, t.line, "list too long (at most %d elements)",
					   LIST_MAX);
		v->items[v->count++] = t.text;

		rc = lex_in_list(p, &t);
		if (rc)
			return rc;
		if (t.kind == TOK_RBRACKET)
			return 0;
		if (t.kind == TOK_EOF)
			return parse_error(p, open->line, "unterminated list");
		if (t.kind != TOK_COMMA)
			return parse_error(p, t.line, "expected ',' or ']' in list");
	}
}

/* `key = value`, the key already read. */
static int parse_assignment(struct parser *p, const struct token *key)
{
	struct token t;
	struct value v;
	int rc = lex(p, &t);

	if (rc)
		return rc;
	if (t.kind != TOK_EQUALS)
		return parse_error(p, key->line, "expected '=' after key");
	rc = lex(p, &t);
	if (rc)
		return rc;
	switch (t.kind) {
	case TOK_STRING:
		v.type = VAL_STRING;
		v.text = t.text;
		break;
	case TOK_WORD:
		v.type = VAL_WORD;
		v.text = t.text;
		break;
	case TOK_LBRACKET:
		rc = parse_list(p, &t, &v);
		if (rc)
			return rc;
		break;
	case TOK_NEWLINE:
	case TOK_EOF:
		return parse_error(p, key->line, "missing value after '='");
	default:
		return parse_error(p, t.line, "expected a value after '='");
	}
	rc = expect_line_end(p, "the value");
	if (rc)
		return rc;
	return section_set(p, key, &v);
}

/* The line the input ends on, for errors about the whole file. */
static uint32_t last_line(const struct parser *p)
{
	if (p->len && p->text[p->len - 1] == '\n' && p->line > 1)
		return p->line - 1;
	return p->line;
}

static int parse_all(struct parser *p)
{
	struct token t;
	int rc;

	/* A NUL means a binary or corrupt file, not a configuration. */
	for (size_t i = 0, line = 1; i < p->len; i++) {
		if (p->text[i] == '\0')
			return parse_error(p, (uint32_t)line, "NUL byte in input");
		line += p->text[i] == '\n';
	}
	for (;;) {
		rc = lex(p, &t);
		if (rc)
			return rc;
		switch (t.kind) {
		case TOK_EOF:
			rc = section_end(p);
			if (!rc && p->out->vm_count == 0)
				rc = parse_error(p, last_line(p),
						 "no [vm NAME] section: at least one VM is required");
			if (!rc)
				rc = check_focus(p);
			return rc;
		case TOK_NEWLINE:
			continue;
		case TOK_LBRACKET:
			rc = parse_header(p, &t);
			break;
		case TOK_WORD:
			rc = parse_assignment(p, &t);
			break;
		default:
			rc = parse_error(p, t.line, "expected a key or a [section]");
			break;
		}
		if (rc)
			return rc;
	}
}

int config_parse(const char *text, size_t len, const char *file, struct hv_config *out, char *err,
		 size_t errlen)
{
	struct parser p;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	memset(&p, 0, sizeof(p));
	p.text = text ? text : "";
	p.len = text ? len : 0;
	p.line = 1;
	p.file = file ? file : "config";
	p.err = err;
	p.errlen = errlen;
	p.out = out;
	if (!out)
		return parse_error(&p, 1, "no configuration to fill");

	memset(out, 0, sizeof(*out));
	out->on_all_stopped = ALL_STOPPED_HALT;
	out->console_port = CONFIG_COM1_PORT;
	out->console_baud = CONFIG_CONSOLE_BAUD;
	out->log_level = LOG_INFO;
	rc = parse_all(&p);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* --- reading the result ---------------------------------------------------- */

int config_module_spec(const struct vm_config *vm, uint32_t i, char *name, size_t cap,
		       const char **spec)
{
	const char *s = vm->modules, *end = vm->modules + sizeof(vm->modules);

	if (spec)
		*spec = NULL;
	if (name && cap)
		name[0] = '\0';
	if (i >= vm->module_count || i >= CONFIG_MAX_MODULES)
		return -ENOENT;
	/* Bounded by the array whatever it holds: a zeroed or corrupt
	 * vm_config must not send the walk past its end. */
	for (uint32_t k = 0; k < i; k++) {
		s += strnlen(s, (size_t)(end - s)) + 1;
		if (s >= end)
			return -ENOENT;
	}
	size_t n = strnlen(s, (size_t)(end - s)), w = 0;
	if (n == (size_t)(end - s))
		return -ENOENT; /* no NUL: not what the parser stores */
	while (w < n && s[w] != ' ' && s[w] != '\t')
		w++;
	if (name) {
		if (w >= cap)
			return -E2BIG;
		memcpy(name, s, w);
		name[w] = '\0';
	}
	if (spec)
		*spec = s;
	return 0;
}
