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
	__atomic_fetch_sub(&vm->resident, 1, __ATOMIC_RELAXED);
}

bool vm_is_data(unsigned prot, unsigned flags)
{
	return (prot & VM_WRITE) && !(flags & (VMA_SHARED | VMA_STACK));
}

/* The bytes area a adds to vm's data (RLIMIT_DATA). */
static size_t vm_area_data(const struct vm_area *a)
{
	return vm_is_data(a->prot, a->flags) ? a->end - a->start : 0;
}

/* Counts area a in vm's sizes (lock held, or vm nobody else's). */
static void vm_count_area(struct vm_space *vm, const struct vm_area *a)
{
	vm->total_vm += a->end - a->start;
	vm->data_vm += vm_area_data(a);
}

/* Takes area a out of vm's sizes (lock held). */
static void vm_uncount_area(struct vm_space *vm, const struct vm_area *a)
{
	vm->total_vm -= a->end - a->start;
	vm->data_vm -= vm_area_data(a);
}

/* Unlinks area a and frees it with its reference to its object. */
static void vm_area_free(struct vm_space *vm, struct vm_area *a)
{
	vm_uncount_area(vm, a);
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
		vm_area_free(vm, list_entry(list_first(&vm->areas), struct vm_area, node));
	if (vm->total_vm || vm->data_vm)
		panic("vm_space_put: %zu bytes (%zu of data) counted with no area left",
		      vm->total_vm, vm->data_vm);
	kfree(vm);
}

/* Moves vm's generation on (lock held); CPUs read it without the lock before they run
 * the space. */
static void vm_generation_bump(struct vm_space *vm)
{
	__atomic_fetch_add(&vm->generation, 1, __ATOMIC_RELEASE);
}

/* Notes that vm's code changed after exec mapped it (lock held): its code key goes, so no
 * translation of the program's code serves it, nor one of its code another space. */
static void vm_code_changed(struct vm_space *vm)
{
	__atomic_store_n(&vm->code_key, 0, __ATOMIC_RELEASE);
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
	if (!err && (prot & VM_EXEC))
		vm_code_changed(vm);
	if (!err)
		vm_count_area(vm, a);
	spin_unlock_irqrestore(&vm->lock, irq);
	if (err) {
		if (obj)
			vm_object_put(obj);
		kfree(a);
	}
	return err;
}

/* Bytes of [start, end) that areas cover, and of those, data areas' in *data (lock
 * held). */
static size_t vm_covered_bytes(struct vm_space *vm, uintptr_t start, uintptr_t end, size_t *data)
{
	struct list_node *pos;
	size_t n = 0;

	*data = 0;
	list_for_each(pos, &vm->areas)
	{
		struct vm_area *a = list_entry(pos, struct vm_area, node);
		size_t in =
		    a->start < end && a->end > start ? MIN(a->end, end) - MAX(a->start, start) : 0;
		n += in;
		*data += vm_is_data(a->prot, a->flags) ? in : 0;
	}
	return n;
}

int vm_may_map(struct vm_space *vm, uintptr_t start, uintptr_t end, unsigned prot, unsigned flags,
	       const struct vm_limits *lim)
{
	size_t data;
	irqflags_t irq = vm_lock(vm);
	uint64_t total = vm->total_vm - vm_covered_bytes(vm, start, end, &data) + (end - start);
	uint64_t data_after = vm->data_vm - data + (vm_is_data(prot, flags) ? end - start : 0);

	spin_unlock_irqrestore(&vm->lock, irq);
	return total > lim->as || (vm_is_data(prot, flags) && data_after > lim->data) ? -ENOMEM : 0;
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
	__atomic_fetch_sub(&g->vm->resident, 1, __ATOMIC_RELAXED);
	if (g->n == VM_GATHER_PAGES)
		vm_gather_flush(g, va + PAGE_SIZE);
}

/* Takes the pages mapped in [start, end) out of the tables and frees them once no CPU can
 * use them (lock held). */
static void vm_drop_pages(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	struct vm_gather g = {.vm = vm, .start = start};

	vm_generation_bump(vm);
	pt_for_each(vm->root, start, end, true, vm_gather_page, &g);
	vm_gather_flush(&g, end);
}

/* vm_unmap of a valid range with the lock held. */
static int vm_unmap_locked(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	int err = vm_split_range(vm, start, end);
	struct list_node *pos = vm->areas.next;

	while (!err && pos != &vm->areas) {
		struct vm_area *a = list_entry(pos, struct vm_area, node);
		pos = pos->next;
		if (a->start >= start && a->end <= end) {
			if (a->prot & VM_EXEC)
				vm_code_changed(vm);
			vm_area_free(vm, a);
		}
	}
	if (!err)
		vm_drop_pages(vm, start, end);
	return err;
}

int vm_unmap(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	if (!vm_range_ok(start, end))
		return -EINVAL;
	irqflags_t irq = vm_lock(vm);
	int err = vm_unmap_locked(vm, start, end);
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

/* -ENOMEM when area a of vm, turning to prot, would become data past lim->data, as Linux's
 * mprotect_fixup checks: only when it was no data, and not when the space is past
 * lim->as already (Linux's test then fails for the old rights too) (lock held). */
static int vm_check_protect(const struct vm_space *vm, const struct vm_area *a, unsigned prot,
			    const struct vm_limits *lim)
{
	size_t n = a->end - a->start;

	if (!lim || vm_is_data(a->prot, a->flags) || !vm_is_data(prot, a->flags) ||
	    vm->total_vm + n > lim->as)
		return 0;
	return vm->data_vm + n > lim->data ? -ENOMEM : 0;
}

int vm_protect(struct vm_space *vm, uintptr_t start, uintptr_t end, unsigned prot,
	       const struct vm_limits *lim)
{
	if (!vm_range_ok(start, end) || (prot & ~(VM_READ | VM_WRITE | VM_EXEC)))
		return -EINVAL;
	if ((prot & VM_WRITE) && (prot & VM_EXEC))
		return -EACCES; /* W^X */
	irqflags_t irq = vm_lock(vm);
	int err = vm_covered(vm, start, end) ? vm_split_range(vm, start, end) : -ENOMEM;
	bool changed = false;
	for (uintptr_t at = start; !err && at < end;) {
		struct vm_area *a = vm_area_find(vm, at);
		struct vm_reprotect r = {vm, prot, a->flags & VMA_SHARED};
		err = vm_check_protect(vm, a, prot, lim);
		if (err)
			break; /* the areas before keep their new rights, as on Linux */
		if ((a->prot | prot) & VM_EXEC)
			vm_code_changed(vm);
		if (a->obj && (a->flags & VMA_SHARED) && (prot & VM_WRITE))
			vm_object_changed(a->obj);
		vm_uncount_area(vm, a);
		a->prot = prot;
		vm_count_area(vm, a);
		pt_for_each(vm->root, a->start, a->end, false, vm_reprotect_page, &r);
		at = a->end;
		changed = true;
	}
	if (changed) {
		vm_generation_bump(vm);
		plat_mmu_invalidate(vm, start, end, true);
	}
	spin_unlock_irqrestore(&vm->lock, irq);
	return err;
}

/* vm_find_free with the lock held. */
static uintptr_t vm_find_free_locked(struct vm_space *vm, size_t len)
{
	uintptr_t top = vm->mmap_top;

	len = ALIGN_UP(len, PAGE_SIZE);
	/* walk the areas from the highest down, looking for a gap below top */
	for (struct list_node *pos = vm->areas.prev; pos != &vm->areas; pos = pos->prev) {
		struct vm_area *a = list_entry(pos, struct vm_area, node);
		if (a->start >= top)
			continue;
		if (a->end <= top && top - a->end >= len)
			break;
		top = MIN(top, a->start);
	}
	return top >= len + PAGE_SIZE * 16 ? top - len : 0; /* the lowest 64 KiB stay unmapped */
}

uintptr_t vm_find_free(struct vm_space *vm, size_t len)
{
	irqflags_t irq = vm_lock(vm);
	uintptr_t found = vm_find_free_locked(vm, len);

	spin_unlock_irqrestore(&vm->lock, irq);
	return found;
}

/* True when no area overlaps [start, end) (lock held). */
static bool vm_range_free(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	struct list_node *pos;

	list_for_each(pos, &vm->areas)
	{
		const struct vm_area *a = list_entry(pos, struct vm_area, node);
		if (a->start < end && start < a->end)
			return false;
	}
	return true;
}

/* Where a page entry moves: the space and the distance (a pt_for_each callback's
 * context). */
struct vm_move {
	struct vm_space *vm;
	uintptr_t delta;
};

/* Maps the page of entry e, taken from va, at va + delta with the same rights; the page
 * is dropped (its bytes lost) only when no table can be had for it. */
static void vm_move_page(uintptr_t va, pte_t e, void *ctx)
{
	struct vm_move *m = ctx;

	if (pt_map(m->vm->root, va + m->delta, arch_pte_addr(e), arch_pte_prot(e)) < 0)
		vm_free_page(va, e, m->vm);
}

/* Grows area a of vm to end at new_end; an object mapped up to its end maps further (lock
 * held). */
static void vm_area_grow(struct vm_space *vm, struct vm_area *a, uintptr_t new_end)
{
	vm_uncount_area(vm, a);
	if (a->obj && a->file_end == a->end)
		a->file_end = new_end;
	a->end = new_end;
	vm_count_area(vm, a);
}

/* -ENOMEM when area a of vm growing by grow bytes would pass lim, else 0 (lock held). */
static int vm_check_growth(const struct vm_space *vm, const struct vm_area *a, size_t grow,
			   const struct vm_limits *lim)
{
	bool data = vm_is_data(a->prot, a->flags);

	if (vm->total_vm + grow > lim->as)
		return -ENOMEM;
	return data && vm->data_vm + grow > lim->data ? -ENOMEM : 0;
}

/* True when [start, end) can take a mapping: a valid user range no area overlaps (lock
 * held). */
static bool vm_range_takes(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	return vm_range_ok(start, end) && plat_user_range_ok(start, end) &&
	       vm_range_free(vm, start, end);
}

/* Moves [old, old + old_len) of area a to a new area [to, to + new_len), a free range:
 * the same mapping (without the heap and stack roles) with its pages; the old range is
 * unmapped. Returns 0 or -ENOMEM (lock held). */
static int vm_move_area(struct vm_space *vm, const struct vm_area *a, uintptr_t old,
			size_t old_len, uintptr_t to, size_t new_len)
{
	size_t keep = MIN(old_len, new_len);
	struct vm_area *b = kmalloc(sizeof(*b));

	if (!b)
		return -ENOMEM;
	*b = *a;
	b->start = to;
	b->end = to + keep;
	b->obj_offset = a->obj_offset + (old - a->start);
	b->file_end = to + (MIN(MAX(a->file_end, old), old + keep) - old);
	b->flags &= ~(VMA_HEAP | VMA_STACK);
	if (b->obj)
		vm_object_get(b->obj);
	if (vm_area_insert(vm, b))
		panic("vm_move_area: the free range at %#lx overlaps an area", (unsigned long)to);
	vm_count_area(vm, b);
	struct vm_move m = {vm, to - old};
	pt_for_each(vm->root, old, old + keep, true, vm_move_page, &m);
	if (new_len > keep)
		vm_area_grow(vm, b, to + new_len);
	return vm_unmap_locked(vm, old, old + old_len);
}

/* vm_remap once the arguments are checked and a is the area holding the old range (lock
 * held). Growth is checked against lim after a fixed target is unmapped, as Linux's
 * mremap_to does. */
static long vm_remap_locked(struct vm_space *vm, struct vm_area *a, uintptr_t old, size_t old_len,
			    size_t new_len, bool may_move, uintptr_t fixed_to,
			    const struct vm_limits *lim)
{
	uintptr_t old_end = old + old_len, to = fixed_to;

	if (!fixed_to && new_len <= old_len) {
		int err = new_len < old_len ? vm_unmap_locked(vm, old + new_len, old_end) : 0;
		return err ? err : (long)old;
	}
	if (to) {
		if (!vm_range_ok(to, to + new_len) || !plat_user_range_ok(to, to + new_len))
			return -EINVAL;
		int err = vm_unmap_locked(vm, to, to + new_len);
		if (err)
			return err;
		a = vm_area_find(vm, old); /* the unmap may have split it */
	}
	if (new_len > old_len && vm_check_growth(vm, a, new_len - old_len, lim))
		return -ENOMEM;
	if (!fixed_to && old_end == a->end && vm_range_takes(vm, old_end, old + new_len)) {
		if (a->prot & VM_EXEC)
			vm_code_changed(vm);
		vm_area_grow(vm, a, old + new_len);
		return (long)old;
	}
	if (!may_move)
		return -ENOMEM;
	if (!to &&
	    (!(to = vm_find_free_locked(vm, new_len)) || !plat_user_range_ok(to, to + new_len)))
		return -ENOMEM;
	int err = vm_move_area(vm, a, old, old_len, to, new_len);
	return err ? err : (long)to;
}

const struct vm_object *vm_shared_object(struct vm_space *vm, uintptr_t va, uint64_t *off)
{
	irqflags_t irq = vm_lock(vm);
	const struct vm_area *a = vm_area_find(vm, va);
	const struct vm_object *obj = a && (a->flags & VMA_SHARED) ? a->obj : NULL;

	if (obj)
		*off = a->obj_offset + (va - a->start);
	spin_unlock_irqrestore(&vm->lock, irq);
	return obj;
}

bool vm_mapped(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	irqflags_t irq = vm_lock(vm);
	bool covered = vm_covered(vm, start, end);

	spin_unlock_irqrestore(&vm->lock, irq);
	return covered;
}

int vm_discard(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	if (!vm_range_ok(start, end))
		return -EINVAL;
	irqflags_t irq = vm_lock(vm);
	bool covered = vm_covered(vm, start, end);
	vm_drop_pages(vm, start, end);
	spin_unlock_irqrestore(&vm->lock, irq);
	return covered ? 0 : -ENOMEM;
}

long vm_remap(struct vm_space *vm, uintptr_t old, size_t old_len, size_t new_len, bool may_move,
	      uintptr_t fixed_to, const struct vm_limits *lim)
{
	if (!IS_ALIGNED(old, PAGE_SIZE) || !old_len || !new_len || old + old_len < old ||
	    (fixed_to && (!IS_ALIGNED(fixed_to, PAGE_SIZE) ||
			  (fixed_to < old + old_len && old < fixed_to + new_len))))
		return -EINVAL;
	irqflags_t irq = vm_lock(vm);
	struct vm_area *a = vm_area_find(vm, old);
	long result = a && old + old_len <= a->end
			      ? vm_remap_locked(vm, a, old, old_len, new_len, may_move, fixed_to, lim)
			      : -EFAULT;
	spin_unlock_irqrestore(&vm->lock, irq);
	return result;
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
	if (from_obj && (prot & VM_WRITE))
		vm_object_changed(a->obj); /* stores may change it behind its back from now on */
	if (pt_map(vm->root, va, pa, prot) < 0) {
		page_put(pa);
		return -ENOMEM;
	}
	__atomic_fetch_add(&vm->resident, 1, __ATOMIC_RELAXED);
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

/* True when the page at va (page aligned) of area a is zero-fill memory: private, and past
 * the object's bytes (or with no object). */
static bool vm_zero_fill(const struct vm_area *a, uintptr_t va)
{
	return !(a->flags & VMA_SHARED) && va >= a->file_end;
}

/* True while free memory is plentiful enough that a miss may allocate pages around it. */
static bool vm_memory_plentiful(void)
{
	return page_alloc_free_pages() > page_alloc_total_pages() / VM_AROUND_FREE_FRACTION;
}

/* True when the page at va (page aligned) of area a, not mapped yet, is worth mapping
 * along with a neighbour's miss: an object's page that a private read would share (no new
 * memory), or, when zeros is set (the miss was on zero-fill memory and memory is
 * plentiful), a page of zeros, as the program is likely to touch it next. */
static bool vm_worth_mapping(struct vm_space *vm, const struct vm_area *a, uintptr_t va,
			     bool zeros)
{
	if (arch_pte_valid(pt_lookup(vm->root, va)))
		return false;
	return (a->obj && va + PAGE_SIZE <= a->file_end) || (zeros && vm_zero_fill(a, va));
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
	bool zeros = a && vm_zero_fill(a, out[0].va) && vm_memory_plentiful();
	for (uintptr_t at = lo; at < hi && (a->prot & VM_READ); at += PAGE_SIZE) {
		struct vm_page_ref *r = &out[n];
		if (at == out[0].va || !vm_worth_mapping(vm, a, at, zeros) ||
		    vm_resolve_locked(vm, at, VM_READ, &r->pa, &r->prot) < 0)
			continue;
		r->va = at;
		n++;
	}
	spin_unlock_irqrestore(&vm->lock, irq);
	return err ? err : n;
}

/* What a vm_for_each_mapped walk carries. */
struct vm_mapped_walk {
	void (*fn)(const struct vm_page_ref *page, void *ctx);
	void *ctx;
};

/* Hands one mapped page to the walk's function (a pt_for_each callback), unless it is
 * the kernel's only (PROT_NONE). */
static void vm_mapped_page(uintptr_t va, pte_t e, void *ctx)
{
	struct vm_mapped_walk *w = ctx;
	struct vm_page_ref page = {va, arch_pte_addr(e), arch_pte_prot(e)};

	if (page.prot & VM_USER)
		w->fn(&page, w->ctx);
}

void vm_for_each_mapped(struct vm_space *vm, uintptr_t start, uintptr_t end,
			void (*fn)(const struct vm_page_ref *page, void *ctx), void *ctx)
{
	struct vm_mapped_walk w = {fn, ctx};
	irqflags_t irq = vm_lock(vm);

	pt_for_each(vm->root, start, end, false, vm_mapped_page, &w);
	spin_unlock_irqrestore(&vm->lock, irq);
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
	/* a page at a time, so each page is resolved once; only the string itself is copied */
	for (size_t done = 0; done < cap;) {
		uintptr_t at = uva + done;
		size_t n = MIN(cap - done, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
		paddr_t pa;
		unsigned prot;
		if (at < uva || at >= USER_VA_END || vm_resolve(vm, at, VM_READ, &pa, &prot) < 0)
			return -EFAULT;
		const char *src = (const char *)plat_phys_to_virt(pa) + (at & (PAGE_SIZE - 1));
		const char *nul = memchr(src, '\0', n);
		size_t k = nul ? (size_t)(nul - src) + 1 : n;
		memcpy(dst + done, src, k);
		if (nul)
			return (long)(done + k - 1);
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
	__atomic_fetch_add(&c->to->resident, 1, __ATOMIC_RELAXED);
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
	vm_count_area(c->to, b);
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
