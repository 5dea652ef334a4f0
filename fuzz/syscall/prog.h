/*
 * prog.h: a fuzz input read as a program of Linux syscalls (fuzz/syscall/desc.c describes
 * each call's arguments), run by the served process as it is decoded, so later calls can
 * use what earlier ones returned (descriptors, mapped addresses, pids).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROG_MAX_CALLS 32 /* a longer input's rest is ignored */

/* Decodes and runs the program in data; when out is set, prints each call with its
 * arguments and result as it runs. Returns the number of calls run; *results (when set)
 * gets a hash of every call's result and output buffers. */
int prog_run(const uint8_t *data, size_t size, FILE *out, uint64_t *results);

/* Writes the names of the syscalls of the kernel's table that no description covers to
 * out, one per line, with why; returns how many have no description and no reason. */
int prog_check_table(FILE *out);
