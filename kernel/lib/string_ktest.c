/* ktest: mem* and str* edge cases, and kstrlcpy. */
#include <amphi/ktest.h>
#include <amphi/string.h>

/* Fills buf with 0, 1, 2, ... so moved bytes are recognisable. */
static void string_fill_ramp(unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)i;
}

static void string_memcpy_and_memset(struct ktest *t)
{
	unsigned char src[64], dst[64];

	string_fill_ramp(src, sizeof(src));
	memset(dst, 0xaa, sizeof(dst));
	KTEST_EXPECT(t, memcpy(dst + 3, src, 40) == dst + 3);
	KTEST_EXPECT_EQ(t, dst[2], 0xaa);
	KTEST_EXPECT_EQ(t, memcmp(dst + 3, src, 40), 0);
	KTEST_EXPECT_EQ(t, dst[43], 0xaa);
	KTEST_EXPECT(t, memset(dst, 0x1ff, 10) == dst); /* converted to unsigned char */
	KTEST_EXPECT_EQ(t, dst[9], 0xff);
	KTEST_EXPECT_EQ(t, dst[10], 7); /* src[7], copied earlier */
	memcpy(dst, src, 0);
	KTEST_EXPECT_EQ(t, dst[0], 0xff);
}

static void string_memmove_overlap(struct ktest *t)
{
	unsigned char buf[32];

	string_fill_ramp(buf, sizeof(buf));
	memmove(buf + 4, buf, 20); /* forward overlap: copy must run backwards */
	for (int i = 0; i < 20; i++)
		KTEST_EXPECT_EQ(t, buf[4 + i], i);
	KTEST_EXPECT_EQ(t, buf[0], 0);
	string_fill_ramp(buf, sizeof(buf));
	memmove(buf, buf + 5, 20); /* backward overlap */
	for (int i = 0; i < 20; i++)
		KTEST_EXPECT_EQ(t, buf[i], i + 5);
	KTEST_EXPECT_EQ(t, buf[20], 20);
	string_fill_ramp(buf, sizeof(buf));
	memmove(buf, buf, 32);
	KTEST_EXPECT_EQ(t, buf[31], 31);
}

static void string_memcmp_memchr(struct ktest *t)
{
	unsigned char a[4] = {1, 2, 0x80, 4}, b[4] = {1, 2, 0x7f, 4};

	KTEST_EXPECT(t, memcmp(a, b, 4) > 0); /* bytes compare as unsigned */
	KTEST_EXPECT(t, memcmp(b, a, 4) < 0);
	KTEST_EXPECT_EQ(t, memcmp(a, b, 2), 0);
	KTEST_EXPECT_EQ(t, memcmp(a, b, 0), 0);
	KTEST_EXPECT(t, memchr(a, 0x80, 4) == a + 2);
	KTEST_EXPECT(t, memchr(a, 0x180, 4) == a + 2);
	KTEST_EXPECT(t, memchr(a, 4, 3) == NULL);
}

static void string_lengths_and_compares(struct ktest *t)
{
	char s[] = "kernel";

	KTEST_EXPECT_EQ(t, strlen(s), 6);
	KTEST_EXPECT_EQ(t, strlen(s + 6), 0);
	KTEST_EXPECT_EQ(t, strnlen(s, 3), 3);
	KTEST_EXPECT_EQ(t, strnlen(s, 100), 6);
	KTEST_EXPECT_EQ(t, strcmp(s, "kernel"), 0);
	KTEST_EXPECT(t, strcmp(s, "kernem") < 0);
	KTEST_EXPECT(t, strcmp(s, "kern") > 0);
	KTEST_EXPECT(t, strcmp("\x80", "\x7f") > 0);
	KTEST_EXPECT_EQ(t, strncmp(s, "kernfs", 4), 0);
	KTEST_EXPECT(t, strncmp(s, "kernfs", 5) < 0);
	KTEST_EXPECT_EQ(t, strncmp("ab", "ab\0x", 4), 0);
	KTEST_EXPECT(t, strchr(s, 'e') == s + 1);
	KTEST_EXPECT(t, strchr(s, '\0') == s + 6);
	KTEST_EXPECT(t, strchr(s, 'z') == NULL);
}

static void string_kstrlcpy(struct ktest *t)
{
	char buf[6];

	memset(buf, 'X', sizeof(buf));
	KTEST_EXPECT_EQ(t, kstrlcpy(buf, "hello world", sizeof(buf)), 11);
	KTEST_EXPECT_STREQ(t, buf, "hello");
	KTEST_EXPECT_EQ(t, kstrlcpy(buf, "hi", sizeof(buf)), 2);
	KTEST_EXPECT_STREQ(t, buf, "hi");
	KTEST_EXPECT_EQ(t, kstrlcpy(buf, "12345", sizeof(buf)), 5);
	KTEST_EXPECT_STREQ(t, buf, "12345");
	KTEST_EXPECT_EQ(t, kstrlcpy(buf, "abc", 1), 3);
	KTEST_EXPECT_EQ(t, buf[0], '\0');
	buf[0] = 'Q';
	KTEST_EXPECT_EQ(t, kstrlcpy(buf, "abc", 0), 3);
	KTEST_EXPECT_EQ(t, buf[0], 'Q'); /* size 0 writes nothing */
}

static const struct ktest_case string_cases[] = {
    KTEST_CASE(string_memcpy_and_memset), KTEST_CASE(string_memmove_overlap),
    KTEST_CASE(string_memcmp_memchr),	  KTEST_CASE(string_lengths_and_compares),
    KTEST_CASE(string_kstrlcpy),	  {0},
};
KTEST_SUITE(string_suite, "string", string_cases);
