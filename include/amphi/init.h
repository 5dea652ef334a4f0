/* Kernel entry and top-level start-up. */
#pragma once

#include <amphi/plat.h>
#include <amphi/types.h>

/* The portable kernel entry. Every platform's boot code calls it once on the boot CPU,
 * on a valid stack, with its boot data (passed through to plat_init). Never returns. */
NORETURN void kmain(void *bootinfo);

/* The interactive kernel monitor on the console; returns when asked to power off or
 * when the console input closes, with the status to power off with. */
int monitor_run(void);

/* What the platform reported at boot (valid once kmain has called plat_init). */
const struct boot_info *kernel_boot_info(void);

/* Power-off statuses. The harness reads the status from the last console line,
 * "amphi: power off, status N", and from the exit status where the machine has one. */
#define POWEROFF_PASS 0
#define POWEROFF_FAIL 1
#define POWEROFF_PANIC 3

/* Prints the power-off line and powers the machine off with status. */
NORETURN void kernel_poweroff(int status);
