/* ktest: kmalloc size classes, alignment, zeroing, large blocks and counters. */
#include <amphi/arch.h>
#include <amphi/ktest.h>
#include <amphi/mm.h>
#include <amphi/string.h>

/* Fills n bytes at p with a pattern derived from seed. */
static void kmalloc_ktest_fill(void *p, size_t n, unsigned seed)
{
	unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(seed * 31 + i);
}

/* True when the n bytes at p still hold the pattern of seed. */
static bool kmalloc_ktest_intact(const void *p, size_t n, unsigned seed)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)(seed * 31 + i))
			return false;
	return true;
}

/* True when two kmalloc_stats hold the same figures. */
static bool kmalloc_ktest_same_stats(const struct kmalloc_stats *a, const struct kmalloc_stats *b)
{
	return a->objects == b->objects && a->bytes == b->bytes && a->large_pages == b->large_pages;
}

static void kmalloc_every_class(struct ktest *t)
{
	static const size_t sizes[] = {1,   15,	 16,  17,  31,	32,  33,   64,	 100,  128,  129,
				       255, 256, 257, 511, 512, 513, 1000, 1024, 1025, 2047, 2048};

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t n = sizes[i];
		void *p = kmalloc(n);
		KTEST_ASSERT(t, p != NULL);
		KTEST_EXPECT(t, IS_ALIGNED((uintptr_t)p, 16));
		size_t usable = kmalloc_usable_size(p);
		KTEST_EXPECT(t, usable >= n && usable >= 16 && usable <= KMALLOC_MAX_CLASS);
		KTEST_EXPECT(t, (usable & (usable - 1)) == 0); /* a power-of-two class */
		KTEST_EXPECT(t, usable < 2 * n || usable == 16);
		kmalloc_ktest_fill(p, n, (unsigned)i);
		KTEST_EXPECT(t, kmalloc_ktest_intact(p, n, (unsigned)i));
		kfree(p);
	}
}

static void kmalloc_zero_and_null(struct ktest *t)
{
	KTEST_EXPECT(t, kmalloc(0) == NULL);
	KTEST_EXPECT(t, kzalloc(0) == NULL);
	kfree(NULL);
	KTEST_EXPECT(t, kmalloc((size_t)-1) == NULL);
	KTEST_EXPECT(t, kmalloc((size_t)1 << 40) == NULL);
	for (size_t n = 8; n <= 8192; n *= 4) {
		unsigned char *p = kmalloc(n);
		KTEST_ASSERT(t, p != NULL);
		memset(p, 0xa5, n);
		kfree(p);
		p = kzalloc(n);
		KTEST_ASSERT(t, p != NULL);
		size_t nonzero = 0;
		for (size_t i = 0; i < n; i++)
			nonzero += p[i] != 0;
		KTEST_EXPECT_EQ(t, nonzero, 0);
		kfree(p);
	}
}

static void kmalloc_large_blocks(struct ktest *t)
{
	static const size_t sizes[] = {KMALLOC_MAX_CLASS + 1, 4096, 4097, 20000, 65536, 1 << 20};
	struct kmalloc_stats before, during;

	kmalloc_get_stats(&before);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t n = sizes[i];
		void *p = kmalloc(n);
		KTEST_ASSERT(t, p != NULL);
		KTEST_EXPECT(t, IS_ALIGNED((uintptr_t)p, PAGE_SIZE));
		size_t usable = kmalloc_usable_size(p);
		KTEST_EXPECT(t, usable >= n && usable < 2 * n + PAGE_SIZE);
		KTEST_EXPECT(t, IS_ALIGNED(usable, PAGE_SIZE));
		kmalloc_get_stats(&during);
		KTEST_EXPECT_EQ(t, during.large_pages - before.large_pages, usable / PAGE_SIZE);
		kmalloc_ktest_fill(p, n, 7);
		KTEST_EXPECT(t, kmalloc_ktest_intact(p, n, 7));
		kfree(p);
	}
	kmalloc_get_stats(&during);
	KTEST_EXPECT(t, kmalloc_ktest_same_stats(&before, &during));
}

/* Size of object i in kmalloc_many_objects: every class and a few large blocks. */
static size_t kmalloc_ktest_size_of(unsigned i)
{
	return 1 + (i * 37) % 3000;
}

static void kmalloc_many_objects(struct ktest *t)
{
	enum { N = 600 };
	void **objs = kmalloc(N * sizeof(void *));
	struct kmalloc_stats before, during;

	KTEST_ASSERT(t, objs != NULL);
	kmalloc_get_stats(&before);
	for (unsigned i = 0; i < N; i++) {
		objs[i] = kmalloc(kmalloc_ktest_size_of(i));
		KTEST_ASSERT(t, objs[i] != NULL);
		kmalloc_ktest_fill(objs[i], kmalloc_ktest_size_of(i), i);
	}
	kmalloc_get_stats(&during);
	KTEST_EXPECT_EQ(t, during.objects - before.objects, N);
	unsigned broken = 0;
	for (unsigned i = 0; i < N; i++)
		broken += !kmalloc_ktest_intact(objs[i], kmalloc_ktest_size_of(i), i);
	KTEST_EXPECT_EQ(t, broken, 0); /* no two objects overlap */
	for (unsigned i = 0; i < N; i += 2)
		kfree(objs[i]);
	for (unsigned i = 0; i < N; i += 2) { /* refill the holes */
		objs[i] = kmalloc(kmalloc_ktest_size_of(i));
		KTEST_ASSERT(t, objs[i] != NULL);
		kmalloc_ktest_fill(objs[i], kmalloc_ktest_size_of(i), i);
	}
	for (unsigned i = 0; i < N; i++)
		broken += !kmalloc_ktest_intact(objs[i], kmalloc_ktest_size_of(i), i);
	KTEST_EXPECT_EQ(t, broken, 0);
	for (unsigned i = 0; i < N; i++)
		kfree(objs[i]);
	kmalloc_get_stats(&during);
	KTEST_EXPECT(t, kmalloc_ktest_same_stats(&before, &during));
	kfree(objs);
}

static void kmalloc_free_realloc_cycles(struct ktest *t)
{
	struct kmalloc_stats before, after;
	size_t pages_before = page_alloc_free_pages();

	kmalloc_get_stats(&before);
	for (unsigned round = 0; round < 200; round++) {
		void *a = kmalloc(24), *b = kmalloc(700), *c = kmalloc(5000);
		KTEST_ASSERT(t, a && b && c);
		KTEST_EXPECT(t, a != b && b != c);
		kfree(b);
		void *d = kmalloc(700); /* the slot just freed is reusable at once */
		KTEST_ASSERT(t, d != NULL);
		kfree(a);
		kfree(c);
		kfree(d);
	}
	kmalloc_get_stats(&after);
	KTEST_EXPECT(t, kmalloc_ktest_same_stats(&before, &after));
	/* only the one cached empty slab per class may still hold pages */
	KTEST_EXPECT((t), (long)(pages_before - page_alloc_free_pages()) <= 8);
}

static void kmalloc_usable_size_is_writable(struct ktest *t)
{
	for (size_t n = 16; n <= KMALLOC_MAX_CLASS; n *= 2) {
		char *p = kmalloc(n);
		KTEST_ASSERT(t, p != NULL);
		KTEST_EXPECT_EQ(t, kmalloc_usable_size(p), n);
		p[0] = 1;
		p[n - 1] = 2;
		KTEST_EXPECT_EQ(t, p[0] + p[n - 1], 3);
		kfree(p);
	}
}

static const struct ktest_case kmalloc_cases[] = {
    KTEST_CASE(kmalloc_every_class),
    KTEST_CASE(kmalloc_zero_and_null),
    KTEST_CASE(kmalloc_large_blocks),
    KTEST_CASE(kmalloc_many_objects),
    KTEST_CASE(kmalloc_free_realloc_cycles),
    KTEST_CASE(kmalloc_usable_size_is_writable),
    {0},
};
KTEST_SUITE(kmalloc_suite, "kmalloc", kmalloc_cases);
