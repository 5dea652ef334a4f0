/*
 * The command-line target: each input is a kernel command line (a NUL-terminated copy of
 * at most FUZZ_CMDLINE_MAX bytes in the kernel's heap), read in the served process's
 * kernel context as boot reads it: split at "--" (init_args_split), every word walked
 * (cmdline_next), every key the kernel knows looked up (cmdline_has, cmdline_get with the
 * buffer sizes its callers use), the first program and its arguments taken
 * (init_args_get). What the parser returns is checked against the line itself (words
 * inside it, the cursor always moving on) and every value cmdline_parse_size accepts
 * against the host C library's strtoull; a disagreement aborts.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amphi/cmdline.h>
#include <amphi/init_args.h>
#include <amphi/mm.h>
#include <amphi/plat.h>

#include "fuzz_machine.h"

#define FUZZ_CMDLINE_MAX 4096
#define FUZZ_SIZES_MAX 32 /* values whose size parse is checked */
#define FUZZ_SIZE_TEXT 40 /* longest value checked, with its NUL */

/* The keys kernel code looks up (kernel/init, kernel/fs, kernel/mm, kernel/sync,
 * kernel/proc, devices/virtio) and the buffer sizes its cmdline_get calls use. */
static const char *const fuzz_cmdline_keys[] = {
    "quiet", "ktest", "hostcalls", "root",	    "rootfstype", "rw",
    "ro",    "init",  "rdinit",	   "tlb_shootdown", "lockdep",	  "virtio_mmio.device",
};
static const size_t fuzz_cmdline_lens[] = {1, 8, 16, 40, 64, 256};

/* One value given to cmdline_parse_size and what it said. */
struct fuzz_size_parse {
	char text[FUZZ_SIZE_TEXT];
	int err;
	uint64_t value;
};

/* The input, and what the kernel side found. */
struct fuzz_cmdline_run {
	const uint8_t *data;
	size_t size;
	const char *broken; /* the invariant the parser broke, or NULL */
	struct fuzz_size_parse sizes[FUZZ_SIZES_MAX];
	unsigned nsizes;
};

/* Notes that the parser broke invariant what (the first one is kept). */
static void fuzz_cmdline_broken(struct fuzz_cmdline_run *run, const char *what)
{
	if (!run->broken)
		run->broken = what;
}

/* True when [p, p + n) lies inside the line [line, end]. */
static bool fuzz_cmdline_inside(const char *line, const char *end, const char *p, size_t n)
{
	return p >= line && p <= end && n <= (size_t)(end - p);
}

/* Keeps value [v, v + n) to check its size parse on the host. */
static void fuzz_cmdline_size(struct fuzz_cmdline_run *run, const char *v, size_t n)
{
	if (run->nsizes == FUZZ_SIZES_MAX || n >= FUZZ_SIZE_TEXT)
		return;
	struct fuzz_size_parse *s = &run->sizes[run->nsizes++];
	memcpy(s->text, v, n);
	s->text[n] = '\0';
	s->err = cmdline_parse_size(s->text, &s->value);
}

/* Walks every word of line with cmdline_next, checking what it returns. */
static void fuzz_cmdline_words(struct fuzz_cmdline_run *run, const char *line)
{
	const char *end = line + strlen(line), *cursor = line;
	struct cmdline_arg arg;
	int got;

	while ((got = cmdline_next(&cursor, &arg)) != 0) {
		if (cursor < line || cursor > end)
			return fuzz_cmdline_broken(run, "cmdline_next: cursor left the line");
		if (got < 0 && got != -EINVAL)
			return fuzz_cmdline_broken(run,
						   "cmdline_next: an error other than -EINVAL");
		if (got < 0)
			continue;
		if (!arg.key_len || !fuzz_cmdline_inside(line, cursor, arg.key, arg.key_len))
			return fuzz_cmdline_broken(run, "cmdline_next: key outside the word read");
		if (memchr(arg.key, '=', arg.key_len) || memchr(arg.key, ' ', arg.key_len))
			return fuzz_cmdline_broken(run, "cmdline_next: '=' or ' ' in a key");
		if (arg.value && !fuzz_cmdline_inside(line, cursor, arg.value, arg.value_len))
			return fuzz_cmdline_broken(run,
						   "cmdline_next: value outside the word read");
		if (arg.value && memchr(arg.value, '"', arg.value_len))
			return fuzz_cmdline_broken(run, "cmdline_next: a quote in a value");
		if (arg.value)
			fuzz_cmdline_size(run, arg.value, arg.value_len);
	}
	if (*cursor)
		fuzz_cmdline_broken(run, "cmdline_next: 0 before the end of the line");
}

/* Looks up every key the kernel knows, with each buffer size, as its callers do. */
static void fuzz_cmdline_keys_lookup(struct fuzz_cmdline_run *run, const char *line)
{
	char buf[256];

	for (size_t k = 0; k < ARRAY_SIZE(fuzz_cmdline_keys); k++) {
		bool has = cmdline_has(line, fuzz_cmdline_keys[k]);
		for (size_t i = 0; i < ARRAY_SIZE(fuzz_cmdline_lens); i++) {
			size_t len = fuzz_cmdline_lens[i];
			int n = cmdline_get(line, fuzz_cmdline_keys[k], buf, len);
			if (n >= 0 && ((size_t)n >= len || strlen(buf) != (size_t)n))
				return fuzz_cmdline_broken(run,
							   "cmdline_get: length not the copy's");
			if (n >= 0 && !has)
				return fuzz_cmdline_broken(run,
							   "cmdline_get found what has did not");
			if (n == -ENOENT && has) /* -ENOENT only for a well-formed line */
				return fuzz_cmdline_broken(run,
							   "cmdline_has found what get did not");
		}
	}
}

/* The first program as boot takes it from the command line; its argv is checked. */
static void fuzz_cmdline_init(struct fuzz_cmdline_run *run, const struct boot_info *info)
{
	struct init_program prog = {.path = ""};

	if (init_args_get(info, &prog) != 0)
		return;
	int n = 0;
	while (n < INIT_ARGV_MAX && prog.argv[n])
		n++;
	if (n == 0 || n == INIT_ARGV_MAX || strcmp(prog.argv[0], prog.path) != 0)
		fuzz_cmdline_broken(run,
				    "init_args_get: argv not NULL-terminated or argv[0] wrong");
	init_args_put(&prog);
}

/* The kernel side: the line read as boot reads it. */
static long fuzz_cmdline_boot(void *arg)
{
	struct fuzz_cmdline_run *run = arg;
	char *line = kmalloc(run->size + 1);

	if (!line)
		return -ENOMEM;
	memcpy(line, run->data, run->size);
	line[run->size] = '\0';
	struct boot_info *info = kzalloc(sizeof(*info));
	if (info) {
		info->cmdline = line;
		init_args_split(info);
		fuzz_cmdline_words(run, info->cmdline);
		fuzz_cmdline_words(run, info->init_args);
		fuzz_cmdline_keys_lookup(run, info->cmdline);
		fuzz_cmdline_init(run, info);
		kfree(info);
	}
	kfree(line);
	return 0;
}

/* The host's reading of size text s: 0 with *out, -EINVAL or -ERANGE. Digits in base 10,
 * or 16 after 0x; then K, M, G or T (powers of 1024), optionally followed by "iB" or "B". */
static int fuzz_host_size(const char *s, uint64_t *out)
{
	const char *set = "0123456789", *digits = s;
	char run[FUZZ_SIZE_TEXT];
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isxdigit((unsigned char)s[2]))
		set = "0123456789abcdefABCDEF", base = 16, digits = s + 2;
	size_t n = strspn(digits, set); /* strtoull alone would take a sign, spaces, 0x0x */
	if (n == 0)
		return -EINVAL;
	memcpy(run, digits, n);
	run[n] = '\0';
	const char *rest = digits + n;
	errno = 0;
	unsigned long long v = strtoull(run, NULL, base);
	bool overflow = errno == ERANGE;
	const char *suffixes = "KMGT", *at = *rest ? strchr(suffixes, toupper(*rest)) : NULL;
	unsigned shift = at ? 10 * (unsigned)(at - suffixes + 1) : 0;
	if (at)
		rest += (rest[1] == 'i' && (rest[2] == 'B' || rest[2] == 'b')) ? 2 : 1;
	if (*rest == 'B' || *rest == 'b')
		rest++;
	if (*rest)
		return -EINVAL;
	if (overflow || (shift && v > (UINT64_MAX >> shift)))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

/* Aborts when a size parse of the kernel disagrees with the host's. */
static void fuzz_cmdline_check_sizes(const struct fuzz_cmdline_run *run)
{
	for (unsigned i = 0; i < run->nsizes; i++) {
		const struct fuzz_size_parse *s = &run->sizes[i];
		uint64_t v = 0;
		int err = fuzz_host_size(s->text, &v);
		if (err == s->err && (err || v == s->value))
			continue;
		fprintf(stderr,
			"fuzz-cmdline: cmdline_parse_size(\"%s\"): kernel %d %llu, host %d %llu\n",
			s->text, s->err, (unsigned long long)s->value, err, (unsigned long long)v);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return fuzz_machine_start(true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_cmdline_run run;

	if (size > FUZZ_CMDLINE_MAX)
		return -1; /* longer than any boot loader passes: not kept in the corpus */
	run = (struct fuzz_cmdline_run){.data = data, .size = size};
	long err = fuzz_machine_kcall(fuzz_cmdline_boot, &run);
	fuzz_machine_reset();
	if (err == -ENOMEM)
		return 0;
	if (run.broken) {
		fprintf(stderr, "fuzz-cmdline: %s\n", run.broken);
		abort();
	}
	fuzz_cmdline_check_sizes(&run);
	return 0;
}
