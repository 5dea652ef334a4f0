/*
 * The watchdog: a host thread that checks, a few times a second, whether any CPU made
 * progress: a scheduling point other than a spin (a CPU spinning for another is what a
 * hang looks like), an idle exit, virtual time jumping to a timer, console input polled. After
 * --watchdog seconds of host time without any, the machine is hung: it prints each CPU's state and
 * backtrace and the locks the kernel says are held, then ends the run with SIM_EXIT_DEADLOCK. A CPU
 * blocked inside the sim is walked from where it blocked; a running one is sampled with a signal.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <amphi/atomic.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/sync.h>

#include "sim.h"

#define WATCHDOG_POLL_NS 250000000ULL	 /* how often progress is checked */
#define WATCHDOG_SAMPLE_NS 1000000000ULL /* how long a running CPU gets to answer */
#define WATCHDOG_SIGNAL SIGUSR2
/* A poll that slept this much longer than asked means the whole process was stopped (a
 * debugger at a breakpoint, SIGSTOP): no CPU could make progress, and that is no hang. */
#define WATCHDOG_STOPPED_NS (4 * WATCHDOG_POLL_NS)

static unsigned watchdog_seconds;

/* Records where the interrupted CPU thread is (the sampling signal). */
static void watchdog_on_signal(int sig, siginfo_t *si, void *ucontext)
{
	struct sim_cpu *self = sim_cpu_self();
	uintptr_t pc, fp;

	(void)sig, (void)si;
	if (!self)
		return;
	sim_fault_regs(ucontext, &pc, &fp);
	self->sampled_pc = pc;
	self->sampled_fp = fp;
	__atomic_store_n(&self->sampled, 1, __ATOMIC_RELEASE);
}

/* Sleeps ns nanoseconds of host time. */
static void watchdog_sleep(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
			      .tv_nsec = (long)(ns % 1000000000u)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Asks a running CPU's thread where it is; false when it does not answer in time. */
static bool watchdog_sample(struct sim_cpu *cpu)
{
	__atomic_store_n(&cpu->sampled, 0, __ATOMIC_RELAXED);
	if (pthread_kill(cpu->thread, WATCHDOG_SIGNAL))
		return false;
	for (uint64_t waited = 0; waited < WATCHDOG_SAMPLE_NS; waited += 1000000) {
		if (__atomic_load_n(&cpu->sampled, __ATOMIC_ACQUIRE))
			return true;
		watchdog_sleep(1000000);
	}
	return false;
}

/* Prints the state and backtrace of one CPU. */
static void watchdog_report_cpu(struct sim_cpu *cpu)
{
	static const char *const names[] = {"off", "runnable", "idle", "parked"};
	uintptr_t pc = __atomic_load_n(&cpu->wait_pc, __ATOMIC_ACQUIRE);
	uintptr_t fp = __atomic_load_n(&cpu->wait_fp, __ATOMIC_ACQUIRE);

	sim_console_printf("cpu %u: %s%s\n", cpu->id, names[cpu->state],
			   pc ? ", waiting in the sim" : "");
	if (cpu->state == SIM_CPU_OFF)
		return;
	if (pc) {
		sim_backtrace_print(pc, fp, false);
	} else if (watchdog_sample(cpu)) {
		sim_backtrace_print(cpu->sampled_pc, cpu->sampled_fp, true);
	} else {
		sim_console_printf("  (did not answer)\n");
	}
}

/* Prints the locks that each CPU's current thread holds, from the lock debugging's
 * per-thread records, read without taking any kernel lock (a hung CPU may hold one). */
static void watchdog_report_locks(void)
{
	unsigned listed = 0;

	for (unsigned i = 0; i < sim_machine.ncpus; i++) {
		struct thread *t = atomic_load_relaxed(&cpu_of(i)->current);
		for (unsigned k = 0; t && k < t->held_count && k < LOCKDEP_HELD_MAX; k++) {
			char sym[128];
			if (plat_symbolize(t->held[k].taken_at, sym, sizeof(sym)) < 0)
				snprintf(sym, sizeof(sym), "%#lx",
					 (unsigned long)t->held[k].taken_at);
			sim_console_printf("cpu %u: thread \"%s\" holds \"%s\", taken at %s\n", i,
					   t->name, t->held[k].lock->name, sym);
			listed++;
		}
	}
	if (!listed)
		sim_console_printf("amphi: watchdog: no thread holds a tracked lock\n");
}

/* Reports the hang and ends the run. */
static SIM_NORETURN void watchdog_fire(void)
{
	sim_console_printf("amphi: watchdog: no CPU made progress for %u s; the machine is hung\n",
			   watchdog_seconds);
	for (unsigned i = 0; i < sim_machine.ncpus; i++)
		watchdog_report_cpu(&sim_machine.cpu[i]);
	watchdog_report_locks();
	sim_console_restore();
	_exit(SIM_EXIT_DEADLOCK);
}

/* The watchdog thread. */
static void *watchdog_thread(void *unused)
{
	uint64_t last = sim_progress_count(), since = sim_host_now();

	(void)unused;
	for (;;) {
		uint64_t asleep = sim_host_now();
		watchdog_sleep(WATCHDOG_POLL_NS);
		uint64_t now = sim_host_now(), progress = sim_progress_count();
		if (now - asleep >= WATCHDOG_POLL_NS + WATCHDOG_STOPPED_NS ||
		    sim_gdbstub_holding()) {
			since = now; /* the process, or the machine (gdbstub), was stopped */
		} else if (progress != last) {
			last = progress;
			since = now;
		} else if (now - since >= watchdog_seconds * 1000000000ULL) {
			watchdog_fire();
		}
	}
	return NULL;
}

void sim_watchdog_init(unsigned seconds)
{
	struct sigaction sa = {.sa_sigaction = watchdog_on_signal,
			       .sa_flags = SA_SIGINFO | SA_RESTART};
	pthread_t thread;

	if (!seconds)
		return;
	watchdog_seconds = seconds;
	sigemptyset(&sa.sa_mask);
	if (sigaction(WATCHDOG_SIGNAL, &sa, NULL) < 0 ||
	    pthread_create(&thread, NULL, watchdog_thread, NULL)) {
		fputs("amphi: cannot start the watchdog\n", stderr);
		exit(SIM_EXIT_HOST);
	}
	pthread_setname_np(thread, "watchdog");
}
