/* panic, assertions and backtraces. */
#pragma once

#include <amphi/types.h>

/* Prints "panic: <message>" and a backtrace, then halts this CPU with a failure status
 * (on QEMU and the hosted build, the run ends with a non-zero exit). Never returns. */
NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Prints the call chain of the caller, one frame per line, symbolized where the platform
 * can symbolize. Stops after max_frames or at the outermost frame. */
void backtrace_print(unsigned max_frames);

/* Broken-invariant check that stays on in every build. */
#define assert(cond)                                                                              \
	do {                                                                                      \
		if (unlikely(!(cond)))                                                            \
			panic("assertion failed: %s at %s:%d in %s()", #cond, __FILE__, __LINE__, \
			      __func__);                                                          \
	} while (0)
