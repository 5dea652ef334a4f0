/* EL1 exception entry: the register frame vectors.S saves and the C side that reads it. */
#pragma once

/* Byte offsets into struct exc_frame, for vectors.S. */
#define EXC_FRAME_SP 248
#define EXC_FRAME_ELR 256
#define EXC_FRAME_SPSR 264
#define EXC_FRAME_ESR 272
#define EXC_FRAME_FAR 280
#define EXC_FRAME_RECORD 288
#define EXC_FRAME_SIZE 304

#ifndef __ASSEMBLER__
#include <amphi/types.h>

/* Everything the vector saved, in this order. record is a frame record {x29, elr} so a
 * backtrace from the handler continues into the interrupted code. */
struct exc_frame {
	uint64_t x[31];
	uint64_t sp; /* SP at the time of the exception: SP_EL0 unless taken on SP_EL1 */
	uint64_t elr, spsr, esr, far;
	uint64_t record[2];
};

_Static_assert(sizeof(struct exc_frame) == EXC_FRAME_SIZE, "vectors.S frame layout");
_Static_assert(__builtin_offsetof(struct exc_frame, record) == EXC_FRAME_RECORD,
	       "vectors.S frame layout");

/* Vector index 0-15: source (current EL SP_EL0, current EL SP_ELx, lower EL AArch64,
 * lower EL AArch32) times kind (sync, IRQ, FIQ, SError). */
#define EXC_KIND(vector) ((vector)&3)
#define EXC_SOURCE(vector) ((vector) >> 2)
#define EXC_KIND_IRQ 1
#define EXC_SOURCE_EL1 1 /* current EL on SP_EL1 */
#define EXC_SOURCE_EL0 2 /* lower EL, AArch64 */

/* Called by vectors.S for every EL1 exception with the saved frame; may return, which
 * restores the frame and erets. IRQs are handled and return (possibly after the interrupted
 * thread was switched away from and back to); every other exception prints and panics. */
void exc_handle(struct exc_frame *frame, unsigned vector);
#endif
