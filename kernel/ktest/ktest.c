/*
 * ktest runner: finds the suites registered in the "ktest_suites" section and prints
 * KTAP version 1, with each suite as an indented subtest, the way Linux KUnit does.
 */
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/ktest.h>
#include <amphi/string.h>

/* Bounds of the registration section: defined by the linker (GNU ld does it for any
 * section whose name is a C identifier; the bare-metal scripts define them explicitly). */
extern const struct ktest_suite *const __start_ktest_suites[] __attribute__((weak));
extern const struct ktest_suite *const __stop_ktest_suites[] __attribute__((weak));

struct ktest {
	bool failed;
	bool skipped;
	const char *skip_reason;
};

/* A parsed selection: suite name (length suite_len), optional case name. */
struct ktest_selection {
	bool all;
	const char *suite;
	size_t suite_len;
	const char *case_name; /* NULL: every case */
};

/* Totals over one run. */
struct ktest_totals {
	unsigned passed, failed, skipped;
};

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	t->failed = true;
	kprintf("    # %s:%d: ", file, line);
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kputs("\n");
}

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skipped = true;
	t->skip_reason = reason;
}

bool ktest_failed(const struct ktest *t)
{
	return t->failed;
}

/* Splits "all", "<suite>" or "<suite>.<case>" into sel. */
static void ktest_parse_selection(const char *selection, struct ktest_selection *sel)
{
	const char *dot = strchr(selection, '.');

	*sel = (struct ktest_selection){.suite = selection};
	sel->all = strcmp(selection, "all") == 0;
	sel->suite_len = dot ? (size_t)(dot - selection) : strlen(selection);
	sel->case_name = dot ? dot + 1 : NULL;
}

/* True when suite s is part of the selection. */
static bool ktest_suite_selected(const struct ktest_suite *s, const struct ktest_selection *sel)
{
	if (sel->all)
		return !s->manual;
	return strlen(s->name) == sel->suite_len &&
	       strncmp(s->name, sel->suite, sel->suite_len) == 0;
}

/* True when case c of a selected suite is part of the selection. */
static bool ktest_case_selected(const struct ktest_case *c, const struct ktest_selection *sel)
{
	return !sel->case_name || strcmp(c->name, sel->case_name) == 0;
}

/* Number of selected cases in suite s. */
static unsigned ktest_count_cases(const struct ktest_suite *s, const struct ktest_selection *sel)
{
	unsigned n = 0;

	for (const struct ktest_case *c = s->cases; c->run; c++)
		n += ktest_case_selected(c, sel);
	return n;
}

/* True when suite s is selected and has at least one selected case to run. */
static bool ktest_suite_runs(const struct ktest_suite *s, const struct ktest_selection *sel)
{
	return ktest_suite_selected(s, sel) && ktest_count_cases(s, sel) > 0;
}

/* Number of suites in the section. */
static size_t ktest_suite_count(void)
{
	if (!__start_ktest_suites || !__stop_ktest_suites)
		return 0;
	return (size_t)(__stop_ktest_suites - __start_ktest_suites);
}

/* Runs one case as subtest number n and prints its result line; updates totals. */
static void ktest_run_case(const struct ktest_case *c, unsigned n, struct ktest_totals *tot)
{
	struct ktest t = {0};

	c->run(&t);
	if (t.failed) {
		kprintf("    not ok %u %s\n", n, c->name);
		tot->failed++;
	} else if (t.skipped) {
		kprintf("    ok %u %s # SKIP %s\n", n, c->name, t.skip_reason ? t.skip_reason : "");
		tot->skipped++;
	} else {
		kprintf("    ok %u %s\n", n, c->name);
		tot->passed++;
	}
}

/* Runs the selected cases of suite s as top-level test number n. */
static void ktest_run_suite(const struct ktest_suite *s, unsigned n,
			    const struct ktest_selection *sel, struct ktest_totals *tot)
{
	unsigned failed_before = tot->failed, skipped_before = tot->skipped, i = 0;
	unsigned ncases = ktest_count_cases(s, sel);

	kprintf("    KTAP version 1\n    # Subtest: %s\n    1..%u\n", s->name, ncases);
	for (const struct ktest_case *c = s->cases; c->run; c++)
		if (ktest_case_selected(c, sel))
			ktest_run_case(c, ++i, tot);
	bool ok = tot->failed == failed_before;
	bool all_skipped = ncases > 0 && tot->skipped - skipped_before == ncases;
	kprintf("%s %u %s%s\n", ok ? "ok" : "not ok", n, s->name, all_skipped ? " # SKIP" : "");
}

int ktest_run(const char *selection)
{
	struct ktest_selection sel;
	struct ktest_totals tot = {0};
	size_t nsuites = ktest_suite_count();
	unsigned selected = 0, n = 0;

	ktest_parse_selection(selection, &sel);
	for (size_t i = 0; i < nsuites; i++)
		selected += ktest_suite_runs(__start_ktest_suites[i], &sel);
	if (selected == 0) {
		kprintf("ktest: no suite or case matches \"%s\"\n", selection);
		return -ENOENT;
	}
	kprintf("KTAP version 1\n1..%u\n", selected);
	for (size_t i = 0; i < nsuites; i++)
		if (ktest_suite_runs(__start_ktest_suites[i], &sel))
			ktest_run_suite(__start_ktest_suites[i], ++n, &sel, &tot);
	kprintf("# ktest: %u passed, %u failed, %u skipped\n", tot.passed, tot.failed, tot.skipped);
	kprintf("ktest: %s\n", tot.failed == 0 ? "PASS" : "FAIL");
	return (int)tot.failed;
}
