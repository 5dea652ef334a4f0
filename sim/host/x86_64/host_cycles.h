/* x86_64 part of the real-time clock (time/clock.c): the time-stamp counter. */
#pragma once

#include <cpuid.h>
#include <stdbool.h>
#include <stdint.h>
#include <x86intrin.h>

/* True when the counter ticks at one constant rate whatever the CPU's frequency and power
 * state (the invariant TSC: CPUID 0x80000007, EDX bit 8), so a rate calibrated once holds. */
static inline bool sim_host_cycles_invariant(void)
{
	unsigned a, b, c, d;

	return __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
}

/* The counter; a read takes no system call and no memory fence. */
static inline uint64_t sim_host_cycles(void)
{
	return __rdtsc();
}
