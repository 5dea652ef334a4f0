/*
 * Runs every registered CUnit suite and reports in KTAP version 1: one subtest per suite,
 * one result per test, CUnit's failure records as diagnostics.
 */
#include "unit.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned unit_suite_number, unit_test_number, unit_tests_failed;

/* Opens a suite's subtest. */
static void unit_on_suite_start(const CU_pSuite suite)
{
	unit_suite_number++;
	unit_test_number = 0;
	unit_tests_failed = 0;
	printf("    KTAP version 1\n    # Subtest: %s\n    1..%u\n", suite->pName,
	       suite->uiNumberOfTests);
	fflush(stdout);
}

/* Prints a test's result and its failed assertions. */
static void unit_on_test_complete(const CU_pTest test, const CU_pSuite suite,
				  const CU_pFailureRecord failures)
{
	(void)suite;
	unit_test_number++;
	unit_tests_failed += failures != NULL;
	for (CU_pFailureRecord f = failures; f; f = f->pNext)
		printf("    # %s:%u: %s\n", f->strFileName ? f->strFileName : "?", f->uiLineNumber,
		       f->strCondition ? f->strCondition : "?");
	printf("    %s %u %s\n", failures ? "not ok" : "ok", unit_test_number, test->pName);
	fflush(stdout);
}

/* Closes a suite's subtest with its result. */
static void unit_on_suite_complete(const CU_pSuite suite, const CU_pFailureRecord failures)
{
	(void)failures;
	printf("%s %u %s\n", unit_tests_failed ? "not ok" : "ok", unit_suite_number, suite->pName);
	fflush(stdout);
}

/* Reports a suite whose set-up failed: its tests did not run. */
static void unit_on_suite_init_failure(const CU_pSuite suite)
{
	unit_suite_number++;
	printf("    # Subtest: %s\n    1..0\n# suite set-up failed\nnot ok %u %s\n", suite->pName,
	       unit_suite_number, suite->pName);
	fflush(stdout);
}

int unit_add_suite(const char *name, CU_TestInfo *tests)
{
	CU_pSuite suite = CU_add_suite(name, NULL, NULL);
	if (!suite)
		return -1;
	for (CU_TestInfo *t = tests; t->pName; t++)
		if (!CU_add_test(suite, t->pName, t->pTestFunc))
			return -1;
	return 0;
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS || unit_register() != 0) {
		fprintf(stderr, "unit: cannot set up CUnit: %s\n", CU_get_error_msg());
		return 2;
	}
	printf("KTAP version 1\n1..%u\n", CU_get_registry()->uiNumberOfSuites);
	fflush(stdout);
	CU_set_suite_start_handler(unit_on_suite_start);
	CU_set_test_complete_handler(unit_on_test_complete);
	CU_set_suite_complete_handler(unit_on_suite_complete);
	CU_set_suite_init_failure_handler(unit_on_suite_init_failure);
	CU_run_all_tests();
	unsigned failed = CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
