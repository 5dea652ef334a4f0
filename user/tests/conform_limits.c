/*
 * Resource-limit conformance (included by conform.c): prlimit64's argument checks,
 * RLIMIT_NOFILE in every call that makes a descriptor, RLIMIT_AS in mmap, mremap and brk,
 * RLIMIT_DATA in brk and mmap, setuid, and who may raise a hard limit. Every limit changed is put
 * back.
 */

#define LIMIT_FDS 16	       /* the RLIMIT_NOFILE the descriptor checks run under */
#define AS_LIMIT (256UL << 20) /* the RLIMIT_AS the mmap checks run under */
#define AS_BIG (512UL << 20)   /* a mapping larger than that */

/* Raw prlimit64 on resource (the libc wrappers check some arguments themselves). */
static long prlimit_raw(pid_t pid, long resource, const void *new, void *old)
{
	return syscall(SYS_prlimit64, pid, resource, new, old);
}

static void check_prlimit(void)
{
	struct rlimit cur, r, bad = {200, 100};

	CHECK("getrlimit RLIMIT_NOFILE", getrlimit(RLIMIT_NOFILE, &cur), 0, 0);
	CHECK("prlimit64 of an unknown resource", prlimit_raw(0, 9999, NULL, &r), -1, EINVAL);
	CHECK("prlimit64 reads the new limits first", prlimit_raw(0, 9999, BAD_PTR, NULL), -1,
	      EFAULT);
	CHECK("prlimit64 to a bad pointer", prlimit_raw(0, RLIMIT_NOFILE, NULL, BAD_PTR), -1,
	      EFAULT);
	CHECK("prlimit64 from a kernel pointer", prlimit_raw(0, RLIMIT_NOFILE, KERNEL_PTR, NULL),
	      -1, EFAULT);
	CHECK("prlimit64 with soft above hard", prlimit_raw(0, RLIMIT_NOFILE, &bad, NULL), -1,
	      EINVAL);
	CHECK("setrlimit with soft above hard", setrlimit(RLIMIT_NPROC, &bad), -1, EINVAL);
	CHECK("prlimit64 of no such process", prlimit_raw(-1, RLIMIT_NOFILE, NULL, &r), -1, ESRCH);
	CHECK("prlimit64 by pid", prlimit_raw(getpid(), RLIMIT_NOFILE, NULL, &r), 0, 0);
	check("prlimit64 by pid reads getrlimit's limits",
	      r.rlim_cur == cur.rlim_cur && r.rlim_max == cur.rlim_max, 0, 1, 0);
	CHECK("getrlimit of an unknown resource", syscall(SYS_getrlimit, 9999, &r), -1, EINVAL);
	CHECK("getrlimit to a bad pointer", syscall(SYS_getrlimit, RLIMIT_NOFILE, BAD_PTR), -1,
	      EFAULT);
	CHECK("setrlimit from a bad pointer", syscall(SYS_setrlimit, RLIMIT_NOFILE, BAD_PTR), -1,
	      EFAULT);
	/* the change is made before the old limits are written back */
	r = (struct rlimit){LIMIT_FDS, cur.rlim_max};
	CHECK("prlimit64 sets, then fails writing back", prlimit_raw(0, RLIMIT_NOFILE, &r, BAD_PTR),
	      -1, EFAULT);
	getrlimit(RLIMIT_NOFILE, &r);
	check("the new limit took effect", (long)r.rlim_cur, 0, LIMIT_FDS, 0);
	CHECK("setrlimit back", setrlimit(RLIMIT_NOFILE, &cur), 0, 0);
}

/* In a child without privilege (root drops to another user first, as the fork bomb does):
 * a hard limit may go down but not up again. */
static void unprivileged_limits(void)
{
	struct rlimit r;

	if (geteuid() == 0 && setuid(54321) != 0)
		_exit(2);
	getrlimit(RLIMIT_NOFILE, &r);
	r.rlim_cur = r.rlim_max = LIMIT_FDS;
	if (setrlimit(RLIMIT_NOFILE, &r) != 0)
		_exit(3);
	r.rlim_max = LIMIT_FDS + 1;
	_exit(setrlimit(RLIMIT_NOFILE, &r) == -1 && errno == EPERM ? 0 : 1);
}

static void check_hard_limit(void)
{
	check("an unprivileged process cannot raise a hard limit (EPERM)",
	      in_child(unprivileged_limits), 0, 0, 0);
}

/* True when /proc/self/status gives uid as all four of its user ids. */
static bool status_uids_are(unsigned uid)
{
	char buf[4096], want[64];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "\nUid:\t%u\t%u\t%u\t%u\n", uid, uid, uid, uid);
	return strstr(buf, want) != NULL;
}

/* setuid as Linux: root becomes the other user in all its ids and cannot come back; any
 * process may set the id it has; -1 is no id. */
static void setuid_child(void)
{
	if (geteuid() == 0 && setuid(54321) != 0)
		_exit(2);
	uid_t me = getuid();
	if (geteuid() != me || !status_uids_are(me))
		_exit(3);
	if (setuid(me) != 0)
		_exit(4);
	if (setuid(0) != -1 || errno != EPERM)
		_exit(5);
	_exit(syscall(SYS_setuid, -1) == -1 && errno == EINVAL ? 0 : 6);
}

/* Root (with CAP_SYS_RESOURCE) is not bound by RLIMIT_NPROC: it forks with a limit of 1. */
static void root_past_nproc(void)
{
	struct rlimit r = {1, 1};
	int status = -1;

	if (setrlimit(RLIMIT_NPROC, &r) != 0)
		_exit(2);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, &status, 0);
	_exit(pid > 0 && status == 0 ? 0 : 1);
}

/* Opens /dev/null until open fails; returns the last descriptor it got (errno is open's). */
static int fill_fds(void)
{
	int fd, last = -1;

	while ((fd = open("/dev/null", O_RDONLY)) >= 0)
		last = fd;
	return last;
}

/* With every descriptor below RLIMIT_NOFILE in use: each way of making one fails. */
static void check_nofile_full(void)
{
	int p[2];
	struct pollfd pfd[LIMIT_FDS + 1];

	CHECK("dup at RLIMIT_NOFILE", dup(0), -1, EMFILE);
	CHECK("F_DUPFD at RLIMIT_NOFILE", fcntl(0, F_DUPFD, 3), -1, EMFILE);
	CHECK("F_DUPFD from RLIMIT_NOFILE", fcntl(0, F_DUPFD, LIMIT_FDS), -1, EINVAL);
	CHECK("F_DUPFD_CLOEXEC from RLIMIT_NOFILE", fcntl(0, F_DUPFD_CLOEXEC, LIMIT_FDS), -1,
	      EINVAL);
	CHECK("pipe at RLIMIT_NOFILE", pipe(p), -1, EMFILE);
	CHECK("pipe2 at RLIMIT_NOFILE", pipe2(p, O_CLOEXEC), -1, EMFILE);
	CHECK("openat at RLIMIT_NOFILE", openat(AT_FDCWD, "/", O_RDONLY), -1, EMFILE);
	CHECK("open of a missing file at RLIMIT_NOFILE", open("/no/such/file", O_RDONLY), -1,
	      EMFILE);
	CHECK("dup2 to RLIMIT_NOFILE", dup2(0, LIMIT_FDS), -1, EBADF);
	CHECK("dup3 to RLIMIT_NOFILE", dup3(0, LIMIT_FDS, 0), -1, EBADF);
	CHECK("dup2 below RLIMIT_NOFILE", dup2(0, LIMIT_FDS - 1), LIMIT_FDS - 1, 0);
	memset(pfd, 0, sizeof(pfd));
	for (int i = 0; i <= LIMIT_FDS; i++)
		pfd[i].fd = -1;
	CHECK("poll of more entries than RLIMIT_NOFILE", poll(pfd, LIMIT_FDS + 1, 0), -1, EINVAL);
	CHECK("poll of RLIMIT_NOFILE entries", poll(pfd, LIMIT_FDS, 0), 0, 0);
}

static void check_nofile(void)
{
	struct rlimit old, r;

	getrlimit(RLIMIT_NOFILE, &old);
	r = (struct rlimit){LIMIT_FDS, old.rlim_max};
	CHECK("setrlimit RLIMIT_NOFILE", setrlimit(RLIMIT_NOFILE, &r), 0, 0);
	errno = 0;
	int last = fill_fds();
	check("open fills every slot below RLIMIT_NOFILE, then EMFILE", last, errno, LIMIT_FDS - 1,
	      0);
	check("open's error at RLIMIT_NOFILE", -1, errno, -1, EMFILE);
	check_nofile_full();
	close(LIMIT_FDS - 2);
	CHECK("pipe with one slot free", pipe((int[2]){0, 0}), -1, EMFILE);
	CHECK("the free slot is the lowest", open("/dev/null", O_RDONLY), LIMIT_FDS - 2, 0);
	for (int fd = 3; fd < LIMIT_FDS; fd++)
		close(fd);
	CHECK("setrlimit back", setrlimit(RLIMIT_NOFILE, &old), 0, 0);
}

/* mmap, mremap and brk against RLIMIT_AS. */
static void check_address_space(void)
{
	struct rlimit old, r;

	getrlimit(RLIMIT_AS, &old);
	r = (struct rlimit){AS_LIMIT, old.rlim_max};
	CHECK("setrlimit RLIMIT_AS", setrlimit(RLIMIT_AS, &r), 0, 0);
	void *big = mmap(NULL, AS_BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check("mmap past RLIMIT_AS", big == MAP_FAILED ? -1 : 0, errno, -1, ENOMEM);
	void *small = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check("mmap within RLIMIT_AS", small == MAP_FAILED ? -1 : 0, errno, 0, 0);
	if (small != MAP_FAILED) {
		void *again =
		    mmap(small, AS_BIG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		check("MAP_FIXED past RLIMIT_AS", again == MAP_FAILED ? -1 : 0, errno, -1, ENOMEM);
		CHECK("the old mapping stays", mprotect(small, 4096, PROT_READ), 0, 0);
		munmap(small, 1 << 20);
	}
	small = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (small != MAP_FAILED) {
		void *grown = mremap(small, 1 << 20, AS_BIG, MREMAP_MAYMOVE);
		check("mremap growth past RLIMIT_AS", grown == MAP_FAILED ? -1 : 0, errno, -1,
		      ENOMEM);
		grown = mremap(small, 1 << 20, 2 << 20, MREMAP_MAYMOVE);
		check("mremap growth within RLIMIT_AS", grown == MAP_FAILED ? -1 : 0, errno, 0, 0);
		munmap(grown == MAP_FAILED ? small : grown,
		       grown == MAP_FAILED ? 1 << 20 : 2 << 20);
	}
	long brk0 = syscall(SYS_brk, 0);
	check("brk past RLIMIT_AS leaves the break", syscall(SYS_brk, brk0 + (long)AS_BIG), 0, brk0,
	      0);
	CHECK("setrlimit RLIMIT_AS back", setrlimit(RLIMIT_AS, &old), 0, 0);
	big = mmap(NULL, AS_BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check("mmap works again once the limit is raised", big == MAP_FAILED ? -1 : 0, errno, 0, 0);
	if (big != MAP_FAILED)
		munmap(big, AS_BIG);
}

/* brk, private writable mappings and mprotect making one against RLIMIT_DATA (Linux counts
 * them since 4.7); read-only and shared mappings are not data. The limit is put back before
 * anything is printed (printing may allocate). */
static void check_data_limit(void)
{
	struct rlimit old, r;
	const size_t len = 4 << 20;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;

	getrlimit(RLIMIT_DATA, &old);
	r = (struct rlimit){1 << 20, old.rlim_max};
	long brk0 = syscall(SYS_brk, 0);
	int set = setrlimit(RLIMIT_DATA, &r);
	long moved = syscall(SYS_brk, brk0 + (long)len);
	void *data = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);
	int data_errno = errno;
	void *ro = mmap(NULL, len, PROT_READ, flags, -1, 0);
	int to_data = ro == MAP_FAILED ? 0 : mprotect(ro, len, PROT_READ | PROT_WRITE);
	int to_data_errno = errno;
	void *shared = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	setrlimit(RLIMIT_DATA, &old);
	check("setrlimit RLIMIT_DATA", set, 0, 0, 0);
	check("brk past RLIMIT_DATA leaves the break", moved, 0, brk0, 0);
	check("private writable mmap past RLIMIT_DATA", data == MAP_FAILED ? -1 : 0, data_errno, -1,
	      ENOMEM);
	check("read-only mmap is no data", ro == MAP_FAILED ? -1 : 0, 0, 0, 0);
	check("mprotect making it data past RLIMIT_DATA", to_data, to_data_errno, -1, ENOMEM);
	check("shared mmap is no data", shared == MAP_FAILED ? -1 : 0, 0, 0, 0);
	if (data != MAP_FAILED)
		munmap(data, len);
	if (ro != MAP_FAILED)
		munmap(ro, len);
	if (shared != MAP_FAILED)
		munmap(shared, len);
}

static void check_limits(void)
{
	check_prlimit();
	check_hard_limit();
	check("setuid: every id, for good, as Linux", in_child(setuid_child), 0, 0, 0);
	if (geteuid() == 0) /* Amphi's processes, and the host's under a root CI */
		check("root forks past RLIMIT_NPROC", in_child(root_past_nproc), 0, 0, 0);
	check_nofile();
	check_address_space();
	check_data_limit();
}
