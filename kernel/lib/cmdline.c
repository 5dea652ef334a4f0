/*
 * Kernel command-line parsing. Pure: reads only the string it is given. A value may be
 * quoted as key="a b"; a quote anywhere else in a word makes the word malformed.
 */
#include <amphi/cmdline.h>
#include <amphi/errno.h>
#include <amphi/string.h>

/* True for the characters that separate words. */
static bool cmdline_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Moves *p past the rest of the current word. */
static void cmdline_skip_word(const char **p)
{
	while (**p && !cmdline_is_space(**p))
		(*p)++;
}

/* Parses a value after '=' at *p into out; returns 0 or -EINVAL. */
static int cmdline_parse_value(const char **p, struct cmdline_arg *out)
{
	const char *s = *p;

	if (*s == '"') {
		const char *close = strchr(s + 1, '"');
		if (!close) {
			*p = s + strlen(s);
			return -EINVAL;
		}
		out->value = s + 1;
		out->value_len = (size_t)(close - s - 1);
		*p = close + 1;
		if (**p && !cmdline_is_space(**p)) {
			cmdline_skip_word(p);
			return -EINVAL; /* text glued to the closing quote */
		}
		return 0;
	}
	out->value = s;
	while (**p && !cmdline_is_space(**p) && **p != '"')
		(*p)++;
	out->value_len = (size_t)(*p - s);
	if (**p == '"') {
		cmdline_skip_word(p);
		return -EINVAL;
	}
	return 0;
}

int cmdline_next(const char **cursor, struct cmdline_arg *out)
{
	const char *p = *cursor;

	if (!p)
		return 0;
	while (cmdline_is_space(*p))
		p++;
	if (!*p) {
		*cursor = p;
		return 0;
	}
	*out = (struct cmdline_arg){.key = p};
	while (*p && !cmdline_is_space(*p) && *p != '=' && *p != '"')
		p++;
	out->key_len = (size_t)(p - out->key);
	int err = 0;
	if (*p == '"' || out->key_len == 0) {
		cmdline_skip_word(&p); /* a quoted key or a word starting with '=' */
		err = -EINVAL;
	} else if (*p == '=') {
		p++;
		err = cmdline_parse_value(&p, out);
	}
	*cursor = p;
	return err ? err : 1;
}

/* True when arg's key is exactly key. */
static bool cmdline_key_is(const struct cmdline_arg *arg, const char *key)
{
	return strlen(key) == arg->key_len && strncmp(arg->key, key, arg->key_len) == 0;
}

int cmdline_get(const char *cmdline, const char *key, char *buf, size_t len)
{
	struct cmdline_arg arg, found = {0};
	bool seen = false;
	int r;

	if (len > 0)
		buf[0] = '\0';
	while ((r = cmdline_next(&cmdline, &arg)) > 0) {
		if (cmdline_key_is(&arg, key)) {
			found = arg;
			seen = true;
		}
	}
	if (r < 0)
		return r;
	if (!seen)
		return -ENOENT;
	if (found.value_len >= len || found.value_len > 0x7fffffff)
		return -ENAMETOOLONG;
	if (found.value_len)
		memcpy(buf, found.value, found.value_len);
	buf[found.value_len] = '\0';
	return (int)found.value_len;
}

bool cmdline_has(const char *cmdline, const char *key)
{
	struct cmdline_arg arg;
	int r;

	/* skip malformed words: a bad neighbour does not hide a good flag */
	while ((r = cmdline_next(&cmdline, &arg)) != 0)
		if (r > 0 && cmdline_key_is(&arg, key))
			return true;
	return false;
}

/* Shift of a size suffix letter (K=10 ... T=40), or -1 when c is not one. */
static int cmdline_suffix_shift(char c)
{
	switch (c) {
	case 'k':
	case 'K':
		return 10;
	case 'm':
	case 'M':
		return 20;
	case 'g':
	case 'G':
		return 30;
	case 't':
	case 'T':
		return 40;
	default:
		return -1;
	}
}

/* Value of a digit in base, or -1. */
static int cmdline_digit(char c, unsigned base)
{
	int v = -1;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	return v >= 0 && (unsigned)v < base ? v : -1;
}

int cmdline_parse_size(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	bool overflow = false;
	int d, shift = 0;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && cmdline_digit(s[2], 16) >= 0) {
		base = 16;
		s += 2;
	}
	if (cmdline_digit(*s, base) < 0)
		return -EINVAL;
	for (; (d = cmdline_digit(*s, base)) >= 0; s++) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			overflow = true;
		v = v * base + (uint64_t)d;
	}
	if (cmdline_suffix_shift(*s) >= 0) {
		shift = cmdline_suffix_shift(*s++);
		if (*s == 'i' && (s[1] == 'B' || s[1] == 'b'))
			s++; /* "KiB" */
	}
	if (*s == 'B' || *s == 'b')
		s++;
	if (*s)
		return -EINVAL;
	if (overflow || (shift && v > (UINT64_MAX >> shift)))
		return -ERANGE;
	*out = v << shift;
	return 0;
}
