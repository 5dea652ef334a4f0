/*
 * TLB shootdown across CPUs: two threads of one process, on two CPUs when the machine has
 * them. One reads (or writes) a page in a loop; the other changes the mapping and then
 * raises a flag the first one polls without a system call. After the flag:
 *   munmap:   the reader's next access must fault (SIGSEGV), not read the old page;
 *   mprotect: the same after mprotect(PROT_NONE);
 *   exec:     the same for a page of code the reader calls (each round maps new code at
 *             the same place, which the reader must then run, not the old code);
 *   fork:     the writer's next write must not reach the child, whose copy of the page
 *             must still hold what it held at the fork.
 * A stale translation on the reader's CPU lets the access through. Each mode runs many
 * rounds; the exit status is 0 when none saw a stale translation, 2 when some did, 1 when
 * the test itself went wrong. Usage: shootdown [munmap|mprotect|exec|fork|all] [ROUNDS]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define AFTER_FORK 0xdeadu /* what the writer stores once it saw the fork's flag */

enum mode { MUNMAP, MPROTECT, EXEC, FORK };

/* A function returning a 16-bit constant n: code_for writes its bytes. */
#if defined(__x86_64__)
#define CODE_SIZE 6
static void code_for(uint8_t *at, uint32_t n)
{
	const uint8_t code[CODE_SIZE] = {0xb8, n & 0xff, n >> 8, 0, 0, 0xc3}; /* mov eax, n; ret */

	memcpy(at, code, CODE_SIZE);
}
#elif defined(__aarch64__)
#define CODE_SIZE 8
static void code_for(uint8_t *at, uint32_t n)
{
	const uint32_t code[2] = {0x52800000u | (n & 0xffff) << 5, 0xd65f03c0u}; /* mov w0, n; ret */

	memcpy(at, code, CODE_SIZE);
}
#endif

static enum mode mode;
static int rounds;
/* What the threads tell each other, in a MAP_SHARED page: a fork does not split it, even
 * when a stale translation lets one thread write the parent's old copy of a private page. */
struct flags {
	volatile uint32_t *_Atomic page;
	atomic_int armed, touching, changed, finished; /* round numbers */
};
static struct flags *f;
static sigjmp_buf reader_env;
static volatile int faults, stale, early; /* volatile: counted around siglongjmp */

/* Reports what went wrong with the test itself and exits with status 1. */
static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Waits until *flag holds round, without a system call (one could refresh the CPU's
 * translations). */
static void wait_for(atomic_int *flag, int round)
{
	while (atomic_load(flag) != round)
		;
}

/* SIGSEGV on the reader: must be the page's address. */
static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_addr != (void *)atomic_load(&f->page)) {
		static const char msg[] = "shootdown: SIGSEGV at an unexpected address\n";
		write(2, msg, sizeof(msg) - 1);
		_exit(1);
	}
	siglongjmp(reader_env, 1);
}

/* The reader's access: a load, or in exec mode a call of the page's code. */
static uint32_t touch(volatile uint32_t *p)
{
	if (mode == EXEC)
		return ((uint32_t(*)(void))(uintptr_t)p)();
	return *p;
}

/* One round of the munmap, mprotect or exec reader: touches the page until the flag says it
 * is gone, then touches it once more, which must fault. */
static void read_round(int round)
{
	volatile uint32_t *p = atomic_load(&f->page);

	if (sigsetjmp(reader_env, 1)) {
		faults++;
		if (atomic_load(&f->changed) != round)
			early++; /* faulted before it saw the flag: also right */
		return;
	}
	for (;;) {
		uint32_t got = touch(p);
		if (got > 0 && got < (uint32_t)round) { /* an old translation of the place */
			printf("shootdown: round %d got round %u's page (stale)\n", round, got);
			exit(2);
		}
		if (got != (uint32_t)round) {
			fprintf(stderr, "shootdown: round %d read %u\n", round, got);
			exit(1);
		}
		atomic_store(&f->touching, round);
		if (atomic_load(&f->changed) == round) {
			touch(p); /* must fault */
			stale++;
			return;
		}
	}
}

/* One round of the fork writer: writes the page until the flag says the fork returned,
 * then writes AFTER_FORK, which must go to its own copy. */
static void write_round(int round)
{
	volatile uint32_t *p = atomic_load(&f->page);

	for (;;) {
		*p = (uint32_t)round;
		atomic_store(&f->touching, round);
		if (atomic_load(&f->changed) == round) {
			*p = AFTER_FORK;
			return;
		}
	}
}

/* The second thread: one access loop a round. */
static void *toucher(void *arg)
{
	(void)arg;
	for (int round = 1; round <= rounds; round++) {
		wait_for(&f->armed, round);
		if (mode == FORK)
			write_round(round);
		else
			read_round(round);
		atomic_store(&f->finished, round);
	}
	return NULL;
}

/* Forks; the child reports through its status whether its copy of the page (read once
 * the parent's writer finished the round, told through a pipe) holds the writer's late
 * store. Returns 0 or 1 (stale). */
static int fork_round(int round)
{
	int fds[2];
	char c;

	if (pipe(fds) < 0)
		die("shootdown: pipe");
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(1);
		_exit(*atomic_load(&f->page) == AFTER_FORK ? 2 : 0);
	}
	if (pid < 0)
		die("shootdown: fork");
	close(fds[0]);
	atomic_store(&f->changed, round);
	wait_for(&f->finished, round);
	if (write(fds[1], "x", 1) != 1)
		exit(1);
	close(fds[1]);
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) == 1) {
		fprintf(stderr, "shootdown: round %d: the child failed (status %#x)\n", round,
			(unsigned)status);
		exit(1);
	}
	return WEXITSTATUS(status) == 2;
}

/* Runs every round of the mode; returns the count of stale accesses. */
static int run_mode(enum mode m)
{
	pthread_t th;

	mode = m;
	faults = stale = early = 0;
	atomic_store(&f->armed, 0);
	atomic_store(&f->touching, 0);
	atomic_store(&f->changed, 0);
	atomic_store(&f->finished, 0);
	if (pthread_create(&th, NULL, toucher, NULL) != 0)
		die("shootdown: pthread_create");
	for (int round = 1; round <= rounds; round++) {
		uint32_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				   -1, 0);
		if (p == MAP_FAILED)
			die("shootdown: mmap");
		*p = (uint32_t)round;
		if (m == EXEC) {
			code_for((uint8_t *)p, (uint32_t)round);
			if (mprotect(p, 4096, PROT_READ | PROT_EXEC))
				die("shootdown: mprotect");
			__builtin___clear_cache((char *)p, (char *)p + CODE_SIZE);
		}
		atomic_store(&f->page, p);
		atomic_store(&f->armed, round);
		wait_for(&f->touching, round);
		if (m == FORK) {
			stale += fork_round(round);
		} else {
			if (m == MPROTECT ? mprotect(p, 4096, PROT_NONE) : munmap(p, 4096))
				die("shootdown: munmap or mprotect");
			atomic_store(&f->changed, round);
			wait_for(&f->finished, round);
		}
		if (m == MPROTECT)
			munmap(p, 4096);
		/* fork's pages stay: a stale translation of a freed page would write wherever
		 * the page went next, and the rounds only look at the fork's own */
	}
	pthread_join(th, NULL);
	static const char *const names[] = {"munmap", "mprotect", "exec", "fork"};
	printf("shootdown: %s: %d rounds, %d stale", names[m], rounds, stale);
	if (m != FORK)
		printf(", %d faults (%d before the flag)", faults, early);
	printf("\n");
	return stale;
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER};
	int stale_total = 0;

	rounds = argc > 2 ? atoi(argv[2]) : 100;
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f == MAP_FAILED)
		die("shootdown: mmap");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(which, "munmap") || !strcmp(which, "all"))
		stale_total += run_mode(MUNMAP);
	if (!strcmp(which, "mprotect") || !strcmp(which, "all"))
		stale_total += run_mode(MPROTECT);
	if (!strcmp(which, "exec") || !strcmp(which, "all"))
		stale_total += run_mode(EXEC);
	if (!strcmp(which, "fork") || !strcmp(which, "all"))
		stale_total += run_mode(FORK);
	return stale_total ? 2 : 0;
}
