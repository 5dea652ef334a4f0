/* The tty ioctls: termios (TCGETS/TCSETS*), window size, the foreground process group and
 * the controlling session, input queue size and flushes. */
#include <amphi/errno.h>
#include <amphi/string.h>
#include <amphi/tty.h>

#define TTY_SIGTTOU 22
#define TTY_SIGWINCH 28

size_t tty_ioctl_in_size(unsigned cmd)
{
	switch (cmd) {
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return sizeof(struct user_termios);
	case TIOCSWINSZ:
		return sizeof(struct user_winsize);
	case TIOCSPGRP:
		return sizeof(int32_t);
	default:
		return 0;
	}
}

/* Sets new termios (lock held). Leaving canonical mode makes the line being edited and
 * the completed lines plain bytes; entering it makes every buffered byte the line being
 * edited. */
static void tty_set_termios(struct tty *t, const struct user_termios *n, bool flush)
{
	bool was_canon = t->termios.c_lflag & ICANON, canon = n->c_lflag & ICANON;

	t->termios = *n;
	if (flush)
		t->head = t->count = t->line_len = t->nlines = 0;
	if (was_canon != canon) {
		t->nlines = 0;
		t->line_len = canon ? t->count : 0;
	}
	waitq_wake_locked(&t->wait, UINT32_MAX);
}

/* Job-control checks of TIOCSPGRP for the caller: its session must be t's, and pgrp a group
 * of it. Returns 0, -ENOTTY, -EPERM, -EINVAL (lock held). */
static long tty_check_pgrp(struct tty *t, int32_t pgrp)
{
	const struct tty_jobs *j = t->jobs;

	if (pgrp <= 0)
		return -EINVAL;
	if (!j)
		return 0;
	if (!t->sid || j->caller_sid() != t->sid)
		return -ENOTTY;
	return j->group_in_session((unsigned)pgrp, t->sid) ? 0 : -EPERM;
}

/* The ioctls that read or change the job-control state (lock held). */
static long tty_ioctl_jobs(struct tty *t, unsigned cmd, unsigned long arg, void *io,
			   size_t *io_len)
{
	const struct tty_jobs *j = t->jobs;
	int32_t *val = io;

	switch (cmd) {
	case TIOCGPGRP:
	case TIOCGSID:
		if (j && t->sid && j->caller_sid() != t->sid)
			return -ENOTTY;
		*val = (int32_t)(cmd == TIOCGPGRP ? t->pgrp : t->sid);
		if (cmd == TIOCGSID && !t->sid)
			return -ENOTTY;
		*io_len = sizeof(*val);
		return 0;
	case TIOCSPGRP: {
		long err = tty_check_pgrp(t, *val);
		if (!err)
			t->pgrp = (unsigned)*val;
		return err;
	}
	case TIOCSCTTY:
		if (!j)
			return 0;
		if (t->sid && t->sid != j->caller_sid() && arg != 1)
			return -EPERM;
		t->sid = j->caller_sid();
		t->pgrp = j->caller_pgrp();
		return 0;
	case TIOCNOTTY:
		if (j && t->sid != j->caller_sid())
			return -ENOTTY;
		t->sid = t->pgrp = 0;
		return 0;
	default:
		return -ENOTTY;
	}
}

/* tty_ioctl with the lock held, job control's SIGTTOU check done. */
static long tty_ioctl_locked(struct tty *t, unsigned cmd, unsigned long arg, void *io,
			     size_t *io_len)
{
	switch (cmd) {
	case TCGETS:
		memcpy(io, &t->termios, sizeof(t->termios));
		*io_len = sizeof(t->termios);
		return 0;
	case TCSETS:
	case TCSETSW: /* output is never queued: nothing to drain */
	case TCSETSF:
		tty_set_termios(t, io, cmd == TCSETSF);
		return 0;
	case TIOCGWINSZ:
		memcpy(io, &t->winsize, sizeof(t->winsize));
		*io_len = sizeof(t->winsize);
		return 0;
	case TIOCSWINSZ: {
		bool changed = memcmp(io, &t->winsize, sizeof(t->winsize)) != 0;
		memcpy(&t->winsize, io, sizeof(t->winsize));
		if (changed && t->jobs && t->pgrp)
			t->jobs->signal_group(t->pgrp, TTY_SIGWINCH);
		return 0;
	}
	case FIONREAD:
		*(int32_t *)io = (int32_t)((t->termios.c_lflag & ICANON)
					       ? (t->nlines ? t->lines[t->line_first] : 0)
					       : t->count);
		*io_len = sizeof(int32_t);
		return 0;
	case TIOCOUTQ:
		*(int32_t *)io = 0;
		*io_len = sizeof(int32_t);
		return 0;
	case TCFLSH:
		if (arg > TCIOFLUSH)
			return -EINVAL;
		if (arg != TCOFLUSH)
			t->head = t->count = t->line_len = t->nlines = 0;
		return 0;
	case TCXONC:
		return arg <= 3 ? 0 : -EINVAL;
	case TCSBRK:
		return 0;
	default:
		return tty_ioctl_jobs(t, cmd, arg, io, io_len);
	}
}

/* True for the requests a background process may not make without SIGTTOU. */
static bool tty_ioctl_changes(unsigned cmd)
{
	return cmd == TCSETS || cmd == TCSETSW || cmd == TCSETSF || cmd == TIOCSPGRP ||
	       cmd == TCFLSH || cmd == TIOCSWINSZ;
}

long tty_ioctl(struct tty *t, unsigned cmd, unsigned long arg, void *io, size_t *io_len)
{
	*io_len = 0;
	if (tty_ioctl_changes(cmd)) {
		long err = tty_job_control(t, TTY_SIGTTOU);
		if (err)
			return err;
	}
	irqflags_t irq = spin_lock_irqsave(&t->wait.lock);
	long err = tty_ioctl_locked(t, cmd, arg, io, io_len);
	spin_unlock_irqrestore(&t->wait.lock, irq);
	return err;
}
