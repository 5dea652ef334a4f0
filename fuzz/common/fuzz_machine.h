/*
 * fuzz_machine.h: the hosted machine as the fuzz targets use it. It boots once, inside the
 * calling program (the kernel as a library: the caller's thread is CPU 0), prepares the
 * served process's world, and is saved; each input then runs from that state and
 * fuzz_machine_reset puts it back. In the ordinary hosted build (amphi-fuzz-repro) there is
 * no snapshot (fuzz_machine_no_snapshot): one input runs on a freshly booted machine.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <amphi/plat/hostcall.h>

/* Boots the machine (quiet unless AMPHI_FUZZ_VERBOSE is set in the environment; with the
 * planted bug AMPHI_FUZZ_PLANTED names armed, in the fuzz build), builds
 * the file tree the targets play in (fuzz_machine_tree) and, when snapshot is true, saves
 * it. Returns 0 or exits with a line saying what failed. */
int fuzz_machine_start(bool snapshot);

/* Makes fuzz_machine_start take no snapshot, whatever its caller asks (the ordinary hosted
 * build cannot: amphi-fuzz-repro replays one input per boot). Call it before the start. */
void fuzz_machine_no_snapshot(void);

/* Has served task call->task (0: the served process's first) run call (a syscall or a
 * kernel function), once it is free; its result. */
long fuzz_machine_call(struct plat_hostcall *call);

/* Hands call to served task call->task and runs the machine until it is still: 0, with
 * call->done telling whether the call ended (until it has, the kernel may write call and
 * its buffers), or -ESRCH (no such task), -EBUSY (it serves a call), -ESHUTDOWN. */
int fuzz_machine_issue(struct plat_hostcall *call);

/* Lets the machine go on, time passing, until it is still again: 0, or -EDEADLK when
 * nothing can happen there any more. */
int fuzz_machine_run(void);

/* Ends every served task but the first (as exit(0)); they leave as the machine runs. */
void fuzz_machine_end_tasks(void);

/* The served tasks (PLAT_HOSTCALL_TASKS) as the machine last stood still. */
const struct plat_hostcall_task *fuzz_machine_tasks(void);

/* Runs fn(arg) in the served process's kernel context; its result. */
long fuzz_machine_kcall(long (*fn)(void *arg), void *arg);

/* Puts the machine back as it was saved (nothing without a snapshot). */
void fuzz_machine_reset(void);

/* True when resets copy back only the pages an input wrote. */
bool fuzz_machine_tracks_writes(void);

/* Resets so far, the pages they put back, and the pages put back at every reset (no
 * longer tracked), for the benchmark. */
void fuzz_machine_stats(uint64_t *resets, uint64_t *pages, uint64_t *hot);
