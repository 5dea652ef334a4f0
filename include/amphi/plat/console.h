/* plat/console.h: the console device. */
#pragma once

#include <amphi/types.h>

/* Writes n bytes to the console; blocks until they are accepted by the device. */
void plat_console_write(const char *buf, size_t n);

/* Returns the next console input byte without blocking: -EAGAIN when none is waiting,
 * -EPIPE when the input is closed for good (the hosted stdin reached end of file). */
int plat_console_getc(void);

/* True when the console is a terminal a person types at (then the kernel runs a tty on
 * it); false when its input or output is a file or a pipe (the hosted machine's stdin or
 * stdout redirected), so that bytes should pass through untouched. */
bool plat_console_is_terminal(void);

/* The kernel's tty handles the signal keys (^C, ^Z, ^\) from now on: the platform passes
 * them through as input rather than acting on them itself. */
void plat_console_pass_signals(void);
