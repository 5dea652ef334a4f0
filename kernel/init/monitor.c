/* The kernel monitor: a tiny line-oriented console for poking at a running kernel. */
#include <amphi/arch.h>
#include <amphi/errno.h>
#include <amphi/init.h>
#include <amphi/kprintf.h>
#include <amphi/ktest.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/string.h>

#define MONITOR_LINE_MAX 128

/* One command: name, help text, handler taking the (possibly empty) argument string.
 * A handler returns a power-off status to leave the monitor, or -1 to stay. */
struct monitor_cmd {
	const char *name;
	const char *help;
	int (*run)(const char *arg);
};

static int monitor_help(const char *arg);

/* Prints the page allocator and kmalloc figures. */
static int monitor_mem(const char *arg)
{
	struct kmalloc_stats st;

	(void)arg;
	kmalloc_get_stats(&st);
	kprintf("pages: %zu free of %zu (%zu KiB free)\n", page_alloc_free_pages(),
		page_alloc_total_pages(), page_alloc_free_pages() * (PAGE_SIZE / 1024));
	kprintf("kmalloc: %zu objects, %zu bytes, %zu slab pages, %zu large pages\n", st.objects,
		st.bytes, st.slab_pages, st.large_pages);
	return -1;
}

/* Prints the boot command line. */
static int monitor_cmdline(const char *arg)
{
	(void)arg;
	kprintf("%s\n", kernel_boot_info()->cmdline);
	return -1;
}

/* Runs a ktest selection and reports the verdict. */
static int monitor_ktest(const char *arg)
{
	if (!*arg) {
		kputs("usage: ktest all | <suite> | <suite>.<case>\n");
		return -1;
	}
	ktest_run(arg); /* prints its own verdict; the monitor carries on either way */
	return -1;
}

/* Panics on purpose, to show the panic path and its backtrace. */
static int monitor_panic(const char *arg)
{
	panic("requested from the monitor%s%s", *arg ? ": " : "", arg);
}

/* Leaves the monitor so the kernel powers off. */
static int monitor_poweroff(const char *arg)
{
	(void)arg;
	return POWEROFF_PASS;
}

static const struct monitor_cmd monitor_cmds[] = {
    {"help", "list commands", monitor_help},
    {"mem", "page allocator and kmalloc usage", monitor_mem},
    {"cmdline", "print the kernel command line", monitor_cmdline},
    {"ktest", "ktest all|<suite>|<suite>.<case>: run in-kernel tests", monitor_ktest},
    {"panic", "panic on purpose (shows a backtrace)", monitor_panic},
    {"poweroff", "power the machine off", monitor_poweroff},
};

/* Lists the commands. */
static int monitor_help(const char *arg)
{
	(void)arg;
	for (size_t i = 0; i < ARRAY_SIZE(monitor_cmds); i++)
		kprintf("  %-10s %s\n", monitor_cmds[i].name, monitor_cmds[i].help);
	return -1;
}

/* Runs one input line; returns a power-off status or -1 to keep going. */
static int monitor_execute(char *line)
{
	while (*line == ' ')
		line++;
	if (!*line)
		return -1;
	char *arg = strchr(line, ' ');
	if (arg) {
		*arg++ = '\0';
		while (*arg == ' ')
			arg++;
	} else {
		arg = line + strlen(line);
	}
	for (size_t i = 0; i < ARRAY_SIZE(monitor_cmds); i++)
		if (strcmp(line, monitor_cmds[i].name) == 0)
			return monitor_cmds[i].run(arg);
	kprintf("unknown command \"%s\"; type help for the list\n", line);
	return -1;
}

/* Waits for the next input byte; -EPIPE when the input is closed. */
static int monitor_getc(void)
{
	int c;

	while ((c = plat_console_getc()) == -EAGAIN)
		arch_cpu_relax();
	return c;
}

/* Reads one line with echo and backspace into buf; returns its length, or -EPIPE. */
static int monitor_read_line(char *buf, size_t size)
{
	static bool after_cr; /* swallow the '\n' of a "\r\n" pair */
	size_t len = 0;

	for (;;) {
		int c = monitor_getc();
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
			char ch = (char)c;
			buf[len++] = ch;
			plat_console_write(&ch, 1);
		}
	}
}

int monitor_run(void)
{
	char line[MONITOR_LINE_MAX];

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
