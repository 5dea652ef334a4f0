/*
 * tty.h: terminals. A tty is a line discipline between a device (the console) and the
 * processes that read and write it, with Linux's semantics: canonical mode (lines edited
 * with erase, word erase, kill, literal next; ^D ends input), non-canonical mode (VMIN and
 * VTIME), echo, input and output translation (ICRNL, ONLCR), and ^C, ^\ and ^Z sent as
 * SIGINT, SIGQUIT and SIGTSTP to the foreground process group. Job control (the foreground
 * group, SIGTTIN/SIGTTOU for background readers and writers) reaches processes through
 * struct tty_jobs, which the process layer provides.
 *
 * Buffers are kernel memory: the file layer copies to and from user memory.
 */
#pragma once

#include <amphi/sync.h>
#include <amphi/types.h>
#include <uapi/common/termios.h>

#define TTY_BUF_SIZE 4096 /* input bytes held; a canonical line holds at most one less */
#define TTY_MAX_LINES 64  /* completed canonical lines not yet read */

struct tty;

/* What the device does for a tty. */
struct tty_device_ops {
	/* Writes n bytes (after output processing) to the device; never fails. */
	void (*write)(struct tty *t, const char *buf, size_t n);
};

/* What processes look like to a tty: the process layer's job control. Absent (NULL), every
 * caller is in the foreground and no signal is sent. */
struct tty_jobs {
	/* Sends sig to every process of group pgrp. */
	void (*signal_group)(unsigned pgrp, int sig);
	/* The calling process's group and session. */
	unsigned (*caller_pgrp)(void);
	unsigned (*caller_sid)(void);
	/* True when the caller ignores or blocks sig (then job control gives -EIO). */
	bool (*caller_ignores)(int sig);
	/* True when the caller has a signal to handle, so a sleep must end with -EINTR. */
	bool (*caller_interrupted)(void);
	/* True when a process group pgrp exists in session sid. */
	bool (*group_in_session)(unsigned pgrp, unsigned sid);
};

struct tty {
	/* its lock guards everything below (irq-safe: input may come from an irq); readers
	 * sleep on it for input, and tty_input_wait callers for room */
	struct waitq wait;
	struct user_termios termios;
	struct user_winsize winsize;
	const struct tty_device_ops *dev;
	const struct tty_jobs *jobs;
	unsigned pgrp, sid; /* foreground group and controlling session, 0: none */
	char buf[TTY_BUF_SIZE];
	size_t head, count; /* bytes [head, head + count) of the ring */
	size_t line_len;    /* canonical: bytes of the line being edited, at the end */
	size_t lines[TTY_MAX_LINES]; /* canonical: lengths of completed lines (0: an EOF) */
	size_t line_first, nlines;
	bool lnext;	    /* the next byte is taken literally (VLNEXT) */
	bool input_closed;  /* the device will send no more input */
	uint64_t generation; /* bumped at each input byte, for VTIME's inter-byte timer */
};

/* Sets up t on device ops dev with Linux's default termios (canonical, echo, signals). */
void tty_init(struct tty *t, const char *name, const struct tty_device_ops *dev);

/* The device received byte c. Any context. */
void tty_input(struct tty *t, char c);

/* The device will send no more input: readers then get what is buffered, then 0. */
void tty_input_close(struct tty *t);

/* Reads up to n bytes into buf as the termios settings say, blocking unless nonblock.
 * Returns the count, 0 at end of input, -EAGAIN, -EINTR (a signal), -EIO (a background
 * reader that cannot be stopped). May block. */
long tty_read(struct tty *t, char *buf, size_t n, bool nonblock);

/* Writes n bytes from buf with output processing. Returns n, or -EIO/-EINTR for a
 * background writer under TOSTOP. */
long tty_write(struct tty *t, const char *buf, size_t n);

/* True when a read would not block. */
bool tty_readable(struct tty *t);

/* The tty ioctls (TCGETS... in termios.h) with arg already copied in or to be copied out
 * through *io (at most sizeof(struct user_termios) bytes): *io_len says how many bytes of
 * io the caller must copy out afterwards, 0 for none. Returns 0, or -ENOTTY for a request
 * that is no tty ioctl, -EINVAL, -EPERM, -ENOTTY (no controlling tty). */
long tty_ioctl(struct tty *t, unsigned cmd, unsigned long arg, void *io, size_t *io_len);

/* The number of bytes an ioctl copies in before tty_ioctl runs (its argument struct), 0 for
 * none. */
size_t tty_ioctl_in_size(unsigned cmd);

/* Job control for a caller about to use t (sig: SIGTTIN to read, SIGTTOU to write or
 * change settings): 0 when it may go on; for a background caller, sig goes to its group
 * and the result is -EINTR (it stops, and restarts the call when continued), or -EIO when
 * it ignores a SIGTTIN (one that ignores SIGTTOU goes on). */
long tty_job_control(struct tty *t, int sig);

/* tty_input from thread context: waits while the input is full of bytes a reader can
 * take, so nothing is lost; a canonical line with no room left drops c, as Linux does. */
void tty_input_wait(struct tty *t, char c);

/* --- the console (kernel/tty/console_tty.c) --- */

/* The console's tty, its input fed from the platform console by a kernel thread started
 * at the first call; NULL when the platform console is no terminal. */
struct tty *tty_console(void);

/* read and write on the console: through its tty, or bytes as they come when the console
 * is no terminal (a read waits for one byte, then takes what is there; 0 at the end of
 * input; -EAGAIN for nonblock with nothing). */
long console_file_read(char *buf, size_t n, bool nonblock);
long console_file_write(const char *buf, size_t n);
