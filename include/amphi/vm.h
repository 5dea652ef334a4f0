/*
 * vm.h: virtual memory. Page tables in the guest ISA's format (walked by portable code),
 * and address spaces: a page-table root plus areas (VMAs) that say what each range is, so
 * pages are filled in on first touch (demand-zero, or a private copy of file data).
 *
 * The kernel reaches user memory only through vm_copy_* and vm_resolve: they check the
 * areas and walk the tables, then use the direct map, so the same code is right on metal
 * and in the hosted build, where user code runs in an emulator over the same tables.
 */
#pragma once

#include <amphi/arch.h>
#include <amphi/list.h>
#include <amphi/sync.h>
#include <amphi/types.h>

/* --- page tables (kernel/mm/pgtable.c) --- */

/* Allocates an empty root table. Returns 0 and its physical address in *root, or -ENOMEM. */
int pt_create(paddr_t *root);

/* Maps the page at va (page aligned, below USER_VA_END) to physical page pa with prot,
 * allocating tables on the way. Returns 0, -ENOMEM, or -EEXIST when va is mapped. */
int pt_map(paddr_t root, uintptr_t va, paddr_t pa, unsigned prot);

/* The level-0 entry for va, or 0 when none. */
pte_t pt_lookup(paddr_t root, uintptr_t va);

/* Replaces the level-0 entry for va, which must exist, with e; returns the old entry. */
pte_t pt_replace(paddr_t root, uintptr_t va, pte_t e);

/* Calls fn(va, entry, ctx) for every valid level-0 entry in [start, end), in address order,
 * and clears the entry first when clear is set. */
void pt_for_each(paddr_t root, uintptr_t start, uintptr_t end, bool clear,
		 void (*fn)(uintptr_t va, pte_t e, void *ctx), void *ctx);

/* Frees every table of root, root included. Leaf pages are the caller's (pt_for_each). */
void pt_destroy(paddr_t root);

/* --- address spaces (kernel/mm/vm.c) --- */

/* --- memory objects (kernel/mm/vm_object.c) --- */

#define VM_OBJECT_MAX_SIZE (1ULL << 36) /* 64 GiB: larger offsets get -EFBIG */
struct vm_object_node; /* a node of an object's page tree (vm_object.c) */

/* A file's pages (its page cache; a ramfs file is nothing else) or shared anonymous memory.
 * Bytes never written read as zeros. Counted: areas mapping it and open files hold it. */
struct vm_object {
	struct spinlock lock; /* size, pages, refs */
	unsigned refs;
	uint64_t size; /* bytes */
	/* the pages, by index (page i holds bytes [i * PAGE_SIZE, ...)): a radix tree of
	 * nodes, height levels deep (0: no page yet), so a sparse file
	 * costs memory for the pages it has, not for its offsets */
	struct vm_object_node *root;
	unsigned height;
	/* names the object's bytes for code keys: unique for the kernel's lifetime, and renewed
	 * whenever they change (a write, a truncation, a page mapped shared and writable; not
	 * a store through a page mapped so before) */
	uint64_t id;
};

/* An empty object with one reference. Returns NULL when out of memory. */
struct vm_object *vm_object_create(void);

/* Notes that o's bytes change (renews its id), for a write the object does not see. */
void vm_object_changed(struct vm_object *o);

/* The id naming o's bytes as they are now (read without the lock). */
uint64_t vm_object_id(struct vm_object *o);

/* Takes and drops references; the last drop frees the object and its pages' references. */
void vm_object_get(struct vm_object *o);
void vm_object_put(struct vm_object *o);

/* The page holding bytes [index * PAGE_SIZE, ...), allocated (zero) when missing, with one
 * reference taken for the caller (page_put it). Returns 0, -ENOMEM, -EFBIG. */
int vm_object_page(struct vm_object *o, uint64_t index, paddr_t *pa);

/* The page holding bytes [index * PAGE_SIZE, ...) when the object has one (never written
 * bytes have none): 0 with a reference taken (page_put it), or -ENOENT. */
int vm_object_peek(struct vm_object *o, uint64_t index, paddr_t *pa);
/* Puts page pa, whose reference the caller hands over, at index, where the object has no
 * page yet, and grows the size to at least size bytes. Returns 0, -EFBIG, -ENOMEM, or
 * -EEXIST when the object has a page there (the reference stays the caller's on error). */
int vm_object_adopt(struct vm_object *o, uint64_t index, paddr_t pa, uint64_t size);

/* The object's size in bytes. */
uint64_t vm_object_size(struct vm_object *o);

/* Moves len bytes at offset off between the object and a caller's buffer, a page at a time
 * with the object unlocked: copy(page_bytes, done, n, ctx) moves n bytes of the object (at
 * page_bytes) to or from the caller's buffer at offset done, returning 0 or a negative errno.
 * A read stops at the object's size; a write extends it. Returns the bytes moved, or the
 * first error when none were (-EFBIG past VM_OBJECT_MAX_SIZE, -ENOMEM, copy's error). */
long vm_object_rw(struct vm_object *o, uint64_t off, size_t len, bool write,
		  int (*copy)(void *page_bytes, size_t done, size_t n, void *ctx), void *ctx);

/* vm_object_rw to and from a kernel buffer. */
long vm_object_read(struct vm_object *o, uint64_t off, void *buf, size_t len);
long vm_object_write(struct vm_object *o, uint64_t off, const void *buf, size_t len);

/* Sets the size; bytes past it are dropped (read as zeros if it grows again). Returns 0 or
 * -EFBIG. */
int vm_object_truncate(struct vm_object *o, uint64_t size);

/* --- address spaces (kernel/mm/vm.c) --- */

/* What an area maps: zeros (anonymous), or an object's bytes from obj_offset on up to the
 * address file_end and zeros past it (an ELF segment's file bytes, then its bss). A private
 * area (the default) gets its own copy of a page when it first writes it; a shared one
 * (VMA_SHARED) writes the object's pages. */
struct vm_area {
	uintptr_t start, end;	/* page aligned, [start, end) */
	unsigned prot;		/* VM_READ | VM_WRITE | VM_EXEC */
	unsigned flags;		/* VMA_* */
	struct vm_object *obj;	/* a reference, or NULL for anonymous memory */
	uint64_t obj_offset;	/* the object's byte at start (page aligned) */
	uintptr_t file_end;	/* object bytes back [start, file_end); zeros from there on */
	struct list_node node;
};

#define VMA_STACK 1u /* the main thread's stack */
#define VMA_HEAP 2u  /* the brk area */
#define VMA_SHARED 4u /* writes reach the object (MAP_SHARED) */

struct vm_space {
	struct spinlock lock; /* areas, tables and counters */
	paddr_t root;
	struct list_node areas; /* struct vm_area, ascending, never overlapping */
	uintptr_t brk_start, brk;
	uintptr_t arg_start, arg_end; /* the argv strings exec put on the stack */
	uintptr_t mmap_top; /* mmap hands out addresses below this */
	uintptr_t sigreturn; /* the page of the guest's rt_sigreturn call (exec), or 0 */
	/* bumped whenever a translation is removed or loses rights, so a platform that caches
	 * translations (the hosted machine's windows) knows to drop what it holds */
	uint64_t generation;
	/* identifies the code mapped: spaces with the same nonzero key map the same bytes at
	 * the same addresses (a program and its forks), so translations of one serve another;
	 * exec sets it last, and any later change to executable areas clears it */
	uintptr_t code_key;
	/* pages mapped: changed under the lock, atomically, since the hosted platform reads it
	 * without the lock (whether to map a space's pages all at once) */
	size_t resident;
	size_t total_vm; /* bytes the areas cover, against RLIMIT_AS */
	size_t data_vm;	 /* bytes of data areas (vm_is_data), against RLIMIT_DATA */
	unsigned refs;
	uint64_t id; /* unique for the kernel's lifetime: a freed space's address may come back */
};

/* Reads the memory options of the kernel command line: "tlb_shootdown=off" is a planted
 * bug for the tests that show the shootdown is needed (vm_shootdown). Called once at boot. */
void vm_init(const char *cmdline);

/* The shootdown of the platforms' plat_mmu_invalidate: runs fn(arg) on every CPU c whose
 * loaded[c] is key (the platform's record of the space each CPU holds: set before the CPU
 * reads the space's generation), the caller's included, and returns once all have; fn
 * takes no lock (smp_call_on). With tlb_shootdown=off, on the caller's CPU only. */
void vm_shootdown(const uint64_t *loaded, uint64_t key, void (*fn)(void *arg), void *arg);

/* False under tlb_shootdown=off (for a platform whose invalidation needs no call, e.g. a
 * broadcast TLB invalidation, to stay local then). */
bool vm_shootdown_enabled(void);

/* Creates an empty address space. Returns NULL when out of memory. */
struct vm_space *vm_space_create(void);

/* Drops a reference; the last one frees every page, table and area. */
void vm_space_put(struct vm_space *vm);

/* Takes a reference to vm (threads sharing it). */
void vm_space_get(struct vm_space *vm);

/* A copy of vm for fork: the same areas (with their object references) and copy-on-write
 * pages: a private page becomes read-only in both spaces until one writes it, a shared
 * area's pages are shared as they are. Returns NULL when out of memory (vm unchanged but
 * for rights it may have given up). */
struct vm_space *vm_space_clone(struct vm_space *vm);

/* Adds an area [start, end) with prot and flags mapping obj (NULL: anonymous memory) from
 * its page-aligned byte obj_offset on, for file_len bytes (zeros after them). The area takes
 * its own reference to obj. Returns 0, -EINVAL for a bad range, offset or W+X prot,
 * -EEXIST when it overlaps an area, -ENOMEM. */
int vm_area_add(struct vm_space *vm, uintptr_t start, uintptr_t end, unsigned prot,
		unsigned flags, struct vm_object *obj, uint64_t obj_offset, size_t file_len);

/* True when an area of prot and flags (VMA_*) is data, which RLIMIT_DATA bounds: private,
 * writable and not the stack, as Linux's is_data_mapping. */
bool vm_is_data(unsigned prot, unsigned flags);

/* The bounds a new area must keep: the bytes of all areas (RLIMIT_AS) and of data areas
 * (RLIMIT_DATA). */
struct vm_limits {
	uint64_t as, data;
};

/* Whether vm may cover [start, end) (page aligned) with an area of prot and flags,
 * whatever now maps part of it, and stay within lim. Returns 0 or -ENOMEM. */
int vm_may_map(struct vm_space *vm, uintptr_t start, uintptr_t end, unsigned prot, unsigned flags,
	       const struct vm_limits *lim);

/* Removes [start, end) from every area it covers (splitting them) and frees its pages.
 * Returns 0, -EINVAL for a bad range, -ENOMEM when a split needs memory. */
int vm_unmap(struct vm_space *vm, uintptr_t start, uintptr_t end);

/* Sets the protection of every page in [start, end), which areas must cover entirely; an
 * area that becomes data must keep lim (NULL: no limits). Returns 0, -EINVAL, -ENOMEM (no
 * area there, a split failed, or past lim->data), -EACCES for W+X. */
int vm_protect(struct vm_space *vm, uintptr_t start, uintptr_t end, unsigned prot,
	       const struct vm_limits *lim);

/* mremap: resizes the mapping [old, old + old_len) (page-aligned lengths), which one area
 * must hold: shrinks it, grows it in place when the pages after it are free, or else, when
 * may_move, moves it with its pages to a free range (to fixed_to when nonzero, unmapping
 * what was there). Growth must keep lim. Returns the new address, -EINVAL (bad arguments, or
 * fixed_to overlapping the old range), -EFAULT (no single area holds the old range),
 * -ENOMEM (no room, or past lim). */
long vm_remap(struct vm_space *vm, uintptr_t old, size_t old_len, size_t new_len, bool may_move,
	      uintptr_t fixed_to, const struct vm_limits *lim);

/* The memory object a shared area (VMA_SHARED) maps at va, with va's byte offset in it in
 * *off; NULL when va lies in no shared area. Only an identity: the caller holds no
 * reference. */
const struct vm_object *vm_shared_object(struct vm_space *vm, uintptr_t va, uint64_t *off);

/* True when areas cover [start, end) without a hole. */
bool vm_mapped(struct vm_space *vm, uintptr_t start, uintptr_t end);

/* madvise(MADV_DONTNEED): drops the pages of [start, end), so the next touch reads zeros
 * (anonymous) or the object's bytes again. Returns 0, -EINVAL, or -ENOMEM when part of
 * the range has no area (the rest is still dropped). */
int vm_discard(struct vm_space *vm, uintptr_t start, uintptr_t end);

/* A free page-aligned range of len bytes below the mmap top, or 0 when none. */
uintptr_t vm_find_free(struct vm_space *vm, size_t len);

/* Makes the page at va accessible for access (VM_READ/VM_WRITE/VM_EXEC) as its area
 * allows, filling it on first touch. Returns 0 with its physical page and protection in
 * *pa and *prot; -EFAULT when no area covers va (SEGV_MAPERR), -EACCES when the area
 * forbids access (SEGV_ACCERR), -ENOMEM when no page can be had. Does not sleep. */
int vm_resolve(struct vm_space *vm, uintptr_t va, unsigned access, paddr_t *pa, unsigned *prot);

/* A page vm_resolve_around made accessible. */
struct vm_page_ref {
	uintptr_t va;
	paddr_t pa;
	unsigned prot;
};

#define VM_AROUND_PAGES 16 /* the aligned block of pages vm_resolve_around looks at */
#define VM_AROUND_FREE_FRACTION 8 /* zeros come around only while 1/8 of RAM is free */

/* vm_resolve of va for access, plus fault-around: the other pages of va's aligned block of
 * VM_AROUND_PAGES in the same area, not mapped yet, that are object pages (mapped for
 * reading without allocating) or, when va is zero-fill memory (private anonymous, or past
 * a file's bytes) and more than 1/VM_AROUND_FREE_FRACTION of RAM is free, zero-fill pages
 * too (allocated), so that one miss maps several. Fills out[0] with va's page and the rest
 * after it; returns how many (at least 1), or vm_resolve's error. */
int vm_resolve_around(struct vm_space *vm, uintptr_t va, unsigned access,
		      struct vm_page_ref out[VM_AROUND_PAGES]);

/* Calls fn(page, ctx) for every page user code may access in [start, end) of vm (not the
 * kernel-only pages of PROT_NONE), in address order, with vm's lock held (fn must not call
 * into vm). Does not sleep. */
void vm_for_each_mapped(struct vm_space *vm, uintptr_t start, uintptr_t end,
			void (*fn)(const struct vm_page_ref *page, void *ctx), void *ctx);

/* The bounds [*lo, *hi) of the executable area holding va. Returns 0, -EFAULT when no area
 * holds va, -EACCES when it is not executable. */
int vm_exec_area(struct vm_space *vm, uintptr_t va, uintptr_t *lo, uintptr_t *hi);

/* Copies between kernel memory and the user range [uva, uva + len) of vm, as user code with
 * the same access would. Returns 0, or -EFAULT when any byte is not accessible. */
int vm_copy_to_user(struct vm_space *vm, uintptr_t uva, const void *src, size_t len);
int vm_copy_from_user(struct vm_space *vm, void *dst, uintptr_t uva, size_t len);

/* Copies a NUL-terminated string of at most cap bytes (NUL included) from user memory.
 * Returns its length, -EFAULT, or -ENAMETOOLONG when no NUL comes within cap bytes. */
long vm_copy_string(struct vm_space *vm, char *dst, uintptr_t uva, size_t cap);
