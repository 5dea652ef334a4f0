/* Kernel memory: the physical page allocator over all of RAM, and kmalloc on top. */
#pragma once

#include <amphi/buddy.h>
#include <amphi/plat.h>
#include <amphi/types.h>

/* Builds the page allocator from the platform's RAM ranges minus its reserved ranges.
 * Panics when no usable RAM remains. */
void page_alloc_init(const struct boot_info *info);

/* Allocates 2^order contiguous pages; returns their direct-map address or NULL. */
void *page_alloc(unsigned order);

/* Frees pages from page_alloc with the same order. Panics on a bad or double free. */
void page_free(void *va, unsigned order);

/* Free and total managed pages across RAM. */
size_t page_alloc_free_pages(void);
size_t page_alloc_total_pages(void);

/* Buddy metadata of the page holding va, a direct-map address (its owner field belongs
 * to the layer that allocated the page), or NULL when va is not managed RAM. */
struct buddy_page *page_alloc_meta(const void *va);

/* User pages are counted: a page that several address spaces map (copy-on-write after
 * fork) or that a memory object holds while spaces map it is freed by its last holder. */

/* One page with a single reference, contents undefined. Returns its physical address, or 0
 * when out of memory. */
paddr_t page_user_alloc(void);

/* Makes the reserved page pa (boot data the kernel is done with, e.g. the initial RAM disk)
 * a user page with a single reference, contents kept; the last page_put frees it into the
 * allocator. Returns 0, or -EINVAL when pa is not a reserved page of managed RAM. */
int page_user_adopt(paddr_t pa);

/* Makes each of the 2^order pages at va (a page_alloc block the caller never frees, such
 * as a framebuffer) a counted user page holding refs references, the caller's for good,
 * so that memory objects and address spaces may take and drop theirs. refs >= 1. */
void page_user_pin_block(void *va, unsigned order, unsigned refs);

/* Takes one more reference to the user page pa. */
void page_get(paddr_t pa);

/* Drops a reference to the user page pa; the last one frees it. */
void page_put(paddr_t pa);

/* References held to the user page pa (1: its holder may change it in place). */
unsigned page_refs(paddr_t pa);

/* Largest request kmalloc serves from a size class; bigger ones take whole pages. */
#define KMALLOC_MAX_CLASS 2048

/* Allocates size bytes aligned to at least 16 (size classes up to KMALLOC_MAX_CLASS,
 * page blocks above). Returns NULL when out of memory or size is 0. */
void *kmalloc(size_t size);

/* kmalloc and zero-fill. */
void *kzalloc(size_t size);

/* Frees a kmalloc block; NULL is ignored. Panics on a pointer kmalloc never returned, and
 * (where detectable) on a double free. */
void kfree(void *p);

/* Usable size of a kmalloc block: its size class or page block, at least what was asked
 * for. The memory checkers treat bytes past the size asked as out of bounds, so callers
 * must ask for all they use. */
size_t kmalloc_usable_size(const void *p);

/* kmalloc's counters. */
struct kmalloc_stats {
	size_t objects;	    /* blocks handed out and not yet freed */
	size_t bytes;	    /* usable bytes of those blocks */
	size_t slab_pages;  /* pages held by slabs, partly empty ones included */
	size_t large_pages; /* pages held by requests above KMALLOC_MAX_CLASS */
};

/* Fills *st with kmalloc's current counters. */
void kmalloc_get_stats(struct kmalloc_stats *st);
