/* Between the files of kernel/sched. */
#pragma once

#include <amphi/sched.h>

/* Queue operations; the CPU's rq_lock is held. */
void rq_enqueue(struct cpu_state *c, struct thread *t);
void rq_dequeue(struct cpu_state *c, struct thread *t);

/* Allocates a thread whose first switch runs entry(thread); fn is what sched_thread_start
 * calls. Not yet queued. NULL when out of memory. */
struct thread *sched_new_thread(const char *name, void (*entry)(void *), void (*fn)(void *),
				int nice, cpumask_t affinity);

/* cpu's idle thread for the boot CPU (a fresh context). */
struct thread *sched_make_idle(unsigned cpu);

/* The idle loop of CPU c: pulls work, else waits for an interrupt. */
NORETURN void sched_idle_loop(struct cpu_state *c);

/* Queues a new thread on the least loaded CPU it may run on. */
void sched_place_new(struct thread *t);

/* Adds t to / removes t from the list of all threads. */
void sched_register_thread(struct thread *t);

/* Frees a thread that is off every CPU for good: its stack, context and struct. */
void thread_free(struct thread *t);
