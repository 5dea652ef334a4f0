/* The x86_64 PC platform: boot-data dispatch, bring-up order, console, power. */
#include <amphi/arch.h>
#include <amphi/cmdline.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/plat.h>

#include "acpi.h"
#include "io.h"
#include "pc.h"

#define LOW_MEMORY_END (1ULL << 20) /* IVT, BIOS data, EBDA, VGA, option ROMs */
#define ISA_DEBUG_EXIT_PORT 0xf4
#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

/* Image bounds (linker.ld): physical addresses. */
extern char __kernel_phys_start[], __kernel_phys_end[];

/* The kernel's copy of the command line: boot data may be reused once RAM is handed out. */
static char plat_cmdline[2048];

/* Fills p from the boot data of whichever protocol entered the image; panics when it is
 * missing or unusable, since there is nothing to fall back on. */
static void plat_parse_boot_data(const struct pc_boot_handoff *handoff, struct pc_boot_parse *p)
{
	switch (handoff->protocol) {
	case PC_BOOT_PVH:
		p->info->name = "pc (PVH)";
		if (pvh_parse(handoff->info_paddr, p))
			panic("pc: unusable PVH start_info (see above)");
		return;
	case PC_BOOT_MULTIBOOT2:
		if (handoff->magic != PC_MB2_BOOT_MAGIC)
			panic("multiboot2: bad boot magic %#x in EAX (expected %#x): not started "
			      "by a Multiboot2 loader",
			      handoff->magic, PC_MB2_BOOT_MAGIC);
		p->info->name = "pc (Multiboot2)";
		if (multiboot2_parse(handoff->info_paddr, p))
			panic("pc: unusable Multiboot2 boot information (see above)");
		return;
	default:
		panic("pc: unknown boot protocol %u", handoff->protocol);
	}
}

/* Masks every input of both 8259 PICs: interrupts come through the IOAPICs. */
static void pic_mask_all(void)
{
	io_out8(PIC1_DATA, 0xff);
	io_out8(PIC2_DATA, 0xff);
}

/* True when the AP trampoline's page is RAM (reserved with the rest of the low MiB). */
static bool plat_trampoline_page_is_ram(const struct boot_info *info)
{
	for (size_t i = 0; i < info->ram_count; i++)
		if (info->ram[i].base <= PC_TRAMPOLINE_PHYS &&
		    PC_TRAMPOLINE_PHYS + PAGE_SIZE <= info->ram[i].base + info->ram[i].size)
			return true;
	return false;
}

/* Finds the CPUs and interrupt controllers, then calibrates the clock and the timer. */
static void plat_init_cpus_irqs_time(const struct boot_info *info, paddr_t rsdp)
{
	static struct acpi_madt madt;

	pic_mask_all();
	pc_acpi_init(rsdp, &madt);
	lapic_init(madt.lapic_base);
	if (!plat_trampoline_page_is_ram(info) && madt.cpu_count > 1) {
		kprintf("pc: page %#x for starting CPUs is not RAM; running on one CPU\n",
			PC_TRAMPOLINE_PHYS);
		madt.cpu_count = 0;
	}
	pc_cpus_from_madt(&madt, lapic_id());
	pc_cpus[0].online = true;
	ioapic_init(&madt);
	tsc_init();
	rtc_init();
	lapic_timer_init();
}

/* Brings up the boot CPU's descriptor tables and per-CPU data, COM1, the boot data that
 * boot.S recorded in the struct pc_boot_handoff at bootinfo, then CPUs, interrupts, time. */
void plat_init(void *bootinfo, struct boot_info *info)
{
	struct pc_boot_parse parse = {info, plat_cmdline, sizeof(plat_cmdline), 0};

	gdt_init(0);
	pc_cpu_set_current(0);
	idt_init();
	uart16550_init();

	*info = (struct boot_info){.cmdline = "", .fdt = NULL, .name = "pc"};
	if (!bootinfo)
		panic("pc: no boot handoff from boot.S");
	boot_info_add_reserved(info, 0, LOW_MEMORY_END);
	boot_info_add_reserved(info, PC_TRAMPOLINE_PHYS, PAGE_SIZE); /* inside the above */
	boot_info_add_reserved(info, (paddr_t)(uintptr_t)__kernel_phys_start,
			       (uintptr_t)__kernel_phys_end - (uintptr_t)__kernel_phys_start);
	plat_parse_boot_data(bootinfo, &parse);
	/* The platform's own boot messages obey "quiet" too: a quiet console carries a user
	 * program's output and nothing else. */
	bool quiet = cmdline_has(info->cmdline, "quiet");
	kprintf_set_quiet(quiet);
	/* Firmware and GRUB may leave a partial line on COM1: start on a fresh one. */
	if (!quiet)
		plat_console_write("\n", 1);
	pc_user_cpu_init();
	if (info->ram_count == 0)
		panic("pc: the firmware memory map reports no usable RAM");
	direct_map_grow(info);
	plat_init_cpus_irqs_time(info, parse.rsdp);
}

/* Writes n bytes to COM1. */
void plat_console_write(const char *buf, size_t n)
{
	uart16550_write(buf, n);
}

/* Next COM1 input byte, or -EAGAIN. */
int plat_console_getc(void)
{
	return uart16550_getc();
}

/* No host issues syscalls on a real machine. */
enum plat_hostcall_order plat_hostcall_still(const struct plat_hostcall_task *tasks,
					     struct plat_hostcall **call)
{
	(void)tasks, (void)call;
	return PLAT_HOSTCALL_STOP;
}

/* Exits QEMU through isa-debug-exit (exit status (status << 1) | 1); elsewhere the write
 * goes nowhere, and the CPU says so and halts. */
NORETURN void plat_poweroff(int status)
{
	io_out32(ISA_DEBUG_EXIT_PORT, (uint32_t)status);
	kputs("amphi: no isa-debug-exit device took the power off; halting\n");
	plat_halt();
}

/* Stops this CPU for good with interrupts masked. */
NORETURN void plat_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" : : : "memory");
}
