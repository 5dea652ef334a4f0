/*
 * The console as a character device: /dev/console (5, 1) and /dev/tty (5, 0), and the first
 * process's descriptors 0-2. When the platform console is a terminal, it is the console's
 * tty (include/amphi/tty.h): line discipline, termios and job control. Otherwise (input or
 * output redirected on the hosted machine) bytes pass through as through a pipe: reading
 * returns what input has, at least one byte and up to a newline (end of file once the
 * input is closed), writing goes to the output, and every ioctl is -ENOTTY.
 */
#include <amphi/console.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/sync.h>
#include <amphi/tty.h>
#include <amphi/vm.h>

#define CONSOLE_CHUNK 512

static struct spinlock console_in_lock = SPINLOCK_INIT("console_in");
static int console_pending = -EAGAIN; /* a byte poll took from the input, or -EAGAIN */

/* The next input byte without blocking: a pending one first. -EAGAIN, -EPIPE at the end. */
static int console_dev_getc(void)
{
	irqflags_t irq = spin_lock_irqsave(&console_in_lock);
	int c = console_pending;

	if (c >= 0)
		console_pending = -EAGAIN;
	spin_unlock_irqrestore(&console_in_lock, irq);
	return c >= 0 ? c : console_poll_getc();
}

/* read through the console's tty t. */
static long console_tty_read(struct tty *t, struct file *f, struct vfs_io *io, size_t len)
{
	char chunk[CONSOLE_CHUNK];
	long n = tty_read(t, chunk, MIN(len, sizeof(chunk)), f->flags & O_NONBLOCK);

	if (n > 0 && vfs_io_out(io, 0, chunk, (size_t)n) < 0)
		return -EFAULT;
	return n;
}

static long console_dev_read(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	char chunk[CONSOLE_CHUNK];
	struct tty *t = tty_console();
	size_t n = 0;

	(void)off;
	if (t)
		return console_tty_read(t, f, io, len);
	len = MIN(len, sizeof(chunk));
	while (n < len) {
		int c = console_dev_getc();
		if (c == -EAGAIN && n == 0 && (f->flags & O_NONBLOCK))
			return -EAGAIN;
		if (c == -EAGAIN && n == 0)
			c = console_getc();
		if (c < 0)
			break;
		chunk[n++] = (char)c;
		if (c == '\n')
			break;
	}
	return vfs_io_out(io, 0, chunk, n) < 0 ? -EFAULT : (long)n;
}

/* Writes n bytes to the platform console, one message at a time. */
static long console_raw_write(const char *buf, size_t n)
{
	irqflags_t flags = console_lock();

	console_write(buf, n);
	console_unlock(flags);
	return (long)n;
}

static long console_dev_write(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	char chunk[CONSOLE_CHUNK];
	struct tty *t = tty_console();
	size_t done = 0;

	(void)f, (void)off;
	while (done < len) {
		size_t n = MIN(len - done, sizeof(chunk));
		if (vfs_io_in(io, done, chunk, n) < 0)
			return done ? (long)done : -EFAULT;
		long put = t ? tty_write(t, chunk, n) : console_raw_write(chunk, n);
		if (put < 0)
			return done ? (long)done : put;
		done += n;
	}
	return (long)done;
}

/* Readable when a byte waits or the input is closed; always writable. */
static unsigned console_dev_poll(struct file *f)
{
	unsigned events = POLLOUT | POLLWRNORM;
	struct tty *t = tty_console();

	(void)f;
	if (t)
		return events | (tty_readable(t) ? POLLIN | POLLRDNORM : 0);
	irqflags_t irq = spin_lock_irqsave(&console_in_lock);
	if (console_pending < 0)
		console_pending = console_poll_getc();
	if (console_pending >= 0)
		events |= POLLIN | POLLRDNORM;
	else if (console_pending == -EPIPE)
		events |= POLLIN | POLLRDNORM | POLLHUP;
	if (console_pending == -EPIPE)
		console_pending = -EAGAIN; /* the end stays visible to getc */
	spin_unlock_irqrestore(&console_in_lock, irq);
	return events;
}

/* The tty ioctls, their argument structs copied in and out of the caller's memory. */
static long console_dev_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
	struct tty *t = tty_console();
	struct process *p = process_current();
	struct user_termios io; /* the largest argument */
	size_t in = tty_ioctl_in_size(cmd), out;

	(void)f;
	if (!t || !p)
		return -ENOTTY;
	if (in && vm_copy_from_user(p->vm, &io, arg, in) < 0)
		return -EFAULT;
	long err = tty_ioctl(t, cmd, arg, &io, &out);
	if (!err && out && vm_copy_to_user(p->vm, arg, &io, out) < 0)
		return -EFAULT;
	return err;
}

static const struct file_ops console_ops = {
    .read = console_dev_read,
    .write = console_dev_write,
    .ioctl = console_dev_ioctl,
    .poll = console_dev_poll,
    .stream = true,
};

static struct inode *console_inode;

/* Registers the console devices. */
void console_dev_register(void)
{
	chrdev_register(5, 0, "tty", &console_ops);
	chrdev_register(5, 1, "console", &console_ops);
}

int console_open_file(struct file **out)
{
	struct vfs_path dev = {0};

	if (vfs_root(&dev) == 0) { /* /dev/console, as Linux opens it for init */
		int err = vfs_open(NULL, &dev, "/dev/console", O_RDWR, 0, out);
		vfs_path_put(&dev);
		if (err == 0)
			return 0;
	}
	if (!console_inode) { /* no devtmpfs: the device itself, in no directory */
		console_inode = inode_alloc(NULL, S_IFCHR | 0600);
		if (!console_inode)
			return -ENOMEM;
		console_inode->rdev = VFS_DEV(5, 1);
	}
	dev.inode = console_inode;
	return vfs_open_path(&dev, O_RDWR, out);
}
