/*
 * The first program and its arguments, from the kernel command line (rdinit=, init=, the
 * words after "--", as Linux takes them) or the hosted machine's /chosen properties.
 */
#include <amphi/cmdline.h>
#include <amphi/errno.h>
#include <amphi/fdt.h>
#include <amphi/init_args.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/string.h>

#define INIT_CMDLINE_MAX 4096
#define INIT_PATH_MAX 256

static char init_kernel_words[INIT_CMDLINE_MAX]; /* the kernel's part of the command line */
static char init_tail[INIT_CMDLINE_MAX];	 /* init's words, split in place */
static char init_path[INIT_PATH_MAX];

void init_args_split(struct boot_info *info)
{
	const char *cursor = info->cmdline;
	struct cmdline_arg arg;
	int got;

	info->init_args = "";
	while ((got = cmdline_next(&cursor, &arg)) != 0) {
		if (got == 1 && arg.key_len == 2 && !arg.value && memcmp(arg.key, "--", 2) == 0)
			break;
	}
	if (!got)
		return; /* no "--" */
	size_t len = (size_t)(arg.key - info->cmdline);
	if (len >= sizeof(init_kernel_words)) {
		kprintf("amphi: command line of %zu bytes is too long to split at \"--\"\n",
			strlen(info->cmdline));
		return;
	}
	memcpy(init_kernel_words, info->cmdline, len);
	init_kernel_words[len] = '\0';
	info->init_args = cursor;
	info->cmdline = init_kernel_words;
}

/* True for the characters that separate words. */
static bool init_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int init_args_words(char *s, const char **argv, int n, int max)
{
	while (*s) {
		if (init_is_space(*s)) {
			s++;
			continue;
		}
		if (n >= max - 1)
			return -E2BIG;
		char *w = s;
		bool quoted = false;
		argv[n++] = w;
		while (*s && (quoted || !init_is_space(*s))) {
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++; /* an escaped quote or backslash stands for itself */
			else if (*s == '"') {
				quoted = !quoted;
				s++;
				continue;
			}
			*w++ = *s++;
		}
		if (quoted)
			return -EINVAL;
		if (*s)
			s++; /* past the separator before it may be overwritten */
		*w = '\0';
	}
	argv[n] = NULL;
	return n;
}

/* The kernel's environment for a first program the boot data gives none. */
static const char *init_default_env[] = {"HOME=/", "TERM=linux",
					 "PATH=/bin:/sbin:/usr/bin:/usr/sbin", NULL};

static void init_default_envp(struct init_program *prog)
{
	prog->envp = init_default_env;
}

int init_args_for_path(const struct boot_info *info, const char *path,
		       struct init_program *prog)
{
	static const char *argv[INIT_ARGV_MAX];

	if (strlen(info->init_args) >= sizeof(init_tail))
		return -E2BIG;
	if (path != init_path)
		kstrlcpy(init_path, path, sizeof(init_path));
	kstrlcpy(init_tail, info->init_args, sizeof(init_tail));
	prog->path = init_path;
	prog->argv = argv;
	prog->lists_allocated = false;
	prog->argv[0] = init_path;
	int n = init_args_words(init_tail, prog->argv, 1, INIT_ARGV_MAX);
	if (n < 0)
		return n;
	init_default_envp(prog);
	return 0;
}

/* The program and argv named on the command line; -ENOENT when none is. */
static int init_args_cmdline(const struct boot_info *info, struct init_program *prog)
{
	int len = cmdline_get(info->cmdline, "rdinit", init_path, sizeof(init_path));

	if (len == -ENOENT)
		len = cmdline_get(info->cmdline, "init", init_path, sizeof(init_path));
	if (len < 0)
		return len == -ENAMETOOLONG ? -EINVAL : len;
	if (len == 0)
		return -EINVAL;
	return init_args_for_path(info, init_path, prog);
}

/* The string list [list, list + len) as a NULL-terminated array in *v (kmalloc'd).
 * Returns the count, -EINVAL when the list does not end in a NUL, -ENOMEM. */
static int init_split_list(const char *list, uint32_t len, const char ***v)
{
	int n = 0;

	if (len > 0 && list[len - 1] != '\0')
		return -EINVAL;
	for (uint32_t at = 0; at < len; at++)
		n += list[at] == '\0';
	*v = kmalloc(((size_t)n + 1) * sizeof(**v));
	if (!*v)
		return -ENOMEM;
	n = 0;
	for (uint32_t at = 0; at < len; at += (uint32_t)strlen(list + at) + 1)
		(*v)[n++] = list + at;
	(*v)[n] = NULL;
	return n;
}

/* The program, argv and environment named by /chosen; -ENOENT when none is. */
static int init_args_fdt(const struct boot_info *info, struct init_program *prog)
{
	struct fdt f;
	const void *val;
	uint32_t len;

	if (!info->fdt || fdt_open(&f, info->fdt, 1 << 20) < 0)
		return -ENOENT;
	int chosen = fdt_path_offset(&f, "/chosen");
	int err = chosen < 0 ? -ENOENT : fdt_get_string(&f, chosen, "amphi,exec-path", &prog->path);
	if (!err)
		err = fdt_get_prop(&f, chosen, "amphi,exec-argv", &val, &len);
	if (err || (err = init_split_list(val, len, &prog->argv)) < 0)
		return err;
	prog->lists_allocated = true;
	init_default_envp(prog);
	if (err == 0)
		err = -EINVAL; /* no argv[0] */
	else if (fdt_get_prop(&f, chosen, "amphi,exec-envp", &val, &len) == 0)
		err = init_split_list(val, len, &prog->envp);
	if (err < 0) {
		kfree(prog->argv);
		prog->lists_allocated = false;
		return err;
	}
	return 0;
}

void init_args_put(struct init_program *prog)
{
	if (!prog->lists_allocated)
		return;
	kfree(prog->argv);
	if (prog->envp != init_default_env)
		kfree(prog->envp);
	prog->lists_allocated = false;
}

int init_args_get(const struct boot_info *info, struct init_program *prog)
{
	int err = init_args_cmdline(info, prog);

	return err != -ENOENT ? err : init_args_fdt(info, prog);
}
