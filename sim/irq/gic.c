/*
 * A GICv2 model: the subset of the distributor and CPU interface that the kernel's driver
 * programs (IHI 0048B): GICD_CTLR, TYPER, ISENABLER/ICENABLER, ISPENDR/ICPENDR,
 * IPRIORITYR, ITARGETSR, ICFGR (read only), SGIR; GICC_CTLR, PMR, IAR, EOIR, RPR, HPPIR.
 * Other registers read as zero and ignore writes. INTIDs 0-31 are banked per CPU; SGIs
 * are pending per source CPU, as in the architecture, and IAR names the source. PPIs are
 * level-sensitive (the timer's line stays high until it is re-armed), and so are the SPIs
 * devices drive (sim_gic_set_spi_level); an interrupt is
 * not signalled again while active, and a level one whose line is still high is pending
 * again at EOI. Priorities: an interrupt is signalled when its priority is numerically
 * below both the PMR and the running priority (the highest active one).
 *
 * Every call runs with the machine lock held. After each change the model recomputes the
 * affected CPUs' interrupt lines and raises the ones that went high; the CPUs read only
 * that line (sim_cpu.irq_line), never the model. The recomputation visits only the set
 * bits of the pending-and-enabled and active masks, so with nothing pending it is a few
 * word operations.
 */
#include <string.h>

#include <amphi/types.h>

#include "sim.h"

#define GIC_LINES 96 /* INTIDs: 32 private + 64 shared */
#define GIC_PRIVATE 32
#define GIC_SGIS 16
#define GIC_SPIS (GIC_LINES - GIC_PRIVATE)
#define GIC_SPURIOUS 1023
#define GIC_IDLE_PRIORITY 0x100 /* running priority with nothing active */
#define GIC_SGIR_CPUS 8		/* the SGIR target list and IAR source field are 3 bits */

/* Distributor and CPU interface register offsets. */
enum {
	GICD_CTLR = 0x000,
	GICD_TYPER = 0x004,
	GICD_ISENABLER = 0x100,
	GICD_ICENABLER = 0x180,
	GICD_ISPENDR = 0x200,
	GICD_ICPENDR = 0x280,
	GICD_IPRIORITYR = 0x400,
	GICD_ITARGETSR = 0x800,
	GICD_ICFGR = 0xc00,
	GICD_SGIR = 0xf00,
	GICD_SGIR_TARGETS_LO = 0xf04, /* extension: see gic_write_sgir */
	GICD_SGIR_TARGETS_HI = 0xf08,
	GICC_CTLR = 0x00,
	GICC_PMR = 0x04,
	GICC_IAR = 0x0c,
	GICC_EOIR = 0x10,
	GICC_RPR = 0x14,
	GICC_HPPIR = 0x18,
};

/* One CPU's interface and its banked INTIDs 0-31. */
struct gic_cpu {
	uint32_t enabled, pending, active, level; /* one bit per private INTID */
	uint64_t sgi_sources[GIC_SGIS];		  /* pending SGIs: a bit per source CPU */
	uint8_t priority[GIC_PRIVATE];
	uint32_t ctlr, pmr;
	bool line; /* last computed: an interrupt is signalled */
};

static struct {
	uint32_t ctlr;
	unsigned ncpus;
	struct gic_cpu cpu[SIM_MAX_CPUS];
	uint32_t spi_enabled[GIC_SPIS / 32], spi_pending[GIC_SPIS / 32];
	uint8_t spi_priority[GIC_SPIS], spi_targets[GIC_SPIS];
	int spi_active_cpu[GIC_SPIS];	    /* -1 when inactive */
	uint32_t spi_active[GIC_SPIS / 32]; /* bit set when spi_active_cpu is not -1 */
	uint32_t spi_level[GIC_SPIS / 32];  /* device lines held high (level-sensitive) */
	uint64_t sgi_wide_targets;	    /* the extension's latched target list */
} gic;

void sim_gic_init(unsigned ncpus)
{
	memset(&gic, 0, sizeof(gic));
	gic.ncpus = ncpus;
	for (unsigned i = 0; i < GIC_SPIS; i++)
		gic.spi_active_cpu[i] = -1;
	for (unsigned c = 0; c < ncpus; c++)
		gic.cpu[c].enabled = (1u << GIC_SGIS) - 1; /* SGIs are enabled at reset */
}

/* Priority of intid as cpu sees it. */
static unsigned gic_priority(unsigned cpu, unsigned intid)
{
	return intid < GIC_PRIVATE ? gic.cpu[cpu].priority[intid]
				   : gic.spi_priority[intid - GIC_PRIVATE];
}

/* The pending, enabled, inactive interrupts of word n (32 INTIDs from 32 * n) routed to
 * cpu, one bit each. */
static uint32_t gic_candidates(unsigned cpu, unsigned n)
{
	const struct gic_cpu *c = &gic.cpu[cpu];

	if (n == 0)
		return c->pending & c->enabled & ~c->active;
	uint32_t m = gic.spi_pending[n - 1] & gic.spi_enabled[n - 1] & ~gic.spi_active[n - 1];
	for (uint32_t left = m; left; left &= left - 1) {
		unsigned bit = (unsigned)__builtin_ctz(left);
		if (!(gic.spi_targets[32 * (n - 1) + bit] >> cpu & 1))
			m &= ~(1u << bit);
	}
	return m;
}

/* The interrupts of word n active on cpu, one bit each. */
static uint32_t gic_active(unsigned cpu, unsigned n)
{
	if (n == 0)
		return gic.cpu[cpu].active;
	uint32_t m = gic.spi_active[n - 1];
	for (uint32_t left = m; left; left &= left - 1) {
		unsigned bit = (unsigned)__builtin_ctz(left);
		if (gic.spi_active_cpu[32 * (n - 1) + bit] != (int)cpu)
			m &= ~(1u << bit);
	}
	return m;
}

/* The lowest-numbered INTID of highest priority (numerically lowest) among the set bits
 * of the per-word masks that mask(cpu, n) gives, its priority in *priority; GIC_SPURIOUS
 * and GIC_IDLE_PRIORITY when none. */
static unsigned gic_best(unsigned cpu, uint32_t (*mask)(unsigned, unsigned), unsigned *priority)
{
	unsigned best = GIC_SPURIOUS;

	*priority = GIC_IDLE_PRIORITY;
	for (unsigned n = 0; n < GIC_LINES / 32; n++) {
		for (uint32_t left = mask(cpu, n); left; left &= left - 1) {
			unsigned intid = 32 * n + (unsigned)__builtin_ctz(left);
			if (gic_priority(cpu, intid) < *priority) {
				best = intid;
				*priority = gic_priority(cpu, intid);
			}
		}
	}
	return best;
}

/* cpu's running priority: that of its highest-priority active interrupt. */
static unsigned gic_running_priority(unsigned cpu)
{
	unsigned priority;

	gic_best(cpu, gic_active, &priority);
	return priority;
}

/* The highest-priority pending interrupt for cpu (lowest INTID among equals), whether or
 * not it can be signalled; GIC_SPURIOUS when none. */
static unsigned gic_highest_pending(unsigned cpu)
{
	unsigned priority;

	return gic_best(cpu, gic_candidates, &priority);
}

/* The interrupt the CPU interface signals to cpu now, or GIC_SPURIOUS. */
static unsigned gic_signalled(unsigned cpu)
{
	const struct gic_cpu *c = &gic.cpu[cpu];
	unsigned intid = gic_highest_pending(cpu);

	if (!(gic.ctlr & 1) || !(c->ctlr & 1) || intid == GIC_SPURIOUS)
		return GIC_SPURIOUS;
	unsigned priority = gic_priority(cpu, intid);
	if (priority >= c->pmr || priority >= gic_running_priority(cpu))
		return GIC_SPURIOUS;
	return intid;
}

/* Recomputes cpu's interrupt line and tells the CPU when it goes high. */
static void gic_update(unsigned cpu)
{
	struct gic_cpu *c = &gic.cpu[cpu];
	bool line = gic_signalled(cpu) != GIC_SPURIOUS;

	if (line == c->line)
		return;
	c->line = line;
	__atomic_store_n(&sim_machine.cpu[cpu].irq_line, line, __ATOMIC_RELEASE);
	if (line)
		sim_irq_raise(&sim_machine.cpu[cpu]);
}

/* Recomputes every CPU's line (after a change to shared state). */
static void gic_update_all(void)
{
	for (unsigned c = 0; c < gic.ncpus; c++)
		gic_update(c);
}

/* Applies a write of v to the set/clear-enable or set/clear-pending word n for cpu. */
static void gic_write_bits(unsigned cpu, uint64_t reg, unsigned n, uint32_t v)
{
	struct gic_cpu *c = &gic.cpu[cpu];
	bool private = n == 0;
	uint32_t *enabled = private ? &c->enabled : &gic.spi_enabled[n - 1];
	uint32_t *pending = private ? &c->pending : &gic.spi_pending[n - 1];

	if (private && (reg == GICD_ISPENDR || reg == GICD_ICPENDR))
		v &= ~((1u << GIC_SGIS) - 1); /* SGI pending bits are not written here */
	if (reg == GICD_ISENABLER)
		*enabled |= v;
	else if (reg == GICD_ICENABLER)
		*enabled &= ~v;
	else if (reg == GICD_ISPENDR)
		*pending |= v;
	else
		*pending &= ~v;
}

/* Sends SGI intid from cpu to every CPU in targets. */
static void gic_send_sgi(unsigned from, uint64_t targets, unsigned intid)
{
	for (unsigned t = 0; t < gic.ncpus; t++) {
		if (!(targets >> t & 1))
			continue;
		gic.cpu[t].sgi_sources[intid] |= 1ULL << from;
		gic.cpu[t].pending |= 1u << intid;
	}
}

/* A write to GICD_SGIR by cpu: target list filter, list and SGI number. GICv2 names at most
 * 8 CPUs; past them the machine offers an extension (advertised in the device tree as
 * "amphi,sgi-targets-64"): filter 3, reserved in GICv2, sends to the 64-bit list latched
 * in GICD_SGIR_TARGETS_LO/HI, offsets GICv2 reserves. */
static void gic_write_sgir(unsigned cpu, uint32_t v)
{
	unsigned filter = v >> 24 & 3, intid = v & 0xf;
	uint64_t all = gic.ncpus == 64 ? ~0ULL : (1ULL << gic.ncpus) - 1;
	uint64_t targets;

	if (filter == 0)
		targets = v >> 16 & 0xff;
	else if (filter == 1)
		targets = all & ~(1ULL << cpu);
	else if (filter == 2)
		targets = 1ULL << cpu;
	else
		targets = gic.sgi_wide_targets;
	gic_send_sgi(cpu, targets & all, intid);
}

/* The byte register of intid in a byte-per-interrupt bank, or NULL. */
static uint8_t *gic_byte_reg(unsigned cpu, uint64_t bank, unsigned intid)
{
	if (intid >= GIC_LINES)
		return NULL;
	if (bank == GICD_IPRIORITYR)
		return intid < GIC_PRIVATE ? &gic.cpu[cpu].priority[intid]
					   : &gic.spi_priority[intid - GIC_PRIVATE];
	return intid < GIC_PRIVATE ? NULL : &gic.spi_targets[intid - GIC_PRIVATE];
}

/* Reads size bytes of a byte-per-interrupt bank at off (IPRIORITYR, ITARGETSR). */
static uint32_t gic_read_bytes(unsigned cpu, uint64_t bank, uint64_t off, unsigned size)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++) {
		unsigned intid = (unsigned)(off - bank) + i;
		const uint8_t *reg = gic_byte_reg(cpu, bank, intid);
		uint32_t byte = reg ? *reg : 0;
		if (bank == GICD_ITARGETSR && intid < GIC_PRIVATE && cpu < GIC_SGIR_CPUS)
			byte = 1u << cpu; /* read-only: the reading CPU */
		v |= byte << (8 * i);
	}
	return v;
}

/* Writes size bytes of a byte-per-interrupt bank at off. */
static void gic_write_bytes(unsigned cpu, uint64_t bank, uint64_t off, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++) {
		uint8_t *reg = gic_byte_reg(cpu, bank, (unsigned)(off - bank) + i);
		if (reg)
			*reg = (uint8_t)(v >> (8 * i));
	}
}

/* Reads a one-bit-per-interrupt word (enables or pending) for cpu. */
static uint32_t gic_read_bits(unsigned cpu, uint64_t reg, unsigned n)
{
	bool pending = reg == GICD_ISPENDR || reg == GICD_ICPENDR;

	if (n == 0)
		return pending ? gic.cpu[cpu].pending : gic.cpu[cpu].enabled;
	return pending ? gic.spi_pending[n - 1] : gic.spi_enabled[n - 1];
}

uint32_t sim_gicd_read(unsigned cpu, uint64_t off, unsigned size)
{
	uint64_t bank = off & ~0x7fULL;
	unsigned n = (unsigned)(off & 0x7f) / 4;

	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + GIC_LINES)
		return gic_read_bytes(cpu, GICD_IPRIORITYR, off, size);
	if (off >= GICD_ITARGETSR && off < GICD_ITARGETSR + GIC_LINES)
		return gic_read_bytes(cpu, GICD_ITARGETSR, off, size);
	if (size != 4)
		return 0;
	if (off == GICD_CTLR)
		return gic.ctlr;
	if (off == GICD_TYPER)
		return (GIC_LINES / 32 - 1) | (MIN(gic.ncpus, GIC_SGIR_CPUS) - 1) << 5;
	if (bank >= GICD_ISENABLER && bank <= GICD_ICPENDR && n < GIC_LINES / 32)
		return gic_read_bits(cpu, bank, n);
	if (off == GICD_ICFGR)
		return 0xaaaaaaaa; /* SGIs: edge-triggered */
	return 0;
}

void sim_gicd_write(unsigned cpu, uint64_t off, unsigned size, uint32_t v)
{
	uint64_t bank = off & ~0x7fULL;
	unsigned n = (unsigned)(off & 0x7f) / 4;

	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + GIC_LINES)
		gic_write_bytes(cpu, GICD_IPRIORITYR, off, size, v);
	else if (off >= GICD_ITARGETSR && off < GICD_ITARGETSR + GIC_LINES)
		gic_write_bytes(cpu, GICD_ITARGETSR, off, size, v);
	else if (size != 4)
		return;
	else if (off == GICD_CTLR)
		gic.ctlr = v & 1;
	else if (bank >= GICD_ISENABLER && bank <= GICD_ICPENDR && n < GIC_LINES / 32)
		gic_write_bits(cpu, bank, n, v);
	else if (off == GICD_SGIR)
		gic_write_sgir(cpu, v);
	else if (off == GICD_SGIR_TARGETS_LO)
		gic.sgi_wide_targets = (gic.sgi_wide_targets & ~0xffffffffULL) | v;
	else if (off == GICD_SGIR_TARGETS_HI)
		gic.sgi_wide_targets = (gic.sgi_wide_targets & 0xffffffffULL) | (uint64_t)v << 32;
	gic_update_all();
}

/* Acknowledges the interrupt cpu is signalled: returns the IAR value. */
static uint32_t gic_acknowledge(unsigned cpu)
{
	struct gic_cpu *c = &gic.cpu[cpu];
	unsigned intid = gic_signalled(cpu), source = 0;

	if (intid == GIC_SPURIOUS)
		return GIC_SPURIOUS;
	if (intid < GIC_SGIS) {
		source = (unsigned)__builtin_ctzll(c->sgi_sources[intid]);
		c->sgi_sources[intid] &= ~(1ULL << source);
		if (!c->sgi_sources[intid])
			c->pending &= ~(1u << intid);
		c->active |= 1u << intid;
	} else if (intid < GIC_PRIVATE) {
		c->pending &= ~(1u << intid);
		c->active |= 1u << intid;
	} else {
		gic.spi_pending[(intid - GIC_PRIVATE) / 32] &= ~(1u << (intid % 32));
		gic.spi_active[(intid - GIC_PRIVATE) / 32] |= 1u << (intid % 32);
		gic.spi_active_cpu[intid - GIC_PRIVATE] = (int)cpu;
	}
	sim_trace_event(SIM_TRACE_IRQ, cpu, intid);
	gic_update(cpu);
	return intid | (source % GIC_SGIR_CPUS) << 10;
}

/* Ends the interrupt named by the IAR value v on cpu. */
static void gic_end(unsigned cpu, uint32_t v)
{
	struct gic_cpu *c = &gic.cpu[cpu];
	unsigned intid = v & 0x3ff;

	if (intid < GIC_PRIVATE) {
		c->active &= ~(1u << intid);
		if (intid >= GIC_SGIS)
			c->pending |= c->level & 1u << intid; /* a line still high pends again */
	} else if (intid < GIC_LINES && gic.spi_active_cpu[intid - GIC_PRIVATE] == (int)cpu) {
		unsigned n = (intid - GIC_PRIVATE) / 32;
		gic.spi_active_cpu[intid - GIC_PRIVATE] = -1;
		gic.spi_active[n] &= ~(1u << (intid % 32));
		gic.spi_pending[n] |= gic.spi_level[n] & 1u << (intid % 32); /* still high */
	}
	gic_update_all();
}

uint32_t sim_gicc_read(unsigned cpu, uint64_t off)
{
	struct gic_cpu *c = &gic.cpu[cpu];

	switch (off) {
	case GICC_CTLR:
		return c->ctlr;
	case GICC_PMR:
		return c->pmr;
	case GICC_IAR:
		return gic_acknowledge(cpu);
	case GICC_RPR:
		return MIN(gic_running_priority(cpu), 0xffu);
	case GICC_HPPIR:
		return gic_highest_pending(cpu);
	default:
		return 0;
	}
}

void sim_gicc_write(unsigned cpu, uint64_t off, uint32_t v)
{
	struct gic_cpu *c = &gic.cpu[cpu];

	if (off == GICC_CTLR)
		c->ctlr = v & 1;
	else if (off == GICC_PMR)
		c->pmr = v & 0xff;
	else if (off == GICC_EOIR)
		gic_end(cpu, v);
	gic_update(cpu);
}

void sim_gic_set_level(unsigned cpu, unsigned intid, bool high)
{
	struct gic_cpu *c = &gic.cpu[cpu];
	uint32_t bit = 1u << intid;

	if (!high && !((c->level | c->pending) & bit))
		return; /* stays low: the common re-arm of a timer that did not fire */
	if (high) {
		c->level |= bit;
		if (!(c->active & bit))
			c->pending |= bit;
	} else {
		c->level &= ~bit;
		c->pending &= ~bit;
	}
	gic_update(cpu);
}

void sim_gic_set_spi_level(unsigned intid, bool high)
{
	if (intid < GIC_PRIVATE || intid >= GIC_LINES)
		return;
	unsigned n = (intid - GIC_PRIVATE) / 32;
	uint32_t bit = 1u << (intid % 32);

	if (high == !!(gic.spi_level[n] & bit))
		return;
	if (high) {
		gic.spi_level[n] |= bit;
		if (!(gic.spi_active[n] & bit))
			gic.spi_pending[n] |= bit;
	} else {
		gic.spi_level[n] &= ~bit;
		gic.spi_pending[n] &= ~bit;
	}
	gic_update_all();
}
