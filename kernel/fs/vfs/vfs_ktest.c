/* ktest: path walks, ramfs, mounts, pipes and the initramfs unpacker, in a tmpfs mounted
 * on a scratch directory of the root (every target). */
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/kprintf.h>
#include <amphi/ktest.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/string.h>

#define KT_DIR "/vfs-ktest"

/* A context at the root with a tmpfs mounted on KT_DIR; NULL (and the test failed) when
 * it cannot be had. */
static struct fs_context *kt_setup(struct ktest *t)
{
	struct fs_context *fs = fs_context_create();
	struct vfs_last last;

	KTEST_EXPECT(t, fs != NULL);
	if (!fs)
		return NULL;
	vfs_lock();
	int err = vfs_walk_parent(fs, &fs->root, KT_DIR, &last);
	if (!err) {
		err = vfs_make(&last, S_IFDIR | 0755, 0, NULL);
		vfs_path_put(&last.dir);
	}
	vfs_unlock();
	KTEST_EXPECT(t, err == 0 || err == -EEXIST);
	KTEST_EXPECT_EQ(t, vfs_mount(fs, "ktest", KT_DIR, "tmpfs", 0, NULL), 0);
	return fs;
}

/* Unmounts the scratch tmpfs and drops the context. */
static void kt_teardown(struct ktest *t, struct fs_context *fs)
{
	KTEST_EXPECT_EQ(t, vfs_umount(fs, KT_DIR, 0), 0);
	fs_context_put(fs);
}

/* vfs_walk of path from the root: 0 or its errno (the result dropped). */
static int kt_walk(struct fs_context *fs, const char *path, unsigned flags)
{
	struct vfs_path out;

	vfs_lock();
	int err = vfs_walk(fs, &fs->root, path, flags, &out);
	vfs_unlock();
	if (!err)
		vfs_path_put(&out);
	return err;
}

/* Makes path (a directory, a symlink to target, or a regular file) from the root. */
static int kt_make(struct fs_context *fs, const char *path, uint32_t mode, const char *target)
{
	struct vfs_last last;

	vfs_lock();
	int err = vfs_walk_parent(fs, &fs->root, path, &last);
	if (!err) {
		err = vfs_make(&last, mode, 0, target);
		vfs_path_put(&last.dir);
	}
	vfs_unlock();
	return err;
}

/* Writes s to a new file path; returns the bytes written or an errno. */
static long kt_put(struct fs_context *fs, const char *path, const char *s)
{
	struct file *f;
	int err = vfs_open(fs, &fs->root, path, O_CREAT | O_WRONLY | O_TRUNC, 0644, &f);

	if (err)
		return err;
	struct vfs_io io = {NULL, (uintptr_t)s};
	long n = vfs_write(f, &io, strlen(s), NULL);
	file_put(f);
	return n;
}

/* Reads up to size - 1 bytes of path into buf (NUL-terminated); the count or an errno. */
static long kt_get(struct fs_context *fs, const char *path, char *buf, size_t size)
{
	struct file *f;
	int err = vfs_open(fs, &fs->root, path, O_RDONLY, 0, &f);

	if (err)
		return err;
	struct vfs_io io = {NULL, (uintptr_t)buf};
	long n = vfs_read(f, &io, size - 1, NULL);
	file_put(f);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static void vfs_walk_rules(struct ktest *t)
{
	struct fs_context *fs = kt_setup(t);
	char name[300];

	if (!fs)
		return;
	KTEST_EXPECT_EQ(t, kt_make(fs, KT_DIR "/d", S_IFDIR | 0755, NULL), 0);
	KTEST_EXPECT_EQ(t, kt_put(fs, KT_DIR "/d/f", "data"), 4);
	KTEST_EXPECT_EQ(t, kt_make(fs, KT_DIR "/rel", S_IFLNK | 0777, "d/f"), 0);
	KTEST_EXPECT_EQ(t, kt_make(fs, KT_DIR "/abs", S_IFLNK | 0777, KT_DIR "/d"), 0);
	KTEST_EXPECT_EQ(t, kt_make(fs, KT_DIR "/self", S_IFLNK | 0777, "self"), 0);
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/d/f", 0), 0);
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/d/missing", 0), -ENOENT);
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/d/f/x", 0), -ENOTDIR);
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/d/f/", 0), -ENOTDIR);
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/d/", 0), 0);
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/d/f", WALK_DIRECTORY), -ENOTDIR);
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/rel", WALK_FOLLOW), 0);
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/rel/", 0), -ENOTDIR);
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/abs/f", 0), 0);
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/abs/", 0), 0);
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/self", 0), 0); /* not followed */
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/self", WALK_FOLLOW), -ELOOP);
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/self/x", 0), -ELOOP);
	KTEST_EXPECT_EQ(t, kt_walk(fs, "/../.." KT_DIR "/./d/../d/f", 0), 0);
	KTEST_EXPECT_EQ(t, kt_walk(fs, "", 0), -ENOENT);
	KTEST_EXPECT_EQ(t, kt_walk(fs, "", WALK_EMPTY), 0);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	KTEST_EXPECT_EQ(t, kt_walk(fs, name, 0), -ENAMETOOLONG);
	/* ".." from the tmpfs root crosses back to the directory it is mounted on */
	struct vfs_path p, root;
	char buf[64];
	vfs_lock();
	KTEST_EXPECT_EQ(t, vfs_walk(fs, &fs->root, KT_DIR "/d/../..", 0, &p), 0);
	KTEST_EXPECT(t, p.inode == fs->root.inode);
	vfs_path_put(&p);
	KTEST_EXPECT_EQ(t, vfs_walk(fs, &fs->root, KT_DIR "/abs", WALK_FOLLOW, &p), 0);
	vfs_root(&root);
	KTEST_EXPECT_EQ(t, vfs_path_name(&root, &p, buf, sizeof(buf)), strlen(KT_DIR "/d"));
	KTEST_EXPECT(t, strcmp(buf, KT_DIR "/d") == 0);
	KTEST_EXPECT_EQ(t, vfs_path_name(&root, &p, buf, 4), -ENAMETOOLONG);
	vfs_path_put(&root);
	vfs_path_put(&p);
	vfs_unlock();
	kt_teardown(t, fs);
}

static void ramfs_files_and_names(struct ktest *t)
{
	struct fs_context *fs = kt_setup(t);
	struct vfs_last a, b;
	char buf[32];

	if (!fs)
		return;
	KTEST_EXPECT_EQ(t, kt_put(fs, KT_DIR "/f", "hello"), 5);
	KTEST_EXPECT_EQ(t, kt_get(fs, KT_DIR "/f", buf, sizeof(buf)), 5);
	KTEST_EXPECT(t, strcmp(buf, "hello") == 0);
	KTEST_EXPECT_EQ(t, kt_make(fs, KT_DIR "/f", S_IFDIR | 0755, NULL), -EEXIST);
	KTEST_EXPECT_EQ(t, kt_make(fs, KT_DIR "/d", S_IFDIR | 0755, NULL), 0);
	KTEST_EXPECT_EQ(t, kt_put(fs, KT_DIR "/d/g", "g"), 1);
	vfs_lock();
	/* rename f into d, over nothing; then rmdir refuses a non-empty d */
	KTEST_EXPECT_EQ(t, vfs_walk_parent(fs, &fs->root, KT_DIR "/f", &a), 0);
	KTEST_EXPECT_EQ(t, vfs_walk_parent(fs, &fs->root, KT_DIR "/d/f2", &b), 0);
	KTEST_EXPECT_EQ(t, vfs_rename(&a, &b, 0), 0);
	KTEST_EXPECT_EQ(t, vfs_rename(&a, &b, 0), -ENOENT);
	vfs_path_put(&a.dir);
	vfs_path_put(&b.dir);
	KTEST_EXPECT_EQ(t, vfs_walk_parent(fs, &fs->root, KT_DIR "/d", &a), 0);
	KTEST_EXPECT_EQ(t, vfs_rmdir(&a), -ENOTEMPTY);
	KTEST_EXPECT_EQ(t, vfs_unlink(&a), -EISDIR);
	vfs_path_put(&a.dir);
	vfs_unlock();
	KTEST_EXPECT_EQ(t, kt_get(fs, KT_DIR "/d/f2", buf, sizeof(buf)), 5);
	/* a file open in the tmpfs keeps it mounted */
	struct file *f;
	KTEST_EXPECT_EQ(t, vfs_open(fs, &fs->root, KT_DIR "/d/g", O_RDONLY, 0, &f), 0);
	KTEST_EXPECT_EQ(t, vfs_umount(fs, KT_DIR, 0), -EBUSY);
	file_put(f);
	KTEST_EXPECT_EQ(t, vfs_umount(fs, KT_DIR, 0), 0);
	KTEST_EXPECT_EQ(t, kt_walk(fs, KT_DIR "/d", 0), -ENOENT);
	fs_context_put(fs);
}

/* A chain of 3000 nested directories goes with its mount without a deep recursion. */
static void deep_tree_teardown(struct ktest *t)
{
	struct fs_context *fs = kt_setup(t);
	struct vfs_path cur, next;
	struct vfs_last last;
	int err = 0;

	if (!fs)
		return;
	vfs_lock();
	KTEST_EXPECT_EQ(t, vfs_walk(fs, &fs->root, KT_DIR, 0, &cur), 0);
	for (int i = 0; i < 3000 && !err; i++) {
		err = vfs_walk_parent(fs, &cur, "d", &last);
		if (!err) {
			err = vfs_make(&last, S_IFDIR | 0755, 0, NULL);
			vfs_path_put(&last.dir);
		}
		if (!err)
			err = vfs_walk(fs, &cur, "d", 0, &next);
		vfs_path_put(&cur);
		cur = next;
	}
	KTEST_EXPECT_EQ(t, err, 0);
	if (!err)
		vfs_path_put(&cur);
	vfs_unlock();
	kt_teardown(t, fs);
}

static void pipe_ends(struct ktest *t)
{
	struct file *rd, *wr;
	char buf[8];
	struct vfs_io in = {NULL, (uintptr_t) "abc"}, out = {NULL, (uintptr_t)buf};

	KTEST_EXPECT_EQ(t, pipe_create(O_NONBLOCK, &rd, &wr), 0);
	KTEST_EXPECT_EQ(t, vfs_read(rd, &out, sizeof(buf), NULL), -EAGAIN);
	KTEST_EXPECT_EQ(t, vfs_poll(rd) & POLLIN, 0);
	KTEST_EXPECT_EQ(t, vfs_write(wr, &in, 3, NULL), 3);
	KTEST_EXPECT_EQ(t, vfs_poll(rd) & POLLIN, POLLIN);
	KTEST_EXPECT_EQ(t, vfs_read(rd, &out, sizeof(buf), NULL), 3);
	KTEST_EXPECT(t, memcmp(buf, "abc", 3) == 0);
	KTEST_EXPECT_EQ(t, vfs_write(rd, &in, 3, NULL), -EBADF);
	file_put(rd);
	KTEST_EXPECT_EQ(t, vfs_write(wr, &in, 3, NULL), -EPIPE);
	file_put(wr);
}

#define KT_PIPE_RECORD 4000 /* under PIPE_BUF: each write goes in whole */
#define KT_PIPE_RECORDS 40  /* 160 000 bytes: more than twice what the pipe holds */

struct kt_writer {
	struct file *wr;
	uint8_t tag; /* the byte each record of this writer is made of */
	long failed;
};

/* A thread writing KT_PIPE_RECORDS records of its tag byte, blocking while the pipe is full. */
static void kt_pipe_writer(void *arg)
{
	struct kt_writer *w = arg;
	uint8_t *rec = kmalloc(KT_PIPE_RECORD);

	if (!rec) {
		w->failed = -ENOMEM;
		return;
	}
	memset(rec, w->tag, KT_PIPE_RECORD);
	for (int i = 0; i < KT_PIPE_RECORDS && !w->failed; i++) {
		struct vfs_io io = {NULL, (uintptr_t)rec};
		long n = vfs_write(w->wr, &io, KT_PIPE_RECORD, NULL);
		if (n != KT_PIPE_RECORD)
			w->failed = n < 0 ? n : -EIO;
	}
	kfree(rec);
}

/* Two writers block on a full pipe while this thread reads: every record arrives whole
 * (PIPE_BUF atomicity), and end of file comes once both write ends are closed. */
static void pipe_blocking_writers(struct ktest *t)
{
	struct file *rd, *wr;
	struct kt_writer w[2] = {{NULL, 'a', 0}, {NULL, 'b', 0}};
	uint8_t *buf = kmalloc(KT_PIPE_RECORD);
	size_t total = 0, run = 0;
	uint8_t last = 0;
	bool torn = false;

	KTEST_ASSERT(t, buf != NULL);
	KTEST_ASSERT(t, pipe_create(0, &rd, &wr) == 0);
	struct thread *th[2];
	for (int i = 0; i < 2; i++) {
		w[i].wr = wr;
		th[i] = thread_create("kt_pipe_writer", kt_pipe_writer, &w[i], 0, 0);
		KTEST_ASSERT(t, th[i] != NULL);
	}
	thread_sleep_ns(1000000); /* let them fill the pipe and block */
	for (;;) {
		struct vfs_io io = {NULL, (uintptr_t)buf};
		long n = vfs_read(rd, &io, KT_PIPE_RECORD, NULL);
		if (n <= 0)
			break;
		for (long i = 0; i < n; i++) {
			if (run && buf[i] != last && run % KT_PIPE_RECORD)
				torn = true; /* another writer's bytes inside a record */
			run = buf[i] == last ? run + 1 : 1;
			last = buf[i];
		}
		total += (size_t)n;
		if (total == 2 * KT_PIPE_RECORD * KT_PIPE_RECORDS)
			file_put(wr); /* both writers are done: the last write end goes */
	}
	for (int i = 0; i < 2; i++) {
		thread_join(th[i]);
		KTEST_EXPECT_EQ(t, w[i].failed, 0);
	}
	KTEST_EXPECT_EQ(t, total, 2 * KT_PIPE_RECORD * KT_PIPE_RECORDS);
	KTEST_EXPECT(t, !torn);
	file_put(rd);
	kfree(buf);
}

struct kt_fifo_reader {
	struct fs_context *fs;
	char got[4];
	long n;
};

/* A thread opening the FIFO to read (which waits for a writer) and reading from it. */
static void kt_fifo_reader(void *arg)
{
	struct kt_fifo_reader *r = arg;

	r->n = kt_get(r->fs, KT_DIR "/fifo", r->got, sizeof(r->got));
}

/* Opening a FIFO's read end waits for a writer; the writer's bytes reach the reader. */
static void fifo_open_waits_for_writer(struct ktest *t)
{
	struct fs_context *fs = kt_setup(t);
	struct kt_fifo_reader r = {fs, "", -1};

	if (!fs)
		return;
	KTEST_EXPECT_EQ(t, kt_make(fs, KT_DIR "/fifo", S_IFIFO | 0644, NULL), 0);
	struct thread *th = thread_create("kt_fifo_reader", kt_fifo_reader, &r, 0, 0);
	KTEST_ASSERT(t, th != NULL);
	thread_sleep_ns(1000000);
	KTEST_EXPECT_EQ(t, r.n, -1); /* still waiting in open */
	struct file *f;
	KTEST_EXPECT_EQ(t, vfs_open(fs, &fs->root, KT_DIR "/fifo", O_WRONLY, 0, &f), 0);
	struct vfs_io io = {NULL, (uintptr_t) "ok"};
	KTEST_EXPECT_EQ(t, vfs_write(f, &io, 2, NULL), 2);
	file_put(f);
	thread_join(th);
	KTEST_EXPECT_EQ(t, r.n, 2);
	KTEST_EXPECT(t, strcmp(r.got, "ok") == 0);
	kt_teardown(t, fs);
}

/* A reader whose writer opens, writes and closes around the reader's own open (the two
 * race, each time anew) still gets the bytes: the writer's open counts even when it came
 * before the reader waited. With several CPUs the seeded schedule puts the writer between
 * the reader's attach and its wait in some rounds; a reader that missed it would wait for
 * ever. */
static void fifo_partner_before_wait(struct ktest *t)
{
	struct fs_context *fs = kt_setup(t);

	if (!fs)
		return;
	KTEST_EXPECT_EQ(t, kt_make(fs, KT_DIR "/fifo", S_IFIFO | 0644, NULL), 0);
	for (int round = 0; round < 50; round++) {
		struct kt_fifo_reader r = {fs, "", -1};
		struct thread *th = thread_create("kt_fifo_reader", kt_fifo_reader, &r, 0, 0);
		KTEST_ASSERT(t, th != NULL);
		struct file *f;
		KTEST_ASSERT(t, vfs_open(fs, &fs->root, KT_DIR "/fifo", O_WRONLY, 0, &f) == 0);
		struct vfs_io io = {NULL, (uintptr_t) "ok"};
		KTEST_EXPECT_EQ(t, vfs_write(f, &io, 2, NULL), 2);
		file_put(f);
		thread_join(th);
		KTEST_EXPECT_EQ(t, r.n, 2);
	}
	kt_teardown(t, fs);
}

/* fork's copy of a table shares the open files (and so their offsets) but not the slots;
 * close-on-exec closes only marked slots; the last put closes every file. */
static void fd_table_clone_and_exec(struct ktest *t)
{
	struct fd_table *a = fd_table_create(), *b;
	struct file *rd, *wr;

	KTEST_ASSERT(t, a != NULL);
	KTEST_ASSERT(t, pipe_create(0, &rd, &wr) == 0);
	KTEST_EXPECT_EQ(t, fd_install(a, rd, 0, VFS_FD_MAX, false), 0);
	KTEST_EXPECT_EQ(t, fd_install(a, wr, 0, VFS_FD_MAX, true), 1);
	KTEST_EXPECT_EQ(t, fd_install(a, wr, 0, 2, true), -EMFILE); /* the limit binds */
	KTEST_EXPECT_EQ(t, fd_install_at(a, 200, wr, false), 200); /* the table grows */
	b = fd_table_clone(a);
	KTEST_ASSERT(t, b != NULL);
	struct file *f = fd_get(b, 200);
	KTEST_EXPECT(t, f == wr);
	if (f)
		file_put(f);
	KTEST_EXPECT_EQ(t, fd_cloexec(b, 1, -1), 1);
	KTEST_EXPECT_EQ(t, fd_close(b, 0), 0);
	KTEST_EXPECT_EQ(t, fd_close(b, 0), -EBADF);
	f = fd_get(a, 0);
	KTEST_EXPECT(t, f == rd); /* the original keeps its slot */
	if (f)
		file_put(f);
	fd_table_close_on_exec(b);
	KTEST_EXPECT(t, fd_get(b, 1) == NULL);
	/* the lowest free slot again */
	KTEST_EXPECT_EQ(t, fd_install(b, rd, 0, VFS_FD_MAX, false), 0);
	fd_table_get(b); /* CLONE_FILES: a second holder */
	fd_table_put(b);
	KTEST_EXPECT_EQ(t, fd_cloexec(b, 200, -1), 0);
	fd_table_put(b);
	fd_table_put(a);
	/* only the test's references are left: the pipe still works end to end */
	struct vfs_io io = {NULL, (uintptr_t) "x"};
	KTEST_EXPECT_EQ(t, vfs_write(wr, &io, 1, NULL), 1);
	file_put(rd);
	KTEST_EXPECT_EQ(t, vfs_write(wr, &io, 1, NULL), -EPIPE);
	file_put(wr);
}

/* fork's copy of a context has the same root, cwd and umask, changed independently. */
static void fs_context_clone_is_separate(struct ktest *t)
{
	struct fs_context *fs = kt_setup(t), *c;
	struct vfs_path root, cwd, d;

	if (!fs)
		return;
	fs->umask = 027;
	c = fs_context_clone(fs);
	KTEST_ASSERT(t, c != NULL);
	KTEST_EXPECT_EQ(t, c->umask, 027);
	vfs_lock();
	KTEST_EXPECT_EQ(t, vfs_walk(fs, &fs->root, KT_DIR, 0, &d), 0);
	vfs_unlock();
	fs_context_set_cwd(c, &d);
	vfs_path_put(&d);
	fs_context_paths(fs, &root, &cwd);
	KTEST_EXPECT(t, cwd.inode == root.inode); /* the original did not move */
	vfs_path_put(&root);
	vfs_path_put(&cwd);
	KTEST_EXPECT_EQ(t, vfs_umount(fs, KT_DIR, 0), -EBUSY); /* the copy's cwd is in it */
	fs_context_put(c);
	kt_teardown(t, fs);
}

/* Appends a newc entry to buf at *at. */
static void kt_cpio(char *buf, size_t *at, const char *name, uint32_t ino, uint32_t mode,
		    uint32_t nlink, const char *data)
{
	size_t namesize = strlen(name) + 1, size = strlen(data);

	ksnprintf(buf + *at, 111, "070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08zx%08x",
		  ino, mode, 0u, 0u, nlink, 1000u, size, 0u, 0u, 0u, 0u, namesize, 0u);
	*at += 110;
	memcpy(buf + *at, name, namesize);
	*at = ALIGN_UP(*at + namesize, 4);
	memcpy(buf + *at, data, size);
	*at = ALIGN_UP(*at + size, 4);
}

static void initramfs_unpacks_and_stops_at_corruption(struct ktest *t)
{
	struct fs_context *fs = kt_setup(t);
	char *buf = kzalloc(4096), got[16];
	size_t at = 0;
	struct vfs_path p;

	if (!fs || !buf)
		return;
	kt_cpio(buf, &at, "./deep/er/file", 1, S_IFREG | 0600, 1, "bytes");
	kt_cpio(buf, &at, "link", 2, S_IFLNK | 0777, 1, "deep/er/file");
	kt_cpio(buf, &at, "h1", 3, S_IFREG | 0644, 2, "");
	kt_cpio(buf, &at, "h2", 3, S_IFREG | 0644, 2, "shared");
	kt_cpio(buf, &at, "emptylink", 4, S_IFLNK | 0777, 1, "");
	kt_cpio(buf, &at, "nullink", 5, S_IFLNK | 0777, 1, "ab");
	buf[at - 3] = '\0'; /* the target is "a\0": no path */
	memcpy(buf + at, "070799garbage", 13);
	vfs_lock();
	KTEST_EXPECT_EQ(t, vfs_walk(fs, &fs->root, KT_DIR, 0, &p), 0);
	vfs_unlock();
	KTEST_EXPECT_EQ(t, initramfs_unpack(&p, buf, at + 13, false), -EINVAL);
	vfs_path_put(&p);
	KTEST_EXPECT_EQ(t, kt_get(fs, KT_DIR "/link", got, sizeof(got)), 5);
	KTEST_EXPECT_EQ(t, kt_get(fs, KT_DIR "/h1", got, sizeof(got)), 6);
	vfs_lock();
	KTEST_EXPECT_EQ(t, vfs_walk(fs, &fs->root, KT_DIR "/h2", 0, &p), 0);
	KTEST_EXPECT_EQ(t, p.inode->nlink, 2);
	KTEST_EXPECT_EQ(t, p.inode->mtime.sec, 1000);
	vfs_path_put(&p);
	KTEST_EXPECT_EQ(t, vfs_walk(fs, &fs->root, KT_DIR "/deep/er/file", 0, &p), 0);
	KTEST_EXPECT_EQ(t, p.inode->mode, S_IFREG | 0600);
	vfs_path_put(&p);
	/* symlinks whose target is no path are skipped, not left without a target */
	KTEST_EXPECT_EQ(t, vfs_walk(fs, &fs->root, KT_DIR "/emptylink", 0, &p), -ENOENT);
	KTEST_EXPECT_EQ(t, vfs_walk(fs, &fs->root, KT_DIR "/nullink", 0, &p), -ENOENT);
	vfs_unlock();
	kfree(buf);
	kt_teardown(t, fs);
}

/* Unpacking with adopt set takes over only reserved pages: a file whose data starts on an
 * allocated page is copied whole, and reads back the same. */
static void initramfs_adopts_only_reserved_pages(struct ktest *t)
{
	struct fs_context *fs = kt_setup(t);
	char *buf = page_alloc(2), *data = kmalloc(PAGE_SIZE + 101), *got = kmalloc(PAGE_SIZE + 200);
	size_t at = PAGE_SIZE - ALIGN_UP(110 + sizeof("big"), 4);
	struct vfs_path p;

	if (!fs || !buf || !data || !got)
		goto out;
	memset(buf, 0, 4 * PAGE_SIZE);
	for (size_t i = 0; i < PAGE_SIZE + 100; i++)
		data[i] = (char)('a' + i % 26);
	data[PAGE_SIZE + 100] = '\0';
	kt_cpio(buf, &at, "big", 1, S_IFREG | 0644, 1, data);
	KTEST_EXPECT(t, IS_ALIGNED((uintptr_t)buf + PAGE_SIZE, PAGE_SIZE)); /* the data's start */
	vfs_lock();
	KTEST_EXPECT_EQ(t, vfs_walk(fs, &fs->root, KT_DIR, 0, &p), 0);
	vfs_unlock();
	KTEST_EXPECT_EQ(t, initramfs_unpack(&p, buf, at, true), 0);
	vfs_path_put(&p);
	KTEST_EXPECT_EQ(t, page_user_adopt(plat_virt_to_phys(buf + PAGE_SIZE)), -EINVAL);
	memset(buf, 0, 4 * PAGE_SIZE); /* the file's bytes are its own */
	KTEST_EXPECT_EQ(t, kt_get(fs, KT_DIR "/big", got, PAGE_SIZE + 200), PAGE_SIZE + 100);
	KTEST_EXPECT(t, memcmp(got, data, PAGE_SIZE + 100) == 0);
out:
	if (buf)
		page_free(buf, 2);
	kfree(data);
	kfree(got);
	if (fs)
		kt_teardown(t, fs);
}

static const struct ktest_case vfs_cases[] = {
    KTEST_CASE(vfs_walk_rules),
    KTEST_CASE(ramfs_files_and_names),
    KTEST_CASE(deep_tree_teardown),
    KTEST_CASE(pipe_ends),
    KTEST_CASE(pipe_blocking_writers),
    KTEST_CASE(fifo_open_waits_for_writer),
    KTEST_CASE(fifo_partner_before_wait),
    KTEST_CASE(fd_table_clone_and_exec),
    KTEST_CASE(fs_context_clone_is_separate),
    KTEST_CASE(initramfs_unpacks_and_stops_at_corruption),
    KTEST_CASE(initramfs_adopts_only_reserved_pages),
    {0},
};
KTEST_SUITE(vfs, "vfs", vfs_cases);
