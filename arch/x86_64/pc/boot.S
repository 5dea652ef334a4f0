/*
 * boot.S: the two ways into the image and the switch to long mode.
 *
 * Both entries run in 32-bit protected mode with paging off at the physical addresses of
 * the .boot section, which the linker script places at its load address:
 *   - PVH (QEMU -kernel, the Xen ELF note): EBX = hvm_start_info.
 *   - Multiboot2 (GRUB): EAX = 0x36d76289, EBX = the boot information block.
 * They record protocol, EAX and EBX in pc_boot_handoff, build the boot page tables
 * (identity + direct map of the low 4 GiB, the image at PC_KERNEL_VMA), enter long mode,
 * jump to the higher half, drop the identity map and call kmain(&pc_boot_handoff).
 * plat_init() checks the boot data; everything here trusts nothing but the CPU.
 *
 * Secondary CPUs (APs) start in real mode in pc_trampoline, which smp.c copies below 1 MiB:
 * it loads the boot GDT, enters protected mode and jumps to pc_ap_entry32 here, which
 * enters long mode on pc_ap_pml4 (the kernel's tables plus an identity map of the low
 * 4 GiB), jumps to the higher half, switches to the kernel's CR3 and the stack smp.c chose,
 * and calls pc_ap_main().
 */
#include "layout.h"

/* Physical address of a symbol linked in the higher half (32-bit code, paging off). */
#define PHYS(sym) ((sym) - PC_KERNEL_VMA)

#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define PTE_TABLE (PC_PTE_PRESENT | PC_PTE_WRITE)
#define COM1 0x3f8

/* --- Multiboot2 header: first in the image, so within the first 32 KiB of the file --- */
	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long PC_MB2_HEADER_MAGIC
	.long 0 /* architecture: i386 protected mode */
	.long mb2_header_end - mb2_header
	.long 0x100000000 - (PC_MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
	.balign 8 /* end tag: type 0, flags 0, size 8 */
	.short 0, 0
	.long 8
mb2_header_end:

/* --- PVH: XEN_ELFNOTE_PHYS32_ENTRY names the 32-bit entry's physical address --- */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4 /* name size */
	.long 8 /* descriptor size */
	.long PC_XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.quad pc_pvh_entry
	.balign 4

/* Turns on PAE paging with pml4 (a physical address below 4 GiB) and long mode; the next
 * far jump to a 64-bit code segment enters it. 32-bit code, clobbers EAX, ECX, EDX. */
.macro enter_long_mode pml4
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $\pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP | CR0_PE), %eax
	movl %eax, %cr0
.endm

/* 64-bit code: the boot GDT at its higher-half address, kernel data segments, null FS/GS. */
.macro load_boot_gdt64
	lgdt boot_gdt_ptr64(%rip)
	movl $PC_SEL_KERNEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
.endm

	.section .boot.text, "ax"
	.code32

/* PVH entry: EBX = physical address of struct hvm_start_info. */
	.globl pc_pvh_entry
pc_pvh_entry:
	cli
	cld
	movl $PC_BOOT_PVH, %esi
	jmp boot32

/* Multiboot2 entry (the ELF entry point): EAX = magic, EBX = boot information. */
	.globl pc_mb2_entry
pc_mb2_entry:
	cli
	cld
	movl $PC_BOOT_MULTIBOOT2, %esi

/* Common 32-bit path. ESI = protocol, EAX/EBX as the loader left them. */
boot32:
	movl %esi, PHYS(pc_boot_handoff) + PC_HANDOFF_PROTOCOL
	movl %eax, PHYS(pc_boot_handoff) + PC_HANDOFF_MAGIC
	movl %ebx, PHYS(pc_boot_handoff) + PC_HANDOFF_INFO

	/* Our own GDT: neither protocol promises one that stays valid. */
	lgdt PHYS(boot_gdt_ptr32)
	ljmp $PC_SEL_BOOT_CODE32, $1f
1:	movl $PC_SEL_KERNEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %fs
	movl %eax, %gs
	movl %eax, %ss
	movl $PHYS(pc_boot_stack_top), %esp

	/* Long mode or nothing: say so on COM1 instead of faulting later. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_long_mode

	/* Zero .bss (page tables and stacks live there); loaders need not do it. */
	movl $PHYS(__bss_start), %edi
	movl $PHYS(__bss_end), %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	call build_boot_page_tables
	enter_long_mode PHYS(pc_pml4)
	ljmp $PC_SEL_KERNEL_CODE, $boot64_low

/* PML4[0] and PML4[256] share one PDPT: identity and direct map of the low 4 GiB in 2 MiB
 * pages. PML4[511] maps the first GiB again at PC_KERNEL_VMA, where the image runs. */
build_boot_page_tables:
	movl $PHYS(pc_pdpt_direct) + PTE_TABLE, %eax
	movl %eax, PHYS(pc_pml4)
	movl %eax, PHYS(pc_pml4) + 256 * 8
	movl $PHYS(pc_pdpt_kernel) + PTE_TABLE, %eax
	movl %eax, PHYS(pc_pml4) + 511 * 8

	movl $PHYS(pc_pd_direct) + PTE_TABLE, %eax
	movl %eax, PHYS(pc_pdpt_kernel) + 510 * 8
	movl $PHYS(pc_pdpt_direct), %edi
	movl $PC_BOOT_MAP_GIB, %ecx
1:	movl %eax, (%edi)
	addl $4096, %eax
	addl $8, %edi
	loop 1b

	movl $PHYS(pc_pd_direct), %edi
	movl $(PC_PTE_PRESENT | PC_PTE_WRITE | PC_PTE_LARGE), %eax
	xorl %edx, %edx
	movl $(PC_BOOT_MAP_GIB * 512), %ecx
2:	movl %eax, (%edi)
	movl %edx, 4(%edi)
	addl $0x200000, %eax
	adcl $0, %edx
	addl $8, %edi
	loop 2b
	ret

/* Prints no_long_mode_msg on COM1, giving up on a character the UART never takes, and stops. */
no_long_mode:
	movl $no_long_mode_msg, %esi
1:	lodsb
	testb %al, %al
	jz 3f
	movb %al, %bl
	movl $100000, %ecx /* bounded: there may be no UART */
	movw $(COM1 + 5), %dx
2:	inb %dx, %al
	testb $0x20, %al
	loopz 2b
	movw $COM1, %dx
	movb %bl, %al
	outb %al, %dx
	jmp 1b
3:	cli
	hlt
	jmp 3b

no_long_mode_msg:
	.asciz "amphi: panic: this CPU has no long mode (x86_64); cannot boot\r\n"

/* An AP, from pc_trampoline: protected mode on the boot GDT, paging off. */
	.globl pc_ap_entry32
pc_ap_entry32:
	movl $PC_SEL_KERNEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %fs
	movl %eax, %gs
	movl %eax, %ss
	enter_long_mode PHYS(pc_ap_pml4)
	ljmp $PC_SEL_KERNEL_CODE, $ap64_low

	.code64
/* Still at the physical address: hop to the higher half. */
ap64_low:
	movabsq $ap64_high, %rax
	jmp *%rax

/* Still at the physical address: hop to the higher half. */
boot64_low:
	movabsq $boot64_high, %rax
	jmp *%rax

	.text
boot64_high:
	load_boot_gdt64

	leaq pc_boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp /* the outermost frame: backtraces stop here */

	movq $0, pc_pml4(%rip) /* no identity map: a NULL access must fault */
	movq %cr3, %rax
	movq %rax, %cr3

	leaq pc_boot_handoff(%rip), %rdi
	call kmain
1:	cli
	hlt
	jmp 1b

/* An AP in the higher half: the kernel's own CR3 and segments, the stack smp.c chose. */
ap64_high:
	load_boot_gdt64
	movq pc_ap_cr3(%rip), %rax
	movq %rax, %cr3
	movq pc_ap_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	call pc_ap_main
1:	cli
	hlt
	jmp 1b

/* The AP trampoline, copied to a page below 1 MiB and started there by a STARTUP IPI in
 * real mode with CS = that page's segment and IP = 0: only offsets within it are used. */
	.section .rodata
	.code16
	.globl pc_trampoline, pc_trampoline_end
pc_trampoline:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl trampoline_gdt_ptr - pc_trampoline
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $PC_SEL_BOOT_CODE32, $pc_ap_entry32
	.balign 8
	.short 0
trampoline_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.long PHYS(boot_gdt)
pc_trampoline_end:
	.code64

	.section .rodata
	.balign 16
/* Boot GDT: null, 64-bit kernel code, kernel data, 32-bit code for the entry path. */
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff
	.quad 0x00cf92000000ffff
	.quad 0x00cf9a000000ffff
boot_gdt_end:
	.balign 8
	.short 0
boot_gdt_ptr32:
	.short boot_gdt_end - boot_gdt - 1
	.long PHYS(boot_gdt)
	.balign 8
	.short 0, 0, 0
boot_gdt_ptr64:
	.short boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	.data
	.balign 8
	.globl pc_boot_handoff
pc_boot_handoff:
	.long 0, 0, 0, 0
/* What the next AP loads in ap64_high (smp.c sets them before each start). */
	.globl pc_ap_cr3, pc_ap_stack_top
pc_ap_cr3:
	.quad 0
pc_ap_stack_top:
	.quad 0

	.bss
	.balign 4096
	.globl pc_pml4, pc_pdpt_direct, pc_pdpt_kernel, pc_pd_direct
pc_pml4:
	.skip 4096
	.globl pc_ap_pml4
pc_ap_pml4:
	.skip 4096
pc_pdpt_direct:
	.skip 4096
pc_pdpt_kernel:
	.skip 4096
pc_pd_direct:
	.skip 4096 * PC_BOOT_MAP_GIB
	.balign 16
pc_boot_stack:
	.skip PC_BOOT_STACK_SIZE
pc_boot_stack_top:

	.section .note.GNU-stack, "", @progbits
