/*
 * boottime: runs a boot command several times and prints the minimum, median and maximum
 * wall time from process start until a marker line appears on its output (or it exits).
 *
 *   boottime [-n RUNS] [-m MARKER] [-l LABEL] -- command args...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BOOTTIME_WINDOW 4096

/* Monotonic time in seconds. */
static double boottime_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Orders doubles ascending (qsort callback). */
static int boottime_compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Appends chunk to the window of recent output (its last BOOTTIME_WINDOW bytes, so a marker
 * split across reads is still found); true when the window now holds the marker. */
static bool boottime_window_has_marker(char *window, size_t *fill, const char *chunk, size_t n,
				       const char *marker)
{
	size_t cap = BOOTTIME_WINDOW;
	if (n > cap)
		chunk += n - cap, n = cap;
	if (*fill + n > cap) {
		size_t drop = *fill + n - cap;
		memmove(window, window + drop, *fill - drop);
		*fill -= drop;
	}
	memcpy(window + *fill, chunk, n);
	*fill += n;
	window[*fill] = 0;
	return marker && strstr(window, marker) != NULL;
}

/* Runs argv once; returns the seconds from spawn until the marker appeared (until exit
 * without a marker), or -1 if the command failed to start or never printed the marker. */
static double boottime_run_once(char **argv, const char *marker)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0) /* only the dup2'd 1 and 2 reach the command */
		return -1;
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	double start = boottime_now(), end = -1;
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(pipefd[1]);
	if (rc != 0) {
		fprintf(stderr, "boottime: cannot run %s: %s\n", argv[0], strerror(rc));
		close(pipefd[0]);
		return -1;
	}
	static char window[BOOTTIME_WINDOW + 1];
	size_t fill = 0;
	char chunk[4096];
	ssize_t n;
	while ((n = read(pipefd[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (end < 0 && boottime_window_has_marker(window, &fill, chunk, (size_t)n, marker))
			end = boottime_now();
	}
	close(pipefd[0]);
	int status;
	waitpid(pid, &status, 0);
	if (!marker)
		end = boottime_now();
	return end < 0 ? -1 : end - start;
}

/* Prints usage and exits with status 2. */
static __attribute__((noreturn)) void boottime_usage(void)
{
	fprintf(stderr, "usage: boottime [-n RUNS] [-m MARKER] [-l LABEL] -- command args...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int runs = 11, opt;
	const char *marker = NULL, *label = NULL;
	while ((opt = getopt(argc, argv, "n:m:l:")) != -1) {
		if (opt == 'n')
			runs = atoi(optarg);
		else if (opt == 'm')
			marker = optarg;
		else if (opt == 'l')
			label = optarg;
		else
			boottime_usage();
	}
	if (optind >= argc || runs < 1 || runs > 1000)
		boottime_usage();
	double *times = calloc((size_t)runs, sizeof(double));
	if (!times)
		return 1;
	boottime_run_once(argv + optind, marker); /* warm-up: page cache, dynamic linking */
	for (int i = 0; i < runs; i++) {
		double t = boottime_run_once(argv + optind, marker);
		if (t < 0) {
			fprintf(stderr, "boottime: %s: run %d failed or never printed \"%s\"\n",
				label ? label : argv[optind], i + 1, marker ? marker : "");
			return 1;
		}
		times[i] = t;
	}
	qsort(times, (size_t)runs, sizeof(double), boottime_compare);
	printf("%-28s median %8.2f ms   min %8.2f   max %8.2f   (%d runs)\n",
	       label ? label : argv[optind], times[runs / 2] * 1e3, times[0] * 1e3,
	       times[runs - 1] * 1e3, runs);
	free(times);
	return 0;
}
