/*
 * Address spaces: areas (VMAs) describe what each user range is, and pages are filled in
 * on first touch by vm_resolve, which both the user page-fault path and the kernel's own
 * user-memory copies go through. Every page of a space is private to it (anonymous, or a
 * copy of initramfs file data) and freed when unmapped. One irq-safe lock per space covers
 * its areas and tables, so the hosted machine's fault handler may resolve from any context
 * in which user code ran.
 */
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#define VM_MMAP_TOP 0x7ff000000000ULL /* mmap grows down from here, below the stack */

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
	return vm;
}

/* Frees one mapped page (a pt_for_each callback); ctx is the space. */
static void vm_free_page(uintptr_t va, pte_t e, void *ctx)
{
	struct vm_space *vm = ctx;

	(void)va;
	page_free(plat_phys_to_virt(arch_pte_addr(e)), 0);
	vm->resident--;
}

void vm_space_put(struct vm_space *vm)
{
	irqflags_t flags = spin_lock_irqsave(&vm->lock);
	bool last = --vm->refs == 0;

	spin_unlock_irqrestore(&vm->lock, flags);
	if (!last)
		return;
	pt_for_each(vm->root, 0, USER_VA_END, true, vm_free_page, vm);
	pt_destroy(vm->root);
	while (!list_empty(&vm->areas)) {
		struct vm_area *a = list_entry(list_first(&vm->areas), struct vm_area, node);
		list_del(&a->node);
		kfree(a);
	}
	kfree(vm);
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
		unsigned flags, const uint8_t *file, uintptr_t file_start, size_t file_len)
{
	if (!vm_range_ok(start, end) || (prot & ~(VM_READ | VM_WRITE | VM_EXEC)))
		return -EINVAL;
	if ((prot & VM_WRITE) && (prot & VM_EXEC))
		return -EINVAL; /* W^X */
	struct vm_area *a = kzalloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	*a = (struct vm_area){.start = start, .end = end, .prot = prot, .flags = flags,
			      .file = file, .file_start = file_start,
			      .file_end = file_start + file_len};
	irqflags_t irq = spin_lock_irqsave(&vm->lock);
	int err = vm_area_insert(vm, a);
	spin_unlock_irqrestore(&vm->lock, irq);
	if (err)
		kfree(a);
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
	a->end = addr;
	list_add_before(a->node.next, &b->node);
	return 0;
}

/* Splits areas so that none straddles start or end (lock held). */
static int vm_split_range(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	int err = vm_split_at(vm, start);

	return err ? err : vm_split_at(vm, end);
}

int vm_unmap(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	if (!vm_range_ok(start, end))
		return -EINVAL;
	irqflags_t irq = spin_lock_irqsave(&vm->lock);
	int err = vm_split_range(vm, start, end);
	struct list_node *pos = vm->areas.next;
	while (!err && pos != &vm->areas) {
		struct vm_area *a = list_entry(pos, struct vm_area, node);
		pos = pos->next;
		if (a->start >= start && a->end <= end) {
			list_del(&a->node);
			kfree(a);
		}
	}
	if (!err) {
		pt_for_each(vm->root, start, end, true, vm_free_page, vm);
		vm->generation++;
		plat_mmu_invalidate(vm, start, end);
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
};

/* Rewrites one page entry with the new protection (a pt_for_each callback). */
static void vm_reprotect_page(uintptr_t va, pte_t e, void *ctx)
{
	struct vm_reprotect *r = ctx;

	pt_replace(r->vm->root, va, arch_pte_page(arch_pte_addr(e), r->prot | VM_USER));
}

int vm_protect(struct vm_space *vm, uintptr_t start, uintptr_t end, unsigned prot)
{
	if (!vm_range_ok(start, end) || (prot & ~(VM_READ | VM_WRITE | VM_EXEC)))
		return -EINVAL;
	if ((prot & VM_WRITE) && (prot & VM_EXEC))
		return -EACCES; /* W^X */
	irqflags_t irq = spin_lock_irqsave(&vm->lock);
	int err = vm_covered(vm, start, end) ? vm_split_range(vm, start, end) : -ENOMEM;
	for (uintptr_t at = start; !err && at < end;) {
		struct vm_area *a = vm_area_find(vm, at);
		a->prot = prot;
		at = a->end;
	}
	if (!err) {
		struct vm_reprotect r = {vm, prot};
		pt_for_each(vm->root, start, end, false, vm_reprotect_page, &r);
		vm->generation++;
		plat_mmu_invalidate(vm, start, end);
	}
	spin_unlock_irqrestore(&vm->lock, irq);
	return err;
}

uintptr_t vm_find_free(struct vm_space *vm, size_t len)
{
	len = ALIGN_UP(len, PAGE_SIZE);
	irqflags_t irq = spin_lock_irqsave(&vm->lock);
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

/* Fills a fresh page for va of area a: its file bytes, zeros elsewhere. */
static void vm_fill_page(const struct vm_area *a, uintptr_t va, uint8_t *page)
{
	memset(page, 0, PAGE_SIZE);
	if (!a->file)
		return;
	uintptr_t lo = MAX(va, a->file_start), hi = MIN(va + PAGE_SIZE, a->file_end);
	if (lo < hi)
		memcpy(page + (lo - va), a->file + (lo - a->file_start), hi - lo);
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
	if (!arch_pte_valid(e)) {
		uint8_t *page = page_alloc(0);
		if (!page)
			return -ENOMEM;
		vm_fill_page(a, va, page);
		e = arch_pte_page(plat_virt_to_phys(page), a->prot | VM_USER);
		if (pt_map(vm->root, va, arch_pte_addr(e), a->prot | VM_USER) < 0) {
			page_free(page, 0);
			return -ENOMEM;
		}
		vm->resident++;
	}
	*pa = arch_pte_addr(e);
	*prot = arch_pte_prot(e);
	return 0;
}

int vm_resolve(struct vm_space *vm, uintptr_t va, unsigned access, paddr_t *pa, unsigned *prot)
{
	irqflags_t irq = spin_lock_irqsave(&vm->lock);
	int err = vm_resolve_locked(vm, va, access, pa, prot);

	spin_unlock_irqrestore(&vm->lock, irq);
	return err;
}

int vm_exec_area(struct vm_space *vm, uintptr_t va, uintptr_t *lo, uintptr_t *hi)
{
	irqflags_t irq = spin_lock_irqsave(&vm->lock);
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
