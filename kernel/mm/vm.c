/*
 * Address spaces: areas (VMAs) describe what each user range is, and pages are filled in
 * on first touch by vm_resolve, which both the user page-fault path and the kernel's own
 * user-memory copies go through. Pages are counted (page_get/page_put): a private area maps
 * an object's page read-only until it writes it, and then gets its own copy (copy on write),
 * or takes the page over when no one else holds it. One irq-safe lock per space covers
 * its areas and tables, so the hosted machine's fault handler may resolve from any context
 * in which user code ran.
 *
 * TLB shootdown: a change that removes or narrows translations calls plat_mmu_invalidate
 * with the lock held, and the platform returns once no CPU can use them (the other CPUs
 * holding the space run its call through vm_shootdown); only then are the pages freed.
 * The lock holder may thus wait for other CPUs with interrupts masked, so a CPU spinning
 * for the lock runs the calls queued for it meanwhile (vm_lock).
 */
#include <amphi/atomic.h>
#include <amphi/cmdline.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/smp.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#define VM_MMAP_TOP 0x7ff000000000ULL /* mmap grows down from here, below the stack */
#define VM_GATHER_PAGES 64 /* pages an unmap frees per shootdown */

static uint64_t vm_next_id = 1;
static bool vm_shootdown_off; /* tlb_shootdown=off: the planted bug of vm_shootdown */

void vm_init(const char *cmdline)
{
	char value[8];

	vm_shootdown_off = cmdline_get(cmdline, "tlb_shootdown", value, sizeof(value)) > 0 &&
			   strcmp(value, "off") == 0;
	if (vm_shootdown_off)
		kprintf("vm: tlb_shootdown=off: other CPUs keep stale translations (a planted "
			"bug for tests)\n");
}

bool vm_shootdown_enabled(void)
{
	return !vm_shootdown_off;
}

void vm_shootdown(const uint64_t *loaded, uint64_t key, void (*fn)(void *arg), void *arg)
{
	if (!vm_shootdown_off) {
		smp_call_where(loaded, key, fn, arg);
		return;
	}
	irqflags_t flags = plat_irq_save();
	if (atomic_load(&loaded[plat_cpu_id()]) == key)
		fn(arg);
	plat_irq_restore(flags);
}

/* Masks interrupts and takes vm's lock; while it waits, runs the calls other CPUs queue
 * here, since the holder may be waiting for this CPU's part of a shootdown. Returns the
 * interrupt state for spin_unlock_irqrestore. */
static irqflags_t vm_lock(struct vm_space *vm)
{
	irqflags_t flags = plat_irq_save();

	while (!spin_trylock(&vm->lock)) {
		smp_call_poll();
		plat_sched_point(PLAT_POINT_SPIN);
		arch_cpu_relax();
	}
	return flags;
}

struct vm_space *vm_space_create(void)
{
	struct vm_space *vm = kzalloc(sizeof(*vm));

	if (!vm)
		return NULL;
	if (pt_create(&vm->root) < 0) {
		kfree(vm);
		return NULL;
	}
	spin_lock_init(&vm->lock, "vm_space");
	list_init(&vm->areas);
	vm->mmap_top = VM_MMAP_TOP;
	vm->refs = 1;
	vm->id = __atomic_fetch_add(&vm_next_id, 1, __ATOMIC_RELAXED);
	return vm;
}

void vm_space_get(struct vm_space *vm)
{
	irqflags_t flags = vm_lock(vm);

	if (vm->refs == 0)
		panic("vm_space_get: space %p has no references left", (void *)vm);
	vm->refs++;
	spin_unlock_irqrestore(&vm->lock, flags);
}

/* Frees one mapped page (a pt_for_each callback); ctx is the space. */
static void vm_free_page(uintptr_t va, pte_t e, void *ctx)
{
	struct vm_space *vm = ctx;

	(void)va;
	page_put(arch_pte_addr(e));
	vm->resident--;
}

/* Unlinks area a and frees it with its reference to its object. */
static void vm_area_free(struct vm_area *a)
{
	list_del(&a->node);
	if (a->obj)
		vm_object_put(a->obj);
	kfree(a);
}

void vm_space_put(struct vm_space *vm)
{
	irqflags_t flags = vm_lock(vm);
	bool last = --vm->refs == 0;

	spin_unlock_irqrestore(&vm->lock, flags);
	if (!last)
		return;
	pt_for_each(vm->root, 0, USER_VA_END, true, vm_free_page, vm);
	pt_destroy(vm->root);
	while (!list_empty(&vm->areas))
		vm_area_free(list_entry(list_first(&vm->areas), struct vm_area, node));
	kfree(vm);
}

/* Moves vm's generation on (lock held); CPUs read it without the lock before they run
 * the space. */
static void vm_generation_bump(struct vm_space *vm)
{
	__atomic_fetch_add(&vm->generation, 1, __ATOMIC_RELEASE);
}

/* True when [start, end) is a page-aligned, non-empty user range. */
static bool vm_range_ok(uintptr_t start, uintptr_t end)
{
	return start < end && end <= USER_VA_END && IS_ALIGNED(start, PAGE_SIZE) &&
	       IS_ALIGNED(end, PAGE_SIZE);
}

/* The area holding va, or NULL (lock held). */
static struct vm_area *vm_area_find(struct vm_space *vm, uintptr_t va)
{
	struct list_node *pos;

	list_for_each(pos, &vm->areas)
	{
		struct vm_area *a = list_entry(pos, struct vm_area, node);
		if (va < a->start)
			return NULL;
		if (va < a->end)
			return a;
	}
	return NULL;
}

/* Inserts a in address order; -EEXIST when it overlaps an area (lock held). */
static int vm_area_insert(struct vm_space *vm, struct vm_area *a)
{
	struct list_node *pos;

	list_for_each(pos, &vm->areas)
	{
		struct vm_area *b = list_entry(pos, struct vm_area, node);
		if (b->end <= a->start)
			continue;
		if (b->start < a->end)
			return -EEXIST;
		break;
	}
	list_add_before(pos, &a->node);
	return 0;
}

int vm_area_add(struct vm_space *vm, uintptr_t start, uintptr_t end, unsigned prot,
		unsigned flags, struct vm_object *obj, uint64_t obj_offset, size_t file_len)
{
	if (!vm_range_ok(start, end) || (prot & ~(VM_READ | VM_WRITE | VM_EXEC)) ||
	    !IS_ALIGNED(obj_offset, PAGE_SIZE) || obj_offset > VM_OBJECT_MAX_SIZE)
		return -EINVAL;
	if ((prot & VM_WRITE) && (prot & VM_EXEC))
		return -EINVAL; /* W^X */
	struct vm_area *a = kzalloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	*a = (struct vm_area){.start = start, .end = end, .prot = prot, .flags = flags,
			      .obj = obj, .obj_offset = obj_offset,
			      .file_end = obj ? start + MIN(file_len, end - start) : start};
	if (obj)
		vm_object_get(obj);
	irqflags_t irq = vm_lock(vm);
	int err = vm_area_insert(vm, a);
	spin_unlock_irqrestore(&vm->lock, irq);
	if (err) {
		if (obj)
			vm_object_put(obj);
		kfree(a);
	}
	return err;
}

/* Splits the area holding addr at addr (page aligned) so that an area starts there.
 * Returns 0 or -ENOMEM (lock held). */
static int vm_split_at(struct vm_space *vm, uintptr_t addr)
{
	struct vm_area *a = vm_area_find(vm, addr);

	if (!a || a->start == addr)
		return 0;
	struct vm_area *b = kmalloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	*b = *a;
	b->start = addr;
	b->obj_offset += addr - a->start;
	b->file_end = MAX(a->file_end, addr);
	a->end = addr;
	a->file_end = MIN(a->file_end, addr);
	if (b->obj)
		vm_object_get(b->obj);
	list_add_before(a->node.next, &b->node);
	return 0;
}

/* Splits areas so that none straddles start or end (lock held). */
static int vm_split_range(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	int err = vm_split_at(vm, start);

	return err ? err : vm_split_at(vm, end);
}

/* Pages an unmap took out of the tables, freed once no CPU can reach them. */
struct vm_gather {
	struct vm_space *vm;
	uintptr_t start; /* of the range not yet invalidated */
	paddr_t pages[VM_GATHER_PAGES];
	unsigned n;
};

/* Invalidates [g->start, end) on every CPU, then frees the pages gathered (lock held). */
static void vm_gather_flush(struct vm_gather *g, uintptr_t end)
{
	plat_mmu_invalidate(g->vm, g->start, end, true);
	for (unsigned i = 0; i < g->n; i++)
		page_put(g->pages[i]);
	g->n = 0;
	g->start = end;
}

/* Gathers one page taken out of the tables (a pt_for_each callback); ctx is the gather. */
static void vm_gather_page(uintptr_t va, pte_t e, void *ctx)
{
	struct vm_gather *g = ctx;

	g->pages[g->n++] = arch_pte_addr(e);
	g->vm->resident--;
	if (g->n == VM_GATHER_PAGES)
		vm_gather_flush(g, va + PAGE_SIZE);
}

int vm_unmap(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	if (!vm_range_ok(start, end))
		return -EINVAL;
	irqflags_t irq = vm_lock(vm);
	int err = vm_split_range(vm, start, end);
	struct list_node *pos = vm->areas.next;
	while (!err && pos != &vm->areas) {
		struct vm_area *a = list_entry(pos, struct vm_area, node);
		pos = pos->next;
		if (a->start >= start && a->end <= end)
			vm_area_free(a);
	}
	if (!err) {
		struct vm_gather g = {.vm = vm, .start = start};
		vm_generation_bump(vm);
		pt_for_each(vm->root, start, end, true, vm_gather_page, &g);
		vm_gather_flush(&g, end);
	}
	spin_unlock_irqrestore(&vm->lock, irq);
	return err;
}

/* True when areas cover [start, end) without a hole (lock held). */
static bool vm_covered(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	uintptr_t at = start;

	while (at < end) {
		struct vm_area *a = vm_area_find(vm, at);
		if (!a)
			return false;
		at = a->end;
	}
	return true;
}

struct vm_reprotect {
	struct vm_space *vm;
	unsigned prot;
	bool shared; /* the areas are VMA_SHARED */
};

/* Rewrites one page entry with the new protection (a pt_for_each callback); a private
 * page that others hold stays read-only, so that a write still copies it. A present page
 * is always readable, so PROT_NONE keeps the page for the kernel only (user access faults,
 * and vm_resolve refuses it from the area's rights). */
static void vm_reprotect_page(uintptr_t va, pte_t e, void *ctx)
{
	struct vm_reprotect *r = ctx;
	paddr_t pa = arch_pte_addr(e);
	unsigned prot = r->prot;

	if (!r->shared && page_refs(pa) > 1)
		prot &= ~VM_WRITE;
	pt_replace(r->vm->root, va, arch_pte_page(pa, prot ? prot | VM_USER : 0));
}

int vm_protect(struct vm_space *vm, uintptr_t start, uintptr_t end, unsigned prot)
{
	if (!vm_range_ok(start, end) || (prot & ~(VM_READ | VM_WRITE | VM_EXEC)))
		return -EINVAL;
	if ((prot & VM_WRITE) && (prot & VM_EXEC))
		return -EACCES; /* W^X */
	irqflags_t irq = vm_lock(vm);
	int err = vm_covered(vm, start, end) ? vm_split_range(vm, start, end) : -ENOMEM;
	for (uintptr_t at = start; !err && at < end;) {
		struct vm_area *a = vm_area_find(vm, at);
		struct vm_reprotect r = {vm, prot, a->flags & VMA_SHARED};
		a->prot = prot;
		pt_for_each(vm->root, a->start, a->end, false, vm_reprotect_page, &r);
		at = a->end;
	}
	if (!err) {
		vm_generation_bump(vm);
		plat_mmu_invalidate(vm, start, end, true);
	}
	spin_unlock_irqrestore(&vm->lock, irq);
	return err;
}

uintptr_t vm_find_free(struct vm_space *vm, size_t len)
{
	len = ALIGN_UP(len, PAGE_SIZE);
	irqflags_t irq = vm_lock(vm);
	uintptr_t top = vm->mmap_top, found = 0;
	/* walk the areas from the highest down, looking for a gap below top */
	for (struct list_node *pos = vm->areas.prev; pos != &vm->areas; pos = pos->prev) {
		struct vm_area *a = list_entry(pos, struct vm_area, node);
		if (a->start >= top)
			continue;
		if (a->end <= top && top - a->end >= len)
			break;
		top = MIN(top, a->start);
	}
	if (top >= len + PAGE_SIZE * 16)
		found = top - len; /* the lowest 64 KiB stay unmapped */
	spin_unlock_irqrestore(&vm->lock, irq);
	return found;
}

/* The page area a shows at va (page aligned) before anything is mapped there, with one
 * reference for the caller: the object's own page when the object's bytes cover all of it
 * (*from_obj set), else a new page of zeros and any object bytes up to file_end. Returns 0,
 * -ENOMEM or -EFBIG (lock held). */
static int vm_area_page(const struct vm_area *a, uintptr_t va, paddr_t *pa, bool *from_obj)
{
	uint64_t off = a->obj_offset + (va - a->start);

	*from_obj = a->obj && va + PAGE_SIZE <= a->file_end;
	if (*from_obj)
		return vm_object_page(a->obj, off / PAGE_SIZE, pa);
	paddr_t page = page_user_alloc();
	if (!page)
		return -ENOMEM;
	uint8_t *bytes = plat_phys_to_virt(page);
	memset(bytes, 0, PAGE_SIZE);
	long got = a->obj && va < a->file_end ? vm_object_read(a->obj, off, bytes, a->file_end - va)
					      : 0;
	if (got < 0) {
		page_put(page);
		return (int)got;
	}
	*pa = page;
	return 0;
}

/* Maps the page area a shows at va (nothing mapped there yet) into vm; an object's page
 * goes in read-only for a private area. Returns 0 with the entry in *e, or a negative errno
 * (lock held). */
static int vm_fill(struct vm_space *vm, const struct vm_area *a, uintptr_t va, pte_t *e)
{
	paddr_t pa;
	bool from_obj;
	int err = vm_area_page(a, va, &pa, &from_obj);

	if (err)
		return err == -EFBIG ? -EFAULT : err;
	unsigned prot = a->prot | VM_USER;
	if (from_obj && !(a->flags & VMA_SHARED))
		prot &= ~VM_WRITE;
	if (pt_map(vm->root, va, pa, prot) < 0) {
		page_put(pa);
		return -ENOMEM;
	}
	vm->resident++;
	*e = arch_pte_page(pa, prot);
	return 0;
}

/* Gives private area a write access to the page mapped read-only at va (entry *e): takes
 * the page over when no one else holds it, else maps a copy (lock held). */
static int vm_copy_on_write(struct vm_space *vm, const struct vm_area *a, uintptr_t va,
			    pte_t *e)
{
	paddr_t old = arch_pte_addr(*e), pa = old;

	if (page_refs(old) > 1) {
		pa = page_user_alloc();
		if (!pa)
			return -ENOMEM;
		memcpy(plat_phys_to_virt(pa), plat_phys_to_virt(old), PAGE_SIZE);
	}
	*e = arch_pte_page(pa, a->prot | VM_USER);
	pt_replace(vm->root, va, *e);
	if (pa != old)
		vm_generation_bump(vm); /* other CPUs may still map the old page */
	plat_mmu_invalidate(vm, va, va + PAGE_SIZE, false); /* W^X: a writable page is no code */
	if (pa != old)
		page_put(old);
	return 0;
}

/* vm_resolve with the lock held. */
static int vm_resolve_locked(struct vm_space *vm, uintptr_t va, unsigned access, paddr_t *pa,
			     unsigned *prot)
{
	struct vm_area *a = va < USER_VA_END ? vm_area_find(vm, va) : NULL;

	if (!a)
		return -EFAULT;
	if (access & ~a->prot)
		return -EACCES;
	va = ALIGN_DOWN(va, PAGE_SIZE);
	pte_t e = pt_lookup(vm->root, va);
	int err = arch_pte_valid(e) ? 0 : vm_fill(vm, a, va, &e);
	if (!err && (access & VM_WRITE) && !(arch_pte_prot(e) & VM_WRITE))
		err = vm_copy_on_write(vm, a, va, &e);
	if (err)
		return err;
	*pa = arch_pte_addr(e);
	*prot = arch_pte_prot(e);
	return 0;
}

int vm_resolve(struct vm_space *vm, uintptr_t va, unsigned access, paddr_t *pa, unsigned *prot)
{
	irqflags_t irq = vm_lock(vm);
	int err = vm_resolve_locked(vm, va, access, pa, prot);

	spin_unlock_irqrestore(&vm->lock, irq);
	return err;
}

/* True when the page at va (page aligned) of area a is an object's page that a private
 * read would share, not mapped yet: mapping it needs no new memory. */
static bool vm_cheap_to_map(struct vm_space *vm, const struct vm_area *a, uintptr_t va)
{
	return a->obj && va + PAGE_SIZE <= a->file_end && !arch_pte_valid(pt_lookup(vm->root, va));
}

int vm_resolve_around(struct vm_space *vm, uintptr_t va, unsigned access,
		      struct vm_page_ref out[VM_AROUND_PAGES])
{
	irqflags_t irq = vm_lock(vm);
	int err = vm_resolve_locked(vm, va, access, &out[0].pa, &out[0].prot), n = 1;

	out[0].va = ALIGN_DOWN(va, PAGE_SIZE);
	struct vm_area *a = err ? NULL : vm_area_find(vm, va);
	uintptr_t block = ALIGN_DOWN(va, PAGE_SIZE * VM_AROUND_PAGES);
	uintptr_t lo = a ? MAX(block, a->start) : 0, hi = a ? MIN(block + PAGE_SIZE * VM_AROUND_PAGES, a->end) : 0;
	for (uintptr_t at = lo; at < hi && (a->prot & VM_READ); at += PAGE_SIZE) {
		struct vm_page_ref *r = &out[n];
		if (at == out[0].va || !vm_cheap_to_map(vm, a, at) ||
		    vm_resolve_locked(vm, at, VM_READ, &r->pa, &r->prot) < 0)
			continue;
		r->va = at;
		n++;
	}
	spin_unlock_irqrestore(&vm->lock, irq);
	return err ? err : n;
}

int vm_exec_area(struct vm_space *vm, uintptr_t va, uintptr_t *lo, uintptr_t *hi)
{
	irqflags_t irq = vm_lock(vm);
	struct vm_area *a = vm_area_find(vm, va);
	int err = !a ? -EFAULT : !(a->prot & VM_EXEC) ? -EACCES : 0;

	if (!err) {
		*lo = a->start;
		*hi = a->end;
	}
	spin_unlock_irqrestore(&vm->lock, irq);
	return err;
}

/* Copies len bytes between kernel buffer k and user address uva, page by page; to_user
 * says which way. Returns 0 or -EFAULT. */
static int vm_copy(struct vm_space *vm, uintptr_t uva, void *k, size_t len, bool to_user)
{
	uint8_t *kp = k;

	if (uva + len < uva || uva + len > USER_VA_END)
		return -EFAULT;
	while (len > 0) {
		paddr_t pa;
		unsigned prot;
		size_t chunk = MIN(len, PAGE_SIZE - (uva & (PAGE_SIZE - 1)));
		if (vm_resolve(vm, uva, to_user ? VM_WRITE : VM_READ, &pa, &prot) < 0)
			return -EFAULT;
		uint8_t *p = (uint8_t *)plat_phys_to_virt(pa) + (uva & (PAGE_SIZE - 1));
		memcpy(to_user ? p : kp, to_user ? kp : p, chunk);
		uva += chunk;
		kp += chunk;
		len -= chunk;
	}
	return 0;
}

int vm_copy_to_user(struct vm_space *vm, uintptr_t uva, const void *src, size_t len)
{
	return vm_copy(vm, uva, (void *)src, len, true);
}

int vm_copy_from_user(struct vm_space *vm, void *dst, uintptr_t uva, size_t len)
{
	return vm_copy(vm, uva, dst, len, false);
}

long vm_copy_string(struct vm_space *vm, char *dst, uintptr_t uva, size_t cap)
{
	/* a page at a time, so each page is resolved once */
	for (size_t done = 0; done < cap;) {
		size_t n = MIN(cap - done, PAGE_SIZE - ((uva + done) & (PAGE_SIZE - 1)));
		if (vm_copy_from_user(vm, dst + done, uva + done, n) < 0)
			return -EFAULT;
		const char *nul = memchr(dst + done, '\0', n);
		if (nul)
			return (long)(nul - dst);
		done += n;
	}
	return -ENAMETOOLONG;
}

/* What a clone walk carries: both spaces, the area being copied, the first error. */
struct vm_clone {
	struct vm_space *from, *to;
	const struct vm_area *area;
	int err;
};

/* Shares one mapped page with the new space (a pt_for_each callback): a private page
 * loses write access in both, so that the first write copies it. */
static void vm_clone_page(uintptr_t va, pte_t e, void *ctx)
{
	struct vm_clone *c = ctx;
	paddr_t pa = arch_pte_addr(e);
	unsigned prot = arch_pte_prot(e);

	if (c->err)
		return;
	if (!(c->area->flags & VMA_SHARED) && (prot & VM_WRITE)) {
		prot &= ~VM_WRITE;
		pt_replace(c->from->root, va, arch_pte_page(pa, prot));
	}
	if (pt_map(c->to->root, va, pa, prot) < 0) {
		c->err = -ENOMEM;
		return;
	}
	page_get(pa);
	c->to->resident++;
}

/* Copies area a of c->from, with its pages, into c->to (both locks held). */
static int vm_clone_area(struct vm_clone *c, const struct vm_area *a)
{
	struct vm_area *b = kmalloc(sizeof(*b));

	if (!b)
		return -ENOMEM;
	*b = *a;
	if (b->obj)
		vm_object_get(b->obj);
	list_add_tail(&c->to->areas, &b->node);
	c->area = a;
	pt_for_each(c->from->root, a->start, a->end, false, vm_clone_page, c);
	return c->err;
}

struct vm_space *vm_space_clone(struct vm_space *vm)
{
	struct vm_space *copy = vm_space_create();
	struct vm_clone c = {vm, copy, NULL, 0};
	struct list_node *pos;

	if (!copy)
		return NULL;
	/* copy is nobody else's yet: only vm's lock is needed */
	irqflags_t irq = vm_lock(vm);
	list_for_each(pos, &vm->areas)
	{
		if (vm_clone_area(&c, list_entry(pos, struct vm_area, node)))
			break;
	}
	copy->brk_start = vm->brk_start;
	copy->brk = vm->brk;
	copy->mmap_top = vm->mmap_top;
	copy->sigreturn = vm->sigreturn;
	copy->code_key = vm->code_key;
	/* the parent's writable translations are gone from every CPU before any of its
	 * threads writes again; the code did not change, so the hosted machine keeps its
	 * translations of it */
	vm_generation_bump(vm);
	plat_mmu_invalidate(vm, 0, USER_VA_END, false);
	spin_unlock_irqrestore(&vm->lock, irq);
	if (c.err) {
		vm_space_put(copy);
		return NULL;
	}
	return copy;
}
