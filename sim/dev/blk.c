/*
 * The block device model (virtio 1.2, section 5.2), one per --disk FILE[,ro]: reads,
 * writes and flushes go to the host file with pread, pwrite and fdatasync. The capacity
 * is the file's size in 512-byte sectors (a partial last sector is left out). A read-only
 * disk offers VIRTIO_BLK_F_RO and fails writes with VIRTIO_BLK_S_IOERR, as QEMU does.
 * Fault injection (--disk FILE,fail-after=N): once N write requests have succeeded, every
 * later write and flush fails with VIRTIO_BLK_S_IOERR and leaves the file as it was (reads
 * go on working), as a disk that died mid-run; the first refused request says so on stderr.
 *
 * A request is a 16-byte header (type, reserved, sector) in the readable buffers, the
 * data (readable for writes, writable for reads) and a status byte, the last writable
 * one. A request without room for those breaks the device; an I/O error or a range past
 * the end only fails that request.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim.h"

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20
#define SECTOR_SIZE 512
#define BLK_HEADER_SIZE 16

struct sim_blk {
	struct sim_virtio *dev;
	int fd;
	bool read_only;
	int64_t writes_left; /* write requests that may still succeed; -1: no limit */
	bool failing;	     /* the limit was reached (reported once) */
	const char *path;
	uint64_t sectors;
	char id[VIRTIO_BLK_ID_BYTES + 1];
};

static struct sim_blk sim_blks[SIM_DISK_MAX];

struct blk_header {
	uint32_t type, reserved;
	uint64_t sector;
};

/* Config space: capacity (le64 at 0) and nothing else offered. */
static uint32_t blk_config_read(struct sim_virtio *v, uint64_t off, unsigned size)
{
	const struct sim_blk *b = sim_virtio_model(v);
	uint8_t config[8];
	uint32_t val = 0;

	memcpy(config, &b->sectors, sizeof(config));
	for (unsigned i = 0; i < size; i++)
		if (off + i < sizeof(config))
			val |= (uint32_t)config[off + i] << (8 * i);
	return val;
}

/* pread/pwrite state for one piece of a transfer. */
struct blk_io {
	const struct sim_blk *b;
	uint64_t pos; /* file offset of the transfer's first byte */
	bool write;
};

/* Transfers one piece of guest memory to or from the file. */
static bool blk_io_piece(uint8_t *host, uint32_t n, uint64_t at, void *arg)
{
	const struct blk_io *io = arg;

	for (uint32_t done = 0; done < n;) {
		off_t pos = (off_t)(io->pos + at + done);
		ssize_t got = io->write ? pwrite(io->b->fd, host + done, n - done, pos)
					: pread(io->b->fd, host + done, n - done, pos);
		if (got <= 0)
			return false;
		done += (uint32_t)got;
	}
	return true;
}

/* A read or write of len bytes at sector; the status of the request. */
static uint8_t blk_transfer(const struct sim_blk *b, const struct sim_vq_chain *c,
			    const struct blk_header *h, uint64_t len, bool write)
{
	struct blk_io io = {b, h->sector * SECTOR_SIZE, write};

	if (len % SECTOR_SIZE || h->sector > b->sectors || len / SECTOR_SIZE > b->sectors - h->sector)
		return VIRTIO_BLK_S_IOERR;
	if (write && b->read_only)
		return VIRTIO_BLK_S_IOERR;
	bool ok = write ? sim_vq_each(c, false, BLK_HEADER_SIZE, len, blk_io_piece, &io)
			: sim_vq_each(c, true, 0, len, blk_io_piece, &io);
	return ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}

/* True when an injected fault fails this write or flush (fail-after=N used up). */
static bool blk_fault(struct sim_blk *b)
{
	if (b->writes_left != 0)
		return false;
	if (!b->failing)
		fprintf(stderr, "amphi: --disk %s: fail-after reached, writes and flushes fail\n",
			b->path);
	b->failing = true;
	return true;
}

/* Counts a write that succeeded against fail-after. */
static void blk_count_write(struct sim_blk *b, uint8_t status)
{
	if (status == VIRTIO_BLK_S_OK && b->writes_left > 0)
		b->writes_left--;
}

/* Serves one request; returns the bytes written into the chain. */
static long blk_serve(struct sim_virtio *v, unsigned q, const struct sim_vq_chain *c)
{
	struct sim_blk *b = sim_virtio_model(v);
	struct blk_header h;
	uint8_t status = VIRTIO_BLK_S_OK;
	long written = 1;

	(void)q;
	if (c->readable < BLK_HEADER_SIZE || c->writable < 1) {
		sim_virtio_break(v, "a block request without a header or a status byte");
		return -1;
	}
	sim_vq_copy(c, false, 0, &h, sizeof(h), false);
	uint64_t in_len = c->writable - 1, out_len = c->readable - BLK_HEADER_SIZE;
	if (h.type == VIRTIO_BLK_T_IN) {
		status = blk_transfer(b, c, &h, in_len, false);
		written += status == VIRTIO_BLK_S_OK ? (long)in_len : 0;
	} else if (h.type == VIRTIO_BLK_T_OUT) {
		status = blk_fault(b) ? VIRTIO_BLK_S_IOERR : blk_transfer(b, c, &h, out_len, true);
		blk_count_write(b, status);
	} else if (h.type == VIRTIO_BLK_T_FLUSH) {
		status = blk_fault(b) || fdatasync(b->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	} else if (h.type == VIRTIO_BLK_T_GET_ID) {
		uint64_t n = in_len < VIRTIO_BLK_ID_BYTES ? in_len : VIRTIO_BLK_ID_BYTES;
		sim_vq_copy(c, true, 0, (void *)b->id, n, true);
		written += (long)n;
	} else {
		status = VIRTIO_BLK_S_UNSUPP;
	}
	sim_vq_copy(c, true, c->writable - 1, &status, 1, true);
	return written;
}

static const struct sim_virtio_type blk_type = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_BLK_F_FLUSH,
    .queues = 1,
    .config_read = blk_config_read,
    .serve = blk_serve,
};

static const struct sim_virtio_type blk_ro_type = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_RO,
    .queues = 1,
    .config_read = blk_config_read,
    .serve = blk_serve,
};

/* Opens disk i of opts; exits with a line naming the file when it cannot. */
static void blk_open(const struct sim_disk_opt *d, struct sim_blk *b, int i)
{
	struct stat st;

	b->fd = open(d->path, (d->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0 || fstat(b->fd, &st) < 0) {
		fprintf(stderr, "amphi: --disk %s: %s\n", d->path, strerror(errno));
		exit(SIM_EXIT_USAGE);
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "amphi: --disk %s: not a regular file or block device\n", d->path);
		exit(SIM_EXIT_USAGE);
	}
	off_t size = S_ISBLK(st.st_mode) ? lseek(b->fd, 0, SEEK_END) : st.st_size;
	b->sectors = size > 0 ? (uint64_t)size / SECTOR_SIZE : 0;
	b->read_only = d->read_only;
	b->writes_left = d->fail_after;
	b->path = d->path;
	snprintf(b->id, sizeof(b->id), "amphi-disk%d", i);
}

void sim_blk_init(const struct sim_options *opts)
{
	for (int i = 0; i < opts->disk_count; i++) {
		blk_open(&opts->disk[i], &sim_blks[i], i);
		sim_blks[i].dev =
		    sim_virtio_add(sim_blks[i].read_only ? &blk_ro_type : &blk_type, &sim_blks[i]);
	}
}

bool sim_blk_resize(int n, uint64_t sectors)
{
	if (n < 0 || n >= SIM_DISK_MAX || !sim_blks[n].dev)
		return false;
	sim_blks[n].sectors = sectors;
	sim_virtio_config_changed(sim_blks[n].dev);
	return true;
}
