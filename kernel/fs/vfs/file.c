/*
 * Open file descriptions: what open(2) makes and descriptors point at. A file holds its
 * path (so the inode and mount stay), its status flags and position; its ops come from the
 * inode (a device's from its number). Reads and writes of regular files and directories run
 * under vfs_lock; pipes and devices take their own locks, since they may sleep.
 */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/proc.h>
#include <amphi/sched.h>
#include <amphi/vm.h>

#define VFS_POLL_INTERVAL_NS 10000000ULL /* how often a poll looks at the console again */

struct file *file_alloc(const struct vfs_path *path, unsigned flags, const struct file_ops *ops)
{
	struct file *f = kzalloc(sizeof(*f));

	if (!f)
		return NULL;
	f->refs = 1;
	f->flags = flags & ~(unsigned)(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
	f->ops = ops;
	mutex_init(&f->pos_lock, "file_pos");
	if (path) {
		f->path = *path;
		vfs_path_get(&f->path);
	}
	return f;
}

void file_get(struct file *f)
{
	if (atomic_fetch_add(&f->refs, 1) == 0)
		panic("file_get: file %p has no references left", (void *)f);
}

void file_put(struct file *f)
{
	if (atomic_fetch_add(&f->refs, -1u) != 1)
		return;
	if (f->ops && f->ops->release)
		f->ops->release(f);
	vfs_path_put(&f->path);
	kfree(f);
}

/* The file ops opening inode gives: its own, or its device's. */
static int vfs_inode_fops(struct inode *inode, const struct file_ops **ops)
{
	if (S_ISCHR(inode->mode))
		*ops = chrdev_ops(inode->rdev);
	else if (S_ISBLK(inode->mode))
		*ops = blockdev_ops(inode->rdev);
	else if (S_ISFIFO(inode->mode))
		*ops = &fifo_file_ops;
	else if (S_ISREG(inode->mode) || S_ISDIR(inode->mode) || S_ISLNK(inode->mode))
		*ops = inode->fops;
	else
		*ops = NULL; /* sockets have no driver yet */
	return *ops || S_ISLNK(inode->mode) ? 0 : -ENXIO;
}

int vfs_open_path(const struct vfs_path *path, unsigned flags, struct file **out)
{
	const struct file_ops *ops;
	struct inode *inode = path->inode;
	int err = vfs_inode_fops(inode, &ops);

	if (err && !(flags & O_PATH))
		return err;
	struct file *f = file_alloc(path, flags, (flags & O_PATH) ? NULL : ops);
	if (!f)
		return -ENOMEM;
	err = f->ops && f->ops->open ? f->ops->open(inode, f) : 0;
	if (err) {
		f->ops = NULL; /* nothing to release */
		file_put(f);
		return err;
	}
	*out = f;
	return 0;
}

/* Checks what open's flags ask of the file found: 0 or open(2)'s errno. */
static int vfs_open_check(const struct vfs_path *found, unsigned flags)
{
	struct inode *inode = found->inode;
	unsigned acc = flags & O_ACCMODE;

	if (S_ISLNK(inode->mode) && !(flags & O_PATH))
		return -ELOOP; /* O_NOFOLLOW met a symlink */
	if ((flags & O_DIRECTORY) && !S_ISDIR(inode->mode))
		return -ENOTDIR;
	if (flags & O_PATH)
		return 0;
	if (S_ISDIR(inode->mode) && (acc != O_RDONLY || (flags & O_CREAT)))
		return -EISDIR;
	bool changes = acc != O_RDONLY || (flags & O_TRUNC);
	if (changes && (S_ISREG(inode->mode) || S_ISDIR(inode->mode)) && vfs_path_writable(found))
		return -EROFS; /* devices and pipes stay writable on a read-only mount */
	int mask = (acc == O_RDONLY ? 4 : acc == O_WRONLY ? 2 : 6);
	return vfs_permission(inode, mask);
}

/* Creates the regular file last->name in last->dir for open(O_CREAT). */
static int vfs_open_create(struct fs_context *fs, struct vfs_last *last, uint32_t mode,
			   struct inode **out)
{
	if (last->slash)
		return -EISDIR;
	int err = vfs_path_writable(&last->dir);
	if (!err)
		err = vfs_permission(last->dir.inode, 3);
	if (!err)
		err = vfs_create(last->dir.inode, last->name, last->len,
				 S_IFREG | (mode & ~fs->umask & S_IALLUGO), 0, out);
	return err;
}

/* The last component of an O_CREAT open, found in last->dir or made there: 0 with it in
 * *inode (referenced) and *created set; 1 with the symlink found there instead (when it
 * is to be followed: its target is then in target, VFS_PATH_MAX bytes); or an errno. */
static int vfs_open_last(struct fs_context *fs, struct vfs_last *last, unsigned flags,
			 uint32_t mode, struct inode **inode, char *target)
{
	if (last->dots)
		return -EISDIR;
	int err = vfs_lookup(last->dir.inode, last->name, last->len, inode);
	if (err == -ENOENT)
		return vfs_open_create(fs, last, mode, inode);
	if (!err && (flags & O_EXCL))
		err = -EEXIST;
	else if (!err && S_ISLNK((*inode)->mode) && !(flags & O_NOFOLLOW)) {
		long n = (*inode)->ops && (*inode)->ops->readlink
			     ? (*inode)->ops->readlink(*inode, target, VFS_PATH_MAX - 1)
			     : -EINVAL;
		err = n < 0 ? (int)n : 1;
		if (n >= 0)
			target[n] = '\0';
	}
	if (err)
		inode_put(*inode);
	return err;
}

/* Finds (or with O_CREAT makes) what open names: 0 with its path in *found. An O_CREAT
 * open through a symlink creates what the link names, as Linux does, following at most
 * VFS_SYMLINK_MAX links. */
static int vfs_open_find(struct fs_context *fs, const struct vfs_path *start, const char *path,
			 unsigned flags, uint32_t mode, struct vfs_path *found)
{
	unsigned walk = ((flags & O_NOFOLLOW) ? 0 : WALK_FOLLOW) |
			((flags & O_DIRECTORY) ? WALK_DIRECTORY : 0);
	struct vfs_path dir = *start;
	struct inode *inode;

	if (!(flags & O_CREAT))
		return vfs_walk(fs, start, path, walk, found);
	char *target = kmalloc(VFS_PATH_MAX);
	if (!target)
		return -ENOMEM;
	vfs_path_get(&dir);
	int err;
	for (unsigned links = 0;; links++) {
		struct vfs_last last;
		err = links > VFS_SYMLINK_MAX ? -ELOOP
					      : vfs_walk_parent(fs, &dir, links ? target : path, &last);
		if (err)
			break;
		vfs_path_put(&dir);
		dir = last.dir; /* a symlink's target is walked from where the link is */
		err = vfs_open_last(fs, &last, flags, mode, &inode, target);
		if (err != 1)
			break;
	}
	if (!err) {
		*found = (struct vfs_path){dir.mnt, inode};
		vfs_mount_get(found->mnt);
	}
	vfs_path_put(&dir);
	kfree(target);
	return err;
}

int vfs_truncate_inode(struct inode *inode, uint64_t size)
{
	if (S_ISDIR(inode->mode))
		return -EISDIR;
	if (!S_ISREG(inode->mode) || !inode->data)
		return -EINVAL;
	int err = inode->ops && inode->ops->truncate ? inode->ops->truncate(inode, size)
						     : vm_object_truncate(inode->data, size);
	if (!err)
		inode->mtime = inode->ctime = vfs_now();
	return err;
}

int vfs_open(struct fs_context *fs, const struct vfs_path *start, const char *path,
	     unsigned flags, uint32_t mode, struct file **out)
{
	struct vfs_path found = {0};

	vfs_lock();
	int err = vfs_open_find(fs, start, path, flags, mode, &found);
	if (!err)
		err = vfs_open_check(&found, flags);
	bool trunc = (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY;
	if (!err && trunc && S_ISREG(found.inode->mode) && inode_size(found.inode))
		err = vfs_truncate_inode(found.inode, 0);
	vfs_unlock();
	if (!err)
		err = vfs_open_path(&found, flags, out);
	if (found.inode)
		vfs_path_put(&found);
	return err;
}

/* True when reads and writes of f go through vfs_lock (regular files, directories). */
static bool vfs_locked_io(struct file *f)
{
	struct inode *inode = f->path.inode;

	return inode && (S_ISREG(inode->mode) || S_ISDIR(inode->mode));
}

/* Moves len bytes through op at *off, or at the file's position under pos_lock. A stream
 * (a pipe, the console) has no position, and takes no lock either: a read waiting on one
 * must not hold up a write through the same open file. */
static long vfs_rw(struct file *f, struct vfs_io *io, size_t len, const uint64_t *off,
		   long (*op)(struct file *, struct vfs_io *, size_t, uint64_t *))
{
	bool locked = vfs_locked_io(f), positioned = !off && !f->ops->stream;
	uint64_t at = off ? *off : 0;

	if (positioned) {
		mutex_lock(&f->pos_lock);
		at = f->pos;
	}
	if (locked)
		vfs_lock();
	long n = op(f, io, len, &at);
	if (locked)
		vfs_unlock();
	if (positioned) {
		f->pos = at;
		mutex_unlock(&f->pos_lock);
	}
	return n;
}

long vfs_read(struct file *f, struct vfs_io *io, size_t len, const uint64_t *off)
{
	if ((f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_PATH) || !f->ops)
		return -EBADF;
	if (f->path.inode && S_ISDIR(f->path.inode->mode))
		return -EISDIR;
	if (!f->ops->read)
		return -EINVAL;
	return vfs_rw(f, io, len, off, f->ops->read);
}

long vfs_write(struct file *f, struct vfs_io *io, size_t len, const uint64_t *off)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH) || !f->ops)
		return -EBADF;
	if (!f->ops->write)
		return -EINVAL;
	return vfs_rw(f, io, len, off, f->ops->write);
}

unsigned vfs_poll(struct file *f)
{
	if (!f->ops || (f->flags & O_PATH))
		return POLLNVAL;
	if (!f->ops->poll)
		return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	return f->ops->poll(f);
}

/* --- waiting for poll events --- */

static struct waitq vfs_poll_wq = WAITQ_INIT(vfs_poll_wq, "vfs_poll");
static uint64_t vfs_poll_counter;

uint64_t vfs_poll_seq(void)
{
	return atomic_load(&vfs_poll_counter);
}

void vfs_poll_notify(void)
{
	irqflags_t irq = spin_lock_irqsave(&vfs_poll_wq.lock);

	vfs_poll_counter++;
	spin_unlock_irqrestore(&vfs_poll_wq.lock, irq);
	waitq_wake(&vfs_poll_wq, ~0u);
}

void vfs_poll_wait(uint64_t seq, uint64_t deadline_ns)
{
	uint64_t soon = plat_time_ns() + VFS_POLL_INTERVAL_NS;
	irqflags_t irq = spin_lock_irqsave(&vfs_poll_wq.lock);

	if (vfs_poll_counter == seq)
		waitq_sleep_locked(&vfs_poll_wq, MIN(deadline_ns, soon));
	spin_unlock_irqrestore(&vfs_poll_wq.lock, irq);
}

/* --- directories as files --- */

/* file_ops.readdir of a directory: its inode's (vfs_lock held by the caller). */
static int vfs_dir_file_readdir(struct file *f, uint64_t *pos, vfs_filldir_fn fn, void *ctx)
{
	struct inode *dir = f->path.inode;

	if (!dir->ops || !dir->ops->readdir)
		return -ENOTDIR;
	return dir->ops->readdir(dir, pos, fn, ctx);
}

const struct file_ops vfs_dir_file_ops = {
    .readdir = vfs_dir_file_readdir,
};

/* --- exec --- */

int vfs_open_exec(struct process *p, const char *path, struct vm_object **file)
{
	return vfs_exec_lookup(p->fs, path, file);
}

int vfs_exec_lookup(struct fs_context *fs, const char *path, struct vm_object **file)
{
	struct vfs_path root, cwd, found;

	vfs_lock();
	fs_context_paths(fs, &root, &cwd);
	int err = vfs_walk(fs, &cwd, path, WALK_FOLLOW, &found);
	vfs_path_put(&root);
	vfs_path_put(&cwd);
	if (!err) {
		struct inode *inode = found.inode;
		if (!S_ISREG(inode->mode) || !inode->data)
			err = -EACCES;
		else
			err = vfs_permission(inode, 1);
		if (!err && inode->ops && inode->ops->fill)
			err = inode->ops->fill(inode);
		if (!err) {
			vm_object_get(inode->data);
			*file = inode->data;
		}
		vfs_path_put(&found);
	}
	vfs_unlock();
	return err;
}
