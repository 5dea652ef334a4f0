/*
 * monitor.h: the kernel monitor, a line-oriented console for poking at a running kernel.
 * Subsystems add commands beside their own code, so the monitor includes none of them:
 *
 *   static int monitor_mem(const char *arg) { ...; return MONITOR_STAY; }
 *   MONITOR_COMMAND(mem_cmd, "mem", "page allocator and kmalloc usage", monitor_mem);
 */
#pragma once

#include <amphi/types.h>

/* A command handler's result that keeps the monitor running; any value >= 0 leaves it and
 * powers off with that status. */
#define MONITOR_STAY (-1)

struct monitor_cmd {
	const char *name;
	const char *help;
	int (*run)(const char *arg); /* arg: the rest of the line, "" when none */
};

/* Defines and registers a monitor command. */
#define MONITOR_COMMAND(sym, name_, help_, fn_)                    \
	static const struct monitor_cmd sym = {name_, help_, fn_}; \
	static const struct monitor_cmd *const sym##_ptr           \
	    __attribute__((used, section("monitor_cmds"), aligned(sizeof(void *)))) = &sym

/* Runs the monitor on the console until a command asks to power off or the input closes;
 * returns the power-off status. cmdline is the boot command line its "cmdline" shows. */
int monitor_run(const char *cmdline);
