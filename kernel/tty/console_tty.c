/*
 * The console as a file. When the platform console is a terminal, reads and writes go
 * through a tty (line discipline, job control) whose input a kernel thread feeds from the
 * platform console; otherwise (the hosted machine's stdin or stdout is a pipe or a file)
 * bytes pass through untouched, as they would to a program whose stdin is a pipe, and the
 * console answers no tty ioctl.
 */
#include <amphi/console.h>
#include <amphi/errno.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/tty.h>

static struct {
	struct tty tty;
	bool started; /* under the lock in tty_console */
} console_tty;

/* tty device write: the platform console, one message at a time. */
static void console_tty_write(struct tty *t, const char *buf, size_t n)
{
	(void)t;
	irqflags_t flags = console_lock();
	plat_console_write(buf, n);
	console_unlock(flags);
}

static const struct tty_device_ops console_tty_ops = {.write = console_tty_write};

/* The console's input thread: feeds every input byte to the tty until the input ends. */
static void console_tty_feed(void *arg)
{
	struct tty *t = arg;
	int c;

	while ((c = console_getc()) >= 0)
		tty_input_wait(t, (char)c);
	tty_input_close(t);
}

struct tty *tty_console(void)
{
	static struct spinlock once = SPINLOCK_INIT("console_tty");

	if (!plat_console_is_terminal())
		return NULL;
	irqflags_t irq = spin_lock_irqsave(&once);
	bool start = !console_tty.started;
	if (start) {
		tty_init(&console_tty.tty, "console_tty", &console_tty_ops);
		console_tty.started = true;
	}
	spin_unlock_irqrestore(&once, irq);
	if (start) {
		plat_console_pass_signals();
		if (!thread_create("console_in", console_tty_feed, &console_tty.tty, 0, 0))
			tty_input_close(&console_tty.tty); /* no memory for it: no input */
	}
	return &console_tty.tty;
}

long console_file_read(char *buf, size_t n, bool nonblock)
{
	struct tty *t = tty_console();

	if (t)
		return tty_read(t, buf, n, nonblock);
	size_t got = 0;
	while (got < n) {
		int c = got || nonblock ? plat_console_getc() : console_getc();
		if (c < 0)
			return got ? (long)got : c == -EAGAIN ? -EAGAIN : 0;
		buf[got++] = (char)c;
	}
	return (long)got;
}

long console_file_write(const char *buf, size_t n)
{
	struct tty *t = tty_console();

	if (t)
		return tty_write(t, buf, n);
	console_tty_write(NULL, buf, n);
	return (long)n;
}
