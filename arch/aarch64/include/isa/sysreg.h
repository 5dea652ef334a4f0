/* aarch64 system-register access and barriers, for C code of any aarch64 room (the
 * platform, the GICv3 driver). Not part of arch.h: only code that is aarch64 by nature
 * includes it. */
#pragma once

#include <stdint.h>

/* The affinity fields of MPIDR_EL1 (Aff3, Aff2, Aff1, Aff0): a CPU's identity. */
#define MPIDR_AFFINITY_MASK 0xff00ffffffULL

#define sysreg_read(reg)                                             \
	({                                                           \
		uint64_t sysreg_v_;                                  \
		__asm__ volatile("mrs %0, " #reg : "=r"(sysreg_v_)); \
		sysreg_v_;                                           \
	})

#define sysreg_write(reg, v)                                                      \
	do {                                                                      \
		uint64_t sysreg_v_ = (v);                                         \
		__asm__ volatile("msr " #reg ", %0" ::"r"(sysreg_v_) : "memory"); \
	} while (0)

#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")
