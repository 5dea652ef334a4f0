/*
 * A write storm on an ext2 disk, for the storage tests (kernel/fs/ext2/tests/ext2_fail.sh):
 *
 *   fsync_storm run DEV DIR COUNT   mounts DEV (ext2) on DIR, then writes files f0, f1...
 *                                   (COUNT of them, 0: until killed), each fsynced; prints
 *                                   "fsynced fN" for each fsync that returned 0 and
 *                                   "failed fN: ERROR" for each that did not ("writing
 *                                   back fN" just before each fsync). Every third
 *                                   file is first written back by sync(2), so its fsync only
 *                                   learns of an error that sync met (Linux's errseq). Once
 *                                   an fsync has failed, it must be with EIO, and the writes
 *                                   go on until two more fsyncs failed with EIO; then DIR is
 *                                   unmounted. Exit status 0 unless a check failed.
 *                                   With COUNT 0 each round also rewrites a 2 MiB file
 *                                   "churn" first, so most of the time goes to write-back
 *                                   and a kill is likely to land in the middle of one.
 *   fsync_storm content N           prints file fN's contents (the host compares them with
 *                                   what debugfs reads from the image).
 *
 * Console lines go out with write(2) at once: a test may kill the machine as soon as it
 * has seen a name, and what it saw must be what the program reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Prints a formatted line to standard output with one write. */
static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && write(1, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
		exit(3);
}

/* File i's contents into buf (at least 40000 bytes): lines "fI LINE", sized by i. */
static size_t content(unsigned i, char *buf)
{
	size_t size = 1000 + (size_t)i * 7919 % 30000, n = 0;

	for (unsigned line = 0; n < size; line++) {
		char l[32];
		int k = snprintf(l, sizeof(l), "f%u %u\n", i, line);
		size_t take = size - n < (size_t)k ? size - n : (size_t)k;
		memcpy(buf + n, l, take);
		n += take;
	}
	return n;
}

/* Writes all len bytes of buf to fd in two writes: 0 or an errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	for (size_t done = 0, half = len / 2; done < len;) {
		size_t want = done < half ? half - done : len - done;
		ssize_t w = write(fd, buf + done, want);
		if (w < 0)
			return errno;
		done += (size_t)w;
	}
	return 0;
}

/* Writes file i under dir and fsyncs it: 0 or the errno of the step that failed. */
static int write_one(const char *dir, unsigned i, char *buf)
{
	char path[256];
	size_t len = content(i, buf);

	snprintf(path, sizeof(path), "%s/f%u", dir, i);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return errno;
	int err = write_all(fd, buf, len);
	if (!err && i % 3 == 2)
		sync(); /* any error it meets must still reach this file's fsync */
	if (!err)
		say("writing back f%u\n", i); /* a kill on this line lands in the write-back */
	if (!err && fsync(fd) < 0)
		err = errno;
	close(fd);
	return err;
}

/* Rewrites dir/churn (2 MiB of round i's bytes), left to the next fsync's write-back. */
static void churn(const char *dir, unsigned i, char *buf)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/churn", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644); /* its blocks move too */
	memset(buf, 'a' + i % 26, 32768);
	for (int k = 0; fd >= 0 && k < 64; k++) {
		if (write(fd, buf, 32768) != 32768)
			break;
	}
	if (fd >= 0)
		close(fd);
}

static int run(const char *dev, const char *dir, unsigned count)
{
	static char buf[40000];
	unsigned fsynced = 0, failures = 0;
	int status = 0;

	mkdir(dir, 0755);
	if (mount(dev, dir, "ext2", 0, NULL) < 0) {
		say("not ok - mount %s on %s: %s\n", dev, dir, strerror(errno));
		return 1;
	}
	for (unsigned i = 0; (count == 0 || i < count) && failures < 3; i++) {
		if (count == 0)
			churn(dir, i, buf);
		int err = write_one(dir, i, buf);
		if (!err) {
			fsynced++;
			if (failures) {
				say("not ok - f%u fsynced after a failure on a dead disk\n", i);
				status = 1;
			}
			say("fsynced f%u\n", i);
			continue;
		}
		say("failed f%u: %s\n", i, strerror(err));
		failures++;
		if (err != EIO) {
			say("not ok - f%u failed with %s, not EIO\n", i, strerror(err));
			status = 1;
		}
	}
	if (umount(dir) < 0) {
		say("not ok - umount %s: %s\n", dir, strerror(errno));
		status = 1;
	}
	say("storm done: %u fsynced, %u failed\n", fsynced, failures);
	return status;
}

int main(int argc, char **argv)
{
	static char buf[40000];

	if (argc == 3 && strcmp(argv[1], "content") == 0) {
		size_t n = content((unsigned)strtoul(argv[2], NULL, 10), buf);
		return fwrite(buf, 1, n, stdout) == n ? 0 : 1;
	}
	if (argc == 5 && strcmp(argv[1], "run") == 0)
		return run(argv[2], argv[3], (unsigned)strtoul(argv[4], NULL, 10));
	fprintf(stderr, "usage: fsync_storm run DEV DIR COUNT | fsync_storm content N\n");
	return 2;
}
