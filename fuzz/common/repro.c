/*
 * amphi-fuzz-repro: replays inputs of the syscall target in the ordinary hosted build and
 * prints each as the program it decodes to, a call per line with its result, like a
 * reproducer. Usage: amphi-fuzz-repro [--gdb] FILE | --check-table.
 *   --gdb          runs the same replay under gdb (break where you like, then `run`)
 *   --check-table  lists the kernel's syscalls without a description; fails when one has
 *                  no reason either
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_machine.h"
#include "prog.h"

#define REPRO_MAX_INPUT (1u << 20)

static int usage(void)
{
	fprintf(stderr, "usage: amphi-fuzz-repro [--gdb] FILE | --check-table\n");
	return 2;
}

/* Reads the input at path into buf; its size, or -1 with a line on stderr. */
static long read_input(const char *path, uint8_t *buf)
{
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "amphi-fuzz-repro: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, REPRO_MAX_INPUT, f);
	bool err = ferror(f);
	fclose(f);
	if (err) {
		fprintf(stderr, "amphi-fuzz-repro: %s: read error\n", path);
		return -1;
	}
	return (long)n;
}

int main(int argc, char **argv)
{
	static uint8_t input[REPRO_MAX_INPUT];

	if (argc == 2 && !strcmp(argv[1], "--check-table"))
		return prog_check_table(stdout) ? 1 : 0;
	if (argc == 3 && !strcmp(argv[1], "--gdb")) {
		char *gdb[] = {"gdb", "-q", "--args", argv[0], argv[2], NULL};
		execvp("gdb", gdb);
		fprintf(stderr, "amphi-fuzz-repro: cannot start gdb: %s\n", strerror(errno));
		return 127;
	}
	if (argc != 2 || argv[1][0] == '-')
		return usage();
	long n = read_input(argv[1], input);
	if (n < 0)
		return 1;
	fuzz_machine_start(false);
	int calls = prog_run(input, (size_t)n, stdout, NULL);
	printf("# %d calls, the kernel still serving\n", calls);
	return 0;
}
