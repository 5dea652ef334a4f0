/* panic and backtraces. */
#include <amphi/arch.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/power.h>
#include <amphi/sched.h>
#include <amphi/smp.h>

/* 1 + the CPU of the first panic, so a panic while panicking cannot loop and a second
 * CPU panicking at the same time leaves the report to the first. */
static int panic_active;

/* Prints one backtrace line, symbolized when the platform can. */
static void backtrace_print_frame(unsigned index, uintptr_t pc)
{
	char sym[128];

	if (plat_symbolize(pc, sym, sizeof(sym)) < 0)
		kprintf("  #%u 0x%lx\n", index, (unsigned long)pc);
	else
		kprintf("  #%u 0x%lx %s\n", index, (unsigned long)pc, sym);
}

/* Walks frame records from this function's own frame: stops at a NULL, misaligned or
 * non-increasing frame pointer, since stacks grow down and boot code ends the chain with 0. */
void __attribute__((noinline)) backtrace_print(unsigned max_frames)
{
	const struct arch_frame_record *fp = arch_frame_pointer();

	for (unsigned i = 0; i < max_frames; i++) {
		if (!fp || !IS_ALIGNED((uintptr_t)fp, sizeof(void *)) || !fp->return_address)
			break;
		backtrace_print_frame(i, fp->return_address);
		if ((uintptr_t)fp->next <= (uintptr_t)fp)
			break;
		fp = fp->next;
	}
}

/* Names the CPU and thread that panicked. */
static void panic_print_where(void)
{
	struct thread *t = thread_current();

	kprintf("panic: on CPU %u of %u, thread \"%s\"\n", plat_cpu_id(), plat_cpu_count(),
		t ? t->name : "(boot)");
}

NORETURN void panic(const char *fmt, ...)
{
	va_list ap;
	int cpu = (int)plat_cpu_id() + 1;
	int first = __atomic_exchange_n(&panic_active, cpu, __ATOMIC_SEQ_CST);
	bool nested = first != 0;

	if (nested && first != cpu) {
		plat_irq_disable(); /* another CPU is reporting its panic and will stop us */
		plat_cpu_park();
	}
	kprintf_set_quiet(false);
	kputs(nested ? "panic (while panicking): " : "panic: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kputs("\n");
	if (nested)
		plat_halt();
	panic_print_where();
	backtrace_print(32);
	kernel_poweroff(POWEROFF_PANIC);
}
