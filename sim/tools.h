/*
 * tools.h: the one place where the hosted machine talks to the checkers it may run under
 * (AddressSanitizer, ThreadSanitizer, Valgrind). Each call is a static inline wrapper that
 * is empty when the tool is absent from the build, so no sim function body has an #if.
 * Valgrind's client requests are always compiled in: they cost a few instructions when the
 * process does not run under Valgrind.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>

/* The sanitizer builds are detected here and only here; kernel code never sees them. */
#if defined(__SANITIZE_ADDRESS__)
#define SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_ASAN 1
#endif
#endif
#ifndef SIM_ASAN
#define SIM_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__)
#define SIM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIM_TSAN 1
#endif
#endif
#ifndef SIM_TSAN
#define SIM_TSAN 0
#endif

#if SIM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if SIM_TSAN
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/tsan_interface.h>
#endif

/* True when a sanitizer reports faults itself (the sim's fault handler stays out). */
#define SIM_SANITIZER_REPORTS_FAULTS (SIM_ASAN || SIM_TSAN)

/* Runs fn when a sanitizer ends the process after a report (it exits with _exit). */
#if SIM_ASAN || SIM_TSAN
static inline void tool_on_death(void (*fn)(void))
{
	__sanitizer_set_death_callback(fn);
}
#else
static inline void tool_on_death(void (*fn)(void))
{
	(void)fn;
}
#endif

/* True when an interrupt may be taken inside a host signal handler, whose handler may
 * switch threads so that the handler finishes on another host thread. TSan's runtime
 * cannot follow that (it checks errno and its own signal state across each handler), so
 * under TSan such interrupts wait for the CPU's next scheduling point or unmask. */
static inline bool tool_signal_may_switch(void)
{
	return !SIM_TSAN;
}

/* True when a fault handler may return into the kernel code that faulted, for it to go on
 * (RAM filled lazily). Not under Valgrind, which by default brings back only the stack
 * and frame pointers of the code that faulted, not every register; nor under TSan, whose
 * runtime stands between every handler and the code. */
static inline bool tool_faults_resume_code(void)
{
	return !SIM_TSAN && !RUNNING_ON_VALGRIND;
}

/* ------------------------------------------------------------------ Valgrind */

/* Valgrind: accesses to [p, p + n) are not errors (user windows that fault on first touch
 * by design). */
static inline void tool_ignore_range(const void *p, size_t n)
{
	VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(p, n);
}

/* Undoes tool_ignore_range (before exit, so Valgrind does not report it left in force). */
static inline void tool_unignore_range(const void *p, size_t n)
{
	VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(p, n);
}

/* Valgrind: [p, p + n) holds defined bytes (a value computed from partly undefined inputs
 * whose undefined parts the computation provably drops). */
static inline void tool_make_defined(const void *p, size_t n)
{
	VALGRIND_MAKE_MEM_DEFINED(p, n);
}

/* Tells Valgrind that [lo, hi) is a stack; returns its id for tool_stack_deregister. */
static inline unsigned tool_stack_register(void *lo, void *hi)
{
	return VALGRIND_STACK_REGISTER(lo, (uint8_t *)hi - 1); /* inclusive end */
}

/* Forgets a stack registered with tool_stack_register. */
static inline void tool_stack_deregister(unsigned id)
{
	VALGRIND_STACK_DEREGISTER(id);
}

/* ------------------------------------------------------------------ ASan: memory */

#if SIM_ASAN
static inline void tool_asan_poison(const void *p, size_t n)
{
	ASAN_POISON_MEMORY_REGION(p, n);
}
static inline void tool_asan_unpoison(const void *p, size_t n)
{
	ASAN_UNPOISON_MEMORY_REGION(p, n);
}
static inline bool tool_asan_is_poisoned(void *p)
{
	return __asan_address_is_poisoned(p);
}
/* Reports a bad access of n bytes at p through ASan's own error path; ends the run. */
static inline void tool_asan_report(void *pc, void *fp, void *p, size_t n)
{
	__asan_report_error(pc, fp, fp, p, 1, n);
}
/* Has fn called at the end of each ASan report, before the process dies. */
static inline void tool_on_asan_report(void (*fn)(const char *report))
{
	__asan_set_error_report_callback(fn);
}
/* The address of the access ASan is reporting (NULL when none, or without ASan). */
static inline void *tool_asan_report_address(void)
{
	return __asan_report_present() ? __asan_get_report_address() : NULL;
}
/* The shadow bytes [*lo, *hi) that describe [p, p + n); false without ASan. */
static inline bool tool_asan_shadow_of(const void *p, size_t n, void **lo, void **hi)
{
	size_t scale, offset;

	__asan_get_shadow_mapping(&scale, &offset);
	*lo = (void *)(((uintptr_t)p >> scale) + offset);
	*hi = (void *)((((uintptr_t)p + n + (1u << scale) - 1) >> scale) + offset);
	return true;
}
#else
static inline void tool_asan_poison(const void *p, size_t n)
{
	(void)p, (void)n;
}
static inline void tool_asan_unpoison(const void *p, size_t n)
{
	(void)p, (void)n;
}
static inline bool tool_asan_is_poisoned(void *p)
{
	(void)p;
	return false;
}
static inline void tool_asan_report(void *pc, void *fp, void *p, size_t n)
{
	(void)pc, (void)fp, (void)p, (void)n;
}
static inline bool tool_asan_shadow_of(const void *p, size_t n, void **lo, void **hi)
{
	(void)p, (void)n, (void)lo, (void)hi;
	return false;
}
static inline void *tool_asan_report_address(void)
{
	return NULL;
}
static inline void tool_on_asan_report(void (*fn)(const char *report))
{
	(void)fn;
}
#endif

/* ------------------------------------------------------------------ stack switches */

/*
 * A switch between stacks is announced to ASan (which keeps a fake stack per context) and
 * to TSan (which keeps a fiber per context). The sequence, on the thread that switches:
 *   tool_switch_begin(&save, to_lo, to_size, to_fiber);  ... switch ...
 *   tool_switch_end(save);     (first thing on the arriving side)
 * save is the leaving context's ASan fake stack, kept on the leaving stack itself.
 */
struct tool_switch {
	void *fake_stack; /* ASan: the leaving context's fake stack */
};

#if SIM_ASAN
static inline void tool_switch_begin(struct tool_switch *save, const void *to_lo, size_t to_size,
				     void *to_fiber, bool leaving_for_good)
{
	(void)to_fiber;
	__sanitizer_start_switch_fiber(leaving_for_good ? NULL : &save->fake_stack, to_lo, to_size);
}
static inline void tool_switch_end(struct tool_switch *save)
{
	__sanitizer_finish_switch_fiber(save ? save->fake_stack : NULL, NULL, NULL);
}
/* tool_switch_end that also gives the range of the stack just left (a host thread's own,
 * which no registry knows), so a later switch back can announce it. */
static inline void tool_switch_end_from(struct tool_switch *save, const void **lo, size_t *size)
{
	__sanitizer_finish_switch_fiber(save ? save->fake_stack : NULL, lo, size);
}
#elif SIM_TSAN
static inline void tool_switch_begin(struct tool_switch *save, const void *to_lo, size_t to_size,
				     void *to_fiber, bool leaving_for_good)
{
	(void)save, (void)to_lo, (void)to_size, (void)leaving_for_good;
	if (to_fiber) /* NULL: the thread keeps its own fiber */
		__tsan_switch_to_fiber(to_fiber, 0);
}
static inline void tool_switch_end(struct tool_switch *save)
{
	(void)save;
}
static inline void tool_switch_end_from(struct tool_switch *save, const void **lo, size_t *size)
{
	(void)save;
	*lo = NULL;
	*size = 0;
}
#else
static inline void tool_switch_begin(struct tool_switch *save, const void *to_lo, size_t to_size,
				     void *to_fiber, bool leaving_for_good)
{
	(void)save, (void)to_lo, (void)to_size, (void)to_fiber, (void)leaving_for_good;
}
static inline void tool_switch_end(struct tool_switch *save)
{
	(void)save;
}
static inline void tool_switch_end_from(struct tool_switch *save, const void **lo, size_t *size)
{
	(void)save;
	*lo = NULL;
	*size = 0;
}
#endif

/* ------------------------------------------------------------------ TSan fibers */

#if SIM_TSAN
/* A new TSan fiber for a context that has not run yet. */
static inline void *tool_fiber_create(void)
{
	return __tsan_create_fiber(0);
}
/* The fiber of the executing context (the host thread's own at first). */
static inline void *tool_fiber_current(void)
{
	return __tsan_get_current_fiber();
}
static inline void tool_fiber_destroy(void *fiber)
{
	__tsan_destroy_fiber(fiber);
}
/* Makes a happens-before edge from the thread that released addr to the one acquiring it:
 * the sim's own hand-offs through futexes and signals are invisible to TSan otherwise. */
static inline void tool_tsan_release(void *addr)
{
	__tsan_release(addr);
}
static inline void tool_tsan_acquire(void *addr)
{
	__tsan_acquire(addr);
}
#else
static inline void *tool_fiber_create(void)
{
	return NULL;
}
static inline void *tool_fiber_current(void)
{
	return NULL;
}
static inline void tool_fiber_destroy(void *fiber)
{
	(void)fiber;
}
static inline void tool_tsan_release(void *addr)
{
	(void)addr;
}
static inline void tool_tsan_acquire(void *addr)
{
	(void)addr;
}
#endif
