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
 * The executing CPU: what kernel code needs from the processor it runs on. On metal that is
 * the target ISA; the hosted build always executes on the host CPU (x86_64 or aarch64),
 * whatever guest ISA it models, and takes this half from arch/<host isa>/.
 * Atomics are the compiler's __atomic builtins, which every supported ISA implements
 * inline (<amphi/atomic.h> names the ones the kernel uses).
 *
 * <isa/cpu.h> defines ARCH_NAME (e.g. "x86_64"), ARCH_ELF_MACHINE (e_machine of the ISA's
 * ELF files) and the inline hooks declared here, so the compiler checks each definition.
 */

/* Spin-loop hint; no other effect. */
static inline void arch_cpu_relax(void);

/* Full memory barrier for normal memory. */
static inline void arch_barrier(void);

/* The calling function's frame record, the start of a backtrace walk. */
static inline const struct arch_frame_record *arch_frame_pointer(void);

#include <isa/cpu.h>

/* Implemented in arch/<isa>/cpu/switch.S: */

/* Pushes the callee-saved registers and the return address on the executing stack, stores
 * the stack pointer into *from_sp (the last store to that stack), loads to_sp and returns
 * into the context saved there. */
void arch_ctx_switch(uintptr_t *from_sp, uintptr_t to_sp);

/* Lays out, below stack_top (16-byte aligned), a frame that arch_ctx_switch resumes as a
 * call of entry(arg) with a zero frame pointer (the outermost frame of a backtrace).
 * Returns the stack pointer to pass to arch_ctx_switch. */
uintptr_t arch_ctx_init_stack(uintptr_t stack_top, void (*entry)(void *arg), void *arg);

/*
 * The guest ISA (page-table format and walk, user register frame, syscall ABI, signal
 * frame, HWCAP) arrives with user mode: portable C with no inline assembly, so the hosted
 * build can model either ISA on either host.
 */
