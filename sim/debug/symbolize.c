/*
 * Symbols for backtraces. libbacktrace reads this executable's symbol table and DWARF
 * line tables; its state is created once at start-up and it allocates with mmap, so it
 * also works inside the fault handler. When it knows nothing about an address, dladdr
 * names at least the module and offset (enough for addr2line).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <backtrace.h>

#include <amphi/plat.h>

#include "sim.h"

static struct backtrace_state *sim_backtrace;

/* What one lookup found; NULL fields are unknown. */
struct sym_result {
	const char *function;
	uintptr_t function_start;
	const char *file;
	int line;
};

/* libbacktrace errors only degrade backtraces: they are ignored. */
static void sym_ignore_error(void *data, const char *msg, int errnum)
{
	(void)data, (void)msg, (void)errnum;
}

/* Keeps the first (innermost inlined) file and line for the address. */
static int sym_on_pcinfo(void *data, uintptr_t pc, const char *file, int line, const char *function)
{
	struct sym_result *r = data;

	(void)pc, (void)function;
	if (file && !r->file) {
		r->file = file;
		r->line = line;
	}
	return 0;
}

/* Records the symbol that contains the address. */
static void sym_on_syminfo(void *data, uintptr_t pc, const char *name, uintptr_t start,
			   uintptr_t size)
{
	struct sym_result *r = data;

	(void)pc, (void)size;
	if (name) {
		r->function = name;
		r->function_start = start;
	}
}

void sim_symbolize_init(void)
{
	static char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return; /* plat_symbolize falls back to dladdr */
	exe[n] = '\0';
	sim_backtrace = backtrace_create_state(exe, 0, sym_ignore_error, NULL);
}

/* Clamps an snprintf result to what buf holds: the length plat_symbolize returns. */
static int sym_written(int n, size_t len)
{
	if (n < 0 || len == 0)
		return -ENOSYS;
	return (size_t)n < len ? n : (int)(len - 1);
}

/* Writes "module+0xoff" from the dynamic loader's view; -ENOSYS when it knows nothing. */
static int sym_from_dladdr(uintptr_t pc, char *buf, size_t len)
{
	Dl_info info;
	int n;

	if (!dladdr((void *)pc, &info) || !info.dli_fname)
		return -ENOSYS;
	if (info.dli_sname) {
		n = snprintf(buf, len, "%s+0x%lx", info.dli_sname,
			     (unsigned long)(pc - (uintptr_t)info.dli_saddr));
	} else {
		const char *base = strrchr(info.dli_fname, '/');
		n = snprintf(buf, len, "%s+0x%lx", base ? base + 1 : info.dli_fname,
			     (unsigned long)(pc - (uintptr_t)info.dli_fbase));
	}
	return sym_written(n, len);
}

/* Shortens a path inside the source tree to its tree-relative form. */
static const char *sym_short_path(const char *file)
{
	size_t n = strlen(SIM_SOURCE_DIR);

	return strncmp(file, SIM_SOURCE_DIR, n) == 0 ? file + n : file;
}

/* Symbolizes code address pc, looking it up at lookup (pc, or pc - 1 for a return
 * address). */
static int sym_format(uintptr_t pc, uintptr_t lookup, char *buf, size_t len)
{
	struct sym_result r = {0};
	int n;

	if (sim_backtrace) {
		backtrace_syminfo(sim_backtrace, lookup, sym_on_syminfo, sym_ignore_error, &r);
		backtrace_pcinfo(sim_backtrace, lookup, sym_on_pcinfo, sym_ignore_error, &r);
	}
	if (!r.function)
		return sym_from_dladdr(lookup, buf, len);
	if (r.file)
		n = snprintf(buf, len, "%s+0x%lx (%s:%d)", r.function,
			     (unsigned long)(pc - r.function_start), sym_short_path(r.file),
			     r.line);
	else
		n = snprintf(buf, len, "%s+0x%lx", r.function,
			     (unsigned long)(pc - r.function_start));
	return sym_written(n, len);
}

/* Backtraces hand over return addresses, which point after the call: the call itself
 * (its function and line) is at pc - 1. After a call to a noreturn function, pc is
 * already the first byte of the next function. The printed offset is still pc's. */
int plat_symbolize(uintptr_t pc, char *buf, size_t len)
{
	return sym_format(pc, pc - 1, buf, len);
}

int sim_symbolize_exact(uintptr_t pc, char *buf, size_t len)
{
	return sym_format(pc, pc, buf, len);
}
