/* Device-tree discovery for the virt/board platform: where the blob is, which UART is the
 * console, how to reach PSCI. Everything read from the blob goes through the bounds-checked
 * parser in kernel/fdt/fdt.c. */
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/string.h>

#include "sysreg.h"
#include "virt.h"

/* QEMU virt puts the DTB at the start of RAM for ELF kernels (and passes no x0). */
#define VIRT_RAM_BASE 0x40000000UL
/* The arm64 booting protocol caps the DTB at 2 MiB. */
#define DTB_MAX_SIZE (2u << 20)
#define DTB_HEADER_SIZE 40u
#define DTB_TOTALSIZE_OFF 4

/* True when physical address pa is a plausible DTB address whose first word is the FDT
 * magic. */
static bool dtb_has_magic(paddr_t pa)
{
	return pa && pa < MMU_PA_LIMIT && IS_ALIGNED(pa, 8) &&
	       fdt_be32(plat_phys_to_virt(pa)) == FDT_MAGIC;
}

void discover_fdt(paddr_t dtb, struct fdt *f)
{
	paddr_t pa = dtb;

	if (!dtb_has_magic(pa)) {
		if (!dtb_has_magic(VIRT_RAM_BASE))
			panic("boot: no device tree (x0 = %#lx holds none, nor does %#lx)",
			      (unsigned long)pa, VIRT_RAM_BASE);
		pa = VIRT_RAM_BASE;
	}
	const uint8_t *p = plat_phys_to_virt(pa);
	uint32_t size = fdt_be32(p + DTB_TOTALSIZE_OFF);
	if (size < DTB_HEADER_SIZE || size > DTB_MAX_SIZE)
		panic("boot: device tree at %#lx claims %u bytes (must be %u..%u)",
		      (unsigned long)pa, size, DTB_HEADER_SIZE, DTB_MAX_SIZE);
	int err = fdt_open(f, p, size);
	if (err)
		panic("boot: bad device tree at %#lx: %s (%d)", (unsigned long)pa,
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

/* True when mpidr is among the first n entries of list. */
static bool dt_mpidr_listed(const uint64_t *list, unsigned n, uint64_t mpidr)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] == mpidr)
			return true;
	return false;
}

/* MPIDR affinity of a /cpus child that describes a CPU we can start (enable-method "psci",
 * or the boot CPU, which runs already); -ENOENT for other nodes (cpu-map), -EINVAL for a
 * CPU node without a usable reg or enable-method, after saying which. */
static int dt_cpu_mpidr(const struct fdt *f, int node, uint64_t boot_mpidr, uint64_t *mpidr)
{
	const char *type, *method;
	uint64_t size;

	if (fdt_get_string(f, node, "device_type", &type) || strcmp(type, "cpu") != 0 ||
	    !fdt_node_is_enabled(f, node))
		return -ENOENT;
	if (fdt_get_reg(f, node, 0, mpidr, &size) || (*mpidr & ~MPIDR_AFFINITY_MASK)) {
		kprintf("boot: ignoring a /cpus node without a valid MPIDR in reg\n");
		return -EINVAL;
	}
	if (*mpidr == boot_mpidr)
		return 0;
	if (fdt_get_string(f, node, "enable-method", &method) || strcmp(method, "psci") != 0) {
		kprintf("boot: ignoring CPU %#llx: its enable-method is not psci\n",
			(unsigned long long)*mpidr);
		return -EINVAL;
	}
	return 0;
}

unsigned discover_cpus(const struct fdt *f, uint64_t *mpidr, unsigned max)
{
	int cpus = fdt_path_offset(f, "/cpus");
	unsigned n = 1, boot_seen = 0;
	uint64_t id;

	if (cpus < 0) {
		kprintf("boot: no /cpus in the device tree; running on the boot CPU only\n");
		return 1;
	}
	for (int node = fdt_first_child(f, cpus); node >= 0; node = fdt_next_sibling(f, node)) {
		if (dt_cpu_mpidr(f, node, mpidr[0], &id))
			continue;
		if (dt_mpidr_listed(mpidr, n, id)) {
			if (id != mpidr[0] || boot_seen++)
				kprintf("boot: ignoring a second /cpus node for MPIDR %#llx\n",
					(unsigned long long)id);
			continue;
		}
		if (n == max) {
			kprintf("boot: more than %u CPUs; ignoring the others\n", max);
			break;
		}
		mpidr[n++] = id;
	}
	return n;
}

/* GIC kinds by compatible string, newest first. */
static const struct {
	const char *compatible;
	enum gic_kind kind;
} dt_gics[] = {
    {"arm,gic-v3", GIC_KIND_V3},
    {"arm,gic-400", GIC_KIND_V2},
    {"arm,cortex-a15-gic", GIC_KIND_V2},
};

int discover_gic(const struct fdt *f, enum gic_kind *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(dt_gics); i++) {
		for (int node = -1;;) {
			node = fdt_find_compatible(f, node, dt_gics[i].compatible);
			if (node < 0)
				break;
			if (!fdt_node_is_enabled(f, node))
				continue;
			*kind = dt_gics[i].kind;
			return node;
		}
	}
	return -ENOENT;
}
