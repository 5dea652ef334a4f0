/* Syscall dispatch: the guest ISA's numbers (include/uapi/<isa>/syscalls.h) index a table of
 * handlers; an unknown number gets -ENOSYS and one line on the console the first time. */
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/proc.h>

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

void syscall_dispatch(struct task *t)
{
	unsigned long nr = arch_syscall_nr(&t->regs);
	unsigned long args[6];

	for (unsigned i = 0; i < 6; i++)
		args[i] = arch_syscall_arg(&t->regs, i);
	/* what a restart after a signal needs (signal_deliver) */
	t->syscall_nr = nr;
	t->syscall_arg0 = args[0];
	t->in_syscall = true;
	syscall_fn fn = nr < SYSCALL_MAX ? syscall_table[nr] : NULL;
	long result = fn ? fn(t->proc, args) : syscall_unknown(t->proc, nr);
	arch_syscall_set_result(&t->regs, result);
}
