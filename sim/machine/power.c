/* Power control: on the hosted machine, powering off ends the process with the status. */
#include <stdio.h>
#include <stdlib.h>

#include <amphi/plat.h>
#include <amphi/power.h>

#include "sim.h"

/* Writes line to the --trace-hash file; a file that cannot be written is reported. */
static void power_write_hash_file(const char *line)
{
	FILE *f = fopen(sim_machine.trace_hash_file, "w");

	if (!f || fputs(line, f) < 0 || fclose(f) != 0)
		fprintf(stderr, "amphi: cannot write the trace hash to %s\n",
			sim_machine.trace_hash_file);
}

/* In deterministic mode: the schedule's trace hash, so a run can be compared with another
 * of the same seed; on the console except under `amphi exec`, whose output is the
 * program's alone, and in the --trace-hash file. */
void plat_poweroff_report(void)
{
	char line[64];

	if (!sim_deterministic())
		return;
	sim_lock();
	int n = snprintf(line, sizeof(line), "trace hash: %016llx\n",
			 (unsigned long long)sim_trace_hash());
	sim_unlock();
	if (!sim_machine.quiet)
		plat_console_write(line, (size_t)n);
	if (sim_machine.trace_hash_file)
		power_write_hash_file(line);
}

/* exit() runs the atexit handlers, which restore the terminal. */
void plat_poweroff(int status)
{
	sim_gpu_poweroff();
	sim_sdl_stop();
	fflush(NULL);
	exit(status);
}

/* A halted machine can never be woken here, so the process ends with the panic status. */
void plat_halt(void)
{
	sim_sdl_stop();
	fflush(NULL);
	exit(POWEROFF_PANIC);
}
