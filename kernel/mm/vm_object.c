/*
 * Memory objects: the pages of a file (its page cache) or of shared anonymous memory. An
 * object holds one reference to each of its pages, and a space that maps one takes
 * another, so a page outlives a truncation for as long as some space maps it. Data is
 * copied page by page with the object's lock dropped, because copying to user memory may
 * resolve pages under a space's lock, which is taken before an object's. The pages are
 * found through a small radix tree (64 slots a node, as tall as the largest index needs),
 * so a file written 30 GiB in costs one page and four nodes, not a table of its offsets.
 */
#include <amphi/errno.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#define VM_OBJECT_MAX_PAGES (VM_OBJECT_MAX_SIZE / PAGE_SIZE)
#define VM_OBJECT_FANOUT_SHIFT 6
#define VM_OBJECT_FANOUT (1u << VM_OBJECT_FANOUT_SHIFT) /* slots of a page tree node */

static uint64_t vm_object_next_id = 1;

struct vm_object *vm_object_create(void)
{
	struct vm_object *o = kzalloc(sizeof(*o));

	if (!o)
		return NULL;
	spin_lock_init(&o->lock, "vm_object");
	o->refs = 1;
	vm_object_changed(o);
	return o;
}

void vm_object_changed(struct vm_object *o)
{
	__atomic_store_n(&o->id, __atomic_fetch_add(&vm_object_next_id, 1, __ATOMIC_RELAXED),
			 __ATOMIC_RELEASE);
}

uint64_t vm_object_id(struct vm_object *o)
{
	return __atomic_load_n(&o->id, __ATOMIC_ACQUIRE);
}

void vm_object_get(struct vm_object *o)
{
	irqflags_t irq = spin_lock_irqsave(&o->lock);

	if (o->refs == 0)
		panic("vm_object_get: object %p has no references left", (void *)o);
	o->refs++;
	spin_unlock_irqrestore(&o->lock, irq);
}

/* A node of an object's page tree: at the bottom level (1) its slots hold pages, above
 * it nodes of the level below. */
struct vm_object_node {
	union {
		struct vm_object_node *child[VM_OBJECT_FANOUT];
		paddr_t page[VM_OBJECT_FANOUT];
	};
};

/* Pages a subtree of level levels covers (1 for level 0: one page). */
static uint64_t vm_object_span(unsigned level)
{
	return 1ULL << (VM_OBJECT_FANOUT_SHIFT * level);
}

/* The slot of page index in its node at level (1 = bottom). */
static unsigned vm_object_slot(uint64_t index, unsigned level)
{
	return (unsigned)(index >> (VM_OBJECT_FANOUT_SHIFT * (level - 1))) & (VM_OBJECT_FANOUT - 1);
}

/* The page at index, or 0 when the object has none there (lock held). */
static paddr_t vm_object_lookup(const struct vm_object *o, uint64_t index)
{
	if (!o->height || index >= vm_object_span(o->height))
		return 0;
	const struct vm_object_node *n = o->root;
	for (unsigned level = o->height; level > 1; level--) {
		n = n->child[vm_object_slot(index, level)];
		if (!n)
			return 0;
	}
	return n->page[vm_object_slot(index, 1)];
}

/* The slot of page index, making the tree taller and the nodes on the way as needed
 * (lock held: kmalloc does not sleep). NULL when out of memory; nodes made before that
 * stay, empty, until the object goes. */
static paddr_t *vm_object_slot_make(struct vm_object *o, uint64_t index)
{
	while (!o->height || index >= vm_object_span(o->height)) {
		struct vm_object_node *top = kzalloc(sizeof(*top));
		if (!top)
			return NULL;
		if (o->height)
			top->child[0] = o->root;
		o->root = top;
		o->height++;
	}
	struct vm_object_node *n = o->root;
	for (unsigned level = o->height; level > 1; level--) {
		struct vm_object_node **next = &n->child[vm_object_slot(index, level)];
		if (!*next && !(*next = kzalloc(sizeof(**next))))
			return NULL;
		n = *next;
	}
	return &n->page[vm_object_slot(index, 1)];
}

/* Drops the pages of subtree n (at level, its first page base) from index first on, and
 * frees its nodes that lie wholly there. True when n itself was freed. */
static bool vm_object_drop_subtree(struct vm_object_node *n, unsigned level, uint64_t base,
				   uint64_t first)
{
	uint64_t step = vm_object_span(level - 1);

	for (unsigned i = 0; i < VM_OBJECT_FANOUT; i++) {
		uint64_t at = base + i * step;
		if (at + step <= first)
			continue;
		if (level == 1 && n->page[i]) {
			page_put(n->page[i]);
			n->page[i] = 0;
		} else if (level > 1 && n->child[i] &&
			   vm_object_drop_subtree(n->child[i], level - 1, at, first)) {
			n->child[i] = NULL;
		}
	}
	if (base < first)
		return false;
	kfree(n);
	return true;
}

/* Drops the pages from index first on (lock held). */
static void vm_object_drop_from(struct vm_object *o, uint64_t first)
{
	if (o->height && vm_object_drop_subtree(o->root, o->height, 0, first)) {
		o->root = NULL;
		o->height = 0;
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
	kfree(o);
}

/* vm_object_page with the lock held. */
static int vm_object_page_locked(struct vm_object *o, uint64_t index, paddr_t *pa)
{
	if (index >= VM_OBJECT_MAX_PAGES)
		return -EFBIG;
	paddr_t *slot = vm_object_slot_make(o, index);
	if (!slot)
		return -ENOMEM;
	if (!*slot) {
		paddr_t page = page_user_alloc();
		if (!page)
			return -ENOMEM;
		memset(plat_phys_to_virt(page), 0, PAGE_SIZE);
		*slot = page;
	}
	*pa = *slot;
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
	paddr_t page = vm_object_lookup(o, index);

	if (page) {
		*pa = page;
		page_get(page);
	}
	spin_unlock_irqrestore(&o->lock, irq);
	return page ? 0 : -ENOENT;
}

int vm_object_adopt(struct vm_object *o, uint64_t index, paddr_t pa, uint64_t size)
{
	if (index >= VM_OBJECT_MAX_PAGES || size > VM_OBJECT_MAX_SIZE)
		return -EFBIG;
	irqflags_t irq = spin_lock_irqsave(&o->lock);
	paddr_t *slot = vm_object_slot_make(o, index);
	int err = !slot ? -ENOMEM : *slot ? -EEXIST : 0;
	if (!err) {
		*slot = pa;
		o->size = MAX(o->size, size);
		vm_object_changed(o);
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

/* After a write up to end: extends the size to at least end and renews the id (lock
 * taken). */
static void vm_object_extend(struct vm_object *o, uint64_t end)
{
	irqflags_t irq = spin_lock_irqsave(&o->lock);

	o->size = MAX(o->size, end);
	vm_object_changed(o);
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
	uint64_t keep = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
	vm_object_drop_from(o, keep);
	paddr_t last = size % PAGE_SIZE ? vm_object_lookup(o, keep - 1) : 0;
	if (last) {
		uint8_t *bytes = plat_phys_to_virt(last);
		memset(bytes + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
	}
	o->size = size;
	vm_object_changed(o);
	spin_unlock_irqrestore(&o->lock, irq);
	return 0;
}
