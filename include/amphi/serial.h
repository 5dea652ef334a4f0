/* serial.h: helpers the kernel provides to metal serial console drivers. */
#pragma once

#include <amphi/types.h>

/* Writes n bytes through putc, each "\n" as "\r\n" so that terminals return to column 0. */
void serial_write(const char *buf, size_t n, void (*putc)(char c));
