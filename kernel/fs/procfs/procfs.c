/*
 * procfs: files made from the kernel's state when they are looked up and opened. The root
 * holds "self" (a symlink to the caller's pid), a directory per process (stat, status,
 * cmdline, exe, fd/), and meminfo, cpuinfo, uptime, mounts. Inodes are made afresh on each
 * lookup, with inode numbers derived from what they show, so a name can be found again from
 * its number (getcwd); a file's text is made once, at open, and read from that copy.
 */
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/proc.h>
#include <amphi/string.h>

#include "../fs_internal.h"
#include "procfs.h"

#define PROC_SUPER_MAGIC 0x9fa0

/* The fixed entries of the root and of a process directory. */
static const struct procfs_entry procfs_root_entries[] = {
    {"self", PROCFS_SELF, S_IFLNK | 0777},
    {"meminfo", PROCFS_MEMINFO, S_IFREG | 0444},
    {"cpuinfo", PROCFS_CPUINFO, S_IFREG | 0444},
    {"filesystems", PROCFS_FILESYSTEMS, S_IFREG | 0444},
    {"uptime", PROCFS_UPTIME, S_IFREG | 0444},
    {"mounts", PROCFS_MOUNTS, S_IFLNK | 0777},
    {NULL, 0, 0},
};

static const struct procfs_entry procfs_pid_entries[] = {
    {"cmdline", PROCFS_CMDLINE, S_IFREG | 0444},
    {"cwd", PROCFS_CWD, S_IFLNK | 0777},
    {"exe", PROCFS_EXE, S_IFLNK | 0777},
    {"fd", PROCFS_FD_DIR, S_IFDIR | 0500},
    {"mounts", PROCFS_PID_MOUNTS, S_IFREG | 0444},
    {"root", PROCFS_ROOT_LINK, S_IFLNK | 0777},
    {"stat", PROCFS_STAT, S_IFREG | 0444},
    {"status", PROCFS_STATUS, S_IFREG | 0444},
    {NULL, 0, 0},
};

static const struct inode_ops procfs_inode_ops;
extern const struct file_ops procfs_file_ops;

/* The inode number of a procfs file: its kind, pid and descriptor. */
static uint64_t procfs_ino(unsigned kind, unsigned pid, unsigned fd)
{
	return kind == PROCFS_ROOT ? 1 : ((uint64_t)pid << 32) | ((uint64_t)fd << 8) | kind;
}

/* A new procfs inode in dir for kind (pid, fd) with mode. */
static struct inode *procfs_inode(struct inode *dir, unsigned kind, unsigned pid, unsigned fd,
				  uint32_t mode)
{
	struct inode *inode = inode_alloc(dir->sb, mode);

	if (!inode)
		return NULL;
	inode->ino = procfs_ino(kind, pid, fd);
	inode->ops = &procfs_inode_ops;
	inode->fops = S_ISDIR(mode) ? &vfs_dir_file_ops : &procfs_file_ops;
	inode->priv_word = ((uint64_t)pid << 32) | ((uint64_t)fd << 8) | kind;
	inode->parent = dir;
	inode->parent_ref = true;
	inode_get(dir);
	return inode;
}

struct procfs_find {
	unsigned pid;
	bool found;
	int (*fn)(struct process *p, void *ctx);
	void *ctx;
	int result;
};

/* pid_for_each callback: runs the request on the process with the pid asked for. */
static int procfs_find_fn(struct process *p, void *ctx)
{
	struct procfs_find *f = ctx;

	if (p->pid != f->pid)
		return 0;
	f->found = true;
	f->result = f->fn ? f->fn(p, f->ctx) : 0;
	return 1;
}

/* pid_for_each under the process table's lock. */
static void procfs_for_each(int (*fn)(struct process *p, void *ctx), void *ctx)
{
	irqflags_t irq = spin_lock_irqsave(&proc_lock);

	pid_for_each(fn, ctx);
	spin_unlock_irqrestore(&proc_lock, irq);
}

int procfs_with_process(unsigned pid, int (*fn)(struct process *p, void *ctx), void *ctx)
{
	struct procfs_find f = {pid, false, fn, ctx, 0};

	procfs_for_each(procfs_find_fn, &f);
	return f.found ? f.result : -ENOENT;
}

/* The decimal number in name (len bytes, no leading zero), or -1 when it is none. */
static long procfs_number(const char *name, size_t len)
{
	long n = 0;

	if (len == 0 || len > 9 || (name[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		n = n * 10 + (name[i] - '0');
	}
	return n;
}

/* The inode of /proc/<pid>/fd/<n> in dir: a symlink whose permissions say how the file is
 * open, as Linux's; NULL when no such descriptor is open. */
static struct inode *procfs_fd_inode(struct inode *dir, unsigned pid, long n)
{
	struct file *f = n >= 0 && n < VFS_FD_MAX ? procfs_fd_file(pid, (unsigned)n) : NULL;

	if (!f)
		return NULL;
	unsigned acc = f->flags & O_ACCMODE;
	uint32_t mode = S_IFLNK | (acc != O_WRONLY ? 0500 : 0) | (acc != O_RDONLY ? 0300 : 0);
	file_put(f);
	return procfs_inode(dir, PROCFS_FD, pid, (unsigned)n, mode);
}

/* The entry of table called name, or NULL. */
static const struct procfs_entry *procfs_entry_find(const struct procfs_entry *table,
						    const char *name, size_t len)
{
	for (; table->name; table++) {
		if (strlen(table->name) == len && memcmp(table->name, name, len) == 0)
			return table;
	}
	return NULL;
}

static int procfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	unsigned kind = PROCFS_KIND(dir->priv_word), pid = PROCFS_PID(dir->priv_word);
	const struct procfs_entry *e = NULL;
	long n = procfs_number(name, len);

	if (kind == PROCFS_ROOT)
		e = procfs_entry_find(procfs_root_entries, name, len);
	else if (kind == PROCFS_PID_DIR)
		e = procfs_entry_find(procfs_pid_entries, name, len);
	*out = NULL;
	if (e)
		*out = procfs_inode(dir, e->kind, pid, 0, e->mode);
	else if (kind == PROCFS_ROOT && n > 0 && procfs_with_process((unsigned)n, NULL, NULL) == 0)
		*out = procfs_inode(dir, PROCFS_PID_DIR, (unsigned)n, 0, S_IFDIR | 0555);
	else if (kind == PROCFS_FD_DIR)
		return (*out = procfs_fd_inode(dir, pid, n)) ? 0 : -ENOENT;
	else
		return -ENOENT;
	return *out ? 0 : -ENOMEM;
}

struct procfs_list {
	unsigned pids[64];
	unsigned n;
};

/* pid_for_each callback: collects pids. */
static int procfs_list_fn(struct process *p, void *ctx)
{
	struct procfs_list *l = ctx;

	if (l->n < ARRAY_SIZE(l->pids))
		l->pids[l->n++] = p->pid;
	return 0;
}

/* Lists a fixed table from position *pos (2 = its first entry). */
static int procfs_list_table(struct inode *dir, const struct procfs_entry *t, uint64_t *pos,
			     vfs_filldir_fn fn, void *ctx, unsigned pid)
{
	for (uint64_t i = *pos - 2; t[i].name; i++) {
		if (fn(ctx, t[i].name, strlen(t[i].name), procfs_ino(t[i].kind, pid, 0),
		       vfs_dtype(t[i].mode), i + 3))
			return 1;
		*pos = i + 3;
	}
	(void)dir;
	return 0;
}

static int procfs_readdir(struct inode *dir, uint64_t *pos, vfs_filldir_fn fn, void *ctx)
{
	unsigned kind = PROCFS_KIND(dir->priv_word), pid = PROCFS_PID(dir->priv_word);
	struct inode *up = dir->parent ? dir->parent : dir;

	if (*pos == 0 && fn(ctx, ".", 1, dir->ino, DT_DIR, 1))
		return 0;
	if (*pos < 1)
		*pos = 1;
	if (*pos == 1 && fn(ctx, "..", 2, up->ino, DT_DIR, 2))
		return 0;
	if (*pos < 2)
		*pos = 2;
	if (kind == PROCFS_FD_DIR)
		return procfs_fd_readdir(pid, pos, fn, ctx);
	const struct procfs_entry *t = kind == PROCFS_ROOT ? procfs_root_entries : procfs_pid_entries;
	size_t fixed = 0;
	while (t[fixed].name)
		fixed++;
	if (*pos < 2 + fixed && procfs_list_table(dir, t, pos, fn, ctx, pid))
		return 0;
	if (kind != PROCFS_ROOT)
		return 0;
	struct procfs_list l = {{0}, 0};
	procfs_for_each(procfs_list_fn, &l);
	for (unsigned i = (unsigned)(*pos - 2 - fixed); i < l.n; i++) {
		char name[12];
		int n = ksnprintf(name, sizeof(name), "%u", l.pids[i]);
		if (fn(ctx, name, (size_t)n, procfs_ino(PROCFS_PID_DIR, l.pids[i], 0), DT_DIR,
		       *pos + 1))
			return 0;
		*pos += 1;
	}
	return 0;
}

static long procfs_readlink(struct inode *inode, char *buf, size_t size)
{
	return procfs_link_text(inode, buf, size);
}

static const struct inode_ops procfs_inode_ops = {
    .lookup = procfs_lookup,
    .readdir = procfs_readdir,
    .readlink = procfs_readlink,
};

/* --- the file system --- */

static const struct fs_type procfs_type;

static int procfs_mount(const char *source, unsigned long flags, const char *data,
			struct super_block **out)
{
	(void)source, (void)flags, (void)data;
	struct super_block *sb =
	    vfs_super_create(&procfs_type, PROC_SUPER_MAGIC, &procfs_inode_ops, S_IFDIR | 0555);
	if (!sb)
		return -ENOMEM;
	sb->root->priv_word = PROCFS_ROOT;
	*out = sb;
	return 0;
}

static const struct fs_type procfs_type = {.name = "proc", .mount = procfs_mount};

void procfs_register(void)
{
	vfs_register_fs(&procfs_type);
}
