/*
 * elf_exec.h: the kernel side of the ELF target (elf_exec.c, built as kernel code): one
 * execve of the input, already written to a file, by the served process, then a check of
 * the address space it got against the file.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One run: the file's path and bytes (host memory the kernel reads as its own). */
struct fuzz_elf_run {
	const char *path;
	const uint8_t *image;
	size_t size;
	bool plant; /* the check expects the first file byte of each segment flipped, so that
		     * a correct loader fails it: the proof that the check catches a wrong byte */
};

/* Runs in the served process (fuzz_machine_kcall): execve(run->path) as a program would
 * ask for it, up to the first instruction of the new program (not run). Panics when the
 * result breaks the loader's contract: an errno other than the ones a bad or unloadable
 * file gets, a success for a file elf_parse refuses, or a new address space whose segments
 * do not hold the file's bytes then zeros, or whose stack does not start with argc and
 * argv. Returns execve's result. */
long fuzz_elf_exec(void *run);
