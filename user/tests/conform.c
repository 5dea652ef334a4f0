/*
 * Syscall conformance: return values and errno as Linux gives them. Built static (musl)
 * and run both on the host's Linux, where every check must pass (so the checks encode
 * Linux's behaviour), and inside Amphi. Prints TAP; exits 1 when a check failed.
 * "--amphi" adds the checks of Amphi's own policy (W^X) that Linux does not enforce.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

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

static void check_io(void)
{
	CHECK("write to a bad fd", write(99, "x", 1), -1, EBADF);
	CHECK("write from an unmapped pointer", write(1, (void *)16, 1), -1, EFAULT);
	CHECK("write from a kernel address", write(1, (void *)0xffff800000000000UL, 1), -1, EFAULT);
	CHECK("read into an unmapped pointer", syscall(SYS_read, 99, (void *)16, 1), -1, EBADF);
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

static void check_misc(void)
{
	struct utsname u;
	char buf[64];

	CHECK("uname", uname(&u), 0, 0);
	check("uname sysname is Linux", strcmp(u.sysname, "Linux"), 0, 0, 0);
	CHECK("getrandom 64 bytes", getrandom(buf, sizeof(buf), 0), 64, 0);
	CHECK("getrandom bad flags", getrandom(buf, 8, 0x100), -1, EINVAL);
	CHECK("getrandom into an unmapped buffer", getrandom((void *)16, 8, 0), -1, EFAULT);
	CHECK("unknown syscall", syscall(9999), -1, ENOSYS);
	check("getpid is positive", getpid() > 0 ? 0 : -1, 0, 0, 0);
	CHECK("clock_gettime bad clock", syscall(SYS_clock_gettime, 1000, buf), -1, EINVAL);
	CHECK("prctl unknown option", syscall(SYS_prctl, 0x7fff, 0, 0, 0, 0), -1, EINVAL);
}

/* Amphi's W^X policy: no mapping is writable and executable at once. */
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

int main(int argc, char **argv)
{
	check_io();
	check_memory();
	check_misc();
	check_time();
	if (argc > 1 && strcmp(argv[1], "--amphi") == 0)
		check_wx();
	printf("1..%d\n", count);
	return failed;
}
