/* Constants shared by user_entry.S and C: offsets in struct pc_cpu and struct user_regs
 * (user.c checks each one against the structs), ring-3 selectors and the syscall stop. */
#pragma once

#define PC_CPU_USER_KERNEL_RSP 16
#define PC_CPU_USER_REGS 24
#define PC_CPU_USER_SCRATCH 32
#define PC_CPU_USER_ERROR 40
#define PC_CPU_TSS_RSP0 48

/* Selectors of ring-3 data and 64-bit code (RPL 3), and syscall's base for STAR[63:48]:
 * sysret would take SS = base + 8 and CS = base + 16 (gdt.c lays them out so). */
#define PC_SEL_USER_DATA (0x20 | 3)
#define PC_SEL_USER_CODE (0x28 | 3)
#define PC_SEL_SYSRET_BASE 0x18

/* What pc_user_enter returns for the syscall instruction (vectors are 0-255). */
#define PC_USER_STOP_SYSCALL 256

/* Offsets in struct user_regs (arch/x86_64/guest/include/guest/guest.h). */
#define UR_RAX 0
#define UR_RBX 8
#define UR_RCX 16
#define UR_RDX 24
#define UR_RSI 32
#define UR_RDI 40
#define UR_RBP 48
#define UR_RSP 56
#define UR_R8 64
#define UR_R9 72
#define UR_R10 80
#define UR_R11 88
#define UR_R12 96
#define UR_R13 104
#define UR_R14 112
#define UR_R15 120
#define UR_RIP 128
#define UR_RFLAGS 136
