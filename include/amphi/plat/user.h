/* plat/user.h: running user code. A thread that runs a user program calls plat_user_run in
 * a loop: the platform runs the program's registers over its address space until something
 * needs the kernel (a syscall, a fault it could not resolve, an interrupt), then returns. */
#pragma once

#include <amphi/types.h>

struct user_regs;
struct vm_space;

/* Why plat_user_run returned. */
enum plat_user_stop {
	PLAT_USER_SYSCALL,   /* regs stop after a syscall instruction; the number is in regs */
	PLAT_USER_FAULT,     /* an access the address space does not allow (*fault says which) */
	PLAT_USER_INTERRUPT, /* an interrupt or the end of a time budget: nothing to do */
	PLAT_USER_ILLEGAL,   /* an instruction the CPU model cannot execute (SIGILL) */
	PLAT_USER_TRAP,	     /* another exception Linux gives its own signal (*fault says which) */
};

/* The exceptions of PLAT_USER_TRAP. */
enum plat_user_trap {
	PLAT_TRAP_DIVIDE = 1, /* integer division by zero or overflow (x86 #DE) */
	PLAT_TRAP_FP,	      /* an unmasked floating-point exception (x86 #MF, #XM) */
	PLAT_TRAP_BREAKPOINT, /* a breakpoint instruction (x86 int3, aarch64 brk) */
	PLAT_TRAP_ALIGN,      /* a misaligned pc or stack pointer, an alignment check */
	PLAT_TRAP_PROTECTION, /* a general protection fault: a privileged instruction, port
				 I/O without rights, a bad selector (x86 #GP, #SS, #NP, #TS) */
};

/* A user fault the kernel's tables did not allow (PLAT_USER_FAULT), or a trap
 * (PLAT_USER_TRAP). */
struct plat_user_fault {
	uintptr_t addr;	 /* the address accessed; for a trap, the instruction's */
	unsigned access; /* VM_READ, VM_WRITE or VM_EXEC */
	int error;	 /* from vm_resolve: -EFAULT (no mapping), -EACCES, -ENOMEM; for a trap,
			    its plat_user_trap */
};

/* Runs user code of vm from *regs until it needs the kernel; updates *regs and returns a
 * plat_user_stop, filling *fault for PLAT_USER_FAULT. Page misses are resolved with
 * vm_resolve on the way. Called from thread context with interrupts unmasked. */
int plat_user_run(struct vm_space *vm, struct user_regs *regs, struct plat_user_fault *fault);

/* Metal: writes the FP/SIMD registers the executing CPU still holds for a user program
 * back into its struct user_regs (which is current after this). plat_ctx_switch calls it
 * before the CPU leaves a thread; kernel code that reads or writes those fields, or frees
 * a struct user_regs the calling thread ran, calls it first. */
void plat_user_save_fp(void);

/* True when user mappings may lie in [start, end) on this platform. */
bool plat_user_range_ok(uintptr_t start, uintptr_t end);

/* The highest user address plus one at which the main thread's stack may end. */
uintptr_t plat_user_stack_top(void);

/* What the CPU model executes, for AT_HWCAP and AT_HWCAP2 (only what it really runs),
 * and AT_PLATFORM. */
unsigned long plat_user_hwcap(void);
unsigned long plat_user_hwcap2(void);
const char *plat_user_platform(void);
