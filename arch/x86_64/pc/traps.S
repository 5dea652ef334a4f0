/*
 * traps.S: entry stubs for all 256 vectors. Each stub makes the stack uniform (a zero error
 * code where the CPU pushes none, then the vector number). A trap taken in ring 3 goes to
 * pc_user_trap (user_entry.S), which ends the user run; one taken in the kernel saves every
 * general register into a struct trap_frame (trap.h) and calls trap_handle(frame) for the
 * 32 exceptions or pc_interrupt(frame) for vectors 32-255.
 */

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERROR_CODE(v) \
	((v) == 8 || (v) == 10 || (v) == 11 || (v) == 12 || (v) == 13 || (v) == 14 || \
	 (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

#define FRAME_RBP 64 /* offsetof(struct trap_frame, rbp) */
#define FRAME_RIP 136 /* offsetof(struct trap_frame, rip) */
#define STUB_CS 24 /* the interrupted CS above the vector, error code and rip */

.macro trap_stub vector
	.balign 16
trap_stub_\vector:
	.if !HAS_ERROR_CODE(\vector)
	pushq $0
	.endif
	pushq $\vector
	jmp trap_common
.endm

	.text
	.irp v, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	trap_stub \v
	.endr

/* Saves the general registers below the vector and error code: a struct trap_frame at
 * %rdi, plus a frame record for the interrupted code, so backtraces run through the trap.
 * The CPU aligned the stack to 16 before its pushes: 5 + 2 + 15 + 2 words keep it so. */
.macro save_frame
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	movq %rsp, %rdi
	pushq FRAME_RIP(%rdi)
	pushq FRAME_RBP(%rdi)
	movq %rsp, %rbp
.endm

/* Undoes save_frame and returns from the trap. */
.macro restore_frame_iret
	addq $16, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp /* vector and error code */
	iretq
.endm

trap_common:
	testb $3, STUB_CS(%rsp)
	jnz pc_user_trap
	save_frame
	call trap_handle
	restore_frame_iret

irq_common:
	testb $3, STUB_CS(%rsp)
	jnz pc_user_trap
	save_frame
	call pc_interrupt
	restore_frame_iret

/* Vectors 32-255: one 16-byte stub each from trap_irq_stubs (.org fails the build if a stub
 * outgrows its slot). */
	.balign 16
	.globl trap_irq_stubs
trap_irq_stubs:
	.set vector, 32
	.rept 256 - 32
1:	pushq $0
	pushq $vector
	jmp irq_common
	.org 1b + 16, 0xcc
	.set vector, vector + 1
	.endr

	.section .rodata
	.balign 8
	.globl trap_stubs
trap_stubs:
	.irp v, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	.quad trap_stub_\v
	.endr

	.section .note.GNU-stack, "", @progbits
