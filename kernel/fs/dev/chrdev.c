/*
 * Character devices: a table from device numbers to file ops, which opening a node with
 * that number uses, and the memory devices Linux has under major 1: null, zero, full,
 * random and urandom (from the kernel's generator, random.h).
 */
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/random.h>
#include <amphi/string.h>

#define CHRDEV_MAX 32
#define CHRDEV_CHUNK 256

struct chrdev {
	uint64_t rdev;
	const char *name;
	const struct file_ops *ops;
};

static struct chrdev chrdevs[CHRDEV_MAX];
static unsigned nchrdevs;

static struct inode *chrdev_dir; /* devtmpfs's root once mounted (a reference) */

/* Makes the node of chrdevs[i] in dir. vfs_lock held. */
static void chrdev_node_make(struct inode *dir, unsigned i)
{
	struct inode *node;
	const char *name = chrdevs[i].name;
	uint32_t mode = S_IFCHR | (strcmp(name, "console") == 0 ? 0600 : 0666);

	if (vfs_create(dir, name, strlen(name), mode, chrdevs[i].rdev, &node) == 0)
		inode_put(node);
	else
		kprintf("amphi: devtmpfs: cannot create /dev/%s\n", name);
}

int chrdev_register(unsigned major, unsigned minor, const char *name,
		    const struct file_ops *ops)
{
	uint64_t rdev = VFS_DEV(major, minor);

	for (unsigned i = 0; i < nchrdevs; i++) {
		if (chrdevs[i].rdev == rdev) {
			chrdevs[i].ops = ops; /* a driver taking over (the tty over the console) */
			return 0;
		}
	}
	if (nchrdevs == CHRDEV_MAX)
		return -ENOMEM;
	chrdevs[nchrdevs++] = (struct chrdev){rdev, name, ops};
	if (chrdev_dir) { /* a device found after /dev was mounted (a display) */
		vfs_lock();
		chrdev_node_make(chrdev_dir, nchrdevs - 1);
		vfs_unlock();
	}
	return 0;
}

const struct file_ops *chrdev_ops(uint64_t rdev)
{
	for (unsigned i = 0; i < nchrdevs; i++) {
		if (chrdevs[i].rdev == rdev)
			return chrdevs[i].ops;
	}
	return NULL;
}

void chrdev_populate(struct inode *dir)
{
	if (!chrdev_dir) {
		inode_get(dir);
		chrdev_dir = dir;
	}
	for (unsigned i = 0; i < nchrdevs; i++)
		chrdev_node_make(dir, i);
}

/* --- the memory devices --- */

/* read of /dev/null: end of file. */
static long mem_read_eof(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	(void)f, (void)io, (void)len, (void)off;
	return 0;
}

/* write of /dev/null and /dev/zero: everything is taken. */
static long mem_write_all(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	(void)f, (void)io, (void)off;
	return (long)len; /* the syscall layer caps len as Linux does */
}

/* Fills len bytes of io with bytes from fill (zeros when NULL), a chunk at a time. */
static long mem_fill(struct vfs_io *io, size_t len, void (*fill)(void *buf, size_t n))
{
	uint8_t chunk[CHRDEV_CHUNK];
	size_t done = 0;

	if (!fill)
		memset(chunk, 0, sizeof(chunk));
	while (done < len) {
		size_t n = MIN(len - done, sizeof(chunk));
		if (fill)
			fill(chunk, n);
		if (vfs_io_out(io, done, chunk, n) < 0)
			return done ? (long)done : -EFAULT;
		done += n;
	}
	return (long)done;
}

static long mem_read_zero(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	(void)f, (void)off;
	return mem_fill(io, len, NULL);
}

static long mem_read_random(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	(void)f, (void)off;
	return mem_fill(io, len, random_bytes);
}

/* write of /dev/full: no space. */
static long mem_write_full(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	(void)f, (void)io, (void)off;
	return len ? -ENOSPC : 0;
}

static const struct file_ops null_ops = {.read = mem_read_eof, .write = mem_write_all};
static const struct file_ops zero_ops = {.read = mem_read_zero, .write = mem_write_all};
static const struct file_ops full_ops = {.read = mem_read_zero, .write = mem_write_full};
static const struct file_ops random_ops = {.read = mem_read_random, .write = mem_write_all};

/* Registers the memory devices (major 1, as Linux numbers them). */
void chrdev_register_mem(void)
{
	chrdev_register(1, 3, "null", &null_ops);
	chrdev_register(1, 5, "zero", &zero_ops);
	chrdev_register(1, 7, "full", &full_ops);
	chrdev_register(1, 8, "random", &random_ops);
	chrdev_register(1, 9, "urandom", &random_ops);
}
