/*
 * ARM GICv2 driver: the distributor (shared state: enables, priorities, routing, SGIs) and
 * the CPU interface (per-CPU acknowledge and end of interrupt), as in the GICv2
 * architecture specification (IHI 0048B). Interrupt numbers are INTIDs: SGIs 0-15 (the
 * kernel's IPIs), PPIs 16-31 (per-CPU, e.g. the timer), SPIs 32 and up (devices). The
 * distributor banks the enable and priority registers of INTIDs 0-31 per CPU, so the mask
 * and unmask calls act on the executing CPU for those.
 *
 * Registers are reached only through <amphi/mmio.h>, so the same code drives QEMU's GIC
 * and the hosted machine's model.
 */
#include <amphi/errno.h>
#include <amphi/gic_v2.h>
#include <amphi/mmio.h>
#include <amphi/plat.h>

/* Distributor registers (offsets from its base). */
#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_SGIR 0xf00
/* The hosted machine's extension for more than 8 CPUs (GICv2 reserves these offsets and
 * SGIR filter 3): the target CPUs 0-31 and 32-63 of the next SGIR write with filter 3. */
#define GICD_SGIR_TARGETS_LO 0xf04
#define GICD_SGIR_TARGETS_HI 0xf08
#define GICD_SGIR_FILTER_EXT (3u << 24)

/* CPU interface registers (offsets from its base). */
#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_IAR 0x0c
#define GICC_EOIR 0x10

#define GICD_CTLR_ENABLE 1u
#define GICC_CTLR_ENABLE 1u
#define GICD_TYPER_LINES(t) ((((t)&0x1fu) + 1) * 32) /* ITLinesNumber */
#define GICD_SGIR_TARGETS_SHIFT 16
#define GICC_IAR_INTID(iar) ((iar)&0x3ffu)
#define GIC_FIRST_SPECIAL 1020 /* 1020-1023 are never real interrupts */
#define GIC_FIRST_SPI 32
#define GIC_MAX_SGIR_CPUS 8	  /* the SGIR target list has 8 bits */
#define GIC_PRIORITY_DEFAULT 0xa0 /* one level for every interrupt: none preempts another */
#define GIC_PMR_ALLOW_ALL 0xf0	  /* signal every priority numerically below this */

static struct {
	volatile void *dist, *cpu;
	unsigned lines; /* INTIDs the distributor implements, a multiple of 32 */
	bool wide_sgis; /* the device tree offers the 64-CPU SGI extension */
} gic;

/* The distributor register at off. */
static volatile void *gicd(size_t off)
{
	return mmio_reg(gic.dist, off);
}

/* The CPU interface register at off. */
static volatile void *gicc(size_t off)
{
	return mmio_reg(gic.cpu, off);
}

/* Sets irq's bit in the bank of one-bit-per-interrupt registers at reg (a write of 1 acts,
 * a 0 does nothing, so no read-modify-write is needed). */
static void gic_set_bit(size_t reg, unsigned irq)
{
	mmio_write32(gicd(reg + irq / 32 * 4), 1u << (irq % 32));
}

/* Masks irq at the distributor (INTIDs 0-31: for the executing CPU only). */
static void gic_mask(unsigned irq)
{
	if (irq < gic.lines)
		gic_set_bit(GICD_ICENABLER, irq);
}

/* Unmasks irq at the distributor; a shared one is routed to the executing CPU. */
static void gic_unmask(unsigned irq)
{
	if (irq >= gic.lines)
		return;
	if (irq >= GIC_FIRST_SPI)
		mmio_write8(gicd(GICD_ITARGETSR + irq), (uint8_t)(1u << plat_cpu_id()));
	gic_set_bit(GICD_ISENABLER, irq);
}

/* Sends SGI ipi to every CPU in targets. An SGIR target list names CPUs 0-7 only; beyond
 * them the hosted machine's extension carries the list (others have no such CPUs). */
static void gic_send_ipi(cpumask_t targets, enum ipi ipi)
{
	uint32_t list = (uint32_t)(targets & ((1u << GIC_MAX_SGIR_CPUS) - 1));

	if (gic.wide_sgis && targets >> GIC_MAX_SGIR_CPUS) {
		mmio_write32(gicd(GICD_SGIR_TARGETS_LO), (uint32_t)targets);
		mmio_write32(gicd(GICD_SGIR_TARGETS_HI), (uint32_t)(targets >> 32));
		mmio_write32(gicd(GICD_SGIR), GICD_SGIR_FILTER_EXT | (uint32_t)ipi);
	} else if (list) {
		mmio_write32(gicd(GICD_SGIR), list << GICD_SGIR_TARGETS_SHIFT | (uint32_t)ipi);
	}
}

/* IPI n is SGI n. */
static unsigned gic_ipi_irq(enum ipi ipi)
{
	return (unsigned)ipi;
}

/* SGIs and PPIs are banked per CPU. */
static bool gic_is_percpu(unsigned irq)
{
	return irq < GIC_FIRST_SPI;
}

/* Brings up the executing CPU's banked interrupts and its CPU interface: SGIs and PPIs
 * masked, nothing pending, one priority for all, every priority let through. */
static void gic_cpu_init(void)
{
	mmio_write32(gicd(GICD_ICENABLER), 0xffffffffu);
	mmio_write32(gicd(GICD_ICPENDR), 0xffffffffu);
	for (unsigned irq = 0; irq < GIC_FIRST_SPI; irq++)
		mmio_write8(gicd(GICD_IPRIORITYR + irq), GIC_PRIORITY_DEFAULT);
	mmio_write32(gicc(GICC_PMR), GIC_PMR_ALLOW_ALL);
	mmio_write32(gicc(GICC_CTLR), GICC_CTLR_ENABLE);
}

static const struct irq_chip gic_v2_chip = {
    .name = "gic-v2",
    .cpu_init = gic_cpu_init,
    .mask = gic_mask,
    .unmask = gic_unmask,
    .send_ipi = gic_send_ipi,
    .ipi_irq = gic_ipi_irq,
    .is_percpu = gic_is_percpu,
};

/* Sets up the distributor: shared interrupts masked, not pending, default priority,
 * routed to CPU 0; then enabled. */
static void gic_dist_init(void)
{
	mmio_write32(gicd(GICD_CTLR), 0);
	gic.lines = MIN(GICD_TYPER_LINES(mmio_read32(gicd(GICD_TYPER))), GIC_FIRST_SPECIAL);
	for (unsigned irq = GIC_FIRST_SPI; irq < gic.lines; irq += 32) {
		mmio_write32(gicd(GICD_ICENABLER + irq / 8), 0xffffffffu);
		mmio_write32(gicd(GICD_ICPENDR + irq / 8), 0xffffffffu);
	}
	for (unsigned irq = GIC_FIRST_SPI; irq < gic.lines; irq++) {
		mmio_write8(gicd(GICD_IPRIORITYR + irq), GIC_PRIORITY_DEFAULT);
		mmio_write8(gicd(GICD_ITARGETSR + irq), 1);
	}
	mmio_write32(gicd(GICD_CTLR), GICD_CTLR_ENABLE);
}

/* Finds the first enabled GICv2 node of either compatible string. */
static int gic_find_node(const struct fdt *f)
{
	static const char *const compatible[] = {"arm,cortex-a15-gic", "arm,gic-400"};

	for (size_t i = 0; i < ARRAY_SIZE(compatible); i++) {
		for (int node = fdt_find_compatible(f, -1, compatible[i]); node >= 0;
		     node = fdt_find_compatible(f, node, compatible[i])) {
			if (fdt_node_is_enabled(f, node))
				return node;
		}
	}
	return -ENOENT;
}

int gic_v2_probe(const struct fdt *f, const struct irq_chip **chip)
{
	uint64_t dist_pa, dist_size, cpu_pa, cpu_size;
	int node = gic_find_node(f);

	if (node < 0)
		return node;
	if (fdt_get_reg(f, node, 0, &dist_pa, &dist_size) ||
	    fdt_get_reg(f, node, 1, &cpu_pa, &cpu_size) || dist_size < 0x1000 || cpu_size < 0x14)
		return -EINVAL;
	gic.dist = plat_mmio_map(dist_pa, dist_size);
	gic.cpu = plat_mmio_map(cpu_pa, cpu_size);
	if (!gic.dist || !gic.cpu)
		return -ENOMEM;
	const void *val;
	uint32_t len;
	gic.wide_sgis = fdt_get_prop(f, node, "amphi,sgi-targets-64", &val, &len) == 0;
	gic_dist_init();
	*chip = &gic_v2_chip;
	return 0;
}

void gic_v2_handle_irqs(void)
{
	bool handled = false;

	for (;;) {
		uint32_t iar = mmio_read32(gicc(GICC_IAR));
		unsigned irq = GICC_IAR_INTID(iar);
		if (irq >= GIC_FIRST_SPECIAL)
			break;
		irq_handle(irq);
		mmio_write32(gicc(GICC_EOIR), iar); /* the whole value: SGIs name their source */
		handled = true;
	}
	if (!handled)
		irq_spurious();
	irq_exit();
}
