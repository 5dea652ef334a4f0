/*
 * cpio newc/crc reader. Sizes in the header are 32-bit, so every offset computed from them
 * fits in 64 bits and is compared with what is left of the buffer before anything past the
 * header is touched.
 */
#include <amphi/cpio.h>
#include <amphi/errno.h>
#include <amphi/string.h>

#define CPIO_MAGIC_LEN 6
#define CPIO_S_IFMT 0170000u
#define CPIO_S_IFREG 0100000u

/* The header's fields, in order after the magic. */
enum cpio_field {
	CPIO_INO,
	CPIO_MODE,
	CPIO_UID,
	CPIO_GID,
	CPIO_NLINK,
	CPIO_MTIME,
	CPIO_FILESIZE,
	CPIO_DEVMAJOR,
	CPIO_DEVMINOR,
	CPIO_RDEVMAJOR,
	CPIO_RDEVMINOR,
	CPIO_NAMESIZE,
	CPIO_CHECK,
	CPIO_NFIELDS
};

/* A decoded header. */
struct cpio_header {
	uint32_t f[CPIO_NFIELDS];
	bool crc; /* "070702": the check field is the data's sum */
};

void cpio_reader_init(struct cpio_reader *r, const void *buf, size_t len)
{
	*r = (struct cpio_reader){.buf = buf, .len = len, .pos = 0};
}

/* Value of the hex digit c (either case), or -1. */
static int cpio_hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes the 8 hex digits at p; -EINVAL when any byte is not one. */
static int cpio_hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		int d = cpio_hex_digit(p[i]);
		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/* Decodes the CPIO_HEADER_SIZE bytes at p: the magic and every field. */
static int cpio_decode_header(const uint8_t *p, struct cpio_header *h)
{
	if (memcmp(p, "070701", CPIO_MAGIC_LEN) == 0)
		h->crc = false;
	else if (memcmp(p, "070702", CPIO_MAGIC_LEN) == 0)
		h->crc = true;
	else
		return -EINVAL;
	for (int i = 0; i < CPIO_NFIELDS; i++)
		if (cpio_hex8(p + CPIO_MAGIC_LEN + 8 * i, &h->f[i]))
			return -EINVAL;
	return 0;
}

/* Skips the zero bytes at r->pos. Returns 1 at the next header, 0 when only zeros were left
 * (r->pos is then r->len), or -EINVAL when the next header is not 4-byte aligned. */
static int cpio_skip_zeros(struct cpio_reader *r)
{
	while (r->pos < r->len && r->buf[r->pos] == 0)
		r->pos++;
	if (r->pos == r->len)
		return 0;
	return IS_ALIGNED(r->pos, 4) ? 1 : -EINVAL;
}

/* Sum of the n bytes at p, mod 2^32: the "crc" format's checksum. */
static uint32_t cpio_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

/* Checks the entry whose header h is at p, with avail bytes left in the buffer from p.
 * Sets *name_end and *data_end, offsets from p past the padded name and the padded data. */
static int cpio_check_entry(const uint8_t *p, size_t avail, const struct cpio_header *h,
			    uint64_t *name_end, uint64_t *data_end)
{
	uint32_t namesize = h->f[CPIO_NAMESIZE], size = h->f[CPIO_FILESIZE];
	if (namesize < 2) /* an empty name still has its NUL */
		return -EINVAL;
	*name_end = ALIGN_UP((uint64_t)CPIO_HEADER_SIZE + namesize, 4);
	*data_end = ALIGN_UP(*name_end + size, 4);
	if (*data_end > avail)
		return -EINVAL;
	const char *name = (const char *)p + CPIO_HEADER_SIZE;
	if (strnlen(name, namesize) != namesize - 1)
		return -EINVAL;
	bool regular = (h->f[CPIO_MODE] & CPIO_S_IFMT) == CPIO_S_IFREG;
	if (h->crc && regular && cpio_checksum(p + *name_end, size) != h->f[CPIO_CHECK])
		return -EINVAL;
	return 0;
}

/* Fills *e from the checked entry at p. */
static void cpio_fill_entry(const uint8_t *p, const struct cpio_header *h, uint64_t name_end,
			    struct cpio_entry *e)
{
	const uint32_t *f = h->f;
	*e = (struct cpio_entry){
	    .name = (const char *)p + CPIO_HEADER_SIZE,
	    .ino = f[CPIO_INO],
	    .mode = f[CPIO_MODE],
	    .uid = f[CPIO_UID],
	    .gid = f[CPIO_GID],
	    .nlink = f[CPIO_NLINK],
	    .mtime = f[CPIO_MTIME],
	    .devmajor = f[CPIO_DEVMAJOR],
	    .devminor = f[CPIO_DEVMINOR],
	    .rdevmajor = f[CPIO_RDEVMAJOR],
	    .rdevminor = f[CPIO_RDEVMINOR],
	    .data = p + name_end,
	    .size = f[CPIO_FILESIZE],
	};
}

int cpio_next(struct cpio_reader *r, struct cpio_entry *e)
{
	struct cpio_header h;
	uint64_t name_end, data_end;

	int err = cpio_skip_zeros(r);
	if (err <= 0)
		return err;
	const uint8_t *p = r->buf + r->pos;
	size_t avail = r->len - r->pos;
	if (avail < CPIO_HEADER_SIZE || cpio_decode_header(p, &h) ||
	    cpio_check_entry(p, avail, &h, &name_end, &data_end))
		return -EINVAL;
	r->pos += data_end;
	if (strcmp((const char *)p + CPIO_HEADER_SIZE, CPIO_TRAILER_NAME) == 0)
		return 0;
	cpio_fill_entry(p, &h, name_end, e);
	return 1;
}
