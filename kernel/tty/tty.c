/*
 * The line discipline: input bytes go through input translation, signal characters, line
 * editing (canonical mode) and echo into a ring buffer; readers take completed lines
 * (canonical) or bytes as VMIN and VTIME allow; writers' bytes go through output
 * translation to the device. One irq-safe lock per tty; the device is written with it held,
 * so echo and output never interleave.
 */
#include <amphi/errno.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/string.h>
#include <amphi/tty.h>

/* The signals a terminal raises (the same numbers on every Linux ISA). */
#define TTY_SIGINT 2
#define TTY_SIGQUIT 3
#define TTY_SIGTSTP 20
#define TTY_SIGTTIN 21
#define TTY_SIGTTOU 22

#define CTRL(c) ((c) & 0x1f)
#define TTY_DEL 0x7f
#define TTY_VTIME_NS 100000000ULL /* VTIME counts tenths of a second */

void tty_init(struct tty *t, const char *name, const struct tty_device_ops *dev)
{
	static const uint8_t cc[NCCS] = {
	    [VINTR] = CTRL('C'), [VQUIT] = CTRL('\\'), [VERASE] = TTY_DEL, [VKILL] = CTRL('U'),
	    [VEOF] = CTRL('D'), [VMIN] = 1, [VSTART] = CTRL('Q'), [VSTOP] = CTRL('S'),
	    [VSUSP] = CTRL('Z'), [VREPRINT] = CTRL('R'), [VDISCARD] = CTRL('O'),
	    [VWERASE] = CTRL('W'), [VLNEXT] = CTRL('V'),
	};

	memset(t, 0, sizeof(*t));
	waitq_init(&t->wait, name);
	t->dev = dev;
	t->termios.c_iflag = ICRNL | IXON | IUTF8;
	t->termios.c_oflag = OPOST | ONLCR;
	t->termios.c_cflag = B38400 | CS8 | CREAD | HUPCL;
	t->termios.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	memcpy(t->termios.c_cc, cc, sizeof(cc));
	t->winsize = (struct user_winsize){.ws_row = 24, .ws_col = 80};
}

/* True when lflag bit f is set. */
static bool tty_l(const struct tty *t, uint32_t f)
{
	return t->termios.c_lflag & f;
}

/* Writes buf to the device with output processing: ONLCR turns \n into \r\n (lock held). */
static void tty_output(struct tty *t, const char *buf, size_t n)
{
	bool onlcr = (t->termios.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR);
	size_t from = 0;

	for (size_t i = 0; onlcr && i < n; i++) {
		if (buf[i] != '\n')
			continue;
		t->dev->write(t, buf + from, i - from);
		t->dev->write(t, "\r\n", 2);
		from = i + 1;
	}
	t->dev->write(t, buf + from, n - from);
}

/* Echoes input byte c: control characters as ^X under ECHOCTL (lock held). */
static void tty_echo(struct tty *t, char c)
{
	unsigned char u = (unsigned char)c;

	if (tty_l(t, ECHOCTL) && (u < 0x20 || u == TTY_DEL) && c != '\n' && c != '\t') {
		char caret[2] = {'^', u == TTY_DEL ? '?' : (char)(u + '@')};
		tty_output(t, caret, 2);
		return;
	}
	tty_output(t, &c, 1);
}

/* The byte at offset i of the buffered input (lock held). */
static char *tty_at(struct tty *t, size_t i)
{
	return &t->buf[(t->head + i) % TTY_BUF_SIZE];
}

/* Appends c to the input (lock held); false when it is full. A canonical line keeps one
 * byte free for its end. */
static bool tty_put(struct tty *t, char c)
{
	size_t cap = tty_l(t, ICANON) && c != '\n' ? TTY_BUF_SIZE - 1 : TTY_BUF_SIZE;

	if (t->count >= cap)
		return false;
	*tty_at(t, t->count++) = c;
	return true;
}

/* Removes the last byte of the line being edited and, under ECHOE, rubs it out (lock
 * held). Returns false when the line is empty. */
static bool tty_rub_out(struct tty *t)
{
	if (t->line_len == 0)
		return false;
	char c = *tty_at(t, t->count - 1);
	t->count--;
	t->line_len--;
	if (tty_l(t, ECHO) && tty_l(t, ECHOE)) {
		bool caret = tty_l(t, ECHOCTL) && ((unsigned char)c < 0x20 || c == TTY_DEL);
		tty_output(t, caret ? "\b\b  \b\b" : "\b \b", caret ? 6 : 3);
	}
	return true;
}

/* Ends the line being edited (its length possibly 0: an end of file) (lock held). */
static void tty_end_line(struct tty *t)
{
	if (t->nlines == TTY_MAX_LINES)
		return; /* the reader is that far behind: the bytes wait in the edit line */
	t->lines[(t->line_first + t->nlines++) % TTY_MAX_LINES] = t->line_len;
	t->line_len = 0;
	waitq_wake_locked(&t->wait, UINT32_MAX);
}

/* Drops every buffered input byte (lock held). */
static void tty_flush_input(struct tty *t)
{
	t->head = t->count = t->line_len = t->nlines = 0;
}

/* Handles a signal character for sig: flush, echo, signal the foreground group (lock
 * held). */
static void tty_signal_char(struct tty *t, char c, int sig)
{
	if (!tty_l(t, NOFLSH))
		tty_flush_input(t);
	if (tty_l(t, ECHO))
		tty_echo(t, c);
	if (t->jobs && t->pgrp)
		t->jobs->signal_group(t->pgrp, sig);
}

/* Canonical line editing of c; true when c was an editing character it used up (lock
 * held). */
static bool tty_edit(struct tty *t, char c)
{
	const uint8_t *cc = t->termios.c_cc;

	if (c == (char)cc[VERASE] || (c == '\b' && cc[VERASE] == TTY_DEL)) {
		tty_rub_out(t);
	} else if (c == (char)cc[VWERASE] && tty_l(t, IEXTEN)) {
		while (t->line_len && *tty_at(t, t->count - 1) == ' ')
			tty_rub_out(t);
		while (t->line_len && *tty_at(t, t->count - 1) != ' ')
			tty_rub_out(t);
	} else if (c == (char)cc[VKILL]) {
		if (tty_l(t, ECHOKE))
			while (tty_rub_out(t))
				;
		t->count -= t->line_len;
		t->line_len = 0;
		if (tty_l(t, ECHO) && tty_l(t, ECHOK) && !tty_l(t, ECHOKE))
			tty_output(t, "\n", 1);
	} else if (c == (char)cc[VEOF] && cc[VEOF]) {
		tty_end_line(t);
	} else if (c == (char)cc[VLNEXT] && tty_l(t, IEXTEN)) {
		t->lnext = true;
		if (tty_l(t, ECHO) && tty_l(t, ECHOCTL))
			tty_output(t, "^\b", 2);
	} else if (c == (char)cc[VREPRINT] && tty_l(t, IEXTEN) && tty_l(t, ECHO)) {
		tty_echo(t, c);
		tty_output(t, "\n", 1);
		for (size_t i = t->count - t->line_len; i < t->count; i++)
			tty_echo(t, *tty_at(t, i));
	} else {
		return false;
	}
	return true;
}

/* c after input translation: ISTRIP, IGNCR, ICRNL, INLCR; -1 when it is dropped. */
static int tty_translate(const struct tty *t, char c)
{
	uint32_t iflag = t->termios.c_iflag;

	if (iflag & ISTRIP)
		c &= 0x7f;
	if (c == '\r')
		return (iflag & IGNCR) ? -1 : (iflag & ICRNL) ? '\n' : '\r';
	if (c == '\n' && (iflag & INLCR))
		return '\r';
	return (unsigned char)c;
}

/* The signal that input byte c raises under ISIG, or 0. */
static int tty_signal_of(const struct tty *t, char c)
{
	const uint8_t *cc = t->termios.c_cc;

	if (!tty_l(t, ISIG) || c == 0)
		return 0;
	return c == (char)cc[VINTR] ? TTY_SIGINT : c == (char)cc[VQUIT] ? TTY_SIGQUIT
		 : c == (char)cc[VSUSP]				 ? TTY_SIGTSTP
								 : 0;
}

/* tty_input with the lock held. */
static void tty_input_locked(struct tty *t, char c)
{
	bool literal = t->lnext;
	int x = literal ? (unsigned char)c : tty_translate(t, c);

	t->lnext = false;
	if (x < 0)
		return;
	c = (char)x;
	int sig = literal ? 0 : tty_signal_of(t, c);
	if (sig) {
		tty_signal_char(t, c, sig);
		return;
	}
	if (tty_l(t, ICANON) && !literal && tty_edit(t, c))
		return;
	bool line_end = tty_l(t, ICANON) && (c == '\n' || (!literal && c &&
			(c == (char)t->termios.c_cc[VEOL] || c == (char)t->termios.c_cc[VEOL2])));
	if (!tty_put(t, c))
		return; /* full: dropped, as Linux does */
	if (tty_l(t, ECHO) || (c == '\n' && tty_l(t, ECHONL) && tty_l(t, ICANON)))
		tty_echo(t, c);
	if (!tty_l(t, ICANON)) {
		t->generation++;
		waitq_wake_locked(&t->wait, UINT32_MAX);
		return;
	}
	t->line_len++;
	if (line_end)
		tty_end_line(t);
}

void tty_input(struct tty *t, char c)
{
	irqflags_t irq = spin_lock_irqsave(&t->wait.lock);

	tty_input_locked(t, c);
	spin_unlock_irqrestore(&t->wait.lock, irq);
}

/* True when the input has no room for c and a reader could make some (lock held). */
static bool tty_input_full(const struct tty *t)
{
	return t->count >= TTY_BUF_SIZE - 1 && (!(t->termios.c_lflag & ICANON) || t->nlines);
}

void tty_input_wait(struct tty *t, char c)
{
	irqflags_t irq = spin_lock_irqsave(&t->wait.lock);

	while (tty_input_full(t))
		waitq_sleep_locked(&t->wait, UINT64_MAX);
	tty_input_locked(t, c);
	spin_unlock_irqrestore(&t->wait.lock, irq);
}

void tty_input_close(struct tty *t)
{
	irqflags_t irq = spin_lock_irqsave(&t->wait.lock);

	t->input_closed = true;
	waitq_wake_locked(&t->wait, UINT32_MAX);
	spin_unlock_irqrestore(&t->wait.lock, irq);
}

/* Bytes a reader may take now (lock held): the first completed line in canonical mode,
 * everything outside it. */
static size_t tty_available(const struct tty *t)
{
	if (!tty_l(t, ICANON))
		return t->count;
	return t->nlines ? t->lines[t->line_first] : 0;
}

/* Takes up to n available bytes into buf (lock held); returns the count. A canonical line
 * (or an end of file, a line of 0 bytes) is used up when all of it was taken. */
static size_t tty_take(struct tty *t, char *buf, size_t n)
{
	size_t avail = tty_available(t), k = MIN(n, avail);

	for (size_t i = 0; i < k; i++)
		buf[i] = *tty_at(t, i);
	t->head = (t->head + k) % TTY_BUF_SIZE;
	t->count -= k;
	if (k)
		waitq_wake_locked(&t->wait, UINT32_MAX);
	if (tty_l(t, ICANON) && t->nlines) {
		t->lines[t->line_first] -= k;
		if (t->lines[t->line_first] == 0) {
			t->line_first = (t->line_first + 1) % TTY_MAX_LINES;
			t->nlines--;
		}
	}
	return k;
}

bool tty_readable(struct tty *t)
{
	irqflags_t irq = spin_lock_irqsave(&t->wait.lock);
	bool ready = tty_available(t) > 0 || (tty_l(t, ICANON) && t->nlines) || t->input_closed;

	spin_unlock_irqrestore(&t->wait.lock, irq);
	return ready;
}

long tty_job_control(struct tty *t, int sig)
{
	const struct tty_jobs *j = t->jobs;

	if (!j || !t->pgrp || j->caller_sid() != t->sid || j->caller_pgrp() == t->pgrp)
		return 0;
	if (j->caller_ignores(sig))
		return sig == TTY_SIGTTOU ? 0 : -EIO; /* a writer that ignores SIGTTOU writes */
	j->signal_group(j->caller_pgrp(), sig);
	return -EINTR;
}

/* How long a non-canonical read with nothing yet may wait: VTIME tenths of a second, or
 * for ever (UINT64_MAX) (lock held). */
static uint64_t tty_read_deadline(const struct tty *t, size_t got)
{
	uint8_t vmin = t->termios.c_cc[VMIN], vtime = t->termios.c_cc[VTIME];

	if (tty_l(t, ICANON) || vtime == 0 || (vmin > 0 && got == 0))
		return UINT64_MAX; /* VMIN>0, VTIME>0: the timer starts at the first byte */
	return plat_time_ns() + vtime * TTY_VTIME_NS;
}

/* True when a read that has got bytes so far is done (lock held). */
static bool tty_read_done(const struct tty *t, size_t got, size_t n)
{
	if (tty_l(t, ICANON))
		return got > 0;
	size_t vmin = MIN((size_t)t->termios.c_cc[VMIN], n);
	return got >= vmin || got == n;
}

long tty_read(struct tty *t, char *buf, size_t n, bool nonblock)
{
	long err = tty_job_control(t, TTY_SIGTTIN);
	size_t got = 0;

	if (err || n == 0)
		return err;
	irqflags_t irq = spin_lock_irqsave(&t->wait.lock);
	for (;;) {
		if (tty_l(t, ICANON) && t->nlines && t->lines[t->line_first] == 0 && got == 0) {
			tty_take(t, buf, 0); /* an end of file: read gives 0, once */
			break;
		}
		got += tty_take(t, buf + got, n - got);
		if (tty_read_done(t, got, n) || t->input_closed)
			break;
		if (nonblock) {
			err = got ? 0 : -EAGAIN;
			break;
		}
		if (t->jobs && t->jobs->caller_interrupted()) {
			err = got ? 0 : -EINTR;
			break;
		}
		if (waitq_sleep_locked(&t->wait, tty_read_deadline(t, got)) == -ETIMEDOUT)
			break;
	}
	spin_unlock_irqrestore(&t->wait.lock, irq);
	return err ? err : (long)got;
}

long tty_write(struct tty *t, const char *buf, size_t n)
{
	long err = tty_l(t, TOSTOP) ? tty_job_control(t, TTY_SIGTTOU) : 0;

	if (err)
		return err;
	irqflags_t irq = spin_lock_irqsave(&t->wait.lock);
	tty_output(t, buf, n);
	spin_unlock_irqrestore(&t->wait.lock, irq);
	return (long)n;
}
