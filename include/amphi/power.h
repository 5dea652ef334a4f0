/* power.h: how the kernel powers off, and the statuses the harness reads. */
#pragma once

#include <amphi/types.h>

/* Power-off statuses. The harness reads the status from the last console line, written
 * with POWEROFF_LINE_FMT, and from the exit status where the machine has one. */
#define POWEROFF_PASS 0
#define POWEROFF_FAIL 1
#define POWEROFF_PANIC 3

/* The kernel's last console line; the harness matches its prefix. */
#define POWEROFF_LINE_PREFIX "amphi: power off, status "
#define POWEROFF_LINE_FMT POWEROFF_LINE_PREFIX "%d\n"

/* Stops the other CPUs, prints the power-off line and powers the machine off with status. */
NORETURN void kernel_poweroff(int status);
