/* plat.h for aarch64 boards booted with a device tree (QEMU virt first). The kernel runs
 * at EL1 in the TTBR1 half, at KERNEL_OFFSET + physical (mmu.c). */
#include <amphi/arch.h>
#include <amphi/cmdline.h>
#include <amphi/irq.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/plat.h>

#include "virt.h"


static struct fdt plat_fdt;
uint64_t boot_entry_el;

/* True when RAM holds all of [base, base + size). */
static bool plat_in_ram(const struct boot_info *info, paddr_t base, uint64_t size)
{
	for (size_t i = 0; i < info->ram_count; i++)
		if (base >= info->ram[i].base &&
		    base + size <= info->ram[i].base + info->ram[i].size)
			return true;
	return false;
}

/* Reads the device tree (memory, console, PSCI, CPUs, timer), reserves the image and the
 * blob and brings up the interrupt controller; the MMU is on already (mmu_boot). */
void plat_init(void *bootinfo, struct boot_info *info)
{
	paddr_t image = plat_virt_to_phys(_start);
	uint64_t image_size = (uint64_t)(_end - _start);

	discover_fdt((paddr_t)(uintptr_t)bootinfo, &plat_fdt);
	int err = fdt_fill_boot_info(&plat_fdt, info);
	if (err)
		panic("boot: cannot read memory and command line from the device tree (%d)", err);
	if (!info->cmdline)
		info->cmdline = "";
	/* The platform's own boot messages obey "quiet" too: a quiet console carries a user
	 * program's output and nothing else. */
	kprintf_set_quiet(cmdline_has(info->cmdline, "quiet"));
	pl011_init(discover_console(&plat_fdt));
	psci_set_conduit(discover_psci(&plat_fdt));
	cpu_discover(&plat_fdt);
	timer_init(&plat_fdt);
	rtc_init(&plat_fdt);

	uint64_t dropped = mmu_trim_ram(info);
	if (!plat_in_ram(info, image, image_size))
		panic("boot: kernel image at %#llx is outside the RAM the device tree describes",
		      (unsigned long long)image);
	boot_info_add_reserved(info, image, image_size); /* .bss, boot stack and page tables too */
	boot_info_add_reserved(info, plat_virt_to_phys(plat_fdt.blob), plat_fdt.total_size);
	info->fdt = plat_fdt.blob;
	info->name = "aarch64-virt";

	kprintf("boot: entered at EL%llu, running at EL1\n", (unsigned long long)boot_entry_el);
	a64_user_cpu_init();
	virt_irq_init(&plat_fdt);
	kprintf("boot: %u CPU%s, %s, timer INTID %u at %llu Hz\n", plat_cpu_count(),
		plat_cpu_count() == 1 ? "" : "s", irq_chip() ? irq_chip()->name : "no GIC",
		plat_timer_irq(), (unsigned long long)timer_frequency());
	if (dropped)
		kprintf("boot: ignoring %llu MiB of RAM above the %llu GiB kernel map\n",
			(unsigned long long)(dropped >> 20),
			(unsigned long long)(MMU_PA_LIMIT >> 30));
	if (!pl011_base())
		kprintf("boot: no arm,pl011 UART in the device tree\n"); /* lost, unless early */
}

/* No host issues syscalls on a real machine. */
enum plat_hostcall_order plat_hostcall_still(const struct plat_hostcall_task *tasks,
					     struct plat_hostcall **call)
{
	(void)tasks, (void)call;
	return PLAT_HOSTCALL_STOP;
}

/* PSCI SYSTEM_OFF; when the firmware refuses, the CPU says so and halts. */
NORETURN void plat_poweroff(int status)
{
	(void)status; /* PSCI has no exit status: the console line carries it */
	int err = psci_system_off();
	kprintf("amphi: PSCI SYSTEM_OFF failed (%d); halting\n", err);
	plat_halt();
}

/* Masks every interrupt and waits forever. */
NORETURN void plat_halt(void)
{
	__asm__ volatile("msr daifset, #0xf" ::: "memory");
	for (;;)
		__asm__ volatile("wfi");
}
