/* PSCI power control through the conduit the device tree names (SMCCC calling
 * convention: function id in x0, result in x0, x1-x17 may be clobbered). */
#include <amphi/errno.h>

#include "virt.h"

#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_CPU_ON_64 0xc4000003u

static enum psci_conduit psci_conduit = PSCI_NONE;

void psci_set_conduit(enum psci_conduit conduit)
{
	psci_conduit = conduit;
}

bool psci_available(void)
{
	return psci_conduit != PSCI_NONE;
}

/* Issues a PSCI call with up to three arguments; the conduit must not be PSCI_NONE. */
static int64_t psci_call(uint32_t function, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = function;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	if (psci_conduit == PSCI_HVC)
		__asm__ volatile("hvc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				   "x14", "x15", "x16", "x17", "memory");
	else
		__asm__ volatile("smc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				   "x14", "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

int psci_cpu_on(uint64_t mpidr, paddr_t entry, uint64_t context)
{
	if (psci_conduit == PSCI_NONE)
		return -ENOSYS;
	return (int)psci_call(PSCI_CPU_ON_64, mpidr, entry, context);
}

int psci_system_off(void)
{
	if (psci_conduit == PSCI_NONE)
		return -ENOSYS;
	return (int)psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
}
