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
#include <amphi/vm.h>

/* The last entry named name in the initial RAM disk's archives (a later archive's entry
 * replaces an earlier one's, as when Linux unpacks them in turn). Returns 0, -ENOENT, or
 * -EINVAL for a corrupt archive. */
static int init_lookup(const struct boot_info *info, const char *name, struct cpio_entry *found)
{
	struct cpio_reader r;
	struct cpio_entry e;
	int got, err = -ENOENT;

	cpio_reader_init(&r, plat_phys_to_virt(info->initrd.base), info->initrd.size);
	do {
		while ((got = cpio_next(&r, &e)) == 1) {
			if (strcmp(e.name, name) == 0) {
				*found = e;
				err = 0;
			}
		}
	} while (got == 0 && r.pos < r.len);
	return got < 0 ? got : err;
}

/* A memory object holding the bytes of file name from the initial RAM disk. Returns 0
 * with it in *file, -ENOENT, -EINVAL (a corrupt archive) or -ENOMEM. */
static int init_find(const struct boot_info *info, const char *name, struct vm_object **file)
{
	struct cpio_entry e;
	int err = init_lookup(info, name, &e);

	if (err)
		return err;
	*file = vm_object_create();
	long put = *file ? vm_object_write(*file, 0, e.data, e.size) : -ENOMEM;
	if (put >= 0 && (size_t)put == e.size)
		return 0;
	if (*file)
		vm_object_put(*file);
	return put < 0 ? (int)put : -ENOMEM;
}

int init_run_program(const struct boot_info *info)
{
	static struct init_program prog = {.path = ""};
	struct vm_object *file = NULL;
	const char *why = "";
	int err = info->initrd.size ? init_args_get(info, &prog) : -ENOENT;

	if (err == -ENOENT)
		return err; /* no first program named: the caller goes on */
	if (!err)
		err = init_find(info, prog.path[0] == '/' ? prog.path + 1 : prog.path, &file);
	struct process *p = err ? NULL : process_start(file, prog.path, prog.argv, prog.envp,
						       &err, &why);
	if (file)
		vm_object_put(file); /* the process's areas hold their own references */
	if (!p) {
		kprintf_set_quiet(false); /* the machine stops here: say why, even when quiet */
		kprintf("amphi: cannot start %s: error %d%s%s\n", prog.path, err, *why ? ": " : "",
			why);
		return 127;
	}
	return proc_shell_status(process_wait(p));
}
