/* Kernel entry. */
#pragma once

#include <amphi/types.h>

/* The portable kernel entry. Every platform's boot code calls it once on the boot CPU,
 * on a valid stack, with its boot data (passed through to plat_init). Never returns. */
NORETURN void kmain(void *bootinfo);
