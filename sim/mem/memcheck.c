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

/* Under ASan, where the kernel's recent frees came from: ASan knows nothing of the
 * kernel's allocator, so a use after free would otherwise be reported without the stack
 * that freed the block (the part that names the bug). */
#define FREE_LOG_SIZE 1024
#define FREE_LOG_FRAMES 8
static struct {
	struct {
		uintptr_t lo, hi;
		uintptr_t pc[FREE_LOG_FRAMES];
	} entry[FREE_LOG_SIZE];
	unsigned next;
} free_log;

/* Records the freeing of [p, p + n) with the frame-pointer chain of the caller. */
static __attribute__((noinline)) void free_log_note(void *p, size_t n)
{
	unsigned i = __atomic_fetch_add(&free_log.next, 1, __ATOMIC_RELAXED) % FREE_LOG_SIZE;
	uintptr_t *fp = __builtin_frame_address(0), lo = 0, hi = 0;

	free_log.entry[i].lo = (uintptr_t)p;
	free_log.entry[i].hi = (uintptr_t)p + n;
	bool walkable = sim_stack_find((uintptr_t)fp, &lo, &hi);
	fp = walkable ? (uintptr_t *)fp[0] : NULL; /* from plat_mem_free_hook's caller on */
	for (unsigned f = 0; f < FREE_LOG_FRAMES; f++) {
		bool ok = walkable && (uintptr_t)fp >= lo && (uintptr_t)fp + 16 <= hi;
		free_log.entry[i].pc[f] = ok ? fp[1] : 0;
		fp = ok ? (uintptr_t *)fp[0] : NULL;
	}
}

/* After an ASan report on kernel memory: prints where the block holding the bad address
 * was last freed, when the log still has it. */
static void free_log_report(void)
{
	uintptr_t addr = (uintptr_t)tool_asan_report_address();
	char line[256];

	for (unsigned k = 1; addr && k <= FREE_LOG_SIZE; k++) {
		unsigned i = (free_log.next - k) % FREE_LOG_SIZE;
		if (addr < free_log.entry[i].lo || addr >= free_log.entry[i].hi)
			continue;
		fprintf(stderr, "amphi: %#lx is in a kernel block [%#lx, %#lx) freed by:\n",
			(unsigned long)addr, (unsigned long)free_log.entry[i].lo,
			(unsigned long)free_log.entry[i].hi);
		for (unsigned f = 0; f < FREE_LOG_FRAMES && free_log.entry[i].pc[f]; f++) {
			plat_symbolize(free_log.entry[i].pc[f], line, sizeof(line));
			fprintf(stderr, "    #%u %s\n", f, line);
		}
		return;
	}
}

/* ASan's report callback (the report's text is not needed). */
static void free_log_on_report(const char *report)
{
	(void)report;
	free_log_report();
}

void sim_memcheck_init(void)
{
	tool_on_asan_report(free_log_on_report);
}

/* Under memcheck, freeing a block that is not live is reported as "Invalid free()". */
void plat_mem_free_hook(void *p, size_t n)
{
	sim_asan_check_free(p, n);
	if (SIM_ASAN)
		free_log_note(p, n);
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
