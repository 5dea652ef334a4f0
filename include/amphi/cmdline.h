/*
 * Kernel command line: space-separated words "key", "key=value" or key="value with spaces".
 * Keys are matched exactly; when a key appears more than once the last one wins.
 * Everything here is pure: it reads the string it is given and allocates nothing.
 */
#pragma once

#include <amphi/types.h>

/* One parsed word. key/value point into the command line and are not NUL-terminated. */
struct cmdline_arg {
	const char *key;
	size_t key_len;
	const char *value; /* NULL for a bare "key" */
	size_t value_len;
};

/* Parses the next word at *cursor and advances it. Returns 1 when *out was filled, 0 at
 * the end, -EINVAL for an unterminated quote (the cursor then moves to the end). */
int cmdline_next(const char **cursor, struct cmdline_arg *out);

/* Copies the value of the last "key=value" into buf (NUL-terminated). Returns the value
 * length (0 for a bare "key"), -ENOENT when key is absent, -EINVAL on a malformed line,
 * -ENAMETOOLONG when the value does not fit in len bytes (buf is left empty). */
int cmdline_get(const char *cmdline, const char *key, char *buf, size_t len);

/* True when key appears, bare or with a value. */
bool cmdline_has(const char *cmdline, const char *key);

/* Parses an unsigned size with an optional K, M, G or T suffix (powers of 1024, either
 * case, optional trailing B/iB). Returns 0 or -EINVAL for a malformed string, -ERANGE
 * when it does not fit in 64 bits. */
int cmdline_parse_size(const char *s, uint64_t *out);
