#include "printf.h"

#include <stdbool.h>
#include <stdint.h>

#include "div64.h"
#include "serial.h"

struct out {
	int count;
};

static void put(struct out *o, char c)
{
	serial_putc(c);
	o->count++;
}

static void put_str(struct out *o, const char *s, int width)
{
	int len = 0;

	if (s == 0)
		s = "(null)";
	while (s[len])
		len++;
	for (; width > len; width--)
		put(o, ' ');
	while (*s)
		put(o, *s++);
}

static void put_num(struct out *o, uint64_t v, uint32_t base, bool negative, int width, char pad)
{
	char digits[24]; /* 2^64 has 20 decimal digits, plus the sign */
	int n = 0;

	do {
		uint32_t r;
		v = udiv64(v, base, &r);
		digits[n++] = "0123456789abcdef"[r];
	} while (v);
	if (negative && pad == '0')
		put(o, '-');
	for (width -= n + (negative ? 1 : 0); width > 0; width--)
		put(o, pad);
	if (negative && pad != '0')
		put(o, '-');
	while (n)
		put(o, digits[--n]);
}

/* Reads the argument for one integer conversion, widened to 64 bits. */
static uint64_t int_arg(va_list *ap, int longs, bool is_signed, bool *negative)
{
	int64_t s;

	*negative = false;
	if (!is_signed)
		return longs >= 2 ? va_arg(*ap, unsigned long long)
		       : longs == 1 ? va_arg(*ap, unsigned long)
				    : va_arg(*ap, unsigned int);
	s = longs >= 2 ? va_arg(*ap, long long) : longs == 1 ? va_arg(*ap, long) : va_arg(*ap, int);
	if (s < 0) {
		*negative = true;
		return (uint64_t)0 - (uint64_t)s;
	}
	return (uint64_t)s;
}

int vprintf(const char *fmt, va_list ap)
{
	struct out o = { 0 };
	va_list args;

	va_copy(args, ap);
	for (; *fmt; fmt++) {
		char pad = ' ';
		int width = 0, longs = 0;
		bool negative;
		uint64_t v;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			longs++, fmt++;
		switch (*fmt) {
		case 'd':
			v = int_arg(&args, longs, true, &negative);
			put_num(&o, v, 10, negative, width, pad);
			break;
		case 'u':
		case 'x':
			v = int_arg(&args, longs, false, &negative);
			put_num(&o, v, *fmt == 'u' ? 10 : 16, false, width, pad);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (uintptr_t)va_arg(args, void *), 16, false, 8, '0');
			break;
		case 's':
			put_str(&o, va_arg(args, const char *), width);
			break;
		case 'c':
			put(&o, (char)va_arg(args, int));
			break;
		case '\0':
			fmt--; /* a lone '%' at the end: stop at the terminator */
			break;
		default:
			put(&o, *fmt);
			break;
		}
	}
	va_end(args);
	return o.count;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
