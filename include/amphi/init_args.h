/* init_args.h: the first program the boot data names and its arguments.
 *
 * The Linux way, on the kernel command line: "rdinit=PATH" (or "init=PATH") names the
 * program in the initial RAM disk, and the words after a lone "--" are its arguments
 * (argv[0] is PATH); a word in double quotes keeps its spaces. Beyond Linux, \" and \\
 * stand for a quote and a backslash (any other backslash is itself), so any argument can
 * be passed; the environment is the kernel's default. The hosted machine's way, in the
 * device tree: /chosen "amphi,exec-path" and the string lists "amphi,exec-argv" and
 * "amphi,exec-envp" (the default environment without it). The command line wins when both
 * name a program. */
#pragma once

#include <amphi/types.h>

struct boot_info;

#define INIT_ARGV_MAX 256 /* words after "--" on the command line, argv[0] included */

/* What the boot data says to run first. */
struct init_program {
	const char *path;
	const char **argv; /* NULL-terminated */
	const char **envp; /* NULL-terminated */
	bool lists_allocated; /* argv and envp are init_args_get's kmalloc'd arrays */
};

/* Splits info->cmdline at its first lone "--" word: the kernel's own words stay in
 * info->cmdline (a copy), the rest goes to info->init_args. Called once, after plat_init;
 * a command line too long to copy is left whole, with a message. */
void init_args_split(struct boot_info *info);

/* Splits s in place into words as above, after the n entries argv holds already, and
 * NULL-terminates argv (max entries at most). Returns the new count, -E2BIG when they do
 * not fit, -EINVAL for an open quote. */
int init_args_words(char *s, const char **argv, int n, int max);

/* Fills prog with path (copied) as the program, the command line's words after "--" as
 * its arguments and the default environment: 0, -E2BIG, -EINVAL (an open quote). */
int init_args_for_path(const struct boot_info *info, const char *path,
		       struct init_program *prog);

/* Frees what init_args_get allocated for prog (not the strings, which are the boot data's). */
void init_args_put(struct init_program *prog);

/* Fills prog with the first program the boot data names. Returns 0; -ENOENT when it names
 * none; -EINVAL for malformed arguments, an empty path or no argv[0]; -E2BIG when they do
 * not fit. The strings stay valid: they are the boot data's or this module's own (one
 * caller, once). */
int init_args_get(const struct boot_info *info, struct init_program *prog);
