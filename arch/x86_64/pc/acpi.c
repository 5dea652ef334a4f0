/*
 * ACPI table parsing (ACPI 6.x, sections 5.2.5-5.2.12): RSDP -> RSDT/XSDT -> MADT.
 * Portable C: firmware memory is read only through the caller's acpi_map_fn, multi-byte
 * fields through memcpy (tables are byte-packed), and each length is checked before use.
 */
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/string.h>

#include "acpi.h"

#define RSDP_V1_LENGTH 20
#define RSDP_V2_LENGTH 36
#define SDT_HEADER_LENGTH 36
#define SDT_MAX_LENGTH (1U << 20) /* sanity bound, far above any real table */
#define MADT_ENTRIES_OFFSET 44	  /* header, local APIC address, flags */
#define MADT_FLAG_PCAT_COMPAT 1

/* RSDP field offsets. */
#define RSDP_REVISION 15
#define RSDP_RSDT 16
#define RSDP_LENGTH 20
#define RSDP_XSDT 24

enum madt_type {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_OVERRIDE = 2,
	MADT_LAPIC_ADDRESS = 5,
	MADT_X2APIC = 9,
};

#define MADT_CPU_ENABLED 1
#define MADT_CPU_ONLINE_CAPABLE 2

/* Little-endian fields at byte offsets of a table. */
static uint8_t rd8(const uint8_t *p, size_t off)
{
	return p[off];
}

static uint16_t rd16(const uint8_t *p, size_t off)
{
	uint16_t v;
	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
	uint32_t v;
	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
	uint64_t v;
	memcpy(&v, p + off, sizeof(v));
	return v;
}

/* True when the n bytes at p sum to 0 modulo 256. */
static bool acpi_checksum_ok(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += p[i];
	return sum == 0;
}

/* Prints "acpi: <why>" and returns -EINVAL. */
static int acpi_bad(const char *fmt, ...) PRINTF_LIKE(1, 2);
static int acpi_bad(const char *fmt, ...)
{
	va_list ap;

	kputs("acpi: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kputs("\n");
	return -EINVAL;
}

/* True when the 20 bytes at p are a valid RSDP 1.0 part (signature and checksum). */
static bool acpi_rsdp_valid_v1(const uint8_t *p)
{
	return memcmp(p, "RSD PTR ", 8) == 0 && acpi_checksum_ok(p, RSDP_V1_LENGTH);
}

/* Scans [start, start + len) on 16-byte boundaries for an RSDP; 0 with *rsdp or -ENOENT. */
static int acpi_rsdp_scan_range(acpi_map_fn map, paddr_t start, uint64_t len, paddr_t *rsdp)
{
	const uint8_t *base = map(start, len);

	if (!base)
		return -ENOENT;
	for (uint64_t off = 0; off + RSDP_V1_LENGTH <= len; off += 16) {
		if (acpi_rsdp_valid_v1(base + off)) {
			*rsdp = start + off;
			return 0;
		}
	}
	return -ENOENT;
}

/* Looks for the RSDP where BIOSes put it: the first KiB of the EBDA, then 0xe0000-0xfffff.
 * Returns 0 with *rsdp set, or -ENOENT. */
int acpi_rsdp_scan(acpi_map_fn map, paddr_t *rsdp)
{
	const uint8_t *bda = map(0x40e, 2); /* BIOS data area: EBDA segment */
	paddr_t ebda = bda ? (paddr_t)rd16(bda, 0) << 4 : 0;

	if (ebda >= 0x80000 && ebda < 0xa0000 && acpi_rsdp_scan_range(map, ebda, 1024, rsdp) == 0)
		return 0;
	return acpi_rsdp_scan_range(map, 0xe0000, 0x20000, rsdp);
}

/* Maps and validates the system description table at pa (header, length, checksum).
 * Returns the table or NULL with *err set: -ENOENT for a table with another signature than
 * sig, -EINVAL after a message. */
static const uint8_t *acpi_map_table(acpi_map_fn map, paddr_t pa, const char *sig, int *err)
{
	const uint8_t *hdr = pa ? map(pa, SDT_HEADER_LENGTH) : NULL;

	*err = -EINVAL;
	if (!hdr) {
		acpi_bad("table at %#llx is not in mapped memory", (unsigned long long)pa);
		return NULL;
	}
	if (memcmp(hdr, sig, 4) != 0) {
		*err = -ENOENT; /* another table: not ours to judge */
		return NULL;
	}
	uint32_t len = rd32(hdr, 4);
	if (len < SDT_HEADER_LENGTH || len > SDT_MAX_LENGTH) {
		acpi_bad("%.4s at %#llx has bad length %u", (const char *)hdr,
			 (unsigned long long)pa, len);
		return NULL;
	}
	const uint8_t *table = map(pa, len);
	if (!table) {
		acpi_bad("%.4s at %#llx (%u bytes) is not in mapped memory", (const char *)hdr,
			 (unsigned long long)pa, len);
		return NULL;
	}
	if (!acpi_checksum_ok(table, len)) {
		acpi_bad("%.4s at %#llx has a bad checksum", (const char *)hdr,
			 (unsigned long long)pa);
		return NULL;
	}
	*err = 0;
	return table;
}

/* The root table the RSDP at rsdp names: the XSDT for revision 2+, else the RSDT.
 * Sets *entry_size to 8 or 4. Returns the validated table or NULL (*err set). */
static const uint8_t *acpi_root_table(acpi_map_fn map, paddr_t rsdp, size_t *entry_size, int *err)
{
	const uint8_t *p = map(rsdp, RSDP_V1_LENGTH);

	*err = -EINVAL;
	if (!p || !acpi_rsdp_valid_v1(p)) {
		acpi_bad("no valid RSDP at %#llx (signature or checksum)",
			 (unsigned long long)rsdp);
		return NULL;
	}
	if (rd8(p, RSDP_REVISION) >= 2) {
		const uint8_t *v2 = map(rsdp, RSDP_V2_LENGTH);
		uint32_t len = v2 ? rd32(v2, RSDP_LENGTH) : 0;
		if (len < RSDP_V2_LENGTH || len > 4096 || !map(rsdp, len) ||
		    !acpi_checksum_ok(v2, len)) {
			acpi_bad("RSDP 2.0 at %#llx has a bad length (%u) or extended checksum",
				 (unsigned long long)rsdp, len);
			return NULL;
		}
		if (rd64(v2, RSDP_XSDT)) {
			*entry_size = 8;
			return acpi_map_table(map, rd64(v2, RSDP_XSDT), "XSDT", err);
		}
	}
	*entry_size = 4;
	return acpi_map_table(map, rd32(p, RSDP_RSDT), "RSDT", err);
}

/* Adds an enabled processor's APIC id; counts those beyond the table size. */
static void madt_add_cpu(struct acpi_madt *m, uint32_t apic_id, uint32_t flags)
{
	if (!(flags & MADT_CPU_ENABLED)) {
		if (flags & MADT_CPU_ONLINE_CAPABLE)
			m->cpus_not_present++;
		return;
	}
	for (unsigned i = 0; i < m->cpu_count; i++)
		if (m->apic_ids[i] == apic_id)
			return; /* listed twice (an x2APIC entry repeating a local APIC one) */
	if (m->cpu_count == PLAT_MAX_CPUS) {
		m->cpus_dropped++;
		return;
	}
	m->apic_ids[m->cpu_count++] = apic_id;
}

/* Adds an I/O APIC entry. */
static int madt_add_ioapic(struct acpi_madt *m, const uint8_t *e)
{
	if (m->ioapic_count == ACPI_MAX_IOAPICS)
		return acpi_bad("MADT lists more than %d I/O APICs", ACPI_MAX_IOAPICS);
	m->ioapics[m->ioapic_count++] =
	    (struct acpi_ioapic){.id = rd8(e, 2), .base = rd32(e, 4), .gsi_base = rd32(e, 8)};
	return 0;
}

/* Adds an interrupt source override entry (only bus 0, ISA, exists). */
static int madt_add_override(struct acpi_madt *m, const uint8_t *e)
{
	if (rd8(e, 2) != 0 || rd8(e, 3) >= 16)
		return acpi_bad("MADT override for bus %u irq %u is not an ISA interrupt",
				rd8(e, 2), rd8(e, 3));
	if (m->override_count == ACPI_MAX_OVERRIDES)
		return acpi_bad("MADT lists more than %d interrupt overrides", ACPI_MAX_OVERRIDES);
	m->overrides[m->override_count++] =
	    (struct acpi_override){.isa_irq = rd8(e, 3), .gsi = rd32(e, 4), .flags = rd16(e, 8)};
	return 0;
}

/* Minimum length of each MADT entry type this parser reads; 0 for the ones it skips. */
static uint8_t madt_entry_min_length(uint8_t type)
{
	switch (type) {
	case MADT_LAPIC:
		return 8;
	case MADT_IOAPIC:
	case MADT_LAPIC_ADDRESS:
		return 12;
	case MADT_OVERRIDE:
		return 10;
	case MADT_X2APIC:
		return 16;
	default:
		return 0;
	}
}

/* Records one MADT entry e of len bytes. */
static int madt_entry(struct acpi_madt *m, const uint8_t *e, uint8_t len)
{
	uint8_t type = rd8(e, 0);

	if (len < madt_entry_min_length(type))
		return acpi_bad("MADT entry type %u is %u bytes, too short", type, len);
	switch (type) {
	case MADT_LAPIC:
		madt_add_cpu(m, rd8(e, 3), rd32(e, 4));
		return 0;
	case MADT_X2APIC:
		madt_add_cpu(m, rd32(e, 4), rd32(e, 8));
		return 0;
	case MADT_IOAPIC:
		return madt_add_ioapic(m, e);
	case MADT_OVERRIDE:
		return madt_add_override(m, e);
	case MADT_LAPIC_ADDRESS:
		m->lapic_base = rd64(e, 4);
		return 0;
	default:
		return 0;
	}
}

/* Parses the validated MADT at t into *m. */
static int madt_parse(const uint8_t *t, struct acpi_madt *m)
{
	uint32_t len = rd32(t, 4);

	*m = (struct acpi_madt){0};
	if (len < MADT_ENTRIES_OFFSET)
		return acpi_bad("MADT of %u bytes is too short", len);
	m->lapic_base = rd32(t, 36);
	m->pcat_compat = rd32(t, 40) & MADT_FLAG_PCAT_COMPAT;
	for (uint32_t off = MADT_ENTRIES_OFFSET; off < len;) {
		uint8_t elen = len - off >= 2 ? rd8(t, off + 1) : 0;
		if (elen < 2 || elen > len - off)
			return acpi_bad("MADT entry at offset %u has bad length %u (table is %u "
					"bytes)",
					off, elen, len);
		int err = madt_entry(m, t + off, elen);
		if (err)
			return err;
		off += elen;
	}
	if (m->cpu_count == 0)
		return acpi_bad("MADT lists no enabled processor");
	return 0;
}

/* Follows the RSDP at rsdp to the RSDT or XSDT and parses the MADT into *madt.
 * Returns 0; -ENOENT when the tables hold no MADT; -EINVAL after printing one line
 * ("acpi: ...") that says which table is bad and why. */
int acpi_parse_madt(paddr_t rsdp, acpi_map_fn map, struct acpi_madt *madt)
{
	size_t entry_size;
	int err;
	const uint8_t *root = acpi_root_table(map, rsdp, &entry_size, &err);

	if (!root)
		return err;
	uint32_t n = (rd32(root, 4) - SDT_HEADER_LENGTH) / entry_size;
	for (uint32_t i = 0; i < n; i++) {
		size_t off = SDT_HEADER_LENGTH + i * entry_size;
		paddr_t pa = entry_size == 8 ? rd64(root, off) : rd32(root, off);
		const uint8_t *t = acpi_map_table(map, pa, "APIC", &err);
		if (t)
			return madt_parse(t, madt);
		if (err != -ENOENT)
			return err;
	}
	return -ENOENT;
}
