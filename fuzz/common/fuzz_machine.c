/*
 * The machine of the fuzz targets: booted once through libamphi, given a small file tree,
 * then saved (sim/snap/snapshot.c) and put back after every input.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amphi/plat/user.h>

#include "amphi.h"
#include "fuzz_machine.h"
#include "sim.h"

#define FUZZ_MEM_SIZE (32ULL << 20) /* small: a reset scans every page of it */

static bool fuzz_saved, fuzz_snapshot_off;

/* Prints what failed and exits: a machine that cannot start fuzzes nothing. */
static void fuzz_die(const char *what, long err)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, strerror((int)-err));
	exit(1);
}

/* A file of the tree with contents text. */
static void fuzz_file(const char *path, const char *text, mode_t mode)
{
	long fd = amphi_sys_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);

	if (fd < 0)
		fuzz_die(path, fd);
	long n = amphi_sys_write((int)fd, text, strlen(text));
	if (n < 0)
		fuzz_die(path, n);
	amphi_sys_close((int)fd);
}

/* A directory of the tree (one already there is fine). */
static void fuzz_dir(const char *path)
{
	long err = amphi_sys_mkdirat(AT_FDCWD, path, 0755);

	if (err < 0 && err != -EEXIST)
		fuzz_die(path, err);
}

/* The tree every input starts with: directories, files, a symlink, a fifo and the device
 * nodes, so that paths of the syscall descriptions (fuzz/syscall/desc.c) find things. */
static void fuzz_machine_tree(void)
{
	fuzz_dir("/tmp");
	fuzz_dir("/tmp/dir");
	fuzz_dir("/tmp/dir/sub");
	fuzz_file("/tmp/file", "amphi fuzz file\n", 0644);
	fuzz_file("/tmp/dir/exec", "#!/bin/sh\nexit 0\n", 0755);
	long err = amphi_sys_symlinkat("/tmp/file", AT_FDCWD, "/tmp/link");
	if (err < 0)
		fuzz_die("/tmp/link", err);
	err = amphi_sys_mknodat(AT_FDCWD, "/tmp/fifo", 0010644, 0);
	if (err < 0)
		fuzz_die("/tmp/fifo", err);
	err = amphi_sys_chdir("/tmp");
	if (err < 0)
		fuzz_die("chdir /tmp", err);
}

/* Probes the user CPU model (a kcall: on CPU 0, in the served task), which opens CPU 0's
 * CPU engine on first use. Done before the snapshot: an engine opened by an input would
 * be forgotten by the reset and leak, with its megabytes of tables, once per input (exec
 * asks for the hardware capabilities for its auxiliary vector). */
static long fuzz_machine_probe_cpu(void *unused)
{
	(void)unused;
	return (long)plat_user_hwcap();
}

/* AFL++'s fork server (its runtime, linked under afl-clang-fast; absent otherwise). */
void __afl_manual_init(void) __attribute__((weak));

int fuzz_machine_start(bool snapshot)
{
	struct amphi_config c;

	/* AFL++'s libFuzzer driver starts its fork server after LLVMFuzzerInitialize, so its
	 * children would inherit a booted machine whose RAM memfd they share with each other
	 * and whose CPU threads and write tracking fork does not copy: start it first, so each
	 * child boots its own machine (and runs many inputs on it, in persistent mode). */
	if (__afl_manual_init)
		__afl_manual_init();

	amphi_config_init(&c);
	c.mem_size = FUZZ_MEM_SIZE;
	c.verbose = getenv("AMPHI_FUZZ_VERBOSE") != NULL;
	c.console_fd = c.verbose ? 2 : -1;
	/* a planted bug (include/amphi/planted.h) to look for, in tests of the fuzzers */
	static char planted[64];
	const char *bug = getenv("AMPHI_FUZZ_PLANTED");
	if (bug && snprintf(planted, sizeof(planted), "planted_bugs=%s", bug) < (int)sizeof(planted))
		c.cmdline_extra = planted;
	int err = amphi_boot(&c);
	if (err)
		fuzz_die("boot", err);
	fuzz_machine_tree();
	if (!snapshot || fuzz_snapshot_off)
		return 0;
	fuzz_machine_kcall(fuzz_machine_probe_cpu, NULL);
	err = sim_snapshot_take();
	if (err)
		fuzz_die("snapshot", err);
	fuzz_saved = true;
	return 0;
}

void fuzz_machine_no_snapshot(void)
{
	fuzz_snapshot_off = true;
}

long fuzz_machine_call(struct plat_hostcall *call)
{
	return sim_hostcall(call);
}

int fuzz_machine_issue(struct plat_hostcall *call)
{
	return sim_hostcall_issue(call);
}

int fuzz_machine_run(void)
{
	return sim_hostcall_run();
}

void fuzz_machine_end_tasks(void)
{
	sim_hostcall_end_tasks();
}

const struct plat_hostcall_task *fuzz_machine_tasks(void)
{
	return sim_hostcall_tasks();
}

long fuzz_machine_kcall(long (*fn)(void *arg), void *arg)
{
	struct plat_hostcall call = {.kfn = fn, .karg = arg};

	return sim_hostcall(&call);
}

void fuzz_machine_reset(void)
{
	if (fuzz_saved)
		sim_snapshot_restore();
}

bool fuzz_machine_tracks_writes(void)
{
	return sim_snapshot_tracks_writes();
}

void fuzz_machine_stats(uint64_t *resets, uint64_t *pages, uint64_t *hot)
{
	struct sim_snapshot_stats s = sim_snapshot_stats();

	*resets = s.restores;
	*pages = s.pages;
	*hot = s.hot;
}
