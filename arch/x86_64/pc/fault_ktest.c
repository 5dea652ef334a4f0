/*
 * Planted CPU exceptions, run only when named (ktest=pc_faults.<case>). Each ends the run
 * with the exception report (vector, error code, registers, CR2 for page faults) and a
 * panic; the test suite checks the report.
 */
#include <amphi/ktest.h>

/* Below 1 MiB: never mapped once the kernel runs in the higher half. */
#define PC_FAULT_UNMAPPED_ADDRESS 0x1000UL

static void page_fault_read(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, *(volatile uint64_t *)PC_FAULT_UNMAPPED_ADDRESS, 0);
}

static void invalid_opcode(struct ktest *t)
{
	(void)t;
	__asm__ volatile("ud2");
}

static const struct ktest_case pc_fault_cases[] = {
    KTEST_CASE(page_fault_read),
    KTEST_CASE(invalid_opcode),
    {0},
};
KTEST_SUITE_MANUAL(pc_fault_suite, "pc_faults", pc_fault_cases);
