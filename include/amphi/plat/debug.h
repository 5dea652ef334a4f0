/* plat/debug.h: symbols for backtraces. */
#pragma once

#include <amphi/types.h>

/* Writes "function+0xoff (file:line)" for return address pc into buf; the function and
 * line are those of the call just before pc. Returns the string length, or -ENOSYS where
 * the platform has no symbols. */
int plat_symbolize(uintptr_t pc, char *buf, size_t len);
