/*
 * Mounts: which file system instance shows at which directory. The mount list is in mount
 * order under vfs_lock; a walk that reaches a directory with mounts on it (inode->mounts)
 * steps onto the root of the last one mounted there. A mount is counted by the paths that
 * stand in it, so umount refuses (-EBUSY) while a working directory or open file is inside.
 */
#include <amphi/atomic.h>
#include <amphi/block.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/string.h>

#include "../fs_internal.h"

#define VFS_FS_TYPES 16
#define MNT_FORCE 1
#define MNT_DETACH 2
#define MNT_EXPIRE 4
#define UMOUNT_NOFOLLOW 8

static const struct fs_type *vfs_fs_types[VFS_FS_TYPES];
static struct list_node vfs_mounts = LIST_INIT(vfs_mounts);
static struct mount *vfs_root_mount;
static unsigned vfs_next_dev = 1;

void vfs_register_fs(const struct fs_type *type)
{
	for (unsigned i = 0; i < VFS_FS_TYPES; i++) {
		if (!vfs_fs_types[i] || vfs_fs_types[i] == type) {
			vfs_fs_types[i] = type;
			return;
		}
	}
	panic("vfs_register_fs: more than %d file system types", VFS_FS_TYPES);
}

void vfs_fs_types_for_each(void (*fn)(const struct fs_type *type, void *ctx), void *ctx)
{
	for (unsigned i = 0; i < VFS_FS_TYPES && vfs_fs_types[i]; i++)
		fn(vfs_fs_types[i], ctx);
}

/* The registered type called name, or NULL. */
static const struct fs_type *vfs_fs_type(const char *name)
{
	for (unsigned i = 0; i < VFS_FS_TYPES && vfs_fs_types[i]; i++) {
		if (strcmp(vfs_fs_types[i]->name, name) == 0)
			return vfs_fs_types[i];
	}
	return NULL;
}

struct super_block *vfs_super_create(const struct fs_type *type, uint64_t magic,
				     const struct inode_ops *dir_ops, uint32_t root_mode)
{
	struct super_block *sb = kzalloc(sizeof(*sb));

	if (!sb)
		return NULL;
	sb->type = type;
	sb->magic = magic;
	sb->next_ino = 1;
	sb->dev = VFS_DEV(0, atomic_fetch_add(&vfs_next_dev, 1));
	sb->root = inode_alloc(sb, root_mode);
	if (!sb->root) {
		kfree(sb);
		return NULL;
	}
	sb->root->ops = dir_ops;
	sb->root->fops = &vfs_dir_file_ops;
	sb->root->parent = sb->root;
	return sb;
}

/* Frees a super block no mount uses any more, with its whole tree. */
static void vfs_super_free(struct super_block *sb)
{
	if (sb->type->sync)
		sb->type->sync(sb);
	inode_put(sb->root); /* and with it every entry below */
	if (sb->type->kill)
		sb->type->kill(sb);
	kfree(sb);
}

void vfs_mount_get(struct mount *mnt)
{
	if (mnt)
		atomic_fetch_add(&mnt->refs, 1);
}

void vfs_mount_put(struct mount *mnt)
{
	if (mnt && atomic_fetch_add(&mnt->refs, -1u) == 0)
		panic("vfs_mount_put: mount of %s has no references left", mnt->sb->type->name);
}

void vfs_path_get(struct vfs_path *p)
{
	vfs_mount_get(p->mnt);
	if (p->inode)
		inode_get(p->inode);
}

void vfs_path_put(struct vfs_path *p)
{
	if (p->inode)
		inode_put(p->inode);
	vfs_mount_put(p->mnt);
	p->inode = NULL;
	p->mnt = NULL;
}

struct mount *vfs_mount_at(struct mount *parent, struct inode *mountpoint)
{
	struct mount *found = NULL;
	struct list_node *pos;

	if (!mountpoint->mounts)
		return NULL;
	list_for_each(pos, &vfs_mounts)
	{
		struct mount *m = list_entry(pos, struct mount, node);
		if (m->parent == parent && m->mountpoint == mountpoint)
			found = m; /* the last mounted hides the others */
	}
	return found;
}

int vfs_root(struct vfs_path *root)
{
	if (!vfs_root_mount)
		return -ENOENT;
	root->mnt = vfs_root_mount;
	root->inode = vfs_root_mount->sb->root;
	vfs_path_get(root);
	return 0;
}

/* Adds a mount of sb at path (NULL: as the root). vfs_lock held. */
static int vfs_attach(struct super_block *sb, const struct vfs_path *at, const char *source,
		      unsigned long flags)
{
	struct mount *m = kzalloc(sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->sb = sb;
	m->flags = flags;
	kstrlcpy(m->source, source ? source : "none", sizeof(m->source));
	sb->refs++;
	if (at) {
		m->parent = at->mnt;
		m->mountpoint = at->inode;
		vfs_path_get((struct vfs_path *)at);
		at->inode->mounts++;
	} else {
		vfs_root_mount = m;
	}
	list_add_tail(&vfs_mounts, &m->node);
	return 0;
}

/* The device number of the block device node source names (walked from fs's working
 * directory): 0 with it in *rdev, -ENOTBLK, or the walk's errno. vfs_lock held. */
static int vfs_source_dev(struct fs_context *fs, const char *source, uint64_t *rdev)
{
	struct vfs_path root, cwd, found;

	if (!fs || !source)
		return -ENOTBLK;
	fs_context_paths(fs, &root, &cwd);
	int err = vfs_walk(fs, &cwd, source, WALK_FOLLOW, &found);
	vfs_path_put(&root);
	vfs_path_put(&cwd);
	if (err)
		return err;
	if (!S_ISBLK(found.inode->mode))
		err = -ENOTBLK;
	*rdev = found.inode->rdev;
	vfs_path_put(&found);
	return err;
}

/* A new instance of fstype: 0 with it in *out, -ENODEV for an unknown type. */
static int vfs_instance(struct fs_context *fs, const char *fstype, const char *source,
			unsigned long flags, const char *data, struct super_block **out)
{
	const struct fs_type *type = vfs_fs_type(fstype);
	uint64_t rdev = 0;

	if (!type)
		return -ENODEV;
	if (!type->mount_dev)
		return type->mount(source, flags, data, out);
	int err = vfs_source_dev(fs, source, &rdev);
	return err ? err : type->mount_dev(rdev, source, flags, data, out);
}

int vfs_mount(struct fs_context *fs, const char *source, const char *path, const char *fstype,
	      unsigned long flags, const char *data)
{
	struct vfs_path at = {0}, root, cwd;
	struct super_block *sb;
	int err = 0;

	vfs_lock();
	if (fs) {
		fs_context_paths(fs, &root, &cwd);
		err = vfs_walk(fs, &cwd, path, WALK_FOLLOW | WALK_DIRECTORY, &at);
		vfs_path_put(&root);
		vfs_path_put(&cwd);
	} else if (vfs_root_mount) {
		err = -EBUSY;
	}
	if (!err)
		err = vfs_instance(fs, fstype, source, flags, data, &sb);
	if (!err) {
		err = vfs_attach(sb, fs ? &at : NULL, source, flags);
		if (err)
			vfs_super_free(sb);
	}
	if (fs && at.inode)
		vfs_path_put(&at);
	vfs_unlock();
	return err;
}

/* True when some other mount sits inside m. vfs_lock held. */
static bool vfs_mount_has_children(struct mount *m)
{
	struct list_node *pos;

	list_for_each(pos, &vfs_mounts)
	{
		if (list_entry(pos, struct mount, node)->parent == m)
			return true;
	}
	return false;
}

/* Removes mount m when nothing stands in it. vfs_lock held. */
static int vfs_detach(struct mount *m)
{
	if (m == vfs_root_mount || m->refs > 0 || vfs_mount_has_children(m))
		return -EBUSY;
	list_del(&m->node);
	m->mountpoint->mounts--;
	struct vfs_path at = {m->parent, m->mountpoint};
	vfs_path_put(&at);
	if (--m->sb->refs == 0)
		vfs_super_free(m->sb);
	kfree(m);
	return 0;
}

int vfs_umount(struct fs_context *fs, const char *path, int flags)
{
	struct vfs_path at, root, cwd;

	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	vfs_lock();
	fs_context_paths(fs, &root, &cwd);
	int err = vfs_walk(fs, &cwd, path, (flags & UMOUNT_NOFOLLOW) ? 0 : WALK_FOLLOW, &at);
	vfs_path_put(&root);
	vfs_path_put(&cwd);
	if (!err) {
		struct mount *m = at.mnt;
		bool is_root = at.inode == m->sb->root;
		vfs_path_put(&at);
		err = is_root ? vfs_detach(m) : -EINVAL;
	}
	vfs_unlock();
	return err;
}

void vfs_mounts_for_each(const struct vfs_path *from,
			 int (*fn)(struct mount *mnt, const char *path, void *ctx), void *ctx)
{
	struct list_node *pos;
	struct vfs_path root;
	char *buf = kmalloc(VFS_PATH_MAX);

	if (!buf)
		return;
	vfs_lock();
	if (from) {
		root = *from;
		vfs_path_get(&root);
	}
	if (from || vfs_root(&root) == 0) {
		list_for_each(pos, &vfs_mounts)
		{
			struct mount *m = list_entry(pos, struct mount, node);
			struct vfs_path p = {m, m->sb->root};
			if (!vfs_path_under(&root, &p))
				continue;
			if (vfs_path_name(&root, &p, buf, VFS_PATH_MAX) < 0)
				kstrlcpy(buf, "?", VFS_PATH_MAX);
			if (fn(m, buf, ctx))
				break;
		}
		vfs_path_put(&root);
	}
	vfs_unlock();
	kfree(buf);
}

int vfs_sync_super(struct super_block *sb)
{
	int err = 0;

	if (sb->type->sync) {
		vfs_lock();
		err = sb->type->sync(sb);
		vfs_unlock();
	}
	return err;
}

int vfs_sync_all(void)
{
	struct list_node *pos;
	int first = 0;

	vfs_lock();
	list_for_each(pos, &vfs_mounts)
	{
		struct super_block *sb = list_entry(pos, struct mount, node)->sb;
		int err = sb->type->sync ? sb->type->sync(sb) : 0;
		if (err && !first)
			first = err;
	}
	vfs_unlock();
	int err = bcache_sync_all();
	return first ? first : err;
}
