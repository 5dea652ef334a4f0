/*
 * The kernel as a library: the host program's thread is CPU 0, and it runs either the host
 * program or the kernel, never both. sim_hostcall_boot switches from the caller's stack to
 * the kernel's boot stack; kmain starts the served process (kernel/proc/hostcall.c), whose
 * thread, pinned to CPU 0, switches back to the caller in plat_hostcall_next. Each
 * sim_hostcall switches into that thread with a request and returns when it asks for the
 * next. So a request runs in a real process context, through the real dispatcher, and the
 * machine stands still (interrupts masked on CPU 0, which holds the deterministic turn)
 * while the host program runs: no second host thread, no wake-up across threads, and the
 * run stays deterministic. The cost is that every call must come from the booting thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amphi/arch.h>
#include <amphi/init.h>
#include <amphi/plat.h>

#include "sim.h"

#define HOSTCALL_BOOT_STACK_SIZE ((SIM_ASAN ? 256 : 64) * 1024)

static struct {
	uintptr_t host_sp;	     /* the host program's context while the kernel runs */
	uintptr_t kernel_sp;	     /* the served thread's (at first the boot stack's) */
	const void *host_lo;	     /* the host stack's range, for ASan */
	size_t host_size;
	struct plat_hostcall *call;  /* the request being handed in, or NULL: no more */
	bool serving;		     /* the served thread waits in plat_hostcall_next */
	struct sim_stack boot_stack;
} hostcall;

/* Switches from the host program into the kernel, which switches back when it waits for
 * the next request (or when it can serve none). */
static void hostcall_enter_kernel(void)
{
	struct tool_switch save;
	uintptr_t lo = 0, hi = 0;

	sim_stack_find(hostcall.kernel_sp, &lo, &hi);
	tool_switch_begin(&save, (void *)lo, hi - lo, NULL, false);
	arch_ctx_switch(&hostcall.host_sp, hostcall.kernel_sp);
	tool_switch_end(&save);
}

/* First function on the boot stack: notes the host stack and enters the kernel. */
static SIM_NORETURN void hostcall_boot_entry(void *bootinfo)
{
	tool_switch_end_from(NULL, &hostcall.host_lo, &hostcall.host_size);
	kmain(bootinfo);
}

int sim_hostcall_boot(void *bootinfo)
{
	int err = sim_stack_create(&hostcall.boot_stack, HOSTCALL_BOOT_STACK_SIZE);

	if (err)
		return err;
	hostcall.kernel_sp = arch_ctx_init_stack((uintptr_t)hostcall.boot_stack.hi,
						 hostcall_boot_entry, bootinfo);
	hostcall_enter_kernel();
	return hostcall.serving ? 0 : -ECHILD;
}

long sim_hostcall(struct plat_hostcall *call)
{
	if (!hostcall.serving)
		return -ESHUTDOWN;
	hostcall.call = call;
	call->result = -ENOSYS;
	hostcall_enter_kernel();
	return call->result;
}

void sim_hostcall_stop(void)
{
	hostcall.serving = false;
}

struct plat_hostcall *plat_hostcall_next(struct plat_hostcall *done)
{
	struct tool_switch save;

	(void)done; /* its result is in place already: the host reads it */
	if (plat_cpu_id() != 0)
		return NULL; /* the host program's thread is CPU 0's: nothing comes in elsewhere */
	hostcall.serving = true;
	tool_switch_begin(&save, hostcall.host_lo, hostcall.host_size, NULL, false);
	arch_ctx_switch(&hostcall.kernel_sp, hostcall.host_sp);
	tool_switch_end_from(&save, &hostcall.host_lo, &hostcall.host_size);
	return hostcall.serving ? hostcall.call : NULL;
}
