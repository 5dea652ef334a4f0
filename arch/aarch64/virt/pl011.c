/* PL011 UART console. Polled: interrupts stay off. */
#include <amphi/errno.h>
#include <amphi/plat.h>
#include <amphi/serial.h>

#include "virt.h"

#define PL011_DR 0x00
#define PL011_FR 0x18
#define PL011_CR 0x30
#define PL011_IMSC 0x38
#define PL011_FR_RXFE (1u << 4)
#define PL011_FR_TXFF (1u << 5)
#define PL011_CR_ENABLE ((1u << 0) | (1u << 8) | (1u << 9)) /* UARTEN, TXE, RXE */

/* Before the device tree is read, the console is the UART the build names (virt's PL011
 * by default) so a bad device tree can still be reported; 0 keeps early output off. */
#ifndef PL011_EARLY_BASE
#define PL011_EARLY_BASE 0
#endif

static uintptr_t pl011_regs = PL011_EARLY_BASE;

/* Reads the 32-bit register at offset off. */
static inline uint32_t pl011_read(uintptr_t off)
{
	return *(volatile uint32_t *)(pl011_regs + off);
}

/* Writes the 32-bit register at offset off. */
static inline void pl011_write(uintptr_t off, uint32_t v)
{
	*(volatile uint32_t *)(pl011_regs + off) = v;
}

void pl011_init(paddr_t base)
{
	pl011_regs = (uintptr_t)plat_phys_to_virt(base);
	if (!base)
		return;
	pl011_write(PL011_IMSC, 0);
	uint32_t cr = pl011_read(PL011_CR);
	if ((cr & PL011_CR_ENABLE) != PL011_CR_ENABLE)
		pl011_write(PL011_CR, cr | PL011_CR_ENABLE);
}

paddr_t pl011_base(void)
{
	return plat_virt_to_phys((const void *)pl011_regs);
}

/* Sends one byte once the transmit FIFO has room. */
static void pl011_putc(char c)
{
	while (pl011_read(PL011_FR) & PL011_FR_TXFF)
		;
	pl011_write(PL011_DR, (unsigned char)c);
}

void plat_console_write(const char *buf, size_t n)
{
	if (pl011_regs)
		serial_write(buf, n, pl011_putc);
}

int plat_console_getc(void)
{
	if (!pl011_regs || (pl011_read(PL011_FR) & PL011_FR_RXFE))
		return -EAGAIN;
	return pl011_read(PL011_DR) & 0xff;
}
