/*
 * Memory-checker hooks. The kernel's allocators describe their state through these; in
 * the hosted build Valgrind memcheck and ASan then catch use-after-free, double free and
 * reads of uninitialised memory inside the kernel. The Valgrind requests cost a few
 * instructions when not running under Valgrind.
 */
#include <stdio.h>

#include <amphi/plat.h>

#include "sim.h"

void plat_mem_alloc_hook(void *p, size_t n)
{
	VALGRIND_MALLOCLIKE_BLOCK(p, n, 0, 0);
	tool_asan_unpoison(p, n);
}

/* ASan has no notion of the kernel's blocks, so a second free of one shows up as the
 * block being poisoned already. Report it through ASan's own error path, which prints
 * the stack and where the memory came from, and ends the run. (Never true without ASan.) */
static __attribute__((noinline)) void sim_asan_check_free(void *p, size_t n)
{
	if (!tool_asan_is_poisoned(p))
		return;
	/* the report's stack starts at the caller: its pc and its frame record */
	void *caller_pc = __builtin_return_address(0);
	void *caller_fp = *(void **)__builtin_frame_address(0);

	fprintf(stderr, "amphi: double free: %p (%zu bytes) is already free\n", p, n);
	tool_asan_report(caller_pc, caller_fp, p, n);
}

/* Under memcheck, freeing a block that is not live is reported as "Invalid free()". */
void plat_mem_free_hook(void *p, size_t n)
{
	sim_asan_check_free(p, n);
	tool_asan_poison(p, n);
	VALGRIND_FREELIKE_BLOCK(p, 0);
}

void plat_mem_noaccess(void *p, size_t n)
{
	VALGRIND_MAKE_MEM_NOACCESS(p, n);
	tool_asan_poison(p, n);
}

void plat_mem_undefined(void *p, size_t n)
{
	VALGRIND_MAKE_MEM_UNDEFINED(p, n);
	tool_asan_unpoison(p, n);
}
