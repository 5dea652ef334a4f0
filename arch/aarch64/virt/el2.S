/*
 * Leaving EL2 for EL1. When a loader enters the kernel at EL2 (QEMU virtualization=on,
 * most boards), the kernel gives up EL2 and runs at EL1 with no traps and an un-offset
 * virtual counter. A stub vector table stays behind at EL2 so a stray HVC from EL1 returns
 * an error instead of jumping into the unknown.
 */
#include "sysreg.h"

	.text
/* Called at EL2 with the MMU off; returns at EL1h with DAIF masked and SCTLR_EL1 in its
 * boot state. Uses no stack. Clobbers x0-x1. */
	.globl	el2_enter_el1
el2_enter_el1:
	ldr	x0, =HCR_EL2_RW
	msr	hcr_el2, x0
	isb				/* E2H is now 0: the writes below use the non-VHE layouts */
	mov	x0, #CNTHCTL_EL1PCTEN_EL1PCEN
	msr	cnthctl_el2, x0
	msr	cntvoff_el2, xzr
	mrs	x0, midr_el1		/* EL1 reads of MIDR/MPIDR see the real values */
	msr	vpidr_el2, x0
	mrs	x0, mpidr_el1
	msr	vmpidr_el2, x0
	ldr	x0, =CPTR_EL2_NOTRAP
	msr	cptr_el2, x0
	msr	hstr_el2, xzr
	msr	vttbr_el2, xzr
	mrs	x0, id_aa64pfr0_el1
	ubfx	x0, x0, #24, #4		/* GIC system register interface present? */
	cbz	x0, 1f
	mrs	x0, s3_4_c12_c9_5	/* ICC_SRE_EL2 */
	mov	x1, #ICC_SRE_EL2_SRE_ENABLE
	orr	x0, x0, x1
	msr	s3_4_c12_c9_5, x0
	isb
1:	adrp	x0, el2_stub_vectors
	add	x0, x0, :lo12:el2_stub_vectors
	msr	vbar_el2, x0
	ldr	x0, =SCTLR_EL1_BOOT
	msr	sctlr_el1, x0
	mov	x0, #SPSR_EL1H_DAIF
	msr	spsr_el2, x0
	msr	elr_el2, x30		/* "return" to the caller, now at EL1 */
	isb
	eret

/* EL2 vectors after the drop: a synchronous exception from EL1 (HVC) returns
 * -1 (PSCI NOT_SUPPORTED) in x0; anything else parks the CPU. */
.macro el2_stub_park
	.balign	0x80
	b	.
.endm
	.balign	0x800
el2_stub_vectors:
	.rept	8
	el2_stub_park
	.endr
	.balign	0x80			/* lower EL, AArch64, synchronous */
	mov	x0, #-1
	eret
	.rept	7
	el2_stub_park
	.endr
