/*
 * The machine's CPUs and interrupt controllers, from the ACPI MADT. Without a usable MADT
 * the PC still boots: one CPU, the LAPIC at its architectural address, no IOAPIC.
 */
#include <amphi/errno.h>
#include <amphi/kprintf.h>

#include "acpi.h"
#include "pc.h"

/* Finds the MADT (from rsdp, the loader's RSDP, or by a BIOS-area scan) and records CPUs,
 * IOAPICs and overrides. Bad or missing tables: one message, and a single CPU. */
void pc_acpi_init(paddr_t rsdp, struct acpi_madt *madt)
{
	int err = 0;

	if (!rsdp && acpi_rsdp_scan(memmap_boot_ptr, &rsdp))
		err = -ENOENT;
	if (!err)
		err = acpi_parse_madt(rsdp, memmap_boot_ptr, madt);
	if (err) {
		kprintf("pc: %s; running on one CPU without IOAPICs\n",
			rsdp ? "no usable ACPI MADT" : "no ACPI RSDP found");
		*madt = (struct acpi_madt){.lapic_base = ACPI_DEFAULT_LAPIC_BASE, .cpu_count = 1};
		return;
	}
	if (madt->cpus_dropped)
		kprintf("pc: ignoring %u CPUs beyond %d\n", madt->cpus_dropped, PLAT_MAX_CPUS);
	if (madt->cpus_not_present)
		kprintf("pc: %u more CPUs could be hot-added (not started)\n",
			madt->cpus_not_present);
}

/* Numbers the MADT's CPUs with the boot CPU (APIC id bsp) as CPU 0; a table that does not
 * list the boot CPU is wrong about all of them, so then only CPU 0 is used. */
void pc_cpus_from_madt(const struct acpi_madt *madt, uint32_t bsp)
{
	uint32_t ids[PLAT_MAX_CPUS] = {bsp};
	unsigned n = 1;
	bool bsp_listed = false;

	for (unsigned i = 0; i < madt->cpu_count; i++) {
		if (madt->apic_ids[i] == bsp)
			bsp_listed = true;
		else if (n < PLAT_MAX_CPUS)
			ids[n++] = madt->apic_ids[i];
	}
	if (!bsp_listed && madt->cpu_count > 1) {
		kprintf(
		    "pc: the MADT does not list the boot CPU (APIC id %u); running on one CPU\n",
		    bsp);
		n = 1;
	}
	pc_cpu_set_topology(n, ids);
	kprintf("pc: %u CPU%s, boot CPU APIC id %u\n", n, n == 1 ? "" : "s", bsp);
}
