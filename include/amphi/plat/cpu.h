/* plat/cpu.h: the CPUs of the machine: how many, which one is executing, starting them,
 * idling them. CPU 0 is the boot CPU; the others are started by the kernel (smp_init). */
#pragma once

#include <amphi/types.h>

/* Most CPUs any platform brings up; more are ignored with a warning. */
#define PLAT_MAX_CPUS 64

/* CPUs the machine has, as discovered by plat_init; at least 1, at most PLAT_MAX_CPUS. */
unsigned plat_cpu_count(void);

/* Index of the executing CPU, 0 .. plat_cpu_count() - 1. Valid from plat_init on, in any
 * context (thread, interrupt, early boot). */
unsigned plat_cpu_id(void);

/* Starts CPU cpu, which has not been started, running entry(arg) on the stack whose top
 * (highest address, 16-byte aligned) is stack_top, with interrupts masked. Returns 0 once
 * the CPU runs entry; -EINVAL for a bad or already started cpu; -EIO when it did not come up.
 * May block. */
int plat_cpu_start(unsigned cpu, void *stack_top, void (*entry)(void *arg), void *arg);

/* Waits until an interrupt is pending for this CPU. Called with interrupts masked; returns
 * with them masked. A wakeup between the caller's last check and the wait is never lost:
 * the interrupt is either taken inside the wait (x86 "sti; hlt") or left pending for the
 * caller to take when it unmasks (aarch64 "wfi", the hosted machine). */
void plat_cpu_idle(void);

/* Stops the executing CPU for good with interrupts masked, leaving the others running
 * (the IPI_STOP handler and panic use it). */
NORETURN void plat_cpu_park(void);

/* Kinds of scheduling points for plat_sched_point(). */
enum plat_point {
	PLAT_POINT_LOCK,   /* about to take a lock */
	PLAT_POINT_UNLOCK, /* just released a lock */
	PLAT_POINT_SPIN,   /* waiting in a spin loop for another CPU */
	PLAT_POINT_IRQ_ON, /* interrupts just became unmasked */
	PLAT_POINT_YIELD,  /* anything else worth interleaving at */
};

#ifdef AMPHI_BARE_METAL
/* On metal every CPU runs freely: no points, and a spin is a spin. */
static inline void plat_sched_point(enum plat_point why)
{
	(void)why;
}
#else
/* A point where the hosted machine in deterministic mode may hand the (one) running
 * simulated CPU over to another, chosen by its seeded PRNG, and delivers pending
 * interrupts. Must be called wherever a CPU may wait for another (PLAT_POINT_SPIN), or
 * deterministic runs would hang. */
void plat_sched_point(enum plat_point why);
#endif
