/* EL1 exceptions: IRQs go to the interrupt controller's driver; every other exception is a
 * kernel bug (no user mode yet), reported by decoding ESR_EL1 and dumping the saved frame
 * before a panic. */
#include <amphi/kprintf.h>
#include <amphi/panic.h>

#include "exception.h"
#include "virt.h"

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_ISS(esr) ((esr)&0x1ffffff)
#define ESR_DABT_WNR (1u << 6)

static const char *const exc_kind_names[] = {"synchronous", "IRQ", "FIQ", "SError"};
static const char *const exc_source_names[] = {"EL1 on SP_EL0", "EL1", "EL0 (AArch64)",
					       "EL0 (AArch32)"};

/* Names of the exception classes (ESR_EL1.EC) this kernel can meet. */
static const char *const exc_class_names[64] = {
    [0x00] = "unknown reason",
    [0x01] = "trapped WFI/WFE",
    [0x07] = "FP/SIMD access trap",
    [0x0e] = "illegal execution state",
    [0x11] = "SVC (AArch32)",
    [0x15] = "SVC",
    [0x16] = "HVC",
    [0x17] = "SMC",
    [0x18] = "trapped MSR/MRS/system instruction",
    [0x19] = "SVE access trap",
    [0x20] = "instruction abort from EL0",
    [0x21] = "instruction abort",
    [0x22] = "PC alignment fault",
    [0x24] = "data abort from EL0",
    [0x25] = "data abort",
    [0x26] = "SP alignment fault",
    [0x28] = "FP exception (AArch32)",
    [0x2c] = "FP exception",
    [0x2f] = "SError",
    [0x30] = "breakpoint from EL0",
    [0x31] = "breakpoint",
    [0x32] = "software step from EL0",
    [0x33] = "software step",
    [0x34] = "watchpoint from EL0",
    [0x35] = "watchpoint",
    [0x38] = "BKPT (AArch32)",
    [0x3c] = "BRK",
};

/* Name of exception class ec, "unknown EC" for one without a name. */
static const char *exc_class_name(unsigned ec)
{
	return ec < ARRAY_SIZE(exc_class_names) && exc_class_names[ec] ? exc_class_names[ec]
								       : "unknown EC";
}

/* Prints the fault status of an instruction or data abort: what FAR means here. */
static void exc_print_abort(uint64_t esr)
{
	unsigned ec = ESR_EC(esr), fsc = ESR_ISS(esr) & 0x3f;
	bool data = ec == 0x24 || ec == 0x25;

	kprintf("  %s, fault status %#04x (%s, level %u)\n",
		data ? (esr & ESR_DABT_WNR ? "write" : "read") : "fetch", fsc,
		(fsc & 0x3c) == 0x04   ? "translation fault"
		: (fsc & 0x3c) == 0x08 ? "access flag fault"
		: (fsc & 0x3c) == 0x0c ? "permission fault"
		: fsc == 0x21	       ? "alignment fault"
		: fsc == 0x10	       ? "external abort"
				       : "other",
		fsc & 3);
}

/* Prints x0-x30, SP and the system registers of frame, four to a line. */
static void exc_print_frame(const struct exc_frame *frame)
{
	kprintf("  ESR 0x%016llx  FAR 0x%016llx\n", (unsigned long long)frame->esr,
		(unsigned long long)frame->far);
	kprintf("  ELR 0x%016llx  SPSR 0x%016llx\n", (unsigned long long)frame->elr,
		(unsigned long long)frame->spsr);
	for (unsigned i = 0; i < 31; i++)
		kprintf("  x%-2u %016llx%s", i, (unsigned long long)frame->x[i],
			i % 4 == 3 ? "\n" : "");
	kprintf("  sp  %016llx\n", (unsigned long long)frame->sp);
}

/* True for an IRQ the kernel takes: from EL1 on its own stack (SP_EL1) or from AArch64
 * EL0. EL1 never runs on SP_EL0, and AArch32 EL0 is not supported. */
static bool exc_is_irq(unsigned vector)
{
	return EXC_KIND(vector) == EXC_KIND_IRQ &&
	       (EXC_SOURCE(vector) == EXC_SOURCE_EL1 || EXC_SOURCE(vector) == EXC_SOURCE_EL0);
}

void exc_handle(struct exc_frame *frame, unsigned vector)
{
	unsigned ec = ESR_EC(frame->esr);
	bool synchronous = EXC_KIND(vector) == 0;

	if (exc_is_irq(vector)) {
		virt_irq_entry();
		return;
	}

	kprintf("\nexception: %s from %s", exc_kind_names[EXC_KIND(vector)],
		exc_source_names[EXC_SOURCE(vector)]);
	if (synchronous || EXC_KIND(vector) == 3)
		kprintf(": %s (EC %#04x)", exc_class_name(ec), ec);
	kprintf("\n");
	if (synchronous && (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25))
		exc_print_abort(frame->esr);
	exc_print_frame(frame);
	panic("unexpected %s exception at pc %#llx", exc_kind_names[EXC_KIND(vector)],
	      (unsigned long long)frame->elr);
}
