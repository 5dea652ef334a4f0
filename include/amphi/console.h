/* console.h: serializing console output between CPUs. */
#pragma once

#include <amphi/plat/irq.h>
#include <amphi/types.h>

/* Takes the console for one message, so lines from several CPUs do not interleave; masks
 * interrupts. Never deadlocks: a CPU already holding it (a panic inside a print) goes on,
 * and a holder that stopped (a parked CPU) is waited for only a bounded time. */
irqflags_t console_lock(void);

/* Releases the console and restores the interrupt state from console_lock. */
void console_unlock(irqflags_t flags);

/* Queues byte c from an input device (a keyboard) as console input, read before the
 * platform console's; dropped when 256 are already waiting. Any context. */
void console_input_push(char c);

/* The next console input byte: a queued one, else the platform console's
 * (plat_console_getc: -EAGAIN for none yet, -EPIPE when it ended). */
int console_poll_getc(void);

/* Waits for the next console input byte (a thread sleeps between polls, so other threads
 * run); -EPIPE when the input is closed for good. May block. */
int console_getc(void);

/* Console lock held: writes n bytes to the mirror, if any, then to the platform console. */
void console_write(const char *buf, size_t n);

/* Console lock held: every console_write from now on is also passed to mirror (NULL:
 * none), e.g. the framebuffer console. */
void console_set_mirror(void (*mirror)(const char *buf, size_t n));
