/*
 * The first user process. Its program is found in the root file system, which holds the
 * initial RAM disk (vfs_init), and named by the boot data (init_args.h): rdinit= and the
 * words after "--" on the command line, or the hosted machine's /chosen properties (the
 * `exec` command packs the host program into the RAM disk). Its descriptors 0, 1 and 2 are
 * the console, which is its controlling terminal when the console is one.
 * The machine powers off when the process ends, with its status in the shell's terms.
 *
 * With root= on the command line (and no rdinit=), the root device is mounted the Linux
 * way (vfs_mount_root) and the first process runs chrooted into it: init=PATH, or the
 * first of /sbin/init, /etc/init, /bin/init and /bin/sh it has. A root that cannot be
 * mounted stops the kernel with a panic, as on Linux.
 */
#include <amphi/cmdline.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/init_args.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
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

/* The first process's descriptors and context (rooted at root when not NULL) in *fds and
 * *fs: 0, or -ENOMEM (and nothing held). */
static int init_context(const struct vfs_path *root, struct fd_table **fds,
			struct fs_context **fs)
{
	*fs = fs_context_create();
	if (*fs && root) {
		fs_context_set_root(*fs, root);
		fs_context_set_cwd(*fs, root);
	}
	*fds = *fs ? init_fds() : NULL;
	if (!*fds && *fs)
		fs_context_put(*fs);
	return *fds ? 0 : -ENOMEM;
}

/* Starts prog (found from root when not NULL) and waits for it: its status in the
 * shell's terms, or 127 after a line saying why it could not start. */
static int init_start(struct init_program *prog, const struct vfs_path *root)
{
	struct fd_table *fds;
	struct fs_context *fs;
	const char *why = "";
	int err = init_context(root, &fds, &fs);
	struct process *p =
	    err ? NULL : process_start(prog->path, prog->argv, prog->envp, fds, fs, &err, &why);

	if (!p) {
		kprintf_set_quiet(false); /* the machine stops here: say why, even when quiet */
		kprintf("amphi: cannot start %s: error %d%s%s\n", prog->path, err, *why ? ": " : "",
			why);
		return 127;
	}
	struct tty *console = tty_console();
	if (console) /* the first process leads session and group p->pid */
		tty_set_session(console, p->pid, p->pid);
	return proc_shell_status(process_wait(p));
}

/* The first program of the mounted root: init=PATH, else the first of Linux's defaults
 * that root has (none: a panic, as on Linux). prog->path and argv set (argv[0] = path). */
static int init_pick_from_root(const struct boot_info *info, const struct vfs_path *root,
			       struct init_program *prog)
{
	static const char *const defaults[] = {"/sbin/init", "/etc/init", "/bin/init", "/bin/sh"};
	char buf[8];

	if (cmdline_get(info->cmdline, "init", buf, sizeof(buf)) != -ENOENT)
		return init_args_get(info, prog); /* init=PATH, as given */
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
		struct fs_context *fs = fs_context_create();
		struct vfs_path found;
		if (!fs)
			return -ENOMEM;
		fs_context_set_root(fs, root);
		vfs_lock();
		int err = vfs_walk(fs, root, defaults[i], WALK_FOLLOW, &found);
		vfs_unlock();
		fs_context_put(fs);
		if (err == 0) {
			vfs_path_put(&found);
			return init_args_for_path(info, defaults[i], prog);
		}
	}
	kprintf_set_quiet(false);
	panic("no working init found on the root device (tried /sbin/init, /etc/init, /bin/init, "
	      "/bin/sh): pass init=");
}

/* root=: mounts the root device and runs its init there; panics when it cannot mount. */
static int init_run_from_root(const struct boot_info *info)
{
	static struct init_program prog = {.path = ""};
	struct vfs_path root;
	int err = vfs_mount_root(info->cmdline, &root);

	if (err) {
		kprintf_set_quiet(false);
		panic("VFS: unable to mount the root file system (error %d)", err);
	}
	err = init_pick_from_root(info, &root, &prog);
	int status = err ? 127 : init_start(&prog, &root);
	if (err)
		kprintf("amphi: bad init= or arguments: error %d\n", err);
	init_args_put(&prog);
	vfs_path_put(&root);
	return status;
}

int init_run_program(const struct boot_info *info)
{
	static struct init_program prog = {.path = ""};

	if (cmdline_has(info->cmdline, "root") && !cmdline_has(info->cmdline, "rdinit"))
		return init_run_from_root(info);
	int err = info->initrd.size ? init_args_get(info, &prog) : -ENOENT;
	if (err == -ENOENT)
		return err; /* no first program named: the caller goes on */
	int status = err ? 127 : init_start(&prog, NULL);
	if (err) {
		kprintf_set_quiet(false);
		kprintf("amphi: cannot start %s: error %d\n", prog.path, err);
	}
	init_args_put(&prog); /* exec copied the strings it needs */
	return status;
}
