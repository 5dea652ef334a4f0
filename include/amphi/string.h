/* Memory and string routines. The hosted build links the host libc versions; bare-metal
 * builds link kernel/lib/string.c. Same names and contracts as ISO C. */
#pragma once

#include <amphi/types.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* Copies src into dst of size bytes, always NUL-terminated when size > 0.
 * Returns strlen(src), so a result >= size means truncation. (Kernel's own: not in ISO C.) */
size_t kstrlcpy(char *dst, const char *src, size_t size);
