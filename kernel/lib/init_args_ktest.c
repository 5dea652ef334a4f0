/* ktest: the first program's arguments from the kernel command line. */
#include <amphi/errno.h>
#include <amphi/init_args.h>
#include <amphi/ktest.h>
#include <amphi/plat.h>
#include <amphi/string.h>

#define WORDS_MAX 8

/* Splits a copy of line into argv after "init"; returns the count (or error). */
static int words_of(const char *line, char *buf, size_t size, const char **argv, int max)
{
	kstrlcpy(buf, line, size);
	argv[0] = "init";
	return init_args_words(buf, argv, 1, max);
}

static void init_args_words_quotes_and_escapes(struct ktest *t)
{
	static char buf[128];
	const char *argv[WORDS_MAX];

	KTEST_ASSERT(t, words_of("  sh -c \"echo a  b\"\t\"\" x\\y", buf, sizeof(buf), argv,
				 WORDS_MAX) == 6);
	KTEST_EXPECT(t, strcmp(argv[1], "sh") == 0);
	KTEST_EXPECT(t, strcmp(argv[2], "-c") == 0);
	KTEST_EXPECT(t, strcmp(argv[3], "echo a  b") == 0);
	KTEST_EXPECT(t, strcmp(argv[4], "") == 0);
	KTEST_EXPECT(t, strcmp(argv[5], "x\\y") == 0); /* a lone backslash is itself */
	KTEST_EXPECT(t, argv[6] == NULL);
	KTEST_ASSERT(t, words_of("\"say \\\"hi\\\" \\\\o/\"", buf, sizeof(buf), argv,
				 WORDS_MAX) == 2);
	KTEST_EXPECT(t, strcmp(argv[1], "say \"hi\" \\o/") == 0);
	KTEST_EXPECT(t, strcmp(argv[0], "init") == 0);
}

static void init_args_words_bad_input(struct ktest *t)
{
	static char buf[64];
	const char *argv[4];

	KTEST_EXPECT_EQ(t, words_of("a \"open", buf, sizeof(buf), argv, 4), -EINVAL);
	KTEST_EXPECT_EQ(t, words_of("a b c", buf, sizeof(buf), argv, 3), -E2BIG);
	KTEST_EXPECT_EQ(t, words_of("", buf, sizeof(buf), argv, 3), 1);
	KTEST_EXPECT(t, argv[1] == NULL);
}

static void init_args_split_at_double_dash(struct ktest *t)
{
	static struct boot_info info;

	info = (struct boot_info){.cmdline = "quiet k=\"a -- b\" rdinit=/x -- -c \"ktest=all\""};
	init_args_split(&info);
	KTEST_EXPECT(t, strcmp(info.cmdline, "quiet k=\"a -- b\" rdinit=/x ") == 0);
	KTEST_EXPECT(t, strcmp(info.init_args, " -c \"ktest=all\"") == 0);
	info = (struct boot_info){.cmdline = "quiet --x --=1"};
	init_args_split(&info);
	KTEST_EXPECT(t, strcmp(info.cmdline, "quiet --x --=1") == 0);
	KTEST_EXPECT(t, strcmp(info.init_args, "") == 0);
}

static void init_args_from_cmdline(struct ktest *t)
{
	static struct boot_info info;
	static struct init_program prog;

	info = (struct boot_info){.cmdline = "init=/sbin/init rdinit=/bin/sh",
				  .init_args = "-c \"exit 3\""};
	KTEST_ASSERT(t, init_args_get(&info, &prog) == 0);
	KTEST_EXPECT(t, strcmp(prog.path, "/bin/sh") == 0); /* rdinit wins, as for an initramfs */
	KTEST_EXPECT(t, strcmp(prog.argv[0], "/bin/sh") == 0);
	KTEST_EXPECT(t, strcmp(prog.argv[2], "exit 3") == 0);
	KTEST_EXPECT(t, prog.argv[3] == NULL);
	KTEST_EXPECT(t, strcmp(prog.envp[0], "HOME=/") == 0);
	info = (struct boot_info){.cmdline = "rdinit=", .init_args = ""};
	KTEST_EXPECT_EQ(t, init_args_get(&info, &prog), -EINVAL);
	info = (struct boot_info){.cmdline = "quiet", .init_args = ""};
	KTEST_EXPECT_EQ(t, init_args_get(&info, &prog), -ENOENT);
}

static const struct ktest_case init_args_cases[] = {
    KTEST_CASE(init_args_words_quotes_and_escapes),
    KTEST_CASE(init_args_words_bad_input),
    KTEST_CASE(init_args_split_at_double_dash),
    KTEST_CASE(init_args_from_cmdline),
    {0},
};
KTEST_SUITE(init_args_suite, "init_args", init_args_cases);
