/* plat/boot.h: what the platform learned at boot, and how the kernel asks for it. */
#pragma once

#include <amphi/mem_range.h>
#include <amphi/types.h>

/* Most ranges any platform reports; more are dropped with a warning. */
#define PLAT_MAX_MEM_RANGES 32

/* What the platform learned at boot, filled in by plat_init(). */
struct boot_info {
	struct mem_range ram[PLAT_MAX_MEM_RANGES]; /* usable RAM as firmware reports it */
	size_t ram_count;
	struct mem_range reserved[PLAT_MAX_MEM_RANGES]; /* kernel image, boot data, DTB... */
	size_t reserved_count;
	const char *cmdline; /* never NULL; "" when there is none */
	const void *fdt;     /* flattened device tree, or NULL when the platform has none */
	const char *name;    /* platform name for the boot banner, e.g. "x86_64-pc" */
	struct mem_range initrd; /* the initial RAM disk (physical), size 0 when none */
	const char *init_args;	 /* the command line's words after "--" (init_args.h), or "" */
};

/* Brings up the early console and parses the boot data the entry code was handed
 * (bootinfo is platform specific: PVH start info, Multiboot2 info, a DTB, the sim's DTB).
 * Fills *info. Panics when the boot data is unusable: there is nothing to fall back on. */
void plat_init(void *bootinfo, struct boot_info *info);
