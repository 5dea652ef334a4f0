/*
 * The console: stdout for output, stdin for input. A terminal on stdin is switched out of
 * line mode and echo (the kernel monitor edits and echoes lines itself) and restored when
 * the process ends, normally or by a signal. Ctrl-C interrupts the process until the
 * kernel's tty takes the signal keys (plat_console_pass_signals); from then on they are
 * input for it, and Ctrl-A x ends the machine (Ctrl-A Ctrl-A sends one Ctrl-A), as under
 * QEMU's -nographic; Ctrl-A s writes the display to amphi-screenshot-N.png, as QEMU's
 * monitor's screendump.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <amphi/plat.h>

#include "sim.h"

/* How long plat_console_getc waits once input has been found missing twice in a row, so
 * a polling loop sleeps instead of spinning, while a single check stays instant. */
#define CONSOLE_IDLE_WAIT_MS 10

static struct {
	struct termios saved;
	volatile sig_atomic_t raw; /* saved holds the mode to restore */
	unsigned char in[256];
	size_t in_pos, in_len;
	bool in_closed;
	unsigned empty_polls;
	bool terminal;	   /* stdin and stdout are terminals (asked once, at init) */
	bool escapes;	   /* Ctrl-A is the escape key: the signal keys are input */
	bool escape_seen;  /* the last byte was the escape key */
	int out_fd;	   /* where output goes (stdout, or the library's choice; -1: nowhere) */
	uint64_t produced; /* bytes the machine wrote since it started */
	uint64_t skip;	   /* the first bytes a replay produces again: not written twice */
} sim_console = {.out_fd = STDOUT_FILENO};

#define CONSOLE_ESCAPE 0x01 /* Ctrl-A */
#define CONSOLE_QUIT_STATUS 130 /* as a shell reports a command that SIGINT ended */

void sim_console_claim_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* open returns the lowest free descriptor: this one */
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(SIM_EXIT_HOST); /* no stderr to complain on, perhaps */
	}
}

void sim_console_set_output(int fd)
{
	sim_console.out_fd = fd;
}

uint64_t sim_console_written(void)
{
	return MAX(__atomic_load_n(&sim_console.produced, __ATOMIC_RELAXED), sim_console.skip);
}

void sim_console_skip(uint64_t bytes)
{
	sim_console.skip = bytes;
}

void sim_console_restore(void)
{
	if (sim_console.raw) {
		sim_console.raw = 0;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &sim_console.saved);
	}
}

/* Restores the terminal, then lets the signal do what it would have done. */
static void console_on_fatal_signal(int sig)
{
	sim_console_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Restores the terminal on the signals that end a process by default. */
static void console_catch_fatal_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa = {.sa_handler = console_on_fatal_signal};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

void sim_console_init(void)
{
	struct termios raw;

	sim_console.terminal = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &sim_console.saved) < 0)
		return;
	raw = sim_console.saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | IEXTEN);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) < 0)
		return;
	sim_console.raw = 1;
	atexit(sim_console_restore);
	console_catch_fatal_signals();
	tool_on_death(sim_console_restore); /* sanitizer reports end with _exit */
}

/* Output that cannot be written is dropped: the console has no error path. (A reader that
 * went away ends the process with SIGPIPE first, as for any filter.) */
void plat_console_write(const char *buf, size_t n)
{
	/* atomic: in parallel mode CPUs write at once */
	uint64_t seen = __atomic_fetch_add(&sim_console.produced, n, __ATOMIC_RELAXED);

	if (seen < sim_console.skip) {
		size_t dup = (size_t)MIN((uint64_t)n, sim_console.skip - seen);
		buf += dup;
		n -= dup;
	}
	while (n > 0) {
		ssize_t done = write(sim_console.out_fd, buf, n);
		if (done < 0 && errno == EINTR)
			continue;
		if (done <= 0)
			return;
		buf += done;
		n -= (size_t)done;
	}
}

/* Refills the input buffer. Returns 0, -EAGAIN when nothing is waiting, -EPIPE at end. */
static int console_fill(void)
{
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
	int wait = sim_console.empty_polls > 1 ? CONSOLE_IDLE_WAIT_MS : 0;
	int ready = poll(&pfd, 1, wait);

	if (ready < 0)
		return errno == EINTR ? -EAGAIN : -EPIPE;
	if (ready == 0)
		return -EAGAIN;
	if (pfd.revents & POLLNVAL)
		return -EPIPE;
	ssize_t got = read(STDIN_FILENO, sim_console.in, sizeof(sim_console.in));
	if (got < 0)
		return errno == EINTR || errno == EAGAIN ? -EAGAIN : -EPIPE;
	if (got == 0)
		return -EPIPE;
	sim_console.in_pos = 0;
	sim_console.in_len = (size_t)got;
	return 0;
}

/* Ctrl-A s: writes the display to the next amphi-screenshot-N.png of the current
 * directory and says so (or why not). */
static void console_screenshot(void)
{
	static unsigned count;
	char path[64];

	snprintf(path, sizeof(path), "amphi-screenshot-%u.png", ++count);
	if (sim_gpu_screenshot(path))
		fprintf(stderr, "\r\namphi: Ctrl-A s: screenshot written to %s\r\n", path);
	else
		fprintf(stderr, "\r\namphi: Ctrl-A s: no screenshot (no display, or %s cannot be "
				"written)\r\n",
			path);
}

/* Input byte c after the escape key's meaning: Ctrl-A x ends the machine, Ctrl-A s writes
 * a screenshot, Ctrl-A Ctrl-A is one Ctrl-A, Ctrl-A alone is swallowed. Returns the byte
 * for the kernel, or -EAGAIN. */
static int console_escape(unsigned char c)
{
	if (!sim_console.escapes)
		return c;
	if (!sim_console.escape_seen) {
		sim_console.escape_seen = c == CONSOLE_ESCAPE;
		return sim_console.escape_seen ? -EAGAIN : c;
	}
	sim_console.escape_seen = false;
	if (c == 'x') {
		sim_console_restore();
		sim_sdl_stop();
		fputs("\r\namphi: Ctrl-A x: machine stopped\n", stderr);
		exit(CONSOLE_QUIT_STATUS);
	}
	if (c == 's')
		console_screenshot();
	return c == CONSOLE_ESCAPE ? c : -EAGAIN;
}

int plat_console_getc(void)
{
	sim_progress_note(); /* waiting for input is not a hang */
	if (sim_console.in_pos == sim_console.in_len) {
		if (sim_console.in_closed)
			return -EPIPE;
		int err = console_fill();
		if (err == -EPIPE)
			sim_console.in_closed = true;
		if (err) {
			if (sim_console.empty_polls < 2)
				sim_console.empty_polls++;
			return err;
		}
	}
	sim_console.empty_polls = 0;
	return console_escape(sim_console.in[sim_console.in_pos++]);
}

bool plat_console_is_terminal(void)
{
	return sim_console.terminal;
}

void plat_console_pass_signals(void)
{
	struct termios mode;

	if (!sim_console.raw || tcgetattr(STDIN_FILENO, &mode) < 0)
		return;
	mode.c_lflag &= ~(tcflag_t)ISIG;
	mode.c_iflag &= ~(tcflag_t)(IXON | ICRNL); /* the kernel's tty does these */
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &mode) == 0)
		sim_console.escapes = true;
}
