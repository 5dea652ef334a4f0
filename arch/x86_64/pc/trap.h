/* The register frame built by traps.S; field order matches its pushes. */
#pragma once

#include <amphi/types.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

_Static_assert(__builtin_offsetof(struct trap_frame, rbp) == 64, "traps.S FRAME_RBP");
_Static_assert(__builtin_offsetof(struct trap_frame, rip) == 136, "traps.S FRAME_RIP");

#define TRAP_EXCEPTIONS 32

/* Entry stub addresses, one per exception vector (traps.S). */
extern const uint64_t trap_stubs[TRAP_EXCEPTIONS];

/* Called by traps.S for every exception: dumps the frame and panics. */
void trap_handle(struct trap_frame *frame);

/* Entry stubs for vectors TRAP_EXCEPTIONS..255, each TRAP_IRQ_STUB_SIZE bytes (traps.S). */
extern const char trap_irq_stubs[];
#define TRAP_IRQ_STUB_SIZE 16

/* Called by traps.S for every vector from 32 up (interrupt.c). */
void pc_interrupt(struct trap_frame *frame);
