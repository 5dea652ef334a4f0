/*
 * Syscall conformance: return values and errno as Linux gives them. Built static (musl for
 * x86_64, glibc for aarch64) and run both on Linux (the host's, or qemu-aarch64's), where
 * every check must pass (so the checks encode Linux's behaviour), and inside Amphi. Prints TAP; exits 1 when a check failed.
 * "--amphi" adds the checks of Amphi's own policy (W^X) that Linux does not enforce.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/random.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* Linux's futex operations (musl's headers do not carry linux/futex.h). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)

static int failed, count;

/* Checks that a syscall result r with errno e matches want_r / want_errno. */
static void check(const char *what, long r, int e, long want_r, int want_errno)
{
	bool ok = r == want_r && (want_r != -1 || e == want_errno);

	count++;
	printf("%s %d - %s", ok ? "ok" : "not ok", count, what);
	if (!ok)
		printf(" (got %ld errno %d, want %ld errno %d)", r, e, want_r, want_errno);
	printf("\n");
	failed |= !ok;
}

#define CHECK(what, call, want_r, want_errno)                                 \
	do {                                                                  \
		errno = 0;                                                    \
		long r_ = (long)(call);                                       \
		check(what, r_, errno, want_r, want_errno);                   \
	} while (0)

/* The address a as a pointer the compiler cannot see through (glibc's headers warn when
 * a constant bad pointer reaches write or getrandom). */
static void *addr(uintptr_t a)
{
	volatile uintptr_t v = a;

	return (void *)v;
}

static void check_io(void)
{
	CHECK("write to a bad fd", write(99, "x", 1), -1, EBADF);
	CHECK("write from an unmapped pointer", write(1, addr(16), 1), -1, EFAULT);
	CHECK("write from a kernel address", write(1, addr(0xffff800000000000UL), 1), -1, EFAULT);
	CHECK("read into an unmapped pointer", syscall(SYS_read, 99, addr(16), 1), -1, EBADF);
	CHECK("write of nothing", write(1, "", 0), 0, 0);
}

static void check_memory(void)
{
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	check("mmap anonymous", p == MAP_FAILED ? -1 : 0, errno, 0, 0);
	if (p == MAP_FAILED)
		return;
	check("new pages read as zero", p[0] | p[8191], 0, 0, 0);
	strcpy(p + 4096, "amphi");
	CHECK("mprotect read-only", mprotect(p, 4096, PROT_READ), 0, 0);
	check("data survives mprotect", strcmp(p + 4096, "amphi"), 0, 0, 0);
	CHECK("write from a read-only page", write(1, p, 0), 0, 0);
	CHECK("uname into read-only memory", uname((struct utsname *)p), -1, EFAULT);
	CHECK("munmap", munmap(p, 8192), 0, 0);
	CHECK("write from an unmapped page", write(1, p + 4096, 1), -1, EFAULT);
	CHECK("munmap misaligned", munmap(p + 1, 4096), -1, EINVAL);
	CHECK("mmap length 0", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), -1,
	      EINVAL);
	CHECK("mprotect unknown bits", mprotect(p, 4096, 0x1000), -1, EINVAL);
	char *cur = (char *)syscall(SYS_brk, 0);
	check("brk grows", syscall(SYS_brk, cur + 65536) == (long)(cur + 65536) ? 0 : -1, 0, 0, 0);
	memset(cur, 0x5a, 65536);
	check("brk shrinks", syscall(SYS_brk, cur) == (long)cur ? 0 : -1, 0, 0, 0);
	CHECK("write from the shrunk heap", write(1, cur + 4096, 1), -1, EFAULT);
}

/* mremap: shrink in place, grow by moving, to a fixed address; argument errors. */
static void check_remap(void)
{
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	check("mmap for mremap", p == MAP_FAILED ? -1 : 0, errno, 0, 0);
	if (p == MAP_FAILED)
		return;
	for (int i = 0; i < 3; i++)
		p[i * 4096] = (char)('a' + i);
	CHECK("mremap grow in the middle of an area, no move", mremap(p, 4096, 8192, 0), -1,
	      ENOMEM);
	CHECK("mremap unknown flags", mremap(p, 4096, 4096, 0x100), -1, EINVAL);
	CHECK("mremap MREMAP_FIXED without MAYMOVE", mremap(p, 4096, 4096, MREMAP_FIXED, p + 8192),
	      -1, EINVAL);
	CHECK("mremap misaligned", mremap(p + 1, 4096, 4096, 0), -1, EINVAL);
	CHECK("mremap to length 0", mremap(p, 4096, 0, 0), -1, EINVAL);
	CHECK("mremap of an unmapped range", mremap(addr(0x10000), 4096, 8192, MREMAP_MAYMOVE), -1,
	      EFAULT);
	CHECK("mremap fixed onto itself", mremap(p, 8192, 8192, MREMAP_MAYMOVE | MREMAP_FIXED,
						 p + 4096),
	      -1, EINVAL);
	char *q = mremap(p, 3 * 4096, 64 * 4096, MREMAP_MAYMOVE);
	check("mremap grow (may move)", q == MAP_FAILED ? -1 : 0, errno, 0, 0);
	if (q == MAP_FAILED)
		return;
	check("mremap keeps the bytes", q[0] == 'a' && q[4096] == 'b' && q[8192] == 'c', 0, 1, 0);
	check("mremap's new pages read as zero", q[63 * 4096], 0, 0, 0);
	q[63 * 4096] = 'z';
	CHECK("mremap shrink stays in place", mremap(q, 64 * 4096, 4096, 0), (long)q, 0);
	CHECK("write from the shrunk-off part", write(1, q + 4096, 1), -1, EFAULT);
	char *r = mmap(NULL, 2 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mremap to a fixed address", mremap(q, 4096, 8192, MREMAP_MAYMOVE | MREMAP_FIXED, r),
	      (long)r, 0);
	check("fixed: the bytes moved", r[0], 0, 'a', 0);
	check("fixed: the grown page reads as zero", r[4096], 0, 0, 0);
	CHECK("write from the old address", write(1, q, 1), -1, EFAULT);
	munmap(r, 2 * 4096);
}

/* madvise(MADV_DONTNEED) drops private pages (zeros or the file's bytes come back), keeps
 * shared ones; msync, mlock and the hints check their arguments. */
static void check_madvise(void)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, flags, -1, 0);
	char *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	check("mmap for madvise", p == MAP_FAILED || s == MAP_FAILED ? -1 : 0, errno, 0, 0);
	if (p == MAP_FAILED || s == MAP_FAILED)
		return;
	p[0] = p[4096] = s[0] = 'x';
	CHECK("madvise DONTNEED", madvise(p, 4096, MADV_DONTNEED), 0, 0);
	check("DONTNEED: anonymous page reads zero", p[0], 0, 0, 0);
	check("DONTNEED: the next page is kept", p[4096], 0, 'x', 0);
	CHECK("madvise DONTNEED of shared memory", madvise(s, 4096, MADV_DONTNEED), 0, 0);
	check("DONTNEED: shared memory is kept", s[0], 0, 'x', 0);
	CHECK("madvise NORMAL", madvise(p, 8192, MADV_NORMAL), 0, 0);
	CHECK("madvise WILLNEED", madvise(p, 8192, MADV_WILLNEED), 0, 0);
	CHECK("madvise unknown advice", madvise(p, 4096, 999), -1, EINVAL);
	CHECK("madvise misaligned", madvise(p + 1, 4096, MADV_DONTNEED), -1, EINVAL);
	CHECK("madvise of nothing", madvise(p, 0, MADV_DONTNEED), 0, 0);
	CHECK("msync", msync(p, 8192, MS_SYNC), 0, 0);
	CHECK("msync ASYNC and SYNC", msync(p, 8192, MS_SYNC | MS_ASYNC), -1, EINVAL);
	CHECK("msync misaligned", msync(p + 1, 4096, MS_SYNC), -1, EINVAL);
	CHECK("mlock", mlock(p + 10, 100), 0, 0);
	CHECK("munlock", munlock(p + 10, 100), 0, 0);
	munmap(p, 8192);
	CHECK("madvise of an unmapped range", madvise(p, 4096, MADV_DONTNEED), -1, ENOMEM);
	CHECK("msync of an unmapped range", msync(p, 4096, MS_SYNC), -1, ENOMEM);
	CHECK("mlock of an unmapped range", mlock(p, 4096), -1, ENOMEM);
	munmap(s, 4096);

	/* a private file mapping gets the file's bytes back */
	char path[] = "/tmp/conform-madvise-XXXXXX";
	int fd = mkstemp(path);
	check("file for madvise", fd < 0 ? -1 : 0, errno, 0, 0);
	if (fd < 0)
		return;
	unlink(path);
	CHECK("write the file", write(fd, "file", 4), 4, 0);
	char *f = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check("mmap the file", f == MAP_FAILED ? -1 : 0, errno, 0, 0);
	if (f != MAP_FAILED) {
		f[0] = 'X';
		CHECK("madvise DONTNEED of a private file page", madvise(f, 4096, MADV_DONTNEED), 0,
		      0);
		check("DONTNEED: the file's byte is back", f[0], 0, 'f', 0);
		munmap(f, 4096);
	}
	close(fd);
}

/* Spends some CPU time. */
static void burn_cpu(void)
{
	volatile unsigned long x = 0;

	for (unsigned long i = 0; i < 3000000; i++)
		x += i;
}

/* The CPU time a struct rusage reports, in microseconds. */
static long rusage_us(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000L + ru->ru_utime.tv_usec +
	       ru->ru_stime.tv_usec;
}

/* getrusage, wait4's rusage and times account CPU time; sched_yield, sched_getaffinity and
 * getgroups answer. */
static void check_accounting(void)
{
	struct rusage ru;
	struct tms tms;

	/* at least 20 ms, so that times() (in 10 ms ticks) has something to show too */
	for (int i = 0; i < 1000 && (getrusage(RUSAGE_SELF, &ru) || rusage_us(&ru) < 20000); i++)
		burn_cpu();
	CHECK("getrusage self", getrusage(RUSAGE_SELF, &ru), 0, 0);
	check("getrusage: the CPU time spent shows", rusage_us(&ru) >= 20000, 0, 1, 0);
	CHECK("getrusage thread", getrusage(RUSAGE_THREAD, &ru), 0, 0);
	check("getrusage thread: CPU time", rusage_us(&ru) > 0, 0, 1, 0);
	CHECK("getrusage unknown who", getrusage(7, &ru), -1, EINVAL);
	CHECK("getrusage into an unmapped pointer", getrusage(RUSAGE_SELF, addr(16)), -1, EFAULT);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		burn_cpu();
		_exit(0);
	}
	int status;
	CHECK("wait4 with rusage", wait4(pid, &status, 0, &ru), pid, 0);
	check("wait4: the child's CPU time", rusage_us(&ru) > 0, 0, 1, 0);
	CHECK("getrusage children", getrusage(RUSAGE_CHILDREN, &ru), 0, 0);
	check("getrusage children: the reaped child's time", rusage_us(&ru) > 0, 0, 1, 0);
	check("times", times(&tms) == (clock_t)-1 ? -1 : 0, errno, 0, 0);
	check("times: own and children's CPU time add up", tms.tms_utime + tms.tms_stime > 0 &&
	      tms.tms_cutime + tms.tms_cstime >= 0, 0, 1, 0);
	CHECK("times into an unmapped pointer", syscall(SYS_times, addr(16)), -1, EFAULT);
	CHECK("sched_yield", sched_yield(), 0, 0);
	cpu_set_t set;
	CPU_ZERO(&set);
	long n = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
	check("sched_getaffinity", n > 0 && n % sizeof(long) == 0 ? 0 : -1, errno, 0, 0);
	check("sched_getaffinity: a CPU at least", CPU_COUNT(&set) >= 1, 0, 1, 0);
	CHECK("sched_getaffinity, size not a multiple of a long",
	      syscall(SYS_sched_getaffinity, 0, 3, &set), -1, EINVAL);
	CHECK("sched_getaffinity of no process", syscall(SYS_sched_getaffinity, 999999, sizeof(set),
							  &set),
	      -1, ESRCH);
	check("getgroups", getgroups(0, NULL) >= 0, errno, 1, 0);
	CHECK("getgroups negative size", getgroups(-1, NULL), -1, EINVAL);
}

static void check_misc(void)
{
	struct utsname u;
	char buf[64];

	CHECK("uname", uname(&u), 0, 0);
	check("uname sysname is Linux", strcmp(u.sysname, "Linux"), 0, 0, 0);
	CHECK("getrandom 64 bytes", getrandom(buf, sizeof(buf), 0), 64, 0);
	CHECK("getrandom bad flags", getrandom(buf, 8, 0x100), -1, EINVAL);
	CHECK("getrandom into an unmapped buffer", getrandom(addr(16), 8, 0), -1, EFAULT);
	CHECK("unknown syscall", syscall(9999), -1, ENOSYS);
	check("getpid is positive", getpid() > 0 ? 0 : -1, 0, 0, 0);
	CHECK("clock_gettime bad clock", syscall(SYS_clock_gettime, 1000, buf), -1, EINVAL);
	CHECK("prctl unknown option", syscall(SYS_prctl, 0x7fff, 0, 0, 0, 0), -1, EINVAL);
}

/* Amphi's W^X policy: no mapping is writable and executable at once. */
static int in_child(void (*fn)(void));

/* In a child that is not root: clock_settime and settimeofday fail with EPERM. */
static void unprivileged_clock_set(void)
{
	struct timeval tv;
	struct timespec ts;

	if (geteuid() == 0 && setuid(54321) != 0)
		_exit(2);
	gettimeofday(&tv, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (clock_settime(CLOCK_REALTIME, &ts) != -1 || errno != EPERM)
		_exit(3);
	_exit(settimeofday(&tv, NULL) == -1 && errno == EPERM ? 0 : 4);
}

/* In a child that is not root: clearing the kernel log fails with EPERM. */
static void unprivileged_log_clear(void)
{
	if (geteuid() == 0 && setuid(54321) != 0)
		_exit(2);
	_exit(syscall(SYS_syslog, 5, NULL, 0) == -1 && errno == EPERM ? 0 : 3);
}

/* syslog(2), the kernel log: its size, a read of part of it, and the refusals. */
static void check_syslog(void)
{
	char buf[16];

	check("syslog SIZE_BUFFER", syscall(SYS_syslog, 10, NULL, 0) > 0, 0, 1, 0);
	long n = syscall(SYS_syslog, 3, buf, (long)sizeof(buf));

	check("syslog READ_ALL of 16 bytes", n >= 0 && n <= (long)sizeof(buf), 0, 1, 0);
	CHECK("syslog READ_ALL into no buffer", syscall(SYS_syslog, 3, NULL, 16), -1, EINVAL);
	CHECK("syslog READ_ALL of -1 bytes", syscall(SYS_syslog, 3, buf, -1), -1, EINVAL);
	if (n > 0) /* a container's log may be empty: then nothing is copied, and no EFAULT */
		CHECK("syslog READ_ALL into an unmapped pointer", syscall(SYS_syslog, 3, 16, 16),
		      -1, EFAULT);
	CHECK("syslog bad action", syscall(SYS_syslog, 99, NULL, 0), -1, EINVAL);
	CHECK("syslog CONSOLE_LEVEL 0", syscall(SYS_syslog, 8, NULL, 0), -1, EINVAL);
	check("clearing the log needs root", in_child(unprivileged_log_clear), 0, 0, 0);
}

static void check_time(void)
{
	struct timespec a, b, nap = {0, 2000000}, bad = {0, 1000000000};
	struct timeval tv;
	struct sysinfo si;

	CHECK("clock_gettime monotonic", clock_gettime(CLOCK_MONOTONIC, &a), 0, 0);
	CHECK("nanosleep 2 ms", nanosleep(&nap, NULL), 0, 0);
	CHECK("clock_gettime after it", clock_gettime(CLOCK_MONOTONIC, &b), 0, 0);
	check("the sleep lasted 2 ms or more",
	      (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) >= 2000000, 0, 1, 0);
	CHECK("nanosleep with 10^9 ns", nanosleep(&bad, NULL), -1, EINVAL);
	CHECK("nanosleep from an unmapped pointer", nanosleep((void *)16, NULL), -1, EFAULT);
	CHECK("clock_nanosleep ignores unknown flags",
	      clock_nanosleep(CLOCK_MONOTONIC, 2, &nap, NULL), 0, 0);
	CHECK("clock_nanosleep on a CPU-time clock",
	      clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &nap, NULL), EINVAL, 0);
	CHECK("clock_nanosleep absolute, in the past",
	      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &a, NULL), 0, 0);
	CHECK("clock_getres", clock_getres(CLOCK_REALTIME, &a), 0, 0);
	CHECK("clock_getres bad clock", syscall(SYS_clock_getres, 1000, &a), -1, EINVAL);
	CHECK("gettimeofday", gettimeofday(&tv, NULL), 0, 0);
	check("the wall clock is past 2025", tv.tv_sec > 1735689600, 0, 1, 0);
	CHECK("gettimeofday into an unmapped pointer", syscall(SYS_gettimeofday, 16, 0), -1,
	      EFAULT);
	CHECK("clock_settime on the monotonic clock", clock_settime(CLOCK_MONOTONIC, &a), -1,
	      EINVAL);
	CHECK("clock_settime bad clock", syscall(SYS_clock_settime, 1000, &a), -1, EINVAL);
	CHECK("clock_settime with 10^9 ns", clock_settime(CLOCK_REALTIME, &bad), -1, EINVAL);
	CHECK("clock_settime from an unmapped pointer", syscall(SYS_clock_settime, 0, 16), -1,
	      EFAULT);
	tv.tv_usec = 1000000;
	CHECK("settimeofday with 10^6 us", settimeofday(&tv, NULL), -1, EINVAL);
	CHECK("settimeofday from an unmapped pointer", syscall(SYS_settimeofday, 16, 0), -1,
	      EFAULT);
	check("setting the clock needs root", in_child(unprivileged_clock_set), 0, 0, 0);
	CHECK("sysinfo", sysinfo(&si), 0, 0);
	check("sysinfo reports RAM", si.totalram > 0 && si.freeram <= si.totalram, 0, 1, 0);
	CHECK("sysinfo into an unmapped pointer", sysinfo((void *)16), -1, EFAULT);
}

static void check_wx(void)
{
	CHECK("mmap W+X refused", mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
	      -1, EACCES);
}

#include "conform_fs.c"
/* Runs fn in a forked child and returns its wait status (-1 when fork failed). */
static int in_child(void (*fn)(void))
{
	int status = -1;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

#include "conform_limits.c"

static void child_exit_7(void)
{
	_exit(7);
}

static void child_null_write(void)
{
	*(volatile int *)0 = 1;
}

static void child_pause(void)
{
	pause();
}

static void child_abort(void)
{
	raise(SIGTERM);
}

static int cow_value = 1;

static void child_cow(void)
{
	cow_value = 2;
	_exit(cow_value == 2 ? 0 : 1);
}

/* patch_fn returns 1; it has a page of the program's code to itself, so that a child
 * can make that page writable, patch it to return 2 and run it again. */
#if defined(__x86_64__)
__asm__(".pushsection .text.patch_fn, \"ax\", @progbits\n.balign 4096\n"
	"patch_fn: mov $1, %eax\n ret\n.balign 4096\n.popsection");
static const uint8_t patch_bytes[] = {2}; /* the immediate of mov $1, %eax */
#define PATCH_OFFSET 1
#elif defined(__aarch64__)
__asm__(".pushsection .text.patch_fn, \"ax\", %progbits\n.balign 4096\n"
	"patch_fn: mov w0, #1\n ret\n.balign 4096\n.popsection");
static const uint8_t patch_bytes[] = {0x40, 0x00, 0x80, 0x52}; /* mov w0, #2 */
#define PATCH_OFFSET 0
#endif
int patch_fn(void);

/* In a child: patches its own copy of patch_fn's page to return 2, and exits with what
 * it returns then. */
static void child_patch_code(void)
{
	uint8_t *page = (uint8_t *)(uintptr_t)patch_fn;

	if (mprotect(page, 4096, PROT_READ | PROT_WRITE))
		_exit(90);
	memcpy(page + PATCH_OFFSET, patch_bytes, sizeof(patch_bytes));
	if (mprotect(page, 4096, PROT_READ | PROT_EXEC))
		_exit(91);
	__builtin___clear_cache((char *)page, (char *)page + 8);
	_exit(patch_fn());
}

/* Code a child patches is its own: the child runs its new code, the parent its old. */
static void check_patched_code(void)
{
	check("program code runs", patch_fn(), 0, 1, 0);
	int status = in_child(child_patch_code);
	check("a child runs the code it patched", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	      0, 2, 0);
	check("the parent runs its own code", patch_fn(), 0, 1, 0);
}

/* Runs path with argument "--patch-fn" in a child; returns its exit status, or -1. */
static int run_patch_fn(const char *path)
{
	int status = -1;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execl(path, path, "--patch-fn", (char *)NULL);
		_exit(99);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Writes the len bytes at buf to path, created or truncated in place; 0 or -1. */
static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	long n = fd < 0 ? -1 : write(fd, buf, len);

	if (fd >= 0)
		close(fd);
	return n == (long)len ? 0 : -1;
}

/* A program rewritten in place (the same file) runs its new code: a copy of this program
 * runs, then is overwritten with one whose patch_fn returns 2, which then runs. */
static void check_rewritten_program(void)
{
	static const char path[] = "/tmp/conform-rewritten";
	struct stat st;
	int fd = open("/proc/self/exe", O_RDONLY);
	char *buf = fd >= 0 && fstat(fd, &st) == 0 ? malloc((size_t)st.st_size) : NULL;
	long got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	char *page = got > 0 ? memmem(buf, (size_t)got, (void *)(uintptr_t)patch_fn, 4096) : NULL;

	if (fd >= 0)
		close(fd);
	check("a copy of the program is made", page && write_file(path, buf, (size_t)got) == 0, 0,
	      1, 0);
	check("the copy runs its code", run_patch_fn(path), 0, 1, 0);
	if (page)
		memcpy(page + PATCH_OFFSET, patch_bytes, sizeof(patch_bytes));
	check("the copy is rewritten in place", page && write_file(path, buf, (size_t)got) == 0,
	      0, 1, 0);
	check("the rewritten copy runs its new code", run_patch_fn(path), 0, 2, 0);
	unlink(path);
	free(buf);
}

static void check_fork(void)
{
	int status;

	status = in_child(child_exit_7);
	check("child exit code 7", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0, 7, 0);
	status = in_child(child_null_write);
	check("child killed by SIGSEGV", WIFSIGNALED(status) ? WTERMSIG(status) : -1, 0, SIGSEGV, 0);
	status = in_child(child_abort);
	check("raise(SIGTERM) ends the child", WIFSIGNALED(status) ? WTERMSIG(status) : -1, 0,
	      SIGTERM, 0);
	status = in_child(child_cow);
	check("child writes its own copy", status, 0, 0, 0);
	check("parent keeps its value", cow_value, 0, 1, 0);
	CHECK("wait with no children", waitpid(-1, NULL, 0), -1, ECHILD);
	CHECK("wait4 bad options", waitpid(-1, NULL, 0x10000), -1, EINVAL);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		pause();
		_exit(1);
	}
	CHECK("WNOHANG with a running child", waitpid(pid, &status, WNOHANG), 0, 0);
	CHECK("getpgid of a child", getpgid(pid), getpgrp(), 0);
	CHECK("kill a child", kill(pid, SIGKILL), 0, 0);
	CHECK("reap the killed child", waitpid(pid, &status, 0), pid, 0);
	check("it died of SIGKILL", WIFSIGNALED(status) ? WTERMSIG(status) : -1, 0, SIGKILL, 0);
	CHECK("kill a reaped child", kill(pid, 0), -1, ESRCH);
	CHECK("kill bad signal", kill(getpid(), 1000), -1, EINVAL);
	(void)child_pause;

	fflush(stdout);
	pid = vfork();
	if (pid == 0)
		_exit(5);
	CHECK("vfork child reaped", waitpid(pid, &status, 0), pid, 0);
	check("vfork child exit code", WEXITSTATUS(status), 0, 5, 0);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *args[] = {"conform", "--exit-42", NULL};
		execv("/proc/self/exe", args);
		_exit(99);
	}
	waitpid(pid, &status, 0);
	check("exec of /proc/self/exe runs the program", WEXITSTATUS(status), 0, 42, 0);
	CHECK("exec of a missing file", execl("/no/such/program", "x", (char *)NULL), -1, ENOENT);
	static char big[200000];
	memset(big, 'a', sizeof(big) - 1);
	CHECK("exec with a 200 KB argument", execl("/proc/self/exe", "conform", big, (char *)NULL),
	      -1, E2BIG);
	CHECK("exec with an unmapped argv", syscall(SYS_execve, "/proc/self/exe", (void *)16, NULL),
	      -1, EFAULT);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		_exit(getppid() == (pid_t)syscall(SYS_getppid) ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	check("getppid in the child", status, 0, 0, 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* not a session leader (as the first process in Amphi is): may lead a group */
		int ok = setpgid(0, 0) == 0 && getpgid(0) == getpid() && setsid() == -1 &&
			 errno == EPERM;
		_exit(ok ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	check("setpgid, getpgid, setsid of a group leader", status, 0, 0, 0);
	CHECK("getsid of no process", getsid(99999), -1, ESRCH);
}

/* Installs fn for sig with sa_flags flags. */
static void set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = {0};

	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static volatile sig_atomic_t got_sig, got_code, got_pid;
static void *volatile got_addr;
static sigjmp_buf fault_jmp;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_pid = si->si_pid;
}

static volatile long got_trapno, got_err, got_fault_addr;

#if defined(__x86_64__)
#define FRAME_HAS_TRAPNO 1
/* What x86_64's signal frame says of a fault: trapno, the error code and cr2. */
static void frame_fault(const ucontext_t *uc)
{
	got_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	got_err = uc->uc_mcontext.gregs[REG_ERR];
	got_fault_addr = uc->uc_mcontext.gregs[REG_CR2];
}
#elif defined(__aarch64__)
#define FRAME_HAS_TRAPNO 0
/* What aarch64's signal frame says of a fault: its address (the ESR record is not read). */
static void frame_fault(const ucontext_t *uc)
{
	got_fault_addr = (long)uc->uc_mcontext.fault_address;
}
#endif

static void on_segv(int sig, siginfo_t *si, void *ucp)
{
	got_sig = sig;
	got_code = si->si_code;
	got_addr = si->si_addr;
	frame_fault(ucp);
	siglongjmp(fault_jmp, 1);
}

/* A breakpoint's handler: records it and lets the program go on after the instruction
 * (aarch64's pc stays at the brk, x86_64's rip is past the int3 already). */
static void on_trap(int sig, siginfo_t *si, void *ucp)
{
	got_sig = sig;
	got_code = si->si_code;
#if defined(__aarch64__)
	((ucontext_t *)ucp)->uc_mcontext.pc += 4;
#else
	(void)ucp;
#endif
}

static void on_alarm_usr2(int sig)
{
	char probe;
	stack_t ss;

	got_sig = sig;
	sigaltstack(NULL, &ss);
	got_code = (ss.ss_flags & SS_ONSTACK) && (char *)&probe >= (char *)ss.ss_sp &&
		   (char *)&probe < (char *)ss.ss_sp + ss.ss_size;
}

static void check_signals(void)
{
	struct sigaction sa = {0};
	sigset_t set, old;

	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK("sigaction SIGUSR1", sigaction(SIGUSR1, &sa, NULL), 0, 0);
	CHECK("kill self SIGUSR1", kill(getpid(), SIGUSR1), 0, 0);
	check("handler ran with the signal", got_sig, 0, SIGUSR1, 0);
	check("si_code is SI_USER", got_code, 0, SI_USER, 0);
	check("si_pid is the sender", got_pid, 0, getpid(), 0);

	got_sig = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGUSR1);
	check("blocked signal waits", got_sig, 0, 0, 0);
	sigset_t pend;
	sigpending(&pend);
	check("sigpending shows it", sigismember(&pend, SIGUSR1), 0, 1, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	check("unblocking delivers it", got_sig, 0, SIGUSR1, 0);

	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	got_sig = 0;
	if (sigsetjmp(fault_jmp, 1) == 0)
		*(volatile int *)0 = 1;
	check("SIGSEGV handler caught a NULL write", got_sig, 0, SIGSEGV, 0);
	check("si_code SEGV_MAPERR", got_code, 0, SEGV_MAPERR, 0);
	check("si_addr is 0", got_addr != 0, 0, 0, 0);
	if (FRAME_HAS_TRAPNO) {
		check("sigcontext: a page fault (trapno 14)", got_trapno, 0, 14, 0);
		check("sigcontext: a user write to no page (err 6)", got_err & 7, 0, 6, 0);
	}
	static const char ro[4096] __attribute__((aligned(4096))) = "x";
	/* read it first: a write to a page never touched faults as "not present" (err 6) */
	check("read-only data reads", *(volatile const char *)ro, 0, 'x', 0);
	if (sigsetjmp(fault_jmp, 1) == 0)
		*(volatile char *)ro = 1;
	check("write to read-only data: SEGV_ACCERR", got_code, 0, SEGV_ACCERR, 0);
	check("si_addr is the address", got_addr == ro ? 0 : -1, 0, 0, 0);
	check("sigcontext: the fault address", got_fault_addr == (long)ro ? 0 : -1, 0, 0, 0);
	if (FRAME_HAS_TRAPNO)
		check("sigcontext: a user write to a present page (err 7)", got_err & 7, 0, 7, 0);
#if defined(__x86_64__) /* ports: Linux leaves user code IOPL 0, so in and out fault */
	got_sig = got_code = 0;
	got_trapno = -1;
	if (sigsetjmp(fault_jmp, 1) == 0)
		__asm__ volatile("outb %%al, $0x80" ::"a"(0));
	check("out to a port: SIGSEGV", got_sig, 0, SIGSEGV, 0);
	check("out to a port: si_code SI_KERNEL", got_code, 0, SI_KERNEL, 0);
	check("sigcontext: a general protection fault (trapno 13)", got_trapno, 0, 13, 0);
	got_sig = 0;
	if (sigsetjmp(fault_jmp, 1) == 0) {
		unsigned char in;
		__asm__ volatile("inb $0x80, %0" : "=a"(in));
	}
	check("in from a port: SIGSEGV", got_sig, 0, SIGSEGV, 0);
#endif
	signal(SIGSEGV, SIG_DFL);

#if defined(__x86_64__) /* aarch64 divides by zero without a trap */
	sigaction(SIGFPE, &sa, NULL);
	got_sig = 0;
	if (sigsetjmp(fault_jmp, 1) == 0) {
		volatile int zero = 0;
		got_code = 7 / zero;
	}
	check("division by zero: SIGFPE", got_sig, 0, SIGFPE, 0);
	check("SIGFPE: si_code FPE_INTDIV", got_code, 0, FPE_INTDIV, 0);
	signal(SIGFPE, SIG_DFL);
#define BREAKPOINT_INSN "int3"
#define BREAKPOINT_CODE SI_KERNEL
#else
#define BREAKPOINT_INSN "brk #0"
#define BREAKPOINT_CODE TRAP_BRKPT
#endif
	sa.sa_sigaction = on_trap;
	sigaction(SIGTRAP, &sa, NULL);
	got_sig = 0;
	__asm__ volatile(BREAKPOINT_INSN);
	check("breakpoint: SIGTRAP, and the program goes on", got_sig, 0, SIGTRAP, 0);
	check("SIGTRAP: si_code", got_code, 0, BREAKPOINT_CODE, 0);
	signal(SIGTRAP, SIG_DFL);

	static char alt[65536];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt)};
	CHECK("sigaltstack", sigaltstack(&ss, NULL), 0, 0);
	ss.ss_size = 100;
	CHECK("sigaltstack too small", sigaltstack(&ss, NULL), -1, ENOMEM);
	set_handler(SIGUSR2, on_alarm_usr2, SA_ONSTACK);
	got_code = 0;
	raise(SIGUSR2);
	check("SA_ONSTACK handler runs on the alternate stack", got_code, 0, 1, 0);

	/* registers survive a handler: floating point and integers */
	volatile double d = 1.5;
	set_handler(SIGUSR2, on_alarm_usr2, 0);
	raise(SIGUSR2);
	check("a double survives a handler", d * 2 == 3.0 ? 0 : -1, 0, 0, 0);

	struct timespec ts = {0, 1000000};
	CHECK("nanosleep 1 ms", nanosleep(&ts, NULL), 0, 0);
	ts.tv_nsec = 2000000000L;
	CHECK("nanosleep bad nsec", nanosleep(&ts, NULL), -1, EINVAL);
}

static void on_usr1_plain(int sig)
{
	got_sig = sig;
}

/* The child of the restart checks: signals its parent every 10 ms, 100 times, then ends.
 * However late the parent reaches waitpid, later signals find it waiting there (one
 * signal after a fixed pause raced with a parent slowed down by a loaded host). */
static void signal_parent_then_exit(void)
{
	struct timespec ts = {0, 10000000};

	for (int i = 0; i < 100; i++) {
		nanosleep(&ts, NULL);
		kill(getppid(), SIGUSR1);
	}
	_exit(0);
}

/* waitpid for a child that signals us while we wait, with SA_RESTART or without: 1 when
 * it returned the child, else its result with errno in *err. The child is reaped. */
static int wait_interrupted(int flags, int *err)
{
	set_handler(SIGUSR1, on_usr1_plain, flags);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		signal_parent_then_exit();
	errno = 0;
	int r = waitpid(pid, NULL, 0);
	*err = errno;
	if (r < 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	return r == pid ? 1 : r;
}

#if defined(__x86_64__)
/* x86_64: the registers a handler may clobber (caller-saved ones, SSE) hold their values
 * after it returns: rt_sigreturn restores them from the frame. */
static void on_usr2_clobber(int sig)
{
	(void)sig;
	__asm__ volatile("xor %%r8, %%r8\n\txor %%r9, %%r9\n\txor %%r10, %%r10\n\t"
			 "xor %%rdx, %%rdx\n\txorps %%xmm2, %%xmm2"
			 ::: "r8", "r9", "r10", "rdx", "xmm2");
}

static int regs_survive_handler(void)
{
	long rax = SYS_kill, r8, r9, r10, rdx, x2;

	signal(SIGUSR2, on_usr2_clobber);
	__asm__ volatile("mov $0x1111, %%r8\n\tmov $0x2222, %%r9\n\tmov $0x3333, %%r10\n\t"
			 "mov $0x4444, %%rdx\n\tmov $0x5555, %%rcx\n\tmovq %%rcx, %%xmm2\n\t"
			 "syscall\n\t"
			 "mov %%r8, %1\n\tmov %%r9, %2\n\tmov %%r10, %3\n\tmov %%rdx, %4\n\t"
			 "movq %%xmm2, %5"
			 : "+a"(rax), "=m"(r8), "=m"(r9), "=m"(r10), "=m"(rdx), "=m"(x2)
			 : "D"((long)getpid()), "S"((long)SIGUSR2)
			 : "rcx", "r11", "r8", "r9", "r10", "rdx", "xmm2", "memory");
	signal(SIGUSR2, SIG_DFL);
	return rax == 0 && r8 == 0x1111 && r9 == 0x2222 && r10 == 0x3333 && rdx == 0x4444 &&
	       x2 == 0x5555;
}
#elif defined(__aarch64__)
/* aarch64: the registers a handler may clobber (caller-saved ones, SIMD) hold their values
 * after it returns: rt_sigreturn restores them from the frame. */
static void on_usr2_clobber(int sig)
{
	(void)sig;
	__asm__ volatile("mov x9, xzr\n\tmov x10, xzr\n\tmov x11, xzr\n\tmov x1, xzr\n\t"
			 "movi v2.2d, #0"
			 ::: "x9", "x10", "x11", "x1", "v2");
}

static int regs_survive_handler(void)
{
	long ret, x9, x10, x11, x1, v2, pid = getpid();

	signal(SIGUSR2, on_usr2_clobber);
	/* assigned last: a call between these and the asm would clobber them */
	register long x0 __asm__("x0") = pid;
	register long x8 __asm__("x8") = SYS_kill;
	__asm__ volatile("mov x1, %[sig]\n\tmov x9, #0x1111\n\tmov x10, #0x2222\n\t"
			 "mov x11, #0x3333\n\tmov x12, #0x5555\n\tfmov d2, x12\n\t"
			 "svc #0\n\t"
			 "str x0, %[ret]\n\tstr x9, %[x9]\n\tstr x10, %[x10]\n\tstr x11, %[x11]\n\t"
			 "str x1, %[x1]\n\tfmov x12, d2\n\tstr x12, %[v2]"
			 : "+r"(x0), [ret] "=m"(ret), [x9] "=m"(x9), [x10] "=m"(x10),
			   [x11] "=m"(x11), [x1] "=m"(x1), [v2] "=m"(v2)
			 : "r"(x8), [sig] "r"((long)SIGUSR2)
			 : "x1", "x9", "x10", "x11", "x12", "v2", "memory");
	signal(SIGUSR2, SIG_DFL);
	return ret == 0 && x1 == SIGUSR2 && x9 == 0x1111 && x10 == 0x2222 && x11 == 0x3333 && v2 == 0x5555;
}
#endif

static void check_signals_more(void)
{
	int err, status;

	check("SA_RESTART: waitpid restarts after the handler", wait_interrupted(SA_RESTART, &err),
	      0, 1, 0);
	int r = wait_interrupted(0, &err);
	check("no SA_RESTART: waitpid fails with EINTR", r, err, -1, EINTR);
	signal(SIGUSR1, SIG_DFL);
	check("rt_sigreturn restores the registers", regs_survive_handler(), 0, 1, 0);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGSTOP);
	CHECK("WUNTRACED sees the stop", waitpid(pid, &status, WUNTRACED), pid, 0);
	check("stopped by SIGSTOP", WIFSTOPPED(status) ? WSTOPSIG(status) : -1, 0, SIGSTOP, 0);
	kill(pid, SIGCONT);
	CHECK("WCONTINUED sees the continue", waitpid(pid, &status, WCONTINUED), pid, 0);
	check("continued", WIFCONTINUED(status), 0, 1, 0);
	kill(pid, SIGKILL);
	CHECK("reap the stopped-then-killed child", waitpid(pid, &status, 0), pid, 0);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		raise(SIGKILL);
		_exit(1);
	}
	siginfo_t si = {0};
	CHECK("waitid WEXITED", waitid(P_PID, pid, &si, WEXITED), 0, 0);
	check("waitid si_code CLD_KILLED", si.si_code, 0, CLD_KILLED, 0);
	check("waitid si_status SIGKILL", si.si_status, 0, SIGKILL, 0);
	check("waitid si_pid", si.si_pid, 0, pid, 0);
	CHECK("waitid without a state", waitid(P_ALL, 0, &si, WNOHANG), -1, EINVAL);
}

static volatile sig_atomic_t in_handler_blocked, handler_runs;

static void on_usr1_check_mask(int sig)
{
	sigset_t cur;

	sigprocmask(SIG_BLOCK, NULL, &cur);
	in_handler_blocked = sigismember(&cur, sig);
	handler_runs++;
}

/* SA_RESETHAND: the first SIGUSR1 runs the handler, the second the default action. */
static void child_resethand(void)
{
	set_handler(SIGUSR1, on_usr1_check_mask, SA_RESETHAND);
	handler_runs = 0;
	raise(SIGUSR1);
	if (handler_runs != 1)
		_exit(1);
	raise(SIGUSR1);
	_exit(2);
}

static void check_signal_flags(void)
{
	sigset_t block, old, empty;

	set_handler(SIGUSR1, on_usr1_check_mask, 0);
	raise(SIGUSR1);
	check("the signal is blocked in its handler", in_handler_blocked, 0, 1, 0);
	set_handler(SIGUSR1, on_usr1_check_mask, SA_NODEFER);
	raise(SIGUSR1);
	check("SA_NODEFER leaves it unblocked", in_handler_blocked, 0, 0, 0);
	int status = in_child(child_resethand);
	check("SA_RESETHAND: the second signal kills", WIFSIGNALED(status) ? WTERMSIG(status) : -1,
	      0, SIGUSR1, 0);

	/* rt_sigsuspend: waits with SIGUSR1 unblocked, returns EINTR after the handler, and
	 * the old mask is back */
	set_handler(SIGUSR1, on_usr1_check_mask, 0);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	handler_runs = 0;
	sigemptyset(&empty);
	errno = 0;
	int r = sigsuspend(&empty);
	check("sigsuspend returns EINTR after the handler", r, errno, -1, EINTR);
	check("the handler ran once", handler_runs, 0, 1, 0);
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	check("sigsuspend restores the mask", sigismember(&now, SIGUSR1), 0, 1, 0);
	waitpid(pid, NULL, 0);

	/* sigtimedwait takes a blocked signal without running its handler */
	siginfo_t si;
	struct timespec ts = {0, 1000000};
	handler_runs = 0;
	raise(SIGUSR1);
	/* the syscall itself: glibc's sigtimedwait reports SI_TKILL as SI_USER */
	CHECK("sigtimedwait takes a pending signal",
	      syscall(SYS_rt_sigtimedwait, &block, &si, &ts, 8), SIGUSR1, 0);
	check("sigtimedwait: si_code SI_TKILL (raise)", si.si_code, 0, SI_TKILL, 0);
	check("sigtimedwait: no handler ran", handler_runs, 0, 0, 0);
	CHECK("sigtimedwait times out", sigtimedwait(&block, &si, &ts), -1, EAGAIN);
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* a blocked SIGCHLD stays pending though its default is to ignore it */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(3);
	ts.tv_sec = 10;
	CHECK("sigtimedwait takes a blocked SIGCHLD", sigtimedwait(&chld, &si, &ts), SIGCHLD, 0);
	check("SIGCHLD: si_pid is the child", si.si_pid, 0, pid, 0);
	check("SIGCHLD: CLD_EXITED with status 3", si.si_code * 100 + si.si_status, 0,
	      CLD_EXITED * 100 + 3, 0);
	waitpid(pid, NULL, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
}

/* A futex in MAP_SHARED memory is one word for every process mapping it: a child waits on
 * it, the parent wakes it (non-private operations, as process-shared mutexes use). */
static void check_shared_futex(void)
{
	uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct timespec limit = {10, 0}, pause = {0, 10000000};

	check("mmap a shared futex page", word == MAP_FAILED ? -1 : 0, errno, 0, 0);
	if (word == MAP_FAILED)
		return;
	*word = 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(syscall(SYS_futex, word, FUTEX_WAIT, 0, &limit) == 0 ? 0 : 1);
	long woken = 0;
	for (int i = 0; i < 500 && woken == 0; i++) {
		nanosleep(&pause, NULL);
		woken = syscall(SYS_futex, word, FUTEX_WAKE, 1);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	check("shared futex: the parent's wake finds the child", woken, 0, 1, 0);
	check("shared futex: the child was woken", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
	      0, 0);
	munmap(word, 4096);
}

static void check_futex(void)
{
	int word = 1;
	struct timespec rel = {0, 1000000}, now;

	CHECK("futex wait: value differs", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 2, NULL),
	      -1, EAGAIN);
	CHECK("futex wait: relative timeout", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, &rel),
	      -1, ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &now);
	CHECK("futex wait bitset: absolute timeout passed",
	      syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 1, &now, NULL, ~0u), -1,
	      ETIMEDOUT);
	CHECK("futex wait bitset 0", syscall(SYS_futex, &word, FUTEX_WAIT_BITSET, 1, NULL, NULL, 0),
	      -1, EINVAL);
	CHECK("futex wake nobody", syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1), 0, 0);
	CHECK("futex misaligned", syscall(SYS_futex, (char *)&word + 1, FUTEX_WAKE, 1), -1, EINVAL);
	rel.tv_nsec = 1000000000;
	CHECK("futex bad timeout", syscall(SYS_futex, &word, FUTEX_WAIT, 1, &rel), -1, EINVAL);
}

static int thread_counter;
static pthread_mutex_t thread_lock = PTHREAD_MUTEX_INITIALIZER;

static void *thread_work(void *arg)
{
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&thread_lock);
		thread_counter++;
		pthread_mutex_unlock(&thread_lock);
	}
	return (void *)(long)(syscall(SYS_gettid) != getpid()) + (long)arg;
}

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static int queue[64], queue_len, queue_done;

/* The consumer: takes items in order until the producer is done. */
static void *consume(void *arg)
{
	long sum = 0, expect = 0;

	(void)arg;
	pthread_mutex_lock(&queue_lock);
	for (;;) {
		while (queue_len == 0 && !queue_done)
			pthread_cond_wait(&queue_cond, &queue_lock);
		if (queue_len == 0)
			break;
		int v = queue[0];
		memmove(queue, queue + 1, --queue_len * sizeof(queue[0]));
		pthread_cond_broadcast(&queue_cond);
		sum += v == expect++ ? v : -100000;
	}
	pthread_mutex_unlock(&queue_lock);
	return (void *)sum;
}

static void check_condvar(void)
{
	pthread_t c;
	void *sum;

	pthread_create(&c, NULL, consume, NULL);
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&queue_lock);
		while (queue_len == 64)
			pthread_cond_wait(&queue_cond, &queue_lock);
		queue[queue_len++] = i;
		pthread_cond_broadcast(&queue_cond);
		pthread_mutex_unlock(&queue_lock);
	}
	pthread_mutex_lock(&queue_lock);
	queue_done = 1;
	pthread_cond_broadcast(&queue_cond);
	pthread_mutex_unlock(&queue_lock);
	pthread_join(c, &sum);
	check("condition variables pass 500 items in order", (long)sum, 0, 499 * 500 / 2, 0);
}

static void check_threads(void)
{
	pthread_t th[4];
	long sum = 0;

	for (long i = 0; i < 4; i++)
		CHECK("pthread_create", pthread_create(&th[i], NULL, thread_work, (void *)i), 0, 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		CHECK("pthread_join", pthread_join(th[i], &r), 0, 0);
		sum += (long)r;
	}
	check("threads counted under a mutex", thread_counter, 0, 4000, 0);
	check("threads have their own tids and results", sum, 0, 4 + 0 + 1 + 2 + 3, 0);
}

/* A fork bomb in a child with RLIMIT_NPROC 8: fork fails with EAGAIN before 8 more.
 * Linux exempts root, so the child drops to another user first where it runs as root. */
static void bomb(void)
{
	struct rlimit rl = {8, 8};
	int made = 0, err = 0;
	pid_t kids[16];

	if (geteuid() == 0 && setuid(54321) != 0 && errno != ENOSYS)
		_exit(2);
	if (setrlimit(RLIMIT_NPROC, &rl) != 0)
		_exit(3);
	for (int i = 0; i < 16; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid < 0) {
			err = errno;
			break;
		}
		kids[made++] = pid;
	}
	for (int i = 0; i < made; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	_exit(err == EAGAIN && made < 8 ? 0 : 1);
}

static void check_bomb(void)
{
	check("a fork bomb stops at RLIMIT_NPROC with EAGAIN", in_child(bomb), 0, 0, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--exit-42") == 0)
		return 42;
	if (argc > 1 && strcmp(argv[1], "--patch-fn") == 0)
		return patch_fn();
	check_fork();
	check_patched_code();
	check_rewritten_program();
	check_signals();
	check_signals_more();
	check_signal_flags();
	check_futex();
	check_shared_futex();
	check_threads();
	check_condvar();
	check_bomb();
	check_io();
	check_memory();
	check_remap();
	check_madvise();
	check_accounting();
	check_misc();
	check_time();
	check_syslog();
	check_fs();
	check_limits();
	if (argc > 1 && strcmp(argv[1], "--amphi") == 0)
		check_wx();
	printf("1..%d\n", count);
	return failed;
}
