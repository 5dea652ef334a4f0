/*
 * Buddy allocator over one contiguous range of page frames. Pure bookkeeping: it never
 * touches the pages it manages, only its metadata array, so it builds and is unit-tested
 * on the host. kernel/mm/page_alloc.c puts one zone over each RAM range.
 * The metadata is written a chunk (the pages of a largest block) at a time, when the chunk
 * is first used: a zone over much RAM costs a few bytes per chunk until it is allocated.
 */
#pragma once

#include <amphi/types.h>

/* Blocks hold 2^0 .. 2^(BUDDY_ORDERS-1) pages: 4 KiB up to 4 MiB with 4 KiB pages. */
#define BUDDY_ORDERS 11

/* Pages of a chunk: a largest block, aligned to its size in frame numbers. */
#define BUDDY_CHUNK_PAGES ((size_t)1 << (BUDDY_ORDERS - 1))

/* Per-frame metadata; the caller provides one per page of the zone. */
struct buddy_page {
	uint32_t next; /* free-list links: page indices, BUDDY_NONE at the ends */
	uint32_t prev;
	uint8_t order; /* order of the block this page heads */
	uint8_t state; /* BUDDY_RESERVED, BUDDY_FREE (heads a free block), BUDDY_USED, BUDDY_TAIL */
	uint16_t owner; /* free for the layer above (e.g. kmalloc size class + 1); 0 = none */
	uint32_t refs;	/* free for the layer above (holders of a shared user page) */
};

#define BUDDY_NONE 0xffffffffu

enum { BUDDY_RESERVED = 0, BUDDY_FREE, BUDDY_USED, BUDDY_TAIL };

/* What a chunk's metadata holds: nothing written yet, and every page reserved; nothing
 * written yet, and the chunk one free block on no list; or each page's state. */
enum { BUDDY_CHUNK_RESERVED = 0, BUDDY_CHUNK_FREE, BUDDY_CHUNK_WRITTEN };

struct buddy_zone {
	paddr_t base; /* physical address of page index 0; page aligned */
	size_t npages;
	struct buddy_page *pages;
	uint8_t *chunks; /* a BUDDY_CHUNK_* per chunk the zone overlaps, from the lowest */
	uint32_t free_head[BUDDY_ORDERS];
	size_t free_pages;
	size_t unwritten_free; /* chunks in state BUDDY_CHUNK_FREE: largest free blocks too */
	size_t unwritten_top;  /* no chunk at or above this index is BUDDY_CHUNK_FREE */
};

/* Bytes of metadata a zone of npages pages needs (at any base). */
size_t buddy_meta_size(size_t npages);

/* Sets up a zone over [base, base + npages pages) with every page reserved.
 * meta must hold buddy_meta_size(npages) bytes. npages must be below BUDDY_NONE. */
void buddy_init(struct buddy_zone *z, paddr_t base, size_t npages, struct buddy_page *meta);

/* Hands the reserved pages [pa, pa + npages pages) to the allocator as free. Panics if
 * the range leaves the zone or any page in it is not reserved. */
void buddy_add_free(struct buddy_zone *z, paddr_t pa, size_t npages);

/* Takes the reserved page pa into use as an allocated block of order 0, which buddy_free
 * then frees like any other. Returns 0, or -EBUSY when pa is not a reserved page. Panics
 * when pa lies outside the zone. */
int buddy_claim(struct buddy_zone *z, paddr_t pa);

/* Allocates 2^order contiguous pages aligned to their size. Returns 0 and sets *pa,
 * -EINVAL for order >= BUDDY_ORDERS, or -ENOMEM. */
int buddy_alloc(struct buddy_zone *z, unsigned order, paddr_t *pa);

/* Frees a block returned by buddy_alloc with the same order, merging buddies.
 * Panics on a double free, a wrong order, or an address that is not a block head. */
void buddy_free(struct buddy_zone *z, paddr_t pa, unsigned order);

/* True when pa lies in the zone. */
bool buddy_contains(const struct buddy_zone *z, paddr_t pa);

/* Metadata of the page holding pa, which must lie in the zone; NULL while its chunk's
 * metadata is unwritten (pa is free or reserved, and was never allocated or claimed). */
struct buddy_page *buddy_page_of(struct buddy_zone *z, paddr_t pa);

/* Free pages in the zone. */
size_t buddy_free_pages(const struct buddy_zone *z);

/* Walks every free list and panics if any invariant is broken (for tests). */
void buddy_check(const struct buddy_zone *z);
