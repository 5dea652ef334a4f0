/*
 * amphi-fs2tar: writes the tree of an ext2 image as a tar archive (GNU format: ustar
 * headers, with 'L'/'K' records for names and link targets past 100 bytes), reading the
 * image through the Amphi kernel (libamphi), mounted read-only.
 */
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

#define TAR_BLOCK 512
#define TAR_CHUNK (1u << 20)

_Static_assert(sizeof(struct stat) == 144, "the guest's struct stat is the x86_64 host's");

/* A GNU tar header block. */
struct tar_header {
	char name[100], mode[8], uid[8], gid[8], size[12], mtime[12], chksum[8], typeflag;
	char linkname[100], magic[6], version[2], uname[32], gname[32], devmajor[8], devminor[8];
	char prefix[155], pad[12];
};
_Static_assert(sizeof(struct tar_header) == TAR_BLOCK, "a tar header is one block");

/* A file archived already, for hard links: its inode and its name in the archive. */
struct archived {
	ino_t ino;
	char *name;
};

static struct {
	FILE *out;
	const char *out_name;
	int status;
	struct archived *links;
	size_t nlinks, links_cap;
	char *buf;
} tar;

/* Writes n bytes to the archive; exits when the output refuses them. */
static void tar_put(const void *p, size_t n)
{
	if (fwrite(p, 1, n, tar.out) != n)
		image_die("%s: %s", tar.out_name, strerror(errno));
}

/* Pads the archive to a whole block after n bytes of a member's data. */
static void tar_pad(uint64_t n)
{
	static const char zeros[TAR_BLOCK];

	if (n % TAR_BLOCK)
		tar_put(zeros, TAR_BLOCK - n % TAR_BLOCK);
}

/* Writes v into a numeric field of len bytes: octal, or GNU's base-256 when too big. */
static void tar_number(char *field, size_t len, uint64_t v)
{
	if (len < 2 + 3 * sizeof(v) && v >> (3 * (len - 1)) != 0) {
		memset(field, 0, len);
		field[0] = (char)0x80;
		for (size_t i = len - 1; i > 0 && v; i--, v >>= 8)
			field[i] = (char)(v & 0xff);
		return;
	}
	snprintf(field, len, "%0*llo", (int)len - 1, (unsigned long long)v);
}

/* Fills in the checksum of h and writes it. */
static void tar_put_header(struct tar_header *h)
{
	unsigned sum = 0;

	memset(h->chksum, ' ', sizeof(h->chksum));
	for (size_t i = 0; i < sizeof(*h); i++)
		sum += ((unsigned char *)h)[i];
	snprintf(h->chksum, sizeof(h->chksum), "%06o", sum);
	h->chksum[7] = ' ';
	tar_put(h, sizeof(*h));
}

/* A header of type for name with st's attributes and size (no name yet). */
static void tar_header_init(struct tar_header *h, char type, const struct stat *st, uint64_t size)
{
	memset(h, 0, sizeof(*h));
	tar_number(h->mode, sizeof(h->mode), st->st_mode & 07777);
	tar_number(h->uid, sizeof(h->uid), st->st_uid);
	tar_number(h->gid, sizeof(h->gid), st->st_gid);
	tar_number(h->size, sizeof(h->size), size);
	tar_number(h->mtime, sizeof(h->mtime), (uint64_t)st->st_mtim.tv_sec);
	h->typeflag = type;
	memcpy(h->magic, "ustar ", 6);
	memcpy(h->version, " ", 2);
	if (type == '3' || type == '4') {
		tar_number(h->devmajor, sizeof(h->devmajor), major(st->st_rdev));
		tar_number(h->devminor, sizeof(h->devminor), minor(st->st_rdev));
	}
}

/* Copies s into a field of 100 bytes, preceded by a GNU long-name record of type 'L' or
 * 'K' when it does not fit. */
static void tar_long(char *field, const char *s, char type, const struct stat *st)
{
	size_t n = strlen(s);

	if (n > 100) {
		struct tar_header h;
		tar_header_init(&h, type, st, n + 1);
		tar_number(h.mode, sizeof(h.mode), 0);
		strcpy(h.name, "././@LongLink");
		tar_put_header(&h);
		tar_put(s, n + 1);
		tar_pad(n + 1);
	}
	memcpy(field, s, n < 100 ? n : 100);
}

/* Writes the header of member name (type, st, size), with link target link or NULL. */
static void tar_member(const char *name, char type, const struct stat *st, uint64_t size,
		       const char *link)
{
	struct tar_header h;

	tar_header_init(&h, type, st, size);
	if (link)
		tar_long(h.linkname, link, 'K', st);
	tar_long(h.name, name, 'L', st);
	tar_put_header(&h);
}

/* Reports a failure on image path and marks the run failed. */
static void tar_fail(const char *path, const char *what, long err)
{
	image_warn("%s :%s: %s", what, path + strlen(IMAGE_ROOT), strerror((int)-err));
	tar.status = 1;
}

/* The archive name of an earlier link to st's inode, or NULL; notes name as its first. */
static const char *tar_link_seen(const struct stat *st, const char *name)
{
	for (size_t i = 0; i < tar.nlinks; i++) {
		if (tar.links[i].ino == st->st_ino)
			return tar.links[i].name;
	}
	if (tar.nlinks == tar.links_cap) {
		tar.links_cap = tar.links_cap ? tar.links_cap * 2 : 64;
		tar.links = realloc(tar.links, tar.links_cap * sizeof(*tar.links));
		if (!tar.links)
			image_die("out of memory");
	}
	tar.links[tar.nlinks++] = (struct archived){st->st_ino, strdup(name)};
	return NULL;
}

/* Archives regular file path (st) as name: header, then its data. A file that cannot be
 * read whole is reported, and padded with zeros so that the archive stays readable. */
static void tar_file(const char *path, const char *name, const struct stat *st)
{
	long fd = amphi_sys_openat(AT_FDCWD, path, O_RDONLY, 0);
	uint64_t size = (uint64_t)st->st_size, done = 0;

	if (fd < 0) {
		tar_fail(path, "cannot open", fd);
		return;
	}
	tar_member(name, '0', st, size, NULL);
	while (done < size) {
		long n = amphi_sys_read((int)fd, tar.buf, size - done < TAR_CHUNK ? size - done : TAR_CHUNK);
		if (n <= 0) { /* the rest as zeros: the header promised size bytes */
			tar_fail(path, "cannot read", n < 0 ? n : -EIO);
			memset(tar.buf, 0, TAR_CHUNK);
			n = (long)(size - done < TAR_CHUNK ? size - done : TAR_CHUNK);
		}
		tar_put(tar.buf, (size_t)n);
		done += (uint64_t)n;
	}
	amphi_sys_close((int)fd);
	tar_pad(size);
}

static void tar_tree(const char *path, const char *name);

/* Archives directory path as name, then what it holds. */
static void tar_dir(const char *path, const char *name, const struct stat *st)
{
	char **names;
	long err = image_list_dir(path, &names);

	if (*name) {
		char *dname = image_join(name, "");
		tar_member(dname, '5', st, 0, NULL);
		free(dname);
	}
	if (err) {
		tar_fail(path, "cannot read the directory", err);
		return;
	}
	for (size_t i = 0; names[i]; i++) {
		char *p = image_join(path, names[i]);
		char *n = *name ? image_join(name, names[i]) : strdup(names[i]);
		tar_tree(p, n);
		free(p);
		free(n);
	}
	image_free_names(names);
}

/* Archives path of the image, whatever it is, as name ("" for the top directory). */
static void tar_tree(const char *path, const char *name)
{
	struct stat st;
	char target[4097];
	long err = amphi_sys_newfstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);

	if (err) {
		tar_fail(path, "cannot stat", err);
		return;
	}
	const char *first = !S_ISDIR(st.st_mode) && st.st_nlink > 1 ? tar_link_seen(&st, name) : NULL;
	if (first) {
		tar_member(name, '1', &st, 0, first);
		return;
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		tar_dir(path, name, &st);
		break;
	case S_IFREG:
		tar_file(path, name, &st);
		break;
	case S_IFLNK:
		err = amphi_sys_readlinkat(AT_FDCWD, path, target, sizeof(target) - 1);
		if (err < 0) {
			tar_fail(path, "cannot read the link", err);
			break;
		}
		target[err] = '\0';
		tar_member(name, '2', &st, 0, target);
		break;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		tar_member(name, S_ISCHR(st.st_mode) ? '3' : S_ISBLK(st.st_mode) ? '4' : '6', &st, 0,
			   NULL);
		break;
	default:
		image_warn("skipping :%s: a socket has no place in a tar archive",
			   path + strlen(IMAGE_ROOT));
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: amphi-fs2tar [-o FILE] [-m MIB] IMAGE [PATH]\n"
		"Writes the tree of the ext2 file system in IMAGE (or its subtree PATH) as a tar\n"
		"archive (GNU format) on standard output or FILE, reading it through the Amphi\n"
		"kernel. Names are relative to PATH; owners are numeric; hard links, symbolic\n"
		"links, FIFOs and device nodes are kept.\n"
		"  -o FILE   write the archive to FILE (- : standard output, the default)\n"
		"  -m MIB    memory of the machine (default 256)\n"
		"  -h        this help\n"
		"AMPHI_LOCK_CHECKER=1 in the environment turns the kernel's lock checker on.\n"
		"Exit status 0 when everything was archived, 1 otherwise.\n");
}

int main(int argc, char **argv)
{
	unsigned mem = 256;
	const char *out_path = NULL;
	int c;

	image_tool = "amphi-fs2tar";
	while ((c = getopt(argc, argv, "o:m:h")) != -1) {
		switch (c) {
		case 'o': out_path = strcmp(optarg, "-") ? optarg : NULL; break;
		case 'm': mem = image_parse_mem(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		image_warn("need IMAGE and at most one PATH");
		usage(stderr);
		return 2;
	}
	const char *image = argv[optind], *sub = argv[optind + 1] ? argv[optind + 1] : "/";
	tar.buf = malloc(TAR_CHUNK);
	if (!tar.buf)
		image_die("out of memory");
	image_open(image, true, mem);
	tar.out_name = out_path ? out_path : "standard output";
	tar.out = out_path ? fopen(out_path, "wb") : stdout;
	if (!tar.out)
		image_die("%s: %s", out_path, strerror(errno));
	while (*sub == '/')
		sub++;
	char *root = image_join(IMAGE_ROOT, sub);
	const char *slash = strrchr(sub, '/');
	struct stat st;
	bool dir = amphi_sys_newfstatat(AT_FDCWD, root, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		   S_ISDIR(st.st_mode);
	tar_tree(root, dir ? "" : slash ? slash + 1 : sub); /* a file: under its own name */
	free(root);
	static const char end[2 * TAR_BLOCK];
	tar_put(end, sizeof(end));
	if (fflush(tar.out) || (out_path && fclose(tar.out)))
		image_die("%s: %s", tar.out_name, strerror(errno));
	return image_close(image) | tar.status;
}
