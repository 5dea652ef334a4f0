/*
 * Device registers of the hosted machine. <amphi/mmio.h> accessors are calls into here in
 * the hosted build; each access is routed by physical address to a device model, under
 * the machine lock, on behalf of the executing CPU (the GIC banks registers per CPU).
 * After a write, interrupts it made pending for this CPU are taken if unmasked, as the
 * instruction after a store to a real controller would see them.
 */
#include <stdio.h>
#include <stdlib.h>

#include <amphi/mmio.h>
#include <amphi/plat.h>

#include "sim.h"

/* A device model's register window. */
struct mmio_region {
	uint64_t base, size;
	uint32_t (*read)(unsigned cpu, uint64_t off, unsigned size);
	void (*write)(unsigned cpu, uint64_t off, unsigned size, uint32_t v);
};

/* The CPU interface has word registers only. */
static uint32_t gicc_read(unsigned cpu, uint64_t off, unsigned size)
{
	return size == 4 ? sim_gicc_read(cpu, off) : 0;
}

static void gicc_write(unsigned cpu, uint64_t off, unsigned size, uint32_t v)
{
	if (size == 4)
		sim_gicc_write(cpu, off, v);
}

static const struct mmio_region mmio_regions[] = {
    {SIM_GICD_BASE, SIM_GIC_REGION_SIZE, sim_gicd_read, sim_gicd_write},
    {SIM_GICC_BASE, SIM_GIC_REGION_SIZE, gicc_read, gicc_write},
    {SIM_VIRTIO_BASE, SIM_VIRTIO_SLOTS * SIM_VIRTIO_SIZE, sim_virtio_read, sim_virtio_write},
};

/* The region holding [pa, pa + size), or NULL. */
static const struct mmio_region *mmio_find(uint64_t pa, uint64_t size)
{
	for (size_t i = 0; i < ARRAY_SIZE(mmio_regions); i++) {
		const struct mmio_region *r = &mmio_regions[i];
		if (pa >= r->base && size <= r->size && pa - r->base <= r->size - size)
			return r;
	}
	return NULL;
}

volatile void *plat_mmio_map(paddr_t pa, size_t size)
{
	return mmio_find(pa, size) ? (volatile void *)(uintptr_t)pa : NULL;
}

/* The region of an access; an access nowhere is a kernel bug, reported like a fault. */
static const struct mmio_region *mmio_route(const volatile void *addr, unsigned size)
{
	const struct mmio_region *r = mmio_find((uintptr_t)addr, size);

	if (!r || (uintptr_t)addr % size) {
		fprintf(stderr, "amphi: MMIO access of %u bytes at %p: no device register there\n",
			size, (const void *)addr);
		abort();
	}
	return r;
}

/* Reads size bytes of the register at addr on behalf of the executing CPU. */
static uint32_t mmio_read(const volatile void *addr, unsigned size)
{
	const struct mmio_region *r = mmio_route(addr, size);

	sim_lock();
	uint32_t v = r->read(plat_cpu_id(), (uintptr_t)addr - r->base, size);
	sim_unlock();
	return v;
}

/* Writes size bytes of the register at addr on behalf of the executing CPU. */
static void mmio_write(volatile void *addr, unsigned size, uint32_t v)
{
	const struct mmio_region *r = mmio_route(addr, size);

	sim_lock();
	r->write(plat_cpu_id(), (uintptr_t)addr - r->base, size, v);
	sim_unlock();
	sim_irq_take();
}

uint32_t mmio_read32(const volatile void *addr)
{
	return mmio_read(addr, 4);
}

void mmio_write32(volatile void *addr, uint32_t v)
{
	mmio_write(addr, 4, v);
}

uint8_t mmio_read8(const volatile void *addr)
{
	return (uint8_t)mmio_read(addr, 1);
}

void mmio_write8(volatile void *addr, uint8_t v)
{
	mmio_write(addr, 1, v);
}
