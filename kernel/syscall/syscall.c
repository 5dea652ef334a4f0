/* Syscall dispatch: the guest ISA's numbers (include/uapi/<isa>/syscalls.h) index a table of
 * handlers; an unknown number gets -ENOSYS and one line on the console the first time. */
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/proc.h>
#include <amphi/sched.h>
#include <amphi/syscall.h>

#include "syscalls.h"

#define SYSCALL_MAX 512 /* above every number either ISA uses */

typedef long (*syscall_fn)(struct process *p, const unsigned long *a);

static const syscall_fn syscall_table[SYSCALL_MAX] = {
#define SYSCALL(nr, name) [nr] = sys_##name,
#include GUEST_SYSCALLS
#undef SYSCALL
};

static uint8_t syscall_unknown_seen[SYSCALL_MAX / 8];

/* -ENOSYS for syscall nr, noted on the console once per number. */
static long syscall_unknown(struct process *p, unsigned long nr)
{
	if (nr >= SYSCALL_MAX || !(syscall_unknown_seen[nr / 8] & (1u << (nr % 8)))) {
		kprintf("amphi: pid %u (%s): unknown syscall %lu: ENOSYS\n", p->pid, p->comm, nr);
		if (nr < SYSCALL_MAX)
			syscall_unknown_seen[nr / 8] |= (uint8_t)(1u << (nr % 8));
	}
	return -ENOSYS;
}

/* The handlers syscall_fast may run inside a platform trap: each takes spinlocks at most,
 * touches user memory only through vm_copy_*_user (which resolves pages without sleeping)
 * and changes no register but the result. */
static const syscall_fn syscall_fast_fns[] = {
	sys_getpid,	   sys_getppid,	    sys_gettid,	     sys_getuid,	sys_geteuid,
	sys_getgid,	   sys_getegid,	    sys_getpgid,     sys_getsid,	sys_getpgrp,
	sys_clock_gettime, sys_gettimeofday, sys_time,	     sys_clock_getres,	sys_uname,
	sys_umask,	   sys_rt_sigprocmask, sys_set_tid_address, sys_set_robust_list,
	sys_sysinfo,
};

/* True when fn is one of the handlers syscall_fast may run. */
static bool syscall_is_fast(syscall_fn fn)
{
	for (size_t i = 0; i < sizeof(syscall_fast_fns) / sizeof(syscall_fast_fns[0]); i++) {
		if (syscall_fast_fns[i] == fn)
			return true;
	}
	return false;
}

enum syscall_fast_result syscall_fast(unsigned long nr, const unsigned long *args,
				      long *result)
{
	syscall_fn fn = nr < SYSCALL_MAX ? syscall_table[nr] : NULL;
	struct task *t = task_current();

	if (!fn || !t || !syscall_is_fast(fn))
		return SYSCALL_FAST_NO;
	sched_no_sleep_enter();
	*result = fn(t->proc, args);
	sched_no_sleep_exit();
	return signal_pending(t) ? SYSCALL_FAST_DONE_SIGNAL : SYSCALL_FAST_DONE;
}

long syscall_issue(struct task *t, unsigned long nr, const unsigned long *args)
{
	/* what a restart after a signal needs (signal_deliver) */
	t->syscall_nr = nr;
	t->syscall_arg0 = args[0];
	t->in_syscall = true;
	syscall_fn fn = nr < SYSCALL_MAX ? syscall_table[nr] : NULL;
	return fn ? fn(t->proc, args) : syscall_unknown(t->proc, nr);
}

void syscall_dispatch(struct task *t)
{
	unsigned long args[6];

	for (unsigned i = 0; i < 6; i++)
		args[i] = arch_syscall_arg(&t->regs, i);
	arch_syscall_set_result(&t->regs, syscall_issue(t, arch_syscall_nr(&t->regs), args));
}
