/*
 * Guest RAM: one memfd mapped once, shared. That mapping is the kernel's direct map;
 * later address-space windows map pages of the same memfd, so every view of a physical
 * page is the same memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <amphi/panic.h>
#include <amphi/plat.h>

#include "sim.h"

#define SIM_RAM_CHUNK (256u << 10) /* populated at once when the allocator first reaches it */

static struct {
	int fd;
	uint8_t *va;
	uint64_t size;
	uint64_t *prepared; /* bit per SIM_RAM_CHUNK of RAM: its host pages are populated */
} sim_ram = {.fd = -1};

/* Prints what failed and exits with SIM_EXIT_HOST. */
static SIM_NORETURN void ram_fail(const char *what)
{
	fprintf(stderr, "amphi: cannot create %llu MiB of RAM: %s: %s\n",
		(unsigned long long)(sim_ram.size >> 20), what, strerror(errno));
	exit(SIM_EXIT_HOST);
}

void sim_ram_init(uint64_t size)
{
	sim_ram.size = size;
	sim_ram.fd = memfd_create("amphi-ram", MFD_CLOEXEC);
	if (sim_ram.fd < 0)
		ram_fail("memfd_create");
	if (ftruncate(sim_ram.fd, (off_t)size) < 0)
		ram_fail("ftruncate");
	void *va =
	    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, sim_ram.fd, 0);
	if (va == MAP_FAILED)
		ram_fail("mmap");
	sim_ram.va = va;
	sim_memcheck_init();
	sim_ram.prepared = calloc(size / SIM_RAM_CHUNK / 64 + 1, sizeof(uint64_t));
	if (!sim_ram.prepared)
		ram_fail("its bitmap");
}

int sim_ram_fd(void)
{
	return sim_ram.fd;
}

uint64_t sim_ram_size(void)
{
	return sim_ram.size;
}

void *sim_ram_ptr(uint64_t pa, uint64_t len)
{
	uint64_t off = pa - SIM_RAM_BASE; /* wraps to a huge value below RAM */

	if (pa < SIM_RAM_BASE || off > sim_ram.size || len > sim_ram.size - off)
		return NULL;
	return sim_ram.va + off;
}

/* Accepts one-past-the-end of RAM, as C does for pointers, so end addresses convert. */
void *plat_phys_to_virt(paddr_t pa)
{
	void *va = sim_ram_ptr(pa, 0);

	if (!va)
		panic("plat_phys_to_virt: %#llx is outside RAM [%#llx-%#llx)",
		      (unsigned long long)pa, SIM_RAM_BASE, SIM_RAM_BASE + sim_ram.size);
	return va;
}

/* Accepts one-past-the-end of the direct map, like plat_phys_to_virt. */
paddr_t plat_virt_to_phys(const void *va)
{
	uintptr_t off = (uintptr_t)va - (uintptr_t)sim_ram.va;

	if ((uintptr_t)va < (uintptr_t)sim_ram.va || off > sim_ram.size)
		panic("plat_virt_to_phys: %p is outside the direct map [%p-%p)", va,
		      (void *)sim_ram.va, (void *)(sim_ram.va + sim_ram.size));
	return SIM_RAM_BASE + off;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

void plat_mem_prepare(void *p, size_t n)
{
	uintptr_t at = (uintptr_t)p - (uintptr_t)sim_ram.va;

	for (uintptr_t c = at / SIM_RAM_CHUNK; c <= (at + n - 1) / SIM_RAM_CHUNK; c++) {
		uint64_t bit = 1ull << (c % 64);
		if (__atomic_load_n(&sim_ram.prepared[c / 64], __ATOMIC_RELAXED) & bit)
			continue;
		if (!(__atomic_fetch_or(&sim_ram.prepared[c / 64], bit, __ATOMIC_RELAXED) & bit))
			sim_ram_populate(sim_ram.va + c * SIM_RAM_CHUNK,
					 MIN(SIM_RAM_CHUNK, sim_ram.size - c * SIM_RAM_CHUNK));
	}
}

void sim_ram_populate(void *p, uint64_t len)
{
	uintptr_t start = (uintptr_t)p & ~(uintptr_t)(SIM_PAGE_SIZE - 1);

	madvise((void *)start, (uintptr_t)p + len - start, MADV_POPULATE_WRITE);
}

/* The hosted machine's devices see guest physical addresses: only RAM is reachable. */
int plat_dma_map(const void *va, size_t len, paddr_t *bus)
{
	uintptr_t off = (uintptr_t)va - (uintptr_t)sim_ram.va;

	if ((uintptr_t)va < (uintptr_t)sim_ram.va || off > sim_ram.size ||
	    len > sim_ram.size - off)
		return -EFAULT;
	*bus = SIM_RAM_BASE + off;
	return 0;
}
