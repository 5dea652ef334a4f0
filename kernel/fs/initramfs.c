/*
 * The initial RAM disk unpacked into the root file system, as Linux's initramfs: each cpio
 * newc entry becomes a file, directory, symlink or device node with the entry's mode,
 * owner and modification time; entries with the same inode number are hard links to one
 * inode (GNU cpio gives the data with the last of them); a name that exists is replaced,
 * unless both are directories; missing parent directories are created. A corrupt entry
 * stops the unpacking with a message, and what came before it stays. The boot RAM disk's
 * page-aligned file data is taken over page by page rather than copied.
 */
#include <amphi/cpio.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#define INITRAMFS_LINKS_MAX 1024

/* An inode already unpacked whose entry said it has more links. */
struct initramfs_link {
	uint32_t ino, devmajor, devminor;
	struct inode *inode; /* referenced */
};

struct initramfs {
	const struct vfs_path *root;
	struct initramfs_link *links;
	unsigned nlinks;
	bool adopt; /* the archive's pages may become the files' pages */
};

/* The name with "./" and "/" prefixes taken off ("" for the root itself). */
static const char *initramfs_name(const char *name)
{
	for (;;) {
		if (name[0] == '/')
			name++;
		else if (name[0] == '.' && name[1] == '/')
			name += 2;
		else if (name[0] == '.' && name[1] == '\0')
			return name + 1;
		else
			return name;
	}
}

/* Creates every missing directory on the way to name's last component (mode 0755). */
static void initramfs_mkdirs(struct initramfs *ir, const char *name)
{
	char *path = kmalloc(VFS_PATH_MAX);
	struct vfs_last last;

	if (!path)
		return;
	for (const char *slash = strchr(name, '/'); slash; slash = strchr(slash + 1, '/')) {
		size_t n = MIN((size_t)(slash - name), (size_t)VFS_PATH_MAX - 1);
		memcpy(path, name, n);
		path[n] = '\0';
		if (vfs_walk_parent(NULL, ir->root, path, &last) < 0)
			break;
		struct inode *dir;
		if (!last.dots && vfs_create(last.dir.inode, last.name, last.len, S_IFDIR | 0755, 0,
					     &dir) == 0)
			inode_put(dir);
		vfs_path_put(&last.dir);
	}
	kfree(path);
}

/* Makes the parent of name exist: 0 with *last filled, or an errno. */
static int initramfs_parent(struct initramfs *ir, const char *name, struct vfs_last *last)
{
	int err = vfs_walk_parent(NULL, ir->root, name, last);

	if (err == -ENOENT) {
		initramfs_mkdirs(ir, name);
		err = vfs_walk_parent(NULL, ir->root, name, last);
	}
	return err;
}

/* The earlier inode e is a link to, or NULL. */
static struct initramfs_link *initramfs_link_find(struct initramfs *ir,
						  const struct cpio_entry *e)
{
	for (unsigned i = 0; i < ir->nlinks; i++) {
		struct initramfs_link *l = &ir->links[i];
		if (l->ino == e->ino && l->devmajor == e->devmajor && l->devminor == e->devminor)
			return l;
	}
	return NULL;
}

/* Remembers inode as entry e's, for later links to it. */
static void initramfs_link_add(struct initramfs *ir, const struct cpio_entry *e,
			       struct inode *inode)
{
	if (!ir->links)
		ir->links = kzalloc(INITRAMFS_LINKS_MAX * sizeof(*ir->links));
	if (!ir->links || ir->nlinks == INITRAMFS_LINKS_MAX)
		return;
	inode_get(inode);
	ir->links[ir->nlinks++] = (struct initramfs_link){e->ino, e->devmajor, e->devminor, inode};
}

/* The inode for entry e at last (existing non-directories replaced): 0 with a reference
 * in *out. */
static int initramfs_make(struct initramfs *ir, const struct cpio_entry *e,
			  struct vfs_last *last, struct inode **out)
{
	struct inode *dir = last->dir.inode;
	struct vfs_dirent *d = vfs_dir_find(dir, last->name, last->len);
	uint32_t type = e->mode & S_IFMT;
	struct initramfs_link *l = type == S_IFREG && e->nlink > 1 ? initramfs_link_find(ir, e)
								   : NULL;

	if (d && S_ISDIR(d->inode->mode) && type == S_IFDIR) {
		inode_get(d->inode);
		*out = d->inode;
		return 0;
	}
	if (d && S_ISDIR(d->inode->mode) && d->inode->nentries)
		return -EEXIST; /* a directory with contents is not replaced by a file */
	if (d)
		vfs_dir_remove(dir, d);
	if (l) {
		int err = vfs_dir_add(dir, last->name, last->len, l->inode);
		if (!err) {
			l->inode->nlink++;
			inode_get(l->inode);
			*out = l->inode;
		}
		return err;
	}
	uint64_t rdev = VFS_DEV(e->rdevmajor, e->rdevminor);
	int err = vfs_create(dir, last->name, last->len, e->mode, rdev, out);
	if (!err && type == S_IFREG && e->nlink > 1)
		initramfs_link_add(ir, e, *out);
	return err;
}

/* Hands the whole pages of e's data over to the file o while they start page aligned in
 * the archive and are reserved RAM; returns the bytes handed over (the rest is copied:
 * a last partial page shares its page with what follows in the archive). */
static size_t initramfs_adopt(struct vm_object *o, const struct cpio_entry *e)
{
	size_t done = 0;

	if (!IS_ALIGNED((uintptr_t)e->data, PAGE_SIZE))
		return 0;
	for (; e->size - done >= PAGE_SIZE; done += PAGE_SIZE) {
		paddr_t pa = plat_virt_to_phys((const uint8_t *)e->data + done);
		if (page_user_adopt(pa) < 0)
			break;
		if (vm_object_adopt(o, done / PAGE_SIZE, pa, done + PAGE_SIZE) < 0) {
			page_put(pa);
			break;
		}
	}
	return done;
}

/* Checks what entry e holds before anything is made of it: a symlink's target must be a
 * path (not empty, no NUL, shorter than VFS_PATH_MAX), or the link would be left without
 * one. Returns 0, -ENOENT, -EINVAL or -ENAMETOOLONG. */
static int initramfs_check(const struct cpio_entry *e)
{
	if ((e->mode & S_IFMT) != S_IFLNK)
		return 0;
	if (e->size == 0)
		return -ENOENT; /* as symlink(2) with an empty target */
	if (e->size >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	return memchr(e->data, '\0', e->size) ? -EINVAL : 0;
}

/* Gives inode the entry's data (file bytes, or a symlink's target, already checked);
 * adopt as in struct initramfs. */
static int initramfs_data(struct inode *inode, const struct cpio_entry *e, bool adopt)
{
	if (S_ISLNK(inode->mode)) {
		char *target = kmalloc(e->size + 1);
		if (!target)
			return -ENOMEM;
		memcpy(target, e->data, e->size);
		target[e->size] = '\0';
		int err = vfs_set_symlink(inode, target);
		kfree(target);
		return err;
	}
	if (!S_ISREG(inode->mode) || !e->size)
		return 0;
	size_t adopted = adopt ? initramfs_adopt(inode->data, e) : 0;
	if (adopted == e->size)
		return 0;
	long n = vm_object_write(inode->data, adopted, (const uint8_t *)e->data + adopted,
				 e->size - adopted);
	return n < 0 ? (int)n : (size_t)n == e->size - adopted ? 0 : -ENOMEM;
}

/* Unpacks one entry; an error is reported and the entry skipped. */
static void initramfs_entry(struct initramfs *ir, const struct cpio_entry *e)
{
	const char *name = initramfs_name(e->name);
	struct vfs_last last;
	struct inode *inode = NULL;

	if (!*name)
		return; /* the root directory itself */
	int err = initramfs_check(e);
	if (!err)
		err = initramfs_parent(ir, name, &last);
	if (!err) {
		err = last.dots ? -EEXIST : initramfs_make(ir, e, &last, &inode);
		vfs_path_put(&last.dir);
	}
	if (!err)
		err = initramfs_data(inode, e, ir->adopt);
	if (inode) {
		inode->mode = (inode->mode & S_IFMT) | (e->mode & S_IALLUGO);
		inode->uid = e->uid;
		inode->gid = e->gid;
		inode->mtime = inode->ctime = inode->atime = (struct vfs_time){e->mtime, 0};
		inode_put(inode);
	}
	if (err)
		kprintf("amphi: initramfs: cannot unpack %s: error %d\n", e->name, err);
}

int initramfs_unpack(const struct vfs_path *root, const void *archive, size_t size, bool adopt)
{
	struct initramfs ir = {root, NULL, 0, adopt};
	struct cpio_reader r;
	struct cpio_entry e;
	int got = 0;

	cpio_reader_init(&r, archive, size);
	vfs_lock();
	while (r.pos < r.len) {
		got = cpio_next(&r, &e);
		if (got < 0)
			break;
		if (got == 1)
			initramfs_entry(&ir, &e);
	}
	vfs_unlock();
	for (unsigned i = 0; i < ir.nlinks; i++)
		inode_put(ir.links[i].inode);
	kfree(ir.links);
	if (got < 0)
		kprintf("amphi: initramfs: corrupt archive at byte %zu of %zu; the files before "
			"it are unpacked\n",
			r.pos, size);
	return got < 0 ? got : 0;
}
