/*
 * File-system conformance (included by conform.c): paths, descriptors, pipes, devices and
 * /proc, each rule's errno as Linux gives it. Runs in a fresh directory under /tmp, made
 * here (the kernel's root has no /tmp until something makes one) and removed at the end.
 */

#define BAD_PTR ((void *)16)
#define KERNEL_PTR ((void *)0xffff800000000000UL)

/* Removes path and, when it is a directory, everything below it. */
static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[512];

	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (e->d_type == DT_DIR)
			remove_tree(sub);
		else
			unlink(sub);
	}
	closedir(d);
	rmdir(path);
}

/* Writes the string s to a new file name (mode 0644); -1 on failure. */
static int put_file(const char *name, const char *s)
{
	int fd = open(name, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static void check_fs_paths(void)
{
	char long_name[300], long_path[5000];

	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	for (size_t i = 0; i < sizeof(long_path) - 1; i++)
		long_path[i] = i % 2 ? '/' : 'a';
	long_path[sizeof(long_path) - 1] = '\0';
	check("create a file", put_file("f", "hello"), 0, 0, 0);
	CHECK("mkdir", mkdir("d", 0755), 0, 0);
	CHECK("open a missing file", open("missing", O_RDONLY), -1, ENOENT);
	CHECK("open in a missing directory", open("missing/f", O_RDONLY), -1, ENOENT);
	CHECK("open O_CREAT|O_EXCL of an existing file", open("f", O_CREAT | O_EXCL | O_RDWR, 0644),
	      -1, EEXIST);
	CHECK("open through a file", open("f/x", O_RDONLY), -1, ENOTDIR);
	CHECK("open a file with a trailing slash", open("f/", O_RDONLY), -1, ENOTDIR);
	CHECK("open O_CREAT with a trailing slash", open("new/", O_CREAT | O_RDWR, 0644), -1, EISDIR);
	CHECK("open a directory for writing", open("d", O_WRONLY), -1, EISDIR);
	CHECK("open a file O_DIRECTORY", open("f", O_RDONLY | O_DIRECTORY), -1, ENOTDIR);
	CHECK("a name of 299 bytes", open(long_name, O_RDONLY), -1, ENAMETOOLONG);
	CHECK("a path of 4999 bytes", open(long_path, O_RDONLY), -1, ENAMETOOLONG);
	CHECK("open an empty path", open("", O_RDONLY), -1, ENOENT);
	CHECK("open an unmapped path", open(BAD_PTR, O_RDONLY), -1, EFAULT);
	CHECK("open a kernel address", open(KERNEL_PTR, O_RDONLY), -1, EFAULT);
	CHECK("mkdir an existing name", mkdir("f", 0755), -1, EEXIST);
	CHECK("mkdir in a missing directory", mkdir("missing/d", 0755), -1, ENOENT);
	CHECK("mkdir with a trailing slash", mkdir("d2/", 0755), 0, 0);
	CHECK("rmdir with a trailing slash", rmdir("d2/"), 0, 0);
	CHECK("mkdir of the root", mkdir("/", 0755), -1, EEXIST);
	CHECK("mkdir of dot", mkdir("d/.", 0755), -1, EEXIST);
	CHECK("rmdir of dot", rmdir("d/."), -1, EINVAL);
	CHECK("rmdir of dot-dot", rmdir("d/.."), -1, ENOTEMPTY);
	CHECK("rmdir of a file", rmdir("f"), -1, ENOTDIR);
	CHECK("unlink of a directory", unlink("d"), -1, EISDIR);
	CHECK("unlink with a trailing slash", unlink("f/"), -1, ENOTDIR);
	CHECK("unlink a missing name", unlink("missing"), -1, ENOENT);
	check("file in d", put_file("d/g", "x"), 0, 0, 0);
	CHECK("rmdir of a non-empty directory", rmdir("d"), -1, ENOTEMPTY);
	CHECK("dot-dot walks up", access("d/../f", F_OK), 0, 0);
	CHECK("dot-dot above the root stays at the root", access("/../../proc", F_OK), 0, 0);
}

static void check_fs_links(void)
{
	char buf[64];
	struct stat st;

	CHECK("symlink", symlink("f", "l"), 0, 0);
	CHECK("symlink over a name", symlink("f", "l"), -1, EEXIST);
	CHECK("symlink to an empty target", symlink("", "e"), -1, ENOENT);
	CHECK("readlink", readlink("l", buf, sizeof(buf)), 1, 0);
	CHECK("readlink of size 0", syscall(SYS_readlinkat, AT_FDCWD, "l", buf, 0), -1, EINVAL);
	CHECK("readlink of a file", readlink("f", buf, sizeof(buf)), -1, EINVAL);
	CHECK("readlink into an unmapped buffer", readlink("l", BAD_PTR, 8), -1, EFAULT);
	CHECK("stat follows a symlink", stat("l", &st), 0, 0);
	check("stat sees the file", S_ISREG(st.st_mode) && st.st_size == 5 ? 0 : -1, 0, 0, 0);
	CHECK("lstat does not", lstat("l", &st), 0, 0);
	check("lstat sees the link", S_ISLNK(st.st_mode) && st.st_size == 1 ? 0 : -1, 0, 0, 0);
	CHECK("symlink loop", symlink("loop2", "loop1") | symlink("loop1", "loop2"), 0, 0);
	CHECK("open a symlink loop", open("loop1", O_RDONLY), -1, ELOOP);
	CHECK("open O_NOFOLLOW of a symlink", open("l", O_RDONLY | O_NOFOLLOW), -1, ELOOP);
	CHECK("O_CREAT through a symlink opens its file", close(open("l", O_CREAT | O_RDWR, 0600)),
	      0, 0);
	CHECK("O_CREAT|O_EXCL of a symlink", open("l", O_CREAT | O_EXCL | O_RDWR, 0600), -1, EEXIST);
	CHECK("a dangling symlink", symlink("d/made", "dangling"), 0, 0);
	CHECK("O_CREAT through it makes its target", close(open("dangling", O_CREAT | O_WRONLY,
								0600)), 0, 0);
	CHECK("the target exists", access("d/made", F_OK), 0, 0);
	CHECK("O_CREAT through a symlink loop", open("loop1", O_CREAT | O_RDWR, 0600), -1, ELOOP);
	CHECK("unlink the target", unlink("d/made"), 0, 0);
	CHECK("symlink to a directory", symlink("d", "dl"), 0, 0);
	CHECK("a symlink to a directory with a slash", access("dl/", F_OK), 0, 0);
	CHECK("a symlink to a file with a slash", open("l/", O_RDONLY), -1, ENOTDIR);
	CHECK("link", link("f", "h"), 0, 0);
	CHECK("stat counts links", stat("f", &st), 0, 0);
	check("two links", st.st_nlink == 2 ? 0 : -1, 0, 0, 0);
	CHECK("link over a name", link("f", "h"), -1, EEXIST);
	CHECK("link of a directory", link("d", "dd"), -1, EPERM);
	CHECK("link of a missing file", link("missing", "m"), -1, ENOENT);
	CHECK("unlink a link", unlink("h"), 0, 0);
}

static void check_fs_rename(void)
{
	CHECK("mkdir r1", mkdir("r1", 0755) | mkdir("r1/sub", 0755) | mkdir("r2", 0755), 0, 0);
	CHECK("rename a directory into itself", rename("r1", "r1/sub/x"), -1, EINVAL);
	CHECK("rename a file over a directory", rename("f", "r2"), -1, EISDIR);
	check("file g2", put_file("g2", "g"), 0, 0, 0);
	CHECK("rename a directory over a file", rename("r2", "g2"), -1, ENOTDIR);
	CHECK("rename over a non-empty directory", rename("r2", "r1"), -1, ENOTEMPTY);
	CHECK("rename a missing name", rename("missing", "x"), -1, ENOENT);
	CHECK("rename a directory over an empty one", rename("r1", "r2"), 0, 0);
	CHECK("its contents moved", access("r2/sub", F_OK), 0, 0);
	CHECK("the old name is gone", access("r1", F_OK), -1, ENOENT);
	CHECK("rename a file over a file", rename("g2", "f2"), 0, 0);
	CHECK("renameat2 RENAME_NOREPLACE", syscall(SYS_renameat2, AT_FDCWD, "f2", AT_FDCWD, "f",
						    1), -1, EEXIST);
	CHECK("renameat2 bad flags", syscall(SYS_renameat2, AT_FDCWD, "f2", AT_FDCWD, "f", 8), -1,
	      EINVAL);
	CHECK("rename of dot", rename(".", "x"), -1, EBUSY);
}

static void check_fs_io(void)
{
	char buf[32];
	struct stat st;
	int fd = open("io", O_CREAT | O_RDWR | O_TRUNC, 0666);

	check("open O_CREAT", fd >= 0 ? 0 : -1, errno, 0, 0);
	CHECK("write", write(fd, "abcdef", 6), 6, 0);
	CHECK("lseek SEEK_SET", lseek(fd, 2, SEEK_SET), 2, 0);
	CHECK("read", read(fd, buf, 3), 3, 0);
	check("read the bytes", memcmp(buf, "cde", 3), 0, 0, 0);
	CHECK("lseek SEEK_END", lseek(fd, 0, SEEK_END), 6, 0);
	CHECK("lseek before the start", lseek(fd, -7, SEEK_END), -1, EINVAL);
	CHECK("lseek bad whence", lseek(fd, 0, 9), -1, EINVAL);
	CHECK("lseek SEEK_CUR past INT64_MAX", lseek(fd, INT64_MAX, SEEK_CUR), -1, EINVAL);
	CHECK("lseek SEEK_CUR by INT64_MIN", lseek(fd, INT64_MIN, SEEK_CUR), -1, EINVAL);
	CHECK("pwrite past the end", pwrite(fd, "Z", 1, 10), 1, 0);
	CHECK("pread across the hole", pread(fd, buf, 32, 5), 6, 0);
	check("the hole reads as zeros", buf[1] | buf[4], 0, 0, 0);
	CHECK("pread negative offset", pread(fd, buf, 1, -1), -1, EINVAL);
	/* a sparse file: memory (or disk) for the page written, not for the offset */
	CHECK("pwrite 32 GiB in", pwrite(fd, "F", 1, 1LL << 35), 1, 0);
	CHECK("pread 32 GiB in", pread(fd, buf, 2, 1LL << 35), 1, 0);
	check("the byte 32 GiB in", buf[0] == 'F' ? 0 : -1, 0, 0, 0);
	CHECK("ftruncate back from 32 GiB", ftruncate(fd, 11), 0, 0);
	CHECK("read into an unmapped buffer", read(fd, BAD_PTR, 4), -1, EFAULT);
	CHECK("fstat", fstat(fd, &st), 0, 0);
	check("size 11, mode 0644 under umask 022", st.st_size == 11 && (st.st_mode & 0777) == 0644
							 ? 0 : -1, 0, 0, 0);
	CHECK("fstat into an unmapped buffer", syscall(SYS_fstat, fd, BAD_PTR), -1, EFAULT);
	CHECK("ftruncate", ftruncate(fd, 3), 0, 0);
	CHECK("size after ftruncate", lseek(fd, 0, SEEK_END), 3, 0);
	CHECK("ftruncate negative", ftruncate(fd, -1), -1, EINVAL);
	struct iovec iov[2] = {{"12", 2}, {"345", 3}};
	CHECK("writev", writev(fd, iov, 2), 5, 0);
	CHECK("pread after writev", pread(fd, buf, 8, 0), 8, 0);
	check("writev's bytes", memcmp(buf, "abc12345", 8), 0, 0, 0);
	close(fd);
	fd = open("io", O_WRONLY | O_APPEND);
	CHECK("O_APPEND write", write(fd, "!", 1), 1, 0);
	CHECK("fcntl F_GETFL keeps O_APPEND", fcntl(fd, F_GETFL) & (O_APPEND | O_ACCMODE),
	      O_APPEND | O_WRONLY, 0);
	CHECK("read of a write-only fd", read(fd, buf, 1), -1, EBADF);
	CHECK("ftruncate of a read-only fd", ftruncate(open("io", O_RDONLY), 0), -1, EINVAL);
	close(fd);
	CHECK("stat size", stat("io", &st), 0, 0);
	check("size 9", st.st_size == 9 ? 0 : -1, 0, 0, 0);
	CHECK("truncate a directory", truncate("d", 0), -1, EISDIR);
	CHECK("truncate", truncate("io", 1), 0, 0);
	CHECK("open O_TRUNC", close(open("io", O_WRONLY | O_TRUNC)), 0, 0);
	CHECK("stat after O_TRUNC", stat("io", &st), 0, 0);
	check("size 0", st.st_size == 0 ? 0 : -1, 0, 0, 0);
	CHECK("read of a directory", read(open("d", O_RDONLY), buf, 1), -1, EISDIR);
}

static void check_fs_fds(void)
{
	int fd = open("f", O_RDONLY | O_CLOEXEC);

	CHECK("F_GETFD with O_CLOEXEC", fcntl(fd, F_GETFD), FD_CLOEXEC, 0);
	CHECK("F_SETFD", fcntl(fd, F_SETFD, 0), 0, 0);
	CHECK("F_GETFD cleared", fcntl(fd, F_GETFD), 0, 0);
	CHECK("FIOCLEX", ioctl(fd, FIOCLEX), 0, 0);
	CHECK("F_GETFD after FIOCLEX", fcntl(fd, F_GETFD), FD_CLOEXEC, 0);
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 50);
	check("F_DUPFD_CLOEXEC from 50", d >= 50 ? 0 : -1, 0, 0, 0);
	CHECK("its flag", fcntl(d, F_GETFD), FD_CLOEXEC, 0);
	CHECK("dup2 onto itself", dup2(fd, fd), fd, 0);
	CHECK("dup3 onto itself", dup3(fd, fd, 0), -1, EINVAL);
	CHECK("dup3 bad flags", syscall(SYS_dup3, fd, 60, 1), -1, EINVAL);
	CHECK("dup2 onto a high fd", dup2(fd, 70), 70, 0);
	CHECK("dup2 past the limit", dup2(fd, 1 << 20), -1, EBADF);
	CHECK("dup of a bad fd", dup(999), -1, EBADF);
	CHECK("fcntl of a bad fd", fcntl(999, F_GETFD), -1, EBADF);
	CHECK("fcntl unknown command", fcntl(fd, 9999), -1, EINVAL);
	CHECK("lseek of a bad fd", lseek(999, 0, SEEK_SET), -1, EBADF);
	CHECK("fstat of a bad fd", fstat(-1, &(struct stat){0}), -1, EBADF);
	CHECK("close of a bad fd", close(999), -1, EBADF);
	CHECK("close_range", syscall(SYS_close_range, 50, 70, 0), 0, 0);
	CHECK("closed by close_range", close(70), -1, EBADF);
	CHECK("close_range reversed", syscall(SYS_close_range, 5, 4, 0), -1, EINVAL);
	CHECK("ioctl of a bad fd", ioctl(999, FIONBIO, &(int){1}), -1, EBADF);
	char termios_buf[64];
	CHECK("TCGETS on a file", ioctl(fd, TCGETS, termios_buf), -1, ENOTTY);
	CHECK("openat relative to a file", openat(fd, "x", O_RDONLY), -1, ENOTDIR);
	CHECK("openat with a bad dirfd", openat(999, "x", O_RDONLY), -1, EBADF);
	CHECK("openat absolute ignores a bad dirfd", close(openat(999, "/", O_RDONLY)), 0, 0);
	close(fd);
}

static void check_fs_dirs(void)
{
	char buf[512], cwd[512];
	int fd = open("d", O_RDONLY | O_DIRECTORY);
	bool seen_g = false, seen_dot = false;

	long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
	check("getdents64", n > 0 ? 0 : -1, errno, 0, 0);
	for (long at = 0; at < n;) {
		struct dirent64_linux {
			unsigned long long ino;
			long long off;
			unsigned short reclen;
			unsigned char type;
			char name[];
		} *e = (void *)(buf + at);
		seen_g |= strcmp(e->name, "g") == 0 && e->type == DT_REG;
		seen_dot |= strcmp(e->name, ".") == 0 && e->type == DT_DIR;
		at += e->reclen;
	}
	check("getdents64 lists . and g", seen_g && seen_dot ? 0 : -1, 0, 0, 0);
	CHECK("getdents64 at the end", syscall(SYS_getdents64, fd, buf, sizeof(buf)), 0, 0);
	CHECK("getdents64 of a file", syscall(SYS_getdents64, open("f", O_RDONLY), buf, 512), -1,
	      ENOTDIR);
	CHECK("getdents64 of a bad fd", syscall(SYS_getdents64, 999, buf, 512), -1, EBADF);
	lseek(fd, 0, SEEK_SET);
	CHECK("getdents64 into a tiny buffer", syscall(SYS_getdents64, fd, buf, 8), -1, EINVAL);
	CHECK("getcwd into a tiny buffer", syscall(SYS_getcwd, cwd, 2), -1, ERANGE);
	CHECK("getcwd into an unmapped buffer", syscall(SYS_getcwd, BAD_PTR, 512), -1, EFAULT);
	CHECK("chdir to a file", chdir("f"), -1, ENOTDIR);
	CHECK("fchdir", fchdir(fd), 0, 0);
	check("getcwd", getcwd(cwd, sizeof(cwd)) && strcmp(strrchr(cwd, '/'), "/d") == 0 ? 0 : -1,
	      0, 0, 0);
	char link[512] = "";
	long ln = readlink("/proc/self/cwd", link, sizeof(link) - 1);
	check("/proc/self/cwd is the working directory", ln > 0 && strcmp(link, cwd) == 0 ? 0 : -1,
	      errno, 0, 0);
	CHECK("chdir ..", chdir(".."), 0, 0);
	close(fd);
	CHECK("umask", umask(077), 022, 0);
	check("umask applies", close(open("u", O_CREAT | O_WRONLY, 0666)), 0, 0, 0);
	struct stat st;
	stat("u", &st);
	CHECK("umask back", umask(022), 077, 0);
	check("mode 0600", (st.st_mode & 0777) == 0600 ? 0 : -1, 0, 0, 0);
	CHECK("chmod", chmod("u", 04755), 0, 0);
	stat("u", &st);
	check("mode 04755", (st.st_mode & 07777) == 04755 ? 0 : -1, 0, 0, 0);
	CHECK("chown drops set-user-id", chown("u", 1, 2), 0, 0);
	stat("u", &st);
	check("owner 1:2, mode 0755", st.st_uid == 1 && st.st_gid == 2 &&
				     (st.st_mode & 07777) == 0755 ? 0 : -1, 0, 0, 0);
	struct timespec ts[2] = {{100, 5}, {200, 6}};
	CHECK("utimensat", utimensat(AT_FDCWD, "u", ts, 0), 0, 0);
	stat("u", &st);
	check("times set", st.st_atim.tv_sec == 100 && st.st_mtim.tv_sec == 200 &&
			   st.st_mtim.tv_nsec == 6 ? 0 : -1, 0, 0, 0);
	ts[0].tv_nsec = 2000000000;
	CHECK("utimensat bad nanoseconds", utimensat(AT_FDCWD, "u", ts, 0), -1, EINVAL);
	CHECK("access X_OK without execute bits", access("f", X_OK), -1, EACCES);
	CHECK("access bad mode", access("f", 8), -1, EINVAL);
	CHECK("faccessat bad flags", faccessat(AT_FDCWD, "f", R_OK, 0x8000), -1, EINVAL);
	CHECK("newfstatat bad flags", fstatat(AT_FDCWD, "f", &st, 0x8000), -1, EINVAL);
	CHECK("fstatat AT_EMPTY_PATH", fstatat(open("f", O_RDONLY), "", &st, AT_EMPTY_PATH), 0, 0);
	check("it is f", st.st_size == 5 ? 0 : -1, 0, 0, 0);
	struct statfs sfs;
	CHECK("statfs", statfs("/proc", &sfs), 0, 0);
	check("proc's magic", sfs.f_type == 0x9fa0 ? 0 : -1, 0, 0, 0);
	CHECK("statfs into an unmapped buffer", syscall(SYS_statfs, "/", BAD_PTR), -1, EFAULT);
}

static void check_fs_pipes(void)
{
	int p[2];
	char buf[8];
	struct stat st;

	signal(SIGPIPE, SIG_IGN);
	CHECK("pipe2 bad flags", pipe2(p, 1), -1, EINVAL);
	CHECK("pipe into an unmapped array", syscall(SYS_pipe2, BAD_PTR, 0), -1, EFAULT);
	CHECK("pipe", pipe(p), 0, 0);
	CHECK("fstat of a pipe", fstat(p[0], &st), 0, 0);
	check("a FIFO", S_ISFIFO(st.st_mode) ? 0 : -1, 0, 0, 0);
	CHECK("lseek on a pipe", lseek(p[0], 0, SEEK_SET), -1, ESPIPE);
	CHECK("pread on a pipe", pread(p[0], buf, 1, 0), -1, ESPIPE);
	CHECK("write to the read end", write(p[0], "x", 1), -1, EBADF);
	struct pollfd pf = {p[0], POLLIN, 0};
	CHECK("poll an empty pipe", poll(&pf, 1, 0), 0, 0);
	CHECK("write", write(p[1], "hey", 3), 3, 0);
	CHECK("poll a pipe with data", poll(&pf, 1, 100), 1, 0);
	check("POLLIN", pf.revents == POLLIN ? 0 : -1, 0, 0, 0);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	CHECK("select", select(p[0] + 1, &rd, NULL, NULL, &(struct timeval){0, 0}), 1, 0);
	CHECK("read", read(p[0], buf, sizeof(buf)), 3, 0);
	CHECK("fcntl O_NONBLOCK", fcntl(p[0], F_SETFL, O_NONBLOCK), 0, 0);
	CHECK("read an empty non-blocking pipe", read(p[0], buf, 1), -1, EAGAIN);
	CHECK("poll times out", poll(&pf, 1, 20), 0, 0);
	CHECK("close the write end", close(p[1]), 0, 0);
	CHECK("read at end of file", read(p[0], buf, 1), 0, 0);
	CHECK("poll sees the hang-up", poll(&pf, 1, 0), 1, 0);
	check("POLLHUP", pf.revents == POLLHUP ? 0 : -1, 0, 0, 0);
	close(p[0]);
	CHECK("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK | O_CLOEXEC), 0, 0);
	CHECK("its close-on-exec flag", fcntl(p[1], F_GETFD), FD_CLOEXEC, 0);
	static char big[70000];
	CHECK("a non-blocking write fills the pipe", write(p[1], big, sizeof(big)), 65536, 0);
	CHECK("a full pipe", write(p[1], "x", 1), -1, EAGAIN);
	close(p[0]);
	CHECK("write with no reader", write(p[1], "x", 1), -1, EPIPE);
	close(p[1]);
	CHECK("poll with a bad fd", poll(&(struct pollfd){999, POLLIN, 0}, 1, 0), 1, 0);
	CHECK("select with a bad fd", select(1000, &rd, NULL, NULL, &(struct timeval){0, 0}), -1,
	      EBADF);
	CHECK("poll into an unmapped array", poll(BAD_PTR, 1, 0), -1, EFAULT);
}

static void check_fs_devices(void)
{
	char buf[16] = "xxxx";
	int fd = open("/dev/null", O_RDWR);

	CHECK("read /dev/null", read(fd, buf, sizeof(buf)), 0, 0);
	CHECK("write /dev/null", write(fd, buf, sizeof(buf)), 16, 0);
	close(fd);
	fd = open("/dev/zero", O_RDONLY);
	CHECK("read /dev/zero", read(fd, buf, 4), 4, 0);
	check("zeros", buf[0] | buf[3], 0, 0, 0);
	close(fd);
	fd = open("/dev/full", O_WRONLY);
	CHECK("write /dev/full", write(fd, buf, 4), -1, ENOSPC);
	close(fd);
	fd = open("/dev/urandom", O_RDONLY);
	CHECK("read /dev/urandom", read(fd, buf, 16), 16, 0);
	close(fd);
	CHECK("readlink /proc/self/exe", readlink("/proc/self/exe", buf, 1) == 1, 1, 0);
	CHECK("readlink /proc/self", readlink("/proc/self", buf, sizeof(buf)) > 0, 1, 0);
	CHECK("/proc/self/fd/1 exists", access("/proc/self/fd/1", F_OK), 0, 0);
	CHECK("/proc/self/fd/999 does not", access("/proc/self/fd/999", F_OK), -1, ENOENT);
	fd = open("/proc/self/status", O_RDONLY);
	char status[128];
	CHECK("read /proc/self/status", read(fd, status, 5) , 5, 0);
	check("it starts with Name:", memcmp(status, "Name:", 5), 0, 0, 0);
	close(fd);
	CHECK("create in /proc", open("/proc/x", O_CREAT | O_RDWR, 0644), -1, ENOENT);
	CHECK("mkdir in /proc", mkdir("/proc/x", 0755), -1, ENOENT);
}

static void check_fs_mmap(void)
{
	int fd = open("m", O_CREAT | O_RDWR | O_TRUNC, 0644);
	char buf[8];

	write(fd, "mapped", 6);
	char *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check("mmap MAP_SHARED of a file", s == MAP_FAILED ? -1 : 0, errno, 0, 0);
	if (s == MAP_FAILED)
		return;
	check("the file's bytes", memcmp(s, "mapped", 6), 0, 0, 0);
	s[0] = 'M';
	CHECK("read sees the shared write", pread(fd, buf, 6, 0), 6, 0);
	check("M", buf[0] == 'M' ? 0 : -1, 0, 0, 0);
	char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check("mmap MAP_PRIVATE", q == MAP_FAILED ? -1 : 0, errno, 0, 0);
	q[1] = 'A';
	CHECK("the private write stays private", pread(fd, buf, 6, 0), 6, 0);
	check("a", buf[1] == 'a' ? 0 : -1, 0, 0, 0);
	munmap(s, 4096);
	munmap(q, 4096);
	int ro = open("m", O_RDONLY);
	CHECK("MAP_SHARED writable of a read-only fd",
	      mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), -1, EACCES);
	CHECK("mmap of a directory", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE,
					  open(".", O_RDONLY), 0), -1, ENODEV);
	CHECK("mmap of a bad fd", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 999, 0), -1, EBADF);
	close(ro);
	close(fd);
}

/* Mount checks need the right to mount: on a host that refuses it they are skipped. */
static void check_fs_mounts(void)
{
	CHECK("mkdir mnt", mkdir("mnt", 0755), 0, 0);
	if (mount("none", "mnt", "tmpfs", 0, NULL) < 0 && errno == EPERM) {
		printf("ok %d - mount # SKIP no permission to mount here\n", ++count);
		return;
	}
	check("file in the tmpfs", put_file("mnt/x", "x"), 0, 0, 0);
	CHECK("rename across mounts", rename("mnt/x", "x"), -1, EXDEV);
	CHECK("link across mounts", link("mnt/x", "x"), -1, EXDEV);
	CHECK("rmdir of a mount point", rmdir("mnt"), -1, EBUSY);
	CHECK("chdir into the mount", chdir("mnt"), 0, 0);
	CHECK("dot-dot leaves the mount", access("../f", F_OK), 0, 0);
	CHECK("umount of the working directory", umount("../mnt"), -1, EBUSY);
	CHECK("chdir out", chdir(".."), 0, 0);
	CHECK("umount", umount("mnt"), 0, 0);
	CHECK("its file is gone", access("mnt/x", F_OK), -1, ENOENT);
	CHECK("umount of no mount", umount("mnt"), -1, EINVAL);
	CHECK("mount read-only", mount("none", "mnt", "tmpfs", MS_RDONLY, NULL), 0, 0);
	CHECK("create in a read-only mount", open("mnt/x", O_CREAT | O_WRONLY, 0644), -1, EROFS);
	CHECK("mkdir in a read-only mount", mkdir("mnt/d", 0755), -1, EROFS);
	CHECK("chmod in a read-only mount", chmod("mnt", 0700), -1, EROFS);
	CHECK("access W_OK in a read-only mount", access("mnt", W_OK), -1, EROFS);
	CHECK("read-only mounts still read", close(open("mnt", O_RDONLY)), 0, 0);
	struct statfs sfs;
	CHECK("statfs of a read-only mount", statfs("mnt", &sfs), 0, 0);
	check("ST_RDONLY", (sfs.f_flags & 1) ? 0 : -1, 0, 0, 0);
	CHECK("umount the read-only mount", umount("mnt"), 0, 0);
	CHECK("mount an unknown type", mount("none", "mnt", "nosuchfs", 0, NULL), -1, ENODEV);
	CHECK("mount on a file", mount("none", "f", "tmpfs", 0, NULL), -1, ENOTDIR);
	CHECK("mount on a missing path", mount("none", "missing", "tmpfs", 0, NULL), -1, ENOENT);
	CHECK("mount with an unmapped target", mount("none", BAD_PTR, "tmpfs", 0, NULL), -1,
	      EFAULT);
}

static void check_fs_more(void)
{
	int p[2], fd = open("f", O_RDONLY);
	char buf[16];
	struct { /* struct statx's head (musl may predate statx) */
		unsigned mask, blksize;
		unsigned long long attributes;
		unsigned nlink, uid, gid;
		unsigned short mode, pad;
		unsigned long long ino, size, rest[26];
	} sx;
	struct stat st;

	CHECK("statx", syscall(SYS_statx, AT_FDCWD, "f", 0, 0x7ff, &sx), 0, 0);
	check("statx size and type", sx.size == 5 && S_ISREG(sx.mode) ? 0 : -1, 0, 0, 0);
	CHECK("statx bad flags", syscall(SYS_statx, AT_FDCWD, "f", 0x80000, 0x7ff, &sx), -1, EINVAL);
	CHECK("pipe for sendfile", pipe(p), 0, 0);
	off_t off = 1;
	CHECK("sendfile from an offset", sendfile(p[1], fd, &off, 3), 3, 0);
	check("the offset moved", off == 4 ? 0 : -1, 0, 0, 0);
	CHECK("read what sendfile sent", read(p[0], buf, sizeof(buf)), 3, 0);
	check("ell", memcmp(buf, "ell", 3), 0, 0, 0);
	CHECK("sendfile of a bad fd", sendfile(p[1], 999, NULL, 1), -1, EBADF);
	CHECK("sendfile to a read-only fd", sendfile(fd, fd, NULL, 1), -1, EBADF);
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", p[0]);
	char link[32] = "";
	CHECK("readlink of a pipe's fd", readlink(buf, link, sizeof(link)) > 6, 1, 0);
	check("pipe:[", memcmp(link, "pipe:[", 6), 0, 0, 0);
	struct timespec ts = {0, 1000000};
	struct pollfd pf = {p[0], POLLIN, 0};
	CHECK("ppoll times out", ppoll(&pf, 1, &ts, NULL), 0, 0);
	ts.tv_nsec = -1;
	CHECK("ppoll bad timeout", ppoll(&pf, 1, &ts, NULL), -1, EINVAL);
	fd_set wr;
	FD_ZERO(&wr);
	FD_SET(p[1], &wr);
	CHECK("pselect a writable pipe", pselect(p[1] + 1, NULL, &wr, NULL,
						 &(struct timespec){0, 0}, NULL), 1, 0);
	CHECK("select negative nfds", select(-1, NULL, NULL, NULL, NULL), -1, EINVAL);
	CHECK("F_GETFL of a pipe end", fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY, 0);
	close(p[0]);
	close(p[1]);
	CHECK("readv with an unmapped vector", readv(fd, BAD_PTR, 1), -1, EFAULT);
	CHECK("writev of too many vectors", writev(1, (struct iovec *)buf, 5000), -1, EINVAL);
	CHECK("chdir to a missing name", chdir("missing"), -1, ENOENT);
	CHECK("fchdir to a bad fd", fchdir(999), -1, EBADF);
	CHECK("unlinkat bad flags", unlinkat(AT_FDCWD, "f", 1), -1, EINVAL);
	CHECK("mkdir for unlinkat", mkdir("ud", 0700), 0, 0);
	CHECK("unlinkat AT_REMOVEDIR", unlinkat(AT_FDCWD, "ud", AT_REMOVEDIR), 0, 0);
	CHECK("mknod a FIFO", mknod("fifo", S_IFIFO | 0644, 0), 0, 0);
	CHECK("stat the FIFO", stat("fifo", &st), 0, 0);
	check("a FIFO", S_ISFIFO(st.st_mode) ? 0 : -1, 0, 0, 0);
	CHECK("open a FIFO to write, no reader, non-blocking", open("fifo", O_WRONLY | O_NONBLOCK),
	      -1, ENXIO);
	int fr = open("fifo", O_RDONLY | O_NONBLOCK), fw = open("fifo", O_WRONLY | O_NONBLOCK);
	check("open both ends of a FIFO", fr >= 0 && fw >= 0 ? 0 : -1, errno, 0, 0);
	CHECK("write into the FIFO", write(fw, "fifo", 4), 4, 0);
	CHECK("read from the FIFO", read(fr, buf, sizeof(buf)), 4, 0);
	close(fw);
	CHECK("end of file once the writer goes", read(fr, buf, sizeof(buf)), 0, 0);
	close(fr);
	int frw = open("fifo", O_RDWR);
	CHECK("a FIFO opened O_RDWR does not wait", write(frw, "xy", 2), 2, 0);
	CHECK("and reads back", read(frw, buf, sizeof(buf)), 2, 0);
	close(frw);
	CHECK("mknod a directory", mknod("nd", S_IFDIR | 0755, 0), -1, EPERM);
	CHECK("mknod an unknown type", mknod("nd", 0170000 | 0755, 0), -1, EINVAL);
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	CHECK("symlinkat from a dirfd", symlinkat("g", dfd, "gl"), 0, 0);
	CHECK("readlinkat from a dirfd", readlinkat(dfd, "gl", buf, sizeof(buf)), 1, 0);
	CHECK("fstatat from a dirfd", fstatat(dfd, "gl", &st, 0), 0, 0);
	check("it is g", st.st_size == 1 ? 0 : -1, 0, 0, 0);
	struct timespec keep[2] = {{0, UTIME_OMIT}, {300, 0}};
	CHECK("utimensat UTIME_OMIT", utimensat(dfd, "g", keep, 0), 0, 0);
	CHECK("stat after UTIME_OMIT", fstatat(dfd, "g", &st, 0), 0, 0);
	check("mtime 300", st.st_mtim.tv_sec == 300 ? 0 : -1, 0, 0, 0);
	CHECK("close_range CLOEXEC", syscall(SYS_close_range, dfd, dfd, 4), 0, 0);
	CHECK("its flag", fcntl(dfd, F_GETFD), FD_CLOEXEC, 0);
	CHECK("renameat2 RENAME_EXCHANGE", syscall(SYS_renameat2, dfd, "g", dfd, "gl", 2), 0, 0);
	CHECK("the link is now g", readlinkat(dfd, "g", buf, sizeof(buf)), 1, 0);
	close(dfd);
	close(fd);
	DIR *proc = opendir("/proc");
	struct dirent *e;
	bool self = false;
	while (proc && (e = readdir(proc)) != NULL)
		self |= strcmp(e->d_name, "self") == 0;
	if (proc)
		closedir(proc);
	check("/proc lists self", self ? 0 : -1, 0, 0, 0);
}

static void check_fs(void)
{
	char dir[] = "/tmp/conform.XXXXXX";

	mkdir("/tmp", 01777);
	if (!mkdtemp(dir) || chdir(dir) < 0) {
		check("make a scratch directory", -1, errno, 0, 0);
		return;
	}
	check_fs_paths();
	check_fs_links();
	check_fs_rename();
	check_fs_io();
	check_fs_fds();
	check_fs_dirs();
	check_fs_pipes();
	check_fs_devices();
	check_fs_mmap();
	check_fs_mounts();
	check_fs_more();
	CHECK("leave the scratch directory", chdir("/"), 0, 0);
	remove_tree(dir);
	CHECK("it is gone", access(dir, F_OK), -1, ENOENT);
}
