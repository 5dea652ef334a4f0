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

/* Asks the firmware to power the system off. Returns only when it refuses or when there
 * is no PSCI: the negative PSCI status, or -ENOSYS. */
int psci_system_off(void);

/* --- discover.c --- */

/* Finds the device tree: bootinfo (the loader's x0) when it holds one, else the start
 * of RAM on virt, where QEMU puts it for ELF kernels. Validates it into *f; panics with
 * the reason when there is none or it is malformed. */
void discover_fdt(void *bootinfo, struct fdt *f);

/* Physical address of the console PL011: /chosen stdout-path when it names an enabled
 * "arm,pl011", else the first enabled one. 0 when there is none. */
paddr_t discover_console(const struct fdt *f);

/* The PSCI conduit from the /psci node's "method" property. */
enum psci_conduit discover_psci(const struct fdt *f);

/* --- mmu.c --- */

/* Highest physical address (exclusive) the identity map can reach. */
#define MMU_PA_LIMIT (1ULL << 39)

/* Builds the boot identity map (RAM normal write-back, every other GiB below 4 GiB plus
 * the one holding device_pa as device nGnRE) and turns on the MMU and caches. */
void mmu_enable(const struct boot_info *info, paddr_t device_pa);
