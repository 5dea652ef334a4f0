/*
 * Defaults for the sanitizer build: a checker's report ends the run with status 99, as
 * `valgrind --error-exitcode=99` does, so it cannot be mistaken for the kernel's own
 * power-off statuses (0 pass, 1 fail, 3 panic). ASAN_OPTIONS, UBSAN_OPTIONS and TSAN_OPTIONS still
 * override.
 */
#include "sim.h"

#if SIM_ASAN
/* Read by the ASan runtime before main. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "exitcode=99";
}

/* Read by the UBSan runtime before main. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "exitcode=99:print_stacktrace=1";
}
#endif

#if SIM_TSAN
/* Read by the TSan runtime before main. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "exitcode=99";
}
#endif
