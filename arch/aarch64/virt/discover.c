/* Device-tree discovery for the virt/board platform: where the blob is, which UART is the
 * console, how to reach PSCI. Everything read from the blob goes through the bounds-checked
 * parser in kernel/fdt/fdt.c. */
#include <amphi/errno.h>
#include <amphi/panic.h>
#include <amphi/string.h>

#include "virt.h"

/* QEMU virt puts the DTB at the start of RAM for ELF kernels (and passes no x0). */
#define VIRT_RAM_BASE 0x40000000UL
/* The arm64 booting protocol caps the DTB at 2 MiB. */
#define DTB_MAX_SIZE (2u << 20)
#define DTB_HEADER_SIZE 40u
#define DTB_TOTALSIZE_OFF 4

/* True when p is a plausible DTB address whose first word is the FDT magic. */
static bool dtb_has_magic(uintptr_t p)
{
	return p && IS_ALIGNED(p, 8) && fdt_be32((const void *)p) == FDT_MAGIC;
}

void discover_fdt(void *bootinfo, struct fdt *f)
{
	uintptr_t p = (uintptr_t)bootinfo;

	if (!dtb_has_magic(p)) {
		if (!dtb_has_magic(VIRT_RAM_BASE))
			panic("boot: no device tree (x0 = %#lx holds none, nor does %#lx)",
			      (unsigned long)p, VIRT_RAM_BASE);
		p = VIRT_RAM_BASE;
	}
	uint32_t size = fdt_be32((const uint8_t *)p + DTB_TOTALSIZE_OFF);
	if (size < DTB_HEADER_SIZE || size > DTB_MAX_SIZE)
		panic("boot: device tree at %#lx claims %u bytes (must be %u..%u)",
		      (unsigned long)p, size, DTB_HEADER_SIZE, DTB_MAX_SIZE);
	int err = fdt_open(f, (const void *)p, size);
	if (err)
		panic("boot: bad device tree at %#lx: %s (%d)", (unsigned long)p,
		      err == -E2BIG ? "header larger than the blob" : "bad version or layout", err);
}

/* Base address of a usable PL011 node, 0 when node is not one. The address is taken as
 * physical: parent "ranges" translation is not applied (virt's buses are identity). */
static paddr_t dt_pl011_base(const struct fdt *f, int node)
{
	uint64_t base, size;

	if (node < 0 || !fdt_node_is_compatible(f, node, "arm,pl011") ||
	    !fdt_node_is_enabled(f, node))
		return 0;
	if (fdt_get_reg(f, node, 0, &base, &size) || size < 0x40 || base >= MMU_PA_LIMIT)
		return 0;
	return base;
}

paddr_t discover_console(const struct fdt *f)
{
	paddr_t base = dt_pl011_base(f, fdt_stdout_node(f));

	for (int node = -1; !base;) {
		node = fdt_find_compatible(f, node, "arm,pl011");
		if (node < 0)
			return 0;
		base = dt_pl011_base(f, node);
	}
	return base;
}

enum psci_conduit discover_psci(const struct fdt *f)
{
	const char *method;
	int node = fdt_path_offset(f, "/psci");

	if (node < 0 || fdt_get_string(f, node, "method", &method))
		return PSCI_NONE;
	if (strcmp(method, "hvc") == 0)
		return PSCI_HVC;
	if (strcmp(method, "smc") == 0)
		return PSCI_SMC;
	return PSCI_NONE;
}
