/*
 * user_entry.S: the EL0 boundary. a64_user_enter saves the kernel's callee-saved registers
 * and the struct user_regs pointer on the calling thread's stack, loads the user's general
 * registers (its FP/SIMD ones are a64_fp_load's, and stay live in the CPU across runs) and
 * erets to EL0t. SP_EL1 is left
 * where that frame is, so every exception from EL0 arrives on it: vectors.S sends the
 * lower-EL vectors to a64_user_trap, which stores the user registers back and returns from
 * a64_user_enter with the vector index (user_entry.h), interrupts masked as the exception
 * left them, ESR_EL1 and FAR_EL1 still describing it.
 */
#include "user_entry.h"

	.arch_extension fp
	.arch_extension simd

/* Loads (ldp) or stores (stp) q0-q31 at \base. */
.macro fpsimd op, base
	\op	q0, q1, [\base, #0]
	\op	q2, q3, [\base, #32]
	\op	q4, q5, [\base, #64]
	\op	q6, q7, [\base, #96]
	\op	q8, q9, [\base, #128]
	\op	q10, q11, [\base, #160]
	\op	q12, q13, [\base, #192]
	\op	q14, q15, [\base, #224]
	\op	q16, q17, [\base, #256]
	\op	q18, q19, [\base, #288]
	\op	q20, q21, [\base, #320]
	\op	q22, q23, [\base, #352]
	\op	q24, q25, [\base, #384]
	\op	q26, q27, [\base, #416]
	\op	q28, q29, [\base, #448]
	\op	q30, q31, [\base, #480]
.endm

/* Loads (ldp) or stores (stp) x2-x29 at \base + UR_X2. */
.macro gprs op, base
	\op	x2, x3, [\base, #UR_X2]
	\op	x4, x5, [\base, #UR_X2 + 16]
	\op	x6, x7, [\base, #UR_X2 + 32]
	\op	x8, x9, [\base, #UR_X2 + 48]
	\op	x10, x11, [\base, #UR_X2 + 64]
	\op	x12, x13, [\base, #UR_X2 + 80]
	\op	x14, x15, [\base, #UR_X2 + 96]
	\op	x16, x17, [\base, #UR_X2 + 112]
	\op	x18, x19, [\base, #UR_X2 + 128]
	\op	x20, x21, [\base, #UR_X2 + 144]
	\op	x22, x23, [\base, #UR_X2 + 160]
	\op	x24, x25, [\base, #UR_X2 + 176]
	\op	x26, x27, [\base, #UR_X2 + 192]
	\op	x28, x29, [\base, #UR_X2 + 208]
.endm

	.text
/* unsigned a64_user_enter(struct user_regs *regs): x0 = regs, IRQs masked. */
	.globl	a64_user_enter
	.type	a64_user_enter, %function
a64_user_enter:
	stp	x29, x30, [sp, #-USER_FRAME_SIZE]!
	mov	x29, sp
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	str	x0, [sp, #USER_FRAME_REGS]

	ldp	x1, x2, [x0, #UR_SP]		/* sp, pc */
	msr	sp_el0, x1
	msr	elr_el1, x2
	ldp	x1, x2, [x0, #UR_PSTATE]	/* pstate, tpidr_el0 */
	msr	spsr_el1, x1
	msr	tpidr_el0, x2
	ldr	x30, [x0, #UR_X2 + 224]
	gprs	ldp, x0
	ldp	x0, x1, [x0, #UR_X0]
	eret
	.size	a64_user_enter, . - a64_user_enter

/* From vectors.S for an exception from EL0: x0 and x1 pushed below a64_user_enter's frame,
 * x1 = the vector index. */
	.globl	a64_user_trap
	.type	a64_user_trap, %function
a64_user_trap:
	ldr	x0, [sp, #16 + USER_FRAME_REGS]
	gprs	stp, x0
	str	x30, [x0, #UR_X2 + 224]
	ldp	x2, x3, [sp], #16		/* the user's x0 and x1 */
	stp	x2, x3, [x0, #UR_X0]
	mrs	x2, sp_el0
	mrs	x3, elr_el1
	stp	x2, x3, [x0, #UR_SP]
	mrs	x2, spsr_el1
	mrs	x3, tpidr_el0			/* EL0 may write it */
	stp	x2, x3, [x0, #UR_PSTATE]

	mov	x0, x1
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #USER_FRAME_SIZE
	ret
	.size	a64_user_trap, . - a64_user_trap

/* void a64_fp_load(const struct user_regs *regs): FP/SIMD registers from regs (FPEN on). */
	.globl	a64_fp_load
	.type	a64_fp_load, %function
a64_fp_load:
	add	x1, x0, #UR_V
	fpsimd	ldp, x1
	ldr	x1, [x0, #UR_FPSR]
	ldr	x2, [x0, #UR_FPCR]
	msr	fpsr, x1
	msr	fpcr, x2
	ret
	.size	a64_fp_load, . - a64_fp_load

/* void a64_fp_save(struct user_regs *regs): FP/SIMD registers into regs (FPEN on). */
	.globl	a64_fp_save
	.type	a64_fp_save, %function
a64_fp_save:
	add	x1, x0, #UR_V
	fpsimd	stp, x1
	mrs	x1, fpsr
	mrs	x2, fpcr
	str	x1, [x0, #UR_FPSR]
	str	x2, [x0, #UR_FPCR]
	ret
	.size	a64_fp_save, . - a64_fp_save
