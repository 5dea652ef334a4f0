/*
 * Guest RAM: one memfd mapped once, shared. That mapping is the kernel's direct map;
 * later address-space windows map pages of the same memfd, so every view of a physical
 * page is the same memory.
 * RAM may be filled from host files lazily (the initial RAM disk's files): such a range
 * stays inaccessible in the direct map, and each 64 KiB piece of it is copied in from its
 * files when first touched there (a fault), or before the host reaches it any other way:
 * a host pointer to it (sim_ram_ptr), a user window mapping it, the allocator handing it
 * out. A program then costs the host only the pages of it that are used.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <amphi/panic.h>
#include <amphi/plat.h>

#include "sim.h"

#define SIM_RAM_CHUNK (256u << 10) /* populated at once when the allocator first reaches it */
#define RAM_FILL_PIECE (64u << 10) /* copied in at once from the files behind it */
#define RAM_FILL_EXTENTS 64	   /* file ranges filled lazily; more are copied at once */

enum { RAM_FILLED, RAM_PENDING, RAM_FILLING }; /* a fill piece's state */

static struct {
	int fd;
	uint8_t *va;
	uint64_t size;
	uint64_t *prepared; /* bit per SIM_RAM_CHUNK of RAM: its host pages are populated */
} sim_ram = {.fd = -1};

/* The lazily filled RAM: file extents in address order, each cut into pieces from its
 * start, and the fill state of every piece. */
static struct {
	struct ram_extent {
		int fd;
		uint64_t off, pa, len; /* len bytes of fd from off belong at pa; page aligned */
		size_t first;	       /* its first piece's index in state */
	} ext[RAM_FILL_EXTENTS];
	int next;
	uint8_t *state; /* RAM_* per piece */
	size_t pending; /* pieces not yet filled; read unlocked */
} ram_fill;

/* Prints what failed and exits with SIM_EXIT_HOST. */
static SIM_NORETURN void ram_fail(const char *what)
{
	fprintf(stderr, "amphi: cannot create %llu MiB of RAM: %s: %s\n",
		(unsigned long long)(sim_ram.size >> 20), what, strerror(errno));
	exit(SIM_EXIT_HOST);
}

void sim_ram_init(uint64_t size)
{
	sim_ram.size = size;
	sim_ram.fd = memfd_create("amphi-ram", MFD_CLOEXEC);
	if (sim_ram.fd < 0)
		ram_fail("memfd_create");
	if (ftruncate(sim_ram.fd, (off_t)size) < 0)
		ram_fail("ftruncate");
	void *va =
	    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, sim_ram.fd, 0);
	if (va == MAP_FAILED)
		ram_fail("mmap");
	sim_ram.va = va;
	sim_memcheck_init();
	sim_ram.prepared = calloc(size / SIM_RAM_CHUNK / 64 + 1, sizeof(uint64_t));
	if (!sim_ram.prepared)
		ram_fail("its bitmap");
}

int sim_ram_fd(void)
{
	return sim_ram.fd;
}

uint64_t sim_ram_size(void)
{
	return sim_ram.size;
}

void *sim_ram_ptr(uint64_t pa, uint64_t len)
{
	uint64_t off = pa - SIM_RAM_BASE; /* wraps to a huge value below RAM */

	if (pa < SIM_RAM_BASE || off > sim_ram.size || len > sim_ram.size - off)
		return NULL;
	sim_ram_settle(pa, len);
	return sim_ram.va + off;
}

bool sim_ram_defer(uint64_t pa, int fd, uint64_t off, uint64_t len)
{
	const struct ram_extent *last = ram_fill.next ? &ram_fill.ext[ram_fill.next - 1] : NULL;

	if (ram_fill.state || (pa | len) % SIM_PAGE_SIZE || (last && pa < last->pa + last->len))
		panic("sim_ram_defer: extent %#llx+%#llx is unaligned, out of order or late",
		      (unsigned long long)pa, (unsigned long long)len);
	if (ram_fill.next == RAM_FILL_EXTENTS || !tool_faults_resume_code())
		return false;
	if (len)
		ram_fill.ext[ram_fill.next++] = (struct ram_extent){fd, off, pa, len, 0};
	return true;
}

/* Pieces of extent e. */
static size_t ram_extent_pieces(const struct ram_extent *e)
{
	return (e->len + RAM_FILL_PIECE - 1) / RAM_FILL_PIECE;
}

void sim_ram_defer_commit(void)
{
	size_t pieces = 0;

	if (!ram_fill.next)
		return;
	for (int i = 0; i < ram_fill.next; i++) {
		ram_fill.ext[i].first = pieces;
		pieces += ram_extent_pieces(&ram_fill.ext[i]);
	}
	ram_fill.state = malloc(pieces);
	if (!ram_fill.state)
		ram_fail("the lazily filled RAM disk");
	for (int i = 0; i < ram_fill.next; i++)
		if (mprotect(sim_ram.va + (ram_fill.ext[i].pa - SIM_RAM_BASE), ram_fill.ext[i].len,
			     PROT_NONE) < 0)
			ram_fail("the lazily filled RAM disk");
	memset(ram_fill.state, RAM_PENDING, pieces);
	__atomic_store_n(&ram_fill.pending, pieces, __ATOMIC_RELEASE);
}

/* Exits for a RAM disk file that cannot be read as it was (async-signal-safe). */
static SIM_NORETURN void ram_fill_fail(void)
{
	static const char msg[] = "amphi: a RAM disk file shrank or cannot be read\n";

	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(SIM_EXIT_HOST);
	_exit(SIM_EXIT_HOST);
}

/* Copies [pa, end) of extent e from its file into the memfd, file to file through a pipe:
 * no page of it is mapped for the copy (async-signal-safe: a fault handler calls it). */
static void ram_fill_copy(const struct ram_extent *e, uint64_t pa, uint64_t end)
{
	loff_t in = (loff_t)(e->off + pa - e->pa), out = (loff_t)(pa - SIM_RAM_BASE);
	int pipefd[2];

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		ram_fill_fail();
	while (pa < end) {
		ssize_t n = splice(e->fd, &in, pipefd[1], NULL, end - pa, 0);
		if (n <= 0)
			ram_fill_fail();
		for (ssize_t left = n, m; left > 0; left -= m)
			if ((m = splice(pipefd[0], NULL, sim_ram.fd, &out, (size_t)left, 0)) <= 0)
				ram_fill_fail();
		pa += (uint64_t)n;
	}
	close(pipefd[0]);
	close(pipefd[1]);
}

/* Fills piece j of extent e, or waits for the thread filling it. */
static void ram_fill_piece(const struct ram_extent *e, size_t j)
{
	uint8_t *state = &ram_fill.state[e->first + j], expect = RAM_PENDING;
	uint64_t pa = e->pa + j * RAM_FILL_PIECE, end = MIN(pa + RAM_FILL_PIECE, e->pa + e->len);

	if (!__atomic_compare_exchange_n(state, &expect, RAM_FILLING, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(state, __ATOMIC_ACQUIRE) != RAM_FILLED)
			sched_yield();
		return;
	}
	ram_fill_copy(e, pa, end);
	/* mapped again, its pages in place at once: no fault per page at first touch */
	if (mmap(sim_ram.va + (pa - SIM_RAM_BASE), end - pa, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED | MAP_POPULATE, sim_ram.fd,
		 (off_t)(pa - SIM_RAM_BASE)) == MAP_FAILED)
		ram_fill_fail();
	__atomic_store_n(state, RAM_FILLED, __ATOMIC_RELEASE);
	__atomic_fetch_sub(&ram_fill.pending, 1, __ATOMIC_RELEASE);
}

void sim_ram_settle(uint64_t pa, uint64_t len)
{
	if (!__atomic_load_n(&ram_fill.pending, __ATOMIC_ACQUIRE) || !len)
		return;
	for (int i = 0; i < ram_fill.next; i++) {
		const struct ram_extent *e = &ram_fill.ext[i];
		uint64_t from = MAX(pa, e->pa), to = MIN(pa + len, e->pa + e->len);
		if (from >= to)
			continue;
		for (size_t j = (from - e->pa) / RAM_FILL_PIECE;
		     j <= (to - 1 - e->pa) / RAM_FILL_PIECE; j++)
			if (__atomic_load_n(&ram_fill.state[e->first + j], __ATOMIC_ACQUIRE) !=
			    RAM_FILLED)
				ram_fill_piece(e, j);
	}
}

bool sim_ram_settle_fault(const void *addr)
{
	uintptr_t off = (uintptr_t)addr - (uintptr_t)sim_ram.va;

	if (!ram_fill.state || (uintptr_t)addr < (uintptr_t)sim_ram.va || off >= sim_ram.size)
		return false;
	for (int i = 0; i < ram_fill.next; i++) {
		const struct ram_extent *e = &ram_fill.ext[i];
		if (SIM_RAM_BASE + off >= e->pa && SIM_RAM_BASE + off - e->pa < e->len) {
			sim_ram_settle(SIM_RAM_BASE + off, 1);
			return true;
		}
	}
	return false;
}

/* Accepts one-past-the-end of RAM, as C does for pointers, so end addresses convert. */
void *plat_phys_to_virt(paddr_t pa)
{
	void *va = sim_ram_ptr(pa, 0);

	if (!va)
		panic("plat_phys_to_virt: %#llx is outside RAM [%#llx-%#llx)",
		      (unsigned long long)pa, SIM_RAM_BASE, SIM_RAM_BASE + sim_ram.size);
	return va;
}

/* Accepts one-past-the-end of the direct map, like plat_phys_to_virt. */
paddr_t plat_virt_to_phys(const void *va)
{
	uintptr_t off = (uintptr_t)va - (uintptr_t)sim_ram.va;

	if ((uintptr_t)va < (uintptr_t)sim_ram.va || off > sim_ram.size)
		panic("plat_virt_to_phys: %p is outside the direct map [%p-%p)", va,
		      (void *)sim_ram.va, (void *)(sim_ram.va + sim_ram.size));
	return SIM_RAM_BASE + off;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

void plat_mem_prepare(void *p, size_t n)
{
	uintptr_t at = (uintptr_t)p - (uintptr_t)sim_ram.va;

	sim_ram_settle(SIM_RAM_BASE + at, n);
	for (uintptr_t c = at / SIM_RAM_CHUNK; c <= (at + n - 1) / SIM_RAM_CHUNK; c++) {
		uint64_t bit = 1ull << (c % 64);
		if (__atomic_load_n(&sim_ram.prepared[c / 64], __ATOMIC_RELAXED) & bit)
			continue;
		if (!(__atomic_fetch_or(&sim_ram.prepared[c / 64], bit, __ATOMIC_RELAXED) & bit))
			sim_ram_populate(sim_ram.va + c * SIM_RAM_CHUNK,
					 MIN(SIM_RAM_CHUNK, sim_ram.size - c * SIM_RAM_CHUNK));
	}
}

void sim_ram_populate(void *p, uint64_t len)
{
	uintptr_t start = (uintptr_t)p & ~(uintptr_t)(SIM_PAGE_SIZE - 1);

	madvise((void *)start, (uintptr_t)p + len - start, MADV_POPULATE_WRITE);
}

/* The hosted machine's devices see guest physical addresses: only RAM is reachable. */
int plat_dma_map(const void *va, size_t len, paddr_t *bus)
{
	uintptr_t off = (uintptr_t)va - (uintptr_t)sim_ram.va;

	if ((uintptr_t)va < (uintptr_t)sim_ram.va || off > sim_ram.size ||
	    len > sim_ram.size - off)
		return -EFAULT;
	*bus = SIM_RAM_BASE + off;
	return 0;
}
