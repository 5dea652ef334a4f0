/*
 * The first user process. Its program is found in the root file system, which holds the
 * initial RAM disk (vfs_init), and named by the boot data (init_args.h): rdinit= and the
 * words after "--" on the command line, or the hosted machine's /chosen properties (the
 * `exec` command packs the host program into the RAM disk). Its descriptors 0, 1 and 2 are
 * the console, which is its controlling terminal when the console is one.
 * The machine powers off when the process ends, with its status in the shell's terms.
 */
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/init_args.h>
#include <amphi/kprintf.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/string.h>
#include <amphi/tty.h>
#include <amphi/vm.h>

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
		fd_install(fds, console, fd, fd + 1, false);
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
	int err = info->initrd.size ? init_args_get(info, &prog) : -ENOENT;

	if (err == -ENOENT)
		return err; /* no first program named: the caller goes on */
	if (!err)
		err = init_open(prog.path, &file, &fds, &fs);
	struct process *p = err ? NULL : process_start(file, prog.path, prog.argv, prog.envp, fds,
						       fs, &err, &why);
	if (file)
		vm_object_put(file); /* the process's areas hold their own references */
	init_args_put(&prog); /* exec copied the strings it needs */
	if (!p) {
		kprintf_set_quiet(false); /* the machine stops here: say why, even when quiet */
		kprintf("amphi: cannot start %s: error %d%s%s\n", prog.path, err, *why ? ": " : "",
			why);
		return 127;
	}
	struct tty *console = tty_console();
	if (console) /* the first process leads session and group p->pid */
		tty_set_session(console, p->pid, p->pid);
	return proc_shell_status(process_wait(p));
}
