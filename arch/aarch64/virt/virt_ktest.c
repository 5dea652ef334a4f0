/* ktest: the aarch64 virt platform's boot state (EL1, MMU attributes, vectors, timer
 * access), plus manual cases that fault on purpose to show the exception and bad-DTB
 * reports: ktest=aarch64_faults.<case>. */
#include <amphi/errno.h>
#include <amphi/ktest.h>
#include <amphi/plat.h>

#include "layout.h"
#include "sysreg.h"
#include "virt.h"

extern char el1_vectors[];

#define PAR_F 1ULL
#define PAR_ATTR(par) ((par) >> 56)

/* PAR_EL1 after a stage-1 EL1 read translation of va. */
static uint64_t virt_translate(const void *va)
{
	__asm__ volatile("at s1e1r, %0" ::"r"(va) : "memory");
	isb();
	return sysreg_read(par_el1);
}

static void virt_runs_at_el1_with_mmu_on(struct ktest *t)
{
	uint64_t sctlr = sysreg_read(sctlr_el1);

	KTEST_EXPECT_EQ(t, sysreg_read(CurrentEL), CURRENTEL_EL1);
	KTEST_EXPECT(t, sctlr & SCTLR_M);
	KTEST_EXPECT(t, sctlr & SCTLR_C);
	KTEST_EXPECT(t, sctlr & SCTLR_I);
	KTEST_EXPECT_EQ(t, sysreg_read(vbar_el1), (uintptr_t)el1_vectors);
	KTEST_EXPECT_EQ(t, sysreg_read(daif), 0x340); /* IRQs unmasked; debug, SError, FIQ masked */
}

static void virt_identity_map_attributes(struct ktest *t)
{
	static int ram_word;
	uint64_t par = virt_translate(&ram_word);

	KTEST_ASSERT(t, !(par & PAR_F));
	KTEST_EXPECT_EQ(t, par & 0xfffffffff000ULL, plat_virt_to_phys(&ram_word) & ~0xfffULL);
	KTEST_EXPECT_EQ(t, PAR_ATTR(par), 0xff); /* normal, write-back */
	KTEST_EXPECT_EQ(t, plat_phys_to_virt(0x40001234), (void *)(KERNEL_OFFSET + 0x40001234));
	KTEST_EXPECT_EQ(t, plat_virt_to_phys((void *)(KERNEL_OFFSET + 0x40001234)), 0x40001234);

	paddr_t uart = pl011_base();
	if (!uart) {
		ktest_skip(t, "no PL011");
		return;
	}
	par = virt_translate(plat_phys_to_virt(uart));
	KTEST_ASSERT(t, !(par & PAR_F));
	KTEST_EXPECT_EQ(t, PAR_ATTR(par), 0x04); /* device nGnRE */
}

static void virt_unmapped_is_unmapped(struct ktest *t)
{
	/* 511 GiB: above the low 4 GiB and not RAM on virt. */
	KTEST_EXPECT(t, virt_translate((void *)(KERNEL_OFFSET + (511ULL << 30))) & PAR_F);
}

static void virt_counter_runs(struct ktest *t)
{
	uint64_t a = sysreg_read(cntpct_el0);
	uint64_t b = a;

	for (int i = 0; i < 1000000 && b == a; i++)
		b = sysreg_read(cntpct_el0);
	KTEST_EXPECT(t, b > a);
	KTEST_EXPECT_NE(t, sysreg_read(cntfrq_el0), 0);
}

static void virt_console_getc_is_nonblocking(struct ktest *t)
{
	int c = plat_console_getc();

	KTEST_EXPECT(t, c == -EAGAIN || (c >= 0 && c <= 0xff));
}

static const struct ktest_case virt_cases[] = {
    KTEST_CASE(virt_runs_at_el1_with_mmu_on),	  KTEST_CASE(virt_identity_map_attributes),
    KTEST_CASE(virt_unmapped_is_unmapped),	  KTEST_CASE(virt_counter_runs),
    KTEST_CASE(virt_console_getc_is_nonblocking), {0},
};
KTEST_SUITE(virt_suite, "aarch64_virt", virt_cases);

/* Each of these ends the run with an exception report or a panic (status 3). */

static void fault_unmapped_read(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, *(volatile int *)(KERNEL_OFFSET + (511ULL << 30)), 0);
}

static void fault_brk(struct ktest *t)
{
	(void)t;
	__asm__ volatile("brk #0x42");
}

static void fault_fp_use(struct ktest *t)
{
	(void)t;
	__asm__ volatile(".arch_extension fp\n\tfmov d0, xzr" ::: "memory");
}

static void fault_dtb_too_big(struct ktest *t)
{
	static const uint8_t blob[64] __attribute__((aligned(8))) = {
	    0xd0, 0x0d, 0xfe, 0xed, 0x00, 0x30, 0x00, 0x00, /* magic, totalsize 3 MiB */
	};
	struct fdt f;

	(void)t;
	discover_fdt(plat_virt_to_phys(blob), &f);
}

static void fault_dtb_corrupt(struct ktest *t)
{
	static const uint8_t blob[64] __attribute__((aligned(8))) = {
	    0xd0, 0x0d, 0xfe, 0xed, 0x00, 0x00, 0x00, 0x40, /* magic, totalsize 64 */
	    0x00, 0x00, 0x10, 0x00,			    /* off_dt_struct far past the end */
	};
	struct fdt f;

	(void)t;
	discover_fdt(plat_virt_to_phys(blob), &f);
}

static const struct ktest_case fault_cases[] = {
    KTEST_CASE(fault_unmapped_read), KTEST_CASE(fault_brk),	    KTEST_CASE(fault_fp_use),
    KTEST_CASE(fault_dtb_too_big),   KTEST_CASE(fault_dtb_corrupt), {0},
};
KTEST_SUITE_MANUAL(fault_suite, "aarch64_faults", fault_cases);
