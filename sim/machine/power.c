/* Power control: on the hosted machine, powering off ends the process with the status. */
#include <stdio.h>
#include <stdlib.h>

#include <amphi/plat.h>
#include <amphi/power.h>

#include "sim.h"

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
