/*
 * ktest: in-kernel tests that print KTAP version 1 (the format of Linux KUnit).
 *
 *   static void test_x(struct ktest *t) { KTEST_EXPECT_EQ(t, 1 + 1, 2); }
 *   static const struct ktest_case x_cases[] = { KTEST_CASE(test_x), {0} };
 *   KTEST_SUITE(x_suite, "x", x_cases);
 *
 * Selected by the command line: ktest=all runs every suite that is not manual;
 * ktest=<suite> runs one suite (manual ones too); ktest=<suite>.<case> one case.
 */
#pragma once

#include <amphi/types.h>

struct ktest; /* per-case context */

struct ktest_case {
	const char *name;
	void (*run)(struct ktest *t);
};

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases; /* terminated by an entry with run == NULL */
	bool manual;			/* left out of ktest=all: planted bugs and the like */
};

#define KTEST_CASE(fn)  \
	{               \
#fn, fn \
	}

#define KTEST_REGISTER_(sym)                             \
	static const struct ktest_suite *const sym##_ptr \
	    __attribute__((used, section("ktest_suites"), aligned(sizeof(void *)))) = &sym

/* Defines and registers a suite run by ktest=all. */
#define KTEST_SUITE(sym, name_, cases_)                               \
	static const struct ktest_suite sym = {name_, cases_, false}; \
	KTEST_REGISTER_(sym)

/* Defines and registers a suite that runs only when named: ktest=<name>. */
#define KTEST_SUITE_MANUAL(sym, name_, cases_)                       \
	static const struct ktest_suite sym = {name_, cases_, true}; \
	KTEST_REGISTER_(sym)

/* Records a failed check with its location and message; the case goes on. */
void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
    PRINTF_LIKE(4, 5);

/* Marks the case skipped with a reason (KTAP "# SKIP"). */
void ktest_skip(struct ktest *t, const char *reason);

/* True once any check in the case has failed. */
bool ktest_failed(const struct ktest *t);

/* Runs the selection ("all", "<suite>" or "<suite>.<case>"), printing KTAP and then a
 * verdict line, "ktest: PASS" or "ktest: FAIL" (or says that nothing matches).
 * Returns 0 when every case run passed or was skipped, the number of failed cases
 * otherwise, or -ENOENT when the selection matches nothing. */
int ktest_run(const char *selection);

#define KTEST_EXPECT(t, cond)                                                      \
	do {                                                                       \
		if (!(cond))                                                       \
			ktest_fail((t), __FILE__, __LINE__, "expected %s", #cond); \
	} while (0)

#define KTEST_EXPECT_EQ(t, a, b)                                                                \
	do {                                                                                    \
		long long ktest_a_ = (long long)(a), ktest_b_ = (long long)(b);                 \
		if (ktest_a_ != ktest_b_)                                                       \
			ktest_fail((t), __FILE__, __LINE__, "expected %s == %s (%lld vs %lld)", \
				   #a, #b, ktest_a_, ktest_b_);                                 \
	} while (0)

#define KTEST_EXPECT_NE(t, a, b)                                                                 \
	do {                                                                                     \
		long long ktest_a_ = (long long)(a), ktest_b_ = (long long)(b);                  \
		if (ktest_a_ == ktest_b_)                                                        \
			ktest_fail((t), __FILE__, __LINE__, "expected %s != %s (both %lld)", #a, \
				   #b, ktest_a_);                                                \
	} while (0)

#define KTEST_EXPECT_STREQ(t, a, b)                                                              \
	do {                                                                                     \
		const char *ktest_a_ = (a), *ktest_b_ = (b);                                     \
		if (!ktest_a_ || !ktest_b_ || strcmp(ktest_a_, ktest_b_) != 0)                   \
			ktest_fail(                                                              \
			    (t), __FILE__, __LINE__, "expected %s == %s (\"%s\" vs \"%s\")", #a, \
			    #b, ktest_a_ ? ktest_a_ : "(null)", ktest_b_ ? ktest_b_ : "(null)"); \
	} while (0)

/* Like KTEST_EXPECT, but ends the case at once on failure (for checks later ones rely on). */
#define KTEST_ASSERT(t, cond)                                                       \
	do {                                                                        \
		if (!(cond)) {                                                      \
			ktest_fail((t), __FILE__, __LINE__, "assertion %s", #cond); \
			return;                                                     \
		}                                                                   \
	} while (0)
