/*
 * Planted kernel faults for the hosted machine, run only when named
 * (ktest=sim_faults.<case>). Each ends the run through the fault handler (fault.c): its
 * report and the panic status are what the test suite checks. Not under ASan, which
 * reports these faults itself.
 */
#include <amphi/ktest.h>

/* Below any mapping the host gives a process. */
#define SIM_FAULT_UNMAPPED_ADDRESS 0x1000UL

/* Recurses with a 512-byte frame until the boot stack's guard page stops it. */
static __attribute__((noinline)) unsigned sim_fault_ktest_recurse(unsigned depth)
{
	volatile char frame[512];

	frame[0] = (char)depth;
	if (depth == ~0u) /* never: keeps the recursion from being provably endless */
		return 0;
	return sim_fault_ktest_recurse(depth + 1) + (unsigned)frame[0];
}

static void null_page_read(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, *(volatile uint64_t *)SIM_FAULT_UNMAPPED_ADDRESS, 0);
}

static void stack_overflow(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, sim_fault_ktest_recurse(0), 0);
}

static const struct ktest_case sim_fault_cases[] = {
    KTEST_CASE(null_page_read),
    KTEST_CASE(stack_overflow),
    {0},
};
KTEST_SUITE_MANUAL(sim_fault_suite, "sim_faults", sim_fault_cases);
