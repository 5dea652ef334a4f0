/* Unit tests of the kernel command-line parser (kernel/lib/cmdline.c). */
#include "unit.h"

#include <errno.h> /* the Linux values, as in <amphi/errno.h> */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amphi/cmdline.h>

/* Parses every word of line into keys/values joined as "k=v|k|..."; returns the last result. */
static int words(const char *line, char *out, size_t len)
{
	struct cmdline_arg a;
	const char *cur = line;
	int r;
	out[0] = '\0';
	while ((r = cmdline_next(&cur, &a)) > 0) {
		size_t n = strlen(out);
		if (a.value)
			snprintf(out + n, len - n, "%.*s=%.*s|", (int)a.key_len, a.key,
				 (int)a.value_len, a.value);
		else
			snprintf(out + n, len - n, "%.*s|", (int)a.key_len, a.key);
	}
	return r;
}

static void test_next_splits_words(void)
{
	char out[256];
	CU_ASSERT_EQUAL(words("", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(words("  \t ", out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(words("ktest=all quiet", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "ktest=all|quiet|");
	CU_ASSERT_EQUAL(words("\ta=1  b= c=\"x y\"\n", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "a=1|b=|c=x y|");
	CU_ASSERT_EQUAL(words("k=\"\"", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "k=|");
	CU_ASSERT_EQUAL(words("path=/a=b", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "path=/a=b|");

	const char *cur = NULL;
	struct cmdline_arg a;
	CU_ASSERT_EQUAL(cmdline_next(&cur, &a), 0);
}

static void test_next_rejects_bad_quotes(void)
{
	struct cmdline_arg a;
	const char *line = "a=\"open", *cur = line;
	CU_ASSERT_EQUAL(cmdline_next(&cur, &a), -EINVAL);
	CU_ASSERT_PTR_EQUAL(cur, line + strlen(line));
	CU_ASSERT_EQUAL(cmdline_next(&cur, &a), 0);

	cur = "=x good";
	CU_ASSERT_EQUAL(cmdline_next(&cur, &a), -EINVAL);
	CU_ASSERT_EQUAL(cmdline_next(&cur, &a), 1);
	CU_ASSERT_EQUAL(a.key_len, 4);
	cur = "k\"ey=1";
	CU_ASSERT_EQUAL(cmdline_next(&cur, &a), -EINVAL);
	cur = "k=v\"x";
	CU_ASSERT_EQUAL(cmdline_next(&cur, &a), -EINVAL);
	cur = "k=\"v\"glued";
	CU_ASSERT_EQUAL(cmdline_next(&cur, &a), -EINVAL);
}

static void test_get(void)
{
	char buf[16];
	CU_ASSERT_EQUAL(cmdline_get("ktest=all", "ktest", buf, sizeof(buf)), 3);
	CU_ASSERT_STRING_EQUAL(buf, "all");
	CU_ASSERT_EQUAL(cmdline_get("a=1 b=2 a=3", "a", buf, sizeof(buf)), 1);
	CU_ASSERT_STRING_EQUAL(buf, "3");
	CU_ASSERT_EQUAL(cmdline_get("a=1 ab=2", "b", buf, sizeof(buf)), -ENOENT);
	CU_ASSERT_EQUAL(cmdline_get("quiet", "quiet", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_EQUAL(cmdline_get("m=\"two words\"", "m", buf, sizeof(buf)), 9);
	CU_ASSERT_STRING_EQUAL(buf, "two words");
	strcpy(buf, "junk");
	CU_ASSERT_EQUAL(cmdline_get("k=0123456789abcdef", "k", buf, sizeof(buf)), -ENAMETOOLONG);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_EQUAL(cmdline_get("k=0123456789abcde", "k", buf, sizeof(buf)), 15);
	CU_ASSERT_EQUAL(cmdline_get("k=1 x=\"open", "k", buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(cmdline_get("", "k", buf, sizeof(buf)), -ENOENT);
}

static void test_has(void)
{
	CU_ASSERT_TRUE(cmdline_has("a quiet b=1", "quiet"));
	CU_ASSERT_TRUE(cmdline_has("a quiet b=1", "b"));
	CU_ASSERT_FALSE(cmdline_has("quietly", "quiet"));
	CU_ASSERT_FALSE(cmdline_has("x=quiet", "quiet"));
	CU_ASSERT_TRUE(cmdline_has("=bad quiet", "quiet"));
	CU_ASSERT_FALSE(cmdline_has("", "quiet"));
}

static void test_parse_size(void)
{
	static const struct {
		const char *s;
		int err;
		uint64_t v;
	} cases[] = {
	    {"0", 0, 0},
	    {"4096", 0, 4096},
	    {"4K", 0, 4096},
	    {"4k", 0, 4096},
	    {"4KiB", 0, 4096},
	    {"4KB", 0, 4096},
	    {"128M", 0, 128ull << 20},
	    {"2G", 0, 2ull << 30},
	    {"1T", 0, 1ull << 40},
	    {"0x1000", 0, 0x1000},
	    {"0x10M", 0, 16ull << 20},
	    {"18446744073709551615", 0, UINT64_MAX},
	    {"16777215T", 0, 16777215ull << 40},
	    {"18446744073709551616", -ERANGE, 0},
	    {"16777216T", -ERANGE, 0},
	    {"", -EINVAL, 0},
	    {"K", -EINVAL, 0},
	    {"12Q", -EINVAL, 0},
	    {"-1", -EINVAL, 0},
	    {"1 M", -EINVAL, 0},
	    {"banana", -EINVAL, 0},
	    {"0x", -EINVAL, 0},
	    {"4MM", -EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0xabad1dea;
		int err = cmdline_parse_size(cases[i].s, &v);
		if (err != cases[i].err || (err == 0 && v != cases[i].v)) {
			printf("    # cmdline_parse_size(\"%s\") = %d, %llu\n", cases[i].s, err,
			       (unsigned long long)v);
			CU_FAIL("cmdline_parse_size");
		}
	}
	uint64_t v;
	CU_ASSERT_EQUAL(cmdline_parse_size(NULL, &v), -EINVAL);
}

/* xorshift32 for random command lines. */
static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void test_random_lines_stay_in_bounds(void)
{
	static const char alphabet[] = "ab=\" \t=x\"k";
	uint32_t seed = 2463534242u;
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = rng(&seed) % 24;
		char *line = malloc(n + 1); /* exact size: ASan sees any overread */
		for (size_t i = 0; i < n; i++)
			line[i] = alphabet[rng(&seed) % (sizeof(alphabet) - 1)];
		line[n] = '\0';
		const char *cur = line, *prev = NULL;
		struct cmdline_arg a;
		int r, steps = 0;
		while ((r = cmdline_next(&cur, &a)) != 0 && steps++ < 64) {
			CU_ASSERT_FATAL(cur > prev || prev == NULL);
			CU_ASSERT_FATAL(cur >= line && cur <= line + n);
			prev = cur;
			if (r > 0) {
				CU_ASSERT_FATAL(a.key >= line && a.key + a.key_len <= line + n);
				if (a.value)
					CU_ASSERT_FATAL(a.value >= line &&
							a.value + a.value_len <= line + n);
			}
		}
		CU_ASSERT_FATAL(steps <= 64);
		char buf[8];
		int g = cmdline_get(line, "a", buf, sizeof(buf));
		CU_ASSERT(g == -ENOENT || g == -EINVAL || g == -ENAMETOOLONG || (g >= 0 && g < 8));
		free(line);
	}
}

int unit_register(void)
{
	static CU_TestInfo tests[] = {
	    {"next_splits_words", test_next_splits_words},
	    {"next_rejects_bad_quotes", test_next_rejects_bad_quotes},
	    {"get", test_get},
	    {"has", test_has},
	    {"parse_size", test_parse_size},
	    {"random_lines_stay_in_bounds", test_random_lines_stay_in_bounds},
	    CU_TEST_INFO_NULL,
	};
	return unit_add_suite("cmdline", tests);
}
