/*
 * The direct map: physical address pa is at PC_DIRECT_MAP_BASE + pa, in 2 MiB pages.
 * boot.S maps the low PC_BOOT_MAP_GIB GiB (RAM, boot data and the PCI hole alike);
 * direct_map_grow() adds whole GiBs from a static pool of page directories until the
 * highest RAM address is covered, up to PC_DIRECT_MAP_MAX_GIB.
 */
#include <amphi/panic.h>
#include <amphi/plat.h>

#include "pc.h"

#define GIB (1ULL << 30)
#define PAGE_2M (1ULL << 21)
#define ENTRIES 512

/* Boot page tables (boot.S). */
extern uint64_t pc_pdpt_direct[ENTRIES];

/* Image bounds (linker.ld): physical addresses. */
extern char __kernel_phys_start[], __kernel_phys_end[];

static uint64_t direct_map_pds[PC_DIRECT_MAP_MAX_GIB - PC_BOOT_MAP_GIB][ENTRIES]
    __attribute__((aligned(4096)));
static uint64_t direct_map_end = (uint64_t)PC_BOOT_MAP_GIB * GIB;

/* Physical address of a variable in the image (linked at PC_KERNEL_VMA + physical). */
static paddr_t image_phys(const void *va)
{
	return (paddr_t)((uintptr_t)va - PC_KERNEL_VMA);
}

/* Maps GiB number gib of physical memory into the direct map. */
static void direct_map_add_gib(unsigned gib)
{
	uint64_t *pd = direct_map_pds[gib - PC_BOOT_MAP_GIB];

	for (unsigned i = 0; i < ENTRIES; i++)
		pd[i] = ((uint64_t)gib * GIB + i * PAGE_2M) | PC_PTE_PRESENT | PC_PTE_WRITE |
			PC_PTE_LARGE;
	/* A new entry where none was present: no TLB entry can be stale. */
	pc_pdpt_direct[gib] = image_phys(pd) | PC_PTE_PRESENT | PC_PTE_WRITE;
}

/* Extends the direct map beyond the boot map to cover the RAM in info. */
void direct_map_grow(const struct boot_info *info)
{
	uint64_t ram_end = 0;

	for (size_t i = 0; i < info->ram_count; i++)
		ram_end = MAX(ram_end, info->ram[i].base + info->ram[i].size);
	ram_end = MIN(ALIGN_UP(ram_end, GIB), (uint64_t)PC_DIRECT_MAP_MAX_GIB * GIB);
	for (unsigned gib = direct_map_end / GIB; gib < ram_end / GIB; gib++)
		direct_map_add_gib(gib);
	direct_map_end = MAX(direct_map_end, ram_end);
}

/* Kernel virtual address of physical address pa, through the direct map. */
void *plat_phys_to_virt(paddr_t pa)
{
	if (unlikely(pa >= direct_map_end))
		panic("plat_phys_to_virt: %#llx is beyond the direct map (ends at %#llx)",
		      (unsigned long long)pa, (unsigned long long)direct_map_end);
	return (void *)(uintptr_t)(PC_DIRECT_MAP_BASE + pa);
}

/* Physical address of a direct-map kernel virtual address (image addresses work too). */
paddr_t plat_virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (v >= PC_DIRECT_MAP_BASE && v - PC_DIRECT_MAP_BASE < direct_map_end)
		return v - PC_DIRECT_MAP_BASE;
	if (v >= PC_KERNEL_VMA + (uintptr_t)__kernel_phys_start &&
	    v < PC_KERNEL_VMA + (uintptr_t)__kernel_phys_end)
		return image_phys(va);
	panic("plat_virt_to_phys: %p is neither in the direct map nor in the image", va);
}

/* Device registers are reached through the direct map, whose boot part covers the low
 * GiBs with the PCI hole (the firmware's MTRRs make that hole uncached; so does QEMU). */
volatile void *plat_mmio_map(paddr_t pa, size_t size)
{
	if (!size || pa >= direct_map_end || size > direct_map_end - pa)
		return NULL;
	return (volatile void *)plat_phys_to_virt(pa);
}
