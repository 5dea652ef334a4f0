/* The syscall handlers: sys_<name>(p, args) for every entry of the guest ISA's table,
 * each returning its result or a negative errno, as Linux's do. */
#pragma once

#include <amphi/arch.h>
#include <amphi/proc.h>

#define SYSCALL(nr, name) long sys_##name(struct process *p, const unsigned long *a);
#include GUEST_SYSCALLS
#undef SYSCALL

/* Handlers that only one ISA's table names. */
long sys_arch_prctl(struct process *p, const unsigned long *a);
long sys_readlink(struct process *p, const unsigned long *a);
long sys_time(struct process *p, const unsigned long *a);
