/* Internal interfaces of the x86_64 PC platform (arch/x86_64/pc). */
#pragma once

#include <amphi/plat.h>
#include <amphi/types.h>

#include "layout.h"

/* What boot.S recorded at entry; plat_init() receives its address. */
struct pc_boot_handoff {
	uint32_t protocol;   /* PC_BOOT_PVH or PC_BOOT_MULTIBOOT2 */
	uint32_t magic;	     /* EAX at entry (meaningful for Multiboot2 only) */
	uint32_t info_paddr; /* EBX at entry: start_info or the Multiboot2 information */
	uint32_t reserved;
};

/* --- uart16550.c: COM1 --- */

/* Programs COM1 for 115200 8N1 with FIFOs on. */
void uart16550_init(void);

/* Writes n bytes, turning "\n" into "\r\n" for serial terminals. */
void uart16550_write(const char *buf, size_t n);

/* Next received byte, or -EAGAIN when none is waiting. */
int uart16550_getc(void);

/* --- gdt.c, idt.c: descriptor tables --- */

/* Loads the runtime GDT (kernel and user segments, the TSS with its IST stacks). */
void gdt_init(void);

/* Loads the IDT with handlers for the 32 exception vectors. */
void idt_init(void);

/* IST slot (1-based) of the double-fault stack. */
#define GDT_IST_DOUBLE_FAULT 1

/* --- memmap.c: building boot_info from any protocol --- */

/* Where a boot-protocol parser puts what it finds. */
struct pc_boot_parse {
	struct boot_info *info;
	char *cmdline_buf; /* the kernel's own copy of the command line goes here */
	size_t cmdline_size;
};

/* Prints "<fmt>" as the reason the boot data is unusable and returns -EINVAL. */
int memmap_bad(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Adds a firmware memory-map entry: type 1 (available RAM) becomes a RAM range, clipped
 * to whole pages and to the direct-map limit; other types are ignored. */
void memmap_add_entry(struct boot_info *info, uint64_t base, uint64_t size, uint32_t type);

/* Returns the direct-map address of [pa, pa + size) if the boot map covers it, or NULL
 * (also on overflow). Boot data is read only through this. */
const void *memmap_boot_ptr(paddr_t pa, uint64_t size);

/* Copies a boot-supplied command line of at most max bytes (NUL-terminated within them or
 * not) into p->cmdline_buf and points p->info->cmdline at it; reserves the original if
 * asked (not when it lies inside boot data reserved already). Returns 0 or -EINVAL. */
int memmap_take_cmdline(struct pc_boot_parse *p, paddr_t pa, uint64_t max, bool reserve);

/* --- direct_map.c --- */

/* Extends the direct map beyond the boot map to cover the RAM in info. */
void direct_map_grow(const struct boot_info *info);

/* --- pvh.c, multiboot2.c: boot protocols --- */

/* Parses hvm_start_info at pa (RAM, reserved ranges, command line). Returns 0, or -EINVAL
 * after printing why the data is unusable. */
int pvh_parse(paddr_t pa, struct pc_boot_parse *p);

/* Parses the Multiboot2 information at pa. Returns 0, or -EINVAL after printing why the
 * data is unusable. */
int multiboot2_parse(paddr_t pa, struct pc_boot_parse *p);
