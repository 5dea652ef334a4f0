/* ktest: the line discipline against a fake device, with the behaviour Linux's n_tty has
 * for the same input: echo bytes, lines and bytes read, signals raised, ioctl results. */
#include <amphi/errno.h>
#include <amphi/ktest.h>
#include <amphi/string.h>
#include <amphi/tty.h>

static struct {
	char out[256]; /* what the device was sent */
	size_t out_len;
	int last_signal;
	unsigned signal_pgrp, caller_pgrp, caller_sid;
	bool ignores;
} fake;

static void fake_write(struct tty *t, const char *buf, size_t n)
{
	(void)t;
	n = MIN(n, sizeof(fake.out) - fake.out_len);
	memcpy(fake.out + fake.out_len, buf, n);
	fake.out_len += n;
}

static void fake_signal_group(unsigned pgrp, int sig)
{
	fake.signal_pgrp = pgrp;
	fake.last_signal = sig;
}

static unsigned fake_caller_pgrp(void)
{
	return fake.caller_pgrp;
}

static unsigned fake_caller_sid(void)
{
	return fake.caller_sid;
}

static bool fake_ignores(int sig)
{
	(void)sig;
	return fake.ignores;
}

static bool fake_interrupted(void)
{
	return false;
}

static bool fake_group_in_session(unsigned pgrp, unsigned sid)
{
	return sid == 1 && (pgrp == 1 || pgrp == 7);
}

static const struct tty_device_ops fake_ops = {.write = fake_write};
static const struct tty_jobs fake_jobs = {
    .signal_group = fake_signal_group,
    .caller_pgrp = fake_caller_pgrp,
    .caller_sid = fake_caller_sid,
    .caller_ignores = fake_ignores,
    .caller_interrupted = fake_interrupted,
    .group_in_session = fake_group_in_session,
};

/* A fresh tty on the fake device, in session 1 with foreground group 1 (the caller's). */
static void fake_tty(struct tty *t)
{
	memset(&fake, 0, sizeof(fake));
	tty_init(t, "ktest_tty", &fake_ops);
	t->jobs = &fake_jobs;
	t->sid = t->pgrp = fake.caller_pgrp = fake.caller_sid = 1;
}

/* Feeds the NUL-terminated input s to t. */
static void feed(struct tty *t, const char *s)
{
	while (*s)
		tty_input(t, *s++);
}

/* True when the device got exactly s (and forgets it). */
static bool sent(const char *s)
{
	bool same = fake.out_len == strlen(s) && memcmp(fake.out, s, fake.out_len) == 0;

	fake.out_len = 0;
	return same;
}

/* Sets lflag and the VMIN/VTIME pair through TCSETS, as a program would. */
static long set_mode(struct tty *t, uint32_t lflag, uint8_t vmin, uint8_t vtime)
{
	struct user_termios tio;
	size_t len;

	tty_ioctl(t, TCGETS, 0, &tio, &len);
	tio.c_lflag = lflag;
	tio.c_cc[VMIN] = vmin;
	tio.c_cc[VTIME] = vtime;
	return tty_ioctl(t, TCSETS, 0, &tio, &len);
}

static struct tty tty_under_test;

static void tty_canonical_lines_and_editing(struct ktest *t)
{
	struct tty *y = &tty_under_test;
	char buf[32];

	fake_tty(y);
	feed(y, "ab\x7f" "c\r");
	KTEST_EXPECT(t, sent("ab\b \bc\r\n")); /* ECHOE rub-out; ICRNL; ONLCR */
	feed(y, "one two\x17" "2\n" "x\x15" "y\n");
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), true), 3);
	KTEST_EXPECT_EQ(t, memcmp(buf, "ac\n", 3), 0);
	KTEST_EXPECT_EQ(t, tty_read(y, buf, 3, true), 3); /* a line longer than the read */
	KTEST_EXPECT_EQ(t, memcmp(buf, "one", 3), 0);
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), true), 3); /* ^W erased "two" */
	KTEST_EXPECT_EQ(t, memcmp(buf, " 2\n", 3), 0);
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), true), 2); /* ^U killed "x" */
	KTEST_EXPECT_EQ(t, memcmp(buf, "y\n", 2), 0);
	feed(y, "part");
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), true), -EAGAIN); /* not a line yet */
	feed(y, "\x04\x04");
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), true), 4); /* ^D ends it, no newline */
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), true), 0); /* ^D alone: end of file */
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), true), -EAGAIN);
	feed(y, "\x16\x03\n"); /* ^V takes ^C literally */
	KTEST_EXPECT_EQ(t, fake.last_signal, 0);
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), true), 2);
	KTEST_EXPECT_EQ(t, buf[0], 3);
}

static void tty_signal_keys(struct ktest *t)
{
	struct tty *y = &tty_under_test;
	char buf[8];

	fake_tty(y);
	feed(y, "lost\x03");
	KTEST_EXPECT_EQ(t, fake.last_signal, 2); /* SIGINT */
	KTEST_EXPECT_EQ(t, fake.signal_pgrp, 1);
	KTEST_EXPECT(t, sent("lost^C"));
	feed(y, "\n");
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), true), 1); /* the line was flushed */
	feed(y, "\x1a");
	KTEST_EXPECT_EQ(t, fake.last_signal, 20); /* SIGTSTP */
	feed(y, "\x1c");
	KTEST_EXPECT_EQ(t, fake.last_signal, 3); /* SIGQUIT */
}

static void tty_raw_mode(struct ktest *t)
{
	struct tty *y = &tty_under_test;
	char buf[8];

	fake_tty(y);
	feed(y, "ab");
	KTEST_EXPECT_EQ(t, set_mode(y, ISIG, 1, 0), 0); /* the edit line becomes bytes */
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), false), 2);
	feed(y, "\r\x03"); /* no echo now; ^C flushes the \n it follows */
	KTEST_EXPECT(t, sent("ab"));
	KTEST_EXPECT_EQ(t, fake.last_signal, 2);
	KTEST_EXPECT_EQ(t, set_mode(y, 0, 0, 0), 0);
	feed(y, "\r\x03\x7f");
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), false), 3); /* \r became \n; no ISIG */
	KTEST_EXPECT_EQ(t, memcmp(buf, "\n\x03\x7f", 3), 0);
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), false), 0); /* VMIN 0, VTIME 0: poll */
	KTEST_EXPECT(t, sent(""));
}

static void tty_ioctls(struct ktest *t)
{
	struct tty *y = &tty_under_test;
	union {
		struct user_termios tio;
		struct user_winsize ws;
		int32_t i;
	} io;
	size_t len;

	fake_tty(y);
	KTEST_EXPECT_EQ(t, tty_ioctl(y, TCGETS, 0, &io, &len), 0);
	KTEST_EXPECT_EQ(t, len, sizeof(struct user_termios));
	KTEST_EXPECT(t, (io.tio.c_lflag & (ICANON | ECHO | ISIG)) == (ICANON | ECHO | ISIG));
	KTEST_EXPECT_EQ(t, io.tio.c_cc[VINTR], 3);
	KTEST_EXPECT_EQ(t, tty_ioctl(y, TIOCGWINSZ, 0, &io, &len), 0);
	KTEST_EXPECT(t, io.ws.ws_row == 24 && io.ws.ws_col == 80);
	io.ws.ws_col = 132;
	KTEST_EXPECT_EQ(t, tty_ioctl(y, TIOCSWINSZ, 0, &io, &len), 0);
	KTEST_EXPECT_EQ(t, fake.last_signal, 28); /* SIGWINCH to the foreground */
	feed(y, "abc\nd");
	KTEST_EXPECT_EQ(t, tty_ioctl(y, FIONREAD, 0, &io, &len), 0);
	KTEST_EXPECT_EQ(t, io.i, 4);
	KTEST_EXPECT_EQ(t, tty_ioctl(y, TCFLSH, 7, &io, &len), -EINVAL);
	KTEST_EXPECT_EQ(t, tty_ioctl(y, TCFLSH, TCIFLUSH, &io, &len), 0);
	KTEST_EXPECT_EQ(t, tty_ioctl(y, FIONREAD, 0, &io, &len), 0);
	KTEST_EXPECT_EQ(t, io.i, 0);
	io.i = 9;
	KTEST_EXPECT_EQ(t, tty_ioctl(y, TIOCSPGRP, 0, &io, &len), -EPERM); /* no such group */
	io.i = 7;
	KTEST_EXPECT_EQ(t, tty_ioctl(y, TIOCSPGRP, 0, &io, &len), 0);
	KTEST_EXPECT_EQ(t, tty_ioctl(y, TIOCGPGRP, 0, &io, &len), 0);
	KTEST_EXPECT_EQ(t, io.i, 7);
	/* the caller is in the background now: changing settings raises SIGTTOU */
	KTEST_EXPECT_EQ(t, tty_ioctl(y, TCFLSH, TCIFLUSH, &io, &len), -EINTR);
	KTEST_EXPECT_EQ(t, fake.last_signal, 22);
	KTEST_EXPECT_EQ(t, tty_ioctl(y, 0x1234, 0, &io, &len), -ENOTTY);
}

static void tty_job_control_of_background_callers(struct ktest *t)
{
	struct tty *y = &tty_under_test;
	char buf[8];

	fake_tty(y);
	fake.caller_pgrp = 7; /* a background group of the session */
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), true), -EINTR);
	KTEST_EXPECT_EQ(t, fake.last_signal, 21); /* SIGTTIN, to the caller's group */
	KTEST_EXPECT_EQ(t, fake.signal_pgrp, 7);
	KTEST_EXPECT_EQ(t, tty_write(y, "x", 1), 1); /* writes pass without TOSTOP */
	KTEST_EXPECT_EQ(t, set_mode(y, ICANON | TOSTOP, 1, 0), -EINTR); /* SIGTTOU first */
	KTEST_EXPECT_EQ(t, fake.last_signal, 22);
	fake.ignores = true;
	KTEST_EXPECT_EQ(t, tty_read(y, buf, sizeof(buf), true), -EIO);
	KTEST_EXPECT_EQ(t, set_mode(y, ICANON | TOSTOP, 1, 0), 0); /* SIGTTOU ignored: allowed */
}

static const struct ktest_case tty_cases[] = {
    KTEST_CASE(tty_canonical_lines_and_editing),
    KTEST_CASE(tty_signal_keys),
    KTEST_CASE(tty_raw_mode),
    KTEST_CASE(tty_ioctls),
    KTEST_CASE(tty_job_control_of_background_callers),
    {0},
};
KTEST_SUITE(tty, "tty", tty_cases);
