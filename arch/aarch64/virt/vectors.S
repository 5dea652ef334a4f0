/*
 * The EL1 vector table: 16 entries of 0x80 bytes. Exceptions from AArch64 EL0 (vectors
 * 8-11) end the user run: a64_user_trap (user_entry.S) stores the user registers and
 * returns to plat_user_run. Every other entry saves the full register state as a struct
 * exc_frame on the current stack and calls exc_handle(frame, vector index); if that
 * returns, the state is restored and the exception returns.
 */
#include "exception.h"

.macro vector_entry index
	.balign	0x80
	sub	sp, sp, #EXC_FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x1, #\index
	b	exc_entry_common
.endm

/* An exception from AArch64 EL0, on the kernel stack a64_user_enter left in SP_EL1. */
.macro vector_entry_el0 index
	.balign	0x80
	stp	x0, x1, [sp, #-16]!
	mov	x1, #\index
	b	a64_user_trap
.endm

	.text
	.balign	0x800
	.globl	el1_vectors
el1_vectors:
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7
	vector_entry \i
	.endr
	.irp	i, 8, 9, 10, 11
	vector_entry_el0 \i
	.endr
	.irp	i, 12, 13, 14, 15
	vector_entry \i
	.endr

/* x0/x1 already saved, x1 = vector index. */
exc_entry_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	/* The interrupted SP: this stack for vectors 4-7 (EL1 on SP_EL1); SP_EL0 for the
	 * others (EL1 on SP_EL0, and every lower EL). */
	add	x2, sp, #EXC_FRAME_SIZE
	sub	x3, x1, #4
	cmp	x3, #4
	b.lo	1f
	mrs	x2, sp_el0
1:	mrs	x3, elr_el1
	mrs	x4, spsr_el1
	stp	x2, x3, [sp, #EXC_FRAME_SP]
	mrs	x5, esr_el1
	stp	x4, x5, [sp, #EXC_FRAME_SPSR]
	mrs	x6, far_el1
	stp	x6, x29, [sp, #EXC_FRAME_FAR]	/* far, then record[0] = x29 */
	str	x3, [sp, #EXC_FRAME_RECORD + 8]	/* record[1] = elr */
	add	x29, sp, #EXC_FRAME_RECORD
	mov	x0, sp
	bl	exc_handle

	ldp	x2, x3, [sp, #EXC_FRAME_ELR]	/* elr, spsr (the handler may edit them) */
	msr	elr_el1, x2
	msr	spsr_el1, x3
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	add	sp, sp, #EXC_FRAME_SIZE
	eret
