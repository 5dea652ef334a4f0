/*
 * The ext2 target: each input is a disk image. The served process writes it to /tmp/img (the
 * ramfs, so the reset takes it back with the rest of RAM), binds /dev/loop0 to it and mounts
 * it as ext2 on /tmp/mnt, then runs a fixed set of file operations: the tree listed three
 * levels deep with every entry stat'ed, regular files read, symlinks read; then a file
 * created and written, a directory made, renames, an unlink, a symlink, sync, and umount,
 * and the loop device unbound. The loop device rather than a virtio-blk disk: a disk's
 * backing file is the host's, which the reset does not take back, whereas the loop device's
 * is the kernel's own memory.
 *
 * Every call must end in a result or a Linux errno, never a panic or a sanitizer report;
 * a mounted image, however damaged, must unmount (no busy reference left behind) and its
 * loop device must come free.
 */
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "amphi.h"
#include "fuzz_machine.h"

#define EXT2_IMAGE "/tmp/img"
#define EXT2_LOOP "/dev/loop0"
#define EXT2_MNT "/tmp/mnt"
#define EXT2_DEPTH 3	      /* directory levels listed below the root */
#define EXT2_DIR_ENTRIES 64   /* entries looked at per directory */
#define EXT2_READ_MAX 65536   /* bytes read per regular file */
#define EXT2_ERRNO_MAX 133    /* the largest Linux errno (EHWPOISON) */
#define EXT2_PATH_MAX 512

/* What the walk found, for the operations that follow it. */
struct ext2_walk {
	char file[EXT2_PATH_MAX]; /* a regular file, "" when none */
	char dir[EXT2_PATH_MAX];  /* a directory below the root, "" when none */
	unsigned entries;
};

static bool verbose; /* AMPHI_FUZZ_VERBOSE: each call's result on stderr */
/* AMPHI_FUZZ_EXT2_PLANT: the first regular file read stays open across umount, which must
 * then fail the umount check (the check's proof) */
static bool plant;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	verbose = getenv("AMPHI_FUZZ_VERBOSE") != NULL;
	plant = getenv("AMPHI_FUZZ_EXT2_PLANT") != NULL;
	return fuzz_machine_start(true);
}

/* Aborts (a crash the engine reports) with what broke. */
static void ext2_fail(const char *what, const char *path, long result)
{
	fprintf(stderr, "fuzz-ext2: %s %s: %ld\n", what, path, result);
	abort();
}

/* Checks one call's result: a value or a Linux errno. Returns it. */
static long ext2_check(const char *what, const char *path, long result)
{
	if (verbose)
		fprintf(stderr, "fuzz-ext2: %s %s = %ld\n", what, path, result);
	if (result < -EXT2_ERRNO_MAX) {
		fprintf(stderr, "fuzz-ext2: %s %s gave %ld, not a Linux errno\n", what, path, result);
		abort();
	}
	return result;
}

/* Writes the image to EXT2_IMAGE. Aborts when the ramfs refuses it (the machine broke). */
static void ext2_write_image(const uint8_t *data, size_t size)
{
	long fd = amphi_sys_openat(AT_FDCWD, EXT2_IMAGE, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	long n = fd < 0 ? fd : amphi_sys_write((int)fd, data, size);

	if (n < 0 || (size_t)n != size)
		ext2_fail("cannot write", EXT2_IMAGE, n);
	amphi_sys_close((int)fd);
}

/* ioctl(fd, request, arg) of the served process (arg a number, not a buffer). */
static long ext2_ioctl(long fd, unsigned long request, long arg)
{
	const long args[6] = {fd, (long)request, arg};

	return amphi_syscall(SYS_ioctl, args, NULL, 0);
}

/* Binds EXT2_LOOP to the image; its descriptor (kept open until the end), or an errno. */
static long ext2_attach(void)
{
	long img = amphi_sys_openat(AT_FDCWD, EXT2_IMAGE, O_RDWR, 0);
	long loop = amphi_sys_openat(AT_FDCWD, EXT2_LOOP, O_RDWR, 0);

	if (img < 0 || loop < 0)
		ext2_fail("cannot open", img < 0 ? EXT2_IMAGE : EXT2_LOOP, img < 0 ? img : loop);
	long err = ext2_ioctl(loop, LOOP_SET_FD, img);
	if (err)
		ext2_fail("LOOP_SET_FD", EXT2_LOOP, err);
	amphi_sys_close((int)img);
	return loop;
}

/* Reads up to EXT2_READ_MAX bytes of the regular file at path (and leaves it open when
 * keep_open is set). */
static void ext2_read_file(const char *path, bool keep_open)
{
	static char buf[16384];
	long fd = ext2_check("open", path, amphi_sys_openat(AT_FDCWD, path, O_RDONLY, 0));

	if (fd < 0)
		return;
	for (size_t done = 0; done < EXT2_READ_MAX;) {
		long n = ext2_check("read", path, amphi_sys_read((int)fd, buf, sizeof(buf)));
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (!keep_open)
		ext2_check("close", path, amphi_sys_close((int)fd));
}

static void ext2_walk_dir(const char *dir, unsigned depth, struct ext2_walk *w);

/* Looks at the entry name of dir: stat, then read, list or readlink by its type. */
static void ext2_visit(const char *dir, const char *name, unsigned depth, struct ext2_walk *w)
{
	char path[EXT2_PATH_MAX], link[256];
	struct stat st;

	if (!strcmp(name, ".") || !strcmp(name, "..") ||
	    snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return;
	w->entries++;
	if (ext2_check("stat", path,
		       amphi_sys_newfstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW)) < 0)
		return;
	if (S_ISREG(st.st_mode)) {
		ext2_read_file(path, plant && !w->file[0]);
		if (!w->file[0])
			strcpy(w->file, path);
	} else if (S_ISDIR(st.st_mode)) {
		if (!w->dir[0])
			strcpy(w->dir, path);
		if (depth < EXT2_DEPTH)
			ext2_walk_dir(path, depth + 1, w);
	} else if (S_ISLNK(st.st_mode)) {
		ext2_check("readlink", path, amphi_sys_readlinkat(AT_FDCWD, path, link, sizeof(link)));
	}
}

/* Lists dir (at most EXT2_DIR_ENTRIES entries) and visits each entry. */
static void ext2_walk_dir(const char *dir, unsigned depth, struct ext2_walk *w)
{
	char buf[4096];
	long fd = ext2_check("open", dir, amphi_sys_openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0));
	unsigned seen = 0;

	if (fd < 0)
		return;
	for (;;) {
		long n = ext2_check("getdents64", dir, amphi_sys_getdents64((int)fd, buf, sizeof(buf)));
		if (n <= 0)
			break;
		for (long off = 0; off < n && seen < EXT2_DIR_ENTRIES; seen++) {
			unsigned short reclen;
			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			if (reclen < 20 || off + reclen > n)
				ext2_fail("getdents64 gave a bad record in", dir, reclen);
			char name[256];
			snprintf(name, sizeof(name), "%.*s", (int)(reclen - 19), buf + off + 19);
			ext2_visit(dir, name, depth, w);
			off += reclen;
		}
		if (seen >= EXT2_DIR_ENTRIES)
			break;
	}
	ext2_check("close", dir, amphi_sys_close((int)fd));
}

/* Creates EXT2_MNT/new with 5000 bytes (more than one block), reads them back. */
static void ext2_create_file(void)
{
	static char data[5000];
	const char *path = EXT2_MNT "/new";
	long fd = ext2_check("create", path,
			     amphi_sys_openat(AT_FDCWD, path, O_CREAT | O_RDWR | O_TRUNC, 0644));

	if (fd < 0)
		return;
	memset(data, 'x', sizeof(data));
	ext2_check("write", path, amphi_sys_write((int)fd, data, sizeof(data)));
	ext2_check("pread", path, amphi_sys_pread64((int)fd, data, sizeof(data), 0));
	ext2_check("fsync", path, amphi_sys_fsync((int)fd));
	ext2_check("close", path, amphi_sys_close((int)fd));
}

/* The changes: create, write, mkdir, renames, unlink, symlink, sync. */
static void ext2_modify(const struct ext2_walk *w)
{
	ext2_create_file();
	ext2_check("mkdir", EXT2_MNT "/newdir", amphi_sys_mkdirat(AT_FDCWD, EXT2_MNT "/newdir", 0755));
	ext2_check("rename", EXT2_MNT "/new",
		   amphi_sys_renameat(AT_FDCWD, EXT2_MNT "/new", AT_FDCWD, EXT2_MNT "/newdir/moved"));
	if (w->dir[0])
		ext2_check("rename", w->dir,
			   amphi_sys_renameat(AT_FDCWD, w->dir, AT_FDCWD, EXT2_MNT "/newdir/dir"));
	if (w->file[0])
		ext2_check("unlink", w->file, amphi_sys_unlinkat(AT_FDCWD, w->file, 0));
	ext2_check("symlink", EXT2_MNT "/newlink",
		   amphi_sys_symlinkat("newdir/moved", AT_FDCWD, EXT2_MNT "/newlink"));
	ext2_check("unlink", EXT2_MNT "/newdir/moved",
		   amphi_sys_unlinkat(AT_FDCWD, EXT2_MNT "/newdir/moved", 0));
	ext2_check("sync", "", amphi_sys_sync());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > AMPHI_IO_MAX)
		return -1; /* not added to the corpus */
	ext2_write_image(data, size);
	long loop = ext2_attach();
	long err = amphi_sys_mkdirat(AT_FDCWD, EXT2_MNT, 0755);
	if (err)
		ext2_fail("mkdir", EXT2_MNT, err);
	err = ext2_check("mount", EXT2_MNT, amphi_sys_mount(EXT2_LOOP, EXT2_MNT, "ext2", 0, NULL));
	if (!err) {
		struct ext2_walk w = {0};
		ext2_walk_dir(EXT2_MNT, 1, &w);
		ext2_modify(&w);
		err = ext2_check("umount", EXT2_MNT, amphi_sys_umount2(EXT2_MNT, 0));
		if (err)
			ext2_fail("a mounted image does not unmount:", EXT2_MNT, err);
	}
	err = ext2_ioctl(loop, LOOP_CLR_FD, 0);
	if (err)
		ext2_fail("the loop device does not come free:", EXT2_LOOP, err);
	amphi_sys_close((int)loop);
	fuzz_machine_reset();
	return 0;
}
