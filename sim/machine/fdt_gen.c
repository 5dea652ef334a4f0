/*
 * The hosted machine's device tree, written with libfdt's sequential writer. The kernel
 * reads it back with its own parser, exactly as on aarch64. libfdt's names (fdt_next_node,
 * fdt_path_offset...) clash with the kernel's, so this file is linked with libfdt into one
 * object whose only global symbols are sim_fdt_build and sim_fdt_strerror (see
 * CMakeLists.txt); it must not include <amphi/fdt.h>.
 */
#include <libfdt.h>
#include <stdio.h>

#include "sim.h"

#define DT_GIC_PHANDLE 1
#define DT_GICV2_MAX_CPUS 8
#define DT_GIC_SPI 0	    /* first cell of a GIC interrupt specifier: an SPI */
#define DT_GIC_PPI 1	    /* or a PPI */
#define DT_IRQ_LEVEL_HIGH 4 /* its type */

/* Returns from the enclosing function when a libfdt call fails. */
#define FDT_TRY(call)                    \
	do {                             \
		int fdt_err_ = (call);   \
		if (fdt_err_ < 0)        \
			return fdt_err_; \
	} while (0)

/* Writes a two-cell address and two-cell size "reg" property. */
static int dt_reg64(void *fdt, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};

	return fdt_property(fdt, "reg", reg, sizeof(reg));
}

/* Writes /cpus with one node per simulated CPU. */
static int dt_cpus(void *fdt, unsigned count)
{
	FDT_TRY(fdt_begin_node(fdt, "cpus"));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 1));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 0));
	for (unsigned i = 0; i < count; i++) {
		char name[16];
		snprintf(name, sizeof(name), "cpu@%x", i);
		FDT_TRY(fdt_begin_node(fdt, name));
		FDT_TRY(fdt_property_string(fdt, "device_type", "cpu"));
		FDT_TRY(fdt_property_string(fdt, "compatible", "amphi,sim-cpu"));
		FDT_TRY(fdt_property_u32(fdt, "reg", i));
		FDT_TRY(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt);
}

/* Writes the GICv2 node: distributor and CPU interface registers, as QEMU's virt board
 * describes its GIC. */
static int dt_gic(void *fdt, const struct sim_dt_desc *desc)
{
	char name[32];
	fdt64_t reg[4] = {cpu_to_fdt64(desc->gicd_base), cpu_to_fdt64(desc->gicd_size),
			  cpu_to_fdt64(desc->gicc_base), cpu_to_fdt64(desc->gicc_size)};

	snprintf(name, sizeof(name), "intc@%llx", (unsigned long long)desc->gicd_base);
	FDT_TRY(fdt_begin_node(fdt, name));
	FDT_TRY(fdt_property_string(fdt, "compatible", "arm,cortex-a15-gic"));
	FDT_TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	FDT_TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
	FDT_TRY(fdt_property(fdt, "reg", reg, sizeof(reg)));
	FDT_TRY(fdt_property_u32(fdt, "phandle", DT_GIC_PHANDLE));
	if (desc->cpus > DT_GICV2_MAX_CPUS) /* SGIs reach them through the model's extension */
		FDT_TRY(fdt_property(fdt, "amphi,sgi-targets-64", NULL, 0));
	return fdt_end_node(fdt);
}

/* Writes the per-CPU timer node: its interrupt is a PPI of the GIC, level high, on every
 * CPU (the binding's third cell: CPU mask in bits 8-15, type in bits 0-3). */
static int dt_timer(void *fdt, const struct sim_dt_desc *desc)
{
	unsigned cpu_mask = desc->cpus >= 8 ? 0xff : (1u << desc->cpus) - 1;
	fdt32_t irq[3] = {cpu_to_fdt32(DT_GIC_PPI), cpu_to_fdt32(desc->timer_irq - 16),
			  cpu_to_fdt32(cpu_mask << 8 | DT_IRQ_LEVEL_HIGH)};

	FDT_TRY(fdt_begin_node(fdt, "timer"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "amphi,sim-timer"));
	FDT_TRY(fdt_property(fdt, "interrupts", irq, sizeof(irq)));
	return fdt_end_node(fdt);
}

/* Writes one node per virtio-mmio window, as QEMU's virt board does (level-triggered
 * SPIs here: the model holds its line high until the driver acknowledges). */
static int dt_virtio(void *fdt, const struct sim_dt_desc *desc)
{
	for (unsigned i = 0; i < desc->virtio_count; i++) {
		char name[32];
		uint64_t base = desc->virtio_base + i * SIM_VIRTIO_SIZE;
		fdt32_t irq[3] = {cpu_to_fdt32(DT_GIC_SPI),
				  cpu_to_fdt32(desc->virtio_first_spi + i),
				  cpu_to_fdt32(DT_IRQ_LEVEL_HIGH)};
		snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)base);
		FDT_TRY(fdt_begin_node(fdt, name));
		FDT_TRY(fdt_property_string(fdt, "compatible", "virtio,mmio"));
		FDT_TRY(dt_reg64(fdt, base, SIM_VIRTIO_SIZE));
		FDT_TRY(fdt_property(fdt, "interrupts", irq, sizeof(irq)));
		FDT_TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
		FDT_TRY(fdt_end_node(fdt));
	}
	return 0;
}

/* Writes /memory@<base> for the one RAM range. */
static int dt_memory(void *fdt, uint64_t base, uint64_t size)
{
	char name[32];

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)base);
	FDT_TRY(fdt_begin_node(fdt, name));
	FDT_TRY(fdt_property_string(fdt, "device_type", "memory"));
	FDT_TRY(dt_reg64(fdt, base, size));
	return fdt_end_node(fdt);
}

int sim_fdt_build(void *buf, size_t cap, const struct sim_dt_desc *desc)
{
	void *fdt = buf;

	if (cap > INT32_MAX)
		cap = INT32_MAX;
	FDT_TRY(fdt_create(fdt, (int)cap));
	FDT_TRY(fdt_finish_reservemap(fdt));
	FDT_TRY(fdt_begin_node(fdt, ""));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
	FDT_TRY(fdt_property_string(fdt, "compatible", "amphi,sim"));
	FDT_TRY(fdt_property_string(fdt, "model", "Amphi hosted machine"));
	FDT_TRY(fdt_property_u32(fdt, "interrupt-parent", DT_GIC_PHANDLE));
	FDT_TRY(fdt_begin_node(fdt, "chosen"));
	FDT_TRY(fdt_property_string(fdt, "bootargs", desc->bootargs));
	if (desc->initrd_end > desc->initrd_start) {
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-start", desc->initrd_start));
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-end", desc->initrd_end));
	}
	if (desc->exec_path) {
		FDT_TRY(fdt_property_string(fdt, "amphi,exec-path", desc->exec_path));
		FDT_TRY(fdt_property(fdt, "amphi,exec-argv", desc->exec_argv,
				     (int)desc->exec_argv_len));
		FDT_TRY(fdt_property(fdt, "amphi,exec-envp", desc->exec_envp,
				     (int)desc->exec_envp_len));
	}
	FDT_TRY(fdt_end_node(fdt));
	FDT_TRY(dt_cpus(fdt, desc->cpus));
	FDT_TRY(dt_memory(fdt, desc->ram_base, desc->ram_size));
	FDT_TRY(dt_gic(fdt, desc));
	FDT_TRY(dt_timer(fdt, desc));
	FDT_TRY(dt_virtio(fdt, desc));
	FDT_TRY(fdt_end_node(fdt));
	FDT_TRY(fdt_finish(fdt));
	return (int)fdt_totalsize(fdt);
}

const char *sim_fdt_strerror(int err)
{
	return fdt_strerror(err);
}
