/*
 * PC platform memory layout and boot constants, shared by the boot assembly and C.
 *
 * Physical: the image is loaded at 1 MiB (PC_KERNEL_PHYS). Virtual: the image runs at
 * PC_KERNEL_VMA + physical (the top 2 GiB, for -mcmodel=kernel), and all of RAM is seen
 * through the direct map at PC_DIRECT_MAP_BASE + physical.
 */
#pragma once

#ifdef __ASSEMBLER__
#define PC_UL(x) x
#else
#define PC_UL(x) x##UL
#endif

#define PC_KERNEL_PHYS PC_UL(0x100000)
#define PC_KERNEL_VMA PC_UL(0xffffffff80000000)
#define PC_DIRECT_MAP_BASE PC_UL(0xffff800000000000)

/* boot.S maps this much with 2 MiB pages, so boot data anywhere below 4 GiB is reachable. */
#define PC_BOOT_MAP_GIB 4
/* The direct map grows to cover RAM up to this many GiB; RAM above it is not used. */
#define PC_DIRECT_MAP_MAX_GIB 64

/* Page-table entry bits used by the boot map. */
#define PC_PTE_PRESENT 0x1
#define PC_PTE_WRITE 0x2
#define PC_PTE_LARGE 0x80

/* Boot GDT selectors (boot.S). The runtime GDT (gdt.c) keeps the same kernel ones. */
#define PC_SEL_KERNEL_CODE 0x08
#define PC_SEL_KERNEL_DATA 0x10
#define PC_SEL_BOOT_CODE32 0x18

/* How the image was entered; recorded by boot.S in struct pc_boot_handoff. */
#define PC_BOOT_PVH 1
#define PC_BOOT_MULTIBOOT2 2

/* Offsets into struct pc_boot_handoff, for boot.S. */
#define PC_HANDOFF_PROTOCOL 0
#define PC_HANDOFF_MAGIC 4
#define PC_HANDOFF_INFO 8

/* Boot protocol magic numbers. */
#define PC_MB2_HEADER_MAGIC 0xe85250d6
#define PC_MB2_BOOT_MAGIC 0x36d76289
#define PC_PVH_START_MAGIC 0x336ec578
#define PC_XEN_ELFNOTE_PHYS32_ENTRY 18

/* The page below 1 MiB where APs start in real mode (STARTUP IPI vector 0x08). */
#define PC_TRAMPOLINE_PHYS 0x8000

#define PC_BOOT_STACK_SIZE 16384
#define PC_IST_STACK_SIZE 8192
