/* aarch64 system-register access and the bit values this platform programs. Shared by
 * C and assembly, so only macros here. */
#pragma once

#define CURRENTEL_EL1 (1 << 2)
#define CURRENTEL_EL2 (2 << 2)

/* SCTLR_EL1: RES1 bits of ARMv8.0, stack alignment checks, I-cache; MMU and D-cache
 * are turned on later by mmu.c. Little-endian at EL1 and EL0. */
#define SCTLR_EL1_RES1 0x30d00800
#define SCTLR_M (1 << 0)
#define SCTLR_C (1 << 2)
#define SCTLR_SA (1 << 3)
#define SCTLR_SA0 (1 << 4)
#define SCTLR_I (1 << 12)
#define SCTLR_EL1_BOOT (SCTLR_EL1_RES1 | SCTLR_SA | SCTLR_SA0 | SCTLR_I)

/* HCR_EL2.RW: EL1 runs AArch64. Nothing else is trapped or virtualised. */
#define HCR_EL2_RW (1 << 31)
/* CNTHCTL_EL2: EL1 may read the physical counter and use the physical timer. */
#define CNTHCTL_EL1PCTEN_EL1PCEN 0x3
/* CPTR_EL2: RES1 bits, no FP/SIMD trap to EL2 (EL1 decides through CPACR_EL1). */
#define CPTR_EL2_NOTRAP 0x33ff
/* SPSR for entering EL1h with D, A, I and F masked. */
#define SPSR_EL1H_DAIF 0x3c5
/* ICC_SRE_EL2 (GICv3 system registers): SRE and Enable (EL1 may use them). */
#define ICC_SRE_EL2_SRE_ENABLE 0x9

/* CPACR_EL1.FPEN = 0: FP/SIMD use traps. The kernel is built -mgeneral-regs-only, so a
 * trap means a miscompiled file, reported as an exception. */
#define CPACR_EL1_FP_TRAP 0

#ifndef __ASSEMBLER__
#include <isa/sysreg.h>
#endif
