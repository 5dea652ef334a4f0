/*
 * The first user process. Until the VFS lands, its program comes straight from the initial
 * RAM disk (a cpio newc archive): the hosted machine's `exec` command packs the host
 * program there, names its path in /chosen "amphi,exec-path" and its argv in
 * "amphi,exec-argv" (a string list).
 * The machine powers off when the process ends, with its status in the shell's terms.
 */
#include <amphi/cpio.h>
#include <amphi/errno.h>
#include <amphi/fdt.h>
#include <amphi/kprintf.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#define INIT_ARGV_MAX 256

/* Splits the string list [list, list + len) into argv (NULL-terminated, at most max - 1
 * entries). Returns the count, or -EINVAL when the list is empty or not NUL-terminated. */
static int init_split_argv(const char *list, uint32_t len, const char **argv, int max)
{
	int n = 0;

	if (len == 0 || list[len - 1] != '\0')
		return -EINVAL;
	for (uint32_t at = 0; at < len && n < max - 1; at += (uint32_t)strlen(list + at) + 1)
		argv[n++] = list + at;
	argv[n] = NULL;
	return n;
}

/* The path and argv the boot data names for the first process; -ENOENT when it names
 * none. */
static int init_argv(const struct boot_info *info, const char **path, const char **argv,
		     int max)
{
	struct fdt f;
	const void *val;
	uint32_t len;

	if (!info->fdt || fdt_open(&f, info->fdt, 1 << 20) < 0)
		return -ENOENT;
	int chosen = fdt_path_offset(&f, "/chosen");
	if (chosen < 0)
		return -ENOENT;
	int err = fdt_get_string(&f, chosen, "amphi,exec-path", path);
	if (!err)
		err = fdt_get_prop(&f, chosen, "amphi,exec-argv", &val, &len);
	return err ? err : init_split_argv(val, len, argv, max);
}

static struct mem_range init_initrd; /* the initial RAM disk, for initrd_find */

int initrd_find(const char *name, struct vm_object **file)
{
	struct cpio_reader r;
	struct cpio_entry e;
	int got;

	if (!init_initrd.size)
		return -ENOENT;
	cpio_reader_init(&r, plat_phys_to_virt(init_initrd.base), init_initrd.size);
	while ((got = cpio_next(&r, &e)) == 1) {
		if (strcmp(e.name, name) != 0)
			continue;
		*file = vm_object_create();
		long put = *file ? vm_object_write(*file, 0, e.data, e.size) : -ENOMEM;
		if (put >= 0 && (size_t)put == e.size)
			return 0;
		if (*file)
			vm_object_put(*file);
		return put < 0 ? (int)put : -ENOMEM;
	}
	return got < 0 ? got : -ENOENT;
}

int init_run_program(const struct boot_info *info)
{
	static const char *const envp[] = {"HOME=/", "TERM=linux", "PATH=/bin:/sbin:/usr/bin:/usr/sbin",
					   NULL};
	static const char *argv[INIT_ARGV_MAX];
	struct vm_object *file = NULL;
	const char *path = "", *why = "";
	int err = info->initrd.size ? init_argv(info, &path, argv, INIT_ARGV_MAX) : -ENOENT;

	if (err == -ENOENT)
		return err; /* no first program named: the caller goes on */
	init_initrd = info->initrd;
	if (err > 0)
		err = initrd_find(path[0] == '/' ? path + 1 : path, &file);
	struct process *p = err ? NULL : process_start(file, path, argv, envp, &err, &why);
	if (file)
		vm_object_put(file); /* the process's areas hold their own references */
	if (!p) {
		kprintf_set_quiet(false); /* the machine stops here: say why, even when quiet */
		kprintf("amphi: cannot start %s: error %d%s%s\n", path, err, *why ? ": " : "", why);
		return 127;
	}
	return proc_shell_status(process_wait(p));
}
