/* The smallest PVH guest: powers QEMU off through isa-debug-exit at once.
 * It measures QEMU's own start-up and exit, the floor under any x86_64 boot. */
	.section .note.Xen, "a"
	.p2align 2
	.long 4, 4, 18		/* name size, desc size, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long floor_entry

	.text
	.code32
	.globl floor_entry
floor_entry:
	movw $0xf4, %dx
	xorl %eax, %eax
	outl %eax, %dx
1:	hlt
	jmp 1b
