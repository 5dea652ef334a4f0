/*
 * Kernel context switch, x86_64 System V: the callee-saved registers and the return
 * address are the whole context (the kernel keeps no FPU state across switches).
 *
 *   void arch_ctx_switch(uintptr_t *from_sp, uintptr_t to_sp)
 *   uintptr_t arch_ctx_init_stack(uintptr_t stack_top, void (*entry)(void *), void *arg)
 */
	.text
	.globl	arch_ctx_switch
	.type	arch_ctx_switch, @function
arch_ctx_switch:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)	/* the last store to the old stack */
	movq	%rsi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	arch_ctx_switch, . - arch_ctx_switch

/* First code of a new context: %rbx = entry, %r12 = arg, %rbp = 0, %rsp 16-byte aligned. */
	.type	arch_ctx_start, @function
arch_ctx_start:
	.cfi_startproc
	.cfi_undefined rip
	movq	%r12, %rdi
	call	*%rbx
	ud2			/* entry must not return */
	.cfi_endproc
	.size	arch_ctx_start, . - arch_ctx_start

/* Frame, from the returned sp up: r15 r14 r13 r12(arg) rbx(entry) rbp(0) ret(arch_ctx_start),
 * leaving %rsp = stack_top - 16 after the ret. */
	.globl	arch_ctx_init_stack
	.type	arch_ctx_init_stack, @function
arch_ctx_init_stack:
	.cfi_startproc
	andq	$-16, %rdi
	leaq	-72(%rdi), %rax
	movq	$0, 0(%rax)		/* r15 */
	movq	$0, 8(%rax)		/* r14 */
	movq	$0, 16(%rax)		/* r13 */
	movq	%rdx, 24(%rax)		/* r12 = arg */
	movq	%rsi, 32(%rax)		/* rbx = entry */
	movq	$0, 40(%rax)		/* rbp */
	leaq	arch_ctx_start(%rip), %rcx
	movq	%rcx, 48(%rax)		/* return address */
	movq	$0, 56(%rax)
	movq	$0, 64(%rax)
	ret
	.cfi_endproc
	.size	arch_ctx_init_stack, . - arch_ctx_init_stack

	.section .note.GNU-stack, "", @progbits
