/*
 * Pipes: a 64 KiB ring between a read end and a write end. A read blocks while the ring
 * is empty and a writer remains (end of file after the last writer); a write blocks while
 * the ring lacks room, and a write of at most PIPE_BUF bytes goes in whole, never
 * interleaved with another. Writing with no reader left is -EPIPE, with SIGPIPE to the
 * writing thread, as Linux does. O_NONBLOCK turns each wait into -EAGAIN.
 *
 * The ring and the counts are under the wait queue's lock; data is staged in a kernel
 * chunk so user memory is never touched with the lock held.
 *
 * A FIFO (a named pipe, made by mknod) gets its pipe at the first open and loses it at the
 * last close. Opening one end waits for the other, as Linux does: a reader for a writer, a
 * writer for a reader (-ENXIO instead when non-blocking); O_RDWR and a non-blocking reader
 * do not wait.
 */
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/string.h>

#define PIPE_SIZE 65536
#define PIPE_BUF 4096
#define PIPE_CHUNK 4096

struct pipe {
	struct waitq wq; /* readers and writers waiting; its lock guards all below */
	uint8_t *ring;
	size_t head, used; /* bytes at [head, head + used) mod PIPE_SIZE */
	unsigned readers, writers;
	unsigned refs;		      /* ends open */
	unsigned reader_opens, writer_opens; /* ends ever opened: a waiting open's partner */
	struct inode *fifo;	      /* the FIFO whose pipe this is, or NULL */
};

/* Guards FIFO inodes' pipe pointers and the last close of every pipe; taken before a
 * pipe's own lock. */
static struct spinlock fifo_lock = SPINLOCK_INIT("fifo");

static const struct file_ops pipe_read_ops;
static const struct file_ops pipe_write_ops;
static const struct file_ops pipe_rdwr_ops;

/* Copies n bytes from the ring's head into buf and consumes them (lock held). */
static void pipe_take(struct pipe *p, uint8_t *buf, size_t n)
{
	size_t first = MIN(n, PIPE_SIZE - p->head);

	memcpy(buf, p->ring + p->head, first);
	memcpy(buf + first, p->ring, n - first);
	p->head = (p->head + n) % PIPE_SIZE;
	p->used -= n;
}

/* Appends n bytes from buf to the ring (lock held; room checked). */
static void pipe_put_bytes(struct pipe *p, const uint8_t *buf, size_t n)
{
	size_t tail = (p->head + p->used) % PIPE_SIZE;
	size_t first = MIN(n, PIPE_SIZE - tail);

	memcpy(p->ring + tail, buf, first);
	memcpy(p->ring, buf + first, n - first);
	p->used += n;
}

/* Wakes everyone waiting on the pipe and pollers. */
static void pipe_wake(struct pipe *p)
{
	waitq_wake(&p->wq, ~0u);
	vfs_poll_notify();
}

/* Waits (the lock held) for the pipe to change; -EAGAIN when f is non-blocking,
 * -ERESTARTSYS when a signal is to be handled. A signal's wake-up ends the sleep; a sleep
 * begun just after it ends within TASK_SIGNAL_CHECK_NS. */
static int pipe_wait(struct pipe *p, struct file *f)
{
	if (f->flags & O_NONBLOCK)
		return -EAGAIN;
	if (task_interrupted())
		return -ERESTARTSYS;
	waitq_sleep_locked(&p->wq, plat_time_ns() + TASK_SIGNAL_CHECK_NS);
	return 0;
}

static long pipe_read(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	struct pipe *p = f->priv;
	uint8_t *chunk = kmalloc(PIPE_CHUNK);
	int err = 0;
	size_t n = 0;

	(void)off;
	if (!chunk)
		return -ENOMEM;
	if (!len) {
		kfree(chunk);
		return 0;
	}
	irqflags_t irq = spin_lock_irqsave(&p->wq.lock);
	while (!p->used && p->writers && !err)
		err = pipe_wait(p, f);
	if (!err) {
		n = MIN(MIN(len, (size_t)PIPE_CHUNK), p->used);
		pipe_take(p, chunk, n);
	}
	spin_unlock_irqrestore(&p->wq.lock, irq);
	if (n)
		pipe_wake(p);
	long r = err ? err : vfs_io_out(io, 0, chunk, n) < 0 ? -EFAULT : (long)n;
	kfree(chunk);
	return r;
}

/* SIGPIPE to the calling thread, which wrote to a pipe with no reader. */
static void pipe_signal_writer(void)
{
	struct task *t = task_current();
	struct ksiginfo info = {.signo = SIGPIPE, .code = SI_KERNEL};

	if (!t)
		return;
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	signal_send_task(t, &info);
	spin_unlock_irqrestore(&proc_lock, flags);
}

/* Writes n bytes from chunk, waiting for room: all at once when atomic. Returns the bytes
 * written (all of them unless an error comes) or an errno. */
static long pipe_write_chunk(struct pipe *p, struct file *f, const uint8_t *chunk, size_t n,
			     bool atomic)
{
	size_t done = 0;
	int err = 0;
	irqflags_t irq = spin_lock_irqsave(&p->wq.lock);

	while (done < n && !err) {
		size_t room = PIPE_SIZE - p->used;
		if (!p->readers) {
			err = -EPIPE;
		} else if (room == 0 || (atomic && room < n)) {
			err = pipe_wait(p, f);
		} else {
			size_t m = MIN(room, n - done);
			pipe_put_bytes(p, chunk + done, m);
			done += m;
			spin_unlock_irqrestore(&p->wq.lock, irq);
			pipe_wake(p);
			irq = spin_lock_irqsave(&p->wq.lock);
		}
	}
	spin_unlock_irqrestore(&p->wq.lock, irq);
	if (err == -EPIPE)
		pipe_signal_writer();
	return done ? (long)done : err;
}

static long pipe_write(struct file *f, struct vfs_io *io, size_t len, uint64_t *off)
{
	struct pipe *p = f->priv;
	uint8_t *chunk = kmalloc(PIPE_CHUNK);
	size_t done = 0;
	long err = 0;

	(void)off;
	if (!chunk)
		return -ENOMEM;
	while (done < len && !err) {
		size_t n = MIN(len - done, (size_t)PIPE_CHUNK);
		if (vfs_io_in(io, done, chunk, n) < 0) {
			err = -EFAULT;
			break;
		}
		long put = pipe_write_chunk(p, f, chunk, n, len <= PIPE_BUF);
		if (put < 0)
			err = put;
		else
			done += (size_t)put;
		if (put >= 0 && (size_t)put < n)
			break; /* stopped short: no reader, or non-blocking and full */
	}
	kfree(chunk);
	return done ? (long)done : err;
}

static unsigned pipe_poll(struct file *f)
{
	struct pipe *p = f->priv;
	unsigned events = 0;
	irqflags_t irq = spin_lock_irqsave(&p->wq.lock);

	if (f->ops->read) {
		if (p->used)
			events |= POLLIN | POLLRDNORM;
		if (!p->writers)
			events |= POLLHUP;
	}
	if (f->ops->write) {
		if (PIPE_SIZE - p->used >= PIPE_BUF)
			events |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			events |= POLLERR;
	}
	spin_unlock_irqrestore(&p->wq.lock, irq);
	return events;
}

/* Frees p (NULL: nothing), its ring too. */
static void pipe_free(struct pipe *p)
{
	if (p)
		kfree(p->ring);
	kfree(p);
}

/* Drops one end's reference to p; the last frees it (and unhooks its FIFO). */
static void pipe_unref(struct pipe *p)
{
	irqflags_t irq = spin_lock_irqsave(&fifo_lock);

	spin_lock(&p->wq.lock);
	bool last = --p->refs == 0;
	if (last && p->fifo)
		p->fifo->priv = NULL;
	spin_unlock(&p->wq.lock);
	spin_unlock_irqrestore(&fifo_lock, irq);
	if (last)
		pipe_free(p);
}

/* Closes one end; the last one frees the pipe. */
static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	irqflags_t irq = spin_lock_irqsave(&p->wq.lock);

	p->readers -= f->ops->read != NULL;
	p->writers -= f->ops->write != NULL;
	spin_unlock_irqrestore(&p->wq.lock, irq);
	pipe_wake(p); /* f's reference keeps p: the other end's release may run meanwhile */
	pipe_unref(p);
}

static const struct file_ops pipe_read_ops = {
    .read = pipe_read,
    .poll = pipe_poll,
    .release = pipe_release,
    .stream = true,
};

static const struct file_ops pipe_write_ops = {
    .write = pipe_write,
    .poll = pipe_poll,
    .release = pipe_release,
    .stream = true,
};

static const struct file_ops pipe_rdwr_ops = {
    .read = pipe_read,
    .write = pipe_write,
    .poll = pipe_poll,
    .release = pipe_release,
    .stream = true,
};

static struct super_block pipe_sb = {.magic = 0x50495045 /* PIPEFS_MAGIC */, .next_ino = 1};

/* An inode for a new pipe: a FIFO owned by root, mode 0600, in no directory. */
static struct inode *pipe_inode_new(void)
{
	return inode_alloc(&pipe_sb, S_IFIFO | 0600);
}

/* One end of p on inode with flags and ops; NULL when out of memory. */
static struct file *pipe_end(struct pipe *p, struct inode *inode, unsigned flags,
			     const struct file_ops *ops)
{
	struct vfs_path path = {NULL, inode};
	struct file *f = file_alloc(&path, flags, ops);

	if (f)
		f->priv = p;
	return f;
}

/* A new pipe with no end open; NULL when out of memory. */
static struct pipe *pipe_alloc(void)
{
	struct pipe *p = kzalloc(sizeof(*p));

	if (p)
		p->ring = kmalloc(PIPE_SIZE);
	if (!p || !p->ring) {
		pipe_free(p);
		return NULL;
	}
	waitq_init(&p->wq, "pipe");
	return p;
}

int pipe_create(unsigned flags, struct file **rd, struct file **wr)
{
	struct pipe *p = pipe_alloc();
	struct inode *inode = pipe_inode_new();

	*rd = p && inode ? pipe_end(p, inode, O_RDONLY | (flags & O_NONBLOCK), &pipe_read_ops)
			 : NULL;
	*wr = *rd ? pipe_end(p, inode, O_WRONLY | (flags & O_NONBLOCK), &pipe_write_ops) : NULL;
	if (inode)
		inode_put(inode);
	if (!*wr) {
		if (*rd) {
			(*rd)->ops = NULL; /* not counted as a reader yet */
			file_put(*rd);
		}
		pipe_free(p);
		return -ENOMEM;
	}
	p->readers = p->writers = 1;
	p->reader_opens = p->writer_opens = 1;
	p->refs = 2;
	return 0;
}

/* Attaches a new end with access mode acc to the FIFO's pipe (fresh when it has none, which
 * then is used). *partner says whether the other end was open then, and *partner_opens is
 * its open count then: whether to wait is decided here, under the lock, and a partner that
 * opens (and even closes) between this and the wait still counts. Returns the pipe, or NULL
 * with -ENXIO for a non-blocking writer without a reader. */
static struct pipe *fifo_attach(struct inode *inode, unsigned acc, bool nonblock,
				struct pipe **fresh, bool *partner, unsigned *partner_opens)
{
	irqflags_t irq = spin_lock_irqsave(&fifo_lock);
	struct pipe *p = inode->priv ? inode->priv : *fresh;

	spin_lock(&p->wq.lock);
	bool refused = acc == O_WRONLY && nonblock && !p->readers;
	if (!refused) {
		p->refs++;
		p->readers += acc != O_WRONLY;
		p->writers += acc != O_RDONLY;
		p->reader_opens += acc != O_WRONLY;
		p->writer_opens += acc != O_RDONLY;
		if (p == *fresh) {
			p->fifo = inode;
			inode->priv = p;
			*fresh = NULL;
		}
	}
	*partner = acc == O_RDONLY ? p->writers : p->readers;
	*partner_opens = acc == O_RDONLY ? p->writer_opens : p->reader_opens;
	spin_unlock(&p->wq.lock);
	spin_unlock_irqrestore(&fifo_lock, irq);
	return refused ? NULL : p;
}

/* file_ops.open of a FIFO: an end of its pipe, waiting for the other end when Linux does. */
static int fifo_open(struct inode *inode, struct file *f)
{
	unsigned acc = f->flags & O_ACCMODE;
	struct pipe *fresh = pipe_alloc();
	unsigned seen;
	bool partner;

	if (!fresh)
		return -ENOMEM;
	struct pipe *p = fifo_attach(inode, acc, f->flags & O_NONBLOCK, &fresh, &partner, &seen);
	pipe_free(fresh);
	if (!p)
		return -ENXIO;
	f->priv = p;
	f->ops = acc == O_RDONLY ? &pipe_read_ops : acc == O_WRONLY ? &pipe_write_ops
								 : &pipe_rdwr_ops;
	pipe_wake(p); /* an end waiting for this one */
	if (acc == O_RDWR || (f->flags & O_NONBLOCK) || partner)
		return 0;
	irqflags_t irq = spin_lock_irqsave(&p->wq.lock);
	unsigned *opens = acc == O_RDONLY ? &p->writer_opens : &p->reader_opens;
	unsigned *now = acc == O_RDONLY ? &p->writers : &p->readers;
	int err = 0;
	while (!*now && *opens == seen && !(err = task_interrupted() ? -ERESTARTSYS : 0))
		waitq_sleep_locked(&p->wq, plat_time_ns() + TASK_SIGNAL_CHECK_NS);
	spin_unlock_irqrestore(&p->wq.lock, irq);
	return err;
}

const struct file_ops fifo_file_ops = {
    .open = fifo_open,
    .stream = true,
};
