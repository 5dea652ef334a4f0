/*
 * fs.h: the virtual file system. Inodes (what a file is), mounts (which file system shows
 * where), path walks with Linux's rules, open file descriptions (struct file) and the
 * per-process tables that point at them (struct fd_table), and each process's root, working
 * directory and umask (struct fs_context).
 *
 * Directories of the in-memory file systems (ramfs, tmpfs, devtmpfs, sysfs) keep their
 * entries in the directory inode itself (vfs_dir_*), so the namespace is the name cache; a
 * file system with dynamic contents (procfs) answers lookup and readdir itself. Every
 * namespace change and path walk runs under one sleeping lock (vfs_lock), which file data
 * I/O on regular files takes as well, so that O_APPEND writes and truncation are atomic;
 * pipes and devices run without it, as they may block.
 *
 * Results are 0 (or a count) or a negative errno, with Linux's errno for every rule.
 */
#pragma once

#include <amphi/arch.h>
#include <amphi/list.h>
#include <amphi/sync.h>
#include <amphi/types.h>

#include GUEST_UAPI_FS /* O_DIRECTORY and friends, struct stat: they differ per ISA */

struct process;
struct vm_space;
struct vm_object;

/* --- Linux's constants (the same on x86_64 and aarch64) --- */

#define S_IFMT 0170000u
#define S_IFSOCK 0140000u
#define S_IFLNK 0120000u
#define S_IFREG 0100000u
#define S_IFBLK 0060000u
#define S_IFDIR 0040000u
#define S_IFCHR 0020000u
#define S_IFIFO 0010000u
#define S_ISUID 04000u
#define S_ISGID 02000u
#define S_ISVTX 01000u
#define S_IALLUGO 07777u
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m)&S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m)&S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m)&S_IFMT) == S_IFIFO)

#define O_ACCMODE 3
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DSYNC 010000
#define O_ASYNC 020000
#define O_NOATIME 01000000
#define O_CLOEXEC 02000000
#define O_SYNC 04010000
#define O_PATH 010000000
#define O_TMPFILE_BIT 020000000 /* O_TMPFILE without O_DIRECTORY */

#define MS_RDONLY 1 /* mount flag: nothing in the mount may change (-EROFS) */

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EACCESS 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000
#define AT_STATX_SYNC_TYPE 0x6000

#define VFS_PATH_MAX 4096 /* bytes with the NUL: longer paths get -ENAMETOOLONG */
#define VFS_NAME_MAX 255
#define VFS_SYMLINK_MAX 40 /* symlinks one walk follows before -ELOOP */
#define VFS_FD_MAX 4096	   /* slots a table may have: RLIMIT_NOFILE's hard limit at most */

/* d_type values of getdents64 */
#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12

/* poll events */
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100

/* Device numbers as Linux's new_encode_dev / stat's st_rdev (glibc's makedev). */
#define VFS_DEV(major, minor)                                                         \
	((((uint64_t)(major)&0xfffff000ull) << 32) | (((uint64_t)(major)&0xfffull) << 8) | \
	 (((uint64_t)(minor)&0xffffff00ull) << 12) | ((uint64_t)(minor)&0xffull))
#define VFS_MAJOR(dev) ((unsigned)((((dev) >> 32) & 0xfffff000u) | (((dev) >> 8) & 0xfffu)))
#define VFS_MINOR(dev) ((unsigned)((((dev) >> 12) & 0xffffff00u) | ((dev)&0xffu)))

struct vfs_time {
	int64_t sec;
	uint32_t nsec;
};

/* --- inodes --- */

struct inode;
struct file;
struct super_block;
struct vfs_io;

/* What a directory entry callback gets (readdir); returns nonzero to stop. */
typedef int (*vfs_filldir_fn)(void *ctx, const char *name, size_t len, uint64_t ino,
			      unsigned type, uint64_t next_pos);

/* The operations of an inode; NULL where the file system does not offer one (the VFS then
 * gives Linux's errno for that case). Called with vfs_lock held. */
struct inode_ops {
	/* The entry name (len bytes) of directory dir: 0 with a reference in *out, -ENOENT. */
	int (*lookup)(struct inode *dir, const char *name, size_t len, struct inode **out);
	/* Lists dir's entries from position *pos on (0 = first, "." and ".." included). */
	int (*readdir)(struct inode *dir, uint64_t *pos, vfs_filldir_fn fn, void *ctx);
	/* Makes a new inode of mode (type and permissions) in dir's file system. */
	int (*mknod)(struct inode *dir, uint32_t mode, uint64_t rdev, struct inode **out);
	/* A symlink's target into buf (size bytes, no NUL): its length, or -ENAMETOOLONG. */
	long (*readlink)(struct inode *inode, char *buf, size_t size);
	/* Sets a regular file's size. */
	int (*truncate)(struct inode *inode, uint64_t size);
	/* Brings a regular file's contents into inode->data before it is used without being
	 * opened (exec); 0 or an errno (-EIO). */
	int (*fill)(struct inode *inode);
	/* The last reference went and the inode is about to be freed: release the file
	 * system's part (a disk file system frees an unlinked file's blocks). Thread context,
	 * vfs_lock held or not. */
	void (*evict)(struct inode *inode);
};

/* The operations of an open file; NULL where the file does not offer one. */
struct file_ops {
	/* Prepares a file just opened on inode (a device's own state); 0 or an errno. */
	int (*open)(struct inode *inode, struct file *f);
	/* Reads or writes len bytes at *off through io (see struct vfs_io); returns the bytes
	 * moved or an errno. May block (pipes, the console) unless O_NONBLOCK. */
	long (*read)(struct file *f, struct vfs_io *io, size_t len, uint64_t *off);
	long (*write)(struct file *f, struct vfs_io *io, size_t len, uint64_t *off);
	/* ioctl cmd with user argument arg; -ENOTTY when cmd means nothing to the file. */
	long (*ioctl)(struct file *f, unsigned cmd, uintptr_t arg);
	/* The POLL* events ready now. */
	unsigned (*poll)(struct file *f);
	/* The last reference to f went: release its own state. */
	void (*release)(struct file *f);
	/* Lists entries (a directory): as inode_ops.readdir. */
	int (*readdir)(struct file *f, uint64_t *pos, vfs_filldir_fn fn, void *ctx);
	/* Writes the file's data (and, unless datasync, its metadata) to its device and
	 * flushes it (fsync, fdatasync); NULL: nothing to write (0). */
	int (*fsync)(struct file *f, bool datasync);
	/* The size SEEK_END counts from (a block device's capacity); NULL: the inode's. */
	uint64_t (*size)(struct file *f);
	/* The memory object mmap maps for a device file (a reference taken for the caller);
	 * NULL: -ENODEV. Regular files map their inode's object without it. */
	struct vm_object *(*mmap_object)(struct file *f);
	/* No position: lseek, pread and pwrite give -ESPIPE (pipes, terminals). */
	bool stream;
};

struct inode {
	unsigned refs;
	uint64_t ino;
	uint32_t mode, uid, gid, nlink;
	uint64_t rdev; /* a device node's number (VFS_DEV) */
	struct vfs_time atime, mtime, ctime;
	struct super_block *sb;
	const struct inode_ops *ops;
	const struct file_ops *fops; /* what opening it gives (devices: by rdev) */
	struct vm_object *data;	     /* a regular file's bytes */
	char *target;		     /* a symlink's target (NUL-terminated) */
	struct inode *parent;	     /* the directory holding it (a file: its latest link), or
				      * NULL once unlinked; a file system's root: itself */
	bool parent_ref;	     /* parent is a counted reference (dynamic file systems) */
	struct list_node entries;    /* a directory's struct vfs_dirent, in creation order */
	unsigned nentries;
	unsigned mounts;    /* mounts whose mount point this is */
	uint64_t dir_seq;   /* next entry position in the directory */
	struct inode *free_next; /* inode_put's list of inodes being freed */
	void *priv;	    /* the file system's own (procfs: what the file shows) */
	uint64_t priv_word; /* likewise */
};

/* An entry of an in-memory directory; holds a reference to its inode. */
struct vfs_dirent {
	struct list_node node;
	struct inode *inode;
	uint64_t pos; /* readdir position: increasing in creation order */
	uint32_t hash; /* of the name (vfs_name_hash): most mismatches cost no comparison */
	uint16_t len;
	char name[];
};

/* --- file systems and mounts --- */

/* What statfs(2) reports of a file system that has sizes (fs_type.statfs). */
struct vfs_statfs {
	uint64_t bsize, blocks, bfree, bavail, files, ffree;
};

struct fs_type {
	const char *name;
	/* A new file system instance (its root, one reference) for mount(2) with data. */
	int (*mount)(const char *source, unsigned long flags, const char *data,
		     struct super_block **out);
	/* Instead of mount, for a file system on a block device (Linux's FS_REQUIRES_DEV):
	 * the VFS walks the source to a block device node (-ENOTBLK otherwise) and passes its
	 * number. vfs_lock held. */
	int (*mount_dev)(uint64_t rdev, const char *source, unsigned long flags,
			 const char *data, struct super_block **out);
	/* Writes the instance's changes to its device (sync, syncfs, and before the last
	 * unmount); NULL: nothing to do. vfs_lock held. */
	int (*sync)(struct super_block *sb);
	/* The last unmount: after the tree is freed, releases the instance's own state. */
	void (*kill)(struct super_block *sb);
	/* Sizes for statfs(2); NULL: the in-memory file systems' zeros. */
	void (*statfs)(struct super_block *sb, struct vfs_statfs *st);
};

struct super_block {
	const struct fs_type *type;
	uint64_t dev; /* st_dev */
	uint64_t magic; /* statfs f_type */
	uint64_t next_ino;
	struct inode *root;
	unsigned refs; /* mounts of it */
	void *priv;
};

struct mount {
	struct super_block *sb;
	struct mount *parent;	  /* NULL for the root mount */
	struct inode *mountpoint; /* in parent (a reference) */
	struct list_node node;	  /* in the mount list */
	unsigned long flags;	  /* MS_RDONLY ... */
	char source[64];
	unsigned refs; /* paths that stand in it, besides the mount list's */
};

/* A place in the tree: a mount and an inode in it; both referenced. */
struct vfs_path {
	struct mount *mnt;
	struct inode *inode;
};

/* --- open files and descriptor tables --- */

struct file {
	unsigned refs;
	unsigned flags; /* O_* status and access mode (O_CLOEXEC lives in the fd table) */
	uint64_t pos;
	struct vfs_path path; /* what was opened (pipes: no mount) */
	const struct file_ops *ops;
	struct mutex pos_lock; /* serializes reads and writes that move pos */
	void *priv;	       /* the file's own state (a pipe, a directory listing) */
	uint32_t wb_err;       /* its device's write-back errors already reported (block.h) */
};

struct fd_table {
	struct spinlock lock;
	unsigned refs;
	unsigned size;	      /* slots in files[] */
	struct file **files;  /* NULL: free */
	uint8_t *cloexec;     /* per slot: close on exec */
};

struct fs_context {
	struct spinlock lock;
	unsigned refs;
	struct vfs_path root, cwd;
	uint32_t umask;
};

/* Where file data goes to or comes from: user memory of a space (vm set) or a kernel
 * buffer (vm NULL), starting at addr; vfs_io_in and vfs_io_out move bytes through it. */
struct vfs_io {
	struct vm_space *vm;
	uintptr_t addr;
};

/* Copies n bytes from kernel memory src to the io buffer at offset done: 0 or -EFAULT. */
int vfs_io_out(struct vfs_io *io, size_t done, const void *src, size_t n);

/* Copies n bytes from the io buffer at offset done into dst: 0 or -EFAULT. */
int vfs_io_in(struct vfs_io *io, size_t done, void *dst, size_t n);

/* --- the lock, inodes, directories (kernel/fs/vfs/inode.c) --- */

/* Takes and releases the namespace lock. May block. */
void vfs_lock(void);
void vfs_unlock(void);

/* The time file times are stamped with: the wall clock (plat_time_epoch_ns on). */
struct vfs_time vfs_now(void);

/* A new inode of sb with mode, one reference, nlink 1 (2 for a directory), owned by root,
 * its times now. NULL when out of memory. */
struct inode *inode_alloc(struct super_block *sb, uint32_t mode);

/* Takes and drops references; the last drop frees the inode and what it holds. */
void inode_get(struct inode *inode);
void inode_put(struct inode *inode);

/* The inode's size in bytes (a regular file's data, a symlink's target length). */
uint64_t inode_size(struct inode *inode);

/* The entry name of in-memory directory dir, or NULL. */
struct vfs_dirent *vfs_dir_find(struct inode *dir, const char *name, size_t len);

/* Adds entry name -> inode to dir (taking a reference to inode, and setting a directory's
 * parent). Returns 0, -ENOMEM. */
int vfs_dir_add(struct inode *dir, const char *name, size_t len, struct inode *inode);

/* Removes entry d from dir, dropping its reference. */
void vfs_dir_remove(struct inode *dir, struct vfs_dirent *d);

/* inode_ops.lookup and readdir over an in-memory directory. */
int vfs_dir_lookup(struct inode *dir, const char *name, size_t len, struct inode **out);
int vfs_dir_readdir(struct inode *dir, uint64_t *pos, vfs_filldir_fn fn, void *ctx);

/* The DT_* type of mode. */
unsigned vfs_dtype(uint32_t mode);

/* --- mounts (kernel/fs/vfs/mount.c) --- */

/* Registers a file system type for mount(2). */
void vfs_register_fs(const struct fs_type *type);

/* Calls fn for each registered file system type, in registration order. */
void vfs_fs_types_for_each(void (*fn)(const struct fs_type *type, void *ctx), void *ctx);

/* A new super block of type with root directory inode root_mode; NULL when out of memory. */
struct super_block *vfs_super_create(const struct fs_type *type, uint64_t magic,
				     const struct inode_ops *dir_ops, uint32_t root_mode);

/* Mounts a new instance of file system fstype at path (walked from the caller's context;
 * NULL fs: the root, at boot). Returns 0, -ENODEV, -ENOTDIR, -ENOENT, -EBUSY, -ENOMEM. */
int vfs_mount(struct fs_context *fs, const char *source, const char *path, const char *fstype,
	      unsigned long flags, const char *data);

/* Unmounts the file system mounted at path: -EINVAL when none is, -EBUSY when in use. */
int vfs_umount(struct fs_context *fs, const char *path, int flags);

/* The mount on mountpoint inode in mount parent, or NULL (vfs_lock held). */
struct mount *vfs_mount_at(struct mount *parent, struct inode *mountpoint);

/* Takes and drops references to a mount (a path standing in it). */
void vfs_mount_get(struct mount *mnt);
void vfs_mount_put(struct mount *mnt);

/* The root of the tree: 0 with it in *root (referenced), -ENOENT before it is mounted. */
int vfs_root(struct vfs_path *root);

/* Writes every mounted file system's changes and every block device's buffers to their
 * devices (sync(2)): 0 or the first error. */
int vfs_sync_all(void);

/* Writes the changes of sb's file system (syncfs(2)) and its device's buffers. */
int vfs_sync_super(struct super_block *sb);

/* Calls fn for each mount seen from root (NULL: the tree's root), in mount order, with its
 * mount point's path from root written into path, under vfs_lock: mounts outside root (a
 * chroot's) are left out, as Linux's /proc/mounts does. Stops when fn returns nonzero. */
void vfs_mounts_for_each(const struct vfs_path *root,
			 int (*fn)(struct mount *mnt, const char *path, void *ctx), void *ctx);

/* Takes and drops the references of a path. */
void vfs_path_get(struct vfs_path *p);
void vfs_path_put(struct vfs_path *p);

/* --- path walks (kernel/fs/vfs/namei.c) --- */

#define WALK_FOLLOW 1u	   /* follow a symlink in the last component */
#define WALK_DIRECTORY 2u  /* the last component must be a directory (-ENOTDIR) */
#define WALK_EMPTY 4u	   /* an empty path means the start directory itself */

/* Walks path from start (used for relative paths; fs's root for absolute ones and for
 * ".." at the root). Returns 0 with the result in *out (referenced), or -ENOENT, -ENOTDIR,
 * -ELOOP, -ENAMETOOLONG, -EACCES. vfs_lock held. */
int vfs_walk(struct fs_context *fs, const struct vfs_path *start, const char *path,
	     unsigned flags, struct vfs_path *out);

/* What a walk to a parent directory found: the parent, and the last component. */
struct vfs_last {
	struct vfs_path dir;		/* referenced */
	char name[VFS_NAME_MAX + 1];	/* "" when the path is "/" */
	size_t len;
	bool slash;			/* the path ended in '/' */
	bool dots;			/* the last component is "." or ".." */
};

/* Walks all but the last component of path. Returns 0 with *last filled, or an errno as
 * vfs_walk. vfs_lock held. */
int vfs_walk_parent(struct fs_context *fs, const struct vfs_path *start, const char *path,
		    struct vfs_last *last);

/* The child name of directory dir: a reference in *out, -ENOENT. vfs_lock held. */
int vfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out);

/* -EROFS when p stands in a read-only mount, else 0: whether its file may change. */
int vfs_path_writable(const struct vfs_path *p);

/* Checks the current credentials' access (R_OK 4, W_OK 2, X_OK 1) to inode: 0, -EACCES. */
int vfs_permission(struct inode *inode, int mask);

/* True when p is root or below it (vfs_lock held). */
bool vfs_path_under(const struct vfs_path *root, const struct vfs_path *p);

/* Writes the path of p as seen from root into buf (size bytes). Returns the length
 * (without NUL), -ENAMETOOLONG, or -ENOENT when p is unlinked. vfs_lock held. */
long vfs_path_name(const struct vfs_path *root, const struct vfs_path *p, char *buf,
		   size_t size);

/* --- namespace changes (kernel/fs/vfs/dirops.c), vfs_lock held --- */

/* Makes last (mkdir, mknod, symlink with target): -EEXIST, -ENOENT (a slash after a
 * non-directory's name), -EACCES, -ENOMEM. */
int vfs_make(struct vfs_last *last, uint32_t mode, uint64_t rdev, const char *target);

/* Links old (not a directory: -EPERM) as last: -EEXIST, -EXDEV across mounts. */
int vfs_link(const struct vfs_path *old, struct vfs_last *last);

/* unlink(2) and rmdir(2) of last, with their errno for each rule. */
int vfs_unlink(struct vfs_last *last);
int vfs_rmdir(struct vfs_last *last);

/* renameat2(2) of old to new with RENAME_* flags. */
int vfs_rename(struct vfs_last *old, struct vfs_last *new, unsigned flags);

/* --- open files (kernel/fs/vfs/file.c) --- */

/* A new open file of path (references taken) with flags and ops; NULL when out of memory. */
struct file *file_alloc(const struct vfs_path *path, unsigned flags, const struct file_ops *ops);

/* Takes and drops references; the last drop releases the file. */
void file_get(struct file *f);
void file_put(struct file *f);

/* Opens path relative to start with open(2)'s flags and mode (creating, truncating).
 * Returns 0 with a new file in *out, or open(2)'s errno. */
int vfs_open(struct fs_context *fs, const struct vfs_path *start, const char *path,
	     unsigned flags, uint32_t mode, struct file **out);

/* Opens the inode at path (referenced) as a file with flags; the inode's fops. */
int vfs_open_path(const struct vfs_path *path, unsigned flags, struct file **out);

/* Sets a regular file's size (truncate(2)): 0, -EISDIR, -EINVAL (not a regular file),
 * -EFBIG. vfs_lock held. */
int vfs_truncate_inode(struct inode *inode, uint64_t size);

/* Reads or writes f at its position (or at *off when off is not NULL), as read(2) and
 * pread(2): checks the access mode. */
long vfs_read(struct file *f, struct vfs_io *io, size_t len, const uint64_t *off);
long vfs_write(struct file *f, struct vfs_io *io, size_t len, const uint64_t *off);

/* The file's current poll events. */
unsigned vfs_poll(struct file *f);

/* Opens the program at path for execve: 0 with its memory object (referenced) in *file,
 * -ENOENT, -ENOTDIR, -ELOOP, -EACCES (a directory, not a regular file, or no execute
 * bit), -ENAMETOOLONG. path is a kernel string, walked from p's working directory. */
int vfs_open_exec(struct process *p, const char *path, struct vm_object **file);

/* vfs_open_exec from the context fs (the first process, before it exists). */
int vfs_exec_lookup(struct fs_context *fs, const char *path, struct vm_object **file);

/* Wakes pollers: something's poll events changed. Any thread context. */
void vfs_poll_notify(void);

/* Sleeps until vfs_poll_notify is called after seq was read from vfs_poll_seq(), or the
 * deadline, or a short polling interval passes (the console has no wakeup). May block. */
void vfs_poll_wait(uint64_t seq, uint64_t deadline_ns);
uint64_t vfs_poll_seq(void);

/* --- descriptor tables (kernel/fs/vfs/fd_table.c) --- */

/* An empty table with one reference; NULL when out of memory. */
struct fd_table *fd_table_create(void);

/* A new table with the same open files in the same slots (fork); NULL when out of memory. */
struct fd_table *fd_table_clone(struct fd_table *t);

/* Takes a reference (CLONE_FILES) and drops one; the last drop closes every file. */
void fd_table_get(struct fd_table *t);
void fd_table_put(struct fd_table *t);

/* Closes every descriptor marked close-on-exec. */
void fd_table_close_on_exec(struct fd_table *t);

/* Installs f (taking a reference) in the lowest free slot >= min and below limit (the
 * caller's RLIMIT_NOFILE). Returns it, -EMFILE, -ENOMEM. */
int fd_install(struct fd_table *t, struct file *f, unsigned min, unsigned limit, bool cloexec);

/* True when some slot below limit is free (for checks before the work of an open). */
bool fd_free_below(struct fd_table *t, unsigned limit);

/* Puts f (a reference taken) in slot fd, closing what was there. Returns fd or -EBADF. */
int fd_install_at(struct fd_table *t, unsigned fd, struct file *f, bool cloexec);

/* The file in slot fd with a reference for the caller, or NULL. */
struct file *fd_get(struct fd_table *t, int fd);

/* Empties slot fd and drops its file: 0 or -EBADF. */
int fd_close(struct fd_table *t, int fd);

/* The close-on-exec flag of fd: 0 or 1 with get, or sets it; -EBADF. */
int fd_cloexec(struct fd_table *t, int fd, int set);

/* Closes (or marks close-on-exec when cloexec) every open fd in [first, last]. */
void fd_close_range(struct fd_table *t, unsigned first, unsigned last, bool cloexec);

/* Calls fn for each open descriptor in order; stops when fn returns nonzero. */
void fd_table_for_each(struct fd_table *t, int (*fn)(int fd, struct file *f, void *ctx),
		       void *ctx);

/* --- per-process root, cwd, umask (kernel/fs/vfs/fs_context.c) --- */

/* A context at the tree's root with umask 022; NULL when out of memory or no root yet. */
struct fs_context *fs_context_create(void);

/* A copy with its own references (fork without CLONE_FS); NULL when out of memory. */
struct fs_context *fs_context_clone(struct fs_context *fs);

/* Takes and drops references (CLONE_FS shares). */
void fs_context_get(struct fs_context *fs);
void fs_context_put(struct fs_context *fs);

/* Replaces the working directory (or the root) with path, taking references. */
void fs_context_set_cwd(struct fs_context *fs, const struct vfs_path *path);
void fs_context_set_root(struct fs_context *fs, const struct vfs_path *path);

/* Copies the working directory and root with references for the caller. */
void fs_context_paths(struct fs_context *fs, struct vfs_path *root, struct vfs_path *cwd);

/* --- file systems, devices, boot (kernel/fs/...) --- */

/* Registers the built-in file systems, mounts a ramfs root, unpacks the initial RAM disk
 * [archive, archive + size) into it (size 0: none), mounts devtmpfs at /dev, proc at /proc
 * and sysfs at /sys. Returns 0 or -ENOMEM; a corrupt archive is reported on the console
 * and what was read before stays. */
int vfs_init(const void *archive, size_t size);

/* Mounts the root device the kernel command line names, the Linux way: root=/dev/NAME (a
 * disk or a partition: /dev/vda, /dev/vda1), rootfstype=TYPE (ext2 by default), ro (the
 * default) or rw. It goes on /root of the RAM root, with devtmpfs on its /dev when it
 * has one, and *out is its root (referenced), for the first process's root and working
 * directory. -ENOENT when there is no root=; any other error after console lines saying
 * why (and the block devices there are, when the device is missing). */
int vfs_mount_root(const char *cmdline, struct vfs_path *out);

/* Unpacks the cpio newc archive into the tree at root. With adopt set, the archive is the
 * boot RAM disk (reserved RAM, never read again): the whole pages of file data that start
 * page aligned in it become the files' pages instead of being copied. Returns 0, or
 * -EINVAL after a corrupt entry (what came before stays), -ENOMEM. */
int initramfs_unpack(const struct vfs_path *root, const void *archive, size_t size, bool adopt);

/* A character device: opening a node with this number gives these file ops; once devtmpfs
 * is mounted, a new device also gets its node there (thread context: takes vfs_lock). */
int chrdev_register(unsigned major, unsigned minor, const char *name,
		    const struct file_ops *ops);

/* The ops of character device rdev, or NULL. */
const struct file_ops *chrdev_ops(uint64_t rdev);

/* Creates a node in dir for each registered character device (devtmpfs). */
void chrdev_populate(struct inode *dir);

/* Opens the console device as a file (the first process's fds 0-2). */
int console_open_file(struct file **out);

/* The ops of block device node rdev (kernel/block/block_dev.c), or NULL when no such
 * device is registered. */
const struct file_ops *blockdev_ops(uint64_t rdev);

/* Creates a node in dir for each registered block device, and later ones as they come
 * (devtmpfs; vfs_lock held). */
void blockdev_populate(struct inode *dir);

/* Creates a pipe: two files, read end and write end, with flags (O_NONBLOCK, O_CLOEXEC
 * ignored). Returns 0 or -ENOMEM. */
int pipe_create(unsigned flags, struct file **rd, struct file **wr);

/* What opening a FIFO (a named pipe) gives: an end of its pipe (kernel/fs/pipe.c). */
extern const struct file_ops fifo_file_ops;

/* ramfs: its inode ops over in-memory directories (also tmpfs and devtmpfs). */
extern const struct inode_ops ramfs_inode_ops;
extern const struct file_ops ramfs_file_ops;
extern const struct file_ops vfs_dir_file_ops;

/* Makes a new inode (mode, rdev) named name in directory dir (vfs_lock held): 0 with a
 * reference in *out, -EEXIST, -ENOMEM, -ENOENT when dir's file system makes none. Sets the
 * ops for the type (devices: by rdev when opened). */
int vfs_create(struct inode *dir, const char *name, size_t len, uint32_t mode, uint64_t rdev,
	       struct inode **out);

/* Sets a symlink inode's target (a copy): 0 or -ENOMEM. */
int vfs_set_symlink(struct inode *inode, const char *target);
