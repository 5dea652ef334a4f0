/* The interrupt descriptor table, shared by every CPU: each vector to its traps.S stub. */
#include "pc.h"
#include "trap.h"

#define IDT_VECTORS 256
#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate: IF cleared on entry */
#define GATE_INTERRUPT_USER 0xee /* the same with DPL 3: user code may raise it (int3) */
#define VECTOR_DOUBLE_FAULT 8
#define VECTOR_BREAKPOINT 3

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));

/* Points vector at handler, running on IST slot ist (0: the current stack). */
static void idt_set_gate(unsigned vector, uint64_t handler, uint8_t ist)
{
	idt[vector] = (struct idt_gate){
	    .offset_low = (uint16_t)handler,
	    .selector = PC_SEL_KERNEL_CODE,
	    .ist = ist,
	    .type = GATE_INTERRUPT,
	    .offset_mid = (uint16_t)(handler >> 16),
	    .offset_high = (uint32_t)(handler >> 32),
	};
}

/* Loads the IDT built by idt_init on the executing CPU. */
void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
	__asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
}

/* Fills the IDT (exceptions, then vectors 32-255 to the interrupt entry) and loads it. */
void idt_init(void)
{
	for (unsigned v = 0; v < TRAP_EXCEPTIONS; v++)
		idt_set_gate(v, trap_stubs[v], 0);
	/* A double fault often means a bad stack: take it on a known good one. */
	idt_set_gate(VECTOR_DOUBLE_FAULT, trap_stubs[VECTOR_DOUBLE_FAULT], GDT_IST_DOUBLE_FAULT);
	/* int3 in user code is a breakpoint (SIGTRAP), as on Linux, not a #GP */
	idt[VECTOR_BREAKPOINT].type = GATE_INTERRUPT_USER;
	for (unsigned v = TRAP_EXCEPTIONS; v < IDT_VECTORS; v++)
		idt_set_gate(v,
			     (uint64_t)(uintptr_t)trap_irq_stubs +
				 (v - TRAP_EXCEPTIONS) * TRAP_IRQ_STUB_SIZE,
			     0);
	idt_load();
}
