/*
 * amphi-cptofs: copies files and trees into and out of an ext2 image through the Amphi
 * kernel (libamphi), as `cp -r` (and `cp -a` with -p) would between two file systems.
 * The copy is written once, over two sides with the same operations: the host's (its
 * syscalls) and the image's (the kernel's, through libamphi).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "amphi.h"
#include "image.h"

#define COPY_CHUNK (1u << 20)
#define COPY_BLOCK 4096u /* all-zero blocks of this size become holes, as mke2fs -d makes */

_Static_assert(sizeof(struct stat) == 144, "the guest's struct stat is the x86_64 host's");

/* One side of a copy: paths and descriptors of the host or of the image; every call
 * returns its result or a negative errno. */
struct side {
	const char *name; /* for messages: "" (host) or ":" (image) */
	long (*lstat)(const char *path, struct stat *st);
	int (*list)(const char *path, char ***names);
	long (*open)(const char *path, int flags, mode_t mode);
	long (*close)(int fd);
	long (*pread)(int fd, void *buf, size_t n, off_t off);
	long (*pwrite)(int fd, const void *buf, size_t n, off_t off);
	long (*seek)(int fd, off_t off, int whence);
	long (*truncate)(int fd, off_t len);
	long (*readlink)(const char *path, char *buf, size_t n);
	long (*mkdir)(const char *path, mode_t mode);
	long (*symlink)(const char *target, const char *path);
	long (*link)(const char *old, const char *path);
	long (*mknod)(const char *path, mode_t mode, dev_t dev);
	long (*chown)(const char *path, uid_t uid, gid_t gid); /* of a link itself */
	long (*chmod)(const char *path, mode_t mode);
	long (*utimens)(const char *path, const struct timespec ts[2]); /* of a link itself */
	long (*fchown)(int fd, uid_t uid, gid_t gid); /* the same of an open file: no lookup */
	long (*fchmod)(int fd, mode_t mode);
	long (*futimens)(int fd, const struct timespec ts[2]);
};

/* --- the host side --- */

/* r, or -errno when r is negative. */
static long host_result(long r)
{
	return r < 0 ? -errno : r;
}

static long host_lstat(const char *p, struct stat *st) { return host_result(lstat(p, st)); }
static long host_open(const char *p, int f, mode_t m) { return host_result(open(p, f | O_CLOEXEC, m)); }
static long host_close(int fd) { return host_result(close(fd)); }
static long host_pread(int fd, void *b, size_t n, off_t o) { return host_result(pread(fd, b, n, o)); }
static long host_pwrite(int fd, const void *b, size_t n, off_t o) { return host_result(pwrite(fd, b, n, o)); }
static long host_seek(int fd, off_t o, int w) { return host_result(lseek(fd, o, w)); }
static long host_truncate(int fd, off_t len) { return host_result(ftruncate(fd, len)); }
static long host_readlink(const char *p, char *b, size_t n) { return host_result(readlink(p, b, n)); }
static long host_mkdir(const char *p, mode_t m) { return host_result(mkdir(p, m)); }
static long host_symlink(const char *t, const char *p) { return host_result(symlink(t, p)); }
static long host_link(const char *o, const char *p) { return host_result(link(o, p)); }
static long host_mknod(const char *p, mode_t m, dev_t d) { return host_result(mknod(p, m, d)); }
static long host_chown(const char *p, uid_t u, gid_t g) { return host_result(lchown(p, u, g)); }
static long host_chmod(const char *p, mode_t m) { return host_result(chmod(p, m)); }

static long host_utimens(const char *p, const struct timespec ts[2])
{
	return host_result(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW));
}

static long host_fchown(int fd, uid_t u, gid_t g) { return host_result(fchown(fd, u, g)); }
static long host_fchmod(int fd, mode_t m) { return host_result(fchmod(fd, m)); }
static long host_futimens(int fd, const struct timespec ts[2]) { return host_result(futimens(fd, ts)); }

/* Orders names for qsort. */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of host directory path, as image_list_dir gives the image's. */
static int host_list(const char *path, char ***names)
{
	struct dirent **ents;
	int n = scandir(path, &ents, NULL, alphasort);

	if (n < 0)
		return -errno;
	*names = calloc((size_t)n + 1, sizeof(**names));
	if (!*names)
		image_die("out of memory");
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			(*names)[k++] = strdup(ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	qsort(*names, (size_t)k, sizeof(**names), name_cmp);
	return 0;
}

static const struct side host_side = {
    "", host_lstat, host_list, host_open, host_close, host_pread, host_pwrite, host_seek,
    host_truncate, host_readlink, host_mkdir, host_symlink, host_link, host_mknod, host_chown,
    host_chmod, host_utimens, host_fchown, host_fchmod, host_futimens,
};

/* --- the image side (paths already under IMAGE_ROOT) --- */

static long img_lstat(const char *p, struct stat *st)
{
	return amphi_sys_newfstatat(AT_FDCWD, p, st, AT_SYMLINK_NOFOLLOW);
}
static long img_open(const char *p, int f, mode_t m) { return amphi_sys_openat(AT_FDCWD, p, f, m); }
static long img_readlink(const char *p, char *b, size_t n) { return amphi_sys_readlinkat(AT_FDCWD, p, b, n); }
static long img_mkdir(const char *p, mode_t m) { return amphi_sys_mkdirat(AT_FDCWD, p, m); }
static long img_symlink(const char *t, const char *p) { return amphi_sys_symlinkat(t, AT_FDCWD, p); }
static long img_link(const char *o, const char *p) { return amphi_sys_linkat(AT_FDCWD, o, AT_FDCWD, p, 0); }
static long img_mknod(const char *p, mode_t m, dev_t d) { return amphi_sys_mknodat(AT_FDCWD, p, m, d); }
static long img_chmod(const char *p, mode_t m) { return amphi_sys_fchmodat(AT_FDCWD, p, m); }

static long img_chown(const char *p, uid_t u, gid_t g)
{
	return amphi_sys_fchownat(AT_FDCWD, p, u, g, AT_SYMLINK_NOFOLLOW);
}

static long img_utimens(const char *p, const struct timespec ts[2])
{
	return amphi_sys_utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW);
}

static long img_futimens(int fd, const struct timespec ts[2])
{
	return amphi_sys_utimensat(fd, NULL, ts, 0);
}

static const struct side image_side = {
    ":", img_lstat, image_list_dir, img_open, amphi_sys_close, amphi_sys_pread64,
    amphi_sys_pwrite64, amphi_sys_lseek, amphi_sys_ftruncate, img_readlink, img_mkdir,
    img_symlink, img_link, img_mknod, img_chown, img_chmod, img_utimens, amphi_sys_fchown,
    amphi_sys_fchmod, img_futimens,
};

/* --- the copy --- */

/* A file copied already, for hard links: its source inode and where its copy went. */
struct copied {
	dev_t dev;
	ino_t ino;
	char *dst;
};

static struct {
	const struct side *from, *to;
	bool preserve;	    /* -p: owners, modes with their special bits, times */
	mode_t mode_bits;   /* of the source's mode, what a new file gets (under the umask) */
	mode_t umask;	    /* the destination's umask */
	int status;
	struct copied *links; /* files with more than one link, copied once */
	size_t nlinks, links_cap;
	char *buf;
} cp;

/* Reports a failed operation on path of side s and marks the run failed. */
static void cp_fail(const struct side *s, const char *path, const char *what, long err)
{
	const char *shown = s == &image_side ? path + strlen(IMAGE_ROOT) : path;

	image_warn("%s %s%s: %s", what, s->name, *shown ? shown : "/", strerror((int)-err));
	cp.status = 1;
}

/* The copy of an earlier link to st's inode, or NULL. */
static const char *cp_link_seen(const struct stat *st)
{
	for (size_t i = 0; i < cp.nlinks; i++) {
		if (cp.links[i].dev == st->st_dev && cp.links[i].ino == st->st_ino)
			return cp.links[i].dst;
	}
	return NULL;
}

/* Remembers dst as the copy of st's inode. */
static void cp_link_note(const struct stat *st, const char *dst)
{
	if (cp.nlinks == cp.links_cap) {
		cp.links_cap = cp.links_cap ? cp.links_cap * 2 : 64;
		cp.links = realloc(cp.links, cp.links_cap * sizeof(*cp.links));
		if (!cp.links)
			image_die("out of memory");
	}
	cp.links[cp.nlinks++] = (struct copied){st->st_dev, st->st_ino, strdup(dst)};
}

/* True when the n bytes at p are all zero. */
static bool cp_zero(const char *p, size_t n)
{
	return n && p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/* Writes the n bytes at buf to fd of the destination at off; 0 or a negative errno. */
static long cp_write_all(int fd, const char *buf, size_t n, off_t off)
{
	for (size_t done = 0; done < n;) {
		long w = cp.to->pwrite(fd, buf + done, n - done, off + (off_t)done);
		if (w <= 0)
			return w < 0 ? w : -EIO;
		done += (size_t)w;
	}
	return 0;
}

/* Writes n bytes of buf at off to fd of the destination, all-zero blocks left as holes;
 * *written becomes the end of what was written. */
static long cp_write_sparse(int fd, const char *buf, size_t n, off_t off, off_t *written)
{
	size_t start = 0; /* the run of data blocks not written yet starts here */

	for (size_t at = 0;; at += COPY_BLOCK) {
		size_t k = at < n ? (n - at < COPY_BLOCK ? n - at : COPY_BLOCK) : 0;
		if (k && !cp_zero(buf + at, k))
			continue; /* data: the run goes on */
		size_t end = at < n ? at : n;
		long err = end > start ? cp_write_all(fd, buf + start, end - start, off + (off_t)start) : 0;
		if (!err && end > start)
			*written = off + (off_t)end;
		if (err || !k)
			return err;
		start = at + k; /* past the zero block */
	}
}

/* Copies the data of in (st's size) to out, new and empty; holes of a sparse source
 * (where its side finds them) and zero blocks stay holes. Returns 0 or a negative errno
 * (*side_err: which side). */
static long cp_data(int in, int out, const struct stat *st, const struct side **side_err)
{
	off_t size = st->st_size, end = 0; /* end: the length out has */
	bool sparse = (off_t)st->st_blocks * 512 < size; /* else there is no hole to look for */

	for (off_t off = 0; off < size;) {
		off_t data = sparse ? cp.from->seek(in, off, SEEK_DATA) : off;
		if (data == -ENXIO)
			break; /* a hole up to the end */
		if (data < 0)
			data = off; /* no hole finding there: all data */
		size_t want = size - data < COPY_CHUNK ? (size_t)(size - data) : COPY_CHUNK;
		long n = data < size ? cp.from->pread(in, cp.buf, want, data) : 0;
		if (n <= 0) {
			*side_err = cp.from;
			return n < 0 ? n : -EIO; /* shrank under us */
		}
		long err = cp_write_sparse(out, cp.buf, (size_t)n, data, &end);
		if (err) {
			*side_err = cp.to;
			return err;
		}
		off = data + n;
	}
	*side_err = cp.to;
	return end == size ? 0 : cp.to->truncate(out, size); /* a hole at the end */
}

/* Gives dst (open as fd, or -1) the owner, mode and times of st with -p (without it, the
 * mode stays as created under the umask). */
static void cp_attrs(const char *dst, int fd, const struct stat *st)
{
	long err;

	if (!cp.preserve)
		return;
	err = fd >= 0 ? cp.to->fchown(fd, st->st_uid, st->st_gid)
		      : cp.to->chown(dst, st->st_uid, st->st_gid);
	if (err == -EPERM && cp.to == &host_side && geteuid() != 0)
		err = 0; /* as cp -p: only root gives files away */
	if (err)
		cp_fail(cp.to, dst, "cannot change the owner of", err);
	/* chown cleared set-id bits, and mkdir applied the umask (a file was made with its
	 * mode under a zero umask: only set-id bits need setting again) */
	if (!S_ISLNK(st->st_mode) && (fd < 0 || (st->st_mode & (S_ISUID | S_ISGID)))) {
		err = fd >= 0 ? cp.to->fchmod(fd, st->st_mode & 07777)
			      : cp.to->chmod(dst, st->st_mode & 07777);
		if (err)
			cp_fail(cp.to, dst, "cannot change the mode of", err);
	}
	const struct timespec ts[2] = {st->st_atim, st->st_mtim};
	if ((err = fd >= 0 ? cp.to->futimens(fd, ts) : cp.to->utimens(dst, ts)))
		cp_fail(cp.to, dst, "cannot set the times of", err);
}

/* Copies regular file src (st) to a new file dst. Returns false when it failed. */
static bool cp_file(const char *src, const char *dst, const struct stat *st)
{
	long in = cp.from->open(src, O_RDONLY, 0);
	if (in < 0) {
		cp_fail(cp.from, src, "cannot open", in);
		return false;
	}
	long out = cp.to->open(dst, O_WRONLY | O_CREAT | O_TRUNC, st->st_mode & cp.mode_bits);
	if (out < 0) {
		cp.from->close((int)in);
		cp_fail(cp.to, dst, "cannot create", out);
		return false;
	}
	const struct side *side_err;
	long err = cp_data((int)in, (int)out, st, &side_err);
	if (!err)
		cp_attrs(dst, (int)out, st); /* on the descriptor: no second lookup */
	cp.from->close((int)in);
	long cerr = cp.to->close((int)out);
	if (!err && cerr)
		err = cerr, side_err = cp.to;
	if (err)
		cp_fail(side_err, side_err == cp.to ? dst : src, "cannot copy", err);
	return !err;
}

static void cp_tree(const char *src, const char *dst);

/* Copies the entries of directory src into the existing directory dst. */
static void cp_dir_entries(const char *src, const char *dst)
{
	char **names;
	long err = cp.from->list(src, &names);

	if (err) {
		cp_fail(cp.from, src, "cannot read the directory", err);
		return;
	}
	for (size_t i = 0; names[i]; i++) {
		char *s = image_join(src, names[i]), *d = image_join(dst, names[i]);
		cp_tree(s, d);
		free(s);
		free(d);
	}
	image_free_names(names);
}

/* Makes directory dst for src (an existing directory will do) and copies into it. */
static void cp_dir(const char *src, const char *dst, const struct stat *st)
{
	struct stat dst_st;
	long err = cp.to->mkdir(dst, (st->st_mode & 07777) | 0700);

	if (err == -EEXIST && cp.to->lstat(dst, &dst_st) == 0 && S_ISDIR(dst_st.st_mode))
		err = 0;
	if (err) {
		cp_fail(cp.to, dst, "cannot make the directory", err);
		return;
	}
	cp_dir_entries(src, dst);
	if (!cp.preserve && (err = cp.to->chmod(dst, st->st_mode & 0777 & ~cp.umask)))
		cp_fail(cp.to, dst, "cannot change the mode of", err);
	cp_attrs(dst, -1, st); /* last: the entries changed its times */
}

/* Makes symbolic link dst with src's target. Returns false when it failed. */
static bool cp_symlink(const char *src, const char *dst)
{
	char target[4097];
	long n = cp.from->readlink(src, target, sizeof(target) - 1);

	if (n < 0) {
		cp_fail(cp.from, src, "cannot read the link", n);
		return false;
	}
	target[n] = '\0';
	long err = cp.to->symlink(target, dst);
	if (err)
		cp_fail(cp.to, dst, "cannot make the link", err);
	return !err;
}

/* Copies src, whatever it is, to the new name dst. */
static void cp_tree(const char *src, const char *dst)
{
	struct stat st;
	long err = cp.from->lstat(src, &st);
	bool made = false;

	if (err) {
		cp_fail(cp.from, src, "cannot stat", err);
		return;
	}
	const char *first = !S_ISDIR(st.st_mode) && st.st_nlink > 1 ? cp_link_seen(&st) : NULL;
	if (first) { /* a hard link to a file copied already */
		if ((err = cp.to->link(first, dst)))
			cp_fail(cp.to, dst, "cannot link", err);
		return;
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		cp_dir(src, dst, &st);
		return;
	case S_IFREG:
		made = cp_file(src, dst, &st);
		break;
	case S_IFLNK:
		made = cp_symlink(src, dst);
		break;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		if ((err = cp.to->mknod(dst, st.st_mode & (S_IFMT | cp.mode_bits), st.st_rdev)))
			cp_fail(cp.to, dst, "cannot make the node", err);
		made = !err;
		break;
	default:
		image_warn("skipping %s%s: a socket cannot be copied", cp.from->name, src);
		return;
	}
	if (made && st.st_nlink > 1)
		cp_link_note(&st, dst);
	if (made && !S_ISREG(st.st_mode)) /* a file's were set on its descriptor */
		cp_attrs(dst, -1, &st);
}

/* --- the command line --- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: amphi-cptofs -i IMAGE [-p] [-m MIB] SRC... DEST\n"
		"Copies files and trees into or out of the ext2 file system in IMAGE, through the\n"
		"Amphi kernel. Paths inside the image start with ':' (e.g. :/etc/passwd): either\n"
		"every SRC is in the image and DEST on the host, or the other way round.\n"
		"Directories are copied with everything in them; a SRC ending in /. copies the\n"
		"directory's contents. When DEST is an existing directory each SRC goes inside it.\n"
		"  -i IMAGE  the ext2 image (a file or block device)\n"
		"  -p        keep owners, modes (set-id bits too) and times (as cp -a)\n"
		"  -m MIB    memory of the machine (default 256)\n"
		"  -h        this help\n"
		"AMPHI_LOCK_CHECKER=1 in the environment turns the kernel's lock checker on.\n"
		"Hard links, symbolic links, sparse files, FIFOs and device nodes are kept.\n"
		"Exit status 0 when everything was copied, 1 otherwise.\n");
}

/* The full path on side s for a command-line path (":" stripped for the image). */
static char *cp_side_path(const struct side *s, const char *arg)
{
	if (s == &host_side)
		return strdup(arg);
	arg++;
	while (*arg == '/')
		arg++;
	return image_join(IMAGE_ROOT, arg);
}

/* The last component of path, for a copy into a directory; NULL for "dir/." (contents). */
static char *cp_base(const char *path)
{
	char *p = strdup(path);
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	const char *slash = strrchr(p, '/');
	char *base = strdup(slash ? slash + 1 : p);
	free(p);
	if (!strcmp(base, ".") || !*base) {
		free(base);
		return NULL;
	}
	return base;
}

/* Copies one command-line source to dest (a directory when into_dir). */
static void cp_arg(const char *arg, const char *dest, bool into_dir)
{
	char *src = cp_side_path(cp.from, arg), *base = cp_base(src + (cp.from == &image_side ? strlen(IMAGE_ROOT) : 0));
	struct stat st;

	if (!base) { /* DIR/. : its contents into dest */
		long err = cp.from->lstat(src, &st);
		if (!err && !S_ISDIR(st.st_mode))
			err = -ENOTDIR;
		if (err)
			cp_fail(cp.from, src, "cannot copy", err);
		else
			cp_dir(src, dest, &st);
	} else {
		char *dst = into_dir ? image_join(dest, base) : strdup(dest);
		cp_tree(src, dst);
		free(dst);
	}
	free(base);
	free(src);
}

int main(int argc, char **argv)
{
	const char *image = NULL;
	unsigned mem = 256;
	int c;

	image_tool = "amphi-cptofs";
	while ((c = getopt(argc, argv, "+i:pm:h")) != -1) {
		switch (c) {
		case 'i': image = optarg; break;
		case 'p': cp.preserve = true; break;
		case 'm': mem = image_parse_mem(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	int nsrc = argc - optind - 1;
	if (!image || nsrc < 1) {
		image_warn(!image ? "no image (-i IMAGE)" : "need SRC... DEST");
		usage(stderr);
		return 2;
	}
	char **srcs = argv + optind, *dest_arg = argv[argc - 1];
	bool in = dest_arg[0] == ':';
	for (int i = 0; i < nsrc; i++) {
		if ((srcs[i][0] == ':') == in) {
			image_warn("%s and %s are both %s: one side must be the image (':PATH')",
				   srcs[i], dest_arg, in ? "in the image" : "on the host");
			return 2;
		}
	}
	cp.from = in ? &host_side : &image_side;
	cp.to = in ? &image_side : &host_side;
	cp.buf = malloc(COPY_CHUNK);
	if (!cp.buf)
		image_die("out of memory");
	image_open(image, !in, mem);
	amphi_sys_umask(cp.preserve ? 0 : 022);
	cp.mode_bits = cp.preserve ? 07777 : 0777; /* as cp: no set-id or sticky bit without -p */
	mode_t host_umask = umask(0); /* with -p the host's copies are made with their modes */
	if (!cp.preserve)
		umask(host_umask);
	cp.umask = cp.preserve ? 0 : in ? 022 : host_umask;
	char *dest = cp_side_path(cp.to, dest_arg);
	struct stat st;
	bool into_dir = cp.to->lstat(dest, &st) == 0 && S_ISDIR(st.st_mode);
	if (nsrc > 1 && !into_dir)
		image_die("%s: not a directory, and there are %d sources", dest_arg, nsrc);
	for (int i = 0; i < nsrc; i++)
		cp_arg(srcs[i], dest, into_dir);
	free(dest);
	return image_close(image) | cp.status;
}
