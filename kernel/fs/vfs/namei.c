/*
 * Path walks, with Linux's rules: an absolute path starts at the process's root, a relative
 * one at the given directory; "." stays, ".." goes up but never above the root and crosses
 * back over a mount point; a component longer than 255 bytes is -ENAMETOOLONG; every
 * component but the last must be a directory (-ENOTDIR); symlinks in the middle are always
 * followed, the last one only when asked or when a slash follows it, and more than 40 in one
 * walk is -ELOOP; a trailing slash demands a directory.
 *
 * A followed symlink's target is spliced in front of the rest of the path in the walk's
 * buffer, so the walk stays a loop however links nest.
 */
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/mm.h>
#include <amphi/string.h>

#define WALK_BUF (2 * VFS_PATH_MAX) /* the longest path left to walk, links spliced in */

struct walk {
	struct vfs_path root; /* referenced */
	struct vfs_path cur;  /* referenced */
	char *buf;	      /* the path left to walk (kmalloc'd, as long as it needs) */
	const char *rest;
	unsigned links;
};

int vfs_permission(struct inode *inode, int mask)
{
	/* every process is root until credentials land: root may read and write anything,
	 * and execute what has an execute bit or is a directory */
	if ((mask & 1) && !S_ISDIR(inode->mode) && !(inode->mode & 0111))
		return -EACCES;
	return 0;
}

int vfs_path_writable(const struct vfs_path *p)
{
	return p->mnt && (p->mnt->flags & MS_RDONLY) ? -EROFS : 0;
}

int vfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	if (!dir->ops || !dir->ops->lookup)
		return -ENOENT;
	return dir->ops->lookup(dir, name, len, out);
}

/* Starts a walk of path from start (or fs's root): copies the path into the walk. */
static int walk_start(struct walk *w, struct fs_context *fs, const struct vfs_path *start,
		      const char *path, unsigned flags)
{
	size_t n = strlen(path);
	struct vfs_path cwd;

	if (n >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (n == 0 && !(flags & WALK_EMPTY))
		return -ENOENT;
	w->buf = kmalloc(n + 1);
	if (!w->buf)
		return -ENOMEM;
	memcpy(w->buf, path, n + 1);
	w->rest = w->buf;
	w->links = 0;
	if (fs) {
		fs_context_paths(fs, &w->root, &cwd);
		vfs_path_put(&cwd);
	} else if (vfs_root(&w->root) < 0) {
		kfree(w->buf);
		return -ENOENT;
	}
	w->cur = *start;
	vfs_path_get(&w->cur);
	return 0;
}

/* Ends a walk, dropping what it holds. */
static void walk_end(struct walk *w)
{
	vfs_path_put(&w->root);
	vfs_path_put(&w->cur);
	kfree(w->buf);
}

/* Moves the walk to p (whose references it takes over). */
static void walk_move(struct walk *w, struct vfs_path p)
{
	vfs_path_put(&w->cur);
	w->cur = p;
}

/* Steps to "..": never above the root; off a mounted root onto its mount point first. */
static int walk_dotdot(struct walk *w)
{
	struct vfs_path p = w->cur;

	vfs_path_get(&p);
	for (;;) {
		if (p.mnt == w->root.mnt && p.inode == w->root.inode)
			break;
		if (p.inode != p.mnt->sb->root) {
			struct inode *up = p.inode->parent;
			if (!up) {
				vfs_path_put(&p);
				return -ENOENT; /* the directory was removed */
			}
			inode_get(up);
			inode_put(p.inode);
			p.inode = up;
			break;
		}
		if (!p.mnt->parent)
			break;
		struct vfs_path under = {p.mnt->parent, p.mnt->mountpoint};
		vfs_path_get(&under);
		vfs_path_put(&p);
		p = under;
	}
	walk_move(w, p);
	return 0;
}

/* Steps from mount points onto what is mounted there. */
static void walk_mounts(struct vfs_path *p)
{
	struct mount *m;

	while ((m = vfs_mount_at(p->mnt, p->inode)) != NULL) {
		struct vfs_path top = {m, m->sb->root};
		vfs_path_get(&top);
		vfs_path_put(p);
		*p = top;
	}
}

/* Splices symlink inode's target in front of the rest of the walk (with a slash between,
 * or after it when the link's name had one), restarting at the root for an absolute
 * target. */
static int walk_follow(struct walk *w, struct inode *link, bool slash)
{
	char *target = kmalloc(VFS_PATH_MAX);
	size_t rest = strlen(w->rest);

	if (!target)
		return -ENOMEM;
	if (++w->links > VFS_SYMLINK_MAX) {
		kfree(target);
		return -ELOOP;
	}
	long n = link->ops && link->ops->readlink ? link->ops->readlink(link, target, VFS_PATH_MAX)
						   : -EINVAL;
	int err = n < 0 ? (int)n : n == 0 ? -ENOENT : 0;
	if (!err && (size_t)n + 1 + rest + 1 > WALK_BUF)
		err = -ENAMETOOLONG;
	bool sep = rest || slash;
	char *spliced = err ? NULL : kmalloc((size_t)n + sep + rest + 1);
	if (!err && !spliced)
		err = -ENOMEM;
	if (!err) {
		memcpy(spliced, target, (size_t)n);
		if (sep)
			spliced[n] = '/';
		memcpy(spliced + n + sep, w->rest, rest + 1);
		kfree(w->buf);
		w->buf = spliced;
		w->rest = spliced;
		if (target[0] == '/') {
			struct vfs_path root = w->root;
			vfs_path_get(&root);
			walk_move(w, root);
		}
	}
	kfree(target);
	return err;
}

/* The next component of the walk: its start and length, with w->rest past it; false at
 * the end. *last is set when nothing but slashes follows, *slash when a slash does. */
static bool walk_next(struct walk *w, const char **name, size_t *len, bool *last, bool *slash)
{
	const char *s = w->rest;

	while (*s == '/')
		s++;
	if (!*s) {
		w->rest = s;
		return false;
	}
	const char *e = s;
	while (*e && *e != '/')
		e++;
	const char *after = e;
	while (*after == '/')
		after++;
	*name = s;
	*len = (size_t)(e - s);
	*last = !*after;
	*slash = *last && *e == '/';
	w->rest = *last ? after : e;
	return true;
}

/* Takes one component from the current directory; follows a symlink when follow is set
 * (slash: a slash came after its name). */
static int walk_component(struct walk *w, const char *name, size_t len, bool follow,
			  bool slash)
{
	struct inode *child;

	if (len > VFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (len == 1 && name[0] == '.')
		return 0;
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return walk_dotdot(w);
	int err = vfs_lookup(w->cur.inode, name, len, &child);
	if (err)
		return err;
	if (S_ISLNK(child->mode) && follow) {
		err = walk_follow(w, child, slash);
		inode_put(child);
		return err;
	}
	struct vfs_path p = {w->cur.mnt, child};
	vfs_mount_get(p.mnt);
	walk_mounts(&p);
	walk_move(w, p);
	return 0;
}

/* Checks that the walk stands in a directory it may search. */
static int walk_dir_ok(struct walk *w)
{
	if (!S_ISDIR(w->cur.inode->mode))
		return -ENOTDIR;
	return vfs_permission(w->cur.inode, 1);
}

/* Walks every component, or all but the last when last is not NULL (then filled). */
static int walk_run(struct walk *w, unsigned flags, struct vfs_last *last)
{
	const char *name;
	size_t len;
	bool is_last, slash;

	if (w->rest[0] == '/') {
		struct vfs_path root = w->root;
		vfs_path_get(&root);
		walk_move(w, root);
	}
	while (walk_next(w, &name, &len, &is_last, &slash)) {
		int err = walk_dir_ok(w);
		if (err)
			return err;
		if (is_last && last) {
			if (len > VFS_NAME_MAX)
				return -ENAMETOOLONG;
			memcpy(last->name, name, len);
			last->name[len] = '\0';
			last->len = len;
			last->slash = slash;
			last->dots = (len == 1 && name[0] == '.') ||
				     (len == 2 && name[0] == '.' && name[1] == '.');
			return 0;
		}
		bool follow = !is_last || slash || (flags & WALK_FOLLOW);
		err = walk_component(w, name, len, follow, slash);
		if (err)
			return err;
		if (slash && !w->rest[0] && !S_ISDIR(w->cur.inode->mode))
			return -ENOTDIR;
	}
	if (last) { /* only slashes (or nothing, with WALK_EMPTY): the start directory */
		last->name[0] = '\0';
		last->len = 0;
		last->slash = true;
		last->dots = true;
	}
	if ((flags & WALK_DIRECTORY) && !S_ISDIR(w->cur.inode->mode))
		return -ENOTDIR;
	return 0;
}

int vfs_walk(struct fs_context *fs, const struct vfs_path *start, const char *path,
	     unsigned flags, struct vfs_path *out)
{
	struct walk w;
	int err = walk_start(&w, fs, start, path, flags);

	if (err)
		return err;
	err = walk_run(&w, flags, NULL);
	if (!err) {
		*out = w.cur;
		w.cur = (struct vfs_path){0};
	}
	walk_end(&w);
	return err;
}

int vfs_walk_parent(struct fs_context *fs, const struct vfs_path *start, const char *path,
		    struct vfs_last *last)
{
	struct walk w;
	int err = walk_start(&w, fs, start, path, 0);

	if (err)
		return err;
	err = walk_run(&w, 0, last);
	if (!err) {
		last->dir = w.cur;
		w.cur = (struct vfs_path){0};
	}
	walk_end(&w);
	return err;
}

struct name_search {
	uint64_t ino;
	char *name;
	size_t len;
	bool found;
};

/* A readdir callback that finds the entry with inode number ino. */
static int name_search_fill(void *ctx, const char *name, size_t len, uint64_t ino,
			    unsigned type, uint64_t next)
{
	struct name_search *s = ctx;

	(void)type, (void)next;
	if (ino != s->ino || (len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	memcpy(s->name, name, len);
	s->len = len;
	s->found = true;
	return 1;
}

/* The name of child in directory dir into name (VFS_NAME_MAX + 1 bytes): its length, or
 * -ENOENT. */
static long vfs_name_in(struct inode *dir, struct inode *child, char *name)
{
	struct name_search s = {child->ino, name, 0, false};
	uint64_t pos = 0;

	if (dir->ops && dir->ops->readdir)
		dir->ops->readdir(dir, &pos, name_search_fill, &s);
	return s.found ? (long)s.len : -ENOENT;
}

/* Prepends name (len bytes) and a slash to the string that ends at buf + *at. */
static int vfs_prepend(char *buf, size_t *at, const char *name, size_t len)
{
	if (*at < len + 1)
		return -ENAMETOOLONG;
	*at -= len;
	memcpy(buf + *at, name, len);
	buf[--*at] = '/';
	return 0;
}

bool vfs_path_under(const struct vfs_path *root, const struct vfs_path *p)
{
	struct mount *mnt = p->mnt;
	struct inode *inode = p->inode;

	while (!(mnt == root->mnt && inode == root->inode)) {
		if (inode == mnt->sb->root) {
			if (!mnt->parent)
				return false;
			inode = mnt->mountpoint;
			mnt = mnt->parent;
		} else if (!inode->parent) {
			return false;
		} else {
			inode = inode->parent;
		}
	}
	return true;
}

long vfs_path_name(const struct vfs_path *root, const struct vfs_path *p, char *buf,
		   size_t size)
{
	char name[VFS_NAME_MAX + 1];
	struct mount *mnt = p->mnt;
	struct inode *inode = p->inode;
	size_t at = size - 1;

	buf[at] = '\0';
	while (!(mnt == root->mnt && inode == root->inode)) {
		if (inode == mnt->sb->root) {
			if (!mnt->parent)
				break; /* outside the root (a chroot): shown from the real root */
			inode = mnt->mountpoint;
			mnt = mnt->parent;
			continue;
		}
		if (!inode->parent)
			return -ENOENT;
		long n = vfs_name_in(inode->parent, inode, name);
		int err = n < 0 ? (int)n : vfs_prepend(buf, &at, name, (size_t)n);
		if (err)
			return err;
		inode = inode->parent;
	}
	if (at == size - 1)
		buf[--at] = '/';
	size_t len = size - 1 - at;
	memmove(buf, buf + at, len + 1);
	return (long)len;
}
