/*
 * acpi.h: the ACPI tables the PC platform needs: the RSDP, the RSDT or XSDT, and the MADT
 * (CPUs, IOAPICs, interrupt source overrides). The parser is portable C that reads firmware
 * memory only through an acpi_map_fn and trusts nothing it reads: every length and
 * checksum is checked before use.
 */
#pragma once

#include <amphi/plat/cpu.h>
#include <amphi/types.h>

#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 16
#define ACPI_DEFAULT_LAPIC_BASE 0xfee00000ULL

/* Returns a readable pointer to [pa, pa + size), or NULL when that range is not mapped. */
typedef const void *(*acpi_map_fn)(paddr_t pa, uint64_t size);

/* An I/O APIC: its id, MMIO base and the first global system interrupt (GSI) it serves. */
struct acpi_ioapic {
	uint8_t id;
	uint32_t gsi_base;
	paddr_t base;
};

/* An ISA interrupt that is wired to another GSI or with another polarity/trigger. */
struct acpi_override {
	uint8_t isa_irq;
	uint32_t gsi;
	uint16_t flags; /* MPS INTI flags: bits 0-1 polarity, bits 2-3 trigger mode */
};

#define ACPI_INTI_POLARITY_MASK 0x3
#define ACPI_INTI_ACTIVE_LOW 0x3
#define ACPI_INTI_TRIGGER_MASK 0xc
#define ACPI_INTI_LEVEL 0xc

/* What the MADT says about the machine. */
struct acpi_madt {
	paddr_t lapic_base; /* after any address override entry */
	bool pcat_compat;   /* the machine also has the two legacy 8259 PICs */
	unsigned cpu_count; /* enabled processors, in table order */
	uint32_t apic_ids[PLAT_MAX_CPUS];
	unsigned cpus_dropped;	   /* enabled processors beyond PLAT_MAX_CPUS */
	unsigned cpus_not_present; /* online-capable but disabled processors (not started) */
	unsigned ioapic_count;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	unsigned override_count;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
};

/* Looks for the RSDP where BIOSes put it: the first KiB of the EBDA, then 0xe0000-0xfffff.
 * Returns 0 with *rsdp set, or -ENOENT. */
int acpi_rsdp_scan(acpi_map_fn map, paddr_t *rsdp);

/* Follows the RSDP at rsdp to the RSDT or XSDT and parses the MADT into *madt.
 * Returns 0; -ENOENT when the tables hold no MADT; -EINVAL after printing one line
 * ("acpi: ...") that says which table is bad and why. */
int acpi_parse_madt(paddr_t rsdp, acpi_map_fn map, struct acpi_madt *madt);
