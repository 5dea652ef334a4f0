/* x86 port I/O for the PC platform. */
#pragma once

#include <amphi/types.h>

/* Writes one byte to an I/O port. */
static inline void io_out8(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

/* Writes 32 bits to an I/O port. */
static inline void io_out32(uint16_t port, uint32_t value)
{
	__asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

/* Reads one byte from an I/O port. */
static inline uint8_t io_in8(uint16_t port)
{
	uint8_t value;
	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port) : "memory");
	return value;
}
