/* Powering off: the kernel's last words, then the platform's power control. */
#include <amphi/kprintf.h>
#include <amphi/plat.h>
#include <amphi/power.h>
#include <amphi/smp.h>

NORETURN void kernel_poweroff(int status)
{
	plat_irq_disable();
	smp_stop_others();
	plat_poweroff_report();
	kprintf(POWEROFF_LINE_FMT, status);
	plat_poweroff(status);
}
