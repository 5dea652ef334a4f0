/* procfs's contents: the text of its files, made at open, and its symlinks' targets. */
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/smp.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#include "procfs.h"

#define PROCFS_TEXT_MAX 16384

/* A file's text being made. */
struct procfs_text {
	char *buf;
	size_t len;
};

/* Appends formatted text (cut at PROCFS_TEXT_MAX). */
static void PRINTF_LIKE(2, 3) text_add(struct procfs_text *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = kvsnprintf(t->buf + t->len, PROCFS_TEXT_MAX - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len = MIN(t->len + (size_t)n, (size_t)PROCFS_TEXT_MAX - 1);
}

/* --- per-process files --- */

struct procfs_fill {
	struct procfs_text *t;
	unsigned kind;
};

/* The descriptors open in table fds (a bitmap of VFS_FD_MAX bits). */
static void procfs_fd_bits(struct fd_table *fds, uint64_t *bits)
{
	irqflags_t irq = spin_lock_irqsave(&fds->lock);

	memset(bits, 0, VFS_FD_MAX / 8);
	for (unsigned fd = 0; fd < fds->size && fd < VFS_FD_MAX; fd++) {
		if (fds->files[fd])
			bits[fd / 64] |= 1ULL << (fd % 64);
	}
	spin_unlock_irqrestore(&fds->lock, irq);
}

/* The argument strings of p's program, NULs kept (cmdline). */
static void procfs_cmdline(struct process *p, struct procfs_text *t)
{
	size_t n = p->vm ? MIN(p->vm->arg_end - p->vm->arg_start, (size_t)PROCFS_TEXT_MAX - 1) : 0;

	if (n && vm_copy_from_user(p->vm, t->buf, p->vm->arg_start, n) == 0)
		t->len = n;
}

/* /proc/<pid>/status: the fields programs look for, in Linux's order. */
static void procfs_status(struct process *p, struct procfs_text *t)
{
	uint64_t bits[VFS_FD_MAX / 64];

	procfs_fd_bits(p->fds, bits);
	text_add(t, "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\n", p->comm, p->fs->umask);
	text_add(t, "Tgid:\t%u\nNgid:\t0\nPid:\t%u\nPPid:\t0\nTracerPid:\t0\n", p->pid, p->pid);
	text_add(t, "Uid:\t%u\t%u\t%u\t%u\n", p->uid, p->euid, p->suid, p->euid);
	text_add(t, "Gid:\t0\t0\t0\t0\nFDSize:\t%u\nGroups:\t\n", p->fds->size);
	text_add(t, "VmSize:\t%zu kB\n", p->vm ? p->vm->total_vm / 1024 : 0);
	text_add(t, "VmRSS:\t%zu kB\nThreads:\t1\n", p->vm ? p->vm->resident * (PAGE_SIZE / 1024) : 0);
}

/* /proc/<pid>/stat: the 52 fields of Linux's, those the kernel does not keep as 0. */
static void procfs_stat(struct process *p, struct procfs_text *t)
{
	text_add(t, "%u (%s) R 0 %u %u 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 0 ", p->pid, p->comm,
		 p->pid, p->pid);
	text_add(t, "%zu %zu 18446744073709551615", p->vm ? p->vm->total_vm : 0,
		 p->vm ? p->vm->resident : 0);
	for (int i = 26; i <= 52; i++)
		text_add(t, " 0");
	text_add(t, "\n");
}

/* pid_for_each callback: makes the text of a per-process file. */
static int procfs_fill_fn(struct process *p, void *ctx)
{
	struct procfs_fill *f = ctx;

	switch (f->kind) {
	case PROCFS_CMDLINE:
		procfs_cmdline(p, f->t);
		break;
	case PROCFS_STATUS:
		procfs_status(p, f->t);
		break;
	case PROCFS_STAT:
		procfs_stat(p, f->t);
		break;
	}
	return 0;
}

/* --- whole-system files --- */

static int procfs_mount_line(struct mount *m, const char *path, void *ctx)
{
	text_add(ctx, "%s %s %s %s 0 0\n", m->source, path, m->sb->type ? m->sb->type->name : "?",
		 (m->flags & 1) ? "ro" : "rw");
	return 0;
}

/* A line of /proc/filesystems: "nodev" unless the type mounts a block device. */
static void procfs_fs_line(const struct fs_type *type, void *ctx)
{
	text_add(ctx, "%s\t%s\n", type->mount_dev ? "" : "nodev", type->name);
}

static void procfs_meminfo(struct procfs_text *t)
{
	size_t kb = PAGE_SIZE / 1024;

	text_add(t, "MemTotal:       %8zu kB\n", page_alloc_total_pages() * kb);
	text_add(t, "MemFree:        %8zu kB\n", page_alloc_free_pages() * kb);
	text_add(t, "MemAvailable:   %8zu kB\n", page_alloc_free_pages() * kb);
}

static void procfs_cpuinfo(struct procfs_text *t)
{
	for (unsigned i = 0; i < smp_cpus_online(); i++)
		text_add(t, "processor\t: %u\nmodel name\t: Amphi %s\n\n", i, GUEST_ARCH_NAME);
}

static void procfs_uptime(struct procfs_text *t)
{
	uint64_t cs = plat_time_ns() / 10000000ULL;

	text_add(t, "%lu.%02lu 0.00\n", (unsigned long)(cs / 100), (unsigned long)(cs % 100));
}

static int procfs_mounts(unsigned pid, struct procfs_text *t);

/* Makes the text the file of inode shows (vfs_lock not held: mounts takes it). */
static int procfs_make_text(struct inode *inode, struct procfs_text *t)
{
	unsigned kind = PROCFS_KIND(inode->priv_word);
	struct procfs_fill f = {t, kind};

	switch (kind) {
	case PROCFS_MEMINFO:
		procfs_meminfo(t);
		return 0;
	case PROCFS_CPUINFO:
		procfs_cpuinfo(t);
		return 0;
	case PROCFS_UPTIME:
		procfs_uptime(t);
		return 0;
	case PROCFS_PID_MOUNTS:
		return procfs_mounts(PROCFS_PID(inode->priv_word), t);
	case PROCFS_FILESYSTEMS:
		vfs_fs_types_for_each(procfs_fs_line, t);
		return 0;
	default:
		return procfs_with_process(PROCFS_PID(inode->priv_word), procfs_fill_fn, &f);
	}
}

/* file_ops.open: the text, made now and kept with the file. */
static int procfs_open(struct inode *inode, struct file *f)
{
	struct procfs_text *t = kzalloc(sizeof(*t));

	if (t)
		t->buf = kmalloc(PROCFS_TEXT_MAX);
	if (!t || !t->buf) {
		kfree(t);
		return -ENOMEM;
	}
	int err = procfs_make_text(inode, t);
	if (err) {
		kfree(t->buf);
		kfree(t);
		return err;
	}
	f->priv = t;
	return 0;
}

static long procfs_read(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	struct procfs_text *t = f->priv;

	if (*off >= t->len)
		return 0;
	size_t n = MIN(len, t->len - (size_t)*off);
	if (vfs_io_out(io, 0, t->buf + *off, n) < 0)
		return -EFAULT;
	*off += n;
	return (long)n;
}

static void procfs_release(struct file *f)
{
	struct procfs_text *t = f->priv;

	if (t)
		kfree(t->buf);
	kfree(t);
}

const struct file_ops procfs_file_ops = {
    .open = procfs_open,
    .read = procfs_read,
    .release = procfs_release,
};

/* --- symlinks and descriptors --- */

struct procfs_grab {
	unsigned fd;
	struct file *file;
	char *exe;
	size_t size;
	bool paths;		    /* take the root and working directory instead */
	struct vfs_path root, cwd; /* referenced when taken */
};

/* pid_for_each callback: takes descriptor fd's file, or copies the program's path. */
static int procfs_grab_fn(struct process *p, void *ctx)
{
	struct procfs_grab *g = ctx;

	if (g->paths)
		fs_context_paths(p->fs, &g->root, &g->cwd);
	else if (g->exe)
		kstrlcpy(g->exe, p->exe, g->size);
	else
		g->file = fd_get(p->fds, (int)g->fd);
	return 0;
}

/* The mounts process pid sees from its root, one line each. */
static int procfs_mounts(unsigned pid, struct procfs_text *t)
{
	struct procfs_grab g = {0, NULL, NULL, 0, true, {0}, {0}};
	int err = procfs_with_process(pid, procfs_grab_fn, &g);

	if (err)
		return err;
	vfs_mounts_for_each(&g.root, procfs_mount_line, t);
	vfs_path_put(&g.root);
	vfs_path_put(&g.cwd);
	return 0;
}

/* The name of what f is open on into buf (vfs_lock held). */
static long procfs_file_name(struct file *f, char *buf, size_t size)
{
	struct inode *i = f->path.inode;
	struct vfs_path root;

	if (!f->path.mnt && S_ISFIFO(i->mode))
		return ksnprintf(buf, size, "pipe:[%lu]", (unsigned long)i->ino);
	if (!f->path.mnt)
		return ksnprintf(buf, size, "/dev/console");
	if (vfs_root(&root) < 0)
		return -ENOENT;
	long n = vfs_path_name(&root, &f->path, buf, size);
	vfs_path_put(&root);
	return n;
}

/* The path of process pid's working directory (cwd set) or root, as the caller's root sees
 * it (vfs_lock held). */
static long procfs_fs_link(unsigned pid, bool cwd, char *buf, size_t size)
{
	struct procfs_grab g = {0, NULL, NULL, 0, true, {0}, {0}};
	struct vfs_path root;

	int err = procfs_with_process(pid, procfs_grab_fn, &g);
	if (err)
		return err;
	long n = vfs_root(&root);
	if (!n) {
		n = vfs_path_name(&root, cwd ? &g.cwd : &g.root, buf, size);
		vfs_path_put(&root);
	}
	vfs_path_put(&g.root);
	vfs_path_put(&g.cwd);
	return n;
}

long procfs_link_text(struct inode *inode, char *buf, size_t size)
{
	unsigned kind = PROCFS_KIND(inode->priv_word), pid = PROCFS_PID(inode->priv_word);
	struct process *me = process_current();
	struct procfs_grab g = {PROCFS_FDNUM(inode->priv_word), NULL, NULL, size, false, {0}, {0}};

	switch (kind) {
	case PROCFS_SELF:
		return me ? ksnprintf(buf, size, "%u", me->pid) : -ENOENT;
	case PROCFS_MOUNTS:
		return ksnprintf(buf, size, "self/mounts");
	case PROCFS_EXE: {
		g.exe = buf;
		int err = procfs_with_process(pid, procfs_grab_fn, &g);
		return err ? err : (long)strlen(buf);
	}
	case PROCFS_FD: {
		int err = procfs_with_process(pid, procfs_grab_fn, &g);
		if (err || !g.file)
			return err ? err : -ENOENT;
		long n = procfs_file_name(g.file, buf, size);
		file_put(g.file);
		return n;
	}
	case PROCFS_CWD:
	case PROCFS_ROOT_LINK:
		return procfs_fs_link(pid, kind == PROCFS_CWD, buf, size);
	default:
		return -EINVAL;
	}
}

struct procfs_fds {
	unsigned fd;
	bool open;
	uint64_t bits[VFS_FD_MAX / 64];
};

static int procfs_fds_fn(struct process *p, void *ctx)
{
	procfs_fd_bits(p->fds, ((struct procfs_fds *)ctx)->bits);
	return 0;
}

struct file *procfs_fd_file(unsigned pid, unsigned fd)
{
	struct procfs_grab g = {fd, NULL, NULL, 0, false, {0}, {0}};

	if (procfs_with_process(pid, procfs_grab_fn, &g) < 0)
		return NULL;
	return g.file;
}

int procfs_fd_readdir(unsigned pid, uint64_t *pos, vfs_filldir_fn fn, void *ctx)
{
	struct procfs_fds s;

	if (procfs_with_process(pid, procfs_fds_fn, &s) < 0)
		return 0;
	for (unsigned fd = (unsigned)(*pos - 2); fd < VFS_FD_MAX; fd++) {
		char name[8];
		if (!(s.bits[fd / 64] & (1ULL << (fd % 64))))
			continue;
		int n = ksnprintf(name, sizeof(name), "%u", fd);
		if (fn(ctx, name, (size_t)n, ((uint64_t)pid << 32) | ((uint64_t)fd << 8) | PROCFS_FD,
		       DT_LNK, fd + 3))
			return 0;
		*pos = fd + 3;
	}
	return 0;
}
