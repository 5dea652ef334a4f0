/*
 * ramfs: a file system that is nothing but its inodes. A regular file's bytes are a memory
 * object (so mapping the file maps its pages), a symlink holds its target, a directory its
 * entries. Mounted as "ramfs", "tmpfs" (the same thing, with no size limit yet) and
 * "devtmpfs" (with a node for each registered character and block device).
 */
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#include "../fs_internal.h"

#define RAMFS_MAGIC 0x858458f6
#define TMPFS_MAGIC 0x01021994
#define SYSFS_MAGIC 0x62656572

/* inode_ops.mknod: a new inode of the given type in dir's file system. */
static int ramfs_mknod(struct inode *dir, uint32_t mode, uint64_t rdev, struct inode **out)
{
	struct inode *inode = inode_alloc(dir->sb, mode);

	if (!inode)
		return -ENOMEM;
	inode->ops = &ramfs_inode_ops;
	switch (mode & S_IFMT) {
	case S_IFREG:
		inode->data = vm_object_create();
		inode->fops = &ramfs_file_ops;
		break;
	case S_IFDIR:
		inode->fops = &vfs_dir_file_ops;
		break;
	case S_IFCHR:
	case S_IFBLK:
		inode->rdev = rdev;
		break;
	case S_IFLNK:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	default:
		inode_put(inode);
		return -EINVAL;
	}
	if (S_ISREG(mode) && !inode->data) {
		inode_put(inode);
		return -ENOMEM;
	}
	*out = inode;
	return 0;
}

static long ramfs_readlink(struct inode *inode, char *buf, size_t size)
{
	size_t n = inode->target ? strlen(inode->target) : 0;

	if (!inode->target)
		return -EINVAL;
	memcpy(buf, inode->target, MIN(n, size));
	return (long)MIN(n, size);
}

static int ramfs_truncate(struct inode *inode, uint64_t size)
{
	return vm_object_truncate(inode->data, size);
}

const struct inode_ops ramfs_inode_ops = {
    .lookup = vfs_dir_lookup,
    .readdir = vfs_dir_readdir,
    .mknod = ramfs_mknod,
    .readlink = ramfs_readlink,
    .truncate = ramfs_truncate,
};

/* Copiers between an object's page and a vfs_io buffer (vm_object_rw). */
static int ramfs_copy_out(void *page_bytes, size_t done, size_t n, void *ctx)
{
	return vfs_io_out(ctx, done, page_bytes, n);
}

static int ramfs_copy_in(void *page_bytes, size_t done, size_t n, void *ctx)
{
	return vfs_io_in(ctx, done, page_bytes, n);
}

/* file_ops.read: the file's bytes from *off (vfs_lock held by the caller's vfs_read). */
static long ramfs_read(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	struct inode *inode = f->path.inode;
	long n = vm_object_rw(inode->data, *off, len, false, ramfs_copy_out, io);

	if (n > 0)
		*off += (uint64_t)n;
	return n;
}

/* file_ops.write: at *off, or at the end with O_APPEND; stamps the times. */
static long ramfs_write(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	struct inode *inode = f->path.inode;

	if (f->flags & O_APPEND)
		*off = vm_object_size(inode->data);
	if (!len)
		return 0;
	long n = vm_object_rw(inode->data, *off, len, true, ramfs_copy_in, io);
	if (n > 0) {
		*off += (uint64_t)n;
		inode->mtime = inode->ctime = vfs_now();
	}
	return n;
}

const struct file_ops ramfs_file_ops = {
    .read = ramfs_read,
    .write = ramfs_write,
};

/* fs_type.mount for ramfs and tmpfs: an empty directory with mode 0755 (tmpfs 1777). */
static int ramfs_mount_type(const struct fs_type *type, uint64_t magic, uint32_t mode,
			    struct super_block **out)
{
	struct super_block *sb = vfs_super_create(type, magic, &ramfs_inode_ops, S_IFDIR | mode);

	if (!sb)
		return -ENOMEM;
	*out = sb;
	return 0;
}

static const struct fs_type ramfs_type;
static const struct fs_type tmpfs_type;
static const struct fs_type devtmpfs_type;

static int ramfs_mount(const char *source, unsigned long flags, const char *data,
		       struct super_block **out)
{
	(void)source, (void)flags, (void)data;
	return ramfs_mount_type(&ramfs_type, RAMFS_MAGIC, 0755, out);
}

static int tmpfs_mount(const char *source, unsigned long flags, const char *data,
		       struct super_block **out)
{
	(void)source, (void)flags, (void)data;
	return ramfs_mount_type(&tmpfs_type, TMPFS_MAGIC, 01777, out);
}

static int devtmpfs_mount(const char *source, unsigned long flags, const char *data,
			  struct super_block **out)
{
	(void)source, (void)flags, (void)data;
	int err = ramfs_mount_type(&devtmpfs_type, TMPFS_MAGIC, 0755, out);
	if (!err) {
		chrdev_populate((*out)->root);
		blockdev_populate((*out)->root);
	}
	return err;
}

/* sysfs: an empty directory for now (no devices or kernel objects are described yet). */
static const struct fs_type sysfs_type;

static int sysfs_mount(const char *source, unsigned long flags, const char *data,
		       struct super_block **out)
{
	(void)source, (void)flags, (void)data;
	return ramfs_mount_type(&sysfs_type, SYSFS_MAGIC, 0555, out);
}

static const struct fs_type sysfs_type = {.name = "sysfs", .mount = sysfs_mount};
static const struct fs_type ramfs_type = {.name = "ramfs", .mount = ramfs_mount};
static const struct fs_type tmpfs_type = {.name = "tmpfs", .mount = tmpfs_mount};
static const struct fs_type devtmpfs_type = {.name = "devtmpfs", .mount = devtmpfs_mount};

void ramfs_register(void)
{
	vfs_register_fs(&ramfs_type);
	vfs_register_fs(&tmpfs_type);
	vfs_register_fs(&devtmpfs_type);
	vfs_register_fs(&sysfs_type);
}
