/*
 * Buddy allocator bookkeeping. Blocks are aligned in physical frame numbers (not zone
 * indices), so a zone may start anywhere and every block is still aligned to its size.
 * Only block heads carry state: the other pages of a block stay BUDDY_TAIL, so a split or
 * a merge changes two heads and never walks the block. No block crosses a chunk (the
 * largest block is one), so a chunk whose metadata is unwritten is either all reserved or
 * one free block kept off the lists; it is written when a page of it is first needed.
 */
#include <amphi/arch.h>
#include <amphi/buddy.h>
#include <amphi/errno.h>
#include <amphi/panic.h>
#include <amphi/string.h>

/* Physical frame number of zone page idx. */
static uint64_t buddy_pfn(const struct buddy_zone *z, size_t idx)
{
	return (z->base >> PAGE_SHIFT) + idx;
}

/* Zone index of pa, which must be page aligned and inside the zone. */
static size_t buddy_index(const struct buddy_zone *z, paddr_t pa, const char *who)
{
	if (!buddy_contains(z, pa) || !IS_ALIGNED(pa, PAGE_SIZE))
		panic("%s: %#llx is not a page of zone [%#llx, +%zu pages)", who,
		      (unsigned long long)pa, (unsigned long long)z->base, z->npages);
	return (size_t)((pa - z->base) >> PAGE_SHIFT);
}

/* Pushes the free block headed by idx onto its order's list. */
static void buddy_list_push(struct buddy_zone *z, uint32_t idx, unsigned order)
{
	struct buddy_page *pg = &z->pages[idx];

	pg->state = BUDDY_FREE;
	pg->order = (uint8_t)order;
	pg->prev = BUDDY_NONE;
	pg->next = z->free_head[order];
	if (pg->next != BUDDY_NONE)
		z->pages[pg->next].prev = idx;
	z->free_head[order] = idx;
}

/* Unlinks the free block headed by idx from its order's list. */
static void buddy_list_remove(struct buddy_zone *z, uint32_t idx)
{
	struct buddy_page *pg = &z->pages[idx];

	if (pg->prev != BUDDY_NONE)
		z->pages[pg->prev].next = pg->next;
	else
		z->free_head[pg->order] = pg->next;
	if (pg->next != BUDDY_NONE)
		z->pages[pg->next].prev = pg->prev;
	pg->next = pg->prev = BUDDY_NONE;
}

/* Chunk number of zone page idx. */
static size_t buddy_chunk_of(const struct buddy_zone *z, size_t idx)
{
	return (size_t)(buddy_pfn(z, idx) / BUDDY_CHUNK_PAGES -
			buddy_pfn(z, 0) / BUDDY_CHUNK_PAGES);
}

/* First zone page index of chunk c (0 for a chunk the zone starts inside). */
static size_t buddy_chunk_first(const struct buddy_zone *z, size_t c)
{
	uint64_t pfn = (buddy_pfn(z, 0) / BUDDY_CHUNK_PAGES + c) * BUDDY_CHUNK_PAGES;

	return pfn > buddy_pfn(z, 0) ? (size_t)(pfn - buddy_pfn(z, 0)) : 0;
}

/* One past the last zone page index of chunk c. */
static size_t buddy_chunk_end(const struct buddy_zone *z, size_t c)
{
	size_t end = buddy_chunk_first(z, c + 1);

	return end < z->npages ? end : z->npages;
}

/* True when chunk c lies whole inside the zone. */
static bool buddy_chunk_whole(const struct buddy_zone *z, size_t c)
{
	return buddy_chunk_end(z, c) - buddy_chunk_first(z, c) == BUDDY_CHUNK_PAGES;
}

/* Writes the metadata of chunk c if it is unwritten: every page reserved, or one free
 * block put on its list. */
static void buddy_chunk_write(struct buddy_zone *z, size_t c)
{
	uint8_t was = z->chunks[c];
	uint8_t state = was == BUDDY_CHUNK_FREE ? BUDDY_TAIL : BUDDY_RESERVED;
	size_t first = buddy_chunk_first(z, c), end = buddy_chunk_end(z, c);

	if (was == BUDDY_CHUNK_WRITTEN)
		return;
	for (size_t i = first; i < end; i++)
		z->pages[i] = (struct buddy_page){BUDDY_NONE, BUDDY_NONE, 0, state, 0, 0};
	z->chunks[c] = BUDDY_CHUNK_WRITTEN;
	if (was == BUDDY_CHUNK_FREE) {
		z->unwritten_free--;
		buddy_list_push(z, (uint32_t)first, BUDDY_ORDERS - 1);
	}
}

/* Writes the highest unwritten free chunk onto the largest block's list; false when there
 * is none. The highest goes first: the order the lists would hand them out in. */
static bool buddy_chunk_take_free(struct buddy_zone *z)
{
	if (!z->unwritten_free)
		return false;
	while (z->chunks[z->unwritten_top - 1] != BUDDY_CHUNK_FREE)
		z->unwritten_top--;
	buddy_chunk_write(z, --z->unwritten_top);
	return true;
}

size_t buddy_meta_size(size_t npages)
{
	/* a zone overlaps at most two chunks more than it fills */
	return npages * sizeof(struct buddy_page) + npages / BUDDY_CHUNK_PAGES + 2;
}

void buddy_init(struct buddy_zone *z, paddr_t base, size_t npages, struct buddy_page *meta)
{
	if (!IS_ALIGNED(base, PAGE_SIZE) || npages >= BUDDY_NONE)
		panic("buddy_init: zone base %#llx must be page aligned and npages %zu < 2^32-1",
		      (unsigned long long)base, npages);
	z->base = base;
	z->npages = npages;
	z->pages = meta;
	z->chunks = (uint8_t *)(meta + npages);
	z->free_pages = 0;
	z->unwritten_free = 0;
	z->unwritten_top = 0;
	for (unsigned o = 0; o < BUDDY_ORDERS; o++)
		z->free_head[o] = BUDDY_NONE;
	if (npages == 0)
		return;
	size_t last = buddy_chunk_of(z, npages - 1);
	memset(z->chunks, BUDDY_CHUNK_RESERVED, last + 1);
	/* a chunk the zone only partly covers never becomes one free block: write it now */
	if (!buddy_chunk_whole(z, 0))
		buddy_chunk_write(z, 0);
	if (!buddy_chunk_whole(z, last))
		buddy_chunk_write(z, last);
}

/* Frees the block of 2^order pages headed by idx (whose pages are all non-heads or this
 * head), merging with free buddies as far as they go. */
static void buddy_release(struct buddy_zone *z, size_t idx, unsigned order)
{
	z->free_pages += (size_t)1 << order;
	while (order + 1 < BUDDY_ORDERS) {
		uint64_t pfn = buddy_pfn(z, idx);
		uint64_t buddy = pfn ^ ((uint64_t)1 << order);
		if (buddy < buddy_pfn(z, 0))
			break;
		size_t bidx = (size_t)(buddy - buddy_pfn(z, 0));
		if (bidx + ((size_t)1 << order) > z->npages)
			break;
		struct buddy_page *b = &z->pages[bidx];
		if (b->state != BUDDY_FREE || b->order != order)
			break;
		buddy_list_remove(z, (uint32_t)bidx);
		size_t upper = bidx > idx ? bidx : idx;
		z->pages[upper].state = BUDDY_TAIL;
		z->pages[upper].order = 0;
		idx = bidx < idx ? bidx : idx;
		order++;
	}
	buddy_list_push(z, (uint32_t)idx, order);
}

/* Panics unless every page of [first, end) is reserved. */
static void buddy_check_reserved(const struct buddy_zone *z, size_t first, size_t end)
{
	for (size_t i = first; i < end; i++) {
		uint8_t chunk = z->chunks[buddy_chunk_of(z, i)];
		if (chunk == BUDDY_CHUNK_FREE ||
		    (chunk == BUDDY_CHUNK_WRITTEN && z->pages[i].state != BUDDY_RESERVED))
			panic("buddy_add_free: page %#llx is already managed",
			      (unsigned long long)(z->base + ((paddr_t)i << PAGE_SHIFT)));
	}
}

/* Frees the reserved pages [first, end) of one chunk: the chunk as an unwritten free
 * block when they are all of it and its metadata is unwritten, else in the largest
 * aligned blocks that fit. */
static void buddy_add_free_in_chunk(struct buddy_zone *z, size_t first, size_t end)
{
	size_t c = buddy_chunk_of(z, first);

	if (end - first == BUDDY_CHUNK_PAGES && z->chunks[c] == BUDDY_CHUNK_RESERVED) {
		z->chunks[c] = BUDDY_CHUNK_FREE;
		z->unwritten_free++;
		z->unwritten_top = MAX(z->unwritten_top, c + 1);
		z->free_pages += BUDDY_CHUNK_PAGES;
		return;
	}
	buddy_chunk_write(z, c);
	for (size_t i = first; i < end; i++)
		z->pages[i].state = BUDDY_TAIL;
	for (size_t idx = first; idx < end;) {
		unsigned order = BUDDY_ORDERS - 1;
		while (order > 0 && ((buddy_pfn(z, idx) & (((uint64_t)1 << order) - 1)) ||
				     idx + ((size_t)1 << order) > end))
			order--;
		buddy_release(z, idx, order);
		idx += (size_t)1 << order;
	}
}

void buddy_add_free(struct buddy_zone *z, paddr_t pa, size_t npages)
{
	size_t first = buddy_index(z, pa, "buddy_add_free");

	if (npages > z->npages - first)
		panic("buddy_add_free: %zu pages at %#llx run past the zone end", npages,
		      (unsigned long long)pa);
	buddy_check_reserved(z, first, first + npages);
	for (size_t idx = first, end = first + npages; idx < end;) {
		size_t stop = MIN(end, buddy_chunk_end(z, buddy_chunk_of(z, idx)));
		buddy_add_free_in_chunk(z, idx, stop);
		idx = stop;
	}
}

int buddy_claim(struct buddy_zone *z, paddr_t pa)
{
	size_t idx = buddy_index(z, pa, "buddy_claim"), c = buddy_chunk_of(z, idx);
	struct buddy_page *pg = &z->pages[idx];

	if (z->chunks[c] == BUDDY_CHUNK_FREE)
		return -EBUSY;
	buddy_chunk_write(z, c);
	if (pg->state != BUDDY_RESERVED)
		return -EBUSY;
	*pg = (struct buddy_page){BUDDY_NONE, BUDDY_NONE, 0, BUDDY_USED, 0, 0};
	return 0;
}

int buddy_alloc(struct buddy_zone *z, unsigned order, paddr_t *pa)
{
	unsigned o = order;

	if (order >= BUDDY_ORDERS)
		return -EINVAL;
	while (o < BUDDY_ORDERS && z->free_head[o] == BUDDY_NONE)
		o++;
	if (o == BUDDY_ORDERS && !buddy_chunk_take_free(z))
		return -ENOMEM;
	o = MIN(o, BUDDY_ORDERS - 1);
	uint32_t idx = z->free_head[o];
	buddy_list_remove(z, idx);
	while (o > order) {
		o--; /* split: the upper half goes back on the next list down */
		buddy_list_push(z, idx + ((uint32_t)1 << o), o);
	}
	z->pages[idx].state = BUDDY_USED;
	z->pages[idx].order = (uint8_t)order;
	z->pages[idx].owner = 0;
	z->free_pages -= (size_t)1 << order;
	*pa = z->base + ((paddr_t)idx << PAGE_SHIFT);
	return 0;
}

void buddy_free(struct buddy_zone *z, paddr_t pa, unsigned order)
{
	size_t idx = buddy_index(z, pa, "buddy_free");
	uint8_t chunk = z->chunks[buddy_chunk_of(z, idx)];
	struct buddy_page *pg = &z->pages[idx];

	if (chunk == BUDDY_CHUNK_FREE)
		panic("buddy_free: double free of page %#llx", (unsigned long long)pa);
	if (chunk != BUDDY_CHUNK_WRITTEN)
		panic("buddy_free: page %#llx does not head an allocated block",
		      (unsigned long long)pa);
	if (pg->state == BUDDY_FREE)
		panic("buddy_free: double free of page %#llx", (unsigned long long)pa);
	if (pg->state != BUDDY_USED)
		panic("buddy_free: page %#llx does not head an allocated block",
		      (unsigned long long)pa);
	if (pg->order != order)
		panic("buddy_free: block %#llx has order %u, freed as order %u",
		      (unsigned long long)pa, pg->order, order);
	pg->owner = 0;
	buddy_release(z, idx, order);
}

bool buddy_contains(const struct buddy_zone *z, paddr_t pa)
{
	return pa >= z->base && ((pa - z->base) >> PAGE_SHIFT) < z->npages;
}

struct buddy_page *buddy_page_of(struct buddy_zone *z, paddr_t pa)
{
	if (!buddy_contains(z, pa))
		panic("buddy_page_of: %#llx lies outside the zone", (unsigned long long)pa);
	size_t idx = (size_t)((pa - z->base) >> PAGE_SHIFT);
	return z->chunks[buddy_chunk_of(z, idx)] == BUDDY_CHUNK_WRITTEN ? &z->pages[idx] : NULL;
}

size_t buddy_free_pages(const struct buddy_zone *z)
{
	return z->free_pages;
}

/* Checks one free block headed by idx on list order; returns its page count. */
static size_t buddy_check_block(const struct buddy_zone *z, uint32_t idx, unsigned order,
				uint32_t prev)
{
	if (idx >= z->npages)
		panic("buddy_check: order %u list links to page index %u past the zone", order,
		      idx);
	if (z->chunks[buddy_chunk_of(z, idx)] != BUDDY_CHUNK_WRITTEN)
		panic("buddy_check: order %u list links to page index %u of an unwritten chunk",
		      order, idx);
	const struct buddy_page *pg = &z->pages[idx];
	size_t n = (size_t)1 << order;
	if (pg->state != BUDDY_FREE || pg->order != order || pg->prev != prev)
		panic("buddy_check: page index %u on order %u list has state %u order %u prev %u",
		      idx, order, pg->state, pg->order, pg->prev);
	if (buddy_pfn(z, idx) & (n - 1) || idx + n > z->npages)
		panic("buddy_check: free block at index %u is misaligned or overruns", idx);
	uint64_t buddy = buddy_pfn(z, idx) ^ n;
	if (order + 1 < BUDDY_ORDERS && buddy >= buddy_pfn(z, 0) &&
	    buddy - buddy_pfn(z, 0) + n <= z->npages) {
		const struct buddy_page *b = &z->pages[buddy - buddy_pfn(z, 0)];
		if (b->state == BUDDY_FREE && b->order == order)
			panic("buddy_check: free buddies at index %u and %llu were not merged", idx,
			      (unsigned long long)(buddy - buddy_pfn(z, 0)));
	}
	for (size_t i = idx + 1; i < idx + n; i++)
		if (z->pages[i].state != BUDDY_TAIL)
			panic("buddy_check: page index %zu inside free block %u is not a tail", i,
			      idx);
	return n;
}

/* Checks the chunks whose metadata is unwritten; returns the pages of the free ones. */
static size_t buddy_check_unwritten(const struct buddy_zone *z)
{
	size_t nfree = 0, nchunks = z->npages ? buddy_chunk_of(z, z->npages - 1) + 1 : 0;

	for (size_t c = 0; c < nchunks; c++) {
		if (z->chunks[c] > BUDDY_CHUNK_WRITTEN)
			panic("buddy_check: chunk %zu has state %u", c, z->chunks[c]);
		if (z->chunks[c] != BUDDY_CHUNK_FREE)
			continue;
		if (!buddy_chunk_whole(z, c) || c >= z->unwritten_top)
			panic(
			    "buddy_check: unwritten free chunk %zu is partial or above the top %zu",
			    c, z->unwritten_top);
		nfree++;
	}
	if (nfree != z->unwritten_free)
		panic("buddy_check: %zu unwritten free chunks, count says %zu", nfree,
		      z->unwritten_free);
	return nfree * BUDDY_CHUNK_PAGES;
}

void buddy_check(const struct buddy_zone *z)
{
	size_t counted = buddy_check_unwritten(z), heads = 0, listed = 0;

	for (unsigned o = 0; o < BUDDY_ORDERS; o++) {
		uint32_t prev = BUDDY_NONE;
		for (uint32_t idx = z->free_head[o]; idx != BUDDY_NONE; idx = z->pages[idx].next) {
			if (++listed > z->npages)
				panic("buddy_check: order %u free list has a cycle", o);
			counted += buddy_check_block(z, idx, o, prev);
			prev = idx;
		}
	}
	for (size_t i = 0; i < z->npages; i++)
		heads += z->chunks[buddy_chunk_of(z, i)] == BUDDY_CHUNK_WRITTEN &&
			 z->pages[i].state == BUDDY_FREE;
	if (heads != listed)
		panic("buddy_check: %zu free heads but %zu listed blocks", heads, listed);
	if (counted != z->free_pages)
		panic("buddy_check: lists hold %zu pages, free count says %zu", counted,
		      z->free_pages);
}
