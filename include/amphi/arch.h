/*
 * arch.h: the instruction-set contract. Each ISA implements it in arch/<isa>/include/isa/,
 * and that code is compiled into both the bare-metal build and the hosted build for the
 * same ISA. Hot paths are static inline there; this header states their contracts.
 * Page tables, user frames, the syscall ABI and signal frames join as they land.
 */
#pragma once

#include <amphi/types.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)

/* One saved frame-pointer record: every supported ISA keeps {caller fp, return address}
 * at the frame pointer when built with -fno-omit-frame-pointer. */
struct arch_frame_record {
	const struct arch_frame_record *next;
	uintptr_t return_address;
};

/*
 * Provided inline by <isa/arch_isa.h>:
 *
 *   ARCH_NAME                 ISA name string, e.g. "x86_64"
 *   ARCH_ELF_MACHINE          e_machine value of this ISA's ELF files
 *   arch_cpu_relax()          hint inside a spin loop; no other effect
 *   arch_barrier()            full memory barrier for normal memory
 *   arch_frame_pointer()      this function's frame record, start of a backtrace walk
 */
#include <isa/arch_isa.h>
