/*
 * The cpio target: each input is a cpio newc (or crc) archive, unpacked by the kernel into
 * the root file system as the boot RAM disk is (initramfs_unpack, in the served process's
 * kernel context). The tree is then read back through syscalls: every directory listed,
 * every name stat'ed, every symlink read and the start of every file read, and what
 * readdir, stat, readlink and read say of one name must agree; a disagreement aborts.
 * The machine is put back to its state after boot before the next input.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "amphi.h"
#include "fuzz_cpio.h"
#include "fuzz_machine.h"

#define FUZZ_CPIO_MAX (256 * 1024) /* beyond this an input is not kept */
#define FUZZ_WALK_DEPTH 8
#define FUZZ_WALK_READ 4096

/* One record of getdents64's output (struct linux_dirent64). */
struct fuzz_dirent {
	uint64_t ino;
	int64_t off;
	uint16_t reclen;
	uint8_t type;
	char name[];
};

/* Stops the run: the file system said two different things (a and b) about one name. */
static void fuzz_cpio_disagree(const char *path, const char *what, long long a, long long b)
{
	fprintf(stderr, "fuzz-cpio: %s: %s (%lld, %lld)\n", path, what, a, b);
	abort();
}

/* The type getdents64 reports for a stat mode. */
static unsigned fuzz_dtype_of(mode_t mode)
{
	return (mode & S_IFMT) >> 12;
}

static void fuzz_cpio_walk(int dirfd, const char *path, int depth);

/* Checks the entry name of directory dirfd (at path) that readdir typed dtype. */
static void fuzz_cpio_check(int dirfd, const char *path, const char *name, unsigned dtype,
			    int depth)
{
	char full[512], buf[FUZZ_WALK_READ];
	struct stat st;

	snprintf(full, sizeof(full), "%s/%s", path, name);
	long err = amphi_sys_newfstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW);
	if (err < 0)
		fuzz_cpio_disagree(full, "listed by getdents64 but stat fails", err, 0);
	if (dtype != DT_UNKNOWN && dtype != fuzz_dtype_of(st.st_mode))
		fuzz_cpio_disagree(full, "getdents64's type is not stat's", dtype,
				   fuzz_dtype_of(st.st_mode));
	if (S_ISLNK(st.st_mode)) {
		long n = amphi_sys_readlinkat(dirfd, name, buf, sizeof(buf));
		if (n < 0 || (st.st_size < (off_t)sizeof(buf) && n != st.st_size))
			fuzz_cpio_disagree(full, "readlink's length is not stat's size", n,
					   st.st_size);
	} else if (S_ISREG(st.st_mode)) {
		long fd = amphi_sys_openat(dirfd, name, O_RDONLY | O_NOFOLLOW, 0);
		long n = fd < 0 ? fd : amphi_sys_read((int)fd, buf, sizeof(buf));
		if (fd >= 0)
			amphi_sys_close((int)fd);
		if (fd >= 0 &&
		    n != (st.st_size < (off_t)sizeof(buf) ? st.st_size : (off_t)sizeof(buf)))
			fuzz_cpio_disagree(full, "read's length is not stat's size", n, st.st_size);
	} else if (S_ISDIR(st.st_mode) && depth < FUZZ_WALK_DEPTH) {
		long fd = amphi_sys_openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
		if (fd >= 0) {
			fuzz_cpio_walk((int)fd, full, depth + 1);
			amphi_sys_close((int)fd);
		}
	}
}

/* Reads directory dirfd (at path) and checks each entry; /proc and /sys are skipped. */
static void fuzz_cpio_walk(int dirfd, const char *path, int depth)
{
	char buf[4096];
	long n;

	while ((n = amphi_sys_getdents64(dirfd, buf, sizeof(buf))) > 0) {
		for (long at = 0; at < n;) {
			struct fuzz_dirent *d = (struct fuzz_dirent *)(buf + at);
			at += d->reclen;
			if (!strcmp(d->name, ".") || !strcmp(d->name, ".."))
				continue;
			if (depth == 0 && (!strcmp(d->name, "proc") || !strcmp(d->name, "sys")))
				continue;
			fuzz_cpio_check(dirfd, path, d->name, d->type, depth);
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return fuzz_machine_start(true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cpio_input in = {data, size};

	if (size == 0 || size > FUZZ_CPIO_MAX)
		return -1;
	if (fuzz_machine_kcall(fuzz_cpio_unpack, &in) != -ENOMEM) {
		long fd = amphi_sys_openat(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY, 0);
		if (fd >= 0) {
			fuzz_cpio_walk((int)fd, "", 0);
			amphi_sys_close((int)fd);
		}
	}
	fuzz_machine_reset();
	return 0;
}
