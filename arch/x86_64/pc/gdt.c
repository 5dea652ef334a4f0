/*
 * Runtime GDT and TSS. The segment order suits syscall/sysret later: STAR takes the
 * kernel CS (SS = CS + 8) and a user base from which sysret derives SS = base + 8 and
 * CS = base + 16.
 */
#include "pc.h"

enum gdt_slot {
	GDT_NULL,
	GDT_KERNEL_CODE, /* 0x08: PC_SEL_KERNEL_CODE */
	GDT_KERNEL_DATA, /* 0x10: PC_SEL_KERNEL_DATA */
	GDT_USER_CODE32, /* 0x18: sysret's user base (no 32-bit user code runs) */
	GDT_USER_DATA,	 /* 0x20 */
	GDT_USER_CODE,	 /* 0x28 */
	GDT_TSS,	 /* 0x30: a 16-byte descriptor, two slots */
	GDT_TSS_HIGH,
	GDT_SLOTS
};

#define GDT_SEL(slot) ((uint16_t)((slot)*8))
#define DESC_CODE64 0x00af9a000000ffffULL
#define DESC_DATA 0x00cf92000000ffffULL
#define DESC_CODE32 0x00cf9a000000ffffULL
#define DESC_DPL3 (3ULL << 45)
#define DESC_TSS_AVAILABLE 0x89ULL

/* The 64-bit task state segment: only the stack pointers matter in long mode. */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss64) == 104, "TSS layout");

/* Each CPU has its own GDT (a TSS descriptor is marked busy once loaded), TSS and IST stack. */
static uint64_t gdts[PLAT_MAX_CPUS][GDT_SLOTS] __attribute__((aligned(16)));
static struct tss64 tsss[PLAT_MAX_CPUS] __attribute__((aligned(16)));
static uint8_t ist_double_fault_stacks[PLAT_MAX_CPUS][PC_IST_STACK_SIZE]
    __attribute__((aligned(16)));

/* Writes the two-slot descriptor for tss at gdt[slot]. */
static void gdt_set_tss(uint64_t *gdt, enum gdt_slot slot, const struct tss64 *tss)
{
	uint64_t base = (uint64_t)(uintptr_t)tss;
	uint64_t limit = sizeof(*tss) - 1;

	gdt[slot] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (DESC_TSS_AVAILABLE << 40) |
		    (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[slot + 1] = base >> 32;
}

/* Loads GDTR with gdt, reloads every segment register and the task register. GS is
 * reloaded too: the caller sets the GS base afterwards. */
static void gdt_load(const uint64_t *gdt)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = {GDT_SLOTS * 8 - 1, (uint64_t)(uintptr_t)gdt};

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %2, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 "ltr %w3"
			 :
			 : "m"(gdtr), "i"(GDT_SEL(GDT_KERNEL_CODE)), "i"(GDT_SEL(GDT_KERNEL_DATA)),
			   "r"(GDT_SEL(GDT_TSS))
			 : "rax", "memory");
}

/* Loads CPU cpu's GDT (kernel and user segments, its TSS with its IST stacks). */
void gdt_init(unsigned cpu)
{
	_Static_assert(GDT_SEL(GDT_KERNEL_CODE) == PC_SEL_KERNEL_CODE, "boot.S selector");
	_Static_assert(GDT_SEL(GDT_KERNEL_DATA) == PC_SEL_KERNEL_DATA, "boot.S selector");
	_Static_assert((GDT_SEL(GDT_USER_DATA) | 3) == PC_SEL_USER_DATA, "user selector");
	_Static_assert((GDT_SEL(GDT_USER_CODE) | 3) == PC_SEL_USER_CODE, "user selector");
	_Static_assert(GDT_SEL(GDT_USER_CODE32) == PC_SEL_SYSRET_BASE, "sysret base");
	uint64_t *gdt = gdts[cpu];
	struct tss64 *tss = &tsss[cpu];

	gdt[GDT_KERNEL_CODE] = DESC_CODE64;
	gdt[GDT_KERNEL_DATA] = DESC_DATA;
	gdt[GDT_USER_CODE32] = DESC_CODE32 | DESC_DPL3;
	gdt[GDT_USER_DATA] = DESC_DATA | DESC_DPL3;
	gdt[GDT_USER_CODE] = DESC_CODE64 | DESC_DPL3;

	tss->ist[GDT_IST_DOUBLE_FAULT - 1] =
	    (uint64_t)(uintptr_t)(ist_double_fault_stacks[cpu] + PC_IST_STACK_SIZE);
	tss->iomap_base = sizeof(*tss); /* no I/O permission bitmap */
	gdt_set_tss(gdt, GDT_TSS, tss);
	gdt_load(gdt);
	pc_cpus[cpu].tss_rsp0 = (char *)tss + __builtin_offsetof(struct tss64, rsp); /* unaligned */
}
