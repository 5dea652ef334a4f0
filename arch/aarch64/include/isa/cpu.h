/* aarch64 executing-CPU half of arch.h (inline); included only through <amphi/arch.h>. */
#pragma once

#define ARCH_NAME "aarch64"
#define ARCH_ELF_MACHINE 183 /* EM_AARCH64 */

/* Spin-loop hint. */
static inline void arch_cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

/* Full barrier for normal memory. */
static inline void arch_barrier(void)
{
	__asm__ volatile("dmb ish" ::: "memory");
}

/* Frame record of the caller's frame. */
static inline const struct arch_frame_record *arch_frame_pointer(void)
{
	return (const struct arch_frame_record *)__builtin_frame_address(0);
}
