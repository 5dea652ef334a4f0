/* The host tools' common part: booting a machine on an ext2 image and walking it. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "amphi.h"
#include "image.h"

const char *image_tool = "amphi";

/* Prints the message with the tool's name. */
static void image_vwarn(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", image_tool);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void image_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	image_vwarn(fmt, ap);
	va_end(ap);
}

void image_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	image_vwarn(fmt, ap);
	va_end(ap);
	exit(1);
}

unsigned image_parse_mem(const char *arg)
{
	char *end;
	unsigned long mib = strtoul(arg, &end, 10);

	if (*end || end == arg || mib < 16 || mib > 16384)
		image_die("bad -m %s (MiB of machine memory, 16 to 16384)", arg);
	return (unsigned)mib;
}

void image_open(const char *image, bool readonly, unsigned mem_mib)
{
	struct amphi_config c;

	amphi_config_init(&c);
	c.mem_size = (uint64_t)mem_mib << 20;
	c.console_fd = 2; /* the kernel's warnings (e.g. about a damaged image) */
	c.real_time = true; /* times a copy stamps without -p are the host's now, as cp's */
	const char *lock_checker = getenv("AMPHI_LOCK_CHECKER"); /* a tool, not a kernel test */
	c.lock_checker = lock_checker && strcmp(lock_checker, "0") != 0;
	int err = amphi_add_disk(image, readonly);
	if (err == -EINVAL)
		image_die("%s: not a regular file or block device", image);
	if (err < 0)
		image_die("%s: %s", image, strerror(-err));
	err = amphi_boot(&c);
	if (err < 0)
		image_die("cannot start the machine: %s", strerror(-err));
	long r = amphi_sys_mkdirat(AT_FDCWD, IMAGE_ROOT, 0755);
	if (r == 0)
		r = amphi_sys_mount("/dev/vda", IMAGE_ROOT, "ext2", readonly ? MS_RDONLY : 0, NULL);
	if (r < 0)
		image_die("%s: cannot mount it as ext2: %s", image, strerror((int)-r));
}

int image_close(const char *image)
{
	long r = amphi_sys_umount2(IMAGE_ROOT, 0);

	amphi_halt();
	if (r < 0) {
		image_warn("%s: cannot unmount it: %s", image, strerror((int)-r));
		return 1;
	}
	return 0;
}

char *image_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *s = malloc(n + strlen(name) + 2);

	if (!s)
		image_die("out of memory");
	sprintf(s, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
	return s;
}

/* Orders names for qsort. */
static int image_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the names of one getdents64 batch (len bytes at buf) to *names (count *n). */
static void image_add_names(const char *buf, long len, char ***names, size_t *n, size_t *cap)
{
	for (long off = 0; off < len;) {
		const unsigned short reclen = *(const unsigned short *)(buf + off + 16);
		const char *name = buf + off + 19; /* struct linux_dirent64's d_name */
		off += reclen;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (*n + 2 > *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*names = realloc(*names, *cap * sizeof(**names));
		}
		if (!*names || !((*names)[(*n)++] = strdup(name)))
			image_die("out of memory");
	}
}

int image_list_dir(const char *path, char ***names)
{
	static char buf[65536];
	size_t n = 0, cap = 0;
	long fd = amphi_sys_openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0), len;

	*names = NULL;
	if (fd < 0)
		return (int)fd;
	while ((len = amphi_sys_getdents64((int)fd, buf, sizeof(buf))) > 0)
		image_add_names(buf, len, names, &n, &cap);
	amphi_sys_close((int)fd);
	if (len < 0) {
		for (size_t i = 0; i < n; i++)
			free((*names)[i]);
		free(*names);
		*names = NULL;
		return (int)len;
	}
	if (!*names && !(*names = malloc(sizeof(**names))))
		image_die("out of memory");
	(*names)[n] = NULL;
	qsort(*names, n, sizeof(**names), image_name_cmp);
	return 0;
}

void image_free_names(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}
