/*
 * Starting the other CPUs (APs): INIT, then STARTUP IPIs pointing at pc_trampoline copied
 * to PC_TRAMPOLINE_PHYS (boot.S takes it from real mode to the higher half), as in the
 * Intel SDM's MP initialization protocol. One AP starts at a time.
 */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/string.h>

#include "pc.h"

#define PML4_DIRECT_MAP 256
#define PML4_KERNEL 511
#define INIT_WAIT_NS (10 * 1000 * 1000ULL)
#define STARTUP_WAIT_NS (200 * 1000ULL)
#define CHECK_IN_WAIT_NS (2 * 1000 * 1000 * 1000ULL) /* generous: the host may be busy */

extern const char pc_trampoline[], pc_trampoline_end[];
extern uint64_t pc_pml4[512], pc_ap_pml4[512];
extern uint64_t pc_ap_cr3, pc_ap_stack_top;

/* What the AP being started runs, read by pc_ap_main. */
static struct {
	unsigned cpu;
	void (*entry)(void *arg);
	void *arg;
} ap_start;

static bool trampoline_ready;

/* Copies the trampoline below 1 MiB and builds the APs' page tables: the kernel's halves
 * plus the direct map's tables at 0 as the identity map that enabling paging needs. */
static void smp_prepare_trampoline(void)
{
	size_t len = (size_t)(pc_trampoline_end - pc_trampoline);

	if (len > PAGE_SIZE)
		panic("smp: the AP trampoline (%zu bytes) exceeds its page", len);
	memcpy(plat_phys_to_virt(PC_TRAMPOLINE_PHYS), pc_trampoline, len);
	pc_ap_pml4[0] = pc_pml4[PML4_DIRECT_MAP];
	pc_ap_pml4[PML4_DIRECT_MAP] = pc_pml4[PML4_DIRECT_MAP];
	pc_ap_pml4[PML4_KERNEL] = pc_pml4[PML4_KERNEL];
	trampoline_ready = true;
}

/* The executing CPU's CR3. */
static uint64_t cr3_read(void)
{
	uint64_t cr3;
	__asm__ volatile("movq %%cr3, %0" : "=r"(cr3));
	return cr3;
}

/* Waits up to ns for cpu to check in; true when it did. */
static bool smp_wait_online(unsigned cpu, uint64_t ns)
{
	uint64_t end = plat_time_ns() + ns;

	while (!atomic_load_acquire(&pc_cpus[cpu].online)) {
		if (plat_time_ns() >= end)
			return false;
		arch_cpu_relax();
	}
	return true;
}

/* Starts CPU cpu running entry(arg) on stack_top; -EINVAL for a bad or started cpu,
 * -EIO when it never checked in (it is then sent INIT again, back to waiting). */
int plat_cpu_start(unsigned cpu, void *stack_top, void (*entry)(void *arg), void *arg)
{
	if (cpu == 0 || cpu >= plat_cpu_count() || atomic_load(&pc_cpus[cpu].online) || !entry ||
	    !IS_ALIGNED((uintptr_t)stack_top, 16))
		return -EINVAL;
	if (!trampoline_ready)
		smp_prepare_trampoline();
	ap_start.cpu = cpu;
	ap_start.entry = entry;
	ap_start.arg = arg;
	pc_ap_cr3 = cr3_read();
	pc_ap_stack_top = (uint64_t)(uintptr_t)stack_top;

	uint32_t apic_id = pc_cpus[cpu].apic_id;
	lapic_send_init(apic_id);
	pc_delay_ns(INIT_WAIT_NS);
	lapic_send_startup(apic_id, PC_TRAMPOLINE_PHYS >> 12);
	if (!smp_wait_online(cpu, STARTUP_WAIT_NS))
		lapic_send_startup(apic_id, PC_TRAMPOLINE_PHYS >> 12);
	if (smp_wait_online(cpu, CHECK_IN_WAIT_NS))
		return 0;
	kprintf("smp: CPU %u (APIC id %u) did not start\n", cpu, apic_id);
	lapic_send_init(apic_id);
	return -EIO;
}

/* Where an AP's 64-bit code lands (boot.S), on its stack: its own GDT, the IDT and its
 * per-CPU data, then it checks in and calls the kernel's entry. */
NORETURN void pc_ap_main(void)
{
	unsigned cpu = ap_start.cpu;
	void (*entry)(void *arg) = ap_start.entry;
	void *arg = ap_start.arg;

	gdt_init(cpu);
	idt_load();
	pc_cpu_set_current(cpu);
	pc_user_cpu_init();
	atomic_store_release(&pc_cpus[cpu].online, true);
	entry(arg);
	panic("pc_ap_main: CPU %u's entry returned", cpu);
}
