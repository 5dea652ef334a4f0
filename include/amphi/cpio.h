/*
 * Reader of cpio "newc" archives (magic "070701") and their "crc" variant ("070702"), as
 * GNU `cpio -o -H newc` / `-H crc` and the Linux initramfs tools write them. The archive is
 * read in place: entries point into the buffer, which must stay mapped while they are used.
 * Nothing in it is trusted: every field, name and data range is checked against the
 * buffer, so a truncated or corrupt archive yields -EINVAL, never a read outside it.
 *
 * Layout: each entry is a 110-byte header (the magic and 13 fields of 8 ASCII hex digits),
 * then the NUL-terminated name padded so header+name is a multiple of 4 bytes, then the
 * data padded to a multiple of 4. Offsets are counted from the start of the buffer, where
 * the first archive must begin. A "crc" entry's check field is the sum of its data bytes
 * (mod 2^32); it is verified for regular files, the only ones GNU cpio sums.
 *
 * Concatenated archives, as the Linux initramfs allows: zero bytes between archives are
 * skipped, and the next archive must start at a multiple of 4. cpio_next returns 0 at each
 * TRAILER!!! entry and again at the end of the buffer (when only zeros remain, r->pos
 * becomes r->len), so to read every archive call it again after a 0 while r->pos < r->len.
 */
#pragma once

#include <amphi/types.h>

#define CPIO_HEADER_SIZE 110
#define CPIO_TRAILER_NAME "TRAILER!!!"

/* One archive member. */
struct cpio_entry {
	const char *name; /* NUL-terminated, inside the archive buffer */
	uint32_t ino, mode, uid, gid, nlink, mtime, devmajor, devminor, rdevmajor, rdevminor;
	const void *data; /* file data or symlink target (not NUL-terminated) */
	size_t size;
};

/* Where a reading stands: the next entry starts at or after buf + pos. */
struct cpio_reader {
	const uint8_t *buf;
	size_t len, pos;
};

/* Starts reading the archive [buf, buf+len). */
void cpio_reader_init(struct cpio_reader *r, const void *buf, size_t len);

/* Reads the next entry into *e (set only when 1 is returned). Returns 1, 0 at the
 * TRAILER!!! entry (or at the end of the buffer when only zero padding remains), or -EINVAL
 * for a malformed entry (bad magic, non-hex digits, name not NUL-terminated or empty, name
 * or data beyond the buffer, a misaligned archive start, bad crc); the reader then stays at
 * that entry, so calling again gives -EINVAL again. */
int cpio_next(struct cpio_reader *r, struct cpio_entry *e);
