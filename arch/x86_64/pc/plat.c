/* The x86_64 PC platform: boot-data dispatch, console, power. */
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/plat.h>

#include "io.h"
#include "pc.h"

#define LOW_MEMORY_END (1ULL << 20) /* IVT, BIOS data, EBDA, VGA, option ROMs */
#define ISA_DEBUG_EXIT_PORT 0xf4

/* Image bounds (linker.ld): physical addresses. */
extern char __kernel_phys_start[], __kernel_phys_end[];

/* The kernel's copy of the command line: boot data may be reused once RAM is handed out. */
static char plat_cmdline[2048];

/* Fills info from the boot data of whichever protocol entered the image; panics when it is
 * missing or unusable, since there is nothing to fall back on. */
static void plat_parse_boot_data(const struct pc_boot_handoff *handoff, struct boot_info *info)
{
	struct pc_boot_parse parse = {info, plat_cmdline, sizeof(plat_cmdline)};

	switch (handoff->protocol) {
	case PC_BOOT_PVH:
		info->name = "pc (PVH)";
		if (pvh_parse(handoff->info_paddr, &parse))
			panic("pc: unusable PVH start_info (see above)");
		return;
	case PC_BOOT_MULTIBOOT2:
		if (handoff->magic != PC_MB2_BOOT_MAGIC)
			panic("multiboot2: bad boot magic %#x in EAX (expected %#x): not started "
			      "by a Multiboot2 loader",
			      handoff->magic, PC_MB2_BOOT_MAGIC);
		info->name = "pc (Multiboot2)";
		if (multiboot2_parse(handoff->info_paddr, &parse))
			panic("pc: unusable Multiboot2 boot information (see above)");
		return;
	default:
		panic("pc: unknown boot protocol %u", handoff->protocol);
	}
}

void pc_up_register_chip(void);

/* Brings up COM1, the GDT and IDT, then parses the PVH or Multiboot2 boot data that
 * boot.S recorded in the struct pc_boot_handoff at bootinfo. */
void plat_init(void *bootinfo, struct boot_info *info)
{
	uart16550_init();
	/* Firmware and GRUB may leave a partial line on COM1: start on a fresh one. */
	plat_console_write("\n", 1);
	gdt_init();
	idt_init();

	*info = (struct boot_info){.cmdline = "", .fdt = NULL, .name = "pc"};
	if (!bootinfo)
		panic("pc: no boot handoff from boot.S");
	boot_info_add_reserved(info, 0, LOW_MEMORY_END);
	boot_info_add_reserved(info, (paddr_t)(uintptr_t)__kernel_phys_start,
			       (uintptr_t)__kernel_phys_end - (uintptr_t)__kernel_phys_start);
	plat_parse_boot_data(bootinfo, info);
	if (info->ram_count == 0)
		panic("pc: the firmware memory map reports no usable RAM");
	direct_map_grow(info);
	pc_up_register_chip();
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
