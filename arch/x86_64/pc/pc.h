/* Internal interfaces of the x86_64 PC platform (arch/x86_64/pc). */
#pragma once

#include <amphi/plat.h>
#include <amphi/types.h>

#include "layout.h"
#include "user_entry.h"

struct user_regs;

/* What boot.S recorded at entry; plat_init() receives its address. */
struct pc_boot_handoff {
	uint32_t protocol;   /* PC_BOOT_PVH or PC_BOOT_MULTIBOOT2 */
	uint32_t magic;	     /* EAX at entry (meaningful for Multiboot2 only) */
	uint32_t info_paddr; /* EBX at entry: start_info or the Multiboot2 information */
	uint32_t reserved;
};

/* --- uart16550.c: COM1 --- */

/* Programs COM1 for 115200 8N1 with FIFOs on. */
void uart16550_init(void);

/* Writes n bytes, turning "\n" into "\r\n" for serial terminals. */
void uart16550_write(const char *buf, size_t n);

/* Next received byte, or -EAGAIN when none is waiting. */
int uart16550_getc(void);

/* --- gdt.c, idt.c: descriptor tables --- */

/* Loads CPU cpu's GDT (kernel and user segments, its TSS with its IST stacks) and points
 * pc_cpus[cpu].tss_rsp0 at its TSS's RSP0. */
void gdt_init(unsigned cpu);

/* Fills the IDT (exceptions, then vectors 32-255 to the interrupt entry) and loads it. */
void idt_init(void);

/* Loads the IDT built by idt_init on the executing CPU. */
void idt_load(void);

/* IST slot (1-based) of the double-fault stack. */
#define GDT_IST_DOUBLE_FAULT 1

/* --- memmap.c: building boot_info from any protocol --- */

/* Where a boot-protocol parser puts what it finds. */
struct pc_boot_parse {
	struct boot_info *info;
	char *cmdline_buf; /* the kernel's own copy of the command line goes here */
	size_t cmdline_size;
	paddr_t rsdp; /* the ACPI RSDP the loader reported, or 0 */
};

/* Prints "<fmt>" as the reason the boot data is unusable and returns -EINVAL. */
int memmap_bad(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Adds a firmware memory-map entry: type 1 (available RAM) becomes a RAM range, clipped
 * to whole pages and to the direct-map limit; other types are ignored. */
void memmap_add_entry(struct boot_info *info, uint64_t base, uint64_t size, uint32_t type);

/* Returns the direct-map address of [pa, pa + size) if the boot map covers it, or NULL
 * (also on overflow). Boot data is read only through this. */
const void *memmap_boot_ptr(paddr_t pa, uint64_t size);

/* Copies a boot-supplied command line of at most max bytes (NUL-terminated within them or
 * not) into p->cmdline_buf and points p->info->cmdline at it; reserves the original if
 * asked (not when it lies inside boot data reserved already). Returns 0 or -EINVAL. */
int memmap_take_cmdline(struct pc_boot_parse *p, paddr_t pa, uint64_t max, bool reserve);

/* Reserves a boot module at [pa, pa + size); the first one becomes the initial RAM disk
 * (Linux's convention for QEMU -initrd and GRUB's module2), if the boot map reaches it. */
void memmap_add_module(struct boot_info *info, paddr_t pa, uint64_t size);

/* --- direct_map.c --- */

/* Extends the direct map beyond the boot map to cover the RAM in info. */
void direct_map_grow(const struct boot_info *info);

/* --- pvh.c, multiboot2.c: boot protocols --- */

/* Parses hvm_start_info at pa (RAM, reserved ranges, command line). Returns 0, or -EINVAL
 * after printing why the data is unusable. */
int pvh_parse(paddr_t pa, struct pc_boot_parse *p);

/* Parses the Multiboot2 information at pa. Returns 0, or -EINVAL after printing why the
 * data is unusable. */
int multiboot2_parse(paddr_t pa, struct pc_boot_parse *p);

/* --- cpu.c: per-CPU data, reached through the GS base --- */

/* One CPU's platform state. The GS base of each CPU points at its own (while user code
 * runs, the KERNEL_GS_BASE MSR does, and swapgs trades them at the user boundary). */
struct pc_cpu {
	struct pc_cpu *self; /* %gs:0 */
	unsigned index;	     /* %gs:8, plat_cpu_id() */
	uint32_t apic_id;
	/* user mode (user.c, user_entry.S): offsets fixed for the assembly */
	uint64_t user_kernel_rsp;  /* %gs:16, the kernel stack pc_user_enter returns on */
	struct user_regs *user_regs; /* %gs:24, where the user registers are saved */
	uint64_t user_scratch;	   /* %gs:32, the user rsp while the syscall entry saves */
	uint64_t user_error;	   /* %gs:40, the exception's error code */
	void *tss_rsp0;		   /* %gs:48, this CPU's TSS.RSP0: the stack traps from ring 3 use */
	uint64_t user_generation;  /* the generation of the space in CR3 this TLB follows */
	struct user_regs *fp_owner; /* whose x87/SSE state is live here (the running thread's) */
	uint64_t fp_tag;	    /* the tag written into fp_owner->fp_live when loaded */
	bool online;		 /* set by the CPU itself once it runs the kernel's entry */
	uint64_t timer_deadline; /* plat_timer_set's armed deadline, UINT64_MAX when disarmed */
};

#define PC_CPU_INDEX_OFFSET 8

extern struct pc_cpu pc_cpus[PLAT_MAX_CPUS];

/* Makes the executing CPU CPU index (its GS base points at pc_cpus[index]). */
void pc_cpu_set_current(unsigned index);

/* The executing CPU's pc_cpu. */
static inline struct pc_cpu *pc_cpu_self(void)
{
	struct pc_cpu *self;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(self));
	return self;
}

/* Sets the CPU count and APIC ids (boot CPU first) from firmware tables. */
void pc_cpu_set_topology(unsigned count, const uint32_t *apic_ids);

/* Busy-waits for at least ns nanoseconds (needs the calibrated clock). */
void pc_delay_ns(uint64_t ns);

/* --- topology.c: the machine's CPUs and interrupt controllers from ACPI --- */

/* Finds the MADT (from rsdp, the loader's RSDP, or by a BIOS-area scan) and records CPUs,
 * IOAPICs and overrides. Bad or missing tables: one message, and a single CPU. */
struct acpi_madt;
void pc_acpi_init(paddr_t rsdp, struct acpi_madt *madt);

/* Numbers the MADT's CPUs with the boot CPU (APIC id bsp) as CPU 0. */
void pc_cpus_from_madt(const struct acpi_madt *madt, uint32_t bsp);

/* --- IDT vectors --- */

#define PC_VECTOR_GSI_BASE 0x30	  /* IOAPIC pin GSI g arrives as vector 0x30 + g */
#define PC_VECTOR_LOCAL_BASE 0xe0 /* vectors from here up are the LAPIC's own (per-CPU) */
#define PC_VECTOR_TIMER 0xec
#define PC_VECTOR_IPI_BASE 0xf0 /* IPI n arrives as vector 0xf0 + n */
#define PC_VECTOR_TEST 0xf8	/* free for the platform's own tests */
#define PC_VECTOR_ERROR 0xfe
#define PC_VECTOR_SPURIOUS 0xff

/* --- lapic.c: the local APIC (xAPIC or x2APIC) and the irq_chip --- */

/* Finds the executing CPU's LAPIC at base (xAPIC MMIO) or in x2APIC mode, and registers the
 * machine's irq_chip. Called once on the boot CPU. */
void lapic_init(paddr_t base);

/* APIC id of the executing CPU. */
uint32_t lapic_id(void);

/* Signals end of interrupt. */
void lapic_eoi(void);

/* True when vector is requested at the executing CPU's LAPIC and not yet taken (IRR). */
bool lapic_pending(unsigned vector);

/* Sends a fixed-delivery interrupt with vector to CPU cpu. */
void lapic_send_vector(unsigned cpu, unsigned vector);

/* Sends INIT, or a STARTUP IPI with vector page, to the CPU with APIC id apic_id. */
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint8_t page);

/* Arms (or, with UINT64_MAX, disarms) the executing CPU's LAPIC timer; see plat_timer_set. */
void lapic_timer_arm(uint64_t deadline_ns);

/* Calibrates the LAPIC timer (unless TSC-deadline mode serves) and logs the mode. */
void lapic_timer_init(void);

/* --- ioapic.c --- */

/* Masks every pin of every IOAPIC in madt and prepares the ISA routing. */
void ioapic_init(const struct acpi_madt *madt);

/* True when vector belongs to an IOAPIC pin; mask/unmask it. */
bool ioapic_owns_vector(unsigned vector);
void ioapic_mask_vector(unsigned vector, bool masked);

/* The vector ISA interrupt isa_irq arrives as, through the overrides; 0 when none serves it. */
unsigned ioapic_isa_vector(unsigned isa_irq);

/* --- time.c: the TSC clock --- */

/* Calibrates the TSC (CPUID, hypervisor leaf, else the PIT) and logs the source. */
void tsc_init(void);

/* TSC ticks for ns nanoseconds, and the TSC value at monotonic time ns. */
uint64_t tsc_ticks_from_ns(uint64_t ns);
uint64_t tsc_at_ns(uint64_t ns);

/* Measures the TSC frequency against the PIT over ms milliseconds; 0 when the PIT does not
 * count. */
uint64_t pit_measure_tsc(unsigned ms);

/* --- user.c: ring 3 --- */

/* Sets up the executing CPU for user mode: syscall MSRs, no-execute pages, SSE state,
 * SMEP/SMAP when the CPU has them. Every CPU calls it once, before it takes interrupts. */
void pc_user_cpu_init(void);

/* Before the executing CPU idles: puts the kernel's own root in CR3, so that shootdowns of
 * the space it ran skip it (it flushes when it loads that space again). Interrupts masked. */
void pc_user_idle(void);

/* Runs a user program's registers (user_entry.S): enters ring 3 from *regs and returns when
 * it traps, *regs updated, with the vector (0-255) or PC_USER_STOP_SYSCALL, interrupts
 * masked. */
unsigned pc_user_enter(struct user_regs *regs);

/* Where the syscall instruction lands (MSR_LSTAR) and where traps.S sends a trap taken in
 * ring 3 (user_entry.S). */
void pc_syscall_entry(void);

/* Handles one interrupt vector with the kernel's handlers, EOI and irq_exit (which may
 * switch threads), interrupts masked: for the interrupt entry and for user mode. */
void pc_interrupt_vector(unsigned vector);

/* --- rtc.c --- */

/* Reads the CMOS real-time clock once for plat_time_epoch_ns (after tsc_init); without a
 * usable one, says so and the wall clock starts at 1970. */
void rtc_init(void);

/* --- smp.c --- */

/* Where an AP's 64-bit code lands (boot.S), on its stack: finishes bring-up, calls entry. */
NORETURN void pc_ap_main(void);
