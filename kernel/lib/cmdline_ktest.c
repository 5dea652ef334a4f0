/* ktest: command-line words, quoting, repeated keys, flags and sizes. */
#include <amphi/cmdline.h>
#include <amphi/errno.h>
#include <amphi/ktest.h>
#include <amphi/string.h>

/* True when the len bytes at s spell want exactly. */
static bool cmdline_ktest_span_is(const char *s, size_t len, const char *want)
{
	return s && strlen(want) == len && strncmp(s, want, len) == 0;
}

static void cmdline_next_words(struct ktest *t)
{
	const char *cur = "  quiet  mem=64M\tname=\"a b  c\" empty= x";
	struct cmdline_arg a;

	KTEST_ASSERT(t, cmdline_next(&cur, &a) == 1);
	KTEST_EXPECT(t, cmdline_ktest_span_is(a.key, a.key_len, "quiet"));
	KTEST_EXPECT(t, a.value == NULL);
	KTEST_ASSERT(t, cmdline_next(&cur, &a) == 1);
	KTEST_EXPECT(t, cmdline_ktest_span_is(a.key, a.key_len, "mem"));
	KTEST_EXPECT(t, cmdline_ktest_span_is(a.value, a.value_len, "64M"));
	KTEST_ASSERT(t, cmdline_next(&cur, &a) == 1);
	KTEST_EXPECT(t, cmdline_ktest_span_is(a.key, a.key_len, "name"));
	KTEST_EXPECT(t, cmdline_ktest_span_is(a.value, a.value_len, "a b  c"));
	KTEST_ASSERT(t, cmdline_next(&cur, &a) == 1);
	KTEST_EXPECT(t, cmdline_ktest_span_is(a.key, a.key_len, "empty"));
	KTEST_EXPECT(t, a.value != NULL && a.value_len == 0);
	KTEST_ASSERT(t, cmdline_next(&cur, &a) == 1);
	KTEST_EXPECT(t, cmdline_ktest_span_is(a.key, a.key_len, "x"));
	KTEST_EXPECT_EQ(t, cmdline_next(&cur, &a), 0);
	KTEST_EXPECT_EQ(t, cmdline_next(&cur, &a), 0);
}

static void cmdline_next_malformed(struct ktest *t)
{
	const char *cur = "a=\"open";
	struct cmdline_arg a;

	KTEST_EXPECT_EQ(t, cmdline_next(&cur, &a), -EINVAL);
	KTEST_EXPECT_EQ(t, *cur, '\0'); /* an unterminated quote consumes the rest */
	cur = "=v b";
	KTEST_EXPECT_EQ(t, cmdline_next(&cur, &a), -EINVAL);
	KTEST_EXPECT_EQ(t, cmdline_next(&cur, &a), 1); /* parsing goes on after a bad word */
	cur = "k=\"v\"junk";
	KTEST_EXPECT_EQ(t, cmdline_next(&cur, &a), -EINVAL);
}

static void cmdline_get_values(struct ktest *t)
{
	const char *line = "ktest=all console=ttyS0 ktest=kmalloc flag msg=\"hi there\"";
	char buf[16];

	KTEST_EXPECT_EQ(t, cmdline_get(line, "ktest", buf, sizeof(buf)), 7);
	KTEST_EXPECT_STREQ(t, buf, "kmalloc"); /* the last occurrence wins */
	KTEST_EXPECT_EQ(t, cmdline_get(line, "msg", buf, sizeof(buf)), 8);
	KTEST_EXPECT_STREQ(t, buf, "hi there");
	KTEST_EXPECT_EQ(t, cmdline_get(line, "flag", buf, sizeof(buf)), 0);
	KTEST_EXPECT_STREQ(t, buf, "");
	KTEST_EXPECT_EQ(t, cmdline_get(line, "kte", buf, sizeof(buf)), -ENOENT);
	KTEST_EXPECT_EQ(t, cmdline_get(line, "console", buf, 5), -ENAMETOOLONG);
	KTEST_EXPECT_STREQ(t, buf, "");
	KTEST_EXPECT_EQ(t, cmdline_get(line, "console", buf, 6), 5);
	KTEST_EXPECT_EQ(t, cmdline_get("", "x", buf, sizeof(buf)), -ENOENT);
	KTEST_EXPECT_EQ(t, cmdline_get("x=1 y=\"oops", "x", buf, sizeof(buf)), -EINVAL);
}

static void cmdline_has_flags(struct ktest *t)
{
	KTEST_EXPECT(t, cmdline_has("quiet debug=1", "quiet"));
	KTEST_EXPECT(t, cmdline_has("quiet debug=1", "debug"));
	KTEST_EXPECT(t, !cmdline_has("quiet debug=1", "deb"));
	KTEST_EXPECT(t, !cmdline_has("", "quiet"));
	KTEST_EXPECT(t, cmdline_has("=bad quiet", "quiet"));
}

static void cmdline_sizes(struct ktest *t)
{
	uint64_t v = 0;

	KTEST_EXPECT_EQ(t, cmdline_parse_size("4096", &v), 0);
	KTEST_EXPECT_EQ(t, v, 4096);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("64M", &v), 0);
	KTEST_EXPECT_EQ(t, v, 64ULL << 20);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("2g", &v), 0);
	KTEST_EXPECT_EQ(t, v, 2ULL << 30);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("3KiB", &v), 0);
	KTEST_EXPECT_EQ(t, v, 3072);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("1TB", &v), 0);
	KTEST_EXPECT_EQ(t, v, 1ULL << 40);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("512B", &v), 0);
	KTEST_EXPECT_EQ(t, v, 512);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("0x10k", &v), 0);
	KTEST_EXPECT_EQ(t, v, 16384);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("18446744073709551615", &v), 0);
	KTEST_EXPECT_EQ(t, v, 0xffffffffffffffffULL);
}

static void cmdline_sizes_rejected(struct ktest *t)
{
	uint64_t v = 7;

	KTEST_EXPECT_EQ(t, cmdline_parse_size("", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("M", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("-1", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, cmdline_parse_size(" 1", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("12Q", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("1Mi", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("1iB", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("0x", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("18446744073709551616", &v), -ERANGE);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("16777216T", &v), -ERANGE);
	KTEST_EXPECT_EQ(t, cmdline_parse_size("16777215T", &v), 0);
	KTEST_EXPECT_EQ(t, v, 16777215ULL << 40);
}

static const struct ktest_case cmdline_cases[] = {
    KTEST_CASE(cmdline_next_words),
    KTEST_CASE(cmdline_next_malformed),
    KTEST_CASE(cmdline_get_values),
    KTEST_CASE(cmdline_has_flags),
    KTEST_CASE(cmdline_sizes),
    KTEST_CASE(cmdline_sizes_rejected),
    {0},
};
KTEST_SUITE(cmdline_suite, "cmdline", cmdline_cases);
