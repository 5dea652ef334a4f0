/*
 * User-mode micro-benchmarks, one static program run unchanged on host Linux, on Amphi
 * (`amphi exec`), under qemu-user and on Amphi under QEMU, so their figures compare. Each
 * mode runs ROUNDS rounds and prints the median cost of one operation as "name ns".
 *   ubench getpid [N]       the null syscall (a raw getpid, never cached by the libc)
 *   ubench fault [PAGES]    first write to fresh anonymous pages, per page
 *   ubench spawn PROG [N]   fork, execve PROG with argument "true", wait: per spawn
 *   ubench pipe [N]         a one-byte round trip between two processes over two pipes
 *   ubench files DIR [N]    create a file of 100 bytes in DIR, close it, unlink it: per file
 *   ubench seq PATH [MIB]   sequential I/O of MIB MiB (default 256) in 1 MiB requests on
 *                           PATH (a block device or a file, made when missing): a write
 *                           pass with fsync, then a read pass; per MiB, 5 rounds each
 *   ubench start            time from UBENCH_T0 (the launcher's CLOCK_REALTIME, in ns)
 *                           to this program's main
 *   ubench first            the same to this program's first instruction (its entry
 *                           point reads the clock before the libc starts)
 *   ubench launch CMD...    sets UBENCH_T0 and executes CMD (e.g. an amphi exec of
 *                           ubench start), to measure start-up from outside
 *   ubench run CMD...       runs CMD as a whole process ROUNDS times (a host tool):
 *                           its median wall time, output discarded
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 11

/* CLOCK_REALTIME at the program's first instruction: the entry point (ubench_entry, the
 * link's -e) reads it with a raw clock_gettime, then goes on to the libc's _start with the
 * registers the kernel gave it. */
struct timespec first_insn_time;

#if defined(__x86_64__)
__asm__(".globl ubench_entry\n"
	"ubench_entry:\n"
	"	mov $228, %eax\n" /* SYS_clock_gettime */
	"	xor %edi, %edi\n" /* CLOCK_REALTIME */
	"	lea first_insn_time(%rip), %rsi\n"
	"	syscall\n"
	"	xor %eax, %eax\n"
	"	jmp _start\n");
#elif defined(__aarch64__)
__asm__(".globl ubench_entry\n"
	"ubench_entry:\n"
	"	mov x9, x0\n"
	"	mov x8, #113\n" /* SYS_clock_gettime */
	"	mov x0, #0\n"	 /* CLOCK_REALTIME */
	"	adrp x1, first_insn_time\n"
	"	add x1, x1, :lo12:first_insn_time\n"
	"	svc #0\n"
	"	mov x0, x9\n"
	"	b _start\n");
#else
#error "ubench_entry: no entry point for this ISA"
#endif

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void die(const char *what)
{
	fprintf(stderr, "ubench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Runs op(n) rounds times (at most ROUNDS) and prints the median nanoseconds per
 * operation. */
static void measure_rounds(const char *name, void (*op)(long n), long n, int rounds)
{
	uint64_t t[ROUNDS];

	for (int i = 0; i < rounds; i++) {
		uint64_t start = now_ns(CLOCK_MONOTONIC);
		op(n);
		t[i] = now_ns(CLOCK_MONOTONIC) - start;
	}
	qsort(t, (size_t)rounds, sizeof(t[0]), cmp_u64);
	printf("%s %.1f\n", name, (double)t[rounds / 2] / (double)n);
}

/* Runs op(n) ROUNDS times and prints the median nanoseconds per operation. */
static void measure(const char *name, void (*op)(long n), long n)
{
	measure_rounds(name, op, n, ROUNDS);
}

static void op_getpid(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getpid);
}

static void op_fault(long pages)
{
	long size = pages * 4096;
	volatile char *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	for (long off = 0; off < size; off += 4096)
		p[off] = 1;
	munmap((void *)p, (size_t)size);
}

/* Runs argv (through PATH) as a child and waits for it; exits when it fails. quiet sends
 * its standard output to /dev/null. */
static void run_child(char *const *argv, bool quiet)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (quiet && !freopen("/dev/null", "w", stdout))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || status != 0) {
		fprintf(stderr, "ubench: %s failed (status %#x)\n", argv[0], status);
		exit(1);
	}
}

static char *spawn_argv[3] = {NULL, "true", NULL};

static void op_spawn(long n)
{
	for (long i = 0; i < n; i++)
		run_child(spawn_argv, false);
}

static void op_pipe(long n)
{
	int ping[2], pong[2];
	char c = 0;

	if (pipe(ping) || pipe(pong))
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		while (read(ping[0], &c, 1) == 1 && c)
			if (write(pong[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	for (long i = 0; i < n; i++) {
		c = 1;
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			die("ping-pong");
	}
	c = 0;
	if (write(ping[1], &c, 1) != 1 || waitpid(pid, NULL, 0) != pid)
		die("pipe child");
	close(ping[0]), close(ping[1]), close(pong[0]), close(pong[1]);
}

static const char *files_dir;

static void op_files(long n)
{
	char path[4096], data[100];

	memset(data, 'f', sizeof(data));
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/ubench-%ld", files_dir, i);
		int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		if (fd < 0 || write(fd, data, sizeof(data)) != (ssize_t)sizeof(data) || close(fd))
			die(path);
	}
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/ubench-%ld", files_dir, i);
		if (unlink(path))
			die(path);
	}
}

static const char *seq_path;
static char seq_buf[1 << 20];

/* One pass over seq_path of n MiB: writes then fsync, or reads. */
static void seq_pass(long n, bool write_pass)
{
	int fd = open(seq_path, write_pass ? O_WRONLY | O_CREAT : O_RDONLY, 0644);

	if (fd < 0)
		die(seq_path);
	for (long i = 0; i < n; i++) {
		ssize_t got = write_pass ? write(fd, seq_buf, sizeof(seq_buf))
					 : read(fd, seq_buf, sizeof(seq_buf));
		if (got != (ssize_t)sizeof(seq_buf))
			die(write_pass ? "seq write" : "seq read");
	}
	if ((write_pass && fsync(fd)) || close(fd))
		die(seq_path);
}

static void op_seq_write(long n)
{
	seq_pass(n, true);
}

static void op_seq_read(long n)
{
	seq_pass(n, false);
}

static char **run_argv;

static void op_run(long n)
{
	for (long i = 0; i < n; i++)
		run_child(run_argv, true);
}

/* The count argument at argv[i], or dflt. */
static long count_arg(int argc, char **argv, int i, long dflt)
{
	long n = i < argc ? strtol(argv[i], NULL, 10) : dflt;

	return n > 0 ? n : dflt;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "start") == 0 || strcmp(mode, "first") == 0) {
		uint64_t now = now_ns(CLOCK_REALTIME);
		if (mode[0] == 'f')
			now = (uint64_t)first_insn_time.tv_sec * 1000000000u +
			      (uint64_t)first_insn_time.tv_nsec;
		const char *t0 = getenv("UBENCH_T0");
		if (!t0)
			return fprintf(stderr, "ubench %s: UBENCH_T0 is not set\n", mode), 1;
		if (!now)
			return fprintf(stderr, "ubench first: the entry point read no clock\n"), 1;
		printf("%s %.1f\n", mode, (double)(now - strtoull(t0, NULL, 10)));
	} else if (strcmp(mode, "launch") == 0 && argc > 2) {
		char t0[32];
		snprintf(t0, sizeof(t0), "%llu", (unsigned long long)now_ns(CLOCK_REALTIME));
		setenv("UBENCH_T0", t0, 1);
		execvp(argv[2], argv + 2);
		die(argv[2]);
	} else if (strcmp(mode, "run") == 0 && argc > 2) {
		run_argv = argv + 2;
		measure("run", op_run, 1);
	} else if (strcmp(mode, "getpid") == 0) {
		measure("getpid", op_getpid, count_arg(argc, argv, 2, 100000));
	} else if (strcmp(mode, "fault") == 0) {
		measure("fault", op_fault, count_arg(argc, argv, 2, 256));
	} else if (strcmp(mode, "spawn") == 0 && argc > 2) {
		spawn_argv[0] = argv[2];
		measure("spawn", op_spawn, count_arg(argc, argv, 3, 20));
	} else if (strcmp(mode, "pipe") == 0) {
		measure("pipe", op_pipe, count_arg(argc, argv, 2, 2000));
	} else if (strcmp(mode, "files") == 0 && argc > 2) {
		files_dir = argv[2];
		measure("files", op_files, count_arg(argc, argv, 3, 200));
	} else if (strcmp(mode, "seq") == 0 && argc > 2) {
		seq_path = argv[2];
		memset(seq_buf, 's', sizeof(seq_buf));
		measure_rounds("seqwrite", op_seq_write, count_arg(argc, argv, 3, 256), 5);
		measure_rounds("seqread", op_seq_read, count_arg(argc, argv, 3, 256), 5);
	} else {
		fprintf(stderr, "usage: ubench getpid|fault|spawn PROG|pipe|files DIR|seq PATH|start|launch CMD...|run CMD...\n");
		return 2;
	}
	return 0;
}
