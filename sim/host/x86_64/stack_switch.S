/*
 * sim_stack_call(top, fn, arg): x86_64 System V. Moves onto the stack whose highest
 * address is top (16-byte aligned) and calls fn(arg) with %rbp = 0, so frame-pointer walks
 * end at fn's frame; the CFI marks this as the outermost frame for DWARF unwinders.
 */
	.text
	.globl	sim_stack_call
	.type	sim_stack_call, @function
sim_stack_call:
	.cfi_startproc
	movq	%rdi, %rsp
	.cfi_undefined rip
	xorl	%ebp, %ebp
	movq	%rdx, %rdi
	call	*%rsi
	ud2			/* fn must not return */
	.cfi_endproc
	.size	sim_stack_call, . - sim_stack_call

	.section .note.GNU-stack, "", @progbits
