/*
 * Memory objects: the pages of a file (its page cache) or of shared anonymous memory. An
 * object holds one reference to each of its pages, and a space that maps one takes
 * another, so a page outlives a truncation for as long as some space maps it. Data is
 * copied page by page with the object's lock dropped, because copying to user memory may
 * resolve pages under a space's lock, which is taken before an object's.
 */
#include <amphi/errno.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#define VM_OBJECT_MAX_PAGES (VM_OBJECT_MAX_SIZE / PAGE_SIZE)

static uint64_t vm_object_next_id = 1;

struct vm_object *vm_object_create(void)
{
	struct vm_object *o = kzalloc(sizeof(*o));

	if (!o)
		return NULL;
	spin_lock_init(&o->lock, "vm_object");
	o->refs = 1;
	o->id = __atomic_fetch_add(&vm_object_next_id, 1, __ATOMIC_RELAXED);
	return o;
}

void vm_object_get(struct vm_object *o)
{
	irqflags_t irq = spin_lock_irqsave(&o->lock);

	if (o->refs == 0)
		panic("vm_object_get: object %p has no references left", (void *)o);
	o->refs++;
	spin_unlock_irqrestore(&o->lock, irq);
}

/* Drops the pages from index first on (lock held). */
static void vm_object_drop_from(struct vm_object *o, size_t first)
{
	for (size_t i = first; i < o->slots; i++) {
		if (o->pages[i])
			page_put(o->pages[i]);
		o->pages[i] = 0;
	}
}

void vm_object_put(struct vm_object *o)
{
	irqflags_t irq = spin_lock_irqsave(&o->lock);
	bool last = --o->refs == 0;

	spin_unlock_irqrestore(&o->lock, irq);
	if (!last)
		return;
	vm_object_drop_from(o, 0);
	kfree(o->pages);
	kfree(o);
}

/* Makes pages[] hold at least n slots. Returns 0 or -ENOMEM (lock held: kmalloc does not
 * sleep). */
static int vm_object_grow(struct vm_object *o, size_t n)
{
	if (n <= o->slots)
		return 0;
	size_t slots = MAX(n, MAX(o->slots * 2, (size_t)16));
	paddr_t *pages = kzalloc(slots * sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	if (o->slots)
		memcpy(pages, o->pages, o->slots * sizeof(*pages));
	kfree(o->pages);
	o->pages = pages;
	o->slots = slots;
	return 0;
}

/* vm_object_page with the lock held. */
static int vm_object_page_locked(struct vm_object *o, uint64_t index, paddr_t *pa)
{
	if (index >= VM_OBJECT_MAX_PAGES)
		return -EFBIG;
	int err = vm_object_grow(o, (size_t)index + 1);
	if (err)
		return err;
	if (!o->pages[index]) {
		paddr_t page = page_user_alloc();
		if (!page)
			return -ENOMEM;
		memset(plat_phys_to_virt(page), 0, PAGE_SIZE);
		o->pages[index] = page;
	}
	*pa = o->pages[index];
	page_get(*pa);
	return 0;
}

int vm_object_page(struct vm_object *o, uint64_t index, paddr_t *pa)
{
	irqflags_t irq = spin_lock_irqsave(&o->lock);
	int err = vm_object_page_locked(o, index, pa);

	spin_unlock_irqrestore(&o->lock, irq);
	return err;
}

int vm_object_peek(struct vm_object *o, uint64_t index, paddr_t *pa)
{
	irqflags_t irq = spin_lock_irqsave(&o->lock);
	int err = index < o->slots && o->pages[index] ? 0 : -ENOENT;

	if (!err) {
		*pa = o->pages[index];
		page_get(*pa);
	}
	spin_unlock_irqrestore(&o->lock, irq);
	return err;
}

uint64_t vm_object_size(struct vm_object *o)
{
	irqflags_t irq = spin_lock_irqsave(&o->lock);
	uint64_t size = o->size;

	spin_unlock_irqrestore(&o->lock, irq);
	return size;
}

/* Extends the size to at least end (lock taken). */
static void vm_object_extend(struct vm_object *o, uint64_t end)
{
	irqflags_t irq = spin_lock_irqsave(&o->lock);

	o->size = MAX(o->size, end);
	spin_unlock_irqrestore(&o->lock, irq);
}

long vm_object_rw(struct vm_object *o, uint64_t off, size_t len, bool write,
		  int (*copy)(void *page_bytes, size_t done, size_t n, void *ctx), void *ctx)
{
	if (off >= VM_OBJECT_MAX_SIZE && len)
		return write ? -EFBIG : 0;
	uint64_t size = vm_object_size(o);
	if (!write)
		len = off >= size ? 0 : (size_t)MIN((uint64_t)len, size - off);
	len = (size_t)MIN((uint64_t)len, VM_OBJECT_MAX_SIZE - off);
	size_t done = 0;
	while (done < len) {
		uint64_t at = off + done;
		size_t n = MIN(len - done, PAGE_SIZE - (size_t)(at % PAGE_SIZE));
		paddr_t pa;
		int err = vm_object_page(o, at / PAGE_SIZE, &pa);
		if (err)
			return done ? (long)done : err;
		err = copy((uint8_t *)plat_phys_to_virt(pa) + at % PAGE_SIZE, done, n, ctx);
		page_put(pa);
		if (err)
			return done ? (long)done : err;
		done += n;
		if (write)
			vm_object_extend(o, at + n);
	}
	return (long)done;
}

/* vm_object_rw copiers for a kernel buffer: ctx is its start. */
static int vm_object_copy_out(void *page_bytes, size_t done, size_t n, void *ctx)
{
	memcpy((uint8_t *)ctx + done, page_bytes, n);
	return 0;
}

static int vm_object_copy_in(void *page_bytes, size_t done, size_t n, void *ctx)
{
	memcpy(page_bytes, (const uint8_t *)ctx + done, n);
	return 0;
}

long vm_object_read(struct vm_object *o, uint64_t off, void *buf, size_t len)
{
	return vm_object_rw(o, off, len, false, vm_object_copy_out, buf);
}

long vm_object_write(struct vm_object *o, uint64_t off, const void *buf, size_t len)
{
	return vm_object_rw(o, off, len, true, vm_object_copy_in, (void *)buf);
}

int vm_object_truncate(struct vm_object *o, uint64_t size)
{
	if (size > VM_OBJECT_MAX_SIZE)
		return -EFBIG;
	irqflags_t irq = spin_lock_irqsave(&o->lock);
	size_t keep = (size_t)(ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
	if (keep < o->slots)
		vm_object_drop_from(o, keep);
	if (size % PAGE_SIZE && keep - 1 < o->slots && o->pages[keep - 1]) {
		uint8_t *last = plat_phys_to_virt(o->pages[keep - 1]);
		memset(last + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
	}
	o->size = size;
	spin_unlock_irqrestore(&o->lock, irq);
	return 0;
}
