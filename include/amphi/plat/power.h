/* plat/power.h: powering the machine off and stopping CPUs. */
#pragma once

#include <amphi/types.h>

/* The platform's own last words, printed by kernel_poweroff just before its power-off line
 * (the hosted machine prints the trace hash of its deterministic schedule); most
 * platforms have none. */
void plat_poweroff_report(void);

/* Powers the machine off. status 0 means success; non-zero means failure. Where the
 * machine can report a status (QEMU isa-debug-exit, the host process) it does. */
NORETURN void plat_poweroff(int status);

/* Stops the whole machine for good after a panic that could not power off; the hosted
 * process ends with the panic status. */
NORETURN void plat_halt(void);
