/* smp.h: bringing up the other CPUs and running functions on them. */
#pragma once

#include <amphi/irq.h>
#include <amphi/types.h>

/* Starts every CPU the platform reports; each runs its idle thread and takes work from the
 * scheduler. Returns the number of CPUs online. Called once by kmain, after sched_init. */
unsigned smp_init(void);

/* Where plat_cpu_start's secondaries begin (entry passed by smp_init): arg is smp's own. */
void smp_secondary_entry(void *arg);

/* Number of CPUs in m (a plain loop: libgcc's popcount uses SIMD registers, which the
 * aarch64 kernel does not enable). */
static inline unsigned cpumask_count(cpumask_t m)
{
	unsigned n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

/* CPUs online, and the set of them. */
unsigned smp_cpus_online(void);
cpumask_t smp_online_mask(void);

/* Runs fn(arg) on every CPU in targets (the caller's own included, directly) and waits for
 * all of them to finish. fn runs in interrupt context on the others, or inside a wait of
 * theirs with interrupts masked (smp_call_poll), so it must take no lock. With the
 * caller's interrupts masked, the wait runs the calls other CPUs queue here meanwhile, so
 * two CPUs calling each other both finish. */
void smp_call_on(cpumask_t targets, void (*fn)(void *arg), void *arg);

/* Runs fn(arg) on every CPU c whose values[c] equals value (values read with atomic
 * loads), as smp_call_on does. */
void smp_call_where(const uint64_t *values, uint64_t value, void (*fn)(void *arg), void *arg);

/* Runs the calls other CPUs queued for this one: for a wait with interrupts masked whose
 * end another CPU's call may depend on (a spin on a lock whose holder waits for this CPU). */
void smp_call_poll(void);

/* Stops every other CPU (IPI_STOP) and waits, boundedly, for them to park. Used by panic
 * and poweroff; safe with interrupts masked. */
void smp_stop_others(void);
