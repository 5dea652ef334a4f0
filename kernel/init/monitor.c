/* The kernel monitor: a tiny line-oriented console for poking at a running kernel. Its
 * commands live beside the subsystems they show and register in the monitor_cmds section. */
#include <amphi/arch.h>
#include <amphi/console.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/ktest.h>
#include <amphi/monitor.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/power.h>
#include <amphi/string.h>

#define MONITOR_LINE_MAX 128

extern const struct monitor_cmd *const __start_monitor_cmds[] __attribute__((weak));
extern const struct monitor_cmd *const __stop_monitor_cmds[] __attribute__((weak));

/* The boot command line, for the cmdline command. */
static const char *monitor_cmdline_text = "";

/* Number of registered commands. */
static size_t monitor_cmd_count(void)
{
	if (!__start_monitor_cmds || !__stop_monitor_cmds)
		return 0;
	return (size_t)(__stop_monitor_cmds - __start_monitor_cmds);
}

/* Lists the commands. */
static int monitor_help(const char *arg)
{
	(void)arg;
	for (size_t i = 0; i < monitor_cmd_count(); i++)
		kprintf("  %-10s %s\n", __start_monitor_cmds[i]->name,
			__start_monitor_cmds[i]->help);
	return MONITOR_STAY;
}
MONITOR_COMMAND(monitor_help_cmd, "help", "list commands", monitor_help);

/* Prints the boot command line. */
static int monitor_cmdline(const char *arg)
{
	(void)arg;
	kprintf("%s\n", monitor_cmdline_text);
	return MONITOR_STAY;
}
MONITOR_COMMAND(monitor_cmdline_cmd, "cmdline", "print the kernel command line", monitor_cmdline);

/* Runs a ktest selection and reports the verdict. */
static int monitor_ktest(const char *arg)
{
	if (!*arg) {
		kputs("usage: ktest all | <suite> | <suite>.<case>\n");
		return MONITOR_STAY;
	}
	ktest_run(arg); /* prints its own verdict; the monitor carries on either way */
	return MONITOR_STAY;
}
MONITOR_COMMAND(monitor_ktest_cmd, "ktest", "ktest all|<suite>|<suite>.<case>: run in-kernel tests",
		monitor_ktest);

/* Panics on purpose, to show the panic path and its backtrace. */
static int monitor_panic(const char *arg)
{
	panic("requested from the monitor%s%s", *arg ? ": " : "", arg);
}
MONITOR_COMMAND(monitor_panic_cmd, "panic", "panic on purpose (shows a backtrace)", monitor_panic);

/* Leaves the monitor so the kernel powers off. */
static int monitor_poweroff(const char *arg)
{
	(void)arg;
	return POWEROFF_PASS;
}
MONITOR_COMMAND(monitor_poweroff_cmd, "poweroff", "power the machine off", monitor_poweroff);

/* Runs one input line; returns a power-off status or -1 to keep going. */
static int monitor_execute(char *line)
{
	while (*line == ' ')
		line++;
	if (!*line)
		return MONITOR_STAY;
	char *arg = strchr(line, ' ');
	if (arg) {
		*arg++ = '\0';
		while (*arg == ' ')
			arg++;
	} else {
		arg = line + strlen(line);
	}
	for (size_t i = 0; i < monitor_cmd_count(); i++)
		if (strcmp(line, __start_monitor_cmds[i]->name) == 0)
			return __start_monitor_cmds[i]->run(arg);
	kprintf("unknown command \"%s\"; type help for the list\n", line);
	return MONITOR_STAY;
}

/* Reads one line with echo and backspace into buf; returns its length, or -EPIPE. */
static int monitor_read_line(char *buf, size_t size)
{
	static bool after_cr; /* swallow the '\n' of a "\r\n" pair */
	size_t len = 0;

	for (;;) {
		int c = console_getc();
		if (c < 0)
			return c;
		bool skip = after_cr && c == '\n';
		after_cr = c == '\r';
		if (skip)
			continue;
		if (c == '\r' || c == '\n') {
			kputs("\n");
			buf[len] = '\0';
			return (int)len;
		}
		if ((c == '\b' || c == 0x7f) && len > 0) {
			len--;
			kputs("\b \b");
		} else if (c >= ' ' && c < 0x7f && len + 1 < size) {
			char echo[2] = {(char)c, '\0'};
			buf[len++] = echo[0];
			kputs(echo);
		}
	}
}

int monitor_run(const char *cmdline)
{
	char line[MONITOR_LINE_MAX];

	monitor_cmdline_text = cmdline;
	kputs("amphi: monitor ready; type help for commands\n");
	for (;;) {
		kputs("amphi> ");
		if (monitor_read_line(line, sizeof(line)) < 0) {
			kputs("\n");
			return POWEROFF_PASS;
		}
		int status = monitor_execute(line);
		if (status >= 0)
			return status;
	}
}
