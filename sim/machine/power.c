/* Power control: on the hosted machine, powering off ends the process with the status. */
#include <stdio.h>
#include <stdlib.h>

#include <amphi/plat.h>
#include <amphi/power.h>

#include "sim.h"

/* In deterministic mode: the schedule's trace hash, so a run can be compared with another
 * of the same seed; not under `amphi exec`, whose output is the program's alone. */
void plat_poweroff_report(void)
{
	char line[64];

	if (!sim_deterministic() || sim_machine.quiet)
		return;
	sim_lock();
	int n = snprintf(line, sizeof(line), "trace hash: %016llx\n",
			 (unsigned long long)sim_trace_hash());
	sim_unlock();
	plat_console_write(line, (size_t)n);
}

/* exit() runs the atexit handlers, which restore the terminal. */
void plat_poweroff(int status)
{
	fflush(NULL);
	exit(status);
}

/* A halted machine can never be woken here, so the process ends with the panic status. */
void plat_halt(void)
{
	fflush(NULL);
	exit(POWEROFF_PANIC);
}
