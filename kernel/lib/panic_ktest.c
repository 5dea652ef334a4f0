/*
 * Planted panics, run only when named (ktest=panic.<case>). The test suite runs them on
 * every target to check that a failed assertion reaches panic(), prints a backtrace
 * (symbolized in the hosted build) and powers off with the panic status.
 */
#include <amphi/ktest.h>
#include <amphi/panic.h>

/* Kept out of line and uncloned (no .constprop copy at -O2) so the backtrace shows a frame
 * of its own under its own name. */
#ifdef __clang__
#define PANIC_KTEST_OWN_FRAME __attribute__((noinline)) /* clang makes no such copies */
#else
#define PANIC_KTEST_OWN_FRAME __attribute__((noipa))
#endif
static PANIC_KTEST_OWN_FRAME void panic_check_invariant(volatile int value)
{
	assert(value == 42);
}

static void assert_fails(struct ktest *t)
{
	panic_check_invariant(41);
	ktest_fail(t, __FILE__, __LINE__, "a failed assertion returned");
}

static const struct ktest_case panic_cases[] = {
    KTEST_CASE(assert_fails),
    {0},
};
KTEST_SUITE_MANUAL(panic_suite, "panic", panic_cases);
