/*
 * Descriptor tables: slots pointing at open files, with a close-on-exec flag each. A table
 * is counted (threads made with CLONE_FILES share one); fork copies it, and the copy holds
 * its own references to the same files. Files are dropped outside the table's lock, since
 * releasing one (a pipe's end) may wake other threads.
 */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/string.h>

#define FD_TABLE_FIRST 64 /* slots in a new table; it grows up to VFS_FD_MAX */

/* A table with size slots, no files, one reference; NULL when out of memory. */
static struct fd_table *fd_table_alloc(unsigned size)
{
	struct fd_table *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	t->files = kzalloc(size * sizeof(*t->files));
	t->cloexec = kzalloc(size);
	if (!t->files || !t->cloexec) {
		kfree(t->files);
		kfree(t->cloexec);
		kfree(t);
		return NULL;
	}
	spin_lock_init(&t->lock, "fd_table");
	t->refs = 1;
	t->size = size;
	return t;
}

struct fd_table *fd_table_create(void)
{
	return fd_table_alloc(FD_TABLE_FIRST);
}

struct fd_table *fd_table_clone(struct fd_table *t)
{
	irqflags_t irq = spin_lock_irqsave(&t->lock);
	unsigned size = t->size;

	spin_unlock_irqrestore(&t->lock, irq);
	for (;;) {
		struct fd_table *c = fd_table_alloc(size);
		if (!c)
			return NULL;
		irq = spin_lock_irqsave(&t->lock);
		if (t->size == size) { /* it did not grow while the copy was allocated */
			for (unsigned i = 0; i < size; i++) {
				c->files[i] = t->files[i];
				c->cloexec[i] = t->cloexec[i];
				if (c->files[i])
					file_get(c->files[i]);
			}
			spin_unlock_irqrestore(&t->lock, irq);
			return c;
		}
		size = t->size;
		spin_unlock_irqrestore(&t->lock, irq);
		fd_table_put(c);
	}
}

void fd_table_get(struct fd_table *t)
{
	if (atomic_fetch_add(&t->refs, 1) == 0)
		panic("fd_table_get: table %p has no references left", (void *)t);
}

void fd_table_put(struct fd_table *t)
{
	if (atomic_fetch_add(&t->refs, -1u) != 1)
		return;
	fd_close_range(t, 0, ~0u, false);
	kfree(t->files);
	kfree(t->cloexec);
	kfree(t);
}

void fd_table_close_on_exec(struct fd_table *t)
{
	for (unsigned fd = 0;; fd++) {
		struct file *f = NULL;
		irqflags_t irq = spin_lock_irqsave(&t->lock);
		bool end = fd >= t->size;
		if (!end && t->cloexec[fd]) {
			f = t->files[fd];
			t->files[fd] = NULL;
			t->cloexec[fd] = 0;
		}
		spin_unlock_irqrestore(&t->lock, irq);
		if (end)
			return;
		if (f)
			file_put(f);
	}
}

/* Makes the table hold at least n slots (lock dropped while allocating). Returns 0, or
 * -EMFILE past VFS_FD_MAX, -ENOMEM. Called and returns with the lock held. */
static int fd_table_grow(struct fd_table *t, unsigned n, irqflags_t *irq)
{
	while (t->size < n) {
		if (n > VFS_FD_MAX)
			return -EMFILE;
		unsigned size = MIN(MAX(t->size * 2, n), (unsigned)VFS_FD_MAX);
		spin_unlock_irqrestore(&t->lock, *irq);
		struct file **files = kzalloc(size * sizeof(*files));
		uint8_t *cloexec = kzalloc(size);
		*irq = spin_lock_irqsave(&t->lock);
		if (!files || !cloexec) {
			kfree(files);
			kfree(cloexec);
			return -ENOMEM;
		}
		if (t->size >= size) { /* another thread grew it meanwhile */
			kfree(files);
			kfree(cloexec);
			continue;
		}
		memcpy(files, t->files, t->size * sizeof(*files));
		memcpy(cloexec, t->cloexec, t->size);
		kfree(t->files);
		kfree(t->cloexec);
		t->files = files;
		t->cloexec = cloexec;
		t->size = size;
	}
	return 0;
}

int fd_install(struct fd_table *t, struct file *f, unsigned min, unsigned limit, bool cloexec)
{
	irqflags_t irq = spin_lock_irqsave(&t->lock);
	unsigned fd = min;
	int err = 0;

	limit = MIN(limit, (unsigned)VFS_FD_MAX);
	for (;; fd++) {
		if (fd >= limit)
			err = -EMFILE;
		else if (fd >= t->size)
			err = fd_table_grow(t, fd + 1, &irq);
		if (err || !t->files[fd])
			break;
	}
	if (!err) {
		file_get(f);
		t->files[fd] = f;
		t->cloexec[fd] = cloexec;
	}
	spin_unlock_irqrestore(&t->lock, irq);
	return err ? err : (int)fd;
}

bool fd_free_below(struct fd_table *t, unsigned limit)
{
	irqflags_t irq = spin_lock_irqsave(&t->lock);
	bool found = limit > t->size;

	for (unsigned fd = 0; !found && fd < limit; fd++)
		found = !t->files[fd];
	spin_unlock_irqrestore(&t->lock, irq);
	return found;
}

int fd_install_at(struct fd_table *t, unsigned fd, struct file *f, bool cloexec)
{
	if (fd >= VFS_FD_MAX)
		return -EBADF;
	irqflags_t irq = spin_lock_irqsave(&t->lock);
	int err = fd >= t->size ? fd_table_grow(t, fd + 1, &irq) : 0;
	struct file *old = NULL;
	if (!err) {
		old = t->files[fd];
		file_get(f);
		t->files[fd] = f;
		t->cloexec[fd] = cloexec;
	}
	spin_unlock_irqrestore(&t->lock, irq);
	if (old)
		file_put(old);
	return err ? (err == -EMFILE ? -EBADF : err) : (int)fd;
}

struct file *fd_get(struct fd_table *t, int fd)
{
	struct file *f = NULL;
	irqflags_t irq = spin_lock_irqsave(&t->lock);

	if (fd >= 0 && (unsigned)fd < t->size && t->files[fd]) {
		f = t->files[fd];
		file_get(f);
	}
	spin_unlock_irqrestore(&t->lock, irq);
	return f;
}

int fd_close(struct fd_table *t, int fd)
{
	struct file *f = NULL;
	irqflags_t irq = spin_lock_irqsave(&t->lock);

	if (fd >= 0 && (unsigned)fd < t->size) {
		f = t->files[fd];
		t->files[fd] = NULL;
		t->cloexec[fd] = 0;
	}
	spin_unlock_irqrestore(&t->lock, irq);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

int fd_cloexec(struct fd_table *t, int fd, int set)
{
	irqflags_t irq = spin_lock_irqsave(&t->lock);
	int r = -EBADF;

	if (fd >= 0 && (unsigned)fd < t->size && t->files[fd]) {
		if (set >= 0)
			t->cloexec[fd] = (uint8_t)(set != 0);
		r = t->cloexec[fd];
	}
	spin_unlock_irqrestore(&t->lock, irq);
	return r;
}

void fd_close_range(struct fd_table *t, unsigned first, unsigned last, bool cloexec)
{
	for (unsigned fd = first; fd <= last; fd++) {
		struct file *f = NULL;
		irqflags_t irq = spin_lock_irqsave(&t->lock);
		bool end = fd >= t->size;
		if (!end && t->files[fd] && cloexec) {
			t->cloexec[fd] = 1;
		} else if (!end) {
			f = t->files[fd];
			t->files[fd] = NULL;
			t->cloexec[fd] = 0;
		}
		spin_unlock_irqrestore(&t->lock, irq);
		if (f)
			file_put(f);
		if (end || fd == last)
			return;
	}
}

void fd_table_for_each(struct fd_table *t, int (*fn)(int fd, struct file *f, void *ctx),
		       void *ctx)
{
	for (int fd = 0;; fd++) {
		irqflags_t irq = spin_lock_irqsave(&t->lock);
		bool end = (unsigned)fd >= t->size;
		spin_unlock_irqrestore(&t->lock, irq);
		if (end)
			return;
		struct file *f = fd_get(t, fd);
		if (!f)
			continue;
		int stop = fn(fd, f, ctx);
		file_put(f);
		if (stop)
			return;
	}
}
