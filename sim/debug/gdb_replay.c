/*
 * Replay for the gdbstub's reverse execution. A deterministic run is a function of its
 * options, so the stub goes back in time by running the machine again in the same process
 * (execve of the same program with the same arguments) up to the point before, while GDB
 * stays connected through the inherited socket.
 *
 * Every replay must see the same addresses as the run it repeats, or the breakpoints, the
 * registers and the pointers GDB knows would mean nothing there. So a machine that may be
 * reversed (--gdb --gdb-wait, deterministic, virtual time) first executes itself once with
 * address randomisation off (personality ADDR_NO_RANDOMIZE, which execve keeps), and
 * every generation after it is started the same way: the same program path, arguments and
 * environment, AMPHI_GDB_REPLAY included with a value of the same length, so that even
 * the initial stack is the same. Its value names the inherited memfd that holds what the
 * replay must do ("-----" in the first generation: nothing).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <unistd.h>

#include "sim.h"

#define REPLAY_ENV "AMPHI_GDB_REPLAY="
#define REPLAY_NONE "-----" /* same length as a "%05d" descriptor */
#define REPLAY_ENV_MAX 4096 /* environment strings a replay passes on */
#define REPLAY_SELF "/proc/self/exe"

extern char **environ;

static struct {
	bool ready;	     /* this process runs with the addresses every replay repeats */
	int input;	     /* the inherited request, or -1 */
	char **argv;	     /* the arguments to run again */
	const char *why_not; /* why reverse execution is off */
} replay = {.input = -1,
	    .why_not = "it needs --gdb-wait, --sched deterministic and --time virtual"};

/* The index of AMPHI_GDB_REPLAY in environ, or -1. */
static int replay_env_index(void)
{
	for (int i = 0; environ[i]; i++)
		if (strncmp(environ[i], REPLAY_ENV, strlen(REPLAY_ENV)) == 0)
			return i;
	return -1;
}

/* Executes this program again with argv, address randomisation off, and
 * AMPHI_GDB_REPLAY=value (5 characters); returns only on failure, with errno set. */
static void replay_exec_self(const char *value)
{
	static char *envp[REPLAY_ENV_MAX + 2];
	static char var[sizeof(REPLAY_ENV) + 8];
	int n = 0, at = replay_env_index();

	snprintf(var, sizeof(var), "%s%s", REPLAY_ENV, value);
	for (; environ[n] && n < REPLAY_ENV_MAX; n++)
		envp[n] = n == at ? var : environ[n];
	if (environ[n]) {
		errno = E2BIG;
		return;
	}
	if (at < 0)
		envp[n++] = var;
	envp[n] = NULL;
	if (personality(ADDR_NO_RANDOMIZE | (unsigned long)personality(0xffffffff)) < 0)
		return;
	execve(REPLAY_SELF, replay.argv, envp);
}

void sim_gdb_replay_prepare(const struct sim_options *opts, char **argv)
{
	replay.argv = argv;
	if (!opts->gdb || !opts->gdb_wait || opts->gdb_follow ||
	    opts->sched != SIM_SCHED_DETERMINISTIC || opts->time != SIM_TIME_VIRTUAL) {
		if (opts->gdb_follow)
			replay.why_not = "it is not offered while following a user process";
		return;
	}
	int at = replay_env_index();
	if (at < 0) {
		replay_exec_self(REPLAY_NONE);
		replay.why_not = "this machine could not run itself again without address "
				 "randomisation";
		fprintf(stderr, "amphi: --gdb: reverse execution is off: %s (%s)\n", replay.why_not,
			strerror(errno));
		return;
	}
	const char *value = environ[at] + strlen(REPLAY_ENV);
	replay.ready = true;
	replay.why_not = NULL;
	if (strcmp(value, REPLAY_NONE) != 0)
		replay.input = atoi(value);
}

bool sim_gdb_replay_ready(const char **why_not)
{
	if (why_not)
		*why_not = replay.why_not;
	return replay.ready;
}

int sim_gdb_replay_input(void)
{
	return replay.input;
}

int sim_gdb_replay_exec(const void *request, size_t len, int keep1, int keep2)
{
	char value[12];
	int fd = memfd_create("amphi-replay", 0);

	if (fd < 0)
		return -errno;
	if (fd > 99999) { /* the variable's value has 5 digits */
		close(fd);
		return -EMFILE;
	}
	const char *p = request;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			close(fd);
			return -err;
		}
		p += n;
		len -= (size_t)n;
	}
	lseek(fd, 0, SEEK_SET);
	fcntl(keep1, F_SETFD, 0);
	fcntl(keep2, F_SETFD, 0);
	snprintf(value, sizeof(value), "%05d", fd);
	sim_console_restore();
	sigset_t none, old;
	sigemptyset(&none); /* the calling thread may block all, and execve keeps its mask */
	pthread_sigmask(SIG_SETMASK, &none, &old);
	replay_exec_self(value);
	int err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	fcntl(keep1, F_SETFD, FD_CLOEXEC);
	fcntl(keep2, F_SETFD, FD_CLOEXEC);
	close(fd);
	return -err;
}
