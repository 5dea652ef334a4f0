/*
 * The console's tty: when the platform console is a terminal, the console device
 * (kernel/fs/dev/console.c) reads and writes through it (line discipline, job control), its
 * input fed from the platform console by a kernel thread; otherwise (the hosted machine's
 * stdin or stdout is a pipe or a file) there is none and bytes pass through untouched.
 */
#include <amphi/atomic.h>
#include <amphi/console.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/proc.h>
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
	console_write(buf, n);
	console_unlock(flags);
}

/* tty input_event: pollers of the console look again. */
static void console_tty_input_event(struct tty *t)
{
	(void)t;
	vfs_poll_notify();
}

static const struct tty_device_ops console_tty_ops = {
    .write = console_tty_write,
    .input_event = console_tty_input_event,
};

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
	if (atomic_load(&console_tty.started)) /* every console read and write asks */
		return &console_tty.tty;
	irqflags_t irq = spin_lock_irqsave(&once);
	bool start = !console_tty.started;
	if (start) {
		tty_init(&console_tty.tty, "console_tty", &console_tty_ops);
		console_tty.tty.jobs = &proc_tty_jobs;
		atomic_store(&console_tty.started, true); /* after the tty is set up */
	}
	spin_unlock_irqrestore(&once, irq);
	if (start) {
		plat_console_pass_signals();
		if (!thread_create("console_in", console_tty_feed, &console_tty.tty, 0, 0))
			tty_input_close(&console_tty.tty); /* no memory for it: no input */
	}
	return &console_tty.tty;
}
