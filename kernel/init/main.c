/* kmain: the portable start-up sequence shared by every platform. */
#include <amphi/arch.h>
#include <amphi/cmdline.h>
#include <amphi/errno.h>
#include <amphi/init.h>
#include <amphi/init_args.h>
#include <amphi/kprintf.h>
#include <amphi/fs.h>
#include <amphi/ktest.h>
#include <amphi/mm.h>
#include <amphi/monitor.h>
#include <amphi/panic.h>
#include <amphi/planted.h>
#include <amphi/plat.h>
#include <amphi/power.h>
#include <amphi/proc.h>
#include <amphi/sched.h>
#include <amphi/smp.h>
#include <amphi/sync.h>
#include <amphi/timer.h>
#include <amphi/virtio.h>
#include <amphi/vm.h>

static struct boot_info boot_info;

/* Prints what the platform reported, so every boot log shows the memory map. */
static void print_boot_info(const struct boot_info *info)
{
	kprintf("amphi: %s on %s, cmdline \"%s\"\n", ARCH_NAME, info->name, info->cmdline);
	for (size_t i = 0; i < info->ram_count; i++)
		kprintf("amphi: ram      [0x%016llx-0x%016llx)\n",
			(unsigned long long)info->ram[i].base,
			(unsigned long long)(info->ram[i].base + info->ram[i].size));
	for (size_t i = 0; i < info->reserved_count; i++)
		kprintf("amphi: reserved [0x%016llx-0x%016llx)\n",
			(unsigned long long)info->reserved[i].base,
			(unsigned long long)(info->reserved[i].base + info->reserved[i].size));
}

/* Brings up scheduling, interrupts and time on the boot CPU, then the other CPUs. */
static void start_cpus(const struct boot_info *info)
{
	const struct irq_chip *chip = irq_chip();

	if (!chip)
		panic("kmain: the platform registered no interrupt controller");
	lockdep_init(info->cmdline);
	sched_init();
	chip->cpu_init();
	time_cpu_init();
	plat_irq_enable();
	smp_init();
}

/* Builds the file system tree, with the initial RAM disk unpacked into its root. */
static void start_vfs(const struct boot_info *info)
{
	const void *initrd = info->initrd.size ? plat_phys_to_virt(info->initrd.base) : NULL;

	if (vfs_init(initrd, info->initrd.size) < 0)
		panic("kmain: no memory for the root file system");
}

/* Runs the ktest selection from the command line and powers off with its verdict. */
static NORETURN void run_ktests(const char *selection)
{
	int failed = ktest_run(selection);

	kernel_poweroff(failed == 0 ? POWEROFF_PASS : POWEROFF_FAIL);
}

NORETURN void kmain(void *bootinfo)
{
	char selection[64];

	plat_init(bootinfo, &boot_info);
	init_args_split(&boot_info);
	kprintf_set_quiet(cmdline_has(boot_info.cmdline, "quiet"));
	print_boot_info(&boot_info);
	vm_init(boot_info.cmdline);
	page_alloc_init(&boot_info);
	kprintf("amphi: %zu of %zu pages free\n", page_alloc_free_pages(),
		page_alloc_total_pages());
	start_cpus(&boot_info);
	start_vfs(&boot_info);
	virtio_discover(&boot_info);

	int n = cmdline_get(boot_info.cmdline, "ktest", selection, sizeof(selection));
	if (n > 0)
		run_ktests(selection);
	planted_bugs_init(boot_info.cmdline);
	if (cmdline_has(boot_info.cmdline, "hostcalls")) /* the hosted library's machine */
		kernel_poweroff(hostcall_serve());
	int status = init_run_program(&boot_info);
	if (status >= 0)
		kernel_poweroff(status);
	if (n == 0)
		kprintf("amphi: ignoring ktest without a selection (use ktest=all)\n");
	else if (n != -ENOENT)
		kprintf("amphi: ignoring bad ktest= option (%d)\n", n);
	kernel_poweroff(monitor_run(boot_info.cmdline));
}
