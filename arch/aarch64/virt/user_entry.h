/* Constants shared by user_entry.S and user.c: offsets in struct user_regs (user.c checks
 * each against the struct) and the frame a64_user_enter keeps on the kernel stack. */
#pragma once

#define UR_X0 0
#define UR_X2 16
#define UR_SP 248
#define UR_PC 256
#define UR_PSTATE 264
#define UR_TPIDR 272
#define UR_V 288
#define UR_FPSR 800
#define UR_FPCR 808

/* a64_user_enter's frame: x29, x30, x19-x28, then the struct user_regs pointer. */
#define USER_FRAME_REGS 96
#define USER_FRAME_SIZE 112

/* The exception vectors a return from EL0 reports (vectors.S's index: lower EL, AArch64). */
#define USER_VECTOR_SYNC 8
#define USER_VECTOR_IRQ 9
#define USER_VECTOR_FIQ 10
#define USER_VECTOR_SERROR 11
