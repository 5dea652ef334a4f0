/* kprintf: formatted output to the console, and the formatter it is built on. */
#pragma once

#include <amphi/types.h>

/* Formats like C99 vsnprintf for the subset: flags "-0+ #", width, precision (also '*'),
 * length "hh h l ll z t j", conversions "d i u x X o c s p %". Always NUL-terminates when
 * size > 0. Returns the length the full output would have (not counting the NUL). */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* snprintf counterpart of kvsnprintf. */
int ksnprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Formats and writes to the console; returns the number of bytes written. Safe before
 * any allocator exists; long output is written in pieces, never truncated. */
int kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Quiet (the kernel command line's "quiet"): kprintf drops the kernel's messages; user
 * programs' output and a panic's report still reach the console. */
void kprintf_set_quiet(bool quiet);

/* kprintf for an error the console shows even when quiet (as Linux's KERN_ERR passes
 * "quiet"): the OOM killer's victims. */
int kprintf_err(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* va_list counterpart of kprintf. */
int kvprintf(const char *fmt, va_list ap);

/* Writes a string to the console unformatted. */
void kputs(const char *s);

/* The kernel log: what the kernel printed (kprintf, kputs; also what "quiet" keeps off the
 * console), its last KLOG_SIZE bytes. */
#define KLOG_SIZE (64u << 10)

/* Copies the log's last min(cap, bytes held) bytes into dst (dst NULL: copies nothing);
 * returns how many. */
size_t klog_read(char *dst, size_t cap);

/* Empties the kernel log (syslog's CLEAR): later reads see only what comes after. */
void klog_clear(void);
