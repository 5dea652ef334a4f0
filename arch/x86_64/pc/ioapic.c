/*
 * I/O APICs (82093AA datasheet): each pin is a global system interrupt (GSI) from the MADT,
 * routed to vector PC_VECTOR_GSI_BASE + GSI on the boot CPU, masked until the kernel
 * registers a handler. ISA interrupts are edge-triggered active-high on the GSI of the same
 * number unless an interrupt source override says otherwise; other GSIs are level-triggered
 * active-low (PCI).
 */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/plat.h>

#include "acpi.h"
#include "io.h"
#include "pc.h"

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_REDIR 0x10 /* two 32-bit registers per pin */

#define REDIR_MASKED (1U << 16)
#define REDIR_LEVEL (1U << 15)
#define REDIR_ACTIVE_LOW (1U << 13)

#define GSI_MAX (PC_VECTOR_LOCAL_BASE - PC_VECTOR_GSI_BASE)
#define ISA_IRQS 16

struct ioapic {
	volatile uint8_t *mmio;
	uint32_t gsi_base;
	unsigned pins;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned ioapic_count;
static uint8_t isa_gsi[ISA_IRQS]; /* GSI of each ISA interrupt, after the overrides */
/* Serializes the index/data register pairs across CPUs. */
static volatile int ioapic_lock;

/* Takes ioapic_lock with interrupts masked. */
static irqflags_t ioapic_lock_take(void)
{
	irqflags_t flags = plat_irq_save();

	while (atomic_xchg_acquire(&ioapic_lock, 1))
		arch_cpu_relax();
	return flags;
}

/* Releases ioapic_lock. */
static void ioapic_lock_drop(irqflags_t flags)
{
	atomic_store_release(&ioapic_lock, 0);
	plat_irq_restore(flags);
}

/* Reads indirect register reg. */
static uint32_t ioapic_read(const struct ioapic *io, uint32_t reg)
{
	mmio_write32(io->mmio + IOAPIC_REGSEL, reg);
	return mmio_read32(io->mmio + IOAPIC_WINDOW);
}

/* Writes indirect register reg. */
static void ioapic_write(const struct ioapic *io, uint32_t reg, uint32_t value)
{
	mmio_write32(io->mmio + IOAPIC_REGSEL, reg);
	mmio_write32(io->mmio + IOAPIC_WINDOW, value);
}

/* The IOAPIC serving gsi and its pin there, or NULL. */
static const struct ioapic *ioapic_for_gsi(uint32_t gsi, unsigned *pin)
{
	for (unsigned i = 0; i < ioapic_count; i++) {
		if (gsi >= ioapics[i].gsi_base && gsi - ioapics[i].gsi_base < ioapics[i].pins) {
			*pin = gsi - ioapics[i].gsi_base;
			return &ioapics[i];
		}
	}
	return NULL;
}

/* Polarity and trigger bits for gsi: ISA defaults, overrides, PCI defaults. */
static uint32_t ioapic_gsi_mode(const struct acpi_madt *madt, uint32_t gsi)
{
	uint32_t mode = gsi < ISA_IRQS ? 0 : REDIR_LEVEL | REDIR_ACTIVE_LOW;

	for (unsigned i = 0; i < madt->override_count; i++) {
		const struct acpi_override *o = &madt->overrides[i];
		if (o->gsi != gsi)
			continue;
		uint16_t pol = o->flags & ACPI_INTI_POLARITY_MASK;
		uint16_t trig = o->flags & ACPI_INTI_TRIGGER_MASK;
		mode = 0;
		if (pol == ACPI_INTI_ACTIVE_LOW)
			mode |= REDIR_ACTIVE_LOW;
		if (trig == ACPI_INTI_LEVEL)
			mode |= REDIR_LEVEL;
	}
	return mode;
}

/* Programs every pin of io masked, to its vector on the boot CPU. */
static void ioapic_route_all(const struct ioapic *io, const struct acpi_madt *madt)
{
	for (unsigned pin = 0; pin < io->pins; pin++) {
		uint32_t gsi = io->gsi_base + pin;
		uint32_t low = REDIR_MASKED | ioapic_gsi_mode(madt, gsi);
		if (gsi < GSI_MAX)
			low |= PC_VECTOR_GSI_BASE + gsi;
		ioapic_write(io, IOAPIC_REG_REDIR + 2 * pin + 1, pc_cpus[0].apic_id << 24);
		ioapic_write(io, IOAPIC_REG_REDIR + 2 * pin, low);
	}
}

/* Records the ISA-to-GSI map: identity, then the overrides. */
static void ioapic_isa_map(const struct acpi_madt *madt)
{
	for (unsigned irq = 0; irq < ISA_IRQS; irq++)
		isa_gsi[irq] = irq;
	for (unsigned i = 0; i < madt->override_count; i++)
		if (madt->overrides[i].gsi < GSI_MAX)
			isa_gsi[madt->overrides[i].isa_irq] = madt->overrides[i].gsi;
}

/* Masks every pin of every IOAPIC in madt and prepares the ISA routing. */
void ioapic_init(const struct acpi_madt *madt)
{
	ioapic_isa_map(madt);
	for (unsigned i = 0; i < madt->ioapic_count; i++) {
		const struct acpi_ioapic *a = &madt->ioapics[i];
		struct ioapic *io = &ioapics[ioapic_count];
		io->mmio = plat_phys_to_virt(a->base);
		io->gsi_base = a->gsi_base;
		io->pins = ((ioapic_read(io, IOAPIC_REG_VERSION) >> 16) & 0xff) + 1;
		ioapic_route_all(io, madt);
		kprintf("pc: IOAPIC %u at %#llx: GSIs %u-%u\n", a->id, (unsigned long long)a->base,
			io->gsi_base, io->gsi_base + io->pins - 1);
		ioapic_count++;
	}
}

/* True when vector belongs to an IOAPIC pin. */
bool ioapic_owns_vector(unsigned vector)
{
	unsigned pin;

	return vector >= PC_VECTOR_GSI_BASE && vector < PC_VECTOR_LOCAL_BASE &&
	       ioapic_for_gsi(vector - PC_VECTOR_GSI_BASE, &pin);
}

/* Masks or unmasks the pin behind vector (one ioapic_owns_vector accepted). */
void ioapic_mask_vector(unsigned vector, bool masked)
{
	unsigned pin;
	const struct ioapic *io = ioapic_for_gsi(vector - PC_VECTOR_GSI_BASE, &pin);

	if (!io)
		return;
	irqflags_t flags = ioapic_lock_take();
	uint32_t low = ioapic_read(io, IOAPIC_REG_REDIR + 2 * pin);
	ioapic_write(io, IOAPIC_REG_REDIR + 2 * pin,
		     masked ? low | REDIR_MASKED : low & ~REDIR_MASKED);
	ioapic_lock_drop(flags);
}

/* The vector ISA interrupt isa_irq arrives as, through the overrides; 0 when none serves it. */
unsigned ioapic_isa_vector(unsigned isa_irq)
{
	unsigned pin;

	if (isa_irq >= ISA_IRQS || !ioapic_for_gsi(isa_gsi[isa_irq], &pin))
		return 0;
	return PC_VECTOR_GSI_BASE + isa_gsi[isa_irq];
}

/* GSI g arrives as vector PC_VECTOR_GSI_BASE + g when an IOAPIC serves it. */
int plat_irq_line(unsigned line)
{
	unsigned vector = PC_VECTOR_GSI_BASE + line;

	return line < PC_VECTOR_LOCAL_BASE && ioapic_owns_vector(vector) ? (int)vector : -ENOENT;
}
