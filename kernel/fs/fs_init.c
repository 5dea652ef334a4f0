/*
 * The file system tree at boot: a ramfs root holding the initial RAM disk, with devtmpfs
 * on /dev, proc on /proc and sysfs on /sys (their directories made when the archive lacks
 * them), and a /tmp (mode 1777) when the archive has none, since programs expect one and
 * the first process is a program, not an init that would make it.
 */
#include <amphi/block.h>
#include <amphi/cmdline.h>
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
		initramfs_unpack(&root, archive, size, true);
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

/* The device root= names: its name after "/dev/" into name, 0, or -EINVAL with a line. */
static int vfs_root_name(const char *cmdline, char *name, size_t size)
{
	char spec[BLOCK_NAME_MAX + 8];
	int n = cmdline_get(cmdline, "root", spec, sizeof(spec));

	if (n == -ENOENT)
		return n;
	if (n <= 5 || strncmp(spec, "/dev/", 5) != 0) {
		kprintf("amphi: VFS: root=%s: want root=/dev/NAME (e.g. /dev/vda, /dev/vda1)\n",
			n >= 0 ? spec : "(too long)");
		return -EINVAL;
	}
	kstrlcpy(name, spec + 5, size);
	return 0;
}

/* Mounts devtmpfs on dir/dev when the new root has a /dev, as Linux's devtmpfs.mount. */
static void vfs_root_devtmpfs(struct fs_context *fs)
{
	int err = vfs_mount(fs, "devtmpfs", "/root/dev", "devtmpfs", 0, NULL);

	if (err && err != -ENOENT)
		kprintf("amphi: VFS: cannot mount devtmpfs on the root's /dev: error %d\n", err);
}

int vfs_mount_root(const char *cmdline, struct vfs_path *out)
{
	char name[BLOCK_NAME_MAX], fstype[16] = "ext2", source[BLOCK_NAME_MAX + 8];
	int err = vfs_root_name(cmdline, name, sizeof(name));

	if (err)
		return err;
	int n = cmdline_get(cmdline, "rootfstype", fstype, sizeof(fstype));
	if (n == -ENOENT || n == 0)
		kstrlcpy(fstype, "ext2", sizeof(fstype));
	else if (n < 0)
		kstrlcpy(fstype, "?", sizeof(fstype)); /* too long: no such type */
	struct block_device *bdev = block_get_by_name(name);
	if (!bdev) {
		kprintf("amphi: VFS: cannot open root device \"%s\": error %d\n", name, -ENXIO);
		kprintf("amphi: VFS: please append a correct \"root=\" boot option; here are the "
			"available devices:\n");
		block_print_devices();
		return -ENXIO;
	}
	block_put(bdev);
	struct fs_context *fs = fs_context_create();
	if (!fs)
		return -ENOMEM;
	bool rw = cmdline_has(cmdline, "rw") && !cmdline_has(cmdline, "ro");
	ksnprintf(source, sizeof(source), "/dev/%s", name);
	vfs_init_dir(fs, "/root", 0700);
	err = vfs_mount(fs, source, "/root", fstype, rw ? 0 : MS_RDONLY, NULL);
	if (err) {
		kprintf("amphi: VFS: cannot mount root fs %s (%s) on /dev/%s: error %d\n", fstype,
			rw ? "rw" : "ro", name, err);
	} else {
		kprintf("amphi: VFS: mounted root (%s file system)%s on device %u:%u.\n", fstype,
			rw ? "" : " readonly", VFS_MAJOR(bdev->rdev), VFS_MINOR(bdev->rdev));
		vfs_root_devtmpfs(fs);
		vfs_lock();
		err = vfs_walk(fs, &fs->root, "/root", WALK_DIRECTORY | WALK_FOLLOW, out);
		vfs_unlock();
	}
	fs_context_put(fs);
	return err;
}
