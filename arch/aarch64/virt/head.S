/*
 * Entry point and the Linux arm64 Image header. Loaders (QEMU -kernel, U-Boot booti)
 * enter at the first byte with the MMU off, x0 = physical address of the DTB (ELF loads
 * leave x0 = 0). The kernel is linked as a PIE and runs wherever it is loaded: it applies
 * its own R_AARCH64_RELATIVE relocations before any C code runs, and every address here is
 * formed PC-relative (adrp/add), never loaded from a literal. mmu_boot (C, MMU off) then
 * builds the kernel map and turns the MMU on; the relocations are applied again for
 * KERNEL_OFFSET + physical, and the CPU jumps there, into the TTBR1 half, for good: the
 * lower half (TTBR0) is left to user space.
 */
#include "cpu_boot.h"
#include "layout.h"
#include "sysreg.h"

/* Image header flags: little-endian (bit 0 = 0), 4 KiB pages (bits 1-2 = 1), may be
 * placed anywhere in RAM (bit 3 = 1). */
#define IMAGE_FLAGS ((1 << 1) | (1 << 3))
#define R_AARCH64_RELATIVE 1027

/* reg = run-time address of sym (+-4 GiB of pc). */
.macro adr_l reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm

	.section .head.text, "ax"
	.globl	_start
_start:
	b	boot_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset: at the 2 MiB aligned base */
	.quad	__image_size		/* image_size: file plus .bss, little-endian */
	.quad	IMAGE_FLAGS
	.quad	0, 0, 0			/* res2-res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* no PE/COFF header */

boot_entry:
	mov	x19, x0			/* the loader's DTB pointer, for kmain */
	msr	daifset, #0xf
	mrs	x0, CurrentEL
	lsr	x20, x0, #2		/* the entry exception level, for the boot log */
	cmp	x0, #CURRENTEL_EL2
	b.ne	1f
	bl	el2_enter_el1
1:	mrs	x0, CurrentEL
	cmp	x0, #CURRENTEL_EL1
	b.ne	boot_unsupported_el

	ldr	x0, =SCTLR_EL1_BOOT	/* MMU and D-cache off until mmu.c has tables */
	msr	sctlr_el1, x0
	isb
	bl	boot_invalidate_image
	mov	x8, xzr
	bl	boot_relocate
	bl	boot_zero_bss
	adr_l	x0, boot_entry_el
	str	x20, [x0]

	adr_l	x0, boot_stack_top
	mov	sp, x0
	bl	cpu_el1_setup
	msr	tpidr_el1, xzr		/* the boot CPU is CPU 0 (plat_cpu_id) */
	mov	x29, xzr
	mov	x30, xzr
	mov	x0, x19
	bl	mmu_boot		/* MMU on: identity in TTBR0, the kernel map in TTBR1 */

	ldr	x8, =KERNEL_OFFSET
	bl	boot_relocate		/* every pointer in the image now points high */
	bl	boot_go_high
	adr_l	x0, virt_offset
	str	x8, [x0]

	mov	x29, xzr		/* outermost frame: backtraces stop here */
	mov	x30, xzr
	mov	x0, x19
	bl	kmain
	b	boot_park

/* Continues at KERNEL_OFFSET (x8) + the current address: returns there, with sp moved the
 * same way and the vector table's high address installed. Clobbers x0. */
boot_go_high:
	add	x30, x30, x8
	add	sp, sp, x8
	adr_l	x0, 1f
	add	x0, x0, x8
	br	x0
1:	b	cpu_el1_setup		/* now PC-relative addresses are high: returns to x30 */

/* Secondary CPUs enter here from PSCI CPU_ON with the MMU off, at EL2 or EL1, x0 = the
 * physical address of their struct cpu_boot (cpu_boot.h). They drop to EL1, turn the MMU on
 * with the boot CPU's tables and attributes, and go on in C on the given stack. */
	.globl	secondary_entry
secondary_entry:
	mov	x19, x0
	msr	daifset, #0xf
	mrs	x0, CurrentEL
	cmp	x0, #CURRENTEL_EL2
	b.ne	1f
	bl	el2_enter_el1
1:	mrs	x0, CurrentEL
	cmp	x0, #CURRENTEL_EL1
	b.ne	boot_park
	ldr	x0, =SCTLR_EL1_BOOT
	msr	sctlr_el1, x0
	isb
	ldp	x0, x1, [x19, #CPU_BOOT_MAIR]	/* mair, tcr */
	msr	mair_el1, x0
	msr	tcr_el1, x1
	ldp	x0, x1, [x19, #CPU_BOOT_TTBR0]	/* ttbr0, sctlr */
	msr	ttbr0_el1, x0
	ldr	x0, [x19, #CPU_BOOT_TTBR1]
	msr	ttbr1_el1, x0
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	msr	sctlr_el1, x1
	isb
	ic	iallu
	dsb	nsh
	isb
	ldr	x8, =KERNEL_OFFSET
	ldr	x0, [x19, #CPU_BOOT_STACK]	/* a high address already */
	sub	sp, x0, x8		/* boot_go_high moves it back up */
	bl	boot_go_high
	add	x19, x19, x8
	mov	x29, xzr
	mov	x30, xzr
	mov	x0, x19
	bl	cpu_secondary_start
	b	boot_park

/* The EL1 state every CPU sets alike: the vector table and the FP/SIMD trap. Clobbers x0. */
cpu_el1_setup:
	adr_l	x0, el1_vectors
	msr	vbar_el1, x0
	mov	x0, #CPACR_EL1_FP_TRAP
	msr	cpacr_el1, x0
	isb
	ret

/* Exception levels other than EL1/EL2 (EL3 firmware-less boots) are not supported, and
 * there is no console yet to say so: park the CPU. */
boot_unsupported_el:
boot_park:
	msr	daifset, #0xf
	wfi
	b	boot_park

/* Discards stale D-cache lines over [_start, _end): the stores below go to memory with the
 * MMU off, and mmu.c later reads the same bytes through the cache. The loader cleaned the
 * image to the point of coherency (booting protocol), so nothing dirty is lost.
 * Clobbers x0-x3. */
boot_invalidate_image:
	mrs	x3, ctr_el0
	ubfx	x3, x3, #16, #4		/* DminLine: log2(words per line) */
	mov	x2, #4
	lsl	x2, x2, x3		/* line size in bytes */
	adr_l	x0, _start
	adr_l	x1, _end
	sub	x3, x2, #1
	bic	x0, x0, x3
2:	dc	ivac, x0
	add	x0, x0, x2
	cmp	x0, x1
	b.lo	2b
	dsb	sy
	ret

/* Applies every R_AARCH64_RELATIVE entry in .rela.dyn (__rela_size bytes at __rela_start)
 * for the distance between the run-time and link-time addresses of _start, plus x8 (the
 * address the image will run at minus the one it runs at now). Each entry is rewritten
 * from its addend, so applying them again moves every pointer. Other types cannot occur:
 * the build checks the link has none. Clobbers x0-x7. */
boot_relocate:
	adr_l	x0, _start
	ldr	x1, =__link_base	/* absolute symbol: not relocated itself */
	sub	x1, x0, x1		/* load offset */
	add	x1, x1, x8
	adr_l	x2, __rela_start
	ldr	x3, =__rela_size	/* absolute symbol, like __link_base */
	add	x3, x2, x3
	mov	x7, #R_AARCH64_RELATIVE
3:	cmp	x2, x3
	b.hs	4f
	ldp	x4, x5, [x2], #16	/* r_offset, r_info */
	ldr	x6, [x2], #8		/* r_addend */
	cmp	w5, w7
	b.ne	3b
	add	x6, x6, x1
	str	x6, [x4, x1]
	b	3b
4:	ret

/* Zeroes [__bss_start, __bss_end); both are 16-byte aligned. Clobbers x0-x1. */
boot_zero_bss:
	adr_l	x0, __bss_start
	adr_l	x1, __bss_end
5:	cmp	x0, x1
	b.hs	6f
	stp	xzr, xzr, [x0], #16
	b	5b
6:	ret

	.section .bss.boot_stack, "aw", %nobits
	.balign	16
boot_stack:
	.space	16384
boot_stack_top:
