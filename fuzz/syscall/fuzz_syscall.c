/*
 * The syscall target: each input decodes into a short program of Linux syscalls with typed
 * arguments (prog.c, desc.c), issued by the served process through the kernel's own
 * dispatcher; the machine is put back to its state after boot before the next input.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_machine.h"
#include "prog.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return fuzz_machine_start(true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	prog_run(data, size, NULL);
	fuzz_machine_reset();
	return 0;
}
