/*
 * kmalloc: power-of-two size classes from 16 to KMALLOC_MAX_CLASS bytes in slabs, and
 * whole page blocks above that. A slab is a page block that starts with its header (list
 * links and a bitmap of free objects); the head page's buddy metadata `owner` records the
 * class, so kfree finds the slab without touching the object. The allocator never reads
 * or writes a free object, which keeps the memory checkers' view exact: objects are
 * inaccessible from kfree until kmalloc hands them out again.
 * One spinlock (taken with interrupts masked) guards the classes and counters, so any
 * context may allocate and free; slab pages come from the page allocator under it.
 */
#include <amphi/arch.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/string.h>
#include <amphi/sync.h>

#define KMALLOC_MIN_SHIFT 4	   /* 16 bytes */
#define KMALLOC_CLASSES 8	   /* 16 .. 2048 */
#define KMALLOC_OWNER_LARGE 0xffff /* page owner of a block above the largest class */
#define KMALLOC_SLAB_MAX_ORDER 2
#define KMALLOC_SLAB_HEADER 64 /* objects start here, 16-aligned */
#define KMALLOC_MAP_WORDS 4    /* bitmap words: enough for the most objects of any slab */

_Static_assert(KMALLOC_MAX_CLASS == 1 << (KMALLOC_MIN_SHIFT + KMALLOC_CLASSES - 1),
	       "size classes must end at KMALLOC_MAX_CLASS");

/* Header at the start of every slab. */
struct kmalloc_slab {
	struct kmalloc_slab *next, *prev; /* partial list of its class */
	uint16_t class_idx;
	uint16_t nobjs;
	uint16_t nfree;
	uint64_t free_map[KMALLOC_MAP_WORDS]; /* bit set: object free */
};

_Static_assert(sizeof(struct kmalloc_slab) <= KMALLOC_SLAB_HEADER, "slab header too big");

/* Per-class state: slabs with some free objects, and at most one empty slab kept so
 * alloc/free cycles do not churn the page allocator. */
struct kmalloc_class {
	struct kmalloc_slab *partial;
	struct kmalloc_slab *empty;
};

static struct kmalloc_class kmalloc_classes[KMALLOC_CLASSES];
static struct kmalloc_stats kmalloc_counters;
static struct spinlock kmalloc_lock = SPINLOCK_INIT("kmalloc");

/* Object size of class c. */
static size_t kmalloc_class_size(unsigned c)
{
	return (size_t)1 << (KMALLOC_MIN_SHIFT + c);
}

/* Page order of the slabs of class c: big classes use bigger slabs to fit 7+ objects. */
static unsigned kmalloc_slab_order(unsigned c)
{
	size_t size = kmalloc_class_size(c);
	return size <= 512 ? 0 : size == 1024 ? 1 : 2;
}

/* Smallest class that holds size (1 <= size <= KMALLOC_MAX_CLASS). */
static unsigned kmalloc_class_of(size_t size)
{
	unsigned c = 0;

	while (kmalloc_class_size(c) < size)
		c++;
	return c;
}

/* Address of object i of slab s. */
static void *kmalloc_obj(struct kmalloc_slab *s, unsigned i)
{
	return (char *)s + KMALLOC_SLAB_HEADER + i * kmalloc_class_size(s->class_idx);
}

/* Links s at the head of its class's partial list. */
static void kmalloc_partial_push(struct kmalloc_slab *s)
{
	struct kmalloc_class *kc = &kmalloc_classes[s->class_idx];

	s->prev = NULL;
	s->next = kc->partial;
	if (kc->partial)
		kc->partial->prev = s;
	kc->partial = s;
}

/* Unlinks s from its class's partial list. */
static void kmalloc_partial_remove(struct kmalloc_slab *s)
{
	struct kmalloc_class *kc = &kmalloc_classes[s->class_idx];

	if (s->prev)
		s->prev->next = s->next;
	else
		kc->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

/* Allocates and formats a new empty slab of class c, or NULL. */
static struct kmalloc_slab *kmalloc_slab_new(unsigned c)
{
	unsigned order = kmalloc_slab_order(c);
	size_t bytes = PAGE_SIZE << order;
	struct kmalloc_slab *s = page_alloc(order);

	if (!s)
		return NULL;
	page_alloc_meta(s)->owner = (uint16_t)(c + 1);
	*s = (struct kmalloc_slab){.class_idx = (uint16_t)c};
	s->nobjs = (uint16_t)((bytes - KMALLOC_SLAB_HEADER) / kmalloc_class_size(c));
	s->nfree = s->nobjs;
	for (unsigned i = 0; i < s->nobjs; i++)
		s->free_map[i / 64] |= 1ULL << (i % 64);
	plat_mem_noaccess((char *)s + KMALLOC_SLAB_HEADER, bytes - KMALLOC_SLAB_HEADER);
	kmalloc_counters.slab_pages += (size_t)1 << order;
	return s;
}

/* Returns an empty slab's pages to the page allocator. */
static void kmalloc_slab_release(struct kmalloc_slab *s)
{
	unsigned order = kmalloc_slab_order(s->class_idx);

	kmalloc_counters.slab_pages -= (size_t)1 << order;
	page_free(s, order);
}

/* A slab of class c with a free object, or NULL when memory is exhausted. */
static struct kmalloc_slab *kmalloc_slab_with_room(unsigned c)
{
	struct kmalloc_class *kc = &kmalloc_classes[c];
	struct kmalloc_slab *s = kc->partial;

	if (s)
		return s;
	s = kc->empty ? kc->empty : kmalloc_slab_new(c);
	kc->empty = NULL;
	if (s)
		kmalloc_partial_push(s);
	return s;
}

/* Takes the first free object of s. */
static void *kmalloc_slab_take(struct kmalloc_slab *s)
{
	for (unsigned w = 0; w < KMALLOC_MAP_WORDS; w++) {
		if (!s->free_map[w])
			continue;
		unsigned i = w * 64 + (unsigned)__builtin_ctzll(s->free_map[w]);
		s->free_map[w] &= ~(1ULL << (i % 64));
		if (--s->nfree == 0)
			kmalloc_partial_remove(s);
		return kmalloc_obj(s, i);
	}
	panic("kmalloc: slab %p on the partial list has no free object", (void *)s);
}

/* Serves a request above the largest class with a page block, or NULL. */
static void *kmalloc_large(size_t size)
{
	unsigned order = 0;

	while (order < BUDDY_ORDERS && (PAGE_SIZE << order) < size)
		order++;
	if (order == BUDDY_ORDERS)
		return NULL;
	void *p = page_alloc(order);
	if (!p)
		return NULL;
	page_alloc_meta(p)->owner = KMALLOC_OWNER_LARGE;
	plat_mem_noaccess(p, PAGE_SIZE << order); /* the slack past size stays out of bounds */
	kmalloc_counters.large_pages += (size_t)1 << order;
	kmalloc_counters.bytes += PAGE_SIZE << order;
	return p;
}

/* kmalloc's body, under kmalloc_lock. */
static void *kmalloc_locked(size_t size)
{
	void *p;

	if (size > KMALLOC_MAX_CLASS) {
		p = kmalloc_large(size);
	} else {
		unsigned c = kmalloc_class_of(size);
		struct kmalloc_slab *s = kmalloc_slab_with_room(c);
		p = s ? kmalloc_slab_take(s) : NULL;
		if (p)
			kmalloc_counters.bytes += kmalloc_class_size(c);
	}
	if (!p)
		return NULL;
	kmalloc_counters.objects++;
	plat_mem_alloc_hook(p, size);
	return p;
}

void *kmalloc(size_t size)
{
	if (size == 0)
		return NULL;
	irqflags_t flags = spin_lock_irqsave(&kmalloc_lock);
	void *p = kmalloc_locked(size);
	spin_unlock_irqrestore(&kmalloc_lock, flags);
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

/* What kfree and kmalloc_usable_size learn about a pointer from metadata alone. */
struct kmalloc_block {
	struct kmalloc_slab *slab; /* NULL for a large block */
	unsigned index;		   /* object index in slab */
	unsigned order;		   /* page order of a large block */
	size_t size;		   /* usable size */
};

/* Finds the slab or large block p was handed out from, reading only page metadata and slab
 * headers, never the object. Panics when p cannot have come from kmalloc. */
static void kmalloc_lookup(const void *p, const char *who, struct kmalloc_block *out)
{
	uintptr_t page = ALIGN_DOWN((uintptr_t)p, PAGE_SIZE);

	for (unsigned k = 0; k < (1u << KMALLOC_SLAB_MAX_ORDER); k++) {
		const char *head = (const char *)(page - k * PAGE_SIZE);
		struct buddy_page *meta = page_alloc_meta(head);
		if (!meta || meta->state == BUDDY_FREE)
			break;
		if (meta->state != BUDDY_USED)
			continue; /* a tail page: its head is further down */
		if (k == 0 && meta->owner == KMALLOC_OWNER_LARGE && (uintptr_t)p == page) {
			*out =
			    (struct kmalloc_block){NULL, 0, meta->order, PAGE_SIZE << meta->order};
			return;
		}
		if (meta->owner == 0 || meta->owner > KMALLOC_CLASSES ||
		    k >= ((size_t)1 << kmalloc_slab_order(meta->owner - 1u)))
			break;
		struct kmalloc_slab *s = (struct kmalloc_slab *)head;
		size_t size = kmalloc_class_size(s->class_idx);
		size_t off = (size_t)((const char *)p - head);
		if (off < KMALLOC_SLAB_HEADER || (off - KMALLOC_SLAB_HEADER) % size ||
		    (off - KMALLOC_SLAB_HEADER) / size >= s->nobjs)
			break;
		*out = (struct kmalloc_block){s, (unsigned)((off - KMALLOC_SLAB_HEADER) / size), 0,
					      size};
		return;
	}
	panic("%s: %p is not a live kmalloc block (bad pointer or double free)", who, p);
}

/* Puts object i back into slab s; keeps the most recently emptied slab of its class. */
static void kmalloc_slab_put(struct kmalloc_slab *s, unsigned i)
{
	struct kmalloc_class *kc = &kmalloc_classes[s->class_idx];

	s->free_map[i / 64] |= 1ULL << (i % 64);
	if (s->nfree++ == 0)
		kmalloc_partial_push(s);
	if (s->nfree < s->nobjs)
		return;
	kmalloc_partial_remove(s);
	if (kc->empty)
		kmalloc_slab_release(kc->empty);
	kc->empty = s; /* the newest, so a double free of its last object is still seen */
}

/* kfree's body, under kmalloc_lock. */
static void kfree_locked(void *p)
{
	struct kmalloc_block b;

	kmalloc_lookup(p, "kfree", &b);
	/* the checkers see the free before any bookkeeping, so they report misuse first */
	plat_mem_free_hook(p, b.size);
	if (b.slab && (b.slab->free_map[b.index / 64] & (1ULL << (b.index % 64))))
		panic("kfree: double free of %p", p);
	kmalloc_counters.objects--;
	kmalloc_counters.bytes -= b.size;
	if (b.slab) {
		kmalloc_slab_put(b.slab, b.index);
		return;
	}
	kmalloc_counters.large_pages -= (size_t)1 << b.order;
	page_free(p, b.order);
}

void kfree(void *p)
{
	if (!p)
		return;
	irqflags_t flags = spin_lock_irqsave(&kmalloc_lock);
	kfree_locked(p);
	spin_unlock_irqrestore(&kmalloc_lock, flags);
}

size_t kmalloc_usable_size(const void *p)
{
	struct kmalloc_block b;
	irqflags_t flags = spin_lock_irqsave(&kmalloc_lock);

	kmalloc_lookup(p, "kmalloc_usable_size", &b);
	bool is_free = b.slab && (b.slab->free_map[b.index / 64] & (1ULL << (b.index % 64)));
	spin_unlock_irqrestore(&kmalloc_lock, flags);
	if (is_free)
		panic("kmalloc_usable_size: %p is free", p);
	return b.size;
}

void kmalloc_get_stats(struct kmalloc_stats *st)
{
	irqflags_t flags = spin_lock_irqsave(&kmalloc_lock);

	*st = kmalloc_counters;
	spin_unlock_irqrestore(&kmalloc_lock, flags);
}
