/* Wired interrupt lines on a GIC machine: line n is SPI n, INTID 32 + n (plat/irq.h). */
#include <amphi/errno.h>
#include <amphi/irq.h>
#include <amphi/plat.h>

#define GIC_FIRST_SPI 32

int plat_irq_line(unsigned line)
{
	return line < IRQ_MAX - GIC_FIRST_SPI ? GIC_FIRST_SPI + (int)line : -ENOENT;
}
