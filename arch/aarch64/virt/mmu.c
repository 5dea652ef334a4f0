/*
 * The kernel's map: 4 KiB granule, a level-1 table of 1 GiB blocks, with level-2 tables
 * (2 MiB blocks) for each GiB that RAM covers only in part. RAM is normal write-back
 * cacheable; the other GiBs below 4 GiB, where boards put their devices, and the GiBs of
 * the console and the interrupt controller are device nGnRE and never executable. Nothing
 * else is mapped.
 *
 * The same level-1 table serves twice: as TTBR1's root (39-bit VA), where the kernel runs
 * once head.S has jumped there, at KERNEL_OFFSET + physical; and under a level-0 table as
 * TTBR0's boot identity map (48-bit VA), which the entry code of every CPU needs while it
 * turns the MMU on. TTBR0 then belongs to user space (user.c): user roots are 4-level
 * tables of kernel/mm/pgtable.c and hold nothing of the kernel's.
 */
#include <amphi/panic.h>
#include <amphi/string.h>

#include "sysreg.h"
#include "virt.h"

#define MMU_ENTRIES 512
#define MMU_L2_TABLES 8 /* GiBs that RAM covers in part */
#define GIB (1ULL << 30)
#define MIB2 (1ULL << 21)
#define MMU_DEVICE_GIBS 4 /* below 4 GiB, non-RAM space is device space */

/* MAIR_EL1 attribute indexes. */
#define MAIR_DEVICE_NGNRE 0
#define MAIR_NORMAL_WB 1
#define MAIR_NORMAL_NC 2
#define MAIR_VALUE                                                              \
	(0x04ULL << (8 * MAIR_DEVICE_NGNRE) | 0xffULL << (8 * MAIR_NORMAL_WB) | \
	 0x44ULL << (8 * MAIR_NORMAL_NC))

/* Descriptor bits. */
#define PTE_BLOCK 0x1ULL
#define PTE_TABLE 0x3ULL
#define PTE_ATTR(i) ((uint64_t)(i) << 2)
#define PTE_SH_INNER (3ULL << 8)
#define PTE_AF (1ULL << 10)
#define PTE_PXN (1ULL << 53)
#define PTE_UXN (1ULL << 54)
#define PTE_NORMAL (PTE_BLOCK | PTE_ATTR(MAIR_NORMAL_WB) | PTE_SH_INNER | PTE_AF | PTE_UXN)
#define PTE_DEVICE (PTE_BLOCK | PTE_ATTR(MAIR_DEVICE_NGNRE) | PTE_AF | PTE_PXN | PTE_UXN)

/* TCR_EL1: TTBR0 48-bit (T0SZ 16, 4 levels), TTBR1 39-bit (T1SZ 25, 3 levels), both with
 * inner/outer write-back walks, inner shareable, 4 KiB granules; ASIDs from TTBR0, 8 bits;
 * IPS is filled in from the CPU's PA range. */
#define TCR_T0SZ (64 - 48)
#define TCR_IRGN0_WB (1ULL << 8)
#define TCR_ORGN0_WB (1ULL << 10)
#define TCR_SH0_INNER (3ULL << 12)
#define TCR_T1SZ ((64ULL - 39) << 16)
#define TCR_IRGN1_WB (1ULL << 24)
#define TCR_ORGN1_WB (1ULL << 26)
#define TCR_SH1_INNER (3ULL << 28)
#define TCR_TG1_4K (2ULL << 30)
#define TCR_IPS_SHIFT 32
#define TCR_BASE                                                                        \
	(TCR_T0SZ | TCR_IRGN0_WB | TCR_ORGN0_WB | TCR_SH0_INNER | TCR_T1SZ | TCR_IRGN1_WB | \
	 TCR_ORGN1_WB | TCR_SH1_INNER | TCR_TG1_4K)

#define PLAT_MAX_DEVICE_RANGES 9 /* the console and up to 8 GIC reg entries */
#define PL011_MMIO_SIZE 0x1000

uintptr_t virt_offset; /* kernel virtual minus physical: 0 until head.S jumps high */

static uint64_t mmu_l0_identity[MMU_ENTRIES] __attribute__((aligned(4096)));
static uint64_t mmu_l1[MMU_ENTRIES] __attribute__((aligned(4096)));
static uint64_t mmu_l2[MMU_L2_TABLES][MMU_ENTRIES] __attribute__((aligned(4096)));
static unsigned mmu_l2_used;

/* True when [base, base + size) meets some RAM range, after rounding RAM out to 2 MiB. */
static bool mmu_is_ram(const struct boot_info *info, uint64_t base, uint64_t size)
{
	for (size_t i = 0; i < info->ram_count; i++) {
		uint64_t lo = ALIGN_DOWN(info->ram[i].base, MIB2);
		uint64_t hi = ALIGN_UP(info->ram[i].base + info->ram[i].size, MIB2);
		if (lo < base + size && base < hi)
			return true;
	}
	return false;
}

/* True when RAM (rounded to 2 MiB) covers all of [base, base + size). */
static bool mmu_all_ram(const struct boot_info *info, uint64_t base, uint64_t size)
{
	for (uint64_t at = base; at < base + size; at += MIB2)
		if (!mmu_is_ram(info, at, MIB2))
			return false;
	return true;
}

/* Maps GiB number gib with 2 MiB blocks: RAM normal, the rest device. */
static uint64_t mmu_split_gib(const struct boot_info *info, unsigned gib)
{
	if (mmu_l2_used == MMU_L2_TABLES)
		panic("mmu: RAM covers more than %u GiBs in part; raise MMU_L2_TABLES",
		      MMU_L2_TABLES);
	uint64_t *l2 = mmu_l2[mmu_l2_used++];
	for (unsigned i = 0; i < MMU_ENTRIES; i++) {
		uint64_t pa = gib * GIB + i * MIB2;
		l2[i] = pa | (mmu_is_ram(info, pa, MIB2) ? PTE_NORMAL : PTE_DEVICE);
	}
	return plat_virt_to_phys(l2) | PTE_TABLE;
}

/* True when GiB number gib is device space: below 4 GiB, or met by one of the devices. */
static bool mmu_is_device(unsigned gib, const struct mem_range *devices, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (devices[i].size && devices[i].base / GIB <= gib &&
		    gib <= (mem_range_end(devices[i].base, devices[i].size) - 1) / GIB)
			return true;
	return gib < MMU_DEVICE_GIBS;
}

/* Fills the level-1 table. */
static void mmu_build(const struct boot_info *info, const struct mem_range *devices, size_t count)
{
	for (unsigned gib = 0; gib < MMU_ENTRIES; gib++) {
		uint64_t pa = gib * GIB;
		if (!mmu_is_ram(info, pa, GIB))
			mmu_l1[gib] = mmu_is_device(gib, devices, count) ? pa | PTE_DEVICE : 0;
		else if (mmu_all_ram(info, pa, GIB))
			mmu_l1[gib] = pa | PTE_NORMAL;
		else
			mmu_l1[gib] = mmu_split_gib(info, gib);
	}
}

/* MAIR index of the identity map's block holding pa, -1 when pa is unmapped. */
static int mmu_attr_index(paddr_t pa)
{
	uint64_t entry = mmu_l1[pa / GIB];

	if ((entry & 3) == PTE_TABLE)
		entry = ((const uint64_t *)plat_phys_to_virt(entry & 0xfffffffff000ULL))[pa % GIB / MIB2];
	return entry & 1 ? (int)(entry >> 2 & 7) : -1;
}

/* TCR_EL1.IPS: the CPU's physical address size, as ID_AA64MMFR0_EL1.PARange reports. */
static uint64_t mmu_tcr_ips(void)
{
	uint64_t parange = sysreg_read(id_aa64mmfr0_el1) & 0xf;
	return MIN(parange, 5ULL) << TCR_IPS_SHIFT;
}

uint64_t mmu_trim_ram(struct boot_info *info)
{
	uint64_t dropped = 0;
	size_t kept = 0;

	for (size_t i = 0; i < info->ram_count; i++) {
		struct mem_range r = info->ram[i];
		if (r.base >= MMU_PA_LIMIT) {
			dropped += r.size;
			continue;
		}
		if (r.size > MMU_PA_LIMIT - r.base) {
			dropped += r.size - (MMU_PA_LIMIT - r.base);
			r.size = MMU_PA_LIMIT - r.base;
		}
		info->ram[kept++] = r;
	}
	info->ram_count = kept;
	return dropped;
}

/* Collects the MMIO ranges the map must give device attributes: the console and the
 * interrupt controller. Returns how many. */
static size_t mmu_device_ranges(const struct fdt *f, struct mem_range *ranges, size_t max)
{
	size_t n = 0;
	paddr_t console = discover_console(f);

	if (console)
		ranges[n++] = (struct mem_range){console, PL011_MMIO_SIZE};
	return n + virt_irq_mmio(f, ranges + n, max - n);
}

void mmu_boot(paddr_t dtb)
{
	static struct boot_info info; /* .bss: the boot stack is small */
	struct mem_range devices[PLAT_MAX_DEVICE_RANGES];
	struct fdt f;

	if (sysreg_read(sctlr_el1) & SCTLR_M)
		panic("mmu: MMU already on at boot (the booting protocol requires it off)");
	discover_fdt(dtb, &f);
	int err = fdt_fill_boot_info(&f, &info);
	if (err)
		panic("boot: cannot read memory and command line from the device tree (%d)", err);
	mmu_trim_ram(&info);
	mmu_build(&info, devices, mmu_device_ranges(&f, devices, ARRAY_SIZE(devices)));
	mmu_l0_identity[0] = plat_virt_to_phys(mmu_l1) | PTE_TABLE;
	dsb(sy);
	sysreg_write(mair_el1, MAIR_VALUE);
	sysreg_write(tcr_el1, TCR_BASE | mmu_tcr_ips());
	sysreg_write(ttbr0_el1, plat_virt_to_phys(mmu_l0_identity));
	sysreg_write(ttbr1_el1, plat_virt_to_phys(mmu_l1));
	isb();
	__asm__ volatile("tlbi vmalle1" ::: "memory");
	dsb(nsh);
	isb();
	sysreg_write(sctlr_el1, sysreg_read(sctlr_el1) | SCTLR_M | SCTLR_C | SCTLR_I);
	isb();
	__asm__ volatile("ic iallu" ::: "memory");
	dsb(nsh);
	isb();
}

paddr_t mmu_identity_root(void)
{
	return plat_virt_to_phys(mmu_l0_identity);
}

/* Device registers are reachable at KERNEL_OFFSET + their physical address when the map
 * gives the whole range device attributes (the console, the GIC and the low 4 GiB). */
volatile void *plat_mmio_map(paddr_t pa, size_t size)
{
	paddr_t end = mem_range_end(pa, size);

	if (!size || end > MMU_PA_LIMIT)
		return NULL;
	for (paddr_t at = ALIGN_DOWN(pa, MIB2); at < end; at += MIB2)
		if (mmu_attr_index(at) != MAIR_DEVICE_NGNRE)
			return NULL;
	return (volatile void *)plat_phys_to_virt(pa);
}

/* The kernel map: physical address pa is at virt_offset + pa (KERNEL_OFFSET once running
 * high, 0 while the entry code runs on the identity map). */
void *plat_phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)(pa + virt_offset);
}

/* The physical address of a kernel virtual address (see plat_phys_to_virt). */
paddr_t plat_virt_to_phys(const void *va)
{
	return (paddr_t)((uintptr_t)va - virt_offset);
}
