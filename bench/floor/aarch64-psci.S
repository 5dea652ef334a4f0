/* The smallest aarch64 virt guest: PSCI SYSTEM_OFF over HVC at once.
 * It measures QEMU's own start-up and exit, the floor under any aarch64 boot. */
	.text
	.globl _start
_start:
	movz x0, #0x0008
	movk x0, #0x8400, lsl #16	/* PSCI SYSTEM_OFF */
	hvc #0
1:	wfi
	b 1b
