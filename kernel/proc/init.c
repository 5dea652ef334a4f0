/*
 * The first user process. Its program is found in the root file system, which holds the
 * initial RAM disk (vfs_init): the hosted machine's `exec` command packs the host program
 * there, names its path in /chosen "amphi,exec-path", its argv in "amphi,exec-argv" and its
 * environment in "amphi,exec-envp" (string lists). Its descriptors 0, 1 and 2 are the
 * console.
 * The machine powers off when the process ends, with its status in the shell's terms.
 */
#include <amphi/errno.h>
#include <amphi/fdt.h>
#include <amphi/fs.h>
#include <amphi/kprintf.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#define INIT_ARGV_MAX 256

#define INIT_ENVP_MAX 1024

/* What the boot data says to run first. */
struct init_program {
	const char *path;
	const char *argv[INIT_ARGV_MAX];
	const char *envp[INIT_ENVP_MAX];
};

/* Splits the string list [list, list + len) into v (NULL-terminated, at most max - 1
 * entries). Returns the count, or -EINVAL when the list does not end in a NUL. */
static int init_split_list(const char *list, uint32_t len, const char **v, int max)
{
	int n = 0;

	if (len > 0 && list[len - 1] != '\0')
		return -EINVAL;
	for (uint32_t at = 0; at < len && n < max - 1; at += (uint32_t)strlen(list + at) + 1)
		v[n++] = list + at;
	v[n] = NULL;
	return n;
}

/* Fills prog with the path, argv and environment the boot data names for the first
 * process (a default environment when it gives none). Returns 0, -ENOENT when it names
 * no program, -EINVAL for a malformed list. */
static int init_program(const struct boot_info *info, struct init_program *prog)
{
	static const char *const default_envp[] = {"HOME=/", "TERM=linux",
						   "PATH=/bin:/sbin:/usr/bin:/usr/sbin"};
	struct fdt f;
	const void *val;
	uint32_t len;

	if (!info->fdt || fdt_open(&f, info->fdt, 1 << 20) < 0)
		return -ENOENT;
	int chosen = fdt_path_offset(&f, "/chosen");
	int err = chosen < 0 ? -ENOENT : fdt_get_string(&f, chosen, "amphi,exec-path", &prog->path);
	if (!err)
		err = fdt_get_prop(&f, chosen, "amphi,exec-argv", &val, &len);
	if (err || (err = init_split_list(val, len, prog->argv, INIT_ARGV_MAX)) < 0)
		return err;
	if (err == 0)
		return -EINVAL; /* no argv[0] */
	if (fdt_get_prop(&f, chosen, "amphi,exec-envp", &val, &len) == 0)
		return init_split_list(val, len, prog->envp, INIT_ENVP_MAX) < 0 ? -EINVAL : 0;
	for (size_t i = 0; i < ARRAY_SIZE(default_envp); i++)
		prog->envp[i] = default_envp[i];
	return 0;
}

/* The first process's descriptors: the console on 0, 1 and 2. NULL when out of memory. */
static struct fd_table *init_fds(void)
{
	struct fd_table *fds = fd_table_create();
	struct file *console;

	if (!fds)
		return NULL;
	if (console_open_file(&console) < 0) {
		fd_table_put(fds);
		return NULL;
	}
	for (unsigned fd = 0; fd < 3; fd++)
		fd_install(fds, console, fd, false);
	file_put(console);
	return fds;
}

/* Opens the program at path: 0 with its object in *file, and the first process's
 * descriptors and context in *fds and *fs; an errno (and nothing held) otherwise. */
static int init_open(const char *path, struct vm_object **file, struct fd_table **fds,
		     struct fs_context **fs)
{
	*fs = fs_context_create();
	*fds = *fs ? init_fds() : NULL;
	int err = *fds ? vfs_exec_lookup(*fs, path, file) : -ENOMEM;
	if (err) {
		if (*fds)
			fd_table_put(*fds);
		if (*fs)
			fs_context_put(*fs);
	}
	return err;
}

int init_run_program(const struct boot_info *info)
{
	static struct init_program prog = {.path = ""};
	struct vm_object *file = NULL;
	struct fd_table *fds;
	struct fs_context *fs;
	const char *why = "";
	int err = info->initrd.size ? init_program(info, &prog) : -ENOENT;

	if (err == -ENOENT)
		return err; /* no first program named: the caller goes on */
	if (!err)
		err = init_open(prog.path, &file, &fds, &fs);
	struct process *p = err ? NULL : process_start(file, prog.path, prog.argv, prog.envp, fds,
						       fs, &err, &why);
	if (file)
		vm_object_put(file); /* the process's areas hold their own references */
	if (!p) {
		kprintf_set_quiet(false); /* the machine stops here: say why, even when quiet */
		kprintf("amphi: cannot start %s: error %d%s%s\n", prog.path, err, *why ? ": " : "",
			why);
		return 127;
	}
	return proc_shell_status(process_wait(p));
}
