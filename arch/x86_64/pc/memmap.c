/*
 * Turning firmware memory maps into struct boot_info: RAM ranges (type 1 only, whole pages,
 * below the direct-map limit) and reserved ranges (whole pages, rounded outwards). Boot
 * data is read through memmap_boot_ptr(), which refuses anything the boot map lacks.
 */
#include <amphi/arch.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/string.h>

#include "pc.h"

#define E820_RAM 1
#define BOOT_MAP_END ((uint64_t)PC_BOOT_MAP_GIB << 30)
#define DIRECT_MAP_LIMIT ((uint64_t)PC_DIRECT_MAP_MAX_GIB << 30)

/* Adds a firmware memory-map entry: type 1 (available RAM) becomes a RAM range, clipped
 * to whole pages and to the direct-map limit; other types are ignored. */
void memmap_add_entry(struct boot_info *info, uint64_t base, uint64_t size, uint32_t type)
{
	uint64_t end = mem_range_end(base, size);

	if (type != E820_RAM || base >= DIRECT_MAP_LIMIT)
		return;
	if (end > DIRECT_MAP_LIMIT) {
		kprintf("pc: RAM above %d GiB is not used\n", PC_DIRECT_MAP_MAX_GIB);
		end = DIRECT_MAP_LIMIT;
	}
	base = ALIGN_UP(base, PAGE_SIZE);
	end = ALIGN_DOWN(end, PAGE_SIZE);
	if (base >= end)
		return;
	if (info->ram_count == PLAT_MAX_MEM_RANGES) {
		kprintf("pc: more than %d RAM ranges; dropping [%#llx-%#llx)\n",
			PLAT_MAX_MEM_RANGES, (unsigned long long)base, (unsigned long long)end);
		return;
	}
	info->ram[info->ram_count++] = (struct mem_range){base, end - base};
}

/* Returns the direct-map address of [pa, pa + size) if the boot map covers it, or NULL
 * (also on overflow). Boot data is read only through this. */
const void *memmap_boot_ptr(paddr_t pa, uint64_t size)
{
	if (pa + size < pa || pa + size > BOOT_MAP_END)
		return NULL;
	return (const void *)(uintptr_t)(PC_DIRECT_MAP_BASE + pa);
}

/* Copies a boot-supplied command line of at most max bytes (NUL-terminated within them or
 * not) into p->cmdline_buf and points p->info->cmdline at it; reserves the original if
 * asked (not when it lies inside boot data reserved already). Returns 0 or -EINVAL. */
int memmap_take_cmdline(struct pc_boot_parse *p, paddr_t pa, uint64_t max, bool reserve)
{
	if (pa >= BOOT_MAP_END)
		return memmap_bad("command line at %#llx is outside the boot map",
				  (unsigned long long)pa);
	max = MIN(max, BOOT_MAP_END - pa);
	const char *src = memmap_boot_ptr(pa, max);
	size_t len = strnlen(src, max);

	if (reserve)
		boot_info_add_reserved(p->info, pa, MIN(len + 1, max));
	if (len >= p->cmdline_size) {
		kprintf("pc: command line longer than %zu bytes; truncated\n", p->cmdline_size - 1);
		len = p->cmdline_size - 1;
	}
	memcpy(p->cmdline_buf, src, len);
	p->cmdline_buf[len] = '\0';
	p->info->cmdline = p->cmdline_buf;
	return 0;
}

/* Prints "<fmt>" as the reason the boot data is unusable and returns -EINVAL. */
int memmap_bad(const char *fmt, ...)
{
	va_list ap;

	kputs("pc: bad boot data: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kputs("\n");
	return -EINVAL;
}

/* Reserves a boot module at [pa, pa + size); the first one becomes the initial RAM disk
 * (Linux's convention for QEMU -initrd and GRUB's module2), if the boot map reaches it. */
void memmap_add_module(struct boot_info *info, paddr_t pa, uint64_t size)
{
	boot_info_add_reserved(info, pa, size);
	if (info->initrd.size || !size)
		return;
	if (!memmap_boot_ptr(pa, size)) {
		kprintf("pc: boot module at %#llx (%llu bytes) lies beyond the boot map; not using "
			"it as the initial RAM disk\n",
			(unsigned long long)pa, (unsigned long long)size);
		return;
	}
	info->initrd = (struct mem_range){pa, size};
}
