#include "cmdline.h"
#include "div64.h"

#include <stddef.h>

#include "guest.h"
#include "string.h"

/* Calls match() on each word of the command line until it returns true;
 * returns that word (and its length in *len), or NULL. */
static const char *find_word(bool (*match)(const char *w, unsigned int n, const char *arg), const char *arg,
			     unsigned int *len)
{
	const char *s = boot_info.cmdline;

	while (*s) {
		unsigned int n = 0;

		while (*s == ' ')
			s++;
		while (s[n] && s[n] != ' ')
			n++;
		if (n && match(s, n, arg)) {
			*len = n;
			return s;
		}
		s += n;
	}
	return NULL;
}

static bool word_is(const char *w, unsigned int n, const char *flag)
{
	return n == strlen(flag) && memcmp(w, flag, n) == 0;
}

static bool word_has_key(const char *w, unsigned int n, const char *key)
{
	size_t k = strlen(key);

	return n > k && memcmp(w, key, k) == 0 && w[k] == '=';
}

bool cmdline_has(const char *flag)
{
	unsigned int n;

	return find_word(word_is, flag, &n) != NULL;
}

const char *cmdline_value(const char *key, unsigned int *len)
{
	unsigned int n, k = strlen(key) + 1;
	const char *w = find_word(word_has_key, key, &n);

	if (w == NULL)
		return NULL;
	*len = n - k;
	return w + k;
}

/* The value of a hex or decimal digit; anything else is above every base. */
static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

static bool parse_u64(const char *s, unsigned int len, uint32_t base, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (base == 10)
			base = 16;
		s += 2, len -= 2;
	}
	if (len == 0)
		return false;
	for (; len; s++, len--) {
		uint32_t d = (uint32_t)digit_value(*s);

		if (d >= base || v > udiv64(max - d, base, NULL))
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

static bool parse_uint(const char *s, unsigned int len, uint32_t base, uint32_t *out)
{
	uint64_t v;

	if (!parse_u64(s, len, base, UINT32_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool parse_hex64(const char *s, unsigned int len, uint64_t *out)
{
	return parse_u64(s, len, 16, UINT64_MAX, out);
}

bool cmdline_uint(const char *key, uint32_t *out)
{
	unsigned int len;
	const char *v = cmdline_value(key, &len);

	return v != NULL && parse_uint(v, len, 10, out);
}

bool cmdline_hex(const char *key, uint32_t *out)
{
	unsigned int len;
	const char *v = cmdline_value(key, &len);

	return v != NULL && parse_uint(v, len, 16, out);
}
