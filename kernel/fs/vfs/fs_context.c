/*
 * A process's root, working directory and umask. Counted: CLONE_FS shares one; fork
 * copies it. The paths are swapped under the context's spinlock and the old ones dropped
 * after it, so readers always get a consistent, referenced pair.
 */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/mm.h>
#include <amphi/panic.h>

/* A context with root and cwd (references taken) and umask; NULL when out of memory. */
static struct fs_context *fs_context_alloc(const struct vfs_path *root,
					   const struct vfs_path *cwd, uint32_t umask)
{
	struct fs_context *fs = kzalloc(sizeof(*fs));

	if (!fs)
		return NULL;
	spin_lock_init(&fs->lock, "fs_context");
	fs->refs = 1;
	fs->root = *root;
	fs->cwd = *cwd;
	vfs_path_get(&fs->root);
	vfs_path_get(&fs->cwd);
	fs->umask = umask;
	return fs;
}

struct fs_context *fs_context_create(void)
{
	struct vfs_path root;

	if (vfs_root(&root) < 0)
		return NULL;
	struct fs_context *fs = fs_context_alloc(&root, &root, 022);
	vfs_path_put(&root);
	return fs;
}

struct fs_context *fs_context_clone(struct fs_context *fs)
{
	struct vfs_path root, cwd;

	fs_context_paths(fs, &root, &cwd);
	struct fs_context *c = fs_context_alloc(&root, &cwd, fs->umask);
	vfs_path_put(&root);
	vfs_path_put(&cwd);
	return c;
}

void fs_context_get(struct fs_context *fs)
{
	if (atomic_fetch_add(&fs->refs, 1) == 0)
		panic("fs_context_get: context %p has no references left", (void *)fs);
}

void fs_context_put(struct fs_context *fs)
{
	if (atomic_fetch_add(&fs->refs, -1u) != 1)
		return;
	vfs_path_put(&fs->root);
	vfs_path_put(&fs->cwd);
	kfree(fs);
}

/* Replaces *slot (cwd or root) with path. */
static void fs_context_set(struct fs_context *fs, struct vfs_path *slot,
			   const struct vfs_path *path)
{
	struct vfs_path next = *path;

	vfs_path_get(&next);
	irqflags_t irq = spin_lock_irqsave(&fs->lock);
	struct vfs_path old = *slot;
	*slot = next;
	spin_unlock_irqrestore(&fs->lock, irq);
	vfs_path_put(&old);
}

void fs_context_set_cwd(struct fs_context *fs, const struct vfs_path *path)
{
	fs_context_set(fs, &fs->cwd, path);
}

void fs_context_set_root(struct fs_context *fs, const struct vfs_path *path)
{
	fs_context_set(fs, &fs->root, path);
}

void fs_context_paths(struct fs_context *fs, struct vfs_path *root, struct vfs_path *cwd)
{
	irqflags_t irq = spin_lock_irqsave(&fs->lock);

	*root = fs->root;
	*cwd = fs->cwd;
	vfs_path_get(root);
	vfs_path_get(cwd);
	spin_unlock_irqrestore(&fs->lock, irq);
}
