/* printf-style formatter (C99 7.19.6.1 semantics for the supported subset).
 * No floating point: the hypervisor is built without SSE. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/format.h"

#define FMT_INT_MAX 0x7fffffff /* INT_MAX without <limits.h> */

/* Output sink: counts every byte, stores those that fit before the NUL. */
struct sink {
	char *buf;
	size_t size;
	size_t len;
};

static void put_chars(struct sink *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->len++)
		if (o->len + 1 < o->size)
			o->buf[o->len] = s[i];
}

/* Pads without looping over bytes that cannot be stored (widths can be huge). */
static void put_repeat(struct sink *o, char c, size_t n)
{
	size_t room = o->len + 1 < o->size ? o->size - 1 - o->len : 0;
	size_t store = n < room ? n : room;

	for (size_t i = 0; i < store; i++)
		o->buf[o->len + i] = c;
	o->len += n;
}

enum length {
	LEN_NONE,
	LEN_HH,
	LEN_H,
	LEN_L,
	LEN_LL,
	LEN_Z,
	LEN_T,
	LEN_J,
};

struct spec {
	bool left, zero, plus, space, alt;
	bool width_star, prec_star;
	int width;
	int prec; /* -1: none given */
	enum length len;
	char conv;
};

/* Reads decimal digits; false if the value exceeds INT_MAX. */
static bool parse_num(const char **p, int *out)
{
	int64_t v = 0;

	while (**p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		if (v > FMT_INT_MAX)
			return false;
		(*p)++;
	}
	*out = (int)v;
	return true;
}

static void parse_flags(const char **p, struct spec *s)
{
	for (;; (*p)++) {
		switch (**p) {
		case '-': s->left = true; break;
		case '0': s->zero = true; break;
		case '+': s->plus = true; break;
		case ' ': s->space = true; break;
		case '#': s->alt = true; break;
		default: return;
		}
	}
}

static enum length parse_length(const char **p)
{
	const char *c = *p;
	enum length len = LEN_NONE;

	switch (c[0]) {
	case 'h': len = c[1] == 'h' ? LEN_HH : LEN_H; break;
	case 'l': len = c[1] == 'l' ? LEN_LL : LEN_L; break;
	case 'z': len = LEN_Z; break;
	case 't': len = LEN_T; break;
	case 'j': len = LEN_J; break;
	default: return LEN_NONE;
	}
	*p += (len == LEN_HH || len == LEN_LL) ? 2 : 1;
	return len;
}

static bool conv_supported(const struct spec *s)
{
	switch (s->conv) {
	case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
		return true;
	case 'c': case 's': case 'p': case '%':
		return s->len == LEN_NONE; /* no wide characters */
	default:
		return false;
	}
}

/* Parses one conversion after its '%'; *p ends past the conversion
 * character. False if it is not one we support (nothing consumed from ap). */
static bool parse_spec(const char **p, struct spec *s)
{
	*s = (struct spec){ .prec = -1 };
	parse_flags(p, s);
	if (**p == '*') {
		s->width_star = true;
		(*p)++;
	} else if (!parse_num(p, &s->width)) {
		return false;
	}
	if (**p == '.') {
		(*p)++;
		if (**p == '*') {
			s->prec_star = true;
			(*p)++;
		} else if (!parse_num(p, &s->prec)) {
			return false;
		}
	}
	s->len = parse_length(p);
	s->conv = **p;
	if (s->conv == '\0')
		return false;
	(*p)++;
	return conv_supported(s);
}

/* '*' arguments come before the converted value (C99 7.19.6.1p5). */
static void fetch_stars(struct spec *s, va_list *ap)
{
	if (s->width_star) {
		int w = va_arg(*ap, int);
		if (w < 0) {
			s->left = true;
			w = w == -FMT_INT_MAX - 1 ? FMT_INT_MAX : -w;
		}
		s->width = w;
	}
	if (s->prec_star) {
		int pr = va_arg(*ap, int);
		s->prec = pr < 0 ? -1 : pr; /* negative: as if omitted */
	}
}

static uint64_t fetch_unsigned(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H: return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L: return va_arg(*ap, unsigned long);
	case LEN_LL: return va_arg(*ap, unsigned long long);
	case LEN_Z: return va_arg(*ap, size_t);
	case LEN_T: return (uint64_t)va_arg(*ap, ptrdiff_t);
	case LEN_J: return va_arg(*ap, uintmax_t);
	default: return va_arg(*ap, unsigned int);
	}
}

static int64_t fetch_signed(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_HH: return (signed char)va_arg(*ap, int);
	case LEN_H: return (short)va_arg(*ap, int);
	case LEN_L: return va_arg(*ap, long);
	case LEN_LL: return va_arg(*ap, long long);
	case LEN_Z: return (int64_t)va_arg(*ap, size_t);
	case LEN_T: return va_arg(*ap, ptrdiff_t);
	case LEN_J: return va_arg(*ap, intmax_t);
	default: return va_arg(*ap, int);
	}
}

static void put_padded(struct sink *o, const struct spec *s, const char *str, size_t n)
{
	size_t pad = s->width > 0 && (size_t)s->width > n ? (size_t)s->width - n : 0;

	if (!s->left)
		put_repeat(o, ' ', pad);
	put_chars(o, str, n);
	if (s->left)
		put_repeat(o, ' ', pad);
}

/* Prints a magnitude with its prefix ("-", "+", " ", "0x"), honouring
 * precision (minimum digits) and the '0' flag (ignored with a precision). */
static void put_integer(struct sink *o, const struct spec *s, uint64_t mag,
			const char *prefix)
{
	const char *digits = s->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned int base = s->conv == 'o' ? 8 : (s->conv == 'x' || s->conv == 'X' ||
						  s->conv == 'p') ? 16 : 10;
	char tmp[24]; /* 2^64 in octal has 22 digits */
	size_t ndig = 0;

	/* Precision 0 and value 0 print no digits (C99 7.19.6.1p8). */
	if (mag != 0 || s->prec != 0) {
		do {
			tmp[sizeof(tmp) - 1 - ndig++] = digits[mag % base];
			mag /= base;
		} while (mag);
	}
	const char *num = tmp + sizeof(tmp) - ndig;
	size_t zeros = s->prec > 0 && (size_t)s->prec > ndig ? (size_t)s->prec - ndig : 0;

	/* '#' with 'o': the first digit must be a 0. */
	if (s->conv == 'o' && s->alt && zeros == 0 && (ndig == 0 || num[0] != '0'))
		zeros = 1;

	size_t plen = 0;
	while (prefix[plen])
		plen++;
	size_t total = plen + zeros + ndig;
	size_t pad = s->width > 0 && (size_t)s->width > total ? (size_t)s->width - total : 0;

	if (s->zero && !s->left && s->prec < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!s->left)
		put_repeat(o, ' ', pad);
	put_chars(o, prefix, plen);
	put_repeat(o, '0', zeros);
	put_chars(o, num, ndig);
	if (s->left)
		put_repeat(o, ' ', pad);
}

static void convert(struct sink *o, struct spec *s, va_list *ap)
{
	switch (s->conv) {
	case 'd':
	case 'i': {
		int64_t v = fetch_signed(s->len, ap);
		uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
		put_integer(o, s, mag, v < 0 ? "-" : s->plus ? "+" : s->space ? " " : "");
		break;
	}
	case 'u':
	case 'o':
		put_integer(o, s, fetch_unsigned(s->len, ap), "");
		break;
	case 'x':
	case 'X': {
		uint64_t v = fetch_unsigned(s->len, ap);
		put_integer(o, s, v, s->alt && v ? (s->conv == 'x' ? "0x" : "0X") : "");
		break;
	}
	case 'p': {
		uint64_t v = (uint64_t)(uintptr_t)va_arg(*ap, void *);
		s->prec = 16;
		put_integer(o, s, v, "0x");
		break;
	}
	case 'c': {
		char c = (char)va_arg(*ap, int);
		put_padded(o, s, &c, 1);
		break;
	}
	case 's': {
		const char *str = va_arg(*ap, const char *);
		if (!str)
			str = s->prec < 0 || s->prec >= 6 ? "(null)" : "";
		size_t n = 0;
		/* Never read past the precision: the string need not end there. */
		while ((s->prec < 0 || n < (size_t)s->prec) && str[n])
			n++;
		put_padded(o, s, str, n);
		break;
	}
	default: /* '%' */
		put_chars(o, "%", 1);
		break;
	}
}

int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct sink o = { .buf = buf, .size = buf ? size : 0 };
	va_list ap;

	/* A copy so helpers can take its address portably (va_list may be an
	 * array type that decays when passed as a parameter). */
	va_copy(ap, ap_in);
	while (*fmt) {
		if (*fmt != '%') {
			const char *run = fmt;
			while (*fmt && *fmt != '%')
				fmt++;
			put_chars(&o, run, (size_t)(fmt - run));
			continue;
		}
		const char *start = fmt++;
		struct spec s;
		if (parse_spec(&fmt, &s)) {
			fetch_stars(&s, &ap);
			convert(&o, &s, &ap);
		} else {
			/* Unsupported: show it as written so the mistake is visible. */
			put_chars(&o, start, (size_t)(fmt - start));
		}
	}
	va_end(ap);
	if (o.size > 0)
		o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
	return o.len > FMT_INT_MAX ? -1 : (int)o.len;
}

int hv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = hv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
