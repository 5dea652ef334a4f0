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
#define INIT_LINKS_MAX 8     /* symbolic links followed in one lookup */
#define INIT_OBJECTS 8	     /* programs whose memory objects stay cached */
#define CPIO_MODE_TYPE 0170000 /* the file type bits of an entry's mode */
#define CPIO_MODE_REG 0100000
#define CPIO_MODE_LNK 0120000
#define CPIO_MODE_EXEC 0111

#define INIT_ENVP_MAX 1024

/* What the boot data says to run first. */
struct init_program {
	const char *path;
	const char *argv[INIT_ARGV_MAX];
	const char *envp[INIT_ENVP_MAX];
};

/* Splits the string list [list, list + len) into v (NULL-terminated, at most max - 1
 * entries). Returns the count, or -EINVAL when the list does not end in a NUL. */
static int init_split_list(const char *list, uint32_t len, const char **v, int max)
{
	int n = 0;

	if (len > 0 && list[len - 1] != '\0')
		return -EINVAL;
	for (uint32_t at = 0; at < len && n < max - 1; at += (uint32_t)strlen(list + at) + 1)
		v[n++] = list + at;
	v[n] = NULL;
	return n;
}

/* Fills prog with the path, argv and environment the boot data names for the first
 * process (a default environment when it gives none). Returns 0, -ENOENT when it names
 * no program, -EINVAL for a malformed list. */
static int init_program(const struct boot_info *info, struct init_program *prog)
{
	static const char *const default_envp[] = {"HOME=/", "TERM=linux",
						   "PATH=/bin:/sbin:/usr/bin:/usr/sbin"};
	struct fdt f;
	const void *val;
	uint32_t len;

	if (!info->fdt || fdt_open(&f, info->fdt, 1 << 20) < 0)
		return -ENOENT;
	int chosen = fdt_path_offset(&f, "/chosen");
	int err = chosen < 0 ? -ENOENT : fdt_get_string(&f, chosen, "amphi,exec-path", &prog->path);
	if (!err)
		err = fdt_get_prop(&f, chosen, "amphi,exec-argv", &val, &len);
	if (err || (err = init_split_list(val, len, prog->argv, INIT_ARGV_MAX)) < 0)
		return err;
	if (err == 0)
		return -EINVAL; /* no argv[0] */
	if (fdt_get_prop(&f, chosen, "amphi,exec-envp", &val, &len) == 0)
		return init_split_list(val, len, prog->envp, INIT_ENVP_MAX) < 0 ? -EINVAL : 0;
	for (size_t i = 0; i < ARRAY_SIZE(default_envp); i++)
		prog->envp[i] = default_envp[i];
	return 0;
}

/* The last entry named name in the initial RAM disk's archives (a later archive's entry
 * replaces an earlier one's, as when Linux unpacks them in turn). Returns 0, -ENOENT, or
 * -EINVAL for a corrupt archive. */
static int init_lookup(const struct mem_range *initrd, const char *name, struct cpio_entry *found)
{
	struct cpio_reader r;
	struct cpio_entry e;
	int got, err = -ENOENT;

	if (!initrd->size)
		return -ENOENT;
	cpio_reader_init(&r, plat_phys_to_virt(initrd->base), initrd->size);
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

static struct mem_range init_initrd; /* the initial RAM disk, for initrd_find */

/* Replaces path (an archive name, no leading '/') by the target of the link in it, read
 * from the link's directory. Returns 0 or -ENAMETOOLONG. */
static int init_follow(char *path, size_t cap, const struct cpio_entry *link)
{
	const char *target = link->data;
	size_t len = link->size, dir = 0;

	for (size_t i = 0; path[i]; i++)
		dir = path[i] == '/' ? i + 1 : dir; /* keeps "dir/" of a relative target */
	if (len && target[0] == '/') {
		while (len && *target == '/')
			target++, len--;
		dir = 0;
	}
	if (dir + len >= cap)
		return -ENAMETOOLONG;
	memcpy(path + dir, target, len);
	path[dir + len] = '\0';
	return 0;
}

/* The entry name names after its symbolic links: 0, -ENOENT, -ELOOP, -ENAMETOOLONG,
 * -EINVAL for a corrupt archive. */
static int init_resolve(const char *name, struct cpio_entry *e)
{
	char path[PROC_PATH_MAX];

	kstrlcpy(path, name, sizeof(path));
	for (int links = 0; links <= INIT_LINKS_MAX; links++) {
		int err = init_lookup(&init_initrd, path, e);
		if (err || (e->mode & CPIO_MODE_TYPE) != CPIO_MODE_LNK)
			return err;
		err = init_follow(path, sizeof(path), e);
		if (err)
			return err;
	}
	return -ELOOP;
}

/* The memory objects of the files exec loaded, by their bytes in the archive (which never
 * change): each exec of a program, and of another entry with the same bytes (busybox as
 * `amphi exec` packs it and as the initramfs has it), maps the same object, so its pages
 * are copied once and the hosted engine keeps its translated code when one runs after the
 * other (the space's code key names the object). Each slot holds a reference. */
static struct {
	const void *data;
	size_t size;
	struct vm_object *obj;
} init_objects[INIT_OBJECTS];
static unsigned init_objects_next;
static struct spinlock init_objects_lock = SPINLOCK_INIT("init_objects");

/* The cached object of archive bytes [data, data + size) with a reference for the
 * caller, or NULL. */
static struct vm_object *init_object_get(const void *data, size_t size)
{
	struct vm_object *o = NULL;
	irqflags_t flags = spin_lock_irqsave(&init_objects_lock);

	for (unsigned i = 0; i < INIT_OBJECTS && !o; i++) {
		if (init_objects[i].obj && init_objects[i].size == size &&
		    (init_objects[i].data == data || memcmp(init_objects[i].data, data, size) == 0))
			o = init_objects[i].obj;
	}
	if (o)
		vm_object_get(o);
	spin_unlock_irqrestore(&init_objects_lock, flags);
	return o;
}

/* Caches o as the object of [data, data + size), replacing the oldest entry when full. */
static void init_object_keep(const void *data, size_t size, struct vm_object *o)
{
	struct vm_object *old = NULL;

	vm_object_get(o);
	irqflags_t flags = spin_lock_irqsave(&init_objects_lock);
	unsigned i = init_objects_next++ % INIT_OBJECTS;
	old = init_objects[i].obj;
	init_objects[i].data = data;
	init_objects[i].size = size;
	init_objects[i].obj = o;
	spin_unlock_irqrestore(&init_objects_lock, flags);
	if (old)
		vm_object_put(old);
}

/* A new memory object holding bytes [data, data + size). Returns 0 or -ENOMEM. */
static int init_object_fill(const void *data, size_t size, struct vm_object **file)
{
	*file = vm_object_create();
	long put = *file ? vm_object_write(*file, 0, data, size) : -ENOMEM;
	if (put >= 0 && (size_t)put == size)
		return 0;
	if (*file)
		vm_object_put(*file);
	return put < 0 ? (int)put : -ENOMEM;
}

int initrd_find(const char *name, struct vm_object **file)
{
	struct cpio_entry e = {0};
	int err = init_resolve(name, &e);

	if (err)
		return err;
	/* execve's rules: a regular file someone may execute */
	if ((e.mode & CPIO_MODE_TYPE) != CPIO_MODE_REG || !(e.mode & CPIO_MODE_EXEC))
		return -EACCES;
	*file = init_object_get(e.data, e.size);
	if (*file)
		return 0;
	err = init_object_fill(e.data, e.size, file);
	if (!err)
		init_object_keep(e.data, e.size, *file);
	return err;
}

int init_run_program(const struct boot_info *info)
{
	static struct init_program prog = {.path = ""};
	struct vm_object *file = NULL;
	const char *why = "";
	int err = info->initrd.size ? init_program(info, &prog) : -ENOENT;

	if (err == -ENOENT)
		return err; /* no first program named: the caller goes on */
	init_initrd = info->initrd;
	if (!err)
		err = initrd_find(prog.path[0] == '/' ? prog.path + 1 : prog.path, &file);
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
