/*
 * user_entry.S: the ring-3 boundary. pc_user_enter saves the kernel's callee-saved registers
 * on the calling thread's stack, records that stack in the CPU's pc_cpu (and as TSS.RSP0,
 * where the CPU switches on a trap from ring 3), loads the user registers and enters ring 3
 * with iretq. Every way back ends in user_return, which stores the user registers into the
 * struct user_regs being run, goes back to the recorded stack and returns from
 * pc_user_enter with why:
 *   - pc_syscall_entry (MSR_LSTAR): the syscall instruction (rcx = return rip, r11 = rflags,
 *     the flags in MSR_SFMASK cleared), returns PC_USER_STOP_SYSCALL;
 *   - pc_user_trap (from traps.S): any exception or interrupt taken in ring 3, returns its
 *     vector with the error code in the pc_cpu.
 * GS: the kernel's GS base is the pc_cpu; in ring 3 it is the user's, and MSR_KERNEL_GS_BASE
 * holds the pc_cpu, so each side of the boundary starts with swapgs. Interrupts stay masked
 * from pc_user_enter's caller to the iretq and from the trap to the caller again.
 */
#include "user_entry.h"

/* Where traps.S leaves a ring-3 trap: vector, error code, then the CPU's frame. */
#define TRAP_VECTOR 0
#define TRAP_ERROR 8
#define TRAP_RIP 16
#define TRAP_RFLAGS 32
#define TRAP_RSP 40

/* Stores the general registers but rdi and rsp into the user_regs at \base. */
.macro store_user_regs base
	movq %rax, UR_RAX(\base)
	movq %rbx, UR_RBX(\base)
	movq %rcx, UR_RCX(\base)
	movq %rdx, UR_RDX(\base)
	movq %rsi, UR_RSI(\base)
	movq %rbp, UR_RBP(\base)
	movq %r8, UR_R8(\base)
	movq %r9, UR_R9(\base)
	movq %r10, UR_R10(\base)
	movq %r11, UR_R11(\base)
	movq %r12, UR_R12(\base)
	movq %r13, UR_R13(\base)
	movq %r14, UR_R14(\base)
	movq %r15, UR_R15(\base)
.endm

	.text
/* unsigned pc_user_enter(struct user_regs *regs): %rdi = regs, interrupts masked. */
	.globl pc_user_enter
	.type pc_user_enter, @function
pc_user_enter:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %gs:PC_CPU_USER_KERNEL_RSP
	movq %rdi, %gs:PC_CPU_USER_REGS
	movq %gs:PC_CPU_TSS_RSP0, %rax
	movq %rsp, (%rax)

	pushq $PC_SEL_USER_DATA
	pushq UR_RSP(%rdi)
	pushq UR_RFLAGS(%rdi)
	pushq $PC_SEL_USER_CODE
	pushq UR_RIP(%rdi)
	movq UR_RAX(%rdi), %rax
	movq UR_RBX(%rdi), %rbx
	movq UR_RCX(%rdi), %rcx
	movq UR_RDX(%rdi), %rdx
	movq UR_RSI(%rdi), %rsi
	movq UR_RBP(%rdi), %rbp
	movq UR_R8(%rdi), %r8
	movq UR_R9(%rdi), %r9
	movq UR_R10(%rdi), %r10
	movq UR_R11(%rdi), %r11
	movq UR_R12(%rdi), %r12
	movq UR_R13(%rdi), %r13
	movq UR_R14(%rdi), %r14
	movq UR_R15(%rdi), %r15
	movq UR_RDI(%rdi), %rdi
	swapgs
	iretq
	.size pc_user_enter, . - pc_user_enter

/* The syscall instruction: ring 0 with the user's rsp, IF clear (MSR_SFMASK). The user_regs
 * themselves serve as the stack while they are stored: nothing is pushed. */
	.globl pc_syscall_entry
	.type pc_syscall_entry, @function
pc_syscall_entry:
	swapgs
	movq %rsp, %gs:PC_CPU_USER_SCRATCH
	movq %gs:PC_CPU_USER_REGS, %rsp
	store_user_regs %rsp
	movq %rdi, UR_RDI(%rsp)
	movq %rcx, UR_RIP(%rsp)
	movq %r11, UR_RFLAGS(%rsp)
	movq %gs:PC_CPU_USER_SCRATCH, %rax
	movq %rax, UR_RSP(%rsp)
	movl $PC_USER_STOP_SYSCALL, %eax
	jmp user_return
	.size pc_syscall_entry, . - pc_syscall_entry

/* A trap taken in ring 3, from traps.S: on TSS.RSP0, the vector and error code on top. */
	.globl pc_user_trap
	.type pc_user_trap, @function
pc_user_trap:
	swapgs
	pushq %rdi
	movq %gs:PC_CPU_USER_REGS, %rdi
	store_user_regs %rdi
	popq %rax
	movq %rax, UR_RDI(%rdi)
	movq TRAP_RIP(%rsp), %rax
	movq %rax, UR_RIP(%rdi)
	movq TRAP_RFLAGS(%rsp), %rax
	movq %rax, UR_RFLAGS(%rdi)
	movq TRAP_RSP(%rsp), %rax
	movq %rax, UR_RSP(%rdi)
	movq TRAP_ERROR(%rsp), %rax
	movq %rax, %gs:PC_CPU_USER_ERROR
	movq TRAP_VECTOR(%rsp), %rax
	/* fall through */

/* Back on pc_user_enter's stack with %rax = why; flags as the kernel runs (IF, DF, AC and
 * TF clear: user code may have set AC, which would lift SMAP). */
user_return:
	movq %gs:PC_CPU_USER_KERNEL_RSP, %rsp
	pushq $2
	popfq
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size pc_user_trap, . - pc_user_trap

	.section .note.GNU-stack, "", @progbits
