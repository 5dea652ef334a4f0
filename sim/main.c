/*
 * The hosted machine: Amphi as a Linux process. main() builds the machine (RAM, device
 * tree, console, fault handling) and enters the kernel on its own stack; the process ends
 * when the kernel powers off or halts.
 */
#include "sim.h"

int main(int argc, char **argv)
{
	struct sim_options opts;

	sim_console_claim_std_fds();
	sim_options_parse(argc, argv, &opts);
	sim_symbolize_init();
	sim_ram_init(opts.mem_size);
	void *dtb = sim_boot_place_dtb(opts.cmdline);
	sim_console_init();
	sim_fault_init();
	sim_boot_start(dtb);
}
