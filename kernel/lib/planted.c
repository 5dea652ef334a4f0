/*
 * Which planted bug (planted.h) the command line arms; fuzz build only.
 */
#include <amphi/cmdline.h>
#include <amphi/kprintf.h>
#include <amphi/planted.h>
#include <amphi/string.h>

#ifdef AMPHI_PLANTED_BUGS
enum planted_bug planted_bug_armed;

void planted_bugs_init(const char *cmdline)
{
	static const char *const names[] = {[PLANTED_GETRANDOM] = "getrandom",
					    [PLANTED_DUP3] = "dup3",
					    [PLANTED_FDT_COMPAT] = "fdt_compat",
					    [PLANTED_READ_UNREF] = "read_unref"};
	char name[16];

	if (cmdline_get(cmdline, "planted_bugs", name, sizeof(name)) <= 0)
		return;
	for (unsigned i = 1; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i]))
			planted_bug_armed = (enum planted_bug)i;
	}
	kprintf("amphi: planted bug '%s' %s\n", name, planted_bug_armed ? "armed" : "unknown");
}
#endif
