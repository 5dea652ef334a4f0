/*
 * The simulated CPUs: one host thread each, running kernel code natively. CPU 0 is the
 * process's main thread; plat_cpu_start creates the others, each of which moves onto the
 * kernel stack it was given. Which CPU may run when is the scheduler's business
 * (sched.c): in deterministic mode one at a time, in parallel mode all at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <amphi/plat.h>

#include "sim.h"

/* Host stack of a CPU thread before it moves onto its kernel stack; signal handlers of
 * parallel mode run on the kernel stacks, so this one only needs room for the start. */
#define SIM_CPU_THREAD_STACK (256 * 1024)

/* Kernel stacks not made by plat_stack_alloc are assumed this large for the sanitizers. */
#define SIM_CPU_STACK_GUESS (16 * 1024)

struct sim_machine sim_machine = {.lock = PTHREAD_MUTEX_INITIALIZER};

static __thread struct sim_cpu *sim_cpu_current;

/* What a starting CPU runs once it is on its kernel stack. */
struct sim_cpu_boot {
	void (*entry)(void *arg);
	void *arg;
	void *stack_top;
	uintptr_t stack_lo;
	struct sim_cpu *starter; /* waits in plat_cpu_start */
	bool running;		 /* under the lock: the CPU reached entry */
};

static struct sim_cpu_boot sim_cpu_boots[SIM_MAX_CPUS];

__attribute__((noinline)) struct sim_cpu *sim_cpu_self(void)
{
	__asm__ volatile("" ::: "memory"); /* read the thread pointer here, every call */
	return sim_cpu_current;
}

void sim_lock(void)
{
	struct sim_cpu *self = sim_cpu_self();

	if (self)
		self->in_sim++;
	pthread_mutex_lock(&sim_machine.lock);
}

void sim_unlock(void)
{
	struct sim_cpu *self = sim_cpu_self();

	pthread_mutex_unlock(&sim_machine.lock);
	if (self)
		self->in_sim--;
}

void sim_cpu_set_state(struct sim_cpu *cpu, enum sim_cpu_state state)
{
	int change = (state == SIM_CPU_RUNNABLE) - (cpu->state == SIM_CPU_RUNNABLE);

	cpu->state = state;
	__atomic_add_fetch(&sim_machine.runnable, change, __ATOMIC_RELAXED);
}

void sim_cpu_wait(struct sim_cpu *cpu, uint64_t until)
{
	/* atomic: the watchdog thread reads them */
	__atomic_store_n(&cpu->wait_fp, *(uintptr_t *)__builtin_frame_address(0), __ATOMIC_RELAXED);
	__atomic_store_n(&cpu->wait_pc, (uintptr_t)__builtin_return_address(0), __ATOMIC_RELEASE);
	if (until == UINT64_MAX) {
		pthread_cond_wait(&cpu->wake, &sim_machine.lock);
	} else {
		struct timespec ts = {.tv_sec = (time_t)(until / 1000000000u),
				      .tv_nsec = (long)(until % 1000000000u)};
		pthread_cond_timedwait(&cpu->wake, &sim_machine.lock, &ts);
	}
	__atomic_store_n(&cpu->wait_pc, 0, __ATOMIC_RELAXED);
}

/* Initialises cpu's condition variable on CLOCK_MONOTONIC; exits when the host refuses. */
static void cpu_init_one(struct sim_cpu *cpu, unsigned id)
{
	pthread_condattr_t attr;

	cpu->id = id;
	cpu->state = SIM_CPU_OFF;
	cpu->timer = SIM_TIMER_OFF;
	if (pthread_condattr_init(&attr) || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&cpu->wake, &attr)) {
		fputs("amphi: cannot create the CPUs' condition variables\n", stderr);
		exit(SIM_EXIT_HOST);
	}
	pthread_condattr_destroy(&attr);
}

void sim_cpus_init(const struct sim_options *opts)
{
	sim_machine.quiet = opts->exec_argv != NULL;
	sim_machine.trace_hash_file = opts->trace_hash_file;
	sim_machine.ncpus = opts->cpus;
	sim_machine.sched = opts->sched;
	sim_machine.time = opts->time;
	for (unsigned i = 0; i < opts->cpus; i++)
		cpu_init_one(&sim_machine.cpu[i], i);
	sim_cpu_set_state(&sim_machine.cpu[0], SIM_CPU_RUNNABLE);
	sim_machine.cpu[0].thread = pthread_self();
	sim_cpu_current = &sim_machine.cpu[0];
}

unsigned plat_cpu_count(void)
{
	return sim_machine.ncpus;
}

unsigned plat_cpu_id(void)
{
	struct sim_cpu *self = sim_cpu_self();

	return self ? self->id : 0;
}

/* First function on the new CPU's kernel stack: announces the CPU and enters the kernel. */
static SIM_NORETURN void cpu_kernel_entry(void *p)
{
	struct sim_cpu_boot *boot = p;

	tool_switch_end(NULL);
	sim_lock();
	boot->running = true;
	pthread_cond_signal(&boot->starter->wake);
	sim_unlock();
	boot->entry(boot->arg);
	fputs("amphi: a CPU's entry function returned\n", stderr);
	abort();
}

/* The CPU thread: waits for its first turn, then moves onto the kernel stack. */
static void *cpu_thread(void *p)
{
	struct sim_cpu *self = p;
	struct sim_cpu_boot *boot = &sim_cpu_boots[self->id];

	sim_cpu_current = self;
	sim_gdbstub_cpu_begin(self->id);
	sim_lock();
	sim_sched_wait_turn(self);
	sim_unlock();
	tool_switch_begin(NULL, (void *)boot->stack_lo, (uintptr_t)boot->stack_top - boot->stack_lo,
			  NULL, true);
	sim_stack_call(boot->stack_top, cpu_kernel_entry, boot);
}

/* Lock held: creates cpu's thread; returns 0 or -EIO. */
static int cpu_spawn(struct sim_cpu *cpu)
{
	pthread_attr_t attr;
	int err = pthread_attr_init(&attr);

	if (!err)
		err = pthread_attr_setstacksize(&attr, SIM_CPU_THREAD_STACK);
	if (!err)
		err = pthread_create(&cpu->thread, &attr, cpu_thread, cpu);
	pthread_attr_destroy(&attr);
	if (!err) {
		char name[16]; /* what gdb's "info threads" and top show; CPU 0 is the main thread */
		snprintf(name, sizeof(name), "cpu%u", cpu->id);
		pthread_setname_np(cpu->thread, name);
	}
	return err ? -EIO : 0;
}

int plat_cpu_start(unsigned cpu, void *stack_top, void (*entry)(void *arg), void *arg)
{
	if (cpu >= sim_machine.ncpus || !entry || (uintptr_t)stack_top % 16)
		return -EINVAL;
	struct sim_cpu *target = &sim_machine.cpu[cpu];
	struct sim_cpu_boot *boot = &sim_cpu_boots[cpu];
	int err = 0;

	sim_lock();
	if (target->state != SIM_CPU_OFF) {
		sim_unlock();
		return -EINVAL;
	}
	*boot = (struct sim_cpu_boot){
	    .entry = entry, .arg = arg, .stack_top = stack_top, .starter = sim_cpu_self()};
	uintptr_t hi;
	if (!sim_stack_find((uintptr_t)stack_top, &boot->stack_lo, &hi))
		boot->stack_lo = (uintptr_t)stack_top - SIM_CPU_STACK_GUESS;
	sim_cpu_set_state(target, SIM_CPU_RUNNABLE);
	sim_trace_event(SIM_TRACE_START, cpu, 0);
	err = cpu_spawn(target);
	if (err)
		sim_cpu_set_state(target, SIM_CPU_OFF);
	while (!err && !boot->running) { /* deterministic: the new CPU gets the baton here */
		if (sim_deterministic())
			sim_sched_hand_to(boot->starter, target);
		else
			sim_cpu_wait(boot->starter, UINT64_MAX);
	}
	sim_unlock();
	return err;
}

void plat_cpu_idle(void)
{
	struct sim_cpu *self = sim_cpu_self();

	sim_lock();
	if (!__atomic_load_n(&self->irq_line, __ATOMIC_RELAXED)) {
		sim_cpu_set_state(self, SIM_CPU_IDLE);
		sim_sched_wait_turn(self);
	}
	sim_unlock();
	sim_progress_note();
}

void plat_cpu_park(void)
{
	struct sim_cpu *self = sim_cpu_self();

	self->irq_on = 0;
	sim_lock();
	sim_cpu_set_state(self, SIM_CPU_PARKED);
	sim_sched_wait_turn(self); /* never returns: a parked CPU is never runnable again */
	abort();
}
