/* Powering off: the kernel's last words, then the platform's power control. */
#include <amphi/console.h>
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
	irqflags_t flags = console_lock();
	console_set_mirror(NULL); /* the display keeps this line; the platform's notes (an
				   * x86 machine without an exit device) go to the console only */
	console_unlock(flags);
	plat_poweroff(status);
}
