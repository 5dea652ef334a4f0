/*
 * ktest: the ACPI parser on hand-built tables, good and corrupted. The tables live in the
 * image, so their physical addresses are known and the parser reads them through the boot
 * map exactly as it reads firmware's. Rejections print an "acpi:" line; that is expected.
 */
#include <amphi/errno.h>
#include <amphi/ktest.h>
#include <amphi/string.h>

#include "acpi.h"
#include "pc.h"

/* One RSDP, one root table (RSDT or XSDT), a FACP-like filler and an MADT, built in place. */
static struct {
	uint8_t rsdp[36] __attribute__((aligned(16)));
	uint8_t root[64] __attribute__((aligned(8)));
	uint8_t other[40] __attribute__((aligned(8)));
	uint8_t madt[1024] __attribute__((aligned(8)));
} acpi_t;
static uint32_t madt_len;
static struct acpi_madt acpi_out;

/* Stores a little-endian value of n bytes at p. */
static void put(uint8_t *p, uint64_t v, size_t n)
{
	memcpy(p, &v, n);
}

/* Sets byte at checksum_off so that the n bytes at p sum to 0. */
static void fix_checksum(uint8_t *p, size_t n, size_t checksum_off)
{
	uint8_t sum = 0;

	p[checksum_off] = 0;
	for (size_t i = 0; i < n; i++)
		sum += p[i];
	p[checksum_off] = (uint8_t)-sum;
}

/* Writes an SDT header with signature sig and length len (checksum fixed later). */
static void sdt_header(uint8_t *t, const char *sig, uint32_t len)
{
	memset(t, 0, 36);
	memcpy(t, sig, 4);
	put(t + 4, len, 4);
	t[8] = 1;
	memcpy(t + 10, "AMPHI ", 6);
}

/* Starts the MADT: LAPIC address 0xfee00000, PC-AT compatible. */
static void madt_begin(void)
{
	memset(acpi_t.madt, 0, sizeof(acpi_t.madt));
	madt_len = 44;
	put(acpi_t.madt + 36, 0xfee00000, 4);
	put(acpi_t.madt + 40, 1, 4);
}

/* Appends an MADT entry of type and len with the given payload (after type and length). */
static void madt_add(uint8_t type, uint8_t len, const uint8_t *payload)
{
	uint8_t *e = acpi_t.madt + madt_len;

	e[0] = type;
	e[1] = len;
	memcpy(e + 2, payload, len - 2);
	madt_len += len;
}

/* A local APIC entry: processor uid, apic id, flags. */
static void madt_add_lapic(uint8_t apic_id, uint32_t flags)
{
	uint8_t p[6] = {apic_id, apic_id, 0, 0, 0, 0};
	put(p + 2, flags, 4);
	madt_add(0, 8, p);
}

/* The machine of most tests: 4 enabled CPUs (APIC ids 0, 1, 2, 6), one disabled but
 * online-capable, one disabled; one IOAPIC; ISA 0 -> GSI 2 and ISA 9 level/active-low;
 * the LAPIC moved by an address override. */
static void madt_typical(void)
{
	uint8_t ioapic[10] = {3, 0};
	uint8_t iso0[8] = {0, 0}, iso9[8] = {0, 9};
	uint8_t lapic_override[10] = {0};

	madt_begin();
	madt_add_lapic(0, 1);
	madt_add_lapic(1, 1);
	madt_add_lapic(2, 1);
	madt_add_lapic(4, 2);
	madt_add_lapic(5, 0);
	madt_add_lapic(6, 1);
	put(ioapic + 2, 0xfec00000, 4);
	put(ioapic + 6, 0, 4);
	madt_add(1, 12, ioapic);
	put(iso0 + 2, 2, 4);
	madt_add(2, 10, iso0);
	put(iso9 + 2, 9, 4);
	put(iso9 + 6, 0xf, 2);
	madt_add(2, 10, iso9);
	put(lapic_override + 2, 0xfee10000, 8);
	madt_add(5, 12, lapic_override);
}

/* Finishes the tables: MADT, a filler table, the root (XSDT when xsdt, else RSDT) listing
 * filler then MADT, and the RSDP (revision 2 when xsdt). Returns the RSDP's address. */
static paddr_t acpi_finish(bool xsdt)
{
	size_t entry = xsdt ? 8 : 4;
	uint32_t root_len = 36 + 2 * entry;

	sdt_header(acpi_t.madt, "APIC", madt_len);
	fix_checksum(acpi_t.madt, madt_len, 9);
	sdt_header(acpi_t.other, "FACP", sizeof(acpi_t.other));
	fix_checksum(acpi_t.other, sizeof(acpi_t.other), 9);
	sdt_header(acpi_t.root, xsdt ? "XSDT" : "RSDT", root_len);
	put(acpi_t.root + 36, plat_virt_to_phys(acpi_t.other), entry);
	put(acpi_t.root + 36 + entry, plat_virt_to_phys(acpi_t.madt), entry);
	fix_checksum(acpi_t.root, root_len, 9);

	memset(acpi_t.rsdp, 0, sizeof(acpi_t.rsdp));
	memcpy(acpi_t.rsdp, "RSD PTR ", 8);
	memcpy(acpi_t.rsdp + 9, "AMPHI ", 6);
	acpi_t.rsdp[15] = xsdt ? 2 : 0;
	put(acpi_t.rsdp + 16, xsdt ? 0 : plat_virt_to_phys(acpi_t.root), 4);
	put(acpi_t.rsdp + 20, 36, 4);
	put(acpi_t.rsdp + 24, xsdt ? plat_virt_to_phys(acpi_t.root) : 0, 8);
	fix_checksum(acpi_t.rsdp, 20, 8);
	fix_checksum(acpi_t.rsdp, 36, 32);
	return plat_virt_to_phys(acpi_t.rsdp);
}

/* Parses from the RSDP at rsdp into acpi_out. */
static int acpi_ktest_parse(paddr_t rsdp)
{
	return acpi_parse_madt(rsdp, memmap_boot_ptr, &acpi_out);
}

/* Checks acpi_out against madt_typical(). */
static void expect_typical(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, acpi_out.cpu_count, 4);
	KTEST_EXPECT_EQ(t, acpi_out.apic_ids[0], 0);
	KTEST_EXPECT_EQ(t, acpi_out.apic_ids[1], 1);
	KTEST_EXPECT_EQ(t, acpi_out.apic_ids[2], 2);
	KTEST_EXPECT_EQ(t, acpi_out.apic_ids[3], 6);
	KTEST_EXPECT_EQ(t, acpi_out.cpus_not_present, 1);
	KTEST_EXPECT_EQ(t, acpi_out.lapic_base, 0xfee10000);
	KTEST_EXPECT(t, acpi_out.pcat_compat);
	KTEST_ASSERT(t, acpi_out.ioapic_count == 1);
	KTEST_EXPECT_EQ(t, acpi_out.ioapics[0].id, 3);
	KTEST_EXPECT_EQ(t, acpi_out.ioapics[0].base, 0xfec00000);
	KTEST_ASSERT(t, acpi_out.override_count == 2);
	KTEST_EXPECT_EQ(t, acpi_out.overrides[0].isa_irq, 0);
	KTEST_EXPECT_EQ(t, acpi_out.overrides[0].gsi, 2);
	KTEST_EXPECT_EQ(t, acpi_out.overrides[1].isa_irq, 9);
	KTEST_EXPECT_EQ(t, acpi_out.overrides[1].flags, 0xf);
}

static void acpi_parses_madt_through_xsdt(struct ktest *t)
{
	madt_typical();
	KTEST_ASSERT(t, acpi_ktest_parse(acpi_finish(true)) == 0);
	expect_typical(t);
}

static void acpi_parses_madt_through_rsdt(struct ktest *t)
{
	madt_typical();
	KTEST_ASSERT(t, acpi_ktest_parse(acpi_finish(false)) == 0);
	expect_typical(t);
}

static void acpi_counts_x2apic_entries_once(struct ktest *t)
{
	uint8_t x2[14] = {0};

	madt_begin();
	madt_add_lapic(0, 1);
	put(x2 + 2, 0, 4); /* the same CPU again as an x2APIC entry */
	put(x2 + 6, 1, 4);
	madt_add(9, 16, x2);
	put(x2 + 2, 300, 4); /* an id only x2APIC can reach */
	madt_add(9, 16, x2);
	KTEST_ASSERT(t, acpi_ktest_parse(acpi_finish(true)) == 0);
	KTEST_EXPECT_EQ(t, acpi_out.cpu_count, 2);
	KTEST_EXPECT_EQ(t, acpi_out.apic_ids[1], 300);
	KTEST_EXPECT_EQ(t, acpi_out.ioapic_count, 0);
}

static void acpi_caps_cpus_at_plat_max(struct ktest *t)
{
	madt_begin();
	for (unsigned i = 0; i < PLAT_MAX_CPUS + 3 && madt_len + 8 <= sizeof(acpi_t.madt); i++)
		madt_add_lapic((uint8_t)i, 1);
	KTEST_ASSERT(t, acpi_ktest_parse(acpi_finish(true)) == 0);
	KTEST_EXPECT_EQ(t, acpi_out.cpu_count + acpi_out.cpus_dropped, (madt_len - 44) / 8);
	KTEST_EXPECT(t, acpi_out.cpu_count <= PLAT_MAX_CPUS);
}

static void acpi_scan_finds_only_valid_rsdps(struct ktest *t)
{
	paddr_t rsdp = 0;
	/* This machine's firmware may or may not put an RSDP in the BIOS areas; one found must
	 * lie there on a 16-byte boundary and lead to tables the parser accepts. */
	int err = acpi_rsdp_scan(memmap_boot_ptr, &rsdp);
	if (err) {
		KTEST_EXPECT_EQ(t, err, -ENOENT);
		KTEST_EXPECT_EQ(t, rsdp, 0);
		return;
	}
	KTEST_EXPECT(t, rsdp >= 0x80000 && rsdp < 0x100000 && rsdp % 16 == 0);
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(rsdp), 0);
}

static void acpi_rejects_bad_rsdp(struct ktest *t)
{
	madt_typical();
	paddr_t rsdp = acpi_finish(true);

	acpi_t.rsdp[0] = 'X'; /* signature */
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(rsdp), -EINVAL);
	acpi_finish(true);
	acpi_t.rsdp[8] ^= 1; /* 1.0 checksum */
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(rsdp), -EINVAL);
	acpi_finish(true);
	acpi_t.rsdp[32] ^= 1; /* extended checksum */
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(rsdp), -EINVAL);
	acpi_finish(true);
	put(acpi_t.rsdp + 20, 8, 4); /* length shorter than the 2.0 structure */
	fix_checksum(acpi_t.rsdp, 36, 32);
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(rsdp), -EINVAL);
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(0x200000000ULL), -EINVAL); /* unmapped */
}

static void acpi_rejects_bad_root_and_madt_checksums(struct ktest *t)
{
	madt_typical();
	paddr_t rsdp = acpi_finish(true);

	acpi_t.root[20] ^= 0x40;
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(rsdp), -EINVAL);
	acpi_finish(true);
	acpi_t.madt[50] ^= 0x40;
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(rsdp), -EINVAL);
	acpi_finish(true);
	put(acpi_t.root + 4, 0x7fffffff, 4); /* length far beyond anything */
	fix_checksum(acpi_t.root, 36 + 16, 9);
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(rsdp), -EINVAL);
	acpi_finish(true);
	put(acpi_t.root + 44, 0x300000000ULL, 8); /* MADT pointer outside mapped memory */
	fix_checksum(acpi_t.root, 36 + 16, 9);
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(rsdp), -EINVAL);
}

static void acpi_rejects_bad_madt_entries(struct ktest *t)
{
	madt_begin();
	madt_add_lapic(0, 1);
	madt_add(0x7f, 3, (const uint8_t[]){0}); /* unknown type: skipped */
	acpi_t.madt[madt_len + 1] = 0;		 /* then an entry of length 0: would loop forever */
	madt_len += 2;
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(acpi_finish(true)), -EINVAL);

	madt_begin();
	madt_add_lapic(0, 1);
	madt_add_lapic(1, 1);
	madt_len -= 3; /* the last entry runs past the table's end */
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(acpi_finish(true)), -EINVAL);

	uint8_t short_ioapic[4] = {0};
	madt_begin();
	madt_add_lapic(0, 1);
	madt_add(1, 6, short_ioapic); /* an IOAPIC entry too short for its fields */
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(acpi_finish(true)), -EINVAL);

	madt_begin();
	madt_add_lapic(0, 0); /* no enabled CPU at all */
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(acpi_finish(true)), -EINVAL);

	uint8_t pci_iso[8] = {1, 5};
	madt_begin();
	madt_add_lapic(0, 1);
	madt_add(2, 10, pci_iso); /* an override claiming a bus other than ISA */
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(acpi_finish(true)), -EINVAL);
}

static void acpi_reports_missing_madt(struct ktest *t)
{
	madt_typical();
	paddr_t rsdp = acpi_finish(true);

	memcpy(acpi_t.madt, "APIX", 4);
	fix_checksum(acpi_t.madt, madt_len, 9);
	KTEST_EXPECT_EQ(t, acpi_ktest_parse(rsdp), -ENOENT);
}

static const struct ktest_case acpi_cases[] = {
    KTEST_CASE(acpi_parses_madt_through_xsdt),
    KTEST_CASE(acpi_parses_madt_through_rsdt),
    KTEST_CASE(acpi_counts_x2apic_entries_once),
    KTEST_CASE(acpi_caps_cpus_at_plat_max),
    KTEST_CASE(acpi_scan_finds_only_valid_rsdps),
    KTEST_CASE(acpi_rejects_bad_rsdp),
    KTEST_CASE(acpi_rejects_bad_root_and_madt_checksums),
    KTEST_CASE(acpi_rejects_bad_madt_entries),
    KTEST_CASE(acpi_reports_missing_madt),
    {0},
};
KTEST_SUITE(acpi_suite, "pc_acpi", acpi_cases);
