/*
 * amphi-run: runs a boot command under a deadline and judges the run.
 *
 *   amphi-run [--timeout SECS] [--expect-exit N|nonzero] [--expect-output TEXT]...
 *             [--no-ktap] [--no-poweroff] [--quiet] -- command args...
 *
 * The command runs in its own process group with stdout and stderr merged into one pipe
 * (stdin is /dev/null: a command in a background process group that read a terminal
 * would be stopped by SIGTTIN). Every line is echoed unless --quiet and parsed as
 * KTAP. On timeout the whole group gets SIGTERM, then SIGKILL. The verdict is PASS when
 * the run ended in time with the expected exit status, printed the power-off line with
 * status 0 (not required with --no-poweroff, or with --no-ktap and --expect-output), gave
 * a complete KTAP stream with no failures (unless --no-ktap) and printed every expected
 * text. Exit status: 0 PASS, 1 FAIL, 2 bad usage.
 */
#define _GNU_SOURCE
#include "ktap.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <amphi/power.h>

/* The line a kernel that passed ends with (the kernel writes it with POWEROFF_LINE_FMT). */
#define RUN_POWEROFF_OK POWEROFF_LINE_PREFIX "0"
#define RUN_MAX_EXPECT 32
#define RUN_LINE_MAX 65536
#define RUN_TERM_GRACE_S 2.0
#define RUN_DRAIN_GRACE_S 1.0

/* What the command line asked for. */
struct run_opts {
	double timeout_s;
	int expect_exit; /* -1: any non-zero status */
	const char *expect[RUN_MAX_EXPECT];
	int expect_count;
	bool ktap, poweroff_line, quiet;
	char **argv;
};

/* What was seen while the command ran. */
struct run_state {
	struct ktap ktap;
	bool expect_seen[RUN_MAX_EXPECT];
	bool poweroff_seen, timed_out, interrupted;
	char panic_line[256];
	pid_t pid;
	int wait_status;
	bool exited;
	char line[RUN_LINE_MAX];
	size_t line_len;
};

static volatile sig_atomic_t run_signalled;

/* Records SIGINT/SIGTERM to amphi-run so the child's group is killed before exiting. */
static void run_on_signal(int sig)
{
	run_signalled = sig;
}

/* Seconds on the monotonic clock. */
static double run_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints the usage text to f. */
static void run_usage(FILE *f)
{
	fprintf(f, "usage: amphi-run [--timeout SECS] [--expect-exit N|nonzero] "
		   "[--expect-output TEXT]... [--no-ktap] [--no-poweroff] [--quiet] "
		   "-- command args...\n");
}

/* Reports a usage error and exits 2. */
static __attribute__((noreturn, format(printf, 1, 2))) void run_bad_usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "amphi-run: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	run_usage(stderr);
	exit(2);
}

/* Value of option argv[*i], which must have one. */
static const char *run_optarg(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		run_bad_usage("%s needs a value", argv[*i]);
	return argv[++*i];
}

/* Parses the timeout in seconds (fractions allowed). */
static double run_parse_timeout(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0) || v > 86400)
		run_bad_usage("bad --timeout '%s' (seconds, 0 < t <= 86400)", s);
	return v;
}

/* Parses the expected exit status: 0..255 or "nonzero". */
static int run_parse_exit(const char *s)
{
	char *end;
	if (strcmp(s, "nonzero") == 0)
		return -1;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < 0 || v > 255)
		run_bad_usage("bad --expect-exit '%s' (0..255 or nonzero)", s);
	return (int)v;
}

/* Fills o from the command line; exits 2 on a usage error. */
static void run_parse_args(int argc, char **argv, struct run_opts *o)
{
	*o = (struct run_opts){.timeout_s = 60, .ktap = true, .poweroff_line = true};
	int i;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--timeout") == 0)
			o->timeout_s = run_parse_timeout(run_optarg(argc, argv, &i));
		else if (strcmp(a, "--expect-exit") == 0)
			o->expect_exit = run_parse_exit(run_optarg(argc, argv, &i));
		else if (strcmp(a, "--expect-output") == 0) {
			if (o->expect_count == RUN_MAX_EXPECT)
				run_bad_usage("more than %d --expect-output", RUN_MAX_EXPECT);
			o->expect[o->expect_count++] = run_optarg(argc, argv, &i);
		} else if (strcmp(a, "--no-ktap") == 0)
			o->ktap = false;
		else if (strcmp(a, "--no-poweroff") == 0)
			o->poweroff_line = false;
		else if (strcmp(a, "--quiet") == 0)
			o->quiet = true;
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			run_usage(stdout);
			exit(0);
		} else
			run_bad_usage("unknown option '%s'", a);
	}
	if (i + 1 >= argc)
		run_bad_usage("no command after --");
	o->argv = argv + i + 1;
	if (!o->ktap && o->expect_count > 0)
		o->poweroff_line = false;
}

/* Starts the command in a new process group with output into out_fd, an O_CLOEXEC pipe end
 * (so only its copies at 1 and 2 reach the command). Returns its pid, or -1. */
static pid_t run_spawn(const struct run_opts *o, int out_fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGPIPE);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					    POSIX_SPAWN_SETSIGDEF);
	int err = posix_spawnp(&pid, o->argv[0], &fa, &attr, o->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (err) {
		fprintf(stderr, "amphi-run: cannot run '%s': %s\n", o->argv[0], strerror(err));
		return -1;
	}
	return pid;
}

/* Judges one complete console line. */
static void run_on_line(const struct run_opts *o, struct run_state *st, char *line)
{
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		line[--n] = '\0';
	if (!o->quiet) {
		fwrite(line, 1, n, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	if (o->ktap)
		ktap_feed(&st->ktap, line);
	const char *off = strstr(line, RUN_POWEROFF_OK);
	if (off && !isdigit((unsigned char)off[strlen(RUN_POWEROFF_OK)]))
		st->poweroff_seen = true;
	if (strncmp(line, "panic: ", 7) == 0 && !st->panic_line[0])
		snprintf(st->panic_line, sizeof(st->panic_line), "%s", line);
	for (int i = 0; i < o->expect_count; i++)
		if (strstr(line, o->expect[i]))
			st->expect_seen[i] = true;
}

/* Splits newly read bytes into lines; an over-long line is judged in pieces. */
static void run_on_bytes(const struct run_opts *o, struct run_state *st, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\0')
			continue;
		if (buf[i] != '\n' && st->line_len < RUN_LINE_MAX - 1) {
			st->line[st->line_len++] = buf[i];
			continue;
		}
		st->line[st->line_len] = '\0';
		run_on_line(o, st, st->line);
		st->line_len = 0;
		if (buf[i] != '\n')
			st->line[st->line_len++] = buf[i];
	}
}

/* Reaps the child if it has exited. */
static bool run_try_reap(struct run_state *st)
{
	if (!st->exited && waitpid(st->pid, &st->wait_status, WNOHANG) == st->pid)
		st->exited = true;
	return st->exited;
}

/* Kills the child's process group: SIGTERM, a grace period, then SIGKILL; reaps it. */
static void run_kill_group(struct run_state *st)
{
	kill(-st->pid, SIGTERM);
	double until = run_now() + RUN_TERM_GRACE_S;
	while (!run_try_reap(st) && run_now() < until)
		usleep(20000);
	kill(-st->pid, SIGKILL);
	if (!st->exited && waitpid(st->pid, &st->wait_status, 0) == st->pid)
		st->exited = true;
}

/* Reads the child's output until end of file (or, once the child has exited, a short
 * grace period for stragglers holding the pipe), the deadline or a signal. */
static void run_pump(const struct run_opts *o, struct run_state *st, int fd, double deadline)
{
	char buf[4096];
	double drain_until = 0;
	for (;;) {
		double now = run_now();
		if (run_signalled) {
			st->interrupted = true;
			return;
		}
		if (now >= deadline) {
			st->timed_out = true;
			return;
		}
		if (run_try_reap(st) && drain_until == 0)
			drain_until = now + RUN_DRAIN_GRACE_S;
		if (drain_until && now >= drain_until)
			return;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int ms = (int)((deadline - now) * 1000) + 1;
		if (ms > 100)
			ms = 100; /* wake up to notice the child's exit */
		int r = poll(&p, 1, ms);
		if (r < 0 && errno != EINTR)
			return;
		if (r <= 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		run_on_bytes(o, st, buf, (size_t)n);
	}
}

/* Waits for the child until the deadline after its output closed. */
static void run_wait(struct run_state *st, double deadline)
{
	while (!run_try_reap(st)) {
		if (run_signalled) {
			st->interrupted = true;
			return;
		}
		if (run_now() >= deadline) {
			st->timed_out = true;
			return;
		}
		usleep(10000);
	}
}

/* Writes the reason the run failed into why, or leaves it empty for a pass. */
static void run_judge(const struct run_opts *o, struct run_state *st, char *why, size_t len)
{
	const struct ktap *k = &st->ktap;
	why[0] = '\0';
	if (st->interrupted) {
		snprintf(why, len, "interrupted by signal %d", (int)run_signalled);
	} else if (st->timed_out) {
		snprintf(why, len, "timeout after %g s", o->timeout_s);
	} else if (o->ktap && st->panic_line[0]) {
		snprintf(why, len, "%s", st->panic_line);
	} else if (o->ktap && k->first_failure[0]) {
		snprintf(why, len, "not ok: %s", k->first_failure);
	} else if (o->ktap && !ktap_passed(k)) {
		snprintf(why, len, "KTAP: %s", k->first_error[0] ? k->first_error : "incomplete");
	} else if (WIFSIGNALED(st->wait_status)) {
		snprintf(why, len, "killed by signal %d (%s)", WTERMSIG(st->wait_status),
			 strsignal(WTERMSIG(st->wait_status)));
	} else {
		int status = WEXITSTATUS(st->wait_status);
		if (o->expect_exit < 0 ? status == 0 : status != o->expect_exit) {
			if (o->expect_exit < 0)
				snprintf(why, len, "exit status 0, expected non-zero");
			else
				snprintf(why, len, "exit status %d, expected %d", status,
					 o->expect_exit);
		} else if (o->poweroff_line && !st->poweroff_seen) {
			snprintf(why, len, "no \"%s\" line", RUN_POWEROFF_OK);
		}
	}
	for (int i = 0; !why[0] && i < o->expect_count; i++)
		if (!st->expect_seen[i])
			snprintf(why, len, "expected output not seen: \"%s\"", o->expect[i]);
}

/* Prints the one-line summary and returns the exit status for it. */
static int run_summary(const struct run_opts *o, struct run_state *st, double elapsed)
{
	char why[512], what[256];
	const struct ktap_totals *t = &st->ktap.totals;
	run_judge(o, st, why, sizeof(why));
	if (o->ktap)
		snprintf(what, sizeof(what), "%u suites, %u cases: %u ok, %u failed, %u skipped",
			 t->suites, t->cases, t->ok, t->failed, t->skipped);
	else if (WIFEXITED(st->wait_status))
		snprintf(what, sizeof(what), "exit status %d, %d expected outputs seen",
			 WEXITSTATUS(st->wait_status), o->expect_count);
	else
		snprintf(what, sizeof(what), "done");
	if (why[0])
		printf("amphi-run: FAIL  %s (%.2f s)\n", why, elapsed);
	else
		printf("amphi-run: PASS  %s (%.2f s)\n", what, elapsed);
	fflush(stdout);
	return why[0] ? 1 : 0;
}

/* Installs the SIGINT/SIGTERM/SIGHUP handlers and ignores SIGPIPE. */
static void run_install_signals(void)
{
	struct sigaction sa = {.sa_handler = run_on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	static struct run_opts opts;
	static struct run_state st;
	int fds[2];

	run_parse_args(argc, argv, &opts);
	ktap_init(&st.ktap);
	run_install_signals();
	if (pipe2(fds, O_CLOEXEC) != 0) {
		perror("amphi-run: pipe");
		return 1;
	}
	double start = run_now(), deadline = start + opts.timeout_s;
	st.pid = run_spawn(&opts, fds[1]);
	close(fds[1]);
	if (st.pid < 0) {
		printf("amphi-run: FAIL  cannot run %s\n", opts.argv[0]);
		return 1;
	}
	run_pump(&opts, &st, fds[0], deadline);
	if (!st.timed_out && !st.interrupted)
		run_wait(&st, deadline);
	if (st.line_len > 0) { /* a last line without a newline */
		st.line[st.line_len] = '\0';
		run_on_line(&opts, &st, st.line);
	}
	if (!st.exited || st.timed_out || st.interrupted)
		run_kill_group(&st);
	else
		kill(-st.pid, SIGKILL); /* stragglers still in the group */
	close(fds[0]);
	ktap_finish(&st.ktap);
	return run_summary(&opts, &st, run_now() - start);
}
