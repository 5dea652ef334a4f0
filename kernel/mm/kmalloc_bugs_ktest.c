/*
 * Planted kmalloc misuse, run only when named (ktest=kmalloc_bugs.<case>). The test suite
 * runs these to prove that Valgrind memcheck and ASan catch use-after-free and double free
 * inside the kernel; on a plain run the double free ends in the kernel's own panic.
 */
#include <amphi/ktest.h>
#include <amphi/mm.h>

static void use_after_free(struct ktest *t)
{
	volatile unsigned char *p = kmalloc(48);

	KTEST_ASSERT(t, p != NULL);
	p[0] = 0x5a;
	kfree((void *)p);
	unsigned char stale = p[0]; /* the bug: a read of freed memory */
	(void)stale;
}

static void double_free(struct ktest *t)
{
	void *p = kmalloc(48);

	KTEST_ASSERT(t, p != NULL);
	kfree(p);
	kfree(p); /* the bug: panics "kfree: double free of ..." unless a checker stops first */
	ktest_fail(t, __FILE__, __LINE__, "the second kfree returned");
}

static const struct ktest_case kmalloc_bugs_cases[] = {
    KTEST_CASE(use_after_free),
    KTEST_CASE(double_free),
    {0},
};
KTEST_SUITE_MANUAL(kmalloc_bugs_suite, "kmalloc_bugs", kmalloc_bugs_cases);
