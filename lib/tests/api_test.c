/*
 * libamphi's syscalls against the host's Linux: the same sequence of file operations runs
 * on the host (in a fresh directory under /tmp) and in the library's machine (in /t of its
 * root), and every result (return value or errno, and what stat, readlink, read and
 * getdents64 give back) must be the same. A user pointer that maps nothing must give
 * EFAULT in both, through amphi_syscall. Prints "ok - ..." or "not ok - ..." per check.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <valgrind/memcheck.h>

#include "amphi.h"

static int failures;
static int hostd, amphid; /* the directories every path is relative to */

/* r as the library gives it: -errno on failure. */
static long host(long r)
{
	return r < 0 ? -errno : r;
}

/* Reports one check: its name, and both results when they differ. */
static void check(const char *name, long h, long a)
{
	if (h == a) {
		printf("ok - %s (%ld)\n", name, h);
		return;
	}
	printf("not ok - %s: host %ld, amphi %ld\n", name, h, a);
	failures++;
}

/* Compares the fields of two stat results that do not depend on the file system; the
 * mtime when times (one that utimensat set: the clocks differ). */
static void check_stat(const char *name, const struct stat *h, const struct stat *a, bool times)
{
	char what[128];

	snprintf(what, sizeof(what), "%s: mode", name);
	check(what, h->st_mode, a->st_mode);
	snprintf(what, sizeof(what), "%s: links", name);
	check(what, (long)h->st_nlink, (long)a->st_nlink);
	snprintf(what, sizeof(what), "%s: size", name);
	check(what, S_ISDIR(h->st_mode) ? 0 : h->st_size, S_ISDIR(a->st_mode) ? 0 : a->st_size);
	snprintf(what, sizeof(what), "%s: mtime", name);
	if (times)
		check(what, h->st_mtim.tv_sec, a->st_mtim.tv_sec);
}

/* stat of path on both sides, compared; flags as fstatat's. */
static void both_stat(const char *path, int flags, bool times)
{
	struct stat h, a;
	long hr = host(fstatat(hostd, path, &h, flags));
	long ar = amphi_sys_newfstatat(amphid, path, &a, flags);

	check(path, hr, ar);
	if (hr == 0 && ar == 0)
		check_stat(path, &h, &a, times);
}

/* The names in a getdents64 buffer, sorted and joined, without . and .. */
static void dent_names(const char *buf, long len, char *out, size_t cap)
{
	const char *names[64];
	int n = 0;

	for (long off = 0; off < len && n < 64;) {
		const struct dirent64 *d = (const void *)(buf + off);
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			names[n++] = d->d_name;
		off += d->d_reclen;
	}
	for (int i = 0; i < n; i++) /* a few names: insertion sort */
		for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s/", names[i]);
}

static void files(void)
{
	check("mkdirat a", host(mkdirat(hostd, "a", 0755)), amphi_sys_mkdirat(amphid, "a", 0755));
	check("mkdirat a again", host(mkdirat(hostd, "a", 0755)), amphi_sys_mkdirat(amphid, "a", 0755));
	long hf = host(openat(hostd, "a/f", O_CREAT | O_WRONLY | O_EXCL, 0640));
	long af = amphi_sys_openat(amphid, "a/f", O_CREAT | O_WRONLY | O_EXCL, 0640);
	check("openat a/f O_CREAT|O_EXCL", hf >= 0, af >= 0);
	check("write", host(write((int)hf, "hello", 5)), amphi_sys_write((int)af, "hello", 5));
	check("read a write-only file", host(read((int)hf, (char[8]){0}, 8)),
	      amphi_sys_read((int)af, (char[8]){0}, 8));
	check("close", host(close((int)hf)), amphi_sys_close((int)af));
	check("close again", host(close((int)hf)), amphi_sys_close((int)af));
	check("openat O_EXCL existing", host(openat(hostd, "a/f", O_CREAT | O_EXCL | O_RDONLY, 0)),
	      amphi_sys_openat(amphid, "a/f", O_CREAT | O_EXCL | O_RDONLY, 0));
	check("openat missing dir", host(openat(hostd, "no/f", O_RDONLY)),
	      amphi_sys_openat(amphid, "no/f", O_RDONLY, 0));
	check("openat through a file", host(openat(hostd, "a/f/x", O_RDONLY)),
	      amphi_sys_openat(amphid, "a/f/x", O_RDONLY, 0));
	check("symlinkat", host(symlinkat("f", hostd, "a/l")), amphi_sys_symlinkat("f", amphid, "a/l"));
	char hb[16] = {0}, ab[16] = {0};
	check("readlinkat", host(readlinkat(hostd, "a/l", hb, sizeof(hb))),
	      amphi_sys_readlinkat(amphid, "a/l", ab, sizeof(ab)));
	check("readlinkat target", strcmp(hb, "f"), strcmp(ab, "f"));
	check("readlinkat a file", host(readlinkat(hostd, "a/f", hb, sizeof(hb))),
	      amphi_sys_readlinkat(amphid, "a/f", ab, sizeof(ab)));
	check("linkat", host(linkat(hostd, "a/f", hostd, "a/h", 0)),
	      amphi_sys_linkat(amphid, "a/f", amphid, "a/h", 0));
	check("fchmodat", host(fchmodat(hostd, "a/f", 0604, 0)), amphi_sys_fchmodat(amphid, "a/f", 0604));
	const struct timespec ts[2] = {{1000, 0}, {2000, 0}};
	check("utimensat", host(utimensat(hostd, "a/f", ts, 0)), amphi_sys_utimensat(amphid, "a/f", ts, 0));
	both_stat("a/h", 0, true);
	both_stat("a/l", AT_SYMLINK_NOFOLLOW, false);
	both_stat("a/l", 0, true);
	both_stat("a/missing", 0, false);
	check("unlinkat a non-empty dir", host(unlinkat(hostd, "a", AT_REMOVEDIR)),
	      amphi_sys_unlinkat(amphid, "a", AT_REMOVEDIR));
	check("renameat", host(renameat(hostd, "a/h", hostd, "a/h2")),
	      amphi_sys_renameat(amphid, "a/h", amphid, "a/h2"));
}

static void reads(void)
{
	char hb[64] = {0}, ab[64] = {0};
	long hf = host(openat(hostd, "a/f", O_RDONLY)), af = amphi_sys_openat(amphid, "a/f", O_RDONLY, 0);

	check("read", host(read((int)hf, hb, sizeof(hb))), amphi_sys_read((int)af, ab, sizeof(ab)));
	check("read data", memcmp(hb, ab, sizeof(hb)), 0);
	check("lseek", host(lseek((int)hf, 1, SEEK_SET)), amphi_sys_lseek((int)af, 1, SEEK_SET));
	check("pread64", host(pread((int)hf, hb, 3, 2)), amphi_sys_pread64((int)af, ab, 3, 2));
	check("pread64 data", memcmp(hb, ab, sizeof(hb)), 0);
	check("write a read-only file", host(write((int)hf, "x", 1)), amphi_sys_write((int)af, "x", 1));
	/* a user pointer that maps nothing: the kernel checks it as for user code */
	const long args[6] = {af, 8, 4};
	/* memcheck refuses the host's half (-EFAULT in the other tiers): Linux's documented
	 * result stands in for it there */
	long hr = RUNNING_ON_VALGRIND ? -EFAULT : host(syscall(SYS_read, hf, (void *)8, 4));
	check("read into an unmapped address", hr, amphi_syscall(SYS_read, args, NULL, 0));
	close((int)hf);
	amphi_sys_close((int)af);
	static char hd[4096], ad[4096], hn[512], an[512];
	long hdir = host(openat(hostd, "a", O_RDONLY | O_DIRECTORY)),
	     adir = amphi_sys_openat(amphid, "a", O_RDONLY | O_DIRECTORY, 0);
	long hl = host(syscall(SYS_getdents64, hdir, hd, sizeof(hd))),
	     al = amphi_sys_getdents64((int)adir, ad, sizeof(ad));
	check("getdents64", hl > 0, al > 0);
	dent_names(hd, hl, hn, sizeof(hn));
	dent_names(ad, al, an, sizeof(an));
	check("getdents64 names", strcmp(hn, "f/h2/l/"), strcmp(an, "f/h2/l/"));
	close((int)hdir);
	amphi_sys_close((int)adir);
}

int main(void)
{
	char dir[] = "/tmp/amphi-api-XXXXXX";
	struct amphi_config c;

	umask(022);
	if (!mkdtemp(dir) || (hostd = open(dir, O_RDONLY | O_DIRECTORY)) < 0) {
		perror("api_test: scratch directory");
		return 1;
	}
	amphi_config_init(&c);
	c.cpus = 2;
	c.console_fd = 2;
	int err = amphi_boot(&c);
	check("amphi_boot", 0, err);
	check("amphi_boot again", -EALREADY, amphi_boot(&c));
	check("amphi_add_disk after boot", -EBUSY, amphi_add_disk("/dev/null", true));
	amphi_sys_umask(022);
	check("mkdir /t", 0, amphi_sys_mkdirat(AT_FDCWD, "/t", 0755));
	amphid = (int)amphi_sys_openat(AT_FDCWD, "/t", O_RDONLY | O_DIRECTORY, 0);
	files();
	reads();
	amphi_halt();
	check("a call after amphi_halt", -ESHUTDOWN, amphi_sys_sync());
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "api_test: cannot remove %s\n", dir);
	printf(failures ? "not ok - libamphi's syscalls differ from Linux's\n"
			: "ok - libamphi's syscalls match Linux's\n");
	return failures != 0;
}
