/*
 * plat.h: the platform contract. kernel/ reaches firmware, RAM layout, the console and
 * power control only through these calls. Each platform (arch/x86_64/pc, arch/aarch64/virt,
 * sim/) implements all of them. Results are 0 or a negative errno; void calls cannot fail.
 * Areas not yet needed by the kernel (CPUs, IRQs, timers, MMU, DMA) are added as they land.
 */
#pragma once

#include <amphi/types.h>

/* A physical address range [base, base + size). */
struct mem_range {
	paddr_t base;
	uint64_t size;
};

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
};

/* --- boot --- */

/* Brings up the early console and parses the boot data the entry code was handed
 * (bootinfo is platform specific: PVH start info, Multiboot2 info, a DTB, the sim's DTB).
 * Fills *info. Panics when the boot data is unusable: there is nothing to fall back on. */
void plat_init(void *bootinfo, struct boot_info *info);

/* Helpers for the code that fills boot_info (kernel/lib/boot_info.c). */

/* End of [base, base + size), saturated at the top of the address space instead of wrapping. */
paddr_t mem_range_end(paddr_t base, uint64_t size);

/* End of [base, base + size) rounded up to a page boundary, saturated at the start of the
 * last page (so a range that reaches the top keeps a page-aligned end). */
paddr_t mem_range_page_end(paddr_t base, uint64_t size);

/* Appends [base, base + size), widened to whole pages (saturating at the top), to
 * info->reserved; an empty range, or one inside a range already reserved, adds nothing. Panics when
 * the table is full: a range that cannot be recorded could be handed out while firmware or the
 * kernel still uses it. */
void boot_info_add_reserved(struct boot_info *info, paddr_t base, uint64_t size);

/* --- memory --- */

/* Kernel virtual address of physical address pa, through the direct map. */
void *plat_phys_to_virt(paddr_t pa);

/* Physical address of a direct-map kernel virtual address. */
paddr_t plat_virt_to_phys(const void *va);

/* --- console --- */

/* Writes n bytes to the console; blocks until they are accepted by the device. */
void plat_console_write(const char *buf, size_t n);

/* For metal serial consoles (kernel/lib/plat_metal.c): writes n bytes through putc, each
 * "\n" as "\r\n" so that terminals return to column 0. */
void plat_serial_write(const char *buf, size_t n, void (*putc)(char c));

/* Returns the next console input byte without blocking: -EAGAIN when none is waiting,
 * -EPIPE when the input is closed for good (the hosted stdin reached end of file). */
int plat_console_getc(void);

/* --- power --- */

/* Powers the machine off. status 0 means success; non-zero means failure. Where the
 * machine can report a status (QEMU isa-debug-exit, the host process) it does. */
NORETURN void plat_poweroff(int status);

/* Stops this CPU for good with interrupts masked; used after a panic. */
NORETURN void plat_halt(void);

/* --- debugging --- */

/* Writes "function+0xoff (file:line)" for return address pc into buf; the function and
 * line are those of the call just before pc. Returns the string length, or -ENOSYS where
 * the platform has no symbols. */
int plat_symbolize(uintptr_t pc, char *buf, size_t len);

/* --- memory checker hooks (Valgrind memcheck and ASan in the hosted build; no-ops on metal) --- */

/* Marks [p, p+n) as allocated by an allocator: readable and writable, contents undefined. */
void plat_mem_alloc_hook(void *p, size_t n);

/* Marks [p, p+n) as freed by an allocator: any access is an error. Reports a double free
 * when the range is already marked free. */
void plat_mem_free_hook(void *p, size_t n);

/* Marks [p, p+n) as owned by an allocator but not handed out: any access is an error. */
void plat_mem_noaccess(void *p, size_t n);

/* Marks [p, p+n) as handed out below the object level (whole pages): accessible, undefined. */
void plat_mem_undefined(void *p, size_t n);
