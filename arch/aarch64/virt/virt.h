/* Internal interfaces of the aarch64 virt/board platform (arch/aarch64/virt). */
#pragma once

#include <amphi/fdt.h>
#include <amphi/plat.h>
#include <amphi/types.h>

/* Linker-script symbols: the loaded image, .bss included, at run-time addresses. */
extern char _start[], _end[];

/* Exception level the loader entered the kernel at (1 or 2); set by head.S. */
extern uint64_t boot_entry_el;

/* --- pl011.c --- */

/* Directs the console to the PL011 at physical address base (0: output is dropped) and
 * enables its transmitter and receiver, keeping the firmware's line settings. */
void pl011_init(paddr_t base);

/* Physical address of the console UART, 0 when there is none. */
paddr_t pl011_base(void);

/* --- psci.c --- */

enum psci_conduit { PSCI_NONE, PSCI_HVC, PSCI_SMC };

/* Selects how PSCI calls reach the firmware. */
void psci_set_conduit(enum psci_conduit conduit);

/* True when the device tree named a PSCI conduit. */
bool psci_available(void);

/* Asks the firmware to start the CPU with affinity mpidr at physical address entry, with
 * x0 = context. Returns 0, the negative PSCI status, or -ENOSYS without PSCI. */
int psci_cpu_on(uint64_t mpidr, paddr_t entry, uint64_t context);

/* Asks the firmware to power the system off. Returns only when it refuses or when there
 * is no PSCI: the negative PSCI status, or -ENOSYS. */
int psci_system_off(void);

/* --- discover.c --- */

/* Finds the device tree: at physical address dtb (the loader's x0) when it holds one, else
 * the start of RAM on virt, where QEMU puts it for ELF kernels. Validates it into *f;
 * panics with the reason when there is none or it is malformed. */
void discover_fdt(paddr_t dtb, struct fdt *f);

/* Physical address of the console PL011: /chosen stdout-path when it names an enabled
 * "arm,pl011", else the first enabled one. 0 when there is none. */
paddr_t discover_console(const struct fdt *f);

/* The PSCI conduit from the /psci node's "method" property. */
enum psci_conduit discover_psci(const struct fdt *f);

/* Fills mpidr[1..] with the MPIDR affinities of the other CPUs in /cpus that PSCI can start
 * (mpidr[0] holds the boot CPU's), at most max in all, skipping bad nodes with a warning.
 * Returns the number of CPUs, at least 1. */
unsigned discover_cpus(const struct fdt *f, uint64_t *mpidr, unsigned max);

/* Interrupt controller families with a driver. */
enum gic_kind { GIC_KIND_V2, GIC_KIND_V3 };

/* The enabled GIC node ("arm,gic-v3", "arm,gic-400", "arm,cortex-a15-gic") and its kind
 * in *kind; -ENOENT when there is none. */
int discover_gic(const struct fdt *f, enum gic_kind *kind);

/* --- cpu.c --- */

/* Records the boot CPU and the others the device tree lists (plat_cpu_count); only the
 * boot CPU without PSCI to start the others. Call after psci_set_conduit. */
void cpu_discover(const struct fdt *f);

/* MPIDR affinity of CPU cpu, ~0 for a cpu beyond plat_cpu_count. */
uint64_t cpu_mpidr_of(unsigned cpu);

/* --- irq.c --- */

/* Finds the GIC in f, maps nothing (mmu_enable did), probes its driver and registers it
 * as the interrupt controller. Without a usable GIC the kernel runs without interrupts,
 * after saying why. */
void virt_irq_init(const struct fdt *f);

/* The reg ranges of the GIC node, for the identity map's device attributes; returns how
 * many were stored (at most max). */
size_t virt_irq_mmio(const struct fdt *f, struct mem_range *ranges, size_t max);

/* The IRQ vector's C side: runs the GIC driver's entry (acknowledge, handle, EOI,
 * irq_exit). */
void virt_irq_entry(void);

/* --- timer.c --- */

/* Reads the generic timer's frequency and its virtual-timer PPI from f ("arm,armv8-timer")
 * and starts the monotonic clock at 0. */
void timer_init(const struct fdt *f);

/* The system counter's frequency in Hz. */
uint64_t timer_frequency(void);

/* --- rtc.c --- */

/* Reads the device tree's PL031 real-time clock once for plat_time_epoch_ns (after
 * timer_init); without one, says so and the wall clock starts at 1970. */
void rtc_init(const struct fdt *f);

/* --- mmu.c --- */

/* Highest physical address (exclusive) the kernel map can reach. */
#define MMU_PA_LIMIT (1ULL << 39)

/* Kernel virtual minus physical addresses: 0 while the entry code runs on the identity
 * map, KERNEL_OFFSET (layout.h) from the jump to the high half on (head.S sets it). */
extern uintptr_t virt_offset;

/* Called by head.S with the MMU off: reads RAM and the devices from the device tree at
 * physical address dtb, builds the kernel map (RAM normal write-back, every other GiB below
 * 4 GiB plus those of the console and the GIC device nGnRE) and turns on the MMU and caches
 * with it in TTBR1 and as the identity map in TTBR0. Panics when the tree is unusable. */
void mmu_boot(paddr_t dtb);

/* Drops the RAM of info that the kernel map cannot reach; returns the bytes dropped. */
uint64_t mmu_trim_ram(struct boot_info *info);

/* Physical address of the identity map's root, for a CPU turning its MMU on. */
paddr_t mmu_identity_root(void);

/* --- user.c --- */

/* Sets up the executing CPU for EL0: what EL0 may do without trapping (counter, cache
 * maintenance by VA, DC ZVA, WFI/WFE), PAN when the CPU has it, an empty TTBR0. Every CPU
 * calls it once, before it runs user code. */
void a64_user_cpu_init(void);
