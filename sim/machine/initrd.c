/*
 * The initial RAM disk: cpio newc archives laid end to end in RAM, as Linux's initramfs
 * takes them (each later one is unpacked over the earlier). In order: the built-in
 * initramfs (busybox and its applet links, packed at build time), the archives given with
 * --initrd, and for `amphi exec` one more archive holding the program under its base name.
 * Files are copied straight into RAM by the host kernel (sendfile into the RAM memfd), so
 * each byte is copied once and no page of it is touched here, except the whole pages of
 * file data the kernel takes over instead of copying: RAM takes those lazily
 * (sim_ram_defer), when first used, so a boot pays only for what it uses of busybox and
 * the program. Each piece starts on a page (the zeros between pieces are skipped, as
 * between any archives), and the program's data starts on a page too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <amphi/cpio.h>
#include <amphi/types.h>

#include "sim.h"

#define CPIO_NEWC_HEADER 110
#define CPIO_TRAILER "TRAILER!!!"

/* One piece of the RAM disk: a host file, verbatim (an archive) or wrapped into a newc
 * entry named entry. */
struct initrd_piece {
	const char *path;
	const char *entry; /* NULL: the file is an archive */
	int fd;
	uint64_t size;
};

/* Exits with status for a file that cannot go into the RAM disk: 127 for the program of
 * `amphi exec` (as a shell reports a command it cannot run), a usage error otherwise. */
static SIM_NORETURN void initrd_fail(const struct initrd_piece *p, const char *why)
{
	if (p->entry) {
		fprintf(stderr, "amphi: exec %s: %s\n", p->path, why);
		exit(SIM_EXEC_CANNOT_RUN);
	}
	fprintf(stderr, "amphi: initrd %s: %s\n", p->path, why);
	exit(SIM_EXIT_USAGE);
}

/* Opens p's file and records its size; it must be a regular file. */
static void initrd_open(struct initrd_piece *p)
{
	struct stat st;

	p->fd = open(p->path, O_RDONLY | O_CLOEXEC);
	if (p->fd < 0 || fstat(p->fd, &st) < 0)
		initrd_fail(p, strerror(errno));
	if (!S_ISREG(st.st_mode))
		initrd_fail(p, "not a regular file");
	if (p->entry && (uint64_t)st.st_size > UINT32_MAX)
		initrd_fail(p, "larger than a cpio newc entry can carry (4 GiB)");
	p->size = (uint64_t)st.st_size;
}

/* Bytes of a newc entry named name with size bytes of data, padding included. */
static uint64_t cpio_entry_size(const char *name, uint64_t size)
{
	return ALIGN_UP(CPIO_NEWC_HEADER + strlen(name) + 1, 4) + ALIGN_UP(size, 4);
}

/* Zeros before an entry named name so that its data starts on a page. */
static uint64_t cpio_entry_pad(const char *name)
{
	uint64_t header = ALIGN_UP(CPIO_NEWC_HEADER + strlen(name) + 1, 4);

	return (SIM_PAGE_SIZE - header % SIM_PAGE_SIZE) % SIM_PAGE_SIZE;
}

/* Bytes p takes in the RAM disk, a whole number of pages: the archive, or zeros, an entry
 * and a trailer. */
static uint64_t initrd_piece_size(const struct initrd_piece *p)
{
	uint64_t size = p->size;

	if (p->entry)
		size = cpio_entry_pad(p->entry) + cpio_entry_size(p->entry, p->size) +
		       cpio_entry_size(CPIO_TRAILER, 0);
	return ALIGN_UP(size, SIM_PAGE_SIZE);
}

/* Physical address of RAM at host address p. */
static uint64_t initrd_pa(const uint8_t *p)
{
	return SIM_RAM_BASE + (uint64_t)(p - (const uint8_t *)sim_ram_ptr(SIM_RAM_BASE, 0));
}

/* Writes the header and name of a newc entry at out (zeros); returns the data's offset. */
static uint64_t cpio_put_header(uint8_t *out, const char *name, unsigned mode, uint64_t size)
{
	size_t namesize = strlen(name) + 1;
	char hdr[CPIO_NEWC_HEADER + 32]; /* snprintf cannot tell the fields fit 8 digits */

	snprintf(hdr, sizeof(hdr), "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08zx%08x",
		 1u, mode, 0u, 0u, 1u, 0u, (unsigned)size, 0u, 0u, 0u, 0u, namesize, 0u);
	memcpy(out, hdr, CPIO_NEWC_HEADER);
	memcpy(out + CPIO_NEWC_HEADER, name, namesize);
	return ALIGN_UP(CPIO_NEWC_HEADER + namesize, 4);
}

/* Copies the bytes [from, to) of p's file into RAM at dst + from: by the host kernel from
 * file to RAM file where it can, else through the direct map. */
static void initrd_copy(const struct initrd_piece *p, uint8_t *dst, uint64_t from, uint64_t to)
{
	uint64_t done = from;
	off_t in = (off_t)from;

	if (from < to &&
	    lseek(sim_ram_fd(), (off_t)(initrd_pa(dst) - SIM_RAM_BASE + from), SEEK_SET) >= 0) {
		ssize_t n;
		while (done < to && (n = sendfile(sim_ram_fd(), p->fd, &in, to - done)) > 0)
			done += (uint64_t)n;
	}
	while (done < to) {
		ssize_t n = pread(p->fd, dst + done, to - done, (off_t)done);
		if (n <= 0)
			initrd_fail(p, n < 0 ? strerror(errno) : "file shrank while read");
		done += (uint64_t)n;
	}
}

/* Places the bytes [from, to) of p's file at dst + from, deferring the whole pages from
 * `from` (page aligned in RAM) for RAM to copy in when first needed; returns where the
 * deferred part ends (from when nothing could be deferred). */
static uint64_t initrd_defer(const struct initrd_piece *p, uint8_t *dst, uint64_t from,
			     uint64_t to)
{
	uint64_t whole = ALIGN_DOWN(to - from, SIM_PAGE_SIZE);

	if (!whole || !sim_ram_defer(initrd_pa(dst) + from, p->fd, from, whole))
		return from;
	return from + whole;
}

/* Places archive p at dst. The whole pages of the regular files whose data starts on a
 * page are deferred (the kernel takes them over as the files' pages, so they are read only
 * when the files are); the rest (headers, names, links, small files) is copied now, since
 * unpacking reads all of it. A corrupt archive is copied whole, for the kernel to report. */
static void initrd_place_archive(const struct initrd_piece *p, uint8_t *dst)
{
	const uint8_t *map = mmap(NULL, p->size, PROT_READ, MAP_PRIVATE, p->fd, 0);
	struct cpio_reader r;
	struct cpio_entry e;
	uint64_t placed = 0; /* the file's bytes [0, placed) are in RAM or deferred */

	if (map == MAP_FAILED) {
		initrd_copy(p, dst, 0, p->size);
		return;
	}
	cpio_reader_init(&r, map, p->size);
	for (int got = 0; r.pos < r.len && (got = cpio_next(&r, &e)) >= 0;) {
		uint64_t at = (uint64_t)((const uint8_t *)e.data - map);
		if (got == 0 || !S_ISREG(e.mode) || e.size < SIM_PAGE_SIZE || at % SIM_PAGE_SIZE)
			continue;
		initrd_copy(p, dst, placed, at);
		placed = initrd_defer(p, dst, at, at + e.size);
	}
	initrd_copy(p, dst, placed, p->size);
	munmap((void *)map, p->size);
}

/* Writes p at out (zeros, initrd_piece_size bytes). */
static void initrd_write(const struct initrd_piece *p, uint8_t *out)
{
	if (!p->entry) {
		initrd_place_archive(p, out);
		return;
	}
	out += cpio_entry_pad(p->entry);
	uint64_t data = cpio_put_header(out, p->entry, 0100755, p->size);
	initrd_copy(p, out + data, initrd_defer(p, out + data, 0, p->size), p->size);
	cpio_put_header(out + data + ALIGN_UP(p->size, 4), CPIO_TRAILER, 0, 0);
}

/* Collects the pieces opts asks for into pieces (room for SIM_INITRD_MAX + 2); returns
 * their count. */
static int initrd_pieces(const struct sim_options *opts, struct initrd_piece *pieces)
{
	int n = 0;

	if (opts->builtin_initramfs && access(SIM_BUILTIN_INITRAMFS, R_OK) == 0)
		pieces[n++] = (struct initrd_piece){.path = SIM_BUILTIN_INITRAMFS};
	for (int i = 0; i < opts->initrd_count; i++)
		pieces[n++] = (struct initrd_piece){.path = opts->initrd[i]};
	if (opts->exec_argv)
		pieces[n++] = (struct initrd_piece){.path = sim_exec_path(opts),
						    .entry = sim_exec_name(opts)};
	return n;
}

uint64_t sim_initrd_place(const struct sim_options *opts, uint64_t top, uint64_t *start)
{
	struct initrd_piece pieces[SIM_INITRD_MAX + 2];
	int n = initrd_pieces(opts, pieces);
	uint64_t total = 0;

	for (int i = 0; i < n; i++) {
		initrd_open(&pieces[i]);
		total += initrd_piece_size(&pieces[i]);
	}
	*start = (top - total) & ~(SIM_PAGE_SIZE - 1);
	if (!total)
		return 0;
	uint8_t *dst = total < top - SIM_RAM_BASE - SIM_MEM_MIN / 2 ? sim_ram_ptr(*start, total)
								     : NULL;
	if (!dst) {
		fprintf(stderr, "amphi: the initial RAM disk (%llu bytes) does not fit in RAM; "
				"try a larger --mem\n", (unsigned long long)total);
		exit(SIM_EXIT_USAGE);
	}
	/* RAM is a fresh memfd, all zeros: the padding needs no writes; the files stay open
	 * for RAM to read them when needed */
	for (int i = 0; i < n; i++) {
		initrd_write(&pieces[i], dst);
		dst += initrd_piece_size(&pieces[i]);
	}
	sim_ram_defer_commit();
	return total;
}
