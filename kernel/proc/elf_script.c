/*
 * "#!" scripts, read the way Linux's binfmt_script reads them: the first
 * ELF_SCRIPT_LINE_MAX bytes of the file (zeros past its end) hold the line, and what does
 * not fit is cut off, except that a cut through the interpreter's name refuses the script.
 */
#include <amphi/elf.h>
#include <amphi/errno.h>
#include <amphi/string.h>

/* True for the bytes that separate words on a #! line. */
static bool script_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Index of the first byte in [from, to) of s that is not blank, or to. */
static size_t script_skip_blank(const char *s, size_t from, size_t to)
{
	while (from < to && script_blank(s[from]))
		from++;
	return from;
}

/* Index of the first blank or NUL in [from, to) of s, or to. */
static size_t script_word_end(const char *s, size_t from, size_t to)
{
	while (from < to && s[from] && !script_blank(s[from]))
		from++;
	return from;
}

/* Where the #! line in buf ends: its newline, or without one the last byte of buf (when the
 * interpreter's name ends before it). Returns 0, or -ENOEXEC. */
static int script_line_end(const char *buf, size_t *end)
{
	const char *nl = memchr(buf, '\n', ELF_SCRIPT_LINE_MAX);
	if (nl) {
		*end = (size_t)(nl - buf);
		return 0;
	}
	size_t name = script_skip_blank(buf, 2, ELF_SCRIPT_LINE_MAX);
	if (name == ELF_SCRIPT_LINE_MAX ||
	    script_word_end(buf, name, ELF_SCRIPT_LINE_MAX) == ELF_SCRIPT_LINE_MAX)
		return -ENOEXEC;
	*end = ELF_SCRIPT_LINE_MAX - 1;
	return 0;
}

/* Copies the len bytes at src into dst of cap bytes, NUL-terminated; -ENAMETOOLONG when
 * they do not fit. */
static int script_copy(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		return -ENAMETOOLONG;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

int elf_script_parse(const void *image, size_t size, char *interp, size_t interp_cap, char *arg,
		     size_t arg_cap)
{
	char buf[ELF_SCRIPT_LINE_MAX] = {0};
	size_t end, name, sep, start = 0, len = 0;

	if (size < 2)
		return -ENOEXEC;
	memcpy(buf, image, MIN(size, sizeof(buf)));
	if (buf[0] != '#' || buf[1] != '!' || script_line_end(buf, &end))
		return -ENOEXEC;
	while (script_blank(buf[end - 1])) /* stops at the '!' */
		end--;
	name = script_skip_blank(buf, 2, end);
	sep = script_word_end(buf, name, end);
	if (sep == name)
		return -ENOEXEC;
	if (sep < end && buf[sep]) { /* a NUL ends the line */
		start = script_skip_blank(buf, sep, end);
		len = strnlen(buf + start, end - start);
	}
	int err = script_copy(interp, interp_cap, buf + name, sep - name);
	return err ? err : script_copy(arg, arg_cap, buf + start, len);
}
