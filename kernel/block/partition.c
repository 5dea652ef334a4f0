/*
 * Partition tables, read when a disk with minors registers (and on BLKRRPART), as Linux's
 * block/partitions/ reads them:
 *   - MBR: four primary entries (partitions 1-4); an extended one (types 0x05, 0x0f,
 *     0x85) is shown as its first two sectors, and its chain of logical partitions is
 *     numbered from 5; type 0xee (a protective MBR) means GPT.
 *   - GPT (UEFI 2.x, chapter 5): the header at LBA 1 with its CRC32, its own LBA and a
 *     usable range inside the disk, then the entry array with its CRC32; the backup header
 *     at the last LBA when the primary is damaged. Entry i is partition i + 1.
 * A partition reaching past the disk's end is cut at the end, one starting past it is
 * left out, as Linux does. Names are the disk's with the number ("vda1"), with a "p"
 * between when the disk's name ends in a digit ("loop0p1").
 */
#include <amphi/block.h>
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/string.h>

#include "block_internal.h"

#define PART_MAX 64		/* partitions per disk */
#define MBR_LOGICAL_MAX 60	/* logical partitions followed in an extended chain */
#define GPT_ENTRIES_MAX 1024	/* entries read from a GPT array */

static unsigned blkext_next_minor;

/* Little-endian loads. */
static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* CRC-32 as GPT uses it (IEEE 802.3, reflected, initial and final inversion). */
uint32_t block_crc32(const uint8_t *p, size_t n)
{
	uint32_t crc = ~0u;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

/* A scan in progress: the disk, a sector buffer and the partitions found. */
struct part_scan {
	struct block_device *disk;
	uint32_t lbs;	  /* logical block size: the unit of GPT LBAs, MBR sectors are 512 */
	uint8_t *buf;	  /* lbs bytes */
	unsigned count;
	struct {
		unsigned partno;
		uint64_t start, sectors; /* 512-byte sectors */
	} parts[PART_MAX];
};

/* Reads logical block lba of the disk into the scan buffer: 0 or an errno. */
static int part_read(struct part_scan *s, uint64_t lba, uint8_t *buf)
{
	uint32_t per = s->lbs >> BLOCK_SECTOR_SHIFT;

	if (lba >= s->disk->sectors / per)
		return -EINVAL;
	return block_rw(s->disk, BLOCK_READ, lba * per, per, buf);
}

/* Records partition partno over [start, start + sectors) (512-byte sectors), cut at the
 * disk's end as Linux does. */
static void part_add(struct part_scan *s, unsigned partno, uint64_t start, uint64_t sectors)
{
	uint64_t end = s->disk->sectors;

	if (sectors == 0 || start >= end || s->count == PART_MAX) {
		if (sectors)
			kprintf("amphi: block: %s: partition %u starts beyond the disk\n",
				s->disk->name, partno);
		return;
	}
	if (sectors > end - start) {
		kprintf("amphi: block: %s: partition %u extends beyond the disk, truncated\n",
			s->disk->name, partno);
		sectors = end - start;
	}
	s->parts[s->count].partno = partno;
	s->parts[s->count].start = start;
	s->parts[s->count].sectors = sectors;
	s->count++;
}

/* --- MBR --- */

static bool mbr_is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

/* Follows the chain of extended boot records from base (the extended partition's first
 * logical block; MBR fields count logical blocks), adding logical partitions from 5. */
static void mbr_logicals(struct part_scan *s, uint64_t base, uint64_t ext_sectors)
{
	uint64_t ebr = base;
	unsigned partno = 5;
	uint32_t per = s->lbs >> BLOCK_SECTOR_SHIFT;

	for (unsigned i = 0; i < MBR_LOGICAL_MAX; i++) {
		if (part_read(s, ebr, s->buf) || s->buf[510] != 0x55 || s->buf[511] != 0xaa)
			return;
		const uint8_t *e = s->buf + 446;
		uint64_t next = 0;
		for (int k = 0; k < 2; k++, e += 16) {
			uint8_t type = e[4];
			uint64_t start = le32(e + 8), count = le32(e + 12);
			if (!type || !count)
				continue;
			if (mbr_is_extended(type))
				next = base + start; /* the next EBR, relative to the extended start */
			else
				part_add(s, partno++, (ebr + start) * per, count * per);
		}
		if (!next || next <= ebr || next >= base + ext_sectors)
			return; /* the end, or a chain that loops or leaves the partition */
		ebr = next;
	}
}

/* Reads the MBR in s->buf (sector 0): true when it is one (a GPT one: *gpt set). */
static bool mbr_scan(struct part_scan *s, bool *gpt)
{
	const uint8_t *b = s->buf;

	*gpt = false;
	if (b[510] != 0x55 || b[511] != 0xaa)
		return false;
	for (int i = 0; i < 4; i++) {
		const uint8_t *e = b + 446 + 16 * i;
		if (e[0] != 0 && e[0] != 0x80)
			return false; /* a boot sector (FAT's, say), not a partition table */
		if (e[4] == 0xee)
			*gpt = true;
	}
	if (*gpt)
		return true;
	uint8_t mbr[64];
	uint32_t per = s->lbs >> BLOCK_SECTOR_SHIFT;
	memcpy(mbr, b + 446, sizeof(mbr)); /* the logicals' reads reuse the buffer */
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *e = mbr + 16 * i;
		uint64_t start = le32(e + 8), count = le32(e + 12);
		if (!e[4] || !count)
			continue;
		if (mbr_is_extended(e[4])) {
			/* only its first sectors show, as on Linux: 2, or one logical block */
			part_add(s, i + 1, start * per, MIN(count * per, MAX(per, 2u)));
			mbr_logicals(s, start, count);
		} else {
			part_add(s, i + 1, start * per, count * per);
		}
	}
	return true;
}

/* --- GPT --- */

/* Reads and checks the GPT header at lba and its entries: true with the partitions added. */
static bool gpt_scan_at(struct part_scan *s, uint64_t lba)
{
	uint8_t *h = s->buf;
	uint64_t last_lba = s->disk->sectors / (s->lbs >> BLOCK_SECTOR_SHIFT) - 1;

	if (part_read(s, lba, h) || memcmp(h, "EFI PART", 8) != 0)
		return false;
	uint32_t hsize = le32(h + 12), hcrc = le32(h + 16);
	if (hsize < 92 || hsize > s->lbs)
		return false;
	h[16] = h[17] = h[18] = h[19] = 0;
	if (block_crc32(h, hsize) != hcrc || le64(h + 24) != lba)
		return false;
	uint64_t first_usable = le64(h + 40), last_usable = le64(h + 48);
	uint64_t entries_lba = le64(h + 72);
	uint32_t nentries = le32(h + 80), esize = le32(h + 84), ecrc = le32(h + 88);
	if (first_usable > last_usable || last_usable > last_lba || nentries > GPT_ENTRIES_MAX ||
	    esize < 128 || esize > 4096 || (esize & (esize - 1)) || entries_lba > last_lba)
		return false;
	size_t bytes = (size_t)nentries * esize;
	uint64_t blocks = (bytes + s->lbs - 1) / s->lbs;
	if (blocks > last_lba + 1 - entries_lba)
		return false;
	uint8_t *arr = kmalloc(blocks ? blocks * s->lbs : 1);
	if (!arr)
		return false;
	bool ok = true;
	for (uint64_t i = 0; i < blocks && ok; i++)
		ok = part_read(s, entries_lba + i, arr + i * s->lbs) == 0;
	if (ok && block_crc32(arr, bytes) != ecrc)
		ok = false;
	uint32_t per = s->lbs >> BLOCK_SECTOR_SHIFT;
	for (uint32_t i = 0; ok && i < nentries; i++) {
		const uint8_t *e = arr + (size_t)i * esize;
		static const uint8_t unused[16];
		uint64_t first = le64(e + 32), last = le64(e + 40);
		if (memcmp(e, unused, 16) == 0 || last < first)
			continue;
		if (first < first_usable || last > last_usable)
			continue; /* outside the usable range: Linux ignores such entries too */
		part_add(s, i + 1, first * per, (last - first + 1) * per);
	}
	kfree(arr);
	return ok;
}

/* The partitions of a GPT disk: the primary header, else the backup at the last LBA. */
static void gpt_scan(struct part_scan *s)
{
	uint64_t last_lba = s->disk->sectors / (s->lbs >> BLOCK_SECTOR_SHIFT) - 1;

	if (gpt_scan_at(s, 1))
		return;
	s->count = 0;
	kprintf("amphi: block: %s: the primary GPT header is damaged, trying the backup\n",
		s->disk->name);
	if (!gpt_scan_at(s, last_lba)) {
		s->count = 0;
		kprintf("amphi: block: %s: no valid GPT header\n", s->disk->name);
	}
}

/* --- devices for the partitions --- */

/* Registers the partition of scan entry i: a new block device over the disk. */
static void part_register(struct part_scan *s, unsigned i)
{
	struct block_device *disk = s->disk;
	struct block_device *p = kzalloc(sizeof(*p));
	unsigned partno = s->parts[i].partno;
	size_t n = strlen(disk->name);
	bool digit = n && disk->name[n - 1] >= '0' && disk->name[n - 1] <= '9';
	uint32_t per = disk->logical_block_size >> BLOCK_SECTOR_SHIFT;

	if (!p)
		return;
	ksnprintf(p->name, sizeof(p->name), "%s%s%u", disk->name, digit ? "p" : "", partno);
	p->logical_block_size = disk->logical_block_size;
	p->start = s->parts[i].start;
	p->sectors = s->parts[i].sectors / per * per;
	p->read_only = disk->read_only;
	p->ops = disk->ops;
	p->priv = disk->priv;
	p->disk = disk;
	p->partno = partno;
	p->minors = 1;
	if (partno < disk->minors) {
		p->major = disk->major;
		p->first_minor = disk->first_minor + partno;
	} else {
		p->major = BLOCK_MAJOR_BLKEXT;
		p->first_minor = __atomic_fetch_add(&blkext_next_minor, 1, __ATOMIC_RELAXED);
	}
	p->rdev = VFS_DEV(p->major, p->first_minor);
	if (p->start % per || !p->sectors || block_add(p)) {
		kprintf("amphi: block: %s: partition %u not registered\n", disk->name, partno);
		kfree(p);
		return;
	}
	kprintf("amphi: block: %s: start %llu, %llu sectors\n", p->name,
		(unsigned long long)p->start, (unsigned long long)p->sectors);
}

void block_partitions_scan(struct block_device *disk)
{
	struct part_scan *s = kzalloc(sizeof(*s));
	bool gpt;

	if (!s)
		return;
	s->disk = disk;
	s->lbs = disk->logical_block_size;
	s->buf = kmalloc(s->lbs);
	if (s->buf && part_read(s, 0, s->buf) == 0 && mbr_scan(s, &gpt) && gpt)
		gpt_scan(s);
	for (unsigned i = 0; i < s->count; i++)
		part_register(s, i);
	kfree(s->buf);
	kfree(s);
}

void block_partitions_remove(struct block_device *disk)
{
	struct block_device *parts[PART_MAX];
	unsigned n = block_partitions_of(disk, parts, PART_MAX);

	for (unsigned i = 0; i < n; i++) {
		block_remove(parts[i]);
		kfree(parts[i]);
	}
}

int block_rescan(struct block_device *bdev)
{
	struct block_device *parts[PART_MAX];

	if (bdev->disk != bdev || bdev->minors <= 1)
		return -EINVAL;
	unsigned n = block_partitions_of(bdev, parts, PART_MAX);
	block_lock();
	for (unsigned i = 0; i < n; i++) {
		if (parts[i]->openers || parts[i]->claimed) {
			block_unlock();
			return -EBUSY;
		}
	}
	block_unlock();
	block_partitions_remove(bdev);
	block_partitions_scan(bdev);
	return 0;
}
