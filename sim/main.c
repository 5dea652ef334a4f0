/*
 * The hosted machine: Amphi as a Linux process. main() builds the machine (RAM, device
 * tree, CPUs, interrupt controller, clock, console, fault handling, watchdog) and enters
 * the kernel on CPU 0, on its own stack; the process ends when the kernel powers off or
 * halts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "sim.h"

/* Opens the display's window. When one was asked for (--display sdl) and cannot open, the
 * run ends with a line; the default window of a desktop session leaves the display
 * offscreen instead. */
static void main_display_window(const struct sim_options *opts)
{
	const char *why = sim_sdl_start(opts->display_width, opts->display_height);

	if (!why)
		return;
	if (!opts->display_auto) {
		fprintf(stderr, "amphi: --display sdl: %s\n", why);
		exit(SIM_EXIT_HOST);
	}
	fprintf(stderr, "amphi: no window for the display (%s); --display none hides it\n", why);
}

#define MAIN_HEAP_PREFAULT (256u << 10) /* about what the machine's set-up allocates */

int main(int argc, char **argv)
{
	struct sim_options opts;

	/* No transparent huge pages: each first touch of Unicorn's code buffers and tables,
	 * and of the CPUs' stacks, would zero 2 MiB (a third of the boot's CPU time); RAM is
	 * a memfd, which has none anyway. */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	sim_heap_init();
	sim_heap_prefault(MAIN_HEAP_PREFAULT);
	sim_console_claim_std_fds();
	sim_options_parse(argc, argv, &opts);
	sim_gdb_replay_prepare(&opts, argv); /* may run this program again, from the start */
	/* first, so that opening it overlaps the whole machine's set-up: it needs none of it
	 * (but not in a machine that may be replayed: a thread that maps memory meanwhile
	 * would move what the set-up maps, and every replay must find the same addresses) */
	if ((opts.exec_argv || opts.init_path) && !sim_gdb_replay_ready(NULL))
		sim_user_open_early();
	sim_symbolize_init();
	sim_ram_init(opts.mem_size);
	sim_rng_init(&opts);
	sim_blk_init(&opts);
	sim_gpu_init(&opts);
	sim_input_init(&opts);
	void *dtb = sim_boot_place_dtb(&opts);
	sim_cpus_init(&opts);
	sim_sched_init(opts.seed);
	sim_gic_init(opts.cpus);
	sim_time_init(opts.time);
	sim_irq_init();
	if (opts.display == SIM_DISPLAY_SDL) /* its keys need the machine's lock */
		main_display_window(&opts);
	sim_console_init();
	sim_fault_init();
	sim_user_init();
	sim_gdbstub_init(&opts);
	sim_watchdog_init(opts.watchdog_s);
	sim_boot_start(dtb);
}
