/*
 * The out-of-memory killer seen from user space; run as the first process of a small
 * machine (`amphi exec --mem 32M oom --amphi`, or under QEMU), never on the host. The parent (init)
 * first takes 40% of the free memory, a "hog" child 35%, then a "grower" child touches page after
 * page until the machine runs out. Linux's rules say what follows: the biggest process
 * other than init dies first (the hog, though init is bigger), then, when memory runs out
 * again, the grower, each by SIGKILL; init keeps its memory intact, and the machine still
 * forks, gives memory and runs other programs. Prints TAP; the console's lines naming the victims
 * are checked by the caller (user/tests.cmake).
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096

static int failed, count;

/* One TAP line: ok when cond holds. */
static void check(const char *what, bool cond)
{
	printf("%s %d - %s\n", cond ? "ok" : "not ok", ++count, what);
	failed |= !cond;
}

/* Maps len bytes and writes a byte of seed's pattern to every page; NULL when mmap fails. */
static uint8_t *touch(size_t len, uint8_t seed)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < len; i += PAGE)
		p[i] = (uint8_t)(seed + i / PAGE);
	return p;
}

/* True when every page of p still holds seed's pattern. */
static bool intact(const uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i += PAGE) {
		if (p[i] != (uint8_t)(seed + i / PAGE))
			return false;
	}
	return true;
}

/* The hog: takes len bytes, says so on fd, and waits to be killed. */
static void hog(size_t len, int fd)
{
	prctl(PR_SET_NAME, "hog");
	if (!touch(len, 1))
		_exit(2);
	if (write(fd, "r", 1) != 1)
		_exit(3);
	for (;;)
		pause();
}

/* The grower: once told to go on fd, touches a megabyte after another until something
 * stops it. */
static void grower(int fd)
{
	char c;

	prctl(PR_SET_NAME, "grower");
	if (read(fd, &c, 1) != 1)
		_exit(5);
	for (;;) {
		if (!touch(1 << 20, 2))
			_exit(4); /* mmap refused: no OOM kill happened */
	}
}

/* How the child pid ended: its signal, or 0 when it exited. */
static int killed_by(pid_t pid)
{
	int status = 0;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* Runs a child that takes 4 MiB and exits 7, then, where the initial RAM disk has a shell,
 * /bin/sh -c 'exit 8'; returns the first status, and the second (0 without a shell) in
 * *shell. */
static int run_more(int *shell)
{
	fflush(stdout);
	pid_t pid = fork();
	int status = -1, sh_status = -1;

	if (pid == 0)
		_exit(touch(4 << 20, 4) ? 7 : 6);
	waitpid(pid, &status, 0);
	*shell = 0;
	if (access("/bin/sh", X_OK) != 0)
		return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exit 8", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &sh_status, 0);
	*shell = WIFEXITED(sh_status) ? WEXITSTATUS(sh_status) : -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(int argc, char **argv)
{
	struct sysinfo si;
	int ready[2], go[2];
	char c;

	if (argc < 2 || strcmp(argv[1], "--amphi") != 0 || getpid() != 1) {
		fprintf(stderr, "oom: runs only as init inside Amphi (--amphi)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* in order with the console's lines */
	if (sysinfo(&si) != 0 || pipe(ready) != 0 || pipe(go) != 0)
		return 2;
	size_t free_bytes = (size_t)si.freeram * si.mem_unit;
	size_t mine = free_bytes / 10 * 4 / PAGE * PAGE, hogs = free_bytes / 20 * 7 / PAGE * PAGE;
	/* both children start small: pages init touches later are not theirs too */
	fflush(stdout);
	pid_t grower_pid = fork();
	if (grower_pid == 0)
		grower(go[0]);
	pid_t hog_pid = fork();
	if (hog_pid == 0)
		hog(hogs, ready[1]);
	uint8_t *own = touch(mine, 3);
	check("init takes 40% of the free memory", own != NULL);
	check("the hog takes 35%", read(ready[0], &c, 1) == 1);
	check("the grower starts", write(go[1], "g", 1) == 1);
	printf("# hog %d, grower %d\n", hog_pid, grower_pid);
	check("the hog, the biggest but init, is killed by SIGKILL", killed_by(hog_pid) == SIGKILL);
	check("then the grower, by SIGKILL", killed_by(grower_pid) == SIGKILL);
	check("init's memory is intact", own && intact(own, mine, 3));
	int shell;
	check("the machine forks and gives memory again", run_more(&shell) == 7);
	check("and runs /bin/sh where there is one", shell == 0 || shell == 8);
	printf("1..%d\n", count);
	return failed;
}
