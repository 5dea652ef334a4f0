/* x86_64 executing-CPU half of arch.h (inline); included only through <amphi/arch.h>. */
#pragma once

#define ARCH_NAME "x86_64"
#define ARCH_ELF_MACHINE 62 /* EM_X86_64 */

/* Spin-loop hint. */
static inline void arch_cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* Full barrier for normal memory. */
static inline void arch_barrier(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

/* Frame record of the caller's frame. */
static inline const struct arch_frame_record *arch_frame_pointer(void)
{
	return (const struct arch_frame_record *)__builtin_frame_address(0);
}
