/* plat/console.h: the console device. */
#pragma once

#include <amphi/types.h>

/* Writes n bytes to the console; blocks until they are accepted by the device. */
void plat_console_write(const char *buf, size_t n);

/* Returns the next console input byte without blocking: -EAGAIN when none is waiting,
 * -EPIPE when the input is closed for good (the hosted stdin reached end of file). */
int plat_console_getc(void);
