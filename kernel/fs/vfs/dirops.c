/*
 * Namespace changes on in-memory directories: mkdir, mknod, symlink, link, unlink, rmdir,
 * rename, with Linux's errno for each rule. All run under vfs_lock, after the caller has
 * walked to the parent directories (struct vfs_last).
 */
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/string.h>

#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4

/* Checks that the caller may add or remove entries of directory path dir (write and
 * search, in a writable mount). */
static int vfs_dir_writable(const struct vfs_path *path)
{
	struct inode *dir = path->inode;

	if (!dir->ops || !dir->ops->mknod)
		return -ENOENT; /* a file system whose names the kernel makes (proc), as Linux */
	int err = vfs_path_writable(path);
	return err ? err : vfs_permission(dir, 3);
}

int vfs_make(struct vfs_last *last, uint32_t mode, uint64_t rdev, const char *target)
{
	struct inode *inode;

	if (last->dots)
		return -EEXIST;
	struct inode *dir = last->dir.inode;
	if (vfs_dir_find(dir, last->name, last->len))
		return -EEXIST;
	if (last->slash && !S_ISDIR(mode))
		return -ENOENT; /* only a directory's name may end in a slash */
	int err = vfs_dir_writable(&last->dir);
	if (!err)
		err = vfs_create(dir, last->name, last->len, mode, rdev, &inode);
	if (err)
		return err;
	if (target)
		err = vfs_set_symlink(inode, target);
	if (err) {
		vfs_dir_remove(dir, vfs_dir_find(dir, last->name, last->len));
		inode_put(inode);
		return err;
	}
	inode_put(inode);
	return 0;
}

int vfs_link(const struct vfs_path *old, struct vfs_last *last)
{
	if (S_ISDIR(old->inode->mode))
		return -EPERM;
	if (last->dots || vfs_dir_find(last->dir.inode, last->name, last->len))
		return -EEXIST;
	if (old->mnt != last->dir.mnt)
		return -EXDEV;
	if (last->slash)
		return -ENOENT;
	int err = vfs_dir_writable(&last->dir);
	if (!err)
		err = vfs_dir_add(last->dir.inode, last->name, last->len, old->inode);
	if (!err) {
		old->inode->nlink++;
		old->inode->ctime = vfs_now();
	}
	return err;
}

/* The entry last names, checked for removal: 0 with it in *d. */
static int vfs_remove_target(struct vfs_last *last, struct vfs_dirent **d)
{
	int err = vfs_dir_writable(&last->dir);

	if (err)
		return err;
	*d = vfs_dir_find(last->dir.inode, last->name, last->len);
	if (!*d)
		return -ENOENT;
	if ((*d)->inode->mounts)
		return -EBUSY;
	return 0;
}

int vfs_unlink(struct vfs_last *last)
{
	struct vfs_dirent *d;

	if (last->dots)
		return -EISDIR;
	int err = vfs_remove_target(last, &d);
	if (err)
		return err;
	struct inode *inode = d->inode;
	if (S_ISDIR(inode->mode))
		return -EISDIR;
	if (last->slash)
		return -ENOTDIR;
	inode->nlink--;
	inode->ctime = vfs_now();
	vfs_dir_remove(last->dir.inode, d);
	return 0;
}

int vfs_rmdir(struct vfs_last *last)
{
	struct vfs_dirent *d;

	if (last->len == 0)
		return -EBUSY; /* the root */
	if (last->dots)
		return last->len == 1 ? -EINVAL : -ENOTEMPTY;
	int err = vfs_remove_target(last, &d);
	if (err)
		return err;
	struct inode *inode = d->inode;
	if (!S_ISDIR(inode->mode))
		return -ENOTDIR;
	if (inode->nentries)
		return -ENOTEMPTY;
	inode->nlink = 0;
	inode->ctime = vfs_now();
	vfs_dir_remove(last->dir.inode, d);
	return 0;
}

/* True when directory a is dir or one of its ancestors. */
static bool vfs_is_ancestor(struct inode *a, struct inode *dir)
{
	for (struct inode *i = dir; i; i = i->parent) {
		if (i == a)
			return true;
		if (i->parent == i)
			break;
	}
	return false;
}

/* Checks a rename of entry od over entry nd (NULL when the new name is free). */
static int vfs_rename_check(struct vfs_last *old, struct vfs_dirent *od, struct vfs_last *new,
			    struct vfs_dirent *nd, unsigned flags)
{
	bool dir = S_ISDIR(od->inode->mode);

	if (!dir && (old->slash || new->slash))
		return -ENOTDIR;
	if (dir && vfs_is_ancestor(od->inode, new->dir.inode))
		return -EINVAL;
	if (od->inode->mounts || (nd && nd->inode->mounts))
		return -EBUSY;
	if (!nd)
		return (flags & RENAME_EXCHANGE) ? -ENOENT : 0;
	if (flags & RENAME_NOREPLACE)
		return -EEXIST;
	if (flags & RENAME_EXCHANGE)
		return 0;
	if (dir && !S_ISDIR(nd->inode->mode))
		return -ENOTDIR;
	if (!dir && S_ISDIR(nd->inode->mode))
		return -EISDIR;
	if (dir && nd->inode->nentries)
		return -ENOTEMPTY;
	return 0;
}

/* Moves entry od of old's directory to new's name, over entry nd if any (checked). */
static int vfs_rename_move(struct vfs_last *old, struct vfs_dirent *od, struct vfs_last *new,
			   struct vfs_dirent *nd, unsigned flags)
{
	struct inode *moved = od->inode, *over = nd ? nd->inode : NULL;

	inode_get(moved);
	if (over)
		inode_get(over);
	vfs_dir_remove(old->dir.inode, od);
	if (nd)
		vfs_dir_remove(new->dir.inode, nd);
	int err = vfs_dir_add(new->dir.inode, new->name, new->len, moved);
	if (!err && over && (flags & RENAME_EXCHANGE))
		err = vfs_dir_add(old->dir.inode, old->name, old->len, over);
	else if (!err && over)
		over->nlink = S_ISDIR(over->mode) ? 0 : over->nlink - 1;
	moved->ctime = vfs_now();
	inode_put(moved);
	if (over)
		inode_put(over);
	return err;
}

int vfs_rename(struct vfs_last *old, struct vfs_last *new, unsigned flags)
{
	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) ||
	    ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT))))
		return -EINVAL;
	if (flags & RENAME_WHITEOUT)
		return -EINVAL; /* no overlay file systems */
	if (old->dots || new->dots)
		return -EBUSY;
	int err = vfs_dir_writable(&old->dir);
	if (!err)
		err = vfs_dir_writable(&new->dir);
	if (err)
		return err;
	struct vfs_dirent *od = vfs_dir_find(old->dir.inode, old->name, old->len);
	if (!od)
		return -ENOENT;
	if (old->dir.mnt != new->dir.mnt)
		return -EXDEV;
	struct vfs_dirent *nd = vfs_dir_find(new->dir.inode, new->name, new->len);
	if (nd && nd->inode == od->inode)
		return (flags & RENAME_NOREPLACE) ? -EEXIST : 0; /* links to one inode */
	err = vfs_rename_check(old, od, new, nd, flags);
	if (!err && (flags & RENAME_EXCHANGE) && S_ISDIR(nd->inode->mode) &&
	    vfs_is_ancestor(nd->inode, old->dir.inode))
		err = -EINVAL;
	return err ? err : vfs_rename_move(old, od, new, nd, flags);
}
