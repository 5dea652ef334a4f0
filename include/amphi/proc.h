/*
 * proc.h: user processes and their threads, with Linux's semantics.
 *
 * A process (struct process, a thread group) holds what its threads share: the pid, the
 * address space, descriptors, signal actions, its place in the process tree (parent,
 * children, process group, session) and its exit status. A task (struct task) is one of
 * its threads: a tid, user registers, a signal mask and pending signals, and the kernel
 * thread that runs its user code through plat_user_run, handling what stops it: syscalls
 * (kernel/syscall/), faults (a synchronous SIGSEGV), interrupts. Signals are delivered on
 * the way back to user mode.
 *
 * One lock, proc_lock (kernel/proc/pid.c), covers the pid table, the tree, process and
 * task states and every signal field; it is a spinlock, so nothing under it sleeps or
 * touches user memory in a way that may sleep.
 */
#pragma once

#include <amphi/arch.h>
#include <amphi/irq.h>
#include <amphi/list.h>
#include <amphi/sync.h>
#include <amphi/types.h>

#define PROC_PATH_MAX 256
#define PROC_COMM_MAX 16
#define PROC_NSIG 64
#define PROC_PID_MAX 32768 /* pids and tids wrap below this, as Linux's default pid_max */
#define INIT_PID 1	   /* init: adopts orphans, and the OOM killer spares it */

/* Linux's signal numbers (the same on x86_64 and aarch64). */
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGSTKFLT 16
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGIO 29
#define SIGPWR 30
#define SIGSYS 31

#define SIG_BIT(sig) (1ULL << ((sig)-1))

/* sa_handler values and sa_flags bits (struct kernel_sigaction). */
#define SIG_DFL 0
#define SIG_IGN 1
#define SA_NOCLDSTOP 0x00000001u
#define SA_NOCLDWAIT 0x00000002u
#define SA_SIGINFO 0x00000004u
#define SA_RESTORER 0x04000000u
#define SA_ONSTACK 0x08000000u
#define SA_RESTART 0x10000000u
#define SA_NODEFER 0x40000000u
#define SA_RESETHAND 0x80000000u

/* si_code values. */
#define SI_USER 0
#define SI_KERNEL 0x80
#define FPE_INTDIV 1
#define FPE_FLTINV 7
#define TRAP_BRKPT 1
#define BUS_ADRALN 1
#define SI_TKILL (-6)
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define ILL_ILLOPC 1
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_STOPPED 5
#define CLD_CONTINUED 6

/* Results a blocking syscall returns when a signal interrupted it; the signal code turns
 * them into -EINTR or restarts the call (Linux's values, never seen by user code). */
#define ERESTARTSYS 512
#define ERESTARTNOHAND 514

/* Resource limits: Linux's RLIMIT_* numbers (the same on x86_64 and aarch64). */
#define RLIMIT_CPU 0
#define RLIMIT_FSIZE 1
#define RLIMIT_DATA 2
#define RLIMIT_STACK 3
#define RLIMIT_CORE 4
#define RLIMIT_RSS 5
#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RLIMIT_MEMLOCK 8
#define RLIMIT_AS 9
#define RLIMIT_LOCKS 10
#define RLIMIT_SIGPENDING 11
#define RLIMIT_MSGQUEUE 12
#define RLIMIT_NICE 13
#define RLIMIT_RTPRIO 14
#define RLIMIT_RTTIME 15
#define RLIM_NLIMITS 16
#define RLIM_INFINITY (~0ULL)

/* One resource's limits, as struct rlimit64 lays them out. */
struct proc_rlimit {
	uint64_t cur, max; /* soft and hard */
};

/* A signal action as rt_sigaction passes it (struct kernel_sigaction's fields). */
struct proc_sigaction {
	uint64_t handler, flags, restorer, mask;
};

/* What a pending signal carries (the fields of siginfo_t the kernel fills in). */
struct ksiginfo {
	int signo, code;
	int pid, uid; /* the sender (kill), or the child (SIGCHLD) */
	int status;   /* SIGCHLD: exit code or signal */
	uintptr_t addr;	 /* faults: the address */
	unsigned access; /* faults: VM_READ, VM_WRITE or VM_EXEC */
	unsigned trap;	 /* traps: the plat_user_trap that raised it; 0 for the rest */
};

enum proc_state {
	PROC_LIVE,   /* has threads */
	PROC_ZOMBIE, /* every thread ended: waits for its parent to reap it */
	PROC_REAPED, /* reaped: freed once the last task reference goes */
};

struct vm_object;
struct fd_table;
struct fs_context;

/* A thread group: what its threads share. */
struct process {
	unsigned pid;
	unsigned refs; /* tasks, the unreaped state, temporary holders (proc_lock) */
	struct vm_space *vm;
	struct vm_object *exe_file; /* the program's file, for /proc/self/exe */
	char exe[PROC_PATH_MAX];    /* what /proc/self/exe names */
	char comm[PROC_COMM_MAX];   /* prctl PR_SET_NAME */
	struct fd_table *fds;	    /* open descriptors (fs.h) */
	struct fs_context *fs;	    /* root, working directory, umask (fs.h) */
	struct process *parent;	    /* NULL for the first process and orphans of a dead init */
	struct list_node children;  /* struct process, by sibling */
	struct list_node sibling;
	struct list_node hash; /* in the pid table */
	unsigned pgid, sid;
	struct list_node tasks; /* struct task, by node */
	unsigned live_tasks;	/* tasks not yet exited */
	/* CPU time in ns (user and kernel together: the hosted machine runs user code inside
	 * the task's kernel thread) of its exited tasks, and of its reaped children with
	 * theirs (proc_lock) */
	uint64_t cpu_ns_exited, cpu_ns_children;
	struct proc_sigaction actions[PROC_NSIG];
	uint64_t shared_pending; /* signals sent to the group (kill) */
	struct ksiginfo shared_info[PROC_NSIG];
	enum proc_state state;
	bool group_exit;  /* exit_group or a fatal signal: every thread ends */
	int exit_status;  /* as wait4 reports it: (code << 8) or the signal number */
	bool stopped;	  /* SIGSTOP and its kind took effect */
	int stop_sig;
	bool report_stop, report_cont; /* a stop or continue the parent did not see yet */
	int exit_signal;	       /* sent to the parent at exit (SIGCHLD, or clone's) */
	struct task *vfork_parent;     /* waits until this vfork child execs or exits */
	bool vfork_done;
	struct proc_rlimit rlim[RLIM_NLIMITS]; /* written under proc_lock */
	unsigned uid, euid, suid;	       /* real, effective and saved user ids */
	struct completion exited;      /* every thread ended (the first process's waiter) */
};

/* A user thread. */
struct task {
	unsigned tid;
	struct process *proc;
	struct thread *kthread;
	struct user_regs regs;
	uint64_t sigmask;
	uint64_t pending; /* signals sent to this thread (tkill, faults) */
	struct ksiginfo info[PROC_NSIG];
	uint64_t sigwait_set;	/* rt_sigtimedwait: signals it waits for (blocked ones too) */
	uint64_t saved_sigmask; /* rt_sigsuspend: the mask to restore after the handler */
	bool restore_sigmask;
	uintptr_t clear_child_tid; /* set_tid_address, CLONE_CHILD_CLEARTID */
	uintptr_t robust_list;	   /* set_robust_list */
	uintptr_t altstack_sp;	   /* sigaltstack, 0 when none */
	size_t altstack_size;
	unsigned long syscall_nr, syscall_arg0; /* the syscall being handled, for restarts */
	bool in_syscall;
	unsigned nproc_uid;	/* the user RLIMIT_NPROC charged it to */
	bool exiting;		/* leaves at the next return to user mode */
	bool call_expired;	/* a served task's request outlived its timeout: interrupted */
	int exit_code;		/* exit(2)'s status for a thread that ends alone */
	bool stopped;		/* parked by a stop signal */
	struct list_node node;	/* in proc->tasks */
	struct list_node hash;	/* in the pid table (by tid) */
	struct list_node dead;	/* on the reaper's list */
	/* a child made by clone(CLONE_VFORK | CLONE_THREAD): the task that waits until it
	 * exits or execs (proc_lock) */
	struct task *vfork_parent;
	bool vfork_released; /* its own such child let it go (proc_lock) */
	void (*served)(struct task *t); /* task_run_served's body, else NULL */
};

/* --- the process table (kernel/proc/pid.c) --- */

extern struct spinlock proc_lock;

/* Takes an unused id (pid or tid) and enters t under it, and its process under the same
 * number when t leads it. Returns the id, or -EAGAIN when every id is taken (proc_lock
 * held). */
int pid_attach(struct task *t, bool leader);

/* Removes t from the table (proc_lock held); its id is free again unless its process
 * still holds it. */
void pid_detach(struct task *t);

/* Enters t again under t->tid, which its process frees for it (exec from a thread other
 * than the leader) (proc_lock held). */
void pid_reattach(struct task *t);

/* Removes p from the table (reaped) (proc_lock held). */
void pid_detach_process(struct process *p);

/* The task with tid id, or NULL (proc_lock held). */
struct task *pid_task(unsigned id);

/* The process with pid id, or NULL (proc_lock held). */
struct process *pid_process(unsigned id);

/* Calls fn(p, ctx) for each live process, stopping when fn returns nonzero, which it
 * returns (proc_lock held). */
int pid_for_each(int (*fn)(struct process *p, void *ctx), void *ctx);

/* Processes alive or zombie. */
unsigned pid_count_processes(void);

/* --- processes (kernel/proc/process.c) --- */

/* A process with no program and no tasks, one reference held; NULL when out of memory. */
struct process *process_alloc(void);

/* Drops a reference (proc_lock held); the last frees p. */
void process_put_locked(struct process *p);

/* A task of p (not yet running, not in the table), holding a reference to p. */
struct task *task_alloc(struct process *p);

/* Enters t in the pid table (and its process too when it leads it) and among its
 * process's tasks. Returns 0, -EAGAIN (no id), -ENOMEM. */
int task_attach(struct task *t, bool leader);

/* Undoes task_attach for a task that never ran. */
void task_unattach(struct task *t, bool leader);

/* Starts t's kernel thread, which runs its registers. Returns 0 or -ENOMEM. */
int task_run(struct task *t);

/* Starts t's kernel thread on a CPU of affinity running body(t) instead of user code (a
 * process whose syscalls come from elsewhere: hostcall.c); t leaves its process when body
 * returns. A clone by a served task makes a served child running the same body. Returns 0
 * or -ENOMEM. */
int task_run_served(struct task *t, void (*body)(struct task *t), cpumask_t affinity);

/* Charges one more task to p's real user unless its RLIMIT_NPROC (root is exempt) or the
 * kernel's task limit is reached: 0 with the uid charged in *uid, or -EAGAIN
 * (kernel/proc/fork.c). */
int fork_count_task(struct process *p, unsigned *uid);

/* Gives back the charge of a task that ended or never started, made to uid. */
void fork_uncount_task(unsigned uid);

/* Makes uid p's real user, moving its tasks' charges to it. Returns 0, or -EAGAIN when
 * no more users can be counted (proc_lock held). */
int proc_set_user(struct process *p, unsigned uid);

/* --- resource limits and credentials (kernel/proc/rlimit.c) --- */

/* Gives p Linux's default limits (those of its first process). */
void rlimit_init(struct process *p);

/* p's soft limit on resource (an RLIMIT_* number). No lock needed. */
uint64_t rlimit_cur(const struct process *p, unsigned resource);

/* Linux's do_prlimit on p for a caller with credentials of `by`: copies the limits of
 * resource to *old (when not NULL) and sets them to *want (when not NULL). Returns 0,
 * -EINVAL (unknown resource, soft above hard), -EPERM (a hard limit raised without
 * privilege, or RLIMIT_NOFILE's above what the descriptor tables hold). */
int rlimit_set(struct process *p, const struct process *by, unsigned resource,
	       const struct proc_rlimit *want, struct proc_rlimit *old);

/* True when p acts with root's privileges (effective uid 0: every capability). */
bool proc_privileged(const struct process *p);

/* True when t is to leave: it exited, or its group is ending. No lock needed. */
bool task_leaving(const struct task *t);

/* Frees t, which never ran, with its reference to its process. */
void task_free_unstarted(struct task *t);

/* The task the calling thread runs; NULL in a kernel thread. */
struct task *task_current(void);

/* The process the calling thread runs; NULL in a kernel thread. */
struct process *process_current(void);

/* Makes t notice a change (a signal, an exit) soon: wakes it when sleeping, and
 * interrupts its user code when it runs (proc_lock held). */
void task_kick(struct task *t);

/* True when the calling task has a signal to handle (false in a kernel thread): a
 * blocking wait on something else (a pipe, poll) ends with -ERESTARTSYS or -ERESTARTNOHAND.
 * No lock needed. */
bool task_interrupted(void);

/* How long a wait that cannot be woken by signals (a wait queue) sleeps between checks of
 * task_interrupted: the bound on how late a signal can end it. */
#define TASK_SIGNAL_CHECK_NS 10000000ULL

/* Sleeps the current task until done(ctx) holds (checked with proc_lock held), a signal
 * is pending, or the monotonic deadline passes. Returns 0, -EINTR or -ETIMEDOUT. Called
 * and returns with proc_lock not held. May block. */
int task_wait_event(bool (*done)(void *ctx), void *ctx, uint64_t deadline_ns);

/* task_wait_event where only the deadline ends the wait early: done must hold when the
 * task is being killed. Returns 0 or -ETIMEDOUT. May block. */
int task_wait_event_killable(bool (*done)(void *ctx), void *ctx, uint64_t deadline_ns);

/* Ends the whole group of p with wait status status (exit_group, fatal signals); the
 * first call sets the status. */
void process_exit_group(struct process *p, int status);
void process_exit_group_locked(struct process *p, int status); /* proc_lock held */

/* Starts the first user process: the program at path in fs (#! lines followed, as execve
 * does), with argv and envp, its descriptors fds and file system context fs (it takes both
 * references). Returns it, or NULL with *err set (and *why as exec_image sets it); fds and
 * fs are dropped then. */
struct process *process_start(const char *path, const char *const *argv,
			      const char *const *envp,
			      struct fd_table *fds, struct fs_context *fs, int *err,
			      const char **why);

/* Waits until p (started by process_start) has exited and releases it; returns its wait
 * status. */
int process_wait(struct process *p);

/* --- fork, exit and wait (kernel/proc/fork.c, kernel/proc/exit.c) --- */

/* Clone flags (Linux's). */
#define CLONE_VM 0x00000100ul
#define CLONE_FS 0x00000200ul
#define CLONE_FILES 0x00000400ul
#define CLONE_SIGHAND 0x00000800ul
#define CLONE_PIDFD 0x00001000ul
#define CLONE_PTRACE 0x00002000ul
#define CLONE_VFORK 0x00004000ul
#define CLONE_PARENT 0x00008000ul
#define CLONE_THREAD 0x00010000ul
#define CLONE_NEWNS 0x00020000ul
#define CLONE_SYSVSEM 0x00040000ul
#define CLONE_SETTLS 0x00080000ul
#define CLONE_PARENT_SETTID 0x00100000ul
#define CLONE_CHILD_CLEARTID 0x00200000ul
#define CLONE_DETACHED 0x00400000ul
#define CLONE_UNTRACED 0x00800000ul
#define CLONE_CHILD_SETTID 0x01000000ul
#define CLONE_IO 0x80000000ul

/* What clone asks for. */
struct clone_args_k {
	unsigned long flags; /* CLONE_* | exit signal */
	uintptr_t stack, parent_tid, child_tid, tls;
};

/* clone for the calling task t: a new process or thread as args says. Returns the new id
 * or a negative errno (-EINVAL for bad flags, -EAGAIN at RLIMIT_NPROC, -ENOMEM). */
long task_clone(struct task *t, const struct clone_args_k *args);

/* Ends the calling task t (exit(2)): with its process when it is the last. */
void task_exit(struct task *t, int code);

/* Lets the task that waits for t go, when t is the child of a clone(CLONE_VFORK |
 * CLONE_THREAD): t exits or execs (proc_lock held). */
void task_vfork_release(struct task *t);

/* Called by the last task of p to leave: releases what p holds, makes it a zombie, tells
 * its parent (SIGCHLD). */
void process_exit_last(struct process *p);

/* wait4/waitid's search: for the calling process, a child matching (idtype, id) whose state
 * options ask for. */
#define WNOHANG 0x00000001
#define WUNTRACED 0x00000002
#define WSTOPPED WUNTRACED
#define WEXITED 0x00000004
#define WCONTINUED 0x00000008
#define WNOWAIT 0x01000000
#define __WNOTHREAD 0x20000000
#define __WALL 0x40000000
#define __WCLONE 0x80000000
#define P_ALL 0
#define P_PID 1
#define P_PGID 2

/* What a wait found. */
struct wait_result {
	unsigned pid;
	int status; /* wait4's status word */
	int code;   /* CLD_* for waitid */
	int value;  /* exit code or signal for waitid */
	uint64_t cpu_ns; /* an exited child's CPU time, with its reaped children's */
};

/* The CPU time in ns of p's tasks, live and exited (proc_lock held). */
uint64_t process_cpu_ns(const struct process *p);

/* Waits for a child of t's process matching idtype/id and options; returns its pid with
 * *res filled, 0 for WNOHANG with nothing, -ECHILD, -EINTR (as -ERESTARTSYS). May block. */
long proc_wait(struct task *t, int idtype, unsigned id, int options, struct wait_result *res);

/* --- exec (kernel/proc/exec.c, kernel/proc/execve.c) --- */

/* Loads the static ELF program in file (its memory object, which the new address space
 * maps) into a fresh address space for t's process, with argv and envp (NULL-terminated) on
 * its stack, and points t's registers at its entry. path is AT_EXECFN and /proc/self/exe.
 * Returns 0, -ENOEXEC for a file that is no valid program, -E2BIG when the arguments are
 * too large, -ENOMEM. The process keeps its old image on failure, and *why (when why is not
 * NULL) names what was wrong with the file. */
int exec_image(struct task *t, struct vm_object *file, const char *path,
	       const char *const *argv, const char *const *envp, const char **why);

/* execve for the calling task: the program at path (a #! script runs its interpreter)
 * with argv and envp, already in kernel memory. Returns 0 (t runs the new program) or a
 * negative errno (t's process unchanged). */
long task_execve(struct task *t, const char *path, const char *const *argv,
		 const char *const *envp);

/* --- the process's files: what fork, exec and exit do with them (kernel/proc/files.c) ---
 * The one place the descriptor table and the working directory are touched, so the VFS
 * can take them over. */

/* Gives child the files of parent as clone_flags say (CLONE_FILES shares, else copies).
 * Returns 0 or -ENOMEM. */
int process_files_fork(struct process *parent, struct process *child, unsigned long clone_flags);

/* Closes p's close-on-exec descriptors. */
void process_files_exec(struct process *p);

/* Loads the program at path, found in t's process's context with #! lines followed, into
 * t's process (which has no image yet): exec_image's and exec_open's results. */
int exec_first(struct task *t, const char *path, const char *const *argv,
	       const char *const *envp, const char **why);

/* Releases p's files (its last thread left). */
void process_files_exit(struct process *p);

/* Finds the program at path for p to exec: a memory object holding its bytes (a reference
 * for the caller). Returns 0, -ENOENT, -ENAMETOOLONG, -ENOMEM. */
int exec_open(struct process *p, const char *path, struct vm_object **file);

/* --- out of memory (kernel/proc/oom.c) --- */

/* The calling task t found no page for its user memory: kills the process using the most
 * memory (init only when no other is left) with SIGKILL, naming it on the console, as
 * Linux's OOM killer, unless a victim is still dying; then waits (bounded) until that
 * victim's memory is back, so that t can try again. t's own process may be the victim.
 * May block. */
void oom_kill(struct task *t);

/* --- signals (kernel/proc/signal.c) --- */

/* Sends sig with info to process p (any of its threads takes it) or to task t alone.
 * sig 0 only checks. Returns 0 (proc_lock held). */
void signal_send_process(struct process *p, const struct ksiginfo *info);
void signal_send_task(struct task *t, const struct ksiginfo *info);

/* Sends info's signal to every live process of group pgrp; returns how many there were
 * (proc_lock held). */
int signal_send_group(unsigned pgrp, const struct ksiginfo *info);

/* True when t has a signal to act on (an unblocked one, or its group is exiting)
 * (proc_lock held, or a hint without it). */
bool signal_pending(const struct task *t);

/* Acts on t's pending signals before it returns to user mode: default actions (exit,
 * stop, ignore) and handlers (a signal frame on its stack). result is the syscall's
 * result when t returns from one (for restarts), else 0 with in_syscall false. */
void signal_deliver(struct task *t);

/* A fault of t's user code: a synchronous signal sig with code, at addr for access (VM_*
 * bits, 0 when no access caused it). */
void signal_fault(struct task *t, int sig, int code, uintptr_t addr, unsigned access);

/* signal_fault for trap (a plat_user_trap), which the signal frame records where the ISA
 * has room for it (x86_64's trapno). */
void signal_trap(struct task *t, int sig, int code, uintptr_t addr, unsigned trap);

/* Takes the lowest pending signal of t in set: thread-directed ones first, as Linux's
 * dequeue does. Returns it with its info in *info, or 0 (proc_lock held). */
int signal_take(struct task *t, uint64_t set, struct ksiginfo *info);

/* Lays out info as Linux's siginfo_t in out (ARCH_SIGINFO_SIZE bytes, the same layout on
 * x86_64 and aarch64). */
void signal_siginfo(uint8_t *out, const struct ksiginfo *info);

/* Drops the signals of set wherever they are pending in p (proc_lock held). */
void signal_discard(struct process *p, uint64_t set);

/* Resets handled signals to their default at exec (ignored ones stay ignored). */
void signal_exec_reset(struct task *t);

/* rt_sigreturn: restores t's registers and mask from the frame on its stack. Returns 0,
 * or -EFAULT for a bad frame (the caller raises SIGSEGV). */
int signal_return(struct task *t);

/* --- futexes (kernel/proc/futex.c) --- */

/* Wakes up to n waiters on the futex word at uaddr of vm with a bit in bitset. Returns
 * how many were woken. */
int futex_wake(struct vm_space *vm, uintptr_t uaddr, int n, uint32_t bitset);

/* Sleeps while the word at uaddr holds val, until woken (bitset matches), the deadline
 * passes or a signal arrives. Returns 0, -EAGAIN, -EFAULT, -ETIMEDOUT, -ERESTARTSYS. */
int futex_wait(struct task *t, uintptr_t uaddr, uint32_t val, uint64_t deadline_ns,
	       uint32_t bitset);

/* FUTEX_REQUEUE and FUTEX_CMP_REQUEUE (when cmp, only while the word at uaddr holds
 * val): wakes up to nwake waiters of uaddr and moves up to nrequeue more to uaddr2.
 * Returns how many were woken or moved, -EAGAIN, -EFAULT, -EINVAL. */
int futex_requeue(struct vm_space *vm, uintptr_t uaddr, uintptr_t uaddr2, int nwake,
		  int nrequeue, bool cmp, uint32_t val);

struct tty_jobs;

/* Job control for ttys: process groups, sessions and signals (kernel/proc/jobs.c). */
extern const struct tty_jobs proc_tty_jobs;

/* True when a live process of session sid is in group pgrp (proc_lock held). */
bool pgrp_in_session(unsigned pgrp, unsigned sid);

/* Handles the syscall t stopped at and stores its result in t's registers. */
void syscall_dispatch(struct task *t);

/* Runs syscall nr (the guest ISA's number) with args for t, the calling task, through the
 * same table as syscall_dispatch; returns its result (a negative errno on failure). */
long syscall_issue(struct task *t, unsigned long nr, const unsigned long *args);

/* Serves the host's syscalls (plat_hostcall_still) in a process of their own, and in the
 * children its clones make, until the host has no more; returns its status in the shell's terms, 127 when it cannot start
 * (kernel/proc/hostcall.c). */
int hostcall_serve(void);

struct boot_info;

/* Runs the first program the boot data names until it exits (kernel/proc/init.c); returns
 * its status in the shell's terms (127 when it could not be started), or -ENOENT when the
 * boot data names none. */
int init_run_program(const struct boot_info *info);


/* Exit status of a process in the shell's terms: the code it exited with, or 128 + the
 * signal that killed it. */
static inline int proc_shell_status(int wait_status)
{
	return (wait_status & 0x7f) ? 128 + (wait_status & 0x7f) : (wait_status >> 8) & 0xff;
}
