/*
 * Page tables in the guest ISA's format: 4 levels of 512 entries, 4 KiB pages. The walk is
 * the same on every ISA; <guest/guest.h> encodes entries. Tables are pages from the page
 * allocator, reached through the direct map. Callers serialise changes to one tree.
 */
#include <amphi/arch.h>
#include <amphi/errno.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/string.h>
#include <amphi/vm.h>

/* Index of va in a table of level level. */
static unsigned pt_index(uintptr_t va, unsigned level)
{
	return (va >> (PAGE_SHIFT + 9 * level)) & (PT_ENTRIES - 1);
}

static pte_t *pt_table(paddr_t pa)
{
	return plat_phys_to_virt(pa);
}

/* A zeroed page for a table; returns 0 and its physical address, or -ENOMEM. */
static int pt_alloc_table(paddr_t *pa)
{
	void *page = page_alloc(0);

	if (!page)
		return -ENOMEM;
	memset(page, 0, PAGE_SIZE);
	*pa = plat_virt_to_phys(page);
	return 0;
}

int pt_create(paddr_t *root)
{
	int err = pt_alloc_table(root);

	if (!err)
		plat_mmu_root_init(pt_table(*root));
	return err;
}

/* The level-0 entry for va, allocating missing tables when alloc; NULL when a table is
 * missing (and not allocated) or out of memory. */
static pte_t *pt_walk(paddr_t root, uintptr_t va, bool alloc)
{
	pte_t *table = pt_table(root);

	if (va >= USER_VA_END)
		panic("pt_walk: %#lx is outside the user half", (unsigned long)va);
	for (unsigned level = PT_LEVELS - 1; level > 0; level--) {
		pte_t *e = &table[pt_index(va, level)];
		if (!arch_pte_valid(*e)) {
			paddr_t next;
			if (!alloc || pt_alloc_table(&next) < 0)
				return NULL;
			*e = arch_pte_table(next);
		} else if (!arch_pte_is_table(*e, level)) {
			panic("pt_walk: large page at level %u for %#lx in a user tree", level,
			      (unsigned long)va);
		}
		table = pt_table(arch_pte_addr(*e));
	}
	return &table[pt_index(va, 0)];
}

int pt_map(paddr_t root, uintptr_t va, paddr_t pa, unsigned prot)
{
	pte_t *e = pt_walk(root, va, true);

	if (!e)
		return -ENOMEM;
	if (arch_pte_valid(*e))
		return -EEXIST;
	*e = arch_pte_page(pa, prot);
	return 0;
}

pte_t pt_lookup(paddr_t root, uintptr_t va)
{
	pte_t *e = pt_walk(root, va, false);

	return e ? *e : 0;
}

pte_t pt_replace(paddr_t root, uintptr_t va, pte_t e)
{
	pte_t *slot = pt_walk(root, va, false);

	if (!slot)
		panic("pt_replace: no table for %#lx", (unsigned long)va);
	pte_t old = *slot;
	*slot = e;
	return old;
}

/* Size of the range one entry of a level-level table covers. */
static uintptr_t pt_span(unsigned level)
{
	return (uintptr_t)PAGE_SIZE << (9 * level);
}

/* pt_for_each over the table at level level that covers base. */
static void pt_visit(pte_t *table, unsigned level, uintptr_t base, uintptr_t start, uintptr_t end,
		     bool clear, void (*fn)(uintptr_t, pte_t, void *), void *ctx)
{
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		uintptr_t lo = base + i * pt_span(level), hi = lo + pt_span(level);
		if (hi <= start || lo >= end || !arch_pte_valid(table[i]))
			continue;
		if (level > 0) {
			pt_visit(pt_table(arch_pte_addr(table[i])), level - 1, lo, start, end, clear,
				 fn, ctx);
			continue;
		}
		pte_t e = table[i];
		if (clear)
			table[i] = 0;
		fn(lo, e, ctx);
	}
}

void pt_for_each(paddr_t root, uintptr_t start, uintptr_t end, bool clear,
		 void (*fn)(uintptr_t va, pte_t e, void *ctx), void *ctx)
{
	pt_visit(pt_table(root), PT_LEVELS - 1, 0, start, MIN(end, (uintptr_t)USER_VA_END), clear,
		 fn, ctx);
}

/* Frees the table at pa of level level and every table below its first n entries. */
static void pt_free_level(paddr_t pa, unsigned level, unsigned n)
{
	pte_t *table = pt_table(pa);

	for (unsigned i = 0; level > 0 && i < n; i++) {
		if (arch_pte_valid(table[i]))
			pt_free_level(arch_pte_addr(table[i]), level - 1, PT_ENTRIES);
	}
	page_free(table, 0);
}

void pt_destroy(paddr_t root)
{
	plat_mmu_root_release(root);
	/* the root's entries above the user half are the platform's (plat_mmu_root_init) */
	pt_free_level(root, PT_LEVELS - 1, USER_VA_END / pt_span(PT_LEVELS - 1));
}
