/*
 * The Arm GICv3 driver. The distributor holds the shared peripheral interrupts (SPIs,
 * INTID 32+), each CPU's redistributor its SGIs (0-15, used as IPIs) and PPIs (16-31, the
 * timers), and each CPU talks to its interface through system registers. Everything runs in
 * group 1 (non-secure) at one priority, so interrupts never preempt each other; EOImode 0:
 * one EOIR write drops the priority and deactivates. Registers are reached only through
 * <amphi/mmio.h>, 32 bits at a time (the 64-bit GICR_TYPER and GICD_IROUTER allow it).
 */
#include <amphi/errno.h>
#include <amphi/gic_v3.h>
#include <amphi/mmio.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <isa/sysreg.h>

/* Distributor registers. */
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ICPENDR 0x0280
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER 0x6000
#define GICD_PIDR2 0xffe8
#define GICD_CTLR_RWP (1u << 31)
/* EnableGrp1 (and Grp1A / Grp0 in the views where those bits mean that) and ARE. */
#define GICD_CTLR_ENABLE (1u << 0 | 1u << 1 | 1u << 4)
#define GICD_SIZE 0x10000

/* Redistributor registers: the RD frame, then the SGI frame 64 KiB above it. */
#define GICR_CTLR 0x0000
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_CTLR_RWP (1u << 3)
#define GICR_TYPER_VLPIS (1u << 1)
#define GICR_TYPER_LAST (1u << 4)
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)
#define GICR_SGI_FRAME 0x10000
#define GICR_STRIDE_V3 0x20000 /* RD + SGI frames */
#define GICR_STRIDE_V4 0x40000 /* plus the two VLPI frames */

#define GIC_SPI_BASE 32
#define GIC_INTID_SPECIAL 1020 /* 1020-1023: no interrupt to take */
#define GIC_PRIORITY 0xa0
#define GIC_PRIORITY_MASK 0xf0 /* ICC_PMR_EL1: lets GIC_PRIORITY through */
#define GIC_MAX_RD_REGIONS 8
#define GIC_POLL_LIMIT 10000000u

#define ICC_SRE_SRE 1u

struct gic_v3_region {
	volatile void *base;
	uint64_t size;
};

static struct {
	volatile void *dist;
	struct gic_v3_region rd[GIC_MAX_RD_REGIONS];
	unsigned rd_count;
	uint64_t rd_stride; /* 0: from each redistributor's GICR_TYPER.VLPIS */
	unsigned lines;	    /* INTIDs the distributor implements, SGIs and PPIs included */
} gic;

/* Per CPU (plat_cpu_id): its redistributor's RD frame and its MPIDR affinity. */
static struct {
	volatile void *rd;
	uint64_t mpidr;
} gic_cpu[PLAT_MAX_CPUS];

/* Waits until bit clears in the 32-bit register at reg; panics naming what never settled. */
static void gic_v3_wait_clear(volatile void *reg, uint32_t bit, const char *what)
{
	for (unsigned i = 0; i < GIC_POLL_LIMIT; i++)
		if (!(mmio_read32(reg) & bit))
			return;
	panic("gic-v3: %s never completed", what);
}

/* Waits for a distributor register write (CTLR, ICENABLER) to take effect. */
static void gic_v3_dist_sync(void)
{
	gic_v3_wait_clear(mmio_reg(gic.dist, GICD_CTLR), GICD_CTLR_RWP,
			  "distributor write (GICD_CTLR.RWP)");
}

/* Waits for a write to the executing CPU's redistributor to take effect. */
static void gic_v3_rd_sync(volatile void *rd)
{
	gic_v3_wait_clear(mmio_reg(rd, GICR_CTLR), GICR_CTLR_RWP,
			  "redistributor write (GICR_CTLR.RWP)");
}

/* The affinity fields of the executing CPU's MPIDR_EL1 (Aff3..Aff0). */
static uint64_t gic_v3_mpidr(void)
{
	return sysreg_read(mpidr_el1) & MPIDR_AFFINITY_MASK;
}

/* mpidr as GICR_TYPER[63:32] spells it: Aff3.Aff2.Aff1.Aff0. */
static uint32_t gic_v3_typer_affinity(uint64_t mpidr)
{
	return (uint32_t)((mpidr >> 32 & 0xff) << 24 | (mpidr & 0xffffff));
}

/* Reads reg entry index of node into *r and maps it; -EINVAL when it is missing or smaller
 * than min_size, -ENOMEM when it cannot be mapped. */
static int gic_v3_read_region(const struct fdt *f, int node, unsigned index, uint64_t min_size,
			      struct gic_v3_region *r)
{
	uint64_t base, size;

	if (fdt_get_reg(f, node, index, &base, &size) || size < min_size)
		return -EINVAL;
	r->base = plat_mmio_map(base, size);
	r->size = size;
	return r->base ? 0 : -ENOMEM;
}

/* The optional "redistributor-stride" (one 64-bit value, a multiple of 64 KiB); 0 when
 * absent. Returns 0 or -EINVAL. */
static int gic_v3_read_stride(const struct fdt *f, int node, uint64_t *stride)
{
	const void *val;
	uint32_t len;

	*stride = 0;
	if (fdt_get_prop(f, node, "redistributor-stride", &val, &len))
		return 0;
	if (len != 8)
		return -EINVAL;
	*stride = fdt_read_cells(val, 2);
	return *stride && *stride % 0x10000 == 0 ? 0 : -EINVAL;
}

/* Fills gic from the device-tree node. Returns 0 or -EINVAL. */
static int gic_v3_read_node(const struct fdt *f, int node)
{
	struct gic_v3_region dist;
	uint32_t regions = 1;

	int err = gic_v3_read_region(f, node, 0, GICD_SIZE, &dist);
	if (err)
		return err;
	gic.dist = dist.base;
	err = fdt_get_u32(f, node, "#redistributor-regions", &regions);
	if ((err && err != -ENOENT) || regions == 0 || regions > GIC_MAX_RD_REGIONS)
		return -EINVAL;
	for (unsigned i = 0; i < regions; i++) {
		err = gic_v3_read_region(f, node, 1 + i, GICR_STRIDE_V3, &gic.rd[i]);
		if (err)
			return err;
	}
	gic.rd_count = regions;
	return gic_v3_read_stride(f, node, &gic.rd_stride);
}

/* Writes value to the 32-bit registers at offset off covering every SPI, one bit each. */
static void gic_v3_spi_bits(unsigned off, uint32_t value)
{
	for (unsigned irq = GIC_SPI_BASE; irq < gic.lines; irq += 32)
		mmio_write32(mmio_reg(gic.dist, off + irq / 8), value);
}

/* Distributor off, every SPI group 1, disabled, inactive, not pending, at GIC_PRIORITY and
 * routed to the executing CPU; then on with affinity routing. */
static void gic_v3_dist_init(void)
{
	mmio_write32(mmio_reg(gic.dist, GICD_CTLR), 0);
	gic_v3_dist_sync();
	gic_v3_spi_bits(GICD_IGROUPR, ~0u);
	gic_v3_spi_bits(GICD_ICENABLER, ~0u);
	gic_v3_spi_bits(GICD_ICPENDR, ~0u);
	gic_v3_spi_bits(GICD_ICACTIVER, ~0u);
	for (unsigned irq = GIC_SPI_BASE; irq < gic.lines; irq += 4)
		mmio_write32(mmio_reg(gic.dist, GICD_IPRIORITYR + irq), GIC_PRIORITY * 0x01010101u);
	gic_v3_dist_sync();
	mmio_write32(mmio_reg(gic.dist, GICD_CTLR), GICD_CTLR_ENABLE);
	gic_v3_dist_sync();
	uint64_t mpidr = gic_v3_mpidr();
	for (unsigned irq = GIC_SPI_BASE; irq < gic.lines; irq++) {
		/* Aff2.Aff1.Aff0 (IRM 0: this CPU only), then Aff3 */
		mmio_write32(mmio_reg(gic.dist, GICD_IROUTER + 8 * irq), mpidr & 0xffffff);
		mmio_write32(mmio_reg(gic.dist, GICD_IROUTER + 8 * irq + 4), mpidr >> 32 & 0xff);
	}
}

/* The RD frame of the redistributor in region r whose affinity is aff, or NULL. */
static volatile void *gic_v3_find_rd_in(const struct gic_v3_region *r, uint32_t aff)
{
	for (uint64_t off = 0; off + GICR_STRIDE_V3 <= r->size;) {
		volatile void *rd = mmio_reg(r->base, off);
		uint32_t typer = mmio_read32(mmio_reg(rd, GICR_TYPER));
		if (mmio_read32(mmio_reg(rd, GICR_TYPER + 4)) == aff)
			return rd;
		if (typer & GICR_TYPER_LAST)
			break;
		off += gic.rd_stride		  ? gic.rd_stride
		       : typer & GICR_TYPER_VLPIS ? GICR_STRIDE_V4
						  : GICR_STRIDE_V3;
	}
	return NULL;
}

/* The RD frame of the executing CPU's redistributor; panics when no region has it. */
static volatile void *gic_v3_find_rd(uint64_t mpidr)
{
	uint32_t aff = gic_v3_typer_affinity(mpidr);

	for (unsigned i = 0; i < gic.rd_count; i++) {
		volatile void *rd = gic_v3_find_rd_in(&gic.rd[i], aff);
		if (rd)
			return rd;
	}
	panic("gic-v3: no redistributor for MPIDR %#llx in the device tree's regions",
	      (unsigned long long)mpidr);
}

/* Takes the redistributor out of sleep, so it forwards interrupts to its CPU. */
static void gic_v3_rd_wake(volatile void *rd)
{
	uint32_t waker = mmio_read32(mmio_reg(rd, GICR_WAKER));

	mmio_write32(mmio_reg(rd, GICR_WAKER), waker & ~GICR_WAKER_PROCESSOR_SLEEP);
	gic_v3_wait_clear(mmio_reg(rd, GICR_WAKER), GICR_WAKER_CHILDREN_ASLEEP,
			  "redistributor wake-up (GICR_WAKER.ChildrenAsleep)");
}

/* SGIs and PPIs of this CPU: group 1 at GIC_PRIORITY, masked, not pending or active (as
 * the GICv2 driver leaves them: the kernel unmasks what it handles). */
static void gic_v3_rd_init(volatile void *rd)
{
	volatile void *sgi = mmio_reg(rd, GICR_SGI_FRAME);

	mmio_write32(mmio_reg(sgi, GICD_IGROUPR), ~0u);
	mmio_write32(mmio_reg(sgi, GICD_ICENABLER), ~0u);
	mmio_write32(mmio_reg(sgi, GICD_ICPENDR), ~0u);
	mmio_write32(mmio_reg(sgi, GICD_ICACTIVER), ~0u);
	for (unsigned irq = 0; irq < GIC_SPI_BASE; irq += 4)
		mmio_write32(mmio_reg(sgi, GICD_IPRIORITYR + irq), GIC_PRIORITY * 0x01010101u);
	gic_v3_rd_sync(rd);
}

/* Enables the system-register interface of this CPU and lets group 1 interrupts in. */
static void gic_v3_cpu_interface_init(void)
{
	sysreg_write(icc_sre_el1, sysreg_read(icc_sre_el1) | ICC_SRE_SRE);
	isb();
	if (!(sysreg_read(icc_sre_el1) & ICC_SRE_SRE))
		panic("gic-v3: ICC_SRE_EL1.SRE stays 0: a higher EL keeps the system-register "
		      "interface disabled");
	sysreg_write(icc_pmr_el1, GIC_PRIORITY_MASK);
	sysreg_write(icc_bpr1_el1, 0);
	sysreg_write(icc_ctlr_el1, 0); /* EOImode 0: EOIR also deactivates */
	sysreg_write(icc_igrpen1_el1, 1);
	isb();
}

/* irq_chip.cpu_init: finds and wakes this CPU's redistributor, then its CPU interface. */
static void gic_v3_cpu_init(void)
{
	unsigned cpu = plat_cpu_id();
	uint64_t mpidr = gic_v3_mpidr();
	volatile void *rd = gic_v3_find_rd(mpidr);

	gic_v3_rd_wake(rd);
	gic_v3_rd_init(rd);
	gic_cpu[cpu].mpidr = mpidr;
	gic_cpu[cpu].rd = rd;
	gic_v3_cpu_interface_init();
}

/* Sets irq's bit in the set/clear-enable register bank at off: this CPU's redistributor
 * for SGIs and PPIs, the distributor for SPIs; waits for a disable to take effect. */
static void gic_v3_enable_bit(unsigned irq, unsigned off)
{
	if (irq >= gic.lines)
		return;
	if (irq < GIC_SPI_BASE) {
		volatile void *rd = gic_cpu[plat_cpu_id()].rd;
		if (!rd)
			panic("gic-v3: per-CPU INTID %u changed before this CPU's cpu_init", irq);
		mmio_write32(mmio_reg(rd, GICR_SGI_FRAME + off), 1u << irq);
		gic_v3_rd_sync(rd);
		return;
	}
	mmio_write32(mmio_reg(gic.dist, off + irq / 32 * 4), 1u << irq % 32);
	gic_v3_dist_sync();
}

/* irq_chip.mask. */
static void gic_v3_mask(unsigned irq)
{
	gic_v3_enable_bit(irq, GICD_ICENABLER);
}

/* irq_chip.unmask. */
static void gic_v3_unmask(unsigned irq)
{
	gic_v3_enable_bit(irq, GICD_ISENABLER);
}

/* Raises SGI sgi on cpu, whose cpu_init has run (so its MPIDR is known). */
static void gic_v3_raise_sgi(unsigned cpu, unsigned sgi)
{
	uint64_t mpidr = gic_cpu[cpu].mpidr;
	uint64_t aff0 = mpidr & 0xff;
	uint64_t v = (mpidr >> 32 & 0xff) << 48 | (mpidr >> 16 & 0xff) << 32 |
		     (mpidr >> 8 & 0xff) << 16 | (aff0 >> 4) << 44 | (uint64_t)(sgi & 0xf) << 24 |
		     1u << (aff0 & 0xf);

	dsb(ishst); /* the target sees what came before */
	sysreg_write(icc_sgi1r_el1, v);
	isb();
}

/* irq_chip.send_ipi: one SGI write per target. */
static void gic_v3_send_ipi(cpumask_t targets, enum ipi ipi)
{
	for (unsigned cpu = 0; targets; cpu++, targets >>= 1)
		if (targets & 1)
			gic_v3_raise_sgi(cpu, ipi);
}

/* irq_chip.ipi_irq: IPI n is SGI n. */
static unsigned gic_v3_ipi_irq(enum ipi ipi)
{
	return ipi;
}

/* irq_chip.is_percpu: SGIs and PPIs. */
static bool gic_v3_is_percpu(unsigned irq)
{
	return irq < GIC_SPI_BASE;
}

/* Acknowledges the highest-priority pending interrupt; GIC_INTID_SPECIAL or above: none. */
static unsigned gic_v3_ack(void)
{
	unsigned intid = sysreg_read(icc_iar1_el1) & 0xffffff;

	dsb(sy); /* the acknowledge completes before handling */
	return intid;
}

void gic_v3_handle_irqs(void)
{
	unsigned intid = gic_v3_ack();

	if (intid >= GIC_INTID_SPECIAL)
		irq_spurious();
	while (intid < GIC_INTID_SPECIAL) {
		irq_handle(intid);
		sysreg_write(icc_eoir1_el1, intid);
		isb();
		intid = gic_v3_ack();
	}
	irq_exit();
}

static const struct irq_chip gic_v3_chip = {
    .name = "gic-v3",
    .cpu_init = gic_v3_cpu_init,
    .mask = gic_v3_mask,
    .unmask = gic_v3_unmask,
    .send_ipi = gic_v3_send_ipi,
    .ipi_irq = gic_v3_ipi_irq,
    .is_percpu = gic_v3_is_percpu,
};

/* The enabled "arm,gic-v3" node, or -ENOENT. */
static int gic_v3_find_node(const struct fdt *f)
{
	for (int node = fdt_find_compatible(f, -1, "arm,gic-v3"); node >= 0;
	     node = fdt_find_compatible(f, node, "arm,gic-v3"))
		if (fdt_node_is_enabled(f, node))
			return node;
	return -ENOENT;
}

int gic_v3_probe(const struct fdt *f, const struct irq_chip **chip)
{
	int node = gic_v3_find_node(f);
	if (node < 0)
		return node;
	int err = gic_v3_read_node(f, node);
	if (err)
		return err;
	unsigned arch_rev = mmio_read32(mmio_reg(gic.dist, GICD_PIDR2)) >> 4 & 0xf;
	if (arch_rev != 3 && arch_rev != 4)
		return -ENODEV;
	gic.lines =
	    MIN(32 * ((mmio_read32(mmio_reg(gic.dist, GICD_TYPER)) & 0x1f) + 1), GIC_INTID_SPECIAL);
	gic_v3_dist_init();
	*chip = &gic_v3_chip;
	return 0;
}
