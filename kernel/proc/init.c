/*
 * The first user process. Until the VFS lands, its program comes straight from the initial
 * RAM disk (a cpio newc archive), named by the boot data (init_args.h): rdinit= and the
 * words after "--" on the command line, or the hosted machine's /chosen properties.
 * The machine powers off when the process ends, with its status in the shell's terms.
 */
#include <amphi/cpio.h>
#include <amphi/errno.h>
#include <amphi/init_args.h>
#include <amphi/kprintf.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/string.h>

#define INIT_ARGV_MAX 256

/* Finds file name in the initial RAM disk. Returns 0 with its bytes, or -ENOENT/-EINVAL. */
static int init_find(const struct boot_info *info, const char *name, const void **data,
		     size_t *size)
{
	struct cpio_reader r;
	struct cpio_entry e;
	int got;

	cpio_reader_init(&r, plat_phys_to_virt(info->initrd.base), info->initrd.size);
	while ((got = cpio_next(&r, &e)) == 1) {
		if (strcmp(e.name, name) == 0) {
			*data = e.data;
			*size = e.size;
			return 0;
		}
	}
	return got < 0 ? got : -ENOENT;
}

int init_run_program(const struct boot_info *info)
{
	static const char *const envp[] = {"HOME=/", "TERM=linux", "PATH=/bin:/sbin:/usr/bin:/usr/sbin",
					   NULL};
	static const char *argv[INIT_ARGV_MAX];
	const void *image = NULL;
	const char *path = "", *why = "";
	size_t size = 0;
	int err = info->initrd.size ? init_args_get(info, &path, argv, INIT_ARGV_MAX) : -ENOENT;

	if (err == -ENOENT)
		return err; /* no first program named: the caller goes on */
	if (err > 0)
		err = init_find(info, path[0] == '/' ? path + 1 : path, &image, &size);
	struct process *p = err ? NULL : process_start(image, size, path, argv, envp, &err, &why);
	if (!p) {
		kprintf_set_quiet(false); /* the machine stops here: say why, even when quiet */
		kprintf("amphi: cannot start %s: error %d%s%s\n", path, err, *why ? ": " : "", why);
		return 127;
	}
	return proc_shell_status(process_wait(p));
}
