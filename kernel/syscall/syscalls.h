/* The syscall handlers: sys_<name>(p, args) for every entry of the guest ISA's table,
 * each returning its result or a negative errno, as Linux's do. */
#pragma once

#include <amphi/arch.h>
#include <amphi/kprintf.h>
#include <amphi/proc.h>

#define SYSCALL(nr, name) long sys_##name(struct process *p, const unsigned long *a);
#include GUEST_SYSCALLS
#undef SYSCALL

/* Handlers that only one ISA's table names (x86_64 keeps the pre-*at calls). */
long sys_arch_prctl(struct process *p, const unsigned long *a);
long sys_access(struct process *p, const unsigned long *a);
long sys_chmod(struct process *p, const unsigned long *a);
long sys_chown(struct process *p, const unsigned long *a);
long sys_creat(struct process *p, const unsigned long *a);
long sys_dup2(struct process *p, const unsigned long *a);
long sys_lchown(struct process *p, const unsigned long *a);
long sys_link(struct process *p, const unsigned long *a);
long sys_lstat(struct process *p, const unsigned long *a);
long sys_mkdir(struct process *p, const unsigned long *a);
long sys_mknod(struct process *p, const unsigned long *a);
long sys_open(struct process *p, const unsigned long *a);
long sys_pipe(struct process *p, const unsigned long *a);
long sys_poll(struct process *p, const unsigned long *a);
long sys_readlink(struct process *p, const unsigned long *a);
long sys_time(struct process *p, const unsigned long *a);
long sys_rename(struct process *p, const unsigned long *a);
long sys_rmdir(struct process *p, const unsigned long *a);
long sys_select(struct process *p, const unsigned long *a);
long sys_stat(struct process *p, const unsigned long *a);
long sys_symlink(struct process *p, const unsigned long *a);
long sys_unlink(struct process *p, const unsigned long *a);

long sys_fork(struct process *p, const unsigned long *a);
long sys_vfork(struct process *p, const unsigned long *a);
long sys_pause(struct process *p, const unsigned long *a);
long sys_getpgrp(struct process *p, const unsigned long *a);

/* Reads a struct timespec at user address uaddr as nanoseconds (saturating). Returns 0,
 * -EFAULT, or -EINVAL when it is negative or its nanoseconds are out of range. */
int time_read_timespec(struct process *p, uintptr_t uaddr, uint64_t *ns);

/* The monotonic time ns from now, saturating. */
uint64_t time_deadline(uint64_t ns);

/* The monotonic time at which clock (a valid CLOCK_* id) reads deadline. */
uint64_t time_monotonic_deadline(unsigned long clock, uint64_t deadline);
