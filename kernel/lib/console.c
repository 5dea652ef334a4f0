/* The console lock: one message at a time from any CPU, and never a deadlock on it. */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/console.h>
#include <amphi/errno.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/sync.h>

#define CONSOLE_SPIN_LIMIT 10000000UL
#define CONSOLE_INPUT_RING 256 /* bytes from input devices not yet read */
#define CONSOLE_POLL_NS 10000000ULL /* between polls of empty console input */

static int console_owner = -1; /* CPU holding the console */
static unsigned console_depth; /* nested takes by the owner */

irqflags_t console_lock(void)
{
	irqflags_t flags = plat_irq_save();
	int me = (int)plat_cpu_id();

	if (atomic_load(&console_owner) == me) {
		console_depth++;
		return flags;
	}
	for (unsigned long spins = 0; spins < CONSOLE_SPIN_LIMIT; spins++) {
		int free = -1;
		if (atomic_cas(&console_owner, &free, me))
			break;
		plat_sched_point(PLAT_POINT_SPIN);
		arch_cpu_relax();
	}
	atomic_store(&console_owner, me); /* taken, or taken over from a stopped holder */
	console_depth = 1;
	return flags;
}

void console_unlock(irqflags_t flags)
{
	if (--console_depth == 0)
		atomic_store(&console_owner, -1);
	plat_irq_restore(flags);
}

static struct {
	struct spinlock lock;
	char buf[CONSOLE_INPUT_RING];
	unsigned head, count;
} console_input = {.lock = SPINLOCK_INIT("console_input")};

void console_input_push(char c)
{
	irqflags_t flags = spin_lock_irqsave(&console_input.lock);

	if (console_input.count < CONSOLE_INPUT_RING) {
		console_input.buf[(console_input.head + console_input.count) % CONSOLE_INPUT_RING] = c;
		console_input.count++;
	}
	spin_unlock_irqrestore(&console_input.lock, flags);
}

int console_poll_getc(void)
{
	int c = -EAGAIN;
	irqflags_t flags = spin_lock_irqsave(&console_input.lock);

	if (console_input.count) {
		c = (unsigned char)console_input.buf[console_input.head];
		console_input.head = (console_input.head + 1) % CONSOLE_INPUT_RING;
		console_input.count--;
	}
	spin_unlock_irqrestore(&console_input.lock, flags);
	return c == -EAGAIN ? plat_console_getc() : c;
}

int console_getc(void)
{
	int c;

	while ((c = console_poll_getc()) == -EAGAIN) {
		if (thread_current())
			thread_sleep_ns(CONSOLE_POLL_NS);
		else
			arch_cpu_relax();
	}
	return c;
}

static void (*console_mirror)(const char *buf, size_t n);

/* The mirror goes first: once a line is on the platform console, a display already shows
 * it (its driver waits for the device), which is what a screendump taken on seeing the
 * line needs. */
void console_write(const char *buf, size_t n)
{
	if (console_mirror)
		console_mirror(buf, n);
	plat_console_write(buf, n);
}

void console_set_mirror(void (*mirror)(const char *buf, size_t n))
{
	console_mirror = mirror;
}
