/*
 * The physical page allocator: one buddy zone per RAM range (after sorting and merging the
 * ranges the platform reported), minus the reserved ranges. Each zone's metadata is carved
 * from the first free stretch of its own range that can hold it. Free pages are marked
 * inaccessible for the memory checkers until they are handed out.
 * One spinlock guards the zones; it is taken with interrupts masked, so any context may
 * allocate and free.
 */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/string.h>
#include <amphi/sync.h>

/* Page-granular physical range [start, end). */
struct pa_span {
	paddr_t start, end;
};

static struct buddy_zone page_zones[PLAT_MAX_MEM_RANGES];
static size_t page_zone_count;
static size_t page_total;
static struct spinlock page_lock = SPINLOCK_INIT("page_alloc");

/* Sorts spans by start (insertion sort: there are at most a few dozen). */
static void span_sort(struct pa_span *s, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct pa_span key = s[i];
		size_t j = i;
		for (; j > 0 && s[j - 1].start > key.start; j--)
			s[j] = s[j - 1];
		s[j] = key;
	}
}

/* Page-aligned, sorted and merged RAM spans of info into out; returns how many. Page 0
 * is left out so no allocation can ever look like NULL. */
static size_t page_ram_spans(const struct boot_info *info, struct pa_span *out)
{
	size_t n = 0;

	for (size_t i = 0; i < info->ram_count && i < PLAT_MAX_MEM_RANGES; i++) {
		paddr_t start = ALIGN_UP(info->ram[i].base, PAGE_SIZE);
		paddr_t end =
		    ALIGN_DOWN(mem_range_end(info->ram[i].base, info->ram[i].size), PAGE_SIZE);
		if (start < info->ram[i].base) /* aligning up wrapped */
			continue;
		if (start < PAGE_SIZE)
			start = PAGE_SIZE;
		if (end > start)
			out[n++] = (struct pa_span){start, end};
	}
	span_sort(out, n);
	size_t merged = 0;
	for (size_t i = 0; i < n; i++) {
		if (merged && out[i].start <= out[merged - 1].end)
			out[merged - 1].end = MAX(out[merged - 1].end, out[i].end);
		else
			out[merged++] = out[i];
	}
	return merged;
}

/* Reserved ranges of info clipped to zone, widened to whole pages, sorted, plus extra
 * (unless empty); returns how many were written to out. */
static size_t page_reserved_spans(const struct boot_info *info, struct pa_span zone,
				  struct pa_span extra, struct pa_span *out)
{
	size_t n = 0;

	for (size_t i = 0; i < info->reserved_count && i < PLAT_MAX_MEM_RANGES; i++) {
		paddr_t start = ALIGN_DOWN(info->reserved[i].base, PAGE_SIZE);
		paddr_t end = mem_range_page_end(info->reserved[i].base, info->reserved[i].size);
		start = MAX(start, zone.start);
		end = MIN(end, zone.end);
		if (end > start)
			out[n++] = (struct pa_span){start, end};
	}
	if (extra.end > extra.start)
		out[n++] = extra;
	span_sort(out, n);
	return n;
}

/* Free stretch number k of zone (the gaps between reserved spans); false past the last. */
static bool page_free_stretch(struct pa_span zone, const struct pa_span *rsv, size_t nrsv, size_t k,
			      struct pa_span *out)
{
	paddr_t cursor = zone.start;

	for (size_t i = 0; i <= nrsv; i++) {
		paddr_t gap_end = i < nrsv ? rsv[i].start : zone.end;
		if (gap_end > cursor) {
			if (k-- == 0) {
				*out = (struct pa_span){cursor, gap_end};
				return true;
			}
		}
		if (i < nrsv)
			cursor = MAX(cursor, rsv[i].end);
	}
	return false;
}

/* Builds the zone over span from info's reserved ranges. Returns 0, -ENOENT when the
 * span is reserved throughout, or -ENOSPC when its metadata fits in no free stretch. */
static int page_zone_build(struct buddy_zone *z, const struct boot_info *info, struct pa_span span)
{
	struct pa_span rsv[PLAT_MAX_MEM_RANGES + 1], stretch, meta = {0, 0};
	size_t npages = (size_t)((span.end - span.start) >> PAGE_SHIFT);
	size_t meta_bytes = ALIGN_UP(buddy_meta_size(npages), PAGE_SIZE);
	size_t nrsv = page_reserved_spans(info, span, meta, rsv);

	if (!page_free_stretch(span, rsv, nrsv, 0, &stretch))
		return -ENOENT;
	for (size_t k = 0; page_free_stretch(span, rsv, nrsv, k, &stretch); k++) {
		if (stretch.end - stretch.start >= meta_bytes) {
			meta = (struct pa_span){stretch.start, stretch.start + meta_bytes};
			break;
		}
	}
	if (meta.end == 0)
		return -ENOSPC;
	/* not prepared in bulk: only the chunks in use get their metadata written */
	plat_mem_undefined(plat_phys_to_virt(meta.start), meta_bytes);
	buddy_init(z, span.start, npages, plat_phys_to_virt(meta.start));
	nrsv = page_reserved_spans(info, span, meta, rsv);
	for (size_t k = 0; page_free_stretch(span, rsv, nrsv, k, &stretch); k++) {
		size_t n = (size_t)((stretch.end - stretch.start) >> PAGE_SHIFT);
		buddy_add_free(z, stretch.start, n);
		plat_mem_noaccess(plat_phys_to_virt(stretch.start), n << PAGE_SHIFT);
	}
	return 0;
}

void page_alloc_init(const struct boot_info *info)
{
	struct pa_span ram[PLAT_MAX_MEM_RANGES];
	size_t nram = page_ram_spans(info, ram);

	page_zone_count = 0;
	page_total = 0;
	for (size_t i = 0; i < nram; i++) {
		/* a zone indexes pages in 32 bits: cap absurdly large ranges */
		if ((ram[i].end - ram[i].start) >> PAGE_SHIFT >= BUDDY_NONE)
			ram[i].end = ram[i].start + ((paddr_t)(BUDDY_NONE - 1) << PAGE_SHIFT);
		struct buddy_zone *z = &page_zones[page_zone_count];
		int err = page_zone_build(z, info, ram[i]);
		if (err == -ENOENT)
			continue; /* all reserved, as the first MiB of a PC is */
		if (err) {
			kprintf(
			    "page_alloc: ignoring ram [%#llx-%#llx): no free stretch holds its "
			    "%zu KiB of page metadata\n",
			    (unsigned long long)ram[i].start, (unsigned long long)ram[i].end,
			    buddy_meta_size((size_t)((ram[i].end - ram[i].start) >> PAGE_SHIFT)) /
				1024);
			continue;
		}
		page_total += buddy_free_pages(z);
		page_zone_count++;
	}
	if (page_total == 0)
		panic("page_alloc_init: no usable RAM after the reserved ranges");
}

/* Zone holding physical address pa, or NULL. */
static struct buddy_zone *page_zone_of(paddr_t pa)
{
	for (size_t i = 0; i < page_zone_count; i++)
		if (buddy_contains(&page_zones[i], pa))
			return &page_zones[i];
	return NULL;
}

void *page_alloc(unsigned order)
{
	paddr_t pa;
	irqflags_t flags = spin_lock_irqsave(&page_lock);

	for (size_t i = 0; i < page_zone_count; i++) {
		if (buddy_alloc(&page_zones[i], order, &pa) == 0) {
			void *va = plat_phys_to_virt(pa);
			plat_mem_prepare(va, PAGE_SIZE << order);
			plat_mem_undefined(va, PAGE_SIZE << order);
			spin_unlock_irqrestore(&page_lock, flags);
			return va;
		}
	}
	spin_unlock_irqrestore(&page_lock, flags);
	return NULL;
}

void page_free(void *va, unsigned order)
{
	paddr_t pa = plat_virt_to_phys(va);
	struct buddy_zone *z = page_zone_of(pa);

	if (!z)
		panic("page_free: %p is not managed RAM", va);
	if (order >= BUDDY_ORDERS)
		panic("page_free: order %u of %p is out of range", order, va);
	irqflags_t flags = spin_lock_irqsave(&page_lock);
	buddy_free(z, pa, order);
	plat_mem_noaccess(va, PAGE_SIZE << order);
	spin_unlock_irqrestore(&page_lock, flags);
}

struct buddy_page *page_alloc_meta(const void *va)
{
	paddr_t pa = plat_virt_to_phys(va);
	struct buddy_zone *z = page_zone_of(pa);

	return z ? buddy_page_of(z, pa) : NULL;
}

size_t page_alloc_free_pages(void)
{
	size_t n = 0;
	irqflags_t flags = spin_lock_irqsave(&page_lock);

	for (size_t i = 0; i < page_zone_count; i++)
		n += buddy_free_pages(&page_zones[i]);
	spin_unlock_irqrestore(&page_lock, flags);
	return n;
}

size_t page_alloc_total_pages(void)
{
	return page_total;
}

#define PAGE_OWNER_USER 0xfffe /* buddy owner of a counted user page */

/* The metadata of user page pa; panics when pa is not a counted user page. */
static struct buddy_page *page_user_meta(paddr_t pa, const char *who)
{
	struct buddy_zone *z = page_zone_of(pa);
	struct buddy_page *m = z ? buddy_page_of(z, pa) : NULL;

	/* refs is read atomically: spaces sharing the page count it from other CPUs */
	if (!m || m->owner != PAGE_OWNER_USER || __atomic_load_n(&m->refs, __ATOMIC_RELAXED) == 0)
		panic("%s: %#llx is not a counted user page", who, (unsigned long long)pa);
	return m;
}

paddr_t page_user_alloc(void)
{
	void *va = page_alloc(0);

	if (!va)
		return 0;
	struct buddy_page *m = page_alloc_meta(va);
	m->owner = PAGE_OWNER_USER;
	m->refs = 1;
	return plat_virt_to_phys(va);
}

int page_user_adopt(paddr_t pa)
{
	struct buddy_zone *z = IS_ALIGNED(pa, PAGE_SIZE) ? page_zone_of(pa) : NULL;

	if (!z)
		return -EINVAL;
	irqflags_t flags = spin_lock_irqsave(&page_lock);
	int err = buddy_claim(z, pa);
	if (!err) {
		struct buddy_page *m = buddy_page_of(z, pa);
		m->owner = PAGE_OWNER_USER;
		m->refs = 1;
		page_total++; /* it comes back free one day */
	}
	spin_unlock_irqrestore(&page_lock, flags);
	return err ? -EINVAL : 0;
}

void page_user_pin_block(void *va, unsigned order, unsigned refs)
{
	for (size_t i = 0; i < (size_t)1 << order; i++) {
		struct buddy_page *m = page_alloc_meta((char *)va + i * PAGE_SIZE);
		if (!m || refs == 0)
			panic("page_user_pin_block: %p is not managed RAM", va);
		m->owner = PAGE_OWNER_USER;
		atomic_store(&m->refs, refs);
	}
}

void page_get(paddr_t pa)
{
	atomic_fetch_add(&page_user_meta(pa, "page_get")->refs, 1);
}

void page_put(paddr_t pa)
{
	struct buddy_page *m = page_user_meta(pa, "page_put");

	if (atomic_fetch_sub(&m->refs, 1) == 1) {
		m->owner = 0;
		page_free(plat_phys_to_virt(pa), 0);
	}
}

unsigned page_refs(paddr_t pa)
{
	return __atomic_load_n(&page_user_meta(pa, "page_refs")->refs, __ATOMIC_ACQUIRE);
}
