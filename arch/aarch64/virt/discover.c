/* Device-tree discovery for the virt/board platform: where the blob is, which UART is the
 * console, how to reach PSCI. Everything read from the blob goes through the bounds-checked
 * parser in kernel/lib/fdt.c. */
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

/* Big-endian u32 at p (the blob need not be 4-byte aligned for this read). */
static uint32_t dtb_be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* True when p is a plausible DTB address whose first word is the FDT magic. */
static bool dtb_has_magic(uintptr_t p)
{
	return p && IS_ALIGNED(p, 8) && dtb_be32((const void *)p) == FDT_MAGIC;
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
	uint32_t size = dtb_be32((const uint8_t *)p + DTB_TOTALSIZE_OFF);
	if (size < DTB_HEADER_SIZE || size > DTB_MAX_SIZE)
		panic("boot: device tree at %#lx claims %u bytes (must be %u..%u)",
		      (unsigned long)p, size, DTB_HEADER_SIZE, DTB_MAX_SIZE);
	int err = fdt_open(f, (const void *)p, size);
	if (err)
		panic("boot: bad device tree at %#lx: %s (%d)", (unsigned long)p,
		      err == -E2BIG ? "header larger than the blob" : "bad version or layout", err);
}

/* True when node has no "status" or it says "okay"/"ok". */
static bool dt_node_enabled(const struct fdt *f, int node)
{
	const void *val;
	uint32_t len;

	if (fdt_get_prop(f, node, "status", &val, &len))
		return true;
	return (len == 5 && !memcmp(val, "okay", 5)) || (len == 3 && !memcmp(val, "ok", 3));
}

/* True when node's "compatible" list contains compat. */
static bool dt_node_compatible(const struct fdt *f, int node, const char *compat)
{
	const char *list;
	uint32_t len;
	size_t want = strlen(compat) + 1;

	if (fdt_get_prop(f, node, "compatible", (const void **)&list, &len))
		return false;
	for (uint32_t at = 0; at < len;) {
		size_t n = strnlen(list + at, len - at);
		if (n + 1 == want && at + n < len && !memcmp(list + at, compat, want))
			return true;
		at += n + 1;
	}
	return false;
}

/* Node named by /chosen stdout-path: an absolute path or an alias, either followed by
 * optional ":options". Returns the node offset or a negative errno. */
static int dt_stdout_node(const struct fdt *f)
{
	const char *val;
	uint32_t len;
	char path[128];

	int chosen = fdt_path_offset(f, "/chosen");
	if (chosen < 0 || fdt_get_prop(f, chosen, "stdout-path", (const void **)&val, &len))
		return -ENOENT;
	size_t n = strnlen(val, len);
	const char *colon = memchr(val, ':', n);
	if (colon)
		n = (size_t)(colon - val);
	if (n == 0 || n >= sizeof(path))
		return -EINVAL;
	memcpy(path, val, n);
	path[n] = '\0';
	if (path[0] == '/')
		return fdt_path_offset(f, path);

	int aliases = fdt_path_offset(f, "/aliases");
	if (aliases < 0 || fdt_get_prop(f, aliases, path, (const void **)&val, &len))
		return -ENOENT;
	if (strnlen(val, len) >= len || val[0] != '/')
		return -EINVAL;
	return fdt_path_offset(f, val);
}

/* Base address of a usable PL011 node, 0 when node is not one. The address is taken as
 * physical: parent "ranges" translation is not applied (virt's buses are identity). */
static paddr_t dt_pl011_base(const struct fdt *f, int node)
{
	uint64_t base, size;

	if (node < 0 || !dt_node_compatible(f, node, "arm,pl011") || !dt_node_enabled(f, node))
		return 0;
	if (fdt_get_reg(f, node, 0, &base, &size) || size < 0x40 || base >= MMU_PA_LIMIT)
		return 0;
	return base;
}

paddr_t discover_console(const struct fdt *f)
{
	paddr_t base = dt_pl011_base(f, dt_stdout_node(f));

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
	const void *val;
	uint32_t len;

	int node = fdt_path_offset(f, "/psci");
	if (node < 0 || fdt_get_prop(f, node, "method", &val, &len) || len != 4)
		return PSCI_NONE;
	if (!memcmp(val, "hvc", 4))
		return PSCI_HVC;
	if (!memcmp(val, "smc", 4))
		return PSCI_SMC;
	return PSCI_NONE;
}
