/*
 * `amphi exec PROGRAM [ARGS...]`: the host program travels to the kernel in the initial RAM
 * disk (initrd.c) under its base name, which /chosen "amphi,exec-path" gives as "/<name>",
 * with its argv as the /chosen string list "amphi,exec-argv".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"


/* Exits with the shell's status for a program that cannot be run. */
static SIM_NORETURN void exec_fail(const char *program, const char *why)
{
	fprintf(stderr, "amphi: exec %s: %s\n", program, why);
	exit(SIM_EXEC_CANNOT_RUN);
}

/* The host path of program: itself when it has a slash, else the first PATH entry holding
 * an executable of that name (malloc'ed). */
static char *exec_find(const char *program)
{
	const char *path = getenv("PATH");

	if (strchr(program, '/'))
		return strdup(program);
	for (const char *dir = path ? path : "/usr/bin:/bin"; *dir;) {
		size_t n = strcspn(dir, ":");
		char *full;
		if (asprintf(&full, "%.*s%s%s", (int)n, dir, n ? "/" : "", program) < 0)
			return NULL;
		if (access(full, X_OK) == 0)
			return full;
		free(full);
		dir += n + (dir[n] == ':');
	}
	exec_fail(program, "not found in PATH");
}

const char *sim_exec_path(const struct sim_options *opts)
{
	static char *path;

	if (!path)
		path = exec_find(opts->exec_argv[0]);
	if (!path)
		exec_fail(opts->exec_argv[0], "out of memory");
	return path;
}

const char *sim_exec_name(const struct sim_options *opts)
{
	const char *slash = strrchr(opts->exec_argv[0], '/');
	const char *base = slash ? slash + 1 : opts->exec_argv[0];

	return *base ? base : "program";
}

char *sim_string_list(char *const *v, int n, size_t *len)
{
	size_t total = 0;

	for (int i = 0; i < n; i++)
		total += strlen(v[i]) + 1;
	char *list = malloc(total + 1);
	if (!list) {
		perror("amphi: exec arguments");
		exit(SIM_EXIT_HOST);
	}
	*len = 0;
	for (int i = 0; i < n; i++) {
		size_t k = strlen(v[i]) + 1;
		memcpy(list + *len, v[i], k);
		*len += k;
	}
	return list;
}
