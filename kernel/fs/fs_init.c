/*
 * The file system tree at boot: a ramfs root holding the initial RAM disk, with devtmpfs
 * on /dev, proc on /proc and sysfs on /sys (their directories made when the archive lacks
 * them), and a /tmp (mode 1777) when the archive has none, since programs expect one and
 * the first process is a program, not an init that would make it.
 */
#include <amphi/block.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/kprintf.h>
#include <amphi/string.h>

#include "fs_internal.h"

/* Makes the directory path with mode when it is missing. */
static void vfs_init_dir(struct fs_context *fs, const char *path, uint32_t mode)
{
	struct vfs_last last;
	struct inode *dir;

	vfs_lock();
	if (vfs_walk_parent(fs, &fs->root, path, &last) == 0) {
		if (!last.dots && vfs_create(last.dir.inode, last.name, last.len, S_IFDIR | mode, 0,
					     &dir) == 0)
			inode_put(dir);
		vfs_path_put(&last.dir);
	}
	vfs_unlock();
}

/* The directory /name, made when missing, with fstype mounted on it. */
static void vfs_init_mount(struct fs_context *fs, const char *path, const char *fstype)
{
	vfs_init_dir(fs, path, 0755);
	int err = vfs_mount(fs, fstype, path, fstype, 0, NULL);
	if (err)
		kprintf("amphi: vfs: cannot mount %s on %s: error %d\n", fstype, path, err);
}

int vfs_init(const void *archive, size_t size)
{
	struct vfs_path root;

	vfs_lock_init();
	ramfs_register();
	procfs_register();
	ext2_register();
	chrdev_register_mem();
	console_dev_register();
	block_init();
	int err = vfs_mount(NULL, "rootfs", "/", "ramfs", 0, NULL);
	if (err)
		return err;
	vfs_root(&root);
	if (size)
		initramfs_unpack(&root, archive, size);
	vfs_path_put(&root);
	struct fs_context *fs = fs_context_create();
	if (!fs)
		return -ENOMEM;
	vfs_init_mount(fs, "/dev", "devtmpfs");
	vfs_init_mount(fs, "/proc", "proc");
	vfs_init_mount(fs, "/sys", "sysfs");
	vfs_init_dir(fs, "/tmp", 01777);
	fs_context_put(fs);
	return 0;
}
