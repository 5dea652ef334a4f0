/* Unit tests of the KTAP parser (harness/ktap.c) that amphi-run judges every run with. */
#include "unit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktap.h"

/* Feeds text line by line and finishes the stream. */
static void parse(struct ktap *k, const char *text)
{
	char line[2048];
	ktap_init(k);
	while (*text) {
		size_t n = strcspn(text, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)n, text);
		ktap_feed(k, line);
		text += n + (text[n] == '\n');
	}
	ktap_finish(k);
}

/* What Amphi's ktest prints, with boot messages around it. */
static const char kernel_run[] = "amphi: x86_64 on hosted, cmdline \"ktest=all\"\n"
				 "KTAP version 1\n"
				 "1..2\n"
				 "    KTAP version 1\n"
				 "    # Subtest: kmalloc\n"
				 "    1..3\n"
				 "    ok 1 small\n"
				 "    # a diagnostic\n"
				 "    ok 2 large # SKIP no memory\n"
				 "    ok 3 zero\n"
				 "# kmalloc: pass:2 fail:0 skip:1 total:3\n"
				 "ok 1 kmalloc\n"
				 "    KTAP version 1\n"
				 "    # Subtest: fdt\n"
				 "    1..1\n"
				 "    ok 1 open\n"
				 "ok 2 fdt\n"
				 "ktest: PASS\n"
				 "amphi: power off, status 0\n";

static void test_nested_pass_with_skip(void)
{
	struct ktap k;
	parse(&k, kernel_run);
	CU_ASSERT_TRUE(ktap_passed(&k));
	CU_ASSERT_EQUAL(k.errors, 0);
	CU_ASSERT_EQUAL(k.totals.suites, 2);
	CU_ASSERT_EQUAL(k.totals.cases, 4);
	CU_ASSERT_EQUAL(k.totals.ok, 3);
	CU_ASSERT_EQUAL(k.totals.skipped, 1);
	CU_ASSERT_EQUAL(k.totals.failed, 0);
}

static void test_failure_is_named(void)
{
	struct ktap k;
	parse(&k, "KTAP version 1\n1..1\n    # Subtest: kmalloc\n    1..2\n    ok 1 small\n"
		  "    not ok 2 large_alloc\nnot ok 1 kmalloc\n");
	CU_ASSERT_FALSE(ktap_passed(&k));
	CU_ASSERT_EQUAL(k.totals.failed, 1);
	CU_ASSERT_EQUAL(k.totals.suites_failed, 1);
	CU_ASSERT_STRING_EQUAL(k.first_failure, "kmalloc.large_alloc");
	CU_ASSERT_EQUAL(k.errors, 0);
}

static void test_suite_failure_without_case_failure(void)
{
	struct ktap k;
	parse(&k, "KTAP version 1\n1..1\n    # Subtest: s\n    1..1\n    ok 1 c\nnot ok 1 s\n");
	CU_ASSERT_FALSE(ktap_passed(&k));
	CU_ASSERT_STRING_EQUAL(k.first_failure, "s");
}

static void test_missing_plans(void)
{
	struct ktap k;
	parse(&k, "KTAP version 1\nok 1 a\nok 2 b\n");
	CU_ASSERT_FALSE(ktap_passed(&k));
	CU_ASSERT_PTR_NOT_NULL(strstr(k.first_error, "no plan"));

	parse(&k, "KTAP version 1\n1..1\n    # Subtest: s\n    ok 1 c\nok 1 s\n");
	CU_ASSERT_FALSE(ktap_passed(&k));
	CU_ASSERT_PTR_NOT_NULL(strstr(k.first_error, "s has no plan"));
}

static void test_unfulfilled_plans(void)
{
	struct ktap k;
	parse(&k, "KTAP version 1\n1..3\nok 1 a\nok 2 b\n");
	CU_ASSERT_FALSE(ktap_passed(&k));
	CU_ASSERT_PTR_NOT_NULL(strstr(k.first_error, "planned 3 tests but ran 2"));

	parse(&k, "KTAP version 1\n1..1\n    # Subtest: s\n    1..2\n    ok 1 c\nok 1 s\n");
	CU_ASSERT_FALSE(ktap_passed(&k));
	CU_ASSERT_PTR_NOT_NULL(strstr(k.first_error, "s planned 2 tests but ran 1"));
}

static void test_truncated_stream(void)
{
	struct ktap k;
	char cut[sizeof(kernel_run)];
	/* Cut the run after every line: only the complete stream passes. */
	for (size_t n = 0; n < sizeof(kernel_run) - 1; n++) {
		if (kernel_run[n] != '\n')
			continue;
		memcpy(cut, kernel_run, n + 1);
		cut[n + 1] = '\0';
		parse(&k, cut);
		bool complete = strstr(cut, "ok 2 fdt\n") != NULL;
		CU_ASSERT_EQUAL(ktap_passed(&k), complete);
		if (!complete)
			CU_ASSERT_NOT_EQUAL(k.first_error[0], '\0');
	}
	parse(&k, "KTAP version 1\n1..1\n    # Subtest: s\n    1..2\n    ok 1 c\npanic: oops\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(k.first_error, "inside subtest s"));
}

static void test_no_stream(void)
{
	struct ktap k;
	parse(&k, "amphi: booting\npanic: early\n");
	CU_ASSERT_FALSE(ktap_passed(&k));
	CU_ASSERT_PTR_NOT_NULL(strstr(k.first_error, "no KTAP output"));
	parse(&k, "");
	CU_ASSERT_FALSE(ktap_passed(&k));
}

static void test_garbage_is_ignored(void)
{
	struct ktap k;
	parse(&k, "garbage before\n\x01\x02\xff binary\nKTAP version 1\n1..2\nrandom log line\n"
		  "    # Subtest: s\n        deeper garbage\n    1..1\n  half indented junk\n"
		  "    ok 1 c\nokay this is not a result\nok 1 s\nnot okay either\nok 2 flat\n"
		  "trailing noise\nnot ok 9 after the end\n");
	CU_ASSERT_TRUE(ktap_passed(&k));
	CU_ASSERT_EQUAL(k.totals.cases, 2);
	CU_ASSERT_EQUAL(k.totals.suites, 1);
}

static void test_bail_out(void)
{
	struct ktap k;
	parse(&k, "KTAP version 1\n1..2\nok 1 a\nBail out! disk on fire\nok 2 b\n");
	CU_ASSERT_FALSE(ktap_passed(&k));
	CU_ASSERT_TRUE(k.bailed_out);
	CU_ASSERT_PTR_NOT_NULL(strstr(k.first_error, "disk on fire"));
}

static void test_older_kunit_and_tap_styles(void)
{
	struct ktap k;
	/* Older KUnit: header before the nested version, "- " before descriptions. */
	parse(&k, "TAP version 14\n1..1\n    # Subtest: ex\n    1..2\n    ok 1 - a\n"
		  "    ok 2 - b # SKIP\nok 1 - ex\n");
	CU_ASSERT_TRUE(ktap_passed(&k));
	CU_ASSERT_EQUAL(k.totals.skipped, 1);
	/* Plain TAP with the plan at the end and CRLF endings. */
	parse(&k, "TAP version 13\r\nok 1 - one\r\nnot ok 2 - two # TODO later\r\n1..2\r\n");
	CU_ASSERT_TRUE(ktap_passed(&k));
	CU_ASSERT_EQUAL(k.totals.cases, 2);
	/* Tabs for indentation. */
	parse(&k, "KTAP version 1\n1..1\n\t# Subtest: t\n\t1..1\n\tok 1 c\nok 1 t\n");
	CU_ASSERT_TRUE(ktap_passed(&k));
}

static void test_numbering_and_duplicates(void)
{
	struct ktap k;
	parse(&k, "KTAP version 1\n1..2\nok 1 a\nok 3 b\n");
	CU_ASSERT_FALSE(ktap_passed(&k));
	CU_ASSERT_PTR_NOT_NULL(strstr(k.first_error, "out of order"));
	parse(&k, "KTAP version 1\n1..2\n1..2\nok 1 a\nok 2 b\n");
	CU_ASSERT_FALSE(ktap_passed(&k));
	CU_ASSERT_PTR_NOT_NULL(strstr(k.first_error, "second plan"));
}

static void test_subtest_without_result(void)
{
	struct ktap k;
	parse(&k, "KTAP version 1\n1..2\n    # Subtest: a\n    1..1\n    ok 1 x\n"
		  "    # Subtest: b\n    1..1\n    ok 1 y\nok 1 b\n");
	CU_ASSERT_FALSE(ktap_passed(&k));
	CU_ASSERT_PTR_NOT_NULL(strstr(k.first_error, "subtest a has no result line"));
}

static void test_very_deep_nesting(void)
{
	char text[16384] = "KTAP version 1\n1..1\n";
	for (int d = 1; d < 40; d++) {
		size_t n = strlen(text);
		snprintf(text + n, sizeof(text) - n, "%*s# Subtest: d%d\n%*s1..1\n", 4 * d, "", d,
			 4 * d, "");
	}
	struct ktap k;
	parse(&k, text);
	CU_ASSERT_FALSE(ktap_passed(&k));
	CU_ASSERT_PTR_NOT_NULL(strstr(k.first_error, "deeper than"));
}

/* xorshift32 for the random streams. */
static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void test_random_streams_do_not_crash(void)
{
	static const char *const parts[] = {"KTAP version 1",
					    "1..",
					    "ok ",
					    "not ok ",
					    "# Subtest: ",
					    "# SKIP",
					    "#",
					    "Bail out!",
					    "-",
					    " ",
					    "    ",
					    "\t",
					    "9",
					    "99999999999999999999",
					    "x",
					    "TAP version 13"};
	uint32_t seed = 88172645u;
	for (int iter = 0; iter < 2000; iter++) {
		struct ktap k;
		ktap_init(&k);
		for (int l = 0; l < 60; l++) {
			char line[256] = "";
			int nparts = (int)(rng(&seed) % 6);
			for (int p = 0; p < nparts; p++)
				strncat(line, parts[rng(&seed) % 16],
					sizeof(line) - strlen(line) - 1);
			ktap_feed(&k, line);
		}
		ktap_finish(&k);
		CU_ASSERT_FATAL(strlen(k.first_error) < sizeof(k.first_error));
		CU_ASSERT_FATAL(k.depth >= 0 && k.depth < KTAP_MAX_DEPTH);
	}
}

int unit_register(void)
{
	static CU_TestInfo tests[] = {
	    {"nested_pass_with_skip", test_nested_pass_with_skip},
	    {"failure_is_named", test_failure_is_named},
	    {"suite_failure_without_case_failure", test_suite_failure_without_case_failure},
	    {"missing_plans", test_missing_plans},
	    {"unfulfilled_plans", test_unfulfilled_plans},
	    {"truncated_stream", test_truncated_stream},
	    {"no_stream", test_no_stream},
	    {"garbage_is_ignored", test_garbage_is_ignored},
	    {"bail_out", test_bail_out},
	    {"older_kunit_and_tap_styles", test_older_kunit_and_tap_styles},
	    {"numbering_and_duplicates", test_numbering_and_duplicates},
	    {"subtest_without_result", test_subtest_without_result},
	    {"very_deep_nesting", test_very_deep_nesting},
	    {"random_streams_do_not_crash", test_random_streams_do_not_crash},
	    CU_TEST_INFO_NULL,
	};
	return unit_add_suite("ktap", tests);
}
