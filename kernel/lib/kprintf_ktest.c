/* ktest: the formatter against the output C99 printf gives for the same formats. */
#include <amphi/kprintf.h>
#include <amphi/ktest.h>
#include <amphi/string.h>

/* Formats into a 128-byte buffer and checks both the text and the return value. */
#define EXPECT_FMT(t, expected, ...)                                 \
	do {                                                         \
		char buf_[128];                                      \
		int n_ = ksnprintf(buf_, sizeof(buf_), __VA_ARGS__); \
		KTEST_EXPECT_STREQ(t, buf_, expected);               \
		KTEST_EXPECT_EQ(t, n_, strlen(expected));            \
	} while (0)

/* ksnprintf without the format attribute, for flag combinations the compiler warns about
 * but C defines (or glibc settles), which the formatter must still get right. */
static int kprintf_loose(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* EXPECT_FMT through kprintf_loose. */
#define EXPECT_FMT_LOOSE(t, expected, ...)                               \
	do {                                                             \
		char buf_[128];                                          \
		int n_ = kprintf_loose(buf_, sizeof(buf_), __VA_ARGS__); \
		KTEST_EXPECT_STREQ(t, buf_, expected);                   \
		KTEST_EXPECT_EQ(t, n_, strlen(expected));                \
	} while (0)

static void kprintf_signed_decimal(struct ktest *t)
{
	EXPECT_FMT(t, "0", "%d", 0);
	EXPECT_FMT(t, "-1", "%i", -1);
	EXPECT_FMT(t, "2147483647 -2147483648", "%d %d", 2147483647, -2147483647 - 1);
	EXPECT_FMT(t, "-9223372036854775808", "%lld", (long long)(-9223372036854775807LL - 1));
	EXPECT_FMT(t, "+5 -5  5", "%+d %+d % d", 5, -5, 5);
	EXPECT_FMT(t, "[   42][42   ][00042][-0042]", "[%5d][%-5d][%05d][%05d]", 42, 42, 42, -42);
	EXPECT_FMT(t, "[  007][-007][]", "[%5.3d][%.3d][%.0d]", 7, -7, 0);
	EXPECT_FMT_LOOSE(t, "[  042]", "[%05.3d]", 42); /* a precision turns the 0 flag off */
	EXPECT_FMT(t, "[+42  ]", "[%-+5d]", 42);
}

static void kprintf_unsigned_bases(struct ktest *t)
{
	EXPECT_FMT(t, "4294967295", "%u", 4294967295u);
	EXPECT_FMT(t, "ff FF 377", "%x %X %o", 255, 255, 255);
	EXPECT_FMT(t, "0xff 0XFF 0377", "%#x %#X %#o", 255, 255, 255);
	EXPECT_FMT(t, "0 0 0", "%#x %#o %x", 0, 0, 0);
	EXPECT_FMT(t, "[][0]", "[%#.0x][%#.0o]", 0, 0);
	EXPECT_FMT(t, "0x0000ff", "%#08x", 255);
	EXPECT_FMT(t, "  0x00ff", "%#8.4x", 255);
	EXPECT_FMT(t, "ffffffffffffffff", "%llx", 0xffffffffffffffffULL);
	EXPECT_FMT(t, "1777777777777777777777", "%llo", 0xffffffffffffffffULL);
	EXPECT_FMT_LOOSE(t, "5 5", "%+u % u", 5u, 5u); /* sign flags do nothing for unsigned */
}

static void kprintf_length_modifiers(struct ktest *t)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat" /* clang: int for %hh and %h is the point here */
	EXPECT_FMT(t, "44 -56 4464 -25536", "%hhu %hhd %hu %hd", 300, 200, 70000, 40000);
#pragma GCC diagnostic pop
	EXPECT_FMT(t, "-1 18446744073709551615", "%ld %lu", -1L, (unsigned long)-1L);
	EXPECT_FMT(t, "18446744073709551615 -5", "%zu %zd", (size_t)-1, (ptrdiff_t)-5);
	EXPECT_FMT(t, "-7 -9 ff", "%td %jd %jx", (ptrdiff_t)-7, (intmax_t)-9, (uintmax_t)255);
}

static void kprintf_chars_and_strings(struct ktest *t)
{
	const char *null_str = NULL;

	EXPECT_FMT(t, "a|    b|c    |%", "%c|%5c|%-5c|%%", 'a', 'b', 'c');
	EXPECT_FMT(t, "[hello][   hello][hello   ][hel][  hel]", "[%s][%8s][%-8s][%.3s][%5.3s]",
		   "hello", "hello", "hello", "hello", "hello");
	EXPECT_FMT_LOOSE(t, "[   ab]", "[%05s]", "ab"); /* 0 pads numbers only */
	EXPECT_FMT_LOOSE(t, "(null)|  (null)||", "%s|%8s|%.3s|", null_str, null_str, null_str);
	EXPECT_FMT(t, "", "%s", "");
}

static void kprintf_pointers(struct ktest *t)
{
	EXPECT_FMT(t, "(nil)|     (nil)|(nil)     ", "%p|%10p|%-10p", (void *)0, (void *)0,
		   (void *)0);
	EXPECT_FMT(t, "0x1234|    0x1234|0x1234    ", "%p|%10p|%-10p", (void *)0x1234,
		   (void *)0x1234, (void *)0x1234);
	EXPECT_FMT_LOOSE(t, "0x00001234", "%.8p", (void *)0x1234);
	EXPECT_FMT_LOOSE(t, "+0x10| 0x10|0x0010|     (nil)", "%+p|% p|%06p|%010p", (void *)0x10,
			 (void *)0x10, (void *)0x10, (void *)0);
}

static void kprintf_star_width_and_precision(struct ktest *t)
{
	EXPECT_FMT(t, "[    3][3    ][007][   ff]", "[%*d][%*d][%.*d][%*.*x]", 5, 3, -5, 3, 3, 7, 5,
		   -1, 255);
	EXPECT_FMT(t, "[ab]", "[%.*s]", 2, "abc");
}

static void kprintf_truncation(struct ktest *t)
{
	char buf[8];

	memset(buf, 'X', sizeof(buf));
	KTEST_EXPECT_EQ(t, ksnprintf(buf, 0, "hello"), 5);
	KTEST_EXPECT_EQ(t, buf[0], 'X'); /* size 0 writes nothing */
	KTEST_EXPECT_EQ(t, ksnprintf(NULL, 0, "%d", 12345), 5);
	KTEST_EXPECT_EQ(t, ksnprintf(buf, 1, "hello"), 5);
	KTEST_EXPECT_EQ(t, buf[0], '\0');
	KTEST_EXPECT_EQ(t, ksnprintf(buf, 4, "hello %d", 42), 8);
	KTEST_EXPECT_STREQ(t, buf, "hel");
	KTEST_EXPECT_EQ(t, buf[4], 'X'); /* nothing past the terminator */
	KTEST_EXPECT_EQ(t, ksnprintf(buf, 6, "hello"), 5);
	KTEST_EXPECT_STREQ(t, buf, "hello");
}

static void kprintf_long_output(struct ktest *t)
{
	char buf[400];
	int n = ksnprintf(buf, sizeof(buf), "%300s|%-20d|", "x", 7);

	KTEST_EXPECT_EQ(t, n, 322);
	KTEST_EXPECT_EQ(t, strlen(buf), 322);
	KTEST_EXPECT_EQ(t, buf[298], ' ');
	KTEST_EXPECT_EQ(t, buf[299], 'x');
	KTEST_EXPECT_EQ(t, buf[301], '7');
	KTEST_EXPECT_EQ(t, kprintf("%s", ""), 0);
}

static const struct ktest_case kprintf_cases[] = {
    KTEST_CASE(kprintf_signed_decimal),
    KTEST_CASE(kprintf_unsigned_bases),
    KTEST_CASE(kprintf_length_modifiers),
    KTEST_CASE(kprintf_chars_and_strings),
    KTEST_CASE(kprintf_pointers),
    KTEST_CASE(kprintf_star_width_and_precision),
    KTEST_CASE(kprintf_truncation),
    KTEST_CASE(kprintf_long_output),
    {0},
};
KTEST_SUITE(kprintf_suite, "kprintf", kprintf_cases);
