/*
 * Inodes and in-memory directories. An inode is counted: directory entries, open files,
 * paths (working directories, walks in progress) and mounts hold references, and the last
 * one frees it. The parent pointer is not a reference: an entry in the parent keeps the
 * inode alive, and removing the entry clears the pointer. For a directory it is the one
 * parent; for a file with several links, the directory of the latest one.
 */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/string.h>
#include <amphi/timer.h>
#include <amphi/vm.h>

#include "../fs_internal.h"

static struct mutex vfs_mutex;
static bool vfs_mutex_ready;

void vfs_lock_init(void)
{
	mutex_init(&vfs_mutex, "vfs");
	vfs_mutex_ready = true;
}

void vfs_lock(void)
{
	if (!vfs_mutex_ready)
		panic("vfs_lock: taken before vfs_init made the lock");
	mutex_lock(&vfs_mutex);
}

void vfs_unlock(void)
{
	mutex_unlock(&vfs_mutex);
}

struct vfs_time vfs_now(void)
{
	uint64_t ns = wall_clock_ns();

	return (struct vfs_time){(int64_t)(ns / 1000000000ULL), (uint32_t)(ns % 1000000000ULL)};
}

int vfs_io_out(struct vfs_io *io, size_t done, const void *src, size_t n)
{
	if (!io->vm) {
		memcpy((uint8_t *)io->addr + done, src, n);
		return 0;
	}
	return vm_copy_to_user(io->vm, io->addr + done, src, n);
}

int vfs_io_in(struct vfs_io *io, size_t done, void *dst, size_t n)
{
	if (!io->vm) {
		memcpy(dst, (const uint8_t *)io->addr + done, n);
		return 0;
	}
	return vm_copy_from_user(io->vm, dst, io->addr + done, n);
}

struct inode *inode_alloc(struct super_block *sb, uint32_t mode)
{
	struct inode *inode = kzalloc(sizeof(*inode));

	if (!inode)
		return NULL;
	inode->refs = 1;
	inode->ino = sb ? atomic_fetch_add(&sb->next_ino, 1) : 0;
	inode->mode = mode;
	inode->nlink = S_ISDIR(mode) ? 2 : 1;
	inode->sb = sb;
	inode->atime = inode->mtime = inode->ctime = vfs_now();
	inode->dir_seq = 2; /* after "." and ".." */
	list_init(&inode->entries);
	return inode;
}

void inode_get(struct inode *inode)
{
	if (atomic_fetch_add(&inode->refs, 1) == 0)
		panic("inode_get: inode %lu has no references left", (unsigned long)inode->ino);
}

/* Drops one reference: true when it was the last. */
static bool inode_unref(struct inode *inode)
{
	return atomic_fetch_add(&inode->refs, -1u) == 1;
}

/* Empties directory dir, which is being freed, pushing the children whose last reference
 * went onto *todo: a loop, not a recursion, however deep the tree. */
static void inode_drop_entries(struct inode *dir, struct inode **todo)
{
	while (!list_empty(&dir->entries)) {
		struct vfs_dirent *d =
		    list_entry(list_first(&dir->entries), struct vfs_dirent, node);
		struct inode *child = d->inode;
		list_del(&d->node);
		dir->nentries--;
		kfree(d);
		if (child->parent == dir)
			child->parent = NULL;
		if (inode_unref(child)) {
			child->free_next = *todo;
			*todo = child;
		}
	}
}

void inode_put(struct inode *inode)
{
	if (!inode_unref(inode))
		return;
	inode->free_next = NULL;
	for (struct inode *todo = inode; todo;) {
		struct inode *i = todo;
		todo = i->free_next;
		inode_drop_entries(i, &todo);
		if (i->ops && i->ops->evict)
			i->ops->evict(i);
		if (i->data)
			vm_object_put(i->data);
		kfree(i->target);
		if (i->parent_ref)
			inode_put(i->parent); /* procfs: a few levels at most */
		kfree(i);
	}
}

uint64_t inode_size(struct inode *inode)
{
	if (inode->data)
		return vm_object_size(inode->data);
	if (inode->target)
		return strlen(inode->target);
	return 0;
}

unsigned vfs_dtype(uint32_t mode)
{
	return (mode & S_IFMT) >> 12; /* DT_* are the type bits shifted down */
}

struct vfs_dirent *vfs_dir_find(struct inode *dir, const char *name, size_t len)
{
	struct list_node *pos;

	list_for_each(pos, &dir->entries)
	{
		struct vfs_dirent *d = list_entry(pos, struct vfs_dirent, node);
		if (d->len == len && memcmp(d->name, name, len) == 0)
			return d;
	}
	return NULL;
}

int vfs_dir_add(struct inode *dir, const char *name, size_t len, struct inode *inode)
{
	struct vfs_dirent *d = kmalloc(sizeof(*d) + len + 1);

	if (!d)
		return -ENOMEM;
	inode_get(inode);
	d->inode = inode;
	d->len = (uint16_t)len;
	d->pos = dir->dir_seq++;
	memcpy(d->name, name, len);
	d->name[len] = '\0';
	list_add_tail(&dir->entries, &d->node);
	dir->nentries++;
	inode->parent = dir; /* a file's: where its latest name is, for the names of open files */
	if (S_ISDIR(inode->mode))
		dir->nlink++;
	dir->mtime = dir->ctime = vfs_now();
	return 0;
}

void vfs_dir_remove(struct inode *dir, struct vfs_dirent *d)
{
	struct inode *inode = d->inode;

	list_del(&d->node);
	dir->nentries--;
	if (inode->parent == dir)
		inode->parent = NULL;
	if (S_ISDIR(inode->mode))
		dir->nlink--;
	dir->mtime = dir->ctime = vfs_now();
	kfree(d);
	inode_put(inode);
}

int vfs_dir_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct vfs_dirent *d = vfs_dir_find(dir, name, len);

	if (!d)
		return -ENOENT;
	inode_get(d->inode);
	*out = d->inode;
	return 0;
}

int vfs_dir_readdir(struct inode *dir, uint64_t *pos, vfs_filldir_fn fn, void *ctx)
{
	struct list_node *it;
	struct inode *up = dir->parent ? dir->parent : dir;

	if (*pos == 0) {
		if (fn(ctx, ".", 1, dir->ino, DT_DIR, 1))
			return 0;
		*pos = 1;
	}
	if (*pos == 1) {
		if (fn(ctx, "..", 2, up->ino, DT_DIR, 2))
			return 0;
		*pos = 2;
	}
	list_for_each(it, &dir->entries)
	{
		struct vfs_dirent *d = list_entry(it, struct vfs_dirent, node);
		if (d->pos < *pos)
			continue;
		if (fn(ctx, d->name, d->len, d->inode->ino, vfs_dtype(d->inode->mode), d->pos + 1))
			return 0;
		*pos = d->pos + 1;
	}
	return 0;
}

int vfs_create(struct inode *dir, const char *name, size_t len, uint32_t mode, uint64_t rdev,
	       struct inode **out)
{
	struct inode *inode;

	if (vfs_dir_find(dir, name, len))
		return -EEXIST;
	if (!dir->ops->mknod)
		return -ENOENT; /* a file system whose names the kernel makes (proc), as Linux */
	int err = dir->ops->mknod(dir, mode, rdev, &inode);
	if (err)
		return err;
	err = vfs_dir_add(dir, name, len, inode);
	if (err) {
		inode_put(inode);
		return err;
	}
	*out = inode;
	return 0;
}

int vfs_set_symlink(struct inode *inode, const char *target)
{
	size_t n = strlen(target);
	char *copy = kmalloc(n + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, target, n + 1);
	kfree(inode->target);
	inode->target = copy;
	return 0;
}
