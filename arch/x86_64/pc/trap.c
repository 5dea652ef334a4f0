/* Exception reports: every exception is fatal for now; the dump says where and why. */
#include <amphi/kprintf.h>
#include <amphi/panic.h>

#include "trap.h"

#define VECTOR_PAGE_FAULT 14

static const char *const trap_names[TRAP_EXCEPTIONS] = {
    [0] = "#DE divide error",
    [1] = "#DB debug",
    [2] = "NMI",
    [3] = "#BP breakpoint",
    [4] = "#OF overflow",
    [5] = "#BR bound range exceeded",
    [6] = "#UD invalid opcode",
    [7] = "#NM device not available",
    [8] = "#DF double fault",
    [9] = "coprocessor segment overrun",
    [10] = "#TS invalid TSS",
    [11] = "#NP segment not present",
    [12] = "#SS stack-segment fault",
    [13] = "#GP general protection",
    [14] = "#PF page fault",
    [16] = "#MF x87 floating-point error",
    [17] = "#AC alignment check",
    [18] = "#MC machine check",
    [19] = "#XM SIMD floating-point",
    [20] = "#VE virtualization exception",
    [21] = "#CP control protection",
    [28] = "#HV hypervisor injection",
    [29] = "#VC VMM communication",
    [30] = "#SX security exception",
};

/* Name of an exception vector; "reserved" for the unassigned ones. */
static const char *trap_name(uint64_t vector)
{
	if (vector < TRAP_EXCEPTIONS && trap_names[vector])
		return trap_names[vector];
	return "reserved";
}

/* Faulting linear address of the last page fault. */
static uint64_t trap_read_cr2(void)
{
	uint64_t cr2;
	__asm__ volatile("movq %%cr2, %0" : "=r"(cr2));
	return cr2;
}

/* Prints one line of two to four named registers. */
static void trap_print_regs(const char *n0, uint64_t v0, const char *n1, uint64_t v1,
			    const char *n2, uint64_t v2, const char *n3, uint64_t v3)
{
	kprintf("  %-3s %016llx  %-3s %016llx  %-3s %016llx  %-3s %016llx\n", n0,
		(unsigned long long)v0, n1, (unsigned long long)v1, n2, (unsigned long long)v2, n3,
		(unsigned long long)v3);
}

/* Called by traps.S for every exception: dumps the frame and panics. */
void trap_handle(struct trap_frame *f)
{
	const char *name = trap_name(f->vector);

	kprintf("trap: %s (vector %llu), error code %#llx\n", name, (unsigned long long)f->vector,
		(unsigned long long)f->error_code);
	trap_print_regs("rax", f->rax, "rbx", f->rbx, "rcx", f->rcx, "rdx", f->rdx);
	trap_print_regs("rsi", f->rsi, "rdi", f->rdi, "rbp", f->rbp, "rsp", f->rsp);
	trap_print_regs("r8", f->r8, "r9", f->r9, "r10", f->r10, "r11", f->r11);
	trap_print_regs("r12", f->r12, "r13", f->r13, "r14", f->r14, "r15", f->r15);
	kprintf("  rip %016llx  rflags %016llx  cs %04llx  ss %04llx\n", (unsigned long long)f->rip,
		(unsigned long long)f->rflags, (unsigned long long)f->cs,
		(unsigned long long)f->ss);
	if (f->vector == VECTOR_PAGE_FAULT)
		kprintf("  cr2 %016llx (%s, %s, %s mode)\n", (unsigned long long)trap_read_cr2(),
			(f->error_code & 1) ? "protection violation" : "not present",
			(f->error_code & 2)    ? "write"
			: (f->error_code & 16) ? "fetch"
					       : "read",
			(f->error_code & 4) ? "user" : "kernel");
	panic("unhandled exception %s at rip %#llx", name, (unsigned long long)f->rip);
}
