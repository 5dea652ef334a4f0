/* The wall clock from a PL031 real-time clock ("arm,pl031", on QEMU virt), read once at
 * boot: its data register counts seconds since 1970. */
#include <amphi/kprintf.h>
#include <amphi/plat.h>

#include "virt.h"

#define PL031_DR 0x00 /* data register: the current count */
#define PL031_MMIO_SIZE 0x1000

static uint64_t rtc_epoch_ns; /* the wall clock at plat_time_ns() == 0; 0: unknown */

void rtc_init(const struct fdt *f)
{
	int node = fdt_find_compatible(f, -1, "arm,pl031");
	uint64_t base, size;

	if (node < 0 || !fdt_node_is_enabled(f, node) || fdt_get_reg(f, node, 0, &base, &size) ||
	    size < PL031_DR + 4) {
		kprintf("virt: no PL031 real-time clock; the wall clock starts at 1970\n");
		return;
	}
	volatile void *regs = plat_mmio_map(base, PL031_MMIO_SIZE);
	if (!regs) {
		kprintf("virt: PL031 at %#llx is not device memory; the wall clock starts at 1970\n",
			(unsigned long long)base);
		return;
	}
	uint64_t secs = *(volatile uint32_t *)((volatile uint8_t *)regs + PL031_DR);
	rtc_epoch_ns = secs * 1000000000ULL - plat_time_ns();
}

uint64_t plat_time_epoch_ns(void)
{
	return rtc_epoch_ns;
}
