/*
 * Kernel faults. Kernel code runs natively in the process, so a wild access arrives as a
 * host signal. The handler runs on its own stack (the kernel stack may be what
 * overflowed), reports the fault and a backtrace on the console like a panic, and ends
 * the run with the panic status. Frame records are followed only while they lie inside a
 * registered kernel stack, so a corrupt chain stops the walk instead of faulting again.
 * Under ASan and TSan the handler is not installed: they report these faults themselves.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <amphi/arch.h>
#include <amphi/plat.h>
#include <amphi/power.h>

#include "sim.h"

#define FAULT_STACK_SIZE (256 * 1024) /* the symbolizer parses DWARF on it */
#define FAULT_MAX_FRAMES 64

void sim_console_printf(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		plat_console_write(line, MIN((size_t)n, sizeof(line) - 1));
}

/* Prints backtrace line index, in panic's format: the faulting instruction when exact,
 * else a return address. */
static void fault_print_frame(unsigned index, uintptr_t pc, bool exact)
{
	char sym[256];
	int n = exact ? sim_symbolize_exact(pc, sym, sizeof(sym))
		      : plat_symbolize(pc, sym, sizeof(sym));

	if (n < 0)
		sim_console_printf("  #%u 0x%lx\n", index, (unsigned long)pc);
	else
		sim_console_printf("  #%u 0x%lx %s\n", index, (unsigned long)pc, sym);
}

void sim_backtrace_print(uintptr_t pc, uintptr_t fp, bool exact)
{
	const struct arch_frame_record *rec = (const void *)fp;

	fault_print_frame(0, pc, exact);
	for (unsigned i = 1; i < FAULT_MAX_FRAMES; i++) {
		if ((uintptr_t)rec % sizeof(void *) ||
		    !sim_stack_holds((uintptr_t)rec, sizeof(*rec)) || !rec->return_address)
			return;
		fault_print_frame(i, rec->return_address, false);
		if ((uintptr_t)rec->next <= (uintptr_t)rec) /* callers sit higher: no loops */
			return;
		rec = rec->next;
	}
}

/* What the signal says about the fault, for the line after the address. */
static const char *fault_kind(int sig, uintptr_t addr)
{
	if (sig == SIGSEGV && sim_stack_in_guard(addr))
		return "kernel stack overflow";
	switch (sig) {
	case SIGSEGV:
		return "invalid memory access (SIGSEGV)";
	case SIGBUS:
		return "bus error (SIGBUS)";
	case SIGILL:
		return "illegal instruction (SIGILL)";
	case SIGFPE:
		return "arithmetic exception (SIGFPE)";
	default:
		return "fault";
	}
}

/* Reports a fault in kernel code and ends the run with the panic status. It calls more than
 * the async-signal-safe set (vsnprintf, libbacktrace, dladdr), which is sound here: the fault
 * is synchronous, in kernel code that holds no libc lock, and the handler never returns. */
static void fault_handler(int sig, siginfo_t *si, void *ucontext)
{
	static volatile sig_atomic_t busy;
	uintptr_t pc, fp, addr = (uintptr_t)si->si_addr;

	if (busy) /* faulted while reporting: give up quietly */
		_exit(POWEROFF_PANIC);
	busy = 1;
	sim_console_restore();
	sim_fault_regs(ucontext, &pc, &fp);
	sim_console_printf("amphi: kernel fault at %#lx (pc %#lx)\n", (unsigned long)addr,
			   (unsigned long)pc);
	sim_console_printf("amphi: %s\n", fault_kind(sig, addr));
	sim_backtrace_print(pc, fp, true);
	_exit(POWEROFF_PANIC);
}

/* Gives the handler a stack of its own; returns false when the host refuses one. */
static bool fault_alt_stack(void)
{
	stack_t ss = {.ss_size = FAULT_STACK_SIZE};

	ss.ss_sp = mmap(NULL, FAULT_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (ss.ss_sp == MAP_FAILED)
		return false;
	return sigaltstack(&ss, NULL) == 0;
}

void sim_fault_init(void)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
	struct sigaction sa = {.sa_sigaction = fault_handler};

	if (SIM_SANITIZER_REPORTS_FAULTS)
		return;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	if (fault_alt_stack())
		sa.sa_flags |= SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}
