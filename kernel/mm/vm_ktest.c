/* ktest: page tables in the guest ISA's format and address spaces, on every target. The
 * tables are built and walked, never activated, so this runs before user mode does. */
#include <amphi/arch.h>
#include <amphi/errno.h>
#include <amphi/ktest.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/string.h>
#include <amphi/vm.h>

/* Pages neither free nor held by a kmalloc slab: what a space left behind when freed. */
static size_t vm_ktest_pages_used(void)
{
	struct kmalloc_stats st;

	kmalloc_get_stats(&st);
	return page_alloc_total_pages() - page_alloc_free_pages() - st.slab_pages;
}

/* Counts the pages pt_for_each visits (a callback). */
static void vm_ktest_count(uintptr_t va, pte_t e, void *ctx)
{
	(void)va;
	(void)e;
	(*(unsigned *)ctx)++;
}

static void pt_map_lookup_destroy(struct ktest *t)
{
	size_t free_before = page_alloc_free_pages();
	paddr_t root, page = plat_virt_to_phys(page_alloc(0));
	const uintptr_t vas[] = {0x1000, 0x400000, 0x7ffffffff000, 0x12345678000};
	unsigned n = 0;

	KTEST_ASSERT(t, pt_create(&root) == 0);
	for (unsigned i = 0; i < ARRAY_SIZE(vas); i++)
		KTEST_EXPECT_EQ(t, pt_map(root, vas[i], page, VM_READ | VM_USER), 0);
	KTEST_EXPECT_EQ(t, pt_map(root, vas[0], page, VM_READ), -EEXIST);
	pte_t e = pt_lookup(root, vas[2]);
	KTEST_EXPECT(t, arch_pte_valid(e));
	KTEST_EXPECT_EQ(t, arch_pte_addr(e), page);
	KTEST_EXPECT_EQ(t, arch_pte_prot(e), VM_READ | VM_USER);
	KTEST_EXPECT(t, !arch_pte_valid(pt_lookup(root, 0x2000)));
	KTEST_EXPECT(t, !arch_pte_valid(pt_lookup(root, 0x7fffffffe000)));
	pt_for_each(root, 0, USER_VA_END, false, vm_ktest_count, &n);
	KTEST_EXPECT_EQ(t, n, ARRAY_SIZE(vas));
	n = 0;
	pt_for_each(root, 0x400000, 0x7ffffffff000, true, vm_ktest_count, &n);
	KTEST_EXPECT_EQ(t, n, 2); /* 0x400000 and 0x12345678000; the end is exclusive */
	KTEST_EXPECT(t, !arch_pte_valid(pt_lookup(root, 0x400000)));
	pt_destroy(root);
	page_free(plat_phys_to_virt(page), 0);
	KTEST_EXPECT_EQ(t, page_alloc_free_pages(), free_before);
}

static void pte_prot_round_trips(struct ktest *t)
{
	const unsigned prots[] = {VM_READ, VM_READ | VM_WRITE, VM_READ | VM_EXEC,
				  VM_READ | VM_USER, VM_READ | VM_WRITE | VM_USER,
				  VM_READ | VM_EXEC | VM_USER};

	for (unsigned i = 0; i < ARRAY_SIZE(prots); i++) {
		pte_t e = arch_pte_page(0x123456000ULL, prots[i]);
		KTEST_EXPECT(t, arch_pte_valid(e));
		KTEST_EXPECT(t, !arch_pte_is_table(e, 0));
		KTEST_EXPECT_EQ(t, arch_pte_addr(e), 0x123456000ULL);
		KTEST_EXPECT_EQ(t, arch_pte_prot(e), prots[i]);
	}
	KTEST_EXPECT(t, arch_pte_is_table(arch_pte_table(0x5000), 2));
	KTEST_EXPECT(t, !arch_pte_valid(0));
}

static void vm_demand_zero_and_file(struct ktest *t)
{
	size_t used_before = vm_ktest_pages_used();
	struct vm_space *vm = vm_space_create();
	struct vm_object *file = vm_object_create();
	char buf[16];
	paddr_t pa;
	unsigned prot;

	KTEST_ASSERT(t, vm != NULL && file != NULL);
	KTEST_EXPECT_EQ(t, vm_object_write(file, 0xffc, "0123456789", 10), 10);
	KTEST_EXPECT_EQ(t, vm_area_add(vm, 0x10000, 0x12000, VM_READ, 0, file, 0, 0x1006), 0);
	vm_object_put(file); /* the area holds it now */
	KTEST_EXPECT_EQ(t, vm_area_add(vm, 0x40000, 0x41000, VM_READ, 0, file, 0x10, 1), -EINVAL);
	KTEST_EXPECT_EQ(t, vm_area_add(vm, 0x20000, 0x22000, VM_READ | VM_WRITE, 0, NULL, 0, 0), 0);
	KTEST_EXPECT_EQ(t, vm_area_add(vm, 0x11000, 0x13000, VM_READ, 0, NULL, 0, 0), -EEXIST);
	KTEST_EXPECT_EQ(t, vm_area_add(vm, 0x30000, 0x31000, VM_WRITE | VM_EXEC, 0, NULL, 0, 0),
			-EINVAL);
	/* file bytes straddle the page boundary; the rest is zero */
	KTEST_EXPECT_EQ(t, vm_copy_from_user(vm, buf, 0x10ffa, 14), 0);
	KTEST_EXPECT_EQ(t, memcmp(buf, "\0\0" "0123456789\0\0", 14), 0);
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, 0x10000, "x", 1), -EFAULT); /* read-only */
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, 0x21ffe, "abcd", 4), -EFAULT); /* runs off */
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, 0x20ffe, "abcd", 4), 0);
	KTEST_EXPECT_EQ(t, vm_copy_from_user(vm, buf, 0x20ffe, 4), 0);
	KTEST_EXPECT_EQ(t, memcmp(buf, "abcd", 4), 0);
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x12000, VM_READ, &pa, &prot), -EFAULT);
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x10000, VM_WRITE, &pa, &prot), -EACCES);
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x20000, VM_EXEC, &pa, &prot), -EACCES);
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x21000, VM_WRITE, &pa, &prot), 0);
	KTEST_EXPECT_EQ(t, prot, VM_READ | VM_WRITE | VM_USER);
	KTEST_EXPECT_EQ(t, vm->resident, 4);
	KTEST_EXPECT_EQ(t, vm_copy_string(vm, buf, 0x10ffc, sizeof(buf)), 10);
	KTEST_EXPECT_EQ(t, vm_copy_string(vm, buf, 0x10ffc, 4), -ENAMETOOLONG);
	vm_space_put(vm);
	KTEST_EXPECT_EQ(t, vm_ktest_pages_used(), used_before);
}

static void vm_unmap_and_protect_split_areas(struct ktest *t)
{
	struct vm_space *vm = vm_space_create();
	uintptr_t lo, hi;
	paddr_t pa;
	unsigned prot;

	KTEST_ASSERT(t, vm != NULL);
	KTEST_EXPECT_EQ(t, vm_area_add(vm, 0x100000, 0x108000, VM_READ | VM_WRITE, 0, NULL, 0, 0), 0);
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, 0x100000, "a", 1), 0);
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, 0x103000, "b", 1), 0);
	uint64_t gen = vm->generation;
	KTEST_EXPECT_EQ(t, vm_unmap(vm, 0x102000, 0x104000), 0);
	KTEST_EXPECT(t, vm->generation != gen);
	KTEST_EXPECT_EQ(t, vm->resident, 1);
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x103000, VM_READ, &pa, &prot), -EFAULT);
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x104000, VM_READ, &pa, &prot), 0);
	KTEST_EXPECT_EQ(t, vm_protect(vm, 0x100000, 0x101000, VM_READ | VM_EXEC, NULL), 0);
	KTEST_EXPECT_EQ(t, vm_protect(vm, 0x101000, 0x103000, VM_READ, NULL), -ENOMEM); /* a hole */
	KTEST_EXPECT_EQ(t, vm_protect(vm, 0x100000, 0x101000, VM_WRITE | VM_EXEC, NULL), -EACCES);
	KTEST_EXPECT_EQ(t, vm_exec_area(vm, 0x100800, &lo, &hi), 0);
	KTEST_EXPECT_EQ(t, lo, 0x100000);
	KTEST_EXPECT_EQ(t, hi, 0x101000);
	KTEST_EXPECT_EQ(t, vm_exec_area(vm, 0x101000, &lo, &hi), -EACCES);
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x100000, VM_READ, &pa, &prot), 0);
	KTEST_EXPECT_EQ(t, prot, VM_READ | VM_EXEC | VM_USER); /* the present page changed too */
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, 0x100000, "c", 1), -EFAULT);
	uintptr_t free = vm_find_free(vm, 0x3000);
	KTEST_EXPECT(t, free != 0 && IS_ALIGNED(free, PAGE_SIZE));
	KTEST_EXPECT_EQ(t, vm_area_add(vm, free, free + 0x3000, VM_READ, 0, NULL, 0, 0), 0);
	KTEST_EXPECT(t, vm_find_free(vm, 0x3000) + 0x3000 <= free);
	KTEST_EXPECT_EQ(t, vm_unmap(vm, 0x100001, 0x102000), -EINVAL);
	vm_space_put(vm);
}

/* The object's page at index, without keeping the reference vm_object_page takes. */
static paddr_t vm_ktest_object_page(struct vm_object *o, uint64_t index)
{
	paddr_t pa = 0;

	if (vm_object_page(o, index, &pa) == 0)
		page_put(pa);
	return pa;
}

/* An unmap wider than one gather of pages frees every page, each once, after its
 * shootdown rounds; the space then holds only its tables. */
static void vm_unmap_frees_every_gathered_page(struct ktest *t)
{
	const unsigned pages = 200; /* three full gathers and a partial one */
	size_t free_before = page_alloc_free_pages();
	struct vm_space *vm = vm_space_create();

	KTEST_ASSERT(t, vm != NULL);
	uintptr_t start = 0x200000, end = start + pages * PAGE_SIZE;
	KTEST_EXPECT_EQ(t, vm_area_add(vm, start, end, VM_READ | VM_WRITE, 0, NULL, 0, 0), 0);
	for (uintptr_t va = start; va < end; va += PAGE_SIZE)
		KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, va, "x", 1), 0);
	KTEST_EXPECT_EQ(t, vm->resident, pages);
	size_t free_mapped = page_alloc_free_pages();
	KTEST_EXPECT_EQ(t, vm_unmap(vm, start, end), 0);
	KTEST_EXPECT_EQ(t, vm->resident, 0);
	KTEST_EXPECT_EQ(t, page_alloc_free_pages(), free_mapped + pages);
	vm_space_put(vm);
	KTEST_EXPECT_EQ(t, page_alloc_free_pages(), free_before);
}

/* PROT_NONE leaves the page mapped for the kernel only (a present page is readable by
 * user code on metal), refused to every access, and mprotect back restores it with its
 * bytes. */
static void vm_protect_none_keeps_page_from_user(struct ktest *t)
{
	struct vm_space *vm = vm_space_create();
	paddr_t pa;
	unsigned prot;
	char c = 0;

	KTEST_ASSERT(t, vm != NULL);
	KTEST_EXPECT_EQ(t, vm_area_add(vm, 0x100000, 0x101000, VM_READ | VM_WRITE, 0, NULL, 0, 0), 0);
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, 0x100000, "k", 1), 0);
	KTEST_EXPECT_EQ(t, vm_protect(vm, 0x100000, 0x101000, 0, NULL), 0);
	pte_t e = pt_lookup(vm->root, 0x100000);
	KTEST_EXPECT(t, arch_pte_valid(e));
	KTEST_EXPECT(t, !(arch_pte_prot(e) & VM_USER));
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x100000, VM_READ, &pa, &prot), -EACCES);
	KTEST_EXPECT_EQ(t, vm_protect(vm, 0x100000, 0x101000, VM_READ, NULL), 0);
	KTEST_EXPECT(t, arch_pte_prot(pt_lookup(vm->root, 0x100000)) & VM_USER);
	KTEST_EXPECT_EQ(t, vm_copy_from_user(vm, &c, 0x100000, 1), 0);
	KTEST_EXPECT_EQ(t, c, 'k');
	vm_space_put(vm);
}

static void vm_object_read_write_truncate(struct ktest *t)
{
	size_t used_before = vm_ktest_pages_used();
	struct vm_object *o = vm_object_create();
	char buf[8] = "xxxxxxx";

	KTEST_ASSERT(t, o != NULL);
	KTEST_EXPECT_EQ(t, vm_object_read(o, 0, buf, 4), 0); /* empty */
	KTEST_EXPECT_EQ(t, vm_object_write(o, 0x1ffe, "abcd", 4), 4); /* straddles pages 1-2 */
	KTEST_EXPECT_EQ(t, vm_object_size(o), 0x2002);
	KTEST_EXPECT_EQ(t, vm_object_read(o, 0x1ffc, buf, 8), 6); /* stops at the size */
	KTEST_EXPECT_EQ(t, memcmp(buf, "\0\0abcd", 6), 0);
	KTEST_EXPECT_EQ(t, vm_object_read(o, 0x10, buf, 2), 2); /* a hole reads zeros */
	KTEST_EXPECT_EQ(t, buf[0] | buf[1], 0);
	KTEST_EXPECT_EQ(t, vm_object_truncate(o, 0x1fff), 0);
	KTEST_EXPECT_EQ(t, vm_object_truncate(o, 0x2002), 0); /* grows back as zeros */
	KTEST_EXPECT_EQ(t, vm_object_read(o, 0x1ffe, buf, 4), 4);
	KTEST_EXPECT_EQ(t, memcmp(buf, "a\0\0\0", 4), 0);
	KTEST_EXPECT_EQ(t, vm_object_write(o, VM_OBJECT_MAX_SIZE, "z", 1), -EFBIG);
	KTEST_EXPECT_EQ(t, vm_object_truncate(o, VM_OBJECT_MAX_SIZE + 1), -EFBIG);
	vm_object_put(o);
	KTEST_EXPECT_EQ(t, vm_ktest_pages_used(), used_before);
}

/* A page far into an object costs that page and a few small tree nodes, not memory in
 * proportion to its offset; truncation and the last reference free it all. */
static void vm_object_sparse_pages_cost_what_they_hold(struct ktest *t)
{
	size_t used_before = vm_ktest_pages_used();
	struct vm_object *o = vm_object_create();
	const uint64_t far = VM_OBJECT_MAX_SIZE - 2;
	char buf[4] = "xxx";

	KTEST_ASSERT(t, o != NULL);
	KTEST_EXPECT_EQ(t, vm_object_write(o, far, "ab", 2), 2);
	KTEST_EXPECT_EQ(t, vm_object_write(o, 5 * PAGE_SIZE, "c", 1), 1);
	KTEST_EXPECT_EQ(t, vm_object_size(o), VM_OBJECT_MAX_SIZE);
	KTEST_EXPECT_EQ(t, vm_ktest_pages_used(), used_before + 2); /* the two data pages */
	KTEST_EXPECT_EQ(t, vm_object_read(o, far - 1, buf, 4), 3);
	KTEST_EXPECT_EQ(t, memcmp(buf, "\0ab", 3), 0);
	paddr_t pa;
	KTEST_EXPECT_EQ(t, vm_object_peek(o, far / PAGE_SIZE - 1, &pa), -ENOENT);
	KTEST_EXPECT_EQ(t, vm_object_peek(o, 5, &pa), 0);
	page_put(pa);
	KTEST_EXPECT_EQ(t, vm_object_truncate(o, far / 2), 0); /* drops the far page only */
	KTEST_EXPECT_EQ(t, vm_ktest_pages_used(), used_before + 1);
	KTEST_EXPECT_EQ(t, vm_object_read(o, 5 * PAGE_SIZE, buf, 1), 1);
	KTEST_EXPECT_EQ(t, buf[0], 'c');
	KTEST_EXPECT_EQ(t, vm_object_truncate(o, 5 * PAGE_SIZE + 1), 0); /* keeps page 5 */
	KTEST_EXPECT_EQ(t, vm_object_peek(o, 5, &pa), 0);
	page_put(pa);
	KTEST_EXPECT_EQ(t, vm_object_truncate(o, 5 * PAGE_SIZE), 0);
	KTEST_EXPECT_EQ(t, vm_object_peek(o, 5, &pa), -ENOENT);
	KTEST_EXPECT_EQ(t, vm_ktest_pages_used(), used_before);
	KTEST_EXPECT_EQ(t, vm_object_adopt(o, far / PAGE_SIZE, page_user_alloc(), far + 1), 0);
	KTEST_EXPECT_EQ(t, vm_object_adopt(o, far / PAGE_SIZE, pa = page_user_alloc(), 1), -EEXIST);
	page_put(pa);
	vm_object_put(o);
	KTEST_EXPECT_EQ(t, vm_ktest_pages_used(), used_before);
}

static void vm_private_object_pages_copy_on_write(struct ktest *t)
{
	size_t used_before = vm_ktest_pages_used();
	struct vm_space *vm = vm_space_create();
	struct vm_object *o = vm_object_create();
	paddr_t pa, shared;
	unsigned prot;
	char c;

	KTEST_ASSERT(t, vm != NULL && o != NULL);
	KTEST_EXPECT_EQ(t, vm_object_write(o, 0, "page0", 5), 5);
	KTEST_EXPECT_EQ(t, vm_object_truncate(o, 2 * PAGE_SIZE), 0);
	shared = vm_ktest_object_page(o, 0);
	KTEST_EXPECT_EQ(t, vm_area_add(vm, 0x50000, 0x52000, VM_READ | VM_WRITE, 0, o, 0,
				       2 * PAGE_SIZE), 0);
	KTEST_EXPECT_EQ(t, vm_area_add(vm, 0x60000, 0x61000, VM_READ | VM_WRITE, VMA_SHARED, o, 0,
				       PAGE_SIZE), 0);
	/* a read maps the object's own page, read-only in a private area */
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x50000, VM_READ, &pa, &prot), 0);
	KTEST_EXPECT_EQ(t, pa, shared);
	KTEST_EXPECT_EQ(t, prot & VM_WRITE, 0);
	KTEST_EXPECT_EQ(t, page_refs(shared), 2);
	/* mprotect does not make it writable behind the object's back */
	KTEST_EXPECT_EQ(t, vm_protect(vm, 0x50000, 0x52000, VM_READ | VM_WRITE, NULL), 0);
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x50000, VM_READ, &pa, &prot), 0);
	KTEST_EXPECT_EQ(t, prot & VM_WRITE, 0);
	/* a write copies: the object keeps its bytes */
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, 0x50000, "P", 1), 0);
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x50000, VM_READ, &pa, &prot), 0);
	KTEST_EXPECT(t, pa != shared && (prot & VM_WRITE));
	KTEST_EXPECT_EQ(t, page_refs(shared), 1);
	KTEST_EXPECT_EQ(t, vm_object_read(o, 0, &c, 1), 1);
	KTEST_EXPECT_EQ(t, c, 'p');
	/* a shared area writes the object's page itself */
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, 0x60001, "A", 1), 0);
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x60000, VM_READ, &pa, &prot), 0);
	KTEST_EXPECT_EQ(t, pa, shared);
	KTEST_EXPECT_EQ(t, vm_object_read(o, 1, &c, 1), 1);
	KTEST_EXPECT_EQ(t, c, 'A');
	/* a page whose other holder let go is taken over, not copied */
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x51000, VM_READ, &pa, &prot), 0);
	paddr_t second = pa;
	KTEST_EXPECT_EQ(t, vm_object_truncate(o, PAGE_SIZE), 0);
	KTEST_EXPECT_EQ(t, page_refs(second), 1);
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, 0x51000, "q", 1), 0);
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x51000, VM_READ, &pa, &prot), 0);
	KTEST_EXPECT_EQ(t, pa, second);
	vm_object_put(o);
	vm_space_put(vm);
	KTEST_EXPECT_EQ(t, vm_ktest_pages_used(), used_before);
}

static void vm_clone_shares_pages_copy_on_write(struct ktest *t)
{
	paddr_t pa, cpa;
	unsigned prot;
	char c;
	size_t used_before = vm_ktest_pages_used();
	struct vm_space *vm = vm_space_create();
	struct vm_object *o = vm_object_create();

	KTEST_ASSERT(t, vm != NULL && o != NULL);
	KTEST_EXPECT_EQ(t, vm_area_add(vm, 0x70000, 0x72000, VM_READ | VM_WRITE, 0, NULL, 0, 0), 0);
	KTEST_EXPECT_EQ(t, vm_area_add(vm, 0x80000, 0x81000, VM_READ | VM_WRITE, VMA_SHARED, o, 0,
				       PAGE_SIZE), 0);
	vm_object_put(o);
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, 0x70000, "p", 1), 0);
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, 0x80000, "s", 1), 0);
	vm->brk_start = 0x1000;
	vm->brk = 0x2345;
	uint64_t gen = vm->generation;
	struct vm_space *copy = vm_space_clone(vm);
	KTEST_ASSERT(t, copy != NULL);
	KTEST_EXPECT(t, vm->generation != gen); /* CPUs drop the parent's writable pages */
	KTEST_EXPECT_EQ(t, copy->brk, 0x2345);
	KTEST_EXPECT_EQ(t, copy->resident, 2);
	/* the private page is shared read-only by both */
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x70000, VM_READ, &pa, &prot), 0);
	KTEST_EXPECT_EQ(t, prot & VM_WRITE, 0);
	KTEST_EXPECT_EQ(t, vm_resolve(copy, 0x70000, VM_READ, &cpa, &prot), 0);
	KTEST_EXPECT_EQ(t, pa, cpa);
	KTEST_EXPECT_EQ(t, page_refs(pa), 2);
	/* a write in the copy copies; the parent keeps its byte and then owns its page alone */
	KTEST_EXPECT_EQ(t, vm_copy_to_user(copy, 0x70000, "c", 1), 0);
	KTEST_EXPECT_EQ(t, vm_copy_from_user(vm, &c, 0x70000, 1), 0);
	KTEST_EXPECT_EQ(t, c, 'p');
	KTEST_EXPECT_EQ(t, page_refs(pa), 1);
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, 0x70000, "q", 1), 0);
	KTEST_EXPECT_EQ(t, vm_resolve(vm, 0x70000, VM_READ, &cpa, &prot), 0);
	KTEST_EXPECT_EQ(t, cpa, pa); /* taken over, not copied */
	KTEST_EXPECT_EQ(t, vm_copy_from_user(copy, &c, 0x70000, 1), 0);
	KTEST_EXPECT_EQ(t, c, 'c');
	/* an untouched page is filled in each space on its own */
	KTEST_EXPECT_EQ(t, vm_copy_from_user(copy, &c, 0x71000, 1), 0);
	KTEST_EXPECT_EQ(t, c, 0);
	/* the shared area's page stays writable and one */
	KTEST_EXPECT_EQ(t, vm_copy_to_user(copy, 0x80001, "S", 1), 0);
	KTEST_EXPECT_EQ(t, vm_copy_from_user(vm, &c, 0x80001, 1), 0);
	KTEST_EXPECT_EQ(t, c, 'S');
	vm_space_put(vm);
	KTEST_EXPECT_EQ(t, vm_copy_from_user(copy, &c, 0x80000, 1), 0);
	KTEST_EXPECT_EQ(t, c, 's');
	vm_space_put(copy);
	KTEST_EXPECT_EQ(t, vm_ktest_pages_used(), used_before);
}

static void vm_fault_around_maps_nearby_pages(struct ktest *t)
{
	size_t used_before = vm_ktest_pages_used();
	struct vm_space *vm = vm_space_create();
	struct vm_object *o = vm_object_create();
	struct vm_page_ref pages[VM_AROUND_PAGES];
	uintptr_t base = 0x400000, len = (VM_AROUND_PAGES + 2) * PAGE_SIZE;

	KTEST_ASSERT(t, vm != NULL && o != NULL);
	KTEST_EXPECT_EQ(t, vm_object_truncate(o, len - 2 * PAGE_SIZE), 0);
	KTEST_EXPECT_EQ(t, vm_area_add(vm, base, base + len, VM_READ | VM_WRITE, 0, o, 0,
				       len - 2 * PAGE_SIZE), 0);
	KTEST_EXPECT_EQ(t, vm_area_add(vm, base + len, base + len + PAGE_SIZE * 4, VM_READ, 0,
				       NULL, 0, 0), 0);
	/* a write miss gets its own copy; the block's other file pages come along read-only */
	int n = vm_resolve_around(vm, base + 3 * PAGE_SIZE + 8, VM_WRITE, pages);
	KTEST_EXPECT_EQ(t, n, VM_AROUND_PAGES);
	KTEST_EXPECT_EQ(t, pages[0].va, base + 3 * PAGE_SIZE);
	KTEST_EXPECT(t, pages[0].prot & VM_WRITE);
	KTEST_EXPECT_EQ(t, pages[1].va, base);
	KTEST_EXPECT_EQ(t, pages[1].prot & VM_WRITE, 0);
	KTEST_EXPECT_EQ(t, vm->resident, VM_AROUND_PAGES);
	/* nothing left to bring along: only the page asked for */
	KTEST_EXPECT_EQ(t, vm_resolve_around(vm, base + 5 * PAGE_SIZE, VM_READ, pages), 1);
	/* a miss past the file's end (zeros) brings the other zero page of its block (a
	 * file page is never allocated around it); in anonymous memory, the area's others */
	KTEST_EXPECT_EQ(t, vm_resolve_around(vm, base + len - PAGE_SIZE, VM_READ, pages), 2);
	KTEST_EXPECT_EQ(t, pages[1].va, base + len - 2 * PAGE_SIZE);
	KTEST_EXPECT(t, pages[1].prot & VM_WRITE);
	KTEST_EXPECT_EQ(t, vm_resolve_around(vm, base + len, VM_READ, pages), 4);
	KTEST_EXPECT_EQ(t, vm->resident, VM_AROUND_PAGES + 2 + 4);
	KTEST_EXPECT_EQ(t, vm_resolve_around(vm, base + len, VM_WRITE, pages), -EACCES);
	KTEST_EXPECT_EQ(t, vm_resolve_around(vm, 0x1000, VM_READ, pages), -EFAULT);
	vm_object_put(o);
	vm_space_put(vm);
	KTEST_EXPECT_EQ(t, vm_ktest_pages_used(), used_before);
}

static const struct ktest_case vm_cases[] = {
	KTEST_CASE(pt_map_lookup_destroy),
	KTEST_CASE(pte_prot_round_trips),
	KTEST_CASE(vm_demand_zero_and_file),
	KTEST_CASE(vm_unmap_and_protect_split_areas),
	KTEST_CASE(vm_unmap_frees_every_gathered_page),
	KTEST_CASE(vm_protect_none_keeps_page_from_user),
	KTEST_CASE(vm_object_read_write_truncate),
	KTEST_CASE(vm_object_sparse_pages_cost_what_they_hold),
	KTEST_CASE(vm_private_object_pages_copy_on_write),
	KTEST_CASE(vm_clone_shares_pages_copy_on_write),
	KTEST_CASE(vm_fault_around_maps_nearby_pages),
	{0},
};
KTEST_SUITE(vm, "vm", vm_cases);
