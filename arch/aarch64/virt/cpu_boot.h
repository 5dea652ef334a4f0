/* The hand-over from plat_cpu_start to a secondary CPU's entry code (head.S), which reads it
 * with the MMU off: its layout, shared by C and assembly. */
#pragma once

#define CPU_BOOT_MAIR 0
#define CPU_BOOT_TCR 8
#define CPU_BOOT_TTBR0 16
#define CPU_BOOT_SCTLR 24
#define CPU_BOOT_STACK 32
#define CPU_BOOT_TTBR1 72
#define CPU_BOOT_SIZE 128 /* one struct per two cache lines: never shares a line */

#ifndef __ASSEMBLER__
#include <amphi/types.h>

/* Everything a secondary needs to join: the boot CPU's EL1 MMU state (TTBR0 the identity
 * map), its stack, what to run, its index; started is set by the secondary once it runs C
 * with the MMU on. */
struct cpu_boot {
	uint64_t mair, tcr, ttbr0, sctlr;
	uint64_t stack_top;
	void (*entry)(void *arg);
	void *arg;
	uint64_t cpu;
	uint64_t started;
	uint64_t ttbr1;
} __attribute__((aligned(CPU_BOOT_SIZE)));

_Static_assert(sizeof(struct cpu_boot) == CPU_BOOT_SIZE, "head.S cpu_boot layout");
_Static_assert(__builtin_offsetof(struct cpu_boot, stack_top) == CPU_BOOT_STACK,
	       "head.S cpu_boot layout");
_Static_assert(__builtin_offsetof(struct cpu_boot, ttbr1) == CPU_BOOT_TTBR1,
	       "head.S cpu_boot layout");

/* Called by head.S on a secondary, on its stack with the MMU on: records the CPU index in
 * TPIDR_EL1, reports the start and runs entry(arg). */
NORETURN void cpu_secondary_start(struct cpu_boot *boot);

/* The secondary CPUs' entry point in head.S, given to PSCI CPU_ON (physical address). */
extern char secondary_entry[];
#endif
