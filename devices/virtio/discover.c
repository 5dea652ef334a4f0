/*
 * Finding virtio-mmio devices: device-tree nodes compatible "virtio,mmio" (QEMU virt and
 * the hosted machine) and the command line's virtio_mmio.device=<size>@<base>:<irq>
 * entries, in the form Linux accepts (QEMU's x86 microvm appends one per device when it
 * loads the kernel itself). A command-line irq is a wired line of the interrupt
 * controller (plat_irq_line: an IOAPIC GSI on x86, a GIC SPI elsewhere).
 */
#include <amphi/cmdline.h>
#include <amphi/errno.h>
#include <amphi/fdt.h>
#include <amphi/irq.h>
#include <amphi/kprintf.h>
#include <amphi/string.h>
#include <amphi/virtio.h>

#include "virtio_internal.h"

#define DT_GIC_SPI 0 /* first cell of a GIC interrupt specifier */
#define DT_GIC_PPI 1
#define GIC_FIRST_SPI 32
#define GIC_FIRST_PPI 16
#define CMDLINE_KEY "virtio_mmio.device"
#define CMDLINE_VALUE_MAX 64

/* The interrupt number of a node's first GIC interrupt specifier, or -EINVAL. */
static int dt_virtio_irq(const struct fdt *f, int node)
{
	const uint8_t *cells;
	uint32_t len;

	if (fdt_get_prop(f, node, "interrupts", (const void **)&cells, &len) || len < 12)
		return -EINVAL;
	uint32_t type = fdt_be32(cells), num = fdt_be32(cells + 4);
	if (type == DT_GIC_SPI && num < IRQ_MAX - GIC_FIRST_SPI)
		return GIC_FIRST_SPI + (int)num;
	if (type == DT_GIC_PPI && num < GIC_FIRST_SPI - GIC_FIRST_PPI)
		return GIC_FIRST_PPI + (int)num;
	return -EINVAL;
}

/* Probes every enabled "virtio,mmio" node of the device tree. */
static void virtio_discover_fdt(const struct fdt *f)
{
	for (int node = fdt_find_compatible(f, -1, "virtio,mmio"); node >= 0;
	     node = fdt_find_compatible(f, node, "virtio,mmio")) {
		uint64_t base, size;
		if (!fdt_node_is_enabled(f, node))
			continue;
		int irq = dt_virtio_irq(f, node);
		if (fdt_get_reg(f, node, 0, &base, &size) || irq < 0) {
			kprintf("virtio: a virtio,mmio node without a usable reg or GIC "
				"interrupt; ignored\n");
			continue;
		}
		virtio_mmio_probe(base, size, (unsigned)irq);
	}
}

/* Splits "<size>@<base>:<irq>[:<id>]" (in place) and parses it. Returns 0 or -EINVAL. */
static int virtio_parse_cmdline_device(char *v, uint64_t *size, uint64_t *base, uint64_t *line)
{
	char *at = strchr(v, '@');
	char *colon = at ? strchr(at, ':') : NULL;

	if (!colon)
		return -EINVAL;
	*at = *colon = '\0';
	char *id = strchr(colon + 1, ':');
	if (id)
		*id = '\0'; /* Linux's optional platform device id: not needed */
	if (cmdline_parse_size(v, size) || cmdline_parse_size(at + 1, base) ||
	    cmdline_parse_size(colon + 1, line) || *line > UINT32_MAX)
		return -EINVAL;
	return 0;
}

/* Probes the device one command-line value describes. */
static void virtio_cmdline_device(const struct cmdline_arg *arg)
{
	char v[CMDLINE_VALUE_MAX];
	uint64_t size, base, line;

	if (!arg->value || arg->value_len >= sizeof(v)) {
		kprintf("virtio: %s needs <size>@<base>:<irq>\n", CMDLINE_KEY);
		return;
	}
	memcpy(v, arg->value, arg->value_len);
	v[arg->value_len] = '\0';
	if (virtio_parse_cmdline_device(v, &size, &base, &line)) {
		kprintf("virtio: bad %s=%.*s (want <size>@<base>:<irq>)\n", CMDLINE_KEY,
			(int)arg->value_len, arg->value);
		return;
	}
	int irq = plat_irq_line((unsigned)line);
	if (irq < 0) {
		kprintf("virtio: %s: the machine has no interrupt line %llu\n", CMDLINE_KEY,
			(unsigned long long)line);
		return;
	}
	virtio_mmio_probe(base, size, (unsigned)irq);
}

/* Probes every virtio_mmio.device= entry of the command line. */
static void virtio_discover_cmdline(const char *cmdline)
{
	struct cmdline_arg arg;
	const char *cursor = cmdline;
	size_t key_len = strlen(CMDLINE_KEY);

	while (cmdline_next(&cursor, &arg) > 0)
		if (arg.key_len == key_len && !memcmp(arg.key, CMDLINE_KEY, key_len))
			virtio_cmdline_device(&arg);
}

void virtio_discover(const struct boot_info *info)
{
	struct fdt f;

	if (info->fdt && !fdt_open(&f, info->fdt, UINT32_MAX))
		virtio_discover_fdt(&f);
	virtio_discover_cmdline(info->cmdline);
}
