/*
 * amphi-fuzz-repro: replays an input of a fuzz target (fuzz/<target>/) in the ordinary hosted
 * build, on a freshly booted machine (no snapshot: one input per run). An input of the
 * syscall target (the default) is printed as the program it decodes to, a call per line
 * with its result, like a reproducer; an input of any other target runs through that
 * target's own code, its checks included (a failed check aborts, as in the fuzzer).
 * Usage: amphi-fuzz-repro [--gdb] [--target TARGET] FILE | --check-table.
 *   --gdb          runs the same replay under gdb (break where you like, then `run`)
 *   --target       the target FILE is an input of: syscall, fdt, cpio, cmdline, elf, ext2
 *   --check-table  lists the kernel's syscalls without a description; fails when one has
 *                  no reason either
 * A syscall input found with AMPHI_FUZZ_SYSCALLS set replays with the same setting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_machine.h"
#include "prog.h"

#define REPRO_MAX_INPUT (1u << 20)

/* The targets replayed through their libFuzzer entry points, which fuzz/CMakeLists.txt
 * renames fuzz_<target>_initialize and fuzz_<target>_test_one in this program: every
 * target of its FUZZ_TARGETS but syscall, which the replay decodes itself. */
#define REPRO_TARGETS(X) X(fdt) X(cpio) X(cmdline) X(elf) X(ext2)

#define REPRO_DECLARE(t)                                                                   \
	int fuzz_##t##_initialize(int *argc, char ***argv);                                \
	int fuzz_##t##_test_one(const uint8_t *data, size_t size);
REPRO_TARGETS(REPRO_DECLARE)

struct repro_target {
	const char *name;
	int (*initialize)(int *argc, char ***argv);
	int (*test_one)(const uint8_t *data, size_t size);
};

#define REPRO_ENTRY(t) {#t, fuzz_##t##_initialize, fuzz_##t##_test_one},
static const struct repro_target repro_targets[] = {REPRO_TARGETS(REPRO_ENTRY)};

static int usage(void)
{
	fprintf(stderr, "usage: amphi-fuzz-repro [--gdb] [--target TARGET] FILE | --check-table\n");
	return 2;
}

/* The target called name, or NULL with a line on stderr listing them. */
static const struct repro_target *find_target(const char *name)
{
	for (size_t i = 0; i < sizeof(repro_targets) / sizeof(repro_targets[0]); i++)
		if (!strcmp(repro_targets[i].name, name))
			return &repro_targets[i];
	fprintf(stderr, "amphi-fuzz-repro: no target '%s' (syscall", name);
	for (size_t i = 0; i < sizeof(repro_targets) / sizeof(repro_targets[0]); i++)
		fprintf(stderr, " %s", repro_targets[i].name);
	fprintf(stderr, ")\n");
	return NULL;
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
	bool err = ferror(f), more = !err && fgetc(f) != EOF;
	fclose(f);
	if (err || more) {
		fprintf(stderr, "amphi-fuzz-repro: %s: %s\n", path,
			err ? "read error" : "larger than the replay's 1 MiB");
		return -1;
	}
	return (long)n;
}

/* Runs the input of target t on a freshly booted machine; the exit status. */
static int replay_target(const struct repro_target *t, char **argv, const uint8_t *input, long n)
{
	int argc = 1;

	fuzz_machine_no_snapshot();
	t->initialize(&argc, &argv);
	int rejected = t->test_one(input, (size_t)n);
	printf("# %s: %ld bytes %s, the kernel still serving\n", t->name, n,
	       rejected ? "rejected by the target (not kept by the fuzzer)" : "run, its checks passed");
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t input[REPRO_MAX_INPUT];
	const char *target = "syscall";
	const struct repro_target *t = NULL;
	bool gdb = false;
	int i = 1;

	if (argc == 2 && !strcmp(argv[1], "--check-table"))
		return prog_check_table(stdout) ? 1 : 0;
	if (i < argc && !strcmp(argv[i], "--gdb"))
		gdb = true, i++;
	if (i + 1 < argc && !strcmp(argv[i], "--target"))
		target = argv[i + 1], i += 2;
	if (i != argc - 1 || argv[i][0] == '-')
		return usage();
	if (strcmp(target, "syscall") && !(t = find_target(target)))
		return 2;
	if (gdb) {
		char *cmd[] = {"gdb", "-q", "--args", argv[0], "--target", (char *)target, argv[i], NULL};
		execvp("gdb", cmd);
		fprintf(stderr, "amphi-fuzz-repro: cannot start gdb: %s\n", strerror(errno));
		return 127;
	}
	long n = read_input(argv[i], input);
	if (n < 0)
		return 1;
	if (t)
		return replay_target(t, argv, input, n);
	if (prog_enable(getenv("AMPHI_FUZZ_SYSCALLS")))
		return 2;
	fuzz_machine_start(false);
	int calls = prog_run(input, (size_t)n, stdout, NULL);
	printf("# %d calls, the kernel still serving\n", calls);
	return 0;
}
