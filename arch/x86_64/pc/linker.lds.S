/*
 * The x86_64 PC image: .boot (Multiboot2 header, 32-bit entries) is linked and loaded at
 * 1 MiB; everything else is linked at PC_KERNEL_VMA + its load address. The PVH note has
 * its own PT_NOTE segment, which QEMU reads. The ELF entry point is the Multiboot2 entry
 * (a physical address), which GRUB uses. The C preprocessor runs over this file, so the
 * addresses come from layout.h, the one place they are defined.
 */
#include "layout.h"

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(pc_mb2_entry)

KERNEL_PHYS = PC_KERNEL_PHYS;
KERNEL_VMA = PC_KERNEL_VMA;

PHDRS
{
	boot PT_LOAD FLAGS(5);
	text PT_LOAD FLAGS(5);
	rodata PT_LOAD FLAGS(4);
	data PT_LOAD FLAGS(6);
	note PT_NOTE FLAGS(4);
}

SECTIONS
{
	. = KERNEL_PHYS;
	__kernel_phys_start = .;

	.boot : {
		KEEP(*(.multiboot2))
		*(.boot.text)
	} :boot
	.note.Xen : {
		KEEP(*(.note.Xen))
	} :boot :note

	. = ALIGN(4096) + KERNEL_VMA;

	.text : AT(ADDR(.text) - KERNEL_VMA) {
		*(.text .text.*)
	} :text

	. = ALIGN(4096);
	.rodata : AT(ADDR(.rodata) - KERNEL_VMA) {
		*(.rodata .rodata.*)
	} :rodata
	/* In-kernel test suites: an array of pointers, walked by ktest_run(). */
	.ktest_suites : AT(ADDR(.ktest_suites) - KERNEL_VMA) {
		. = ALIGN(8);
		__start_ktest_suites = .;
		KEEP(*(ktest_suites))
		__stop_ktest_suites = .;
	} :rodata
	.monitor_cmds : AT(ADDR(.monitor_cmds) - KERNEL_VMA) {
		. = ALIGN(8);
		__start_monitor_cmds = .;
		KEEP(*(monitor_cmds))
		__stop_monitor_cmds = .;
	} :rodata

	. = ALIGN(4096);
	.data : AT(ADDR(.data) - KERNEL_VMA) {
		*(.data .data.*)
	} :data
	.bss : AT(ADDR(.bss) - KERNEL_VMA) {
		. = ALIGN(16);
		__bss_start = .;
		*(.bss .bss.*)
		*(COMMON)
		. = ALIGN(16);
		__bss_end = .;
	} :data

	. = ALIGN(4096);
	__kernel_phys_end = . - KERNEL_VMA;

	/DISCARD/ : {
		*(.comment)
		*(.eh_frame)
		*(.note.GNU-stack)
		*(.note.gnu.property)
	}
}
