/*
 * prog.h: a fuzz input read as a program of Linux syscalls (fuzz/syscall/desc.c describes
 * each call's arguments), run by the served process as it is decoded, so later calls can
 * use what earlier ones returned (descriptors, mapped addresses, pids).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROG_MAX_CALLS 32 /* a longer input's rest is ignored */
#define PROG_TASK_MARK 0xf8 /* a call byte from here on: the next call's task */
#define PROG_SPAN_SELECTORS 8

/* Where one call of a program lies in its input: bytes [start, end), a task byte first
 * when task_byte is set, and the offsets of the bytes that pick a resource (a descriptor
 * or pid of an earlier call), the first PROG_SPAN_SELECTORS of them. */
struct prog_span {
	uint32_t start, end;
	bool task_byte;
	unsigned nselectors;
	uint32_t selector[PROG_SPAN_SELECTORS];
};

/* Decodes and runs the program in data; when out is set, prints each call with its
 * arguments and result as it runs. Returns the number of calls run; *results (when set)
 * gets a hash of every call's result and output buffers. */
int prog_run(const uint8_t *data, size_t size, FILE *out, uint64_t *results);

/* Writes the names of the syscalls of the kernel's table that no description covers to
 * out, one per line, with why; returns how many have no description and no reason. */
int prog_check_table(FILE *out);

/* Decodes the calls of the program in data without running them, into spans (room for
 * PROG_MAX_CALLS); returns how many. How many bytes a call takes does not depend on what
 * earlier calls returned, so the layout is the one prog_run would decode. */
unsigned prog_layout(const uint8_t *data, size_t size, struct prog_span *spans);

/* Limits programs to the syscalls named in names (comma-separated, as desc.c names them):
 * a call byte that picks another call picks one of these. NULL or "" leaves every call.
 * Returns 0, or -EINVAL (and says which) when a name has no description. */
int prog_enable(const char *names);

/* Compares prog_layout's calls of data with where the calls of the last prog_run of data
 * began: the number of the first call that differs, or -1 when all agree (of a program the
 * machine stopped, -ESHUTDOWN, only the calls it ran). */
int prog_check_layout(const uint8_t *data, size_t size);
