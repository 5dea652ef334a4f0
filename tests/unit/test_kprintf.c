/*
 * kvsnprintf/ksnprintf (kernel/lib/kprintf.c) against glibc's vsnprintf, the reference:
 * every combination of flags, width, precision, length and conversion in the supported
 * subset, over edge values, at several buffer sizes. Output bytes and return values must
 * match exactly. Combinations the C standard leaves undefined are not compared.
 */
#include "unit.h"

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <amphi/kprintf.h>

static unsigned kp_checked, kp_failed;

/* Formats with both implementations at every buffer size and compares. */
static void kp_check(const char *fmt, ...)
{
	static const size_t sizes[] = {512, 0, 1, 2, 7};
	va_list ap;
	va_start(ap, fmt);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char want[512], got[512];
		va_list a, b;
		memset(want, 0x5a, sizeof(want));
		memset(got, 0x5a, sizeof(got));
		va_copy(a, ap);
		va_copy(b, ap);
		int wn = vsnprintf(want, sizes[i], fmt, a);
		int gn = kvsnprintf(got, sizes[i], fmt, b);
		va_end(a);
		va_end(b);
		kp_checked++;
		if (wn != gn || memcmp(want, got, sizeof(want)) != 0) {
			if (kp_failed++ < 25)
				printf("    # \"%s\" size %zu: kernel %d \"%.60s\", glibc %d "
				       "\"%.60s\"\n",
				       fmt, sizes[i], gn, got, wn, want);
		}
	}
	va_end(ap);
}

/* Calls kp_check with the '*' arguments the format consumes before the value. */
#define KP_CHECK_STARS(fmt, wstar, pstar, w, p, v) \
	do {                                       \
		if ((wstar) && (pstar))            \
			kp_check(fmt, w, p, v);    \
		else if (wstar)                    \
			kp_check(fmt, w, v);       \
		else if (pstar)                    \
			kp_check(fmt, p, v);       \
		else                               \
			kp_check(fmt, v);          \
	} while (0)

static const char *const kp_flags[] = {"",   "-",  "0",	 "+",  " ",  "#",    "-0",
				       "+ ", "-+", "0+", "#0", "-#", "+0 #", "- +#0"};
static const char *const kp_widths[] = {"", "1", "5", "22", "*"};
static const char *const kp_precisions[] = {"", ".", ".0", ".1", ".3", ".25", ".*"};
static const int kp_star_widths[] = {0, 9, -9, 30};
static const int kp_star_precisions[] = {-1, 0, 2, 21};

static const long long kp_signed[] = {0,
				      1,
				      -1,
				      7,
				      -7,
				      42,
				      127,
				      -128,
				      128,
				      255,
				      32767,
				      -32768,
				      65535,
				      INT_MAX,
				      INT_MIN,
				      (long long)UINT_MAX,
				      LLONG_MAX,
				      LLONG_MIN,
				      0x123456789abcdefll};
static const unsigned long long kp_unsigned[] = {0,	     1,
						 7,	     8,
						 10,	     15,
						 16,	     255,
						 256,	     0xdeadbeef,
						 UINT_MAX,   0x8000000000000000ull,
						 ULLONG_MAX, 0x0123456789abcdefull};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Checks one integer conversion with one length modifier over every value. */
static void kp_integers(const char *fmt, const char *len, char conv, bool ws, bool ps)
{
	bool is_signed = conv == 'd' || conv == 'i';
	for (size_t s = 0; s < N(kp_star_widths); s++)
		for (size_t q = 0; q < N(kp_star_precisions); q++) {
			int w = kp_star_widths[s], p = kp_star_precisions[q];
			if ((!ws && s > 0) || (!ps && q > 0))
				continue;
			for (size_t i = 0; i < (is_signed ? N(kp_signed) : N(kp_unsigned)); i++) {
				long long sv = kp_signed[i % N(kp_signed)];
				unsigned long long uv = kp_unsigned[i % N(kp_unsigned)];
				if (strcmp(len, "l") == 0) {
					if (is_signed)
						KP_CHECK_STARS(fmt, ws, ps, w, p, (long)sv);
					else
						KP_CHECK_STARS(fmt, ws, ps, w, p,
							       (unsigned long)uv);
				} else if (strcmp(len, "ll") == 0) {
					if (is_signed)
						KP_CHECK_STARS(fmt, ws, ps, w, p, sv);
					else
						KP_CHECK_STARS(fmt, ws, ps, w, p, uv);
				} else if (strcmp(len, "z") == 0) {
					if (is_signed)
						KP_CHECK_STARS(fmt, ws, ps, w, p, (ssize_t)sv);
					else
						KP_CHECK_STARS(fmt, ws, ps, w, p, (size_t)uv);
				} else if (strcmp(len, "t") == 0) {
					KP_CHECK_STARS(fmt, ws, ps, w, p,
						       (ptrdiff_t)(is_signed ? sv : (long long)uv));
				} else if (strcmp(len, "j") == 0) {
					if (is_signed)
						KP_CHECK_STARS(fmt, ws, ps, w, p, (intmax_t)sv);
					else
						KP_CHECK_STARS(fmt, ws, ps, w, p, (uintmax_t)uv);
				} else { /* "", "h", "hh": promoted to int */
					if (is_signed)
						KP_CHECK_STARS(fmt, ws, ps, w, p, (int)sv);
					else
						KP_CHECK_STARS(fmt, ws, ps, w, p, (unsigned)uv);
				}
			}
		}
}

/* True for flag/conversion pairs whose meaning the C standard leaves undefined. */
static bool kp_undefined(const char *flags, const char *prec, char conv)
{
	bool alt = strchr(flags, '#') != NULL, zero = strchr(flags, '0') != NULL;
	if (alt && strchr("diucsp", conv))
		return true;
	if (zero && strchr("csp", conv))
		return true;
	if (prec[0] && strchr("cp", conv))
		return true;
	return false;
}

/* Builds "%<flags><width><precision><len><conv>" into buf. */
static void kp_format(char *buf, size_t size, const char *flags, const char *width,
		      const char *prec, const char *len, char conv)
{
	snprintf(buf, size, "%%%s%s%s%s%c", flags, width, prec, len, conv);
}

static void test_integers(void)
{
	static const char *const lens[] = {"", "hh", "h", "l", "ll", "z", "t", "j"};
	static const char convs[] = "diuxXo";
	kp_checked = kp_failed = 0;
	for (size_t c = 0; convs[c]; c++)
		for (size_t l = 0; l < N(lens); l++)
			for (size_t f = 0; f < N(kp_flags); f++)
				for (size_t w = 0; w < N(kp_widths); w++)
					for (size_t p = 0; p < N(kp_precisions); p++) {
						char fmt[64];
						if (kp_undefined(kp_flags[f], kp_precisions[p],
								 convs[c]))
							continue;
						kp_format(fmt, sizeof(fmt), kp_flags[f],
							  kp_widths[w], kp_precisions[p], lens[l],
							  convs[c]);
						kp_integers(fmt, lens[l], convs[c],
							    kp_widths[w][0] == '*',
							    kp_precisions[p][1] == '*');
					}
	printf("    # %u integer formattings compared, %u differ\n", kp_checked, kp_failed);
	CU_ASSERT_EQUAL(kp_failed, 0);
}

static void test_strings_chars_pointers(void)
{
	static const char *const strs[] = {
	    "", "a", "hello", "a longer string of some text", "tab\there", "caf\xc3\xa9"};
	static const int chars[] = {'A', ' ', '%', '\xff', '\n'};
	static int object;
	const void *ptrs[] = {NULL, &object, (void *)1, (void *)UINTPTR_MAX,
			      (void *)0xffff800000001000ull};
	static const char convs[] = "scp";
	kp_checked = kp_failed = 0;
	for (size_t c = 0; convs[c]; c++)
		for (size_t f = 0; f < N(kp_flags); f++)
			for (size_t w = 0; w < N(kp_widths); w++)
				for (size_t p = 0; p < N(kp_precisions); p++) {
					char fmt[64];
					bool ws = kp_widths[w][0] == '*',
					     ps = kp_precisions[p][1] == '*';
					if (kp_undefined(kp_flags[f], kp_precisions[p], convs[c]))
						continue;
					if (convs[c] == 'p' &&
					    (strchr(kp_flags[f], '+') || strchr(kp_flags[f], ' ')))
						continue; /* glibc extension, not in the subset */
					kp_format(fmt, sizeof(fmt), kp_flags[f], kp_widths[w],
						  kp_precisions[p], "", convs[c]);
					for (size_t s = 0; s < N(kp_star_widths); s++)
						for (size_t q = 0; q < N(kp_star_precisions); q++) {
							int sw = kp_star_widths[s],
							    sp = kp_star_precisions[q];
							if ((!ws && s > 0) || (!ps && q > 0))
								continue;
							for (size_t i = 0;
							     convs[c] == 's' && i < N(strs); i++)
								KP_CHECK_STARS(fmt, ws, ps, sw, sp,
									       strs[i]);
							for (size_t i = 0;
							     convs[c] == 'c' && i < N(chars); i++)
								KP_CHECK_STARS(fmt, ws, ps, sw, sp,
									       chars[i]);
							for (size_t i = 0;
							     convs[c] == 'p' && i < N(ptrs); i++)
								KP_CHECK_STARS(fmt, ws, ps, sw, sp,
									       ptrs[i]);
						}
				}
	printf("    # %u string/char/pointer formattings compared, %u differ\n", kp_checked,
	       kp_failed);
	CU_ASSERT_EQUAL(kp_failed, 0);
}

static void test_mixed_formats(void)
{
	kp_checked = kp_failed = 0;
	kp_check("%s", "plain text, no conversions");
	kp_check("100%% sure: %d%%", 100);
	kp_check("%s=%d (%#x) at %p [%-6s|%6s] %c%c", "key", -12, 255u, (void *)0x1000, "ab", "cd",
		 'o', 'k');
	kp_check("amphi: ram      [%#018llx-%#018llx)", 0x40000000ull, 0x48000000ull);
	kp_check("%zu of %zu pages free", (size_t)32000, (size_t)32768);
	kp_check("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
	kp_check("%5.3s|%-5.1s|%.0s|", "abcdef", "xyz", "gone");
	kp_check("%08.3d|%-08d|%+08d|% 08d", 5, 5, 5, 5);
	kp_check("%.0d|%.0x|%#.0o|%#.0x|%5.0d|", 0, 0u, 0u, 0u, 0);
	kp_check("%llx%llX%llo", ULLONG_MAX, 0xabcdefull, 01234567ull);
	kp_check("%s", "");
	kp_check("");
	CU_ASSERT_EQUAL(kp_failed, 0);
}

static void test_snprintf_wrapper_and_truncation(void)
{
	char buf[8];
	memset(buf, 'x', sizeof(buf));
	CU_ASSERT_EQUAL(ksnprintf(buf, sizeof(buf), "%s", "0123456789"), 10);
	CU_ASSERT_STRING_EQUAL(buf, "0123456");
	memset(buf, 'x', sizeof(buf));
	CU_ASSERT_EQUAL(ksnprintf(buf, 0, "%d", 12345), 5);
	CU_ASSERT_EQUAL(buf[0], 'x');
	CU_ASSERT_EQUAL(ksnprintf(NULL, 0, "%s-%d", "ab", 7), 4);
	CU_ASSERT_EQUAL(ksnprintf(buf, 1, "abc"), 3);
	CU_ASSERT_EQUAL(buf[0], '\0');
}

static void test_kprintf_reaches_console_whole(void)
{
	char big[3000];
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	unit_console_reset();
	int n = kprintf("<%s|%d>", big, 42);
	CU_ASSERT_EQUAL(n, (int)sizeof(big) - 1 + 5);
	CU_ASSERT_EQUAL(unit_console_len, (size_t)n);
	CU_ASSERT_EQUAL(memcmp(unit_console + unit_console_len - 4, "|42>", 4), 0);
}

int unit_register(void)
{
	static CU_TestInfo tests[] = {
	    {"integers", test_integers},
	    {"strings_chars_pointers", test_strings_chars_pointers},
	    {"mixed_formats", test_mixed_formats},
	    {"snprintf_wrapper_and_truncation", test_snprintf_wrapper_and_truncation},
	    {"kprintf_reaches_console_whole", test_kprintf_reaches_console_whole},
	    CU_TEST_INFO_NULL,
	};
	return unit_add_suite("kprintf", tests);
}
