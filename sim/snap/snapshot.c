/*
 * Snapshot and reset of the whole hosted machine, for fuzzing: sim_snapshot_take records
 * the machine as it stands (RAM, the kernel's and the machine's globals, every kernel stack,
 * and under ASan the shadow of RAM and of those stacks); sim_snapshot_restore puts it back
 * exactly, so the next input meets the kernel in the state it had after boot.
 *
 * Only what an input wrote is copied back. Each tracked range is registered with a
 * userfaultfd in asynchronous write-protect mode (Linux 6.7): the host kernel resolves a
 * write to a protected page itself, without a signal or a fault thread, and marks the page
 * written; the PAGEMAP_SCAN ioctl lists the written pages, which are copied back from the
 * saved image and protected again. Where that is not available (an older host kernel,
 * userfaultfd forbidden), every range is copied back whole: correct, and slower.
 *
 * Most pages an input writes, the next writes too (nine in ten with the syscall corpus).
 * Tracking such a page costs a write fault per input and a TLB flush to protect it again,
 * far more on a virtual machine than copying it. So a page found written at
 * SNAP_HOT_STREAK resets in a row leaves the tracking (its range is unregistered from the
 * userfaultfd, and locked in memory): the scan then reports it written every time, and it
 * is copied back at every reset, never protected. At most SNAP_HOT_MAX pages are.
 *
 * It must run while the machine stands still: between two host calls of the kernel as a
 * library, CPU 0 in the host program and no other CPU. Kernel stacks made during an input
 * are unmapped at the reset; stacks of the snapshot that the input freed stay mapped until
 * then (sim_stack_destroy asks sim_snapshot_keeps_stack), so they come back in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sim.h"

/* Linux 6.7 interfaces that Debian 12's headers predate (values from the kernel's uapi). */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef PAGEMAP_SCAN
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_WRITTEN (1 << 1)
#define PM_SCAN_WP_MATCHING (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
#endif

#define SNAP_MAX_RANGES 256
#define SNAP_MAX_STACKS 64
#define SNAP_SCAN_VEC 512 /* written runs fetched per PAGEMAP_SCAN call */
#define SNAP_HOT_STREAK 8 /* resets in a row a page was written to become always copied */
#define SNAP_HOT_MAX 256  /* always-copied pages, at most */

/* Bytes [lo, lo + len) saved in copy. */
struct snap_range {
	uint8_t *lo;
	size_t len;
	uint8_t *copy;
};

/* How often a tracked page is found written. */
struct snap_page {
	uint32_t last_written; /* the reset (counted from 1) that last found it written */
	uint8_t streak;	       /* resets in a row that found it written (up to the hot one) */
	bool hot;	       /* out of the tracking: copied back at every reset */
};

/* A written run of pages, page-aligned. */
struct snap_run {
	uintptr_t start, end;
};

static struct {
	bool taken;
	bool tracking; /* written pages are known (userfaultfd), else copy everything */
	int uffd, pagemap;
	struct snap_range range[SNAP_MAX_RANGES];
	unsigned nranges;
	struct snap_range span[SNAP_MAX_RANGES]; /* the page-aligned, merged, tracked spans */
	unsigned nspans;
	size_t span_first_page[SNAP_MAX_RANGES + 1]; /* span i's first page in page[] */
	struct snap_page *page; /* per page of the spans */
	unsigned hot_max; /* pages that may leave the tracking (stats.hot have): SNAP_HOT_MAX,
			   * or fewer once the host refused a lock */
	struct {
		uintptr_t lo, hi;
	} stack[SNAP_MAX_STACKS]; /* the kernel stacks that exist in the snapshot */
	unsigned nstacks;
	struct page_region scan[SNAP_SCAN_VEC];
	struct snap_run *runs;
	size_t nruns, runs_cap;
	struct sim_snapshot_stats stats;
} snap = {.uffd = -1, .pagemap = -1, .hot_max = SNAP_HOT_MAX};

/* The kernel's and the machine's globals: the sections the fuzz build puts them in
 * (fuzz/sections.h), whose bounds the linker defines. */
extern uint8_t __start_amphi_kdata[] __attribute__((weak)), __stop_amphi_kdata[] __attribute__((weak));
extern uint8_t __start_amphi_kbss[] __attribute__((weak)), __stop_amphi_kbss[] __attribute__((weak));

/* Prints what broke and aborts: the machine can no longer be put back. */
static SIM_NORETURN __attribute__((format(printf, 1, 2))) void snap_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("amphi: snapshot: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

#ifdef __clang__
#define SNAP_RAW_COPY __attribute__((no_sanitize("address"), no_builtin("memcpy")))
#else
#define SNAP_RAW_COPY __attribute__((no_sanitize("address"), optimize("no-tree-loop-distribute-patterns")))
#endif

/* Copies n bytes without ASan's checks: the copies cover poisoned memory (freed kernel
 * blocks, stack redzones) and ASan's shadow itself. */
static SNAP_RAW_COPY void snap_copy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	for (; n && ((uintptr_t)d & 7); n--)
		*d++ = *s++;
	for (; n >= 8; n -= 8, d += 8, s += 8)
		*(uint64_t *)d = *(const uint64_t *)s;
	for (; n; n--)
		*d++ = *s++;
}

static uintptr_t page_down(uintptr_t a)
{
	return a & ~(uintptr_t)(SIM_PAGE_SIZE - 1);
}

static uintptr_t page_up(uintptr_t a)
{
	return page_down(a + SIM_PAGE_SIZE - 1);
}

/* Adds [lo, lo + len) to what the snapshot saves. Returns 0, -ENOSPC or -ENOMEM. */
static int snap_add_range(void *lo, size_t len)
{
	if (!len)
		return 0;
	if (snap.nranges == SNAP_MAX_RANGES)
		return -ENOSPC;
	uint8_t *copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	snap.range[snap.nranges++] = (struct snap_range){lo, len, copy};
	return 0;
}

/* Adds the ASan shadow of [lo, lo + len) (nothing without ASan). */
static int snap_add_shadow(const void *lo, size_t len)
{
	void *shadow_lo, *shadow_hi;

	if (!tool_asan_shadow_of(lo, len, &shadow_lo, &shadow_hi))
		return 0;
	return snap_add_range(shadow_lo, (uint8_t *)shadow_hi - (uint8_t *)shadow_lo);
}

static int range_cmp(const void *a, const void *b)
{
	const struct snap_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts the ranges and merges their pages into spans. */
static void snap_build_spans(void)
{
	qsort(snap.range, snap.nranges, sizeof(snap.range[0]), range_cmp);
	snap.nspans = 0;
	for (unsigned i = 0; i < snap.nranges; i++) {
		uintptr_t lo = page_down((uintptr_t)snap.range[i].lo);
		uintptr_t hi = page_up((uintptr_t)snap.range[i].lo + snap.range[i].len);
		struct snap_range *last = snap.nspans ? &snap.span[snap.nspans - 1] : NULL;
		if (last && lo <= (uintptr_t)last->lo + last->len) {
			uintptr_t end = (uintptr_t)last->lo + last->len;
			last->len = (hi > end ? hi : end) - (uintptr_t)last->lo;
			continue;
		}
		snap.span[snap.nspans++] = (struct snap_range){(uint8_t *)lo, hi - lo, NULL};
	}
}

/* Opens a userfaultfd in asynchronous write-protect mode and registers every span with it.
 * False (and no tracking) when the host cannot. */
static bool snap_track_open(void)
{
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0)
		uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (uffd < 0)
		return false;
	struct uffdio_api api = {.api = UFFD_API,
				 .features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED |
					     UFFD_FEATURE_WP_HUGETLBFS_SHMEM};
	snap.pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	bool ok = snap.pagemap >= 0 && ioctl(uffd, UFFDIO_API, &api) == 0;
	for (unsigned i = 0; ok && i < snap.nspans; i++) {
		struct uffdio_register reg = {
		    .range = {(uintptr_t)snap.span[i].lo, snap.span[i].len},
		    .mode = UFFDIO_REGISTER_MODE_WP};
		ok = ioctl(uffd, UFFDIO_REGISTER, &reg) == 0;
	}
	if (!ok) {
		close(uffd);
		return false;
	}
	snap.uffd = uffd;
	return true;
}

/* Write-protects [start, end) again: its next write is noticed. */
static void snap_protect(uintptr_t start, uintptr_t end)
{
	struct uffdio_writeprotect wp = {.range = {start, end - start},
					 .mode = UFFDIO_WRITEPROTECT_MODE_WP};

	if (ioctl(snap.uffd, UFFDIO_WRITEPROTECT, &wp) < 0)
		snap_fatal("cannot write-protect %#lx-%#lx: %s", (unsigned long)start,
			  (unsigned long)end, strerror(errno));
}

/* Write-protects the written pages of span s again, in one call (one TLB flush, where a
 * call per run made the flushes the reset's main cost). */
static void snap_protect_written(const struct snap_range *s)
{
	uintptr_t at = (uintptr_t)s->lo, end = at + s->len;

	while (at < end) {
		struct pm_scan_arg arg = {.size = sizeof(arg),
					  .flags = PM_SCAN_WP_MATCHING, /* skips hot pages */
					  .start = at,
					  .end = end,
					  .category_mask = PAGE_IS_WRITTEN,
					  .return_mask = PAGE_IS_WRITTEN};
		if (ioctl(snap.pagemap, PAGEMAP_SCAN, &arg) < 0)
			snap_fatal("PAGEMAP_SCAN to protect: %s", strerror(errno));
		if (arg.walk_end <= at)
			snap_fatal("PAGEMAP_SCAN made no progress at %#lx", (unsigned long)at);
		at = arg.walk_end;
	}
}

/* Records one written run. */
static void snap_note_run(uintptr_t start, uintptr_t end)
{
	if (snap.nruns == snap.runs_cap) {
		snap.runs_cap = snap.runs_cap ? 2 * snap.runs_cap : 256;
		snap.runs = realloc(snap.runs, snap.runs_cap * sizeof(*snap.runs));
		if (!snap.runs)
			snap_fatal("out of host memory");
	}
	snap.runs[snap.nruns++] = (struct snap_run){start, end};
}

/* Lists the written pages of span s into snap.runs. */
static void snap_scan_span(const struct snap_range *s)
{
	uintptr_t at = (uintptr_t)s->lo, end = at + s->len;

	while (at < end) {
		struct pm_scan_arg arg = {.size = sizeof(arg),
					  .start = at,
					  .end = end,
					  .vec = (uintptr_t)snap.scan,
					  .vec_len = SNAP_SCAN_VEC,
					  .category_mask = PAGE_IS_WRITTEN,
					  .return_mask = PAGE_IS_WRITTEN};
		int n = ioctl(snap.pagemap, PAGEMAP_SCAN, &arg);
		if (n < 0)
			snap_fatal("PAGEMAP_SCAN: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			snap_note_run(snap.scan[i].start, snap.scan[i].end);
		if (arg.walk_end <= at)
			snap_fatal("PAGEMAP_SCAN made no progress at %#lx", (unsigned long)at);
		at = arg.walk_end;
	}
}

/* The index in snap.page of the tracked page at address a. */
static size_t snap_page_index(uintptr_t a)
{
	for (unsigned i = 0; i < snap.nspans; i++) {
		uintptr_t lo = (uintptr_t)snap.span[i].lo;
		if (a >= lo && a < lo + snap.span[i].len)
			return snap.span_first_page[i] + (a - lo) / SIM_PAGE_SIZE;
	}
	snap_fatal("written page %#lx outside every span", (unsigned long)a);
}

/* Takes the page at a out of the tracking, to be copied back at every reset. It is locked
 * in memory first: an untracked page the host reclaimed would leave the mapping, and the
 * scan would no longer report it written. False (and no more pages taken out) when the
 * host refuses the lock. */
static bool snap_make_hot(uintptr_t a)
{
	struct uffdio_range r = {a, SIM_PAGE_SIZE};

	if (mlock((void *)a, SIM_PAGE_SIZE) < 0) {
		snap.hot_max = (unsigned)snap.stats.hot;
		return false;
	}
	if (ioctl(snap.uffd, UFFDIO_UNREGISTER, &r) < 0)
		snap_fatal("cannot stop tracking %#lx: %s", (unsigned long)a, strerror(errno));
	snap.stats.hot++;
	return true;
}

/* Counts the pages of the runs just found written; one written SNAP_HOT_STREAK times in a
 * row leaves the tracking (see the top). */
static void snap_note_streaks(void)
{
	uint32_t now = (uint32_t)snap.stats.restores + 1;

	for (size_t i = 0; i < snap.nruns; i++) {
		for (uintptr_t a = snap.runs[i].start; a < snap.runs[i].end; a += SIM_PAGE_SIZE) {
			struct snap_page *pg = &snap.page[snap_page_index(a)];
			if (pg->hot)
				continue;
			bool again = pg->last_written + 1 == now && pg->streak < SNAP_HOT_STREAK;
			pg->streak = again ? pg->streak + 1 : 1;
			pg->last_written = now;
			if (pg->streak == SNAP_HOT_STREAK && snap.stats.hot < snap.hot_max)
				pg->hot = snap_make_hot(a);
		}
	}
}

/* Copies back the bytes of every range that lie in [start, end). */
static void snap_copy_back(uintptr_t start, uintptr_t end)
{
	for (unsigned i = 0; i < snap.nranges; i++) {
		const struct snap_range *r = &snap.range[i];
		uintptr_t lo = (uintptr_t)r->lo, hi = lo + r->len;
		uintptr_t a = lo > start ? lo : start, b = hi < end ? hi : end;
		if (a < b) {
			snap_copy((void *)a, r->copy + (a - lo), b - a);
			snap.stats.bytes += b - a;
		}
	}
}

/* Saves the stacks that exist now, and their shadow. Returns 0 or a negative errno. */
static int snap_add_stacks(void)
{
	struct sim_stack_info info[SNAP_MAX_STACKS];
	int n = sim_stack_list(info, SNAP_MAX_STACKS);

	if (n < 0)
		return n;
	snap.nstacks = (unsigned)n;
	for (int i = 0; i < n; i++) {
		snap.stack[i].lo = info[i].lo;
		snap.stack[i].hi = info[i].hi;
		int err = snap_add_range((void *)info[i].lo, info[i].hi - info[i].lo);
		if (!err)
			err = snap_add_shadow((void *)info[i].lo, info[i].hi - info[i].lo);
		if (err)
			return err;
	}
	return 0;
}

int sim_snapshot_take(void)
{
	if (snap.taken)
		return -EALREADY;
	if (!__start_amphi_kdata || !__start_amphi_kbss)
		return -ENOTSUP; /* not the fuzz build: the globals cannot be told apart */
	uint8_t *ram = sim_ram_ptr(SIM_RAM_BASE, sim_ram_size());
	int err = snap_add_range(ram, sim_ram_size());

	if (!err)
		err = snap_add_shadow(ram, sim_ram_size());
	if (!err)
		err = snap_add_range(__start_amphi_kdata, __stop_amphi_kdata - __start_amphi_kdata);
	if (!err)
		err = snap_add_range(__start_amphi_kbss, __stop_amphi_kbss - __start_amphi_kbss);
	if (!err)
		err = snap_add_stacks();
	if (err)
		return err;
	snap_build_spans();
	for (unsigned i = 0; i < snap.nspans; i++)
		snap.span_first_page[i + 1] = snap.span_first_page[i] + snap.span[i].len / SIM_PAGE_SIZE;
	snap.page = calloc(snap.span_first_page[snap.nspans], sizeof(*snap.page));
	if (!snap.page)
		return -ENOMEM;
	snap.tracking = snap_track_open();
	for (unsigned i = 0; i < snap.nranges; i++)
		snap_copy(snap.range[i].copy, snap.range[i].lo, snap.range[i].len);
	for (unsigned i = 0; snap.tracking && i < snap.nspans; i++)
		snap_protect((uintptr_t)snap.span[i].lo,
			     (uintptr_t)snap.span[i].lo + snap.span[i].len);
	snap.taken = true;
	return 0;
}

bool sim_snapshot_tracks_writes(void)
{
	return snap.tracking;
}

bool sim_snapshot_keeps_stack(uintptr_t lo)
{
	for (unsigned i = 0; snap.taken && i < snap.nstacks; i++) {
		if (snap.stack[i].lo == lo)
			return true;
	}
	return false;
}

/* Unmaps the kernel stacks made since the snapshot. */
static void snap_drop_new_stacks(void)
{
	struct sim_stack_info info[SIM_MAX_STACKS_LISTED];
	int n = sim_stack_list(info, SIM_MAX_STACKS_LISTED);

	if (n < 0)
		snap_fatal("more kernel stacks than %d", SIM_MAX_STACKS_LISTED);
	for (int i = 0; i < n; i++) {
		if (!sim_snapshot_keeps_stack(info[i].lo))
			sim_stack_destroy(info[i].slot);
	}
}

void sim_snapshot_restore(void)
{
	if (!snap.taken)
		snap_fatal("restore without a snapshot");
	snap_drop_new_stacks();
	snap.nruns = 0;
	if (!snap.tracking) {
		for (unsigned i = 0; i < snap.nspans; i++)
			snap_note_run((uintptr_t)snap.span[i].lo,
				      (uintptr_t)snap.span[i].lo + snap.span[i].len);
	} else {
		for (unsigned i = 0; i < snap.nspans; i++)
			snap_scan_span(&snap.span[i]);
	}
	for (size_t i = 0; i < snap.nruns; i++)
		snap_copy_back(snap.runs[i].start, snap.runs[i].end);
	for (unsigned i = 0; snap.tracking && i < snap.nspans; i++)
		snap_protect_written(&snap.span[i]);
	if (snap.tracking)
		snap_note_streaks();
	for (size_t i = 0; i < snap.nruns; i++)
		snap.stats.pages += (snap.runs[i].end - snap.runs[i].start) / SIM_PAGE_SIZE;
	snap.stats.restores++;
}

struct sim_snapshot_stats sim_snapshot_stats(void)
{
	return snap.stats;
}
