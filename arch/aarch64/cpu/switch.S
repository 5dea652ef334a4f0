/*
 * Kernel context switch, AAPCS64: x19-x28, the frame pointer x29 and the link register x30
 * are the whole context (the kernel is built without FP/SIMD registers).
 *
 *   void arch_ctx_switch(uintptr_t *from_sp, uintptr_t to_sp)
 *   uintptr_t arch_ctx_init_stack(uintptr_t stack_top, void (*entry)(void *), void *arg)
 */
	.text
	.globl	arch_ctx_switch
	.type	arch_ctx_switch, %function
arch_ctx_switch:
	sub	sp, sp, #96
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	mov	x9, sp
	str	x9, [x0]		/* the last store to the old stack */
	mov	sp, x1
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	add	sp, sp, #96
	ret
	.size	arch_ctx_switch, . - arch_ctx_switch

/* First code of a new context: x19 = entry, x20 = arg, x29 = x30 = 0. */
	.type	arch_ctx_start, %function
arch_ctx_start:
	mov	x0, x20
	blr	x19
	brk	#0x3c			/* entry must not return */
	.size	arch_ctx_start, . - arch_ctx_start

/* Frame of 96 bytes below stack_top: x19 = entry, x20 = arg, x29 = 0, x30 = arch_ctx_start. */
	.globl	arch_ctx_init_stack
	.type	arch_ctx_init_stack, %function
arch_ctx_init_stack:
	and	x0, x0, #~15
	sub	x0, x0, #96
	stp	x1, x2, [x0, #0]
	stp	xzr, xzr, [x0, #16]
	stp	xzr, xzr, [x0, #32]
	stp	xzr, xzr, [x0, #48]
	stp	xzr, xzr, [x0, #64]
	adr	x9, arch_ctx_start
	stp	xzr, x9, [x0, #80]
	ret
	.size	arch_ctx_init_stack, . - arch_ctx_init_stack

	.section .note.GNU-stack, "", @progbits
