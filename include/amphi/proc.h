/*
 * proc.h: user processes. A process is an address space and a thread that runs its program
 * through plat_user_run, handling what stops it: syscalls (kernel/syscall/), faults, which
 * end it with SIGSEGV, and interrupts. exec loads a static ELF program and lays out its
 * stack as Linux does.
 */
#pragma once

#include <amphi/arch.h>
#include <amphi/sync.h>
#include <amphi/types.h>

#define PROC_PATH_MAX 256
#define PROC_COMM_MAX 16
#define PROC_NSIG 64

/* Linux's signal numbers that the kernel itself raises. */
#define SIGILL 4
#define SIGKILL 9
#define SIGSEGV 11

/* A signal action as rt_sigaction passes it (struct kernel_sigaction's fields). */
struct proc_sigaction {
	uint64_t handler, flags, restorer, mask;
};

struct process {
	unsigned pid;
	struct vm_space *vm;
	struct thread *thread;
	struct user_regs regs;
	char exe[PROC_PATH_MAX];   /* what /proc/self/exe names */
	char comm[PROC_COMM_MAX];  /* prctl PR_SET_NAME */
	uintptr_t clear_child_tid; /* set_tid_address */
	uintptr_t robust_list;	   /* set_robust_list */
	struct proc_sigaction actions[PROC_NSIG];
	uint64_t sigmask;
	unsigned closed_fds; /* console descriptors 0-2 closed (bit n: fd n) */
	bool exiting;
	int wait_status; /* as wait4 reports it: (code << 8) or the signal number */
	struct completion exited;
};

struct vm_object;

/* Loads the static ELF program in file (its memory object, which the new address space
 * maps) into a fresh address space for p, with argv and envp (NULL-terminated) on its
 * stack, and points p's registers at its entry. path is AT_EXECFN and /proc/self/exe.
 * Returns 0, -ENOEXEC for a file that is no valid program, -E2BIG when the arguments are
 * too large, -ENOMEM. p keeps its old image on failure, and *why (when why is not NULL)
 * names what was wrong with the file. */
int exec_image(struct process *p, struct vm_object *file, const char *path,
	       const char *const *argv, const char *const *envp, const char **why);

/* Starts the first user process: the program in file, found at path, with argv and envp.
 * Returns it, or NULL with *err set (and *why as exec_image sets it). */
struct process *process_start(struct vm_object *file, const char *path,
			      const char *const *argv, const char *const *envp, int *err,
			      const char **why);

/* Waits until p has exited and frees it; returns its wait status. */
int process_wait(struct process *p);

/* The process the calling thread runs; NULL in a kernel thread. */
struct process *process_current(void);

/* Ends p with wait status status once the current syscall returns. */
void process_exit(struct process *p, int status);

/* Handles the syscall p stopped at and stores its result in p's registers. */
void syscall_dispatch(struct process *p);

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
