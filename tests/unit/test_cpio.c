/*
 * Unit tests of the cpio reader (kernel/fs/cpio.c), built with ASan and UBSan. The test
 * makes a directory tree (files of several sizes, a symlink, a subdirectory, a hard link,
 * an executable) and has GNU cpio archive it in the newc and crc formats; reading the
 * archives back must give every name, mode, owner, size, inode, device and content that
 * lstat and the files themselves give. Then hand-made malformed entries, concatenated
 * archives, and the archives truncated at every byte and corrupted, which must give -EINVAL
 * or entries that lie inside the buffer and agree with the intact archive.
 */
#include "unit.h"

#include <errno.h> /* the Linux values, as in <amphi/errno.h> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <amphi/cpio.h>

#if !defined(CPIO_PROGRAM) || !defined(CPIO_TEST_DIR)
#error "CPIO_PROGRAM and CPIO_TEST_DIR must be defined by the build"
#endif

#define TREE CPIO_TEST_DIR "/tree"
#define MAX_ENTRIES 64

/* Every path in the tree, as GNU cpio names them (find's "./" taken off). */
static const char *const tree_paths[] = {
    ".",   "f0",   "f1",       "f3",  "f4",	    "f5",	"f4096",
    "run", "link", "dangling", "sub", "sub/nested", "sub/hard",
};

/* Byte i of the test file of size n. */
static uint8_t file_byte(size_t i, size_t n)
{
	return (uint8_t)(i * 7 + n + 1);
}

/* Creates the file TREE/name of n pattern bytes with mode. */
static void make_file(const char *name, size_t n, mode_t mode)
{
	char path[512];
	snprintf(path, sizeof(path), TREE "/%s", name);
	FILE *f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (size_t i = 0; i < n; i++)
		fputc(file_byte(i, n), f);
	fclose(f);
	chmod(path, mode);
}

/* Makes the tree (once per run, from scratch). */
static void make_tree(void)
{
	static bool made;
	if (made)
		return;
	CU_ASSERT_EQUAL_FATAL(system("rm -rf '" CPIO_TEST_DIR "'"), 0);
	CU_ASSERT_FATAL(mkdir(CPIO_TEST_DIR, 0755) == 0 && mkdir(TREE, 0755) == 0);
	CU_ASSERT_FATAL(mkdir(TREE "/sub", 0750) == 0);
	static const size_t sizes[] = {0, 1, 3, 4, 5, 4096};
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char name[16];
		snprintf(name, sizeof(name), "f%zu", sizes[i]);
		make_file(name, sizes[i], 0644);
	}
	make_file("run", 10, 0755);
	make_file("sub/nested", 7, 0600);
	CU_ASSERT_FATAL(symlink("f5", TREE "/link") == 0);
	CU_ASSERT_FATAL(symlink("no/such/file/anywhere", TREE "/dangling") == 0);
	CU_ASSERT_FATAL(link(TREE "/f3", TREE "/sub/hard") == 0);
	made = true;
}

/* The tree archived by GNU cpio in format ("newc" or "crc"), read into an exactly-sized
 * buffer. */
static uint8_t *archive(const char *format, size_t *len)
{
	char cmd[1024], path[512];
	make_tree();
	snprintf(path, sizeof(path), CPIO_TEST_DIR "/%s.cpio", format);
	snprintf(cmd, sizeof(cmd),
		 "cd '" TREE "' && find . | LC_ALL=C sort | '" CPIO_PROGRAM
		 "' -o -H %s --quiet > '%s'",
		 format, path);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	uint8_t *buf = unit_read_file(path, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	return buf;
}

/* How the hard-linked file's entries carried its data: GNU cpio puts it in the last. */
struct links_seen {
	unsigned empty, full;
};

/* Checks a regular file's or symlink's data against the host's. */
static void compare_data(const struct cpio_entry *e, const char *path, const struct stat *st,
			 struct links_seen *links)
{
	if (S_ISLNK(st->st_mode)) {
		char target[512];
		ssize_t n = readlink(path, target, sizeof(target));
		CU_ASSERT_EQUAL(e->size, (size_t)n);
		CU_ASSERT(n >= 0 && memcmp(e->data, target, (size_t)n) == 0);
		return;
	}
	if (!S_ISREG(st->st_mode)) {
		CU_ASSERT_EQUAL(e->size, 0);
		return;
	}
	if (st->st_nlink > 1 && e->size == 0) {
		links->empty++;
		return;
	}
	links->full += st->st_nlink > 1;
	size_t n;
	uint8_t *content = unit_read_file(path, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(content);
	CU_ASSERT_EQUAL(e->size, n);
	CU_ASSERT(e->size == n && memcmp(e->data, content, n) == 0);
	free(content);
}

/* Checks an entry against lstat of the file it names and that file's data. */
static void compare_with_host(const struct cpio_entry *e, struct links_seen *links)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof(path), TREE "/%s", e->name);
	CU_ASSERT_EQUAL_FATAL(lstat(path, &st), 0);
	CU_ASSERT_EQUAL(e->mode, st.st_mode);
	CU_ASSERT_EQUAL(e->uid, st.st_uid);
	CU_ASSERT_EQUAL(e->gid, st.st_gid);
	CU_ASSERT_EQUAL(e->nlink, st.st_nlink);
	CU_ASSERT_EQUAL(e->mtime, (uint32_t)st.st_mtime);
	CU_ASSERT_EQUAL(e->ino, (uint32_t)st.st_ino);
	CU_ASSERT_EQUAL(e->devmajor, major(st.st_dev));
	CU_ASSERT_EQUAL(e->devminor, minor(st.st_dev));
	CU_ASSERT_EQUAL(e->rdevmajor, major(st.st_rdev));
	CU_ASSERT_EQUAL(e->rdevminor, minor(st.st_rdev));
	compare_data(e, path, &st, links);
}

/* Index of name in tree_paths, or -1. */
static int tree_index(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(tree_paths); i++)
		if (strcmp(tree_paths[i], name) == 0)
			return (int)i;
	return -1;
}

/* Reads one archive from r and checks each entry against the tree, each path once. */
static void check_archive_against_tree(struct cpio_reader *r)
{
	struct cpio_entry e;
	struct links_seen links = {0};
	unsigned seen[ARRAY_SIZE(tree_paths)] = {0};
	int rc;
	while ((rc = cpio_next(r, &e)) == 1) {
		int i = tree_index(e.name);
		if (i < 0)
			printf("    # unexpected entry %s\n", e.name);
		CU_ASSERT_FATAL(i >= 0);
		seen[i]++;
		compare_with_host(&e, &links);
	}
	CU_ASSERT_EQUAL(rc, 0);
	for (size_t i = 0; i < ARRAY_SIZE(tree_paths); i++)
		CU_ASSERT_EQUAL(seen[i], 1);
	CU_ASSERT_EQUAL(links.empty, 1);
	CU_ASSERT_EQUAL(links.full, 1);
}

/* Reads the archive in format and checks it against the tree; then only the end is left. */
static void check_format(const char *format)
{
	size_t len;
	uint8_t *buf = archive(format, &len);
	struct cpio_reader r;
	struct cpio_entry e;
	cpio_reader_init(&r, buf, len);
	check_archive_against_tree(&r);
	CU_ASSERT(r.pos < len); /* GNU cpio pads the archive with zeros to 512 bytes */
	CU_ASSERT_EQUAL(cpio_next(&r, &e), 0);
	CU_ASSERT_EQUAL(r.pos, len);
	CU_ASSERT_EQUAL(cpio_next(&r, &e), 0);
	free(buf);
}

static void test_newc_like_the_host(void)
{
	check_format("newc");
}

static void test_crc_like_the_host(void)
{
	check_format("crc");
}

/* True when only zero bytes remain in [buf + at, buf + len): what the reader takes as the end. */
static bool only_zeros_from(const uint8_t *buf, size_t len, size_t at)
{
	while (at < len && buf[at] == 0)
		at++;
	return at == len;
}

/* Offsets of every entry's header in the archive [buf, buf + len), trailers included;
 * returns how many (at most max). */
static unsigned header_offsets(const uint8_t *buf, size_t len, size_t *off, unsigned max)
{
	struct cpio_reader r;
	struct cpio_entry e;
	unsigned n = 0;
	cpio_reader_init(&r, buf, len);
	while (n < max && !only_zeros_from(buf, len, r.pos)) {
		size_t at = r.pos;
		if (cpio_next(&r, &e) < 0)
			break;
		off[n++] = at;
	}
	return n;
}

static void test_lowercase_hex(void)
{
	size_t len, off[MAX_ENTRIES];
	uint8_t *buf = archive("crc", &len);
	unsigned n = header_offsets(buf, len, off, MAX_ENTRIES);
	CU_ASSERT_EQUAL(n, ARRAY_SIZE(tree_paths) + 1);
	unsigned changed = 0;
	for (unsigned i = 0; i < n; i++)
		for (size_t j = off[i] + 6; j < off[i] + CPIO_HEADER_SIZE; j++)
			if (buf[j] >= 'A' && buf[j] <= 'F') {
				buf[j] += 'a' - 'A';
				changed++;
			}
	CU_ASSERT(changed > 0);
	struct cpio_reader r;
	cpio_reader_init(&r, buf, len);
	check_archive_against_tree(&r);
	free(buf);
}

/* Reads every archive in [buf, buf + len) the way concatenated ones are read: again after
 * each 0 while r.pos < len. Returns the last result; counts entries and trailers. */
static int read_all(const uint8_t *buf, size_t len, unsigned *entries, unsigned *trailers)
{
	struct cpio_reader r;
	struct cpio_entry e;
	int rc = 0;
	*entries = *trailers = 0;
	cpio_reader_init(&r, buf, len);
	while (r.pos < len) {
		size_t before = r.pos;
		rc = cpio_next(&r, &e);
		if (rc < 0)
			return rc;
		*entries += rc == 1;
		*trailers += rc == 0 && !only_zeros_from(buf, len, before);
	}
	return rc;
}

/* A new buffer: the alen bytes at a, gap zero bytes, then the blen bytes at b. */
static uint8_t *concat(const uint8_t *a, size_t alen, size_t gap, const uint8_t *b, size_t blen)
{
	uint8_t *out = calloc(1, alen + gap + blen);
	memcpy(out, a, alen);
	memcpy(out + alen + gap, b, blen);
	return out;
}

static void test_concatenated(void)
{
	size_t nlen, clen;
	uint8_t *newc = archive("newc", &nlen), *crc = archive("crc", &clen);
	unsigned entries, trailers, each = ARRAY_SIZE(tree_paths);
	static const size_t gaps[] = {0, 4, 512, 1000};
	for (size_t g = 0; g < ARRAY_SIZE(gaps); g++) {
		uint8_t *both = concat(newc, nlen, gaps[g], crc, clen);
		CU_ASSERT_EQUAL(read_all(both, nlen + gaps[g] + clen, &entries, &trailers), 0);
		CU_ASSERT_EQUAL(entries, 2 * each);
		CU_ASSERT_EQUAL(trailers, 2);
		free(both);
	}
	uint8_t *misaligned = concat(newc, nlen, 2, crc, clen);
	CU_ASSERT_EQUAL(read_all(misaligned, nlen + 2 + clen, &entries, &trailers), -EINVAL);
	CU_ASSERT_EQUAL(entries, each);
	free(misaligned);
	/* each archive is checked against the tree on its own */
	uint8_t *both = concat(newc, nlen, 0, crc, clen);
	struct cpio_reader r;
	cpio_reader_init(&r, both, nlen + clen);
	check_archive_against_tree(&r);
	check_archive_against_tree(&r);
	free(both);
	free(newc);
	free(crc);
}

/* Offset of the data of entry name in the archive [buf, buf + len). */
static size_t data_offset(const uint8_t *buf, size_t len, const char *name)
{
	struct cpio_reader r;
	struct cpio_entry e;
	cpio_reader_init(&r, buf, len);
	while (cpio_next(&r, &e) == 1)
		if (strcmp(e.name, name) == 0)
			return (size_t)((const uint8_t *)e.data - buf);
	return 0;
}

/* Reads the archive up to the entry name; returns cpio_next's result for it. */
static int read_to(const uint8_t *buf, size_t len, const char *name, struct cpio_entry *e)
{
	struct cpio_reader r;
	int rc;
	cpio_reader_init(&r, buf, len);
	while ((rc = cpio_next(&r, e)) == 1 && strcmp(e->name, name) != 0)
		;
	return rc;
}

static void test_checksum(void)
{
	size_t nlen, clen;
	uint8_t *newc = archive("newc", &nlen), *crc = archive("crc", &clen);
	struct cpio_entry e;
	size_t at = data_offset(crc, clen, "f4096");
	CU_ASSERT_FATAL(at > 0);
	crc[at + 100] ^= 0x40; /* the crc format notices a changed data byte */
	CU_ASSERT_EQUAL(read_to(crc, clen, "f4096", &e), -EINVAL);
	crc[at + 100] ^= 0x40;
	crc[at + 100] += 1, crc[at + 101] -= 1; /* a sum is all it checks */
	CU_ASSERT_EQUAL(read_to(crc, clen, "f4096", &e), 1);
	at = data_offset(newc, nlen, "f4096");
	newc[at + 100] ^= 0x40; /* newc has no checksum */
	CU_ASSERT_EQUAL(read_to(newc, nlen, "f4096", &e), 1);
	CU_ASSERT_EQUAL(((const uint8_t *)e.data)[100], file_byte(100, 4096) ^ 0x40);
	free(newc);
	free(crc);
}

/* ---------------------------------------------------------------- hand-made entries */

/* Appends an entry to out at *len: magic, mode, namesize bytes of name (its NUL included
 * when namesize > strlen(name)), size bytes of data and check; pads name and data to 4. */
static void put_entry(uint8_t *out, size_t *len, const char *magic, uint32_t mode, const char *name,
		      uint32_t namesize, const char *data, uint32_t size, uint32_t check)
{
	uint32_t f[13] = {1, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, namesize, check};
	uint8_t *p = out + *len;
	memcpy(p, magic, 6);
	for (int i = 0; i < 13; i++) {
		char hex[9];
		snprintf(hex, sizeof(hex), "%08X", f[i]);
		memcpy(p + 6 + 8 * i, hex, 8);
	}
	size_t n = CPIO_HEADER_SIZE;
	memcpy(p + n, name, MIN(namesize, strlen(name) + 1));
	n = ALIGN_UP(n + namesize, 4);
	memcpy(p + n, data, size);
	*len += ALIGN_UP(n + size, 4);
}

/* An archive with one regular file entry name/data (and the given header values) and a
 * trailer, in a zeroed buffer of cap bytes; returns its length. */
static size_t one_file(uint8_t *buf, size_t cap, const char *magic, const char *name,
		       uint32_t namesize, const char *data, uint32_t size, uint32_t check)
{
	size_t len = 0;
	memset(buf, 0, cap);
	put_entry(buf, &len, magic, 0100644, name, namesize, data, size, check);
	put_entry(buf, &len, "070701", 0, CPIO_TRAILER_NAME, sizeof(CPIO_TRAILER_NAME), "", 0, 0);
	return len;
}

/* cpio_next's first result on an exactly-sized copy of [buf, buf + len); a second call must
 * give -EINVAL again after one. */
static int first_result(const uint8_t *buf, size_t len, struct cpio_entry *e)
{
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, buf, len);
	struct cpio_reader r;
	cpio_reader_init(&r, copy, len);
	int rc = cpio_next(&r, e);
	if (rc < 0) {
		size_t pos = r.pos;
		CU_ASSERT_EQUAL(cpio_next(&r, e), rc);
		CU_ASSERT_EQUAL(r.pos, pos);
	}
	free(copy);
	return rc;
}

static void test_malformed_entries(void)
{
	uint8_t buf[512];
	struct cpio_entry e;
	size_t len = one_file(buf, sizeof(buf), "070701", "a", 2, "xyz", 3, 0);
	unsigned entries, trailers;
	CU_ASSERT_EQUAL(first_result(buf, len, &e), 1);
	CU_ASSERT_EQUAL(read_all(buf, len, &entries, &trailers), 0);
	CU_ASSERT_EQUAL(read_all(buf, len - 1, &entries, &trailers), -EINVAL); /* trailer cut */
	len = one_file(buf, sizeof(buf), "070702", "a", 2, "xyz", 3, 'x' + 'y' + 'z');
	CU_ASSERT_EQUAL(first_result(buf, len, &e), 1);
	len = one_file(buf, sizeof(buf), "070702", "a", 2, "xyz", 3, 0);
	CU_ASSERT_EQUAL(first_result(buf, len, &e), -EINVAL);		 /* bad crc */
	len = one_file(buf, sizeof(buf), "070707", "a", 2, "xyz", 3, 0); /* odc magic */
	CU_ASSERT_EQUAL(first_result(buf, len, &e), -EINVAL);
	len = one_file(buf, sizeof(buf), "070701", "", 1, "", 0, 0); /* empty name */
	CU_ASSERT_EQUAL(first_result(buf, len, &e), -EINVAL);
	len = one_file(buf, sizeof(buf), "070701", "", 0, "", 0, 0); /* no name at all */
	CU_ASSERT_EQUAL(first_result(buf, len, &e), -EINVAL);
	len = one_file(buf, sizeof(buf), "070701", "abc", 3, "", 0, 0); /* no NUL */
	CU_ASSERT_EQUAL(first_result(buf, len, &e), -EINVAL);
	len = one_file(buf, sizeof(buf), "070701", "abc", 6, "", 0, 0); /* NUL inside */
	CU_ASSERT_EQUAL(first_result(buf, len, &e), -EINVAL);
	len = one_file(buf, sizeof(buf), "070701", "a", 2, "xyz", 3, 0);
	memcpy(buf + 6 + 8 * 11, "FFFFFFFF", 8); /* namesize past the end */
	CU_ASSERT_EQUAL(first_result(buf, len, &e), -EINVAL);
	memcpy(buf + 6 + 8 * 11, "00000002", 8);
	memcpy(buf + 6 + 8 * 6, "FFFFFFFF", 8); /* filesize past the end */
	CU_ASSERT_EQUAL(first_result(buf, len, &e), -EINVAL);
	memcpy(buf + 6 + 8 * 6, "0000000g", 8); /* not a hex digit */
	CU_ASSERT_EQUAL(first_result(buf, len, &e), -EINVAL);
	memcpy(buf + 6 + 8 * 6, " 0000003", 8);
	CU_ASSERT_EQUAL(first_result(buf, len, &e), -EINVAL);
	memcpy(buf + 6 + 8 * 6, "00000003", 8);
	CU_ASSERT_EQUAL(first_result(buf, CPIO_HEADER_SIZE - 1, &e), -EINVAL); /* cut header */
	struct cpio_reader r;
	cpio_reader_init(&r, buf, len);
	CU_ASSERT_EQUAL(cpio_next(&r, &e), 1);
	CU_ASSERT_STRING_EQUAL(e.name, "a");
	CU_ASSERT_EQUAL(e.size, 3);
	CU_ASSERT_EQUAL(memcmp(e.data, "xyz", 3), 0);
	memmove(buf + 2, buf, len); /* zeros before a header only skip to a multiple of 4 */
	buf[0] = buf[1] = 0;
	CU_ASSERT_EQUAL(first_result(buf, len + 2, &e), -EINVAL);
}

static void test_ends(void)
{
	uint8_t buf[256] = {0};
	struct cpio_entry e;
	size_t len = 0;
	CU_ASSERT_EQUAL(first_result(buf, 0, &e), 0);		/* empty */
	CU_ASSERT_EQUAL(first_result(buf, sizeof(buf), &e), 0); /* zeros only */
	put_entry(buf, &len, "070701", 0, CPIO_TRAILER_NAME, sizeof(CPIO_TRAILER_NAME), "", 0, 0);
	struct cpio_reader r;
	cpio_reader_init(&r, buf, len);
	CU_ASSERT_EQUAL(cpio_next(&r, &e), 0);
	CU_ASSERT_EQUAL(r.pos, len);
	CU_ASSERT_EQUAL(cpio_next(&r, &e), 0);
	CU_ASSERT_EQUAL(r.pos, len);
}

/* ---------------------------------------------------------------- truncated and corrupted */

/* The name and data offsets of every entry of an intact archive, in order. */
struct layout {
	unsigned n;
	size_t name[MAX_ENTRIES], data[MAX_ENTRIES], size[MAX_ENTRIES];
};

/* Reads [buf, buf + len) as read_all does and counts results that are implausible: an entry
 * outside the buffer, an empty or unterminated name, no progress, or (when intact is given)
 * an entry other than the intact archive's at the same place. */
static unsigned exercise(const uint8_t *buf, size_t len, const struct layout *intact,
			 struct layout *out)
{
	struct cpio_reader r;
	struct cpio_entry e;
	unsigned bad = 0, n = 0, calls;
	cpio_reader_init(&r, buf, len);
	for (calls = 0; r.pos < len && calls < 1000; calls++) {
		size_t before = r.pos;
		int rc = cpio_next(&r, &e);
		if (rc < 0) {
			bad += rc != -EINVAL || r.pos > len;
			break;
		}
		bad += r.pos <= before || r.pos > len;
		if (rc == 0)
			continue;
		const uint8_t *name = (const uint8_t *)e.name, *data = e.data;
		size_t nlen = name >= buf && name < buf + len
				  ? strnlen(e.name, len - (size_t)(name - buf))
				  : 0;
		bad += nlen == 0 || name + nlen >= buf + len;
		bad += data < buf || data > buf + len || e.size > (size_t)(buf + len - data);
		if (intact && n < intact->n)
			bad += (size_t)(name - buf) != intact->name[n] ||
			       (size_t)(data - buf) != intact->data[n] || e.size != intact->size[n];
		if (out && n < MAX_ENTRIES) {
			out->name[n] = (size_t)(name - buf);
			out->data[n] = (size_t)(data - buf);
			out->size[n] = e.size;
		}
		n++;
	}
	bad += calls == 1000; /* every call moves forward, so the reading ends */
	if (out)
		out->n = n;
	return bad;
}

static void test_truncated_at_every_length(void)
{
	static const char *const formats[] = {"newc", "crc"};
	for (size_t f = 0; f < ARRAY_SIZE(formats); f++) {
		size_t len;
		struct layout intact;
		uint8_t *buf = archive(formats[f], &len);
		CU_ASSERT_EQUAL(exercise(buf, len, NULL, &intact), 0);
		CU_ASSERT_EQUAL(intact.n, ARRAY_SIZE(tree_paths));
		unsigned bad = 0;
		for (size_t keep = 0; keep < len; keep++) {
			uint8_t *copy = malloc(keep ? keep : 1);
			memcpy(copy, buf, keep);
			bad += exercise(copy, keep, &intact, NULL);
			free(copy);
		}
		CU_ASSERT_EQUAL(bad, 0);
		free(buf);
	}
}

static void test_every_byte_corrupted(void)
{
	size_t len;
	uint8_t *buf = archive("crc", &len);
	unsigned bad = 0;
	for (size_t off = 0; off < len; off++)
		for (unsigned m = 0; m < 2; m++) {
			buf[off] ^= m ? 0x01 : 0xff;
			bad += exercise(buf, len, NULL, NULL);
			buf[off] ^= m ? 0x01 : 0xff;
		}
	CU_ASSERT_EQUAL(bad, 0);
	free(buf);
}

static void test_random_corruption(void)
{
	static const char bytes[] = "0123456789abcdefABCDEFgG \n";
	uint64_t seed = 0x243f6a8885a308d3ull;
	size_t len;
	uint8_t *buf = archive("newc", &len);
	uint8_t *copy = malloc(len);
	unsigned bad = 0;
	for (int iter = 0; iter < 5000; iter++) {
		memcpy(copy, buf, len);
		for (int k = (int)(unit_random(&seed) % 4); k >= 0; k--) {
			size_t at = unit_random(&seed) % len;
			uint64_t v = unit_random(&seed);
			copy[at] =
			    v % 3 ? (uint8_t)bytes[v % (sizeof(bytes) - 1)] : (uint8_t)(v >> 8);
		}
		bad += exercise(copy, len, NULL, NULL);
	}
	CU_ASSERT_EQUAL(bad, 0);
	free(copy);
	free(buf);
}

int unit_register(void)
{
	static CU_TestInfo reading[] = {
	    {"newc_like_the_host", test_newc_like_the_host},
	    {"crc_like_the_host", test_crc_like_the_host},
	    {"lowercase_hex", test_lowercase_hex},
	    {"concatenated", test_concatenated},
	    {"checksum", test_checksum},
	    {"malformed_entries", test_malformed_entries},
	    {"ends", test_ends},
	    CU_TEST_INFO_NULL,
	};
	static CU_TestInfo corrupt[] = {
	    {"truncated_at_every_length", test_truncated_at_every_length},
	    {"every_byte_corrupted", test_every_byte_corrupted},
	    {"random_corruption", test_random_corruption},
	    CU_TEST_INFO_NULL,
	};
	if (unit_add_suite("cpio_read", reading) || unit_add_suite("cpio_corrupt", corrupt))
		return -1;
	return 0;
}
