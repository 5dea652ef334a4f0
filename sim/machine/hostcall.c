/*
 * The kernel as a library: the host program's thread is CPU 0, and it runs either the host
 * program or the kernel, never both. sim_hostcall_boot switches from the caller's stack to
 * the kernel's boot stack; kmain starts the served process (kernel/proc/hostcall.c), and
 * when nothing on CPU 0 can run, its idle thread switches back to the caller in
 * plat_hostcall_still. Each request switches into that thread, which hands it to its
 * served task, and the caller gets control back when the machine is still again: the call
 * ended, or its task blocked (it ends later, at its timeout or when another task's call
 * releases it). So a request runs in a real process context, through the real dispatcher,
 * and the machine stands still (interrupts masked on CPU 0, which holds the deterministic
 * turn) while the host program runs: no second host thread, no wake-up across threads, and
 * the run stays deterministic. The cost is that every call must come from the booting
 * thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amphi/arch.h>
#include <amphi/init.h>
#include <amphi/plat.h>

#include "sim.h"

#define HOSTCALL_BOOT_STACK_SIZE ((SIM_ASAN ? 256 : 64) * 1024)

static struct {
	uintptr_t host_sp;	     /* the host program's context while the kernel runs */
	uintptr_t kernel_sp;	     /* CPU 0's idle thread's (at first the boot stack's) */
	const void *host_lo;	     /* the host stack's range, for ASan */
	size_t host_size;
	enum plat_hostcall_order order; /* what the host wants */
	struct plat_hostcall *call;  /* the request being handed in */
	const struct plat_hostcall_task *tasks; /* the kernel's view of the served tasks */
	bool serving;		     /* the machine waits in plat_hostcall_still */
	struct sim_stack boot_stack;
} hostcall;
/* Switches from the host program into the kernel, which switches back when it waits for
 * the next request (or when it can serve none). */
static void hostcall_enter_kernel(void)
{
	struct tool_switch save;
	uintptr_t lo = 0, hi = 0;

	sim_stack_find(hostcall.kernel_sp, &lo, &hi);
	tool_switch_begin(&save, (void *)lo, hi - lo, NULL, false);
	arch_ctx_switch(&hostcall.host_sp, hostcall.kernel_sp);
	tool_switch_end(&save);
}

/* First function on the boot stack: notes the host stack and enters the kernel. */
static SIM_NORETURN void hostcall_boot_entry(void *bootinfo)
{
	tool_switch_end_from(NULL, &hostcall.host_lo, &hostcall.host_size);
	kmain(bootinfo);
}

int sim_hostcall_boot(void *bootinfo)
{
	int err = sim_stack_create(&hostcall.boot_stack, HOSTCALL_BOOT_STACK_SIZE);

	if (err)
		return err;
	hostcall.kernel_sp = arch_ctx_init_stack((uintptr_t)hostcall.boot_stack.hi,
						 hostcall_boot_entry, bootinfo);
	hostcall_enter_kernel();
	return hostcall.serving ? 0 : -ECHILD;
}

/* Has the kernel do order (with call for PLAT_HOSTCALL_ISSUE) and returns when the machine
 * is still again: 0, or -ESHUTDOWN once stopped. */
static int hostcall_order(enum plat_hostcall_order order, struct plat_hostcall *call)
{
	if (!hostcall.serving)
		return -ESHUTDOWN;
	hostcall.order = order;
	hostcall.call = call;
	hostcall_enter_kernel();
	return 0;
}

/* True when the machine, still, could do something if let go on: CPU 0 has an interrupt
 * to take, another CPU can run, or a timer is armed. */
static bool hostcall_can_progress(void)
{
	bool armed;

	if (__atomic_load_n(&sim_machine.cpu[0].irq_line, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&sim_machine.runnable, __ATOMIC_ACQUIRE) > 1)
		return true;
	sim_lock();
	armed = sim_time_armed();
	sim_unlock();
	return armed;
}

int sim_hostcall_issue(struct plat_hostcall *call)
{
	if (!hostcall.serving)
		return -ESHUTDOWN;
	if (call->task >= PLAT_HOSTCALL_TASKS || !hostcall.tasks[call->task].tid)
		return -ESRCH;
	if (hostcall.tasks[call->task].busy)
		return -EBUSY;
	call->result = -ENOSYS;
	call->done = false;
	return hostcall_order(PLAT_HOSTCALL_ISSUE, call);
}

int sim_hostcall_run(void)
{
	if (hostcall.serving && !hostcall_can_progress())
		return -EDEADLK;
	return hostcall_order(PLAT_HOSTCALL_RUN, NULL);
}

int sim_hostcall_end_tasks(void)
{
	return hostcall_order(PLAT_HOSTCALL_END_TASKS, NULL);
}

const struct plat_hostcall_task *sim_hostcall_tasks(void)
{
	return hostcall.tasks;
}

/* Ends the program: what, which the host waits for, can never happen in the machine. */
static SIM_NORETURN void hostcall_stuck(const char *what)
{
	fprintf(stderr, "amphi: %s waits for what can never happen in the machine\n", what);
	abort();
}

long sim_hostcall(struct plat_hostcall *call)
{
	if (!hostcall.serving)
		return -ESHUTDOWN;
	if (call->task >= PLAT_HOSTCALL_TASKS || !hostcall.tasks[call->task].tid)
		return -ESRCH;
	while (hostcall.tasks[call->task].busy) { /* its last call ends first */
		int err = sim_hostcall_run();
		if (err == -EDEADLK)
			hostcall_stuck("a served task's call");
		if (err)
			return err;
	}
	int err = sim_hostcall_issue(call);
	while (!err && !call->done) {
		err = sim_hostcall_run();
		if (err == -EDEADLK)
			hostcall_stuck("a host call");
	}
	return err ? err : call->result;
}

void sim_hostcall_stop(void)
{
	hostcall.serving = false;
}

enum plat_hostcall_order plat_hostcall_still(const struct plat_hostcall_task *tasks,
					     struct plat_hostcall **call)
{
	struct tool_switch save;

	if (plat_cpu_id() != 0)
		return PLAT_HOSTCALL_RUN; /* the host program's thread is CPU 0's */
	hostcall.tasks = tasks;
	hostcall.serving = true;
	tool_switch_begin(&save, hostcall.host_lo, hostcall.host_size, NULL, false);
	arch_ctx_switch(&hostcall.kernel_sp, hostcall.host_sp);
	tool_switch_end_from(&save, &hostcall.host_lo, &hostcall.host_size);
	if (!hostcall.serving)
		return PLAT_HOSTCALL_STOP;
	*call = hostcall.call;
	return hostcall.order;
}
