/*
 * The ELF target: each input is an executable file. The served process writes it to
 * /tmp/prog (mode 0755) and execs it (elf_exec.c, in its kernel context): a "#!" line is
 * followed, the image is checked and mapped into a fresh address space with its initial
 * stack, and that space is compared with the file; the new program's code is not run. Any
 * input must end in 0 or a clean errno, never a panic or a sanitizer report. The machine
 * is put back to its state after boot before the next input.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "amphi.h"
#include "elf_exec.h"
#include "fuzz_machine.h"

#define FUZZ_ELF_PATH "/tmp/prog"

static bool verbose; /* AMPHI_FUZZ_VERBOSE: execve's result per input on stderr */
static bool plant;   /* AMPHI_FUZZ_ELF_PLANT: the check's proof (struct fuzz_elf_run) */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	verbose = getenv("AMPHI_FUZZ_VERBOSE") != NULL;
	plant = getenv("AMPHI_FUZZ_ELF_PLANT") != NULL;
	return fuzz_machine_start(true);
}

/* Writes the input as FUZZ_ELF_PATH; exits on failure (the machine is broken then). */
static void write_program(const uint8_t *data, size_t size)
{
	long fd = amphi_sys_openat(AT_FDCWD, FUZZ_ELF_PATH, O_CREAT | O_WRONLY | O_TRUNC, 0755);
	long n = fd < 0 ? fd : amphi_sys_write((int)fd, data, size);

	if (n < 0 || (size_t)n != size) {
		fprintf(stderr, "fuzz-elf: cannot write %s: %ld\n", FUZZ_ELF_PATH, n);
		abort();
	}
	amphi_sys_close((int)fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_elf_run run = {
	    .path = FUZZ_ELF_PATH, .image = data, .size = size, .plant = plant};

	if (size > AMPHI_IO_MAX)
		return -1; /* not added to the corpus */
	write_program(data, size);
	long err = fuzz_machine_kcall(fuzz_elf_exec, &run);
	if (verbose)
		fprintf(stderr, "fuzz-elf: execve = %ld\n", err);
	fuzz_machine_reset();
	return 0;
}
