/*
 * The syscall target: each input decodes into a short program of Linux syscalls with typed
 * arguments (prog.c, desc.c), issued by the served process through the kernel's own
 * dispatcher; the machine is put back to its state after boot before the next input.
 *
 * AMPHI_FUZZ_SELFCHECK=1 prints, per input, a hash of its results and one of the kernel
 * coverage it reached (the engine clears the counters before each input), so a test can
 * run A, B, A and compare, and aborts when the mutator's layout of the input (prog_layout)
 * puts a call elsewhere than the run decoded it; AMPHI_FUZZ_NO_RESET=1 leaves the machine
 * as the input left it (to show the A, B, A check failing). AMPHI_FUZZ_SYSCALLS=read,write,... limits the programs
 * to those syscalls (prog_enable), to search one subsystem.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_machine.h"
#include "prog.h"

/* The kernel's coverage counters (inline 8-bit counters of -fsanitize=fuzzer-no-link;
 * absent under AFL++'s instrumentation, where the hash covers nothing). */
extern uint8_t __start___sancov_cntrs[] __attribute__((weak));
extern uint8_t __stop___sancov_cntrs[] __attribute__((weak));

static bool selfcheck, no_reset;

/* AMPHI_FUZZ_STATS: what the resets did, at exit. */
static void print_stats(void)
{
	uint64_t resets, pages, hot;

	fuzz_machine_stats(&resets, &pages, &hot);
	printf("reset: %llu resets, %.1f pages put back per reset (%llu of them at every reset), "
	       "%s\n",
	       (unsigned long long)resets, resets ? (double)pages / (double)resets : 0.0,
	       (unsigned long long)hot,
	       fuzz_machine_tracks_writes() ? "written pages only (userfaultfd)"
					    : "everything (no userfaultfd)");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	selfcheck = getenv("AMPHI_FUZZ_SELFCHECK") != NULL;
	no_reset = getenv("AMPHI_FUZZ_NO_RESET") != NULL;
	if (getenv("AMPHI_FUZZ_STATS"))
		atexit(print_stats);
	if (prog_enable(getenv("AMPHI_FUZZ_SYSCALLS")))
		exit(2);
	return fuzz_machine_start(true);
}

/* A hash of which kernel edges the input reached (not how often). */
static uint64_t coverage_hash(void)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const uint8_t *c = __start___sancov_cntrs; c < __stop___sancov_cntrs; c++)
		h = (h ^ (*c ? (uint64_t)(c - __start___sancov_cntrs) : 0)) * 0x100000001b3ULL;
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t results;
	int calls = prog_run(data, size, NULL, &results);

	int wrong = selfcheck ? prog_check_layout(data, size) : -1;
	if (wrong >= 0) {
		fprintf(stderr, "selfcheck: the layout's call %d is not where the run decoded it\n",
			wrong);
		abort();
	}
	if (selfcheck)
		fprintf(stderr, "selfcheck: calls %d results %016llx coverage %016llx\n", calls,
			(unsigned long long)results, (unsigned long long)coverage_hash());
	if (!no_reset)
		fuzz_machine_reset();
	return 0;
}
