/*
 * Host stand-ins for the kernel's panic() and the platform calls that kernel code linked
 * into unit tests reaches. panic() jumps back into the test that expects it.
 */
#include "unit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amphi/console.h>
#include <amphi/panic.h>
#include <amphi/plat.h>

jmp_buf *unit_panic_target;
char unit_panic_message[512];
char unit_console[65536];
size_t unit_console_len;

/* Empties the captured console output. */
void unit_console_reset(void)
{
	unit_console_len = 0;
	unit_console[0] = '\0';
}

/* Records the message; returns to an expecting test, or fails the program. */
void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(unit_panic_message, sizeof(unit_panic_message), fmt, ap);
	va_end(ap);
	if (unit_panic_target)
		longjmp(*unit_panic_target, 1);
	fprintf(stderr, "panic: %s\n", unit_panic_message);
	abort();
}

/* No frames to show in a unit test. */
void backtrace_print(unsigned max_frames)
{
	(void)max_frames;
}

/* Keeps console output for tests to inspect (the last bytes win when it overflows). */
void plat_console_write(const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (unit_console_len + 1 >= sizeof(unit_console))
			unit_console_len = 0;
		unit_console[unit_console_len++] = buf[i];
	}
	unit_console[unit_console_len] = '\0';
}

/* The allocators' memory-checker hooks do nothing here. */
void plat_mem_alloc_hook(void *p, size_t n)
{
	(void)p, (void)n;
}

void plat_mem_free_hook(void *p, size_t n)
{
	(void)p, (void)n;
}

void plat_mem_noaccess(void *p, size_t n)
{
	(void)p, (void)n;
}

void plat_mem_undefined(void *p, size_t n)
{
	(void)p, (void)n;
}

/* Unit tests run on one host thread: nothing to serialize. */
irqflags_t console_lock(void)
{
	return 0;
}

/* See console_lock. */
void console_unlock(irqflags_t flags)
{
	(void)flags;
}

/* No mirror in unit tests: straight to the kept output. */
void console_write(const char *buf, size_t n)
{
	plat_console_write(buf, n);
}
