/*
 * mmio.h: device register accessors, the only way drivers (devices/) touch registers.
 * addr is what plat_mmio_map returned plus a register offset.
 *
 * On metal they are inline volatile accesses ordered with the CPU's normal-memory
 * accesses by full barriers: a write is seen only after every earlier store (a descriptor
 * filled before the doorbell), and a read completes before any later access (a status read
 * before the data it announces).
 *
 * In the hosted build they are out-of-line calls into the sim, which routes each access
 * by physical address to a device model (sim/irq/ for the interrupt controller). So a
 * register access is an honest event of the simulated machine: it may raise interrupts,
 * wake CPUs and count as a point of the deterministic schedule, with no instruction
 * decoding of faulting loads and stores.
 */
#pragma once

#include <amphi/types.h>

#ifdef AMPHI_BARE_METAL
#include <amphi/arch.h>

/* Reads the 32-bit register at addr. */
static inline uint32_t mmio_read32(const volatile void *addr)
{
	uint32_t v = *(const volatile uint32_t *)addr;
	arch_barrier();
	return v;
}

/* Writes the 32-bit register at addr. */
static inline void mmio_write32(volatile void *addr, uint32_t v)
{
	arch_barrier();
	*(volatile uint32_t *)addr = v;
}

/* Reads the 8-bit register at addr. */
static inline uint8_t mmio_read8(const volatile void *addr)
{
	uint8_t v = *(const volatile uint8_t *)addr;
	arch_barrier();
	return v;
}

/* Writes the 8-bit register at addr. */
static inline void mmio_write8(volatile void *addr, uint8_t v)
{
	arch_barrier();
	*(volatile uint8_t *)addr = v;
}
#else
uint32_t mmio_read32(const volatile void *addr);
void mmio_write32(volatile void *addr, uint32_t v);
uint8_t mmio_read8(const volatile void *addr);
void mmio_write8(volatile void *addr, uint8_t v);
#endif

/* The register at offset off from a mapped base. */
static inline volatile void *mmio_reg(volatile void *base, size_t off)
{
	return (volatile uint8_t *)base + off;
}
