/* PSCI power control through the conduit the device tree names (SMCCC calling
 * convention: function id in x0, result in x0, x1-x17 may be clobbered). */
#include <amphi/errno.h>

#include "virt.h"

#define PSCI_SYSTEM_OFF 0x84000008u

static enum psci_conduit psci_conduit = PSCI_NONE;

void psci_set_conduit(enum psci_conduit conduit)
{
	psci_conduit = conduit;
}

/* Issues one argument-less PSCI call; the conduit must not be PSCI_NONE. */
static int64_t psci_call0(uint32_t function)
{
	register uint64_t x0 __asm__("x0") = function;

	if (psci_conduit == PSCI_HVC)
		__asm__ volatile("hvc #0"
				 : "+r"(x0)
				 :
				 : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
				   "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
	else
		__asm__ volatile("smc #0"
				 : "+r"(x0)
				 :
				 : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
				   "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

int psci_system_off(void)
{
	if (psci_conduit == PSCI_NONE)
		return -ENOSYS;
	return (int)psci_call0(PSCI_SYSTEM_OFF);
}
