/*
 * `amphi exec PROGRAM [ARGS...]`: the host program travels to the kernel as an initial RAM
 * disk, a cpio newc archive (the format Linux's initramfs takes) holding it under its base
 * name, which /chosen "amphi,exec-path" gives as "/<name>", with its argv as the /chosen
 * string list "amphi,exec-argv".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim.h"

#define EXEC_STATUS_CANNOT_RUN 127 /* as a shell reports a command it cannot run */
#define CPIO_NEWC_HEADER 110

/* Exits with the shell's status for a program that cannot be run. */
static SIM_NORETURN void exec_fail(const char *program, const char *why)
{
	fprintf(stderr, "amphi: exec %s: %s\n", program, why);
	exit(EXEC_STATUS_CANNOT_RUN);
}

/* The host path of program: itself when it has a slash, else the first PATH entry holding
 * an executable of that name. */
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

/* Reads the whole file at path into a malloc'ed buffer of *size bytes. */
static void *exec_read(const char *program, const char *path, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		exec_fail(program, strerror(errno));
	if (!S_ISREG(st.st_mode))
		exec_fail(program, "not a regular file");
	uint8_t *buf = malloc((size_t)st.st_size + 1);
	size_t done = 0;
	while (buf && done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
		if (n <= 0)
			exec_fail(program, n < 0 ? strerror(errno) : "file shrank while read");
		done += (size_t)n;
	}
	close(fd);
	if (!buf)
		exec_fail(program, "out of memory");
	*size = done;
	return buf;
}

/* Appends one newc entry (header, name, data, each padded to 4 bytes) at out; returns the
 * bytes written. out NULL: only counts them. */
static size_t cpio_put(uint8_t *out, const char *name, unsigned mode, const void *data,
		       size_t size)
{
	size_t namesize = strlen(name) + 1;
	size_t head = (CPIO_NEWC_HEADER + namesize + 3) & ~(size_t)3;
	size_t total = head + ((size + 3) & ~(size_t)3);
	char hdr[CPIO_NEWC_HEADER + 32]; /* sizes above 4 GiB would need more than 8 digits */

	if (!out)
		return total;
	if (size > UINT32_MAX)
		exec_fail(name, "larger than a cpio newc archive can carry (4 GiB)");
	snprintf(hdr, sizeof(hdr), "070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08zx%08x",
		 1u, mode, 0u, 0u, 1u, 0u, size, 0u, 0u, 0u, 0u, namesize, 0u);
	memset(out, 0, total);
	memcpy(out, hdr, CPIO_NEWC_HEADER);
	memcpy(out + CPIO_NEWC_HEADER, name, namesize);
	if (size)
		memcpy(out + head, data, size);
	return total;
}

const char *sim_exec_name(const struct sim_options *opts)
{
	const char *slash = strrchr(opts->exec_argv[0], '/');
	const char *base = slash ? slash + 1 : opts->exec_argv[0];

	return *base ? base : "program";
}

void *sim_exec_initrd(const struct sim_options *opts, size_t *size)
{
	const char *program = opts->exec_argv[0];
	char *path = exec_find(program);
	size_t len;
	if (!path)
		exec_fail(program, "out of memory");
	void *image = exec_read(program, path, &len);
	const char *name = sim_exec_name(opts);
	size_t total = cpio_put(NULL, name, 0100755, image, len) +
		       cpio_put(NULL, "TRAILER!!!", 0, NULL, 0);
	uint8_t *archive = malloc(total);
	if (!archive)
		exec_fail(program, "out of memory");
	size_t at = cpio_put(archive, name, 0100755, image, len);
	cpio_put(archive + at, "TRAILER!!!", 0, NULL, 0);
	free(image);
	free(path);
	*size = total;
	return archive;
}

char *sim_exec_argv_list(const struct sim_options *opts, size_t *len)
{
	size_t total = 0;

	for (int i = 0; i < opts->exec_argc; i++)
		total += strlen(opts->exec_argv[i]) + 1;
	char *list = malloc(total);
	if (!list) {
		perror("amphi: exec arguments");
		exit(SIM_EXIT_HOST);
	}
	*len = 0;
	for (int i = 0; i < opts->exec_argc; i++) {
		size_t n = strlen(opts->exec_argv[i]) + 1;
		memcpy(list + *len, opts->exec_argv[i], n);
		*len += n;
	}
	return list;
}
