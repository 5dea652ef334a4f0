/*
 * ELF64 executable validation (System V gABI, chapters 4 and 5) for exec. The image is read
 * a byte at a time as little-endian, so it may sit at any alignment. Every offset is checked
 * against the image size and every sum against overflow before it is formed; the first rule
 * an image breaks ends the parse with -ENOEXEC and a static string naming that rule.
 */
#include <amphi/elf.h>
#include <amphi/errno.h>
#include <amphi/string.h>

#define ELF_EHDR_SIZE 64u
#define ELF_PHDR_SIZE 56u
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define ET_DYN 3
#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6
#define PT_GNU_STACK 0x6474e551u
#define PF_X 1u
#define PF_W 2u
#define PF_R 4u

/* One decoded program header. */
struct elf_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz, memsz, align;
};

/* Little-endian u16 at p. */
static uint16_t elf_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Little-endian u32 at p. */
static uint32_t elf_le32(const uint8_t *p)
{
	return (uint32_t)elf_le16(p) | (uint32_t)elf_le16(p + 2) << 16;
}

/* Little-endian u64 at p. */
static uint64_t elf_le64(const uint8_t *p)
{
	return (uint64_t)elf_le32(p) | (uint64_t)elf_le32(p + 4) << 32;
}

/* Records why the image is refused; returns -ENOEXEC. */
static int elf_reject(struct elf_info *out, const char *why)
{
	out->error = why;
	return -ENOEXEC;
}

/* True when [off, off + len) lies inside [0, size). */
static bool elf_range_in(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* Checks e_ident, e_version, e_machine and e_type of the header at b (size >= 64). */
static int elf_check_ehdr(const uint8_t *b, uint16_t machine, struct elf_info *out)
{
	if (b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F')
		return elf_reject(out, "not an ELF file");
	if (b[4] != ELFCLASS64)
		return elf_reject(out, "not ELF64");
	if (b[5] != ELFDATA2LSB)
		return elf_reject(out, "not little-endian");
	if (b[6] != EV_CURRENT || elf_le32(b + 20) != EV_CURRENT)
		return elf_reject(out, "unknown ELF version");
	if (elf_le16(b + 18) != machine)
		return elf_reject(out, "wrong machine");
	uint16_t type = elf_le16(b + 16);
	if (type != ET_EXEC && type != ET_DYN)
		return elf_reject(out, "not an executable (ET_EXEC or ET_DYN)");
	out->pie = type == ET_DYN;
	out->entry = elf_le64(b + 24);
	return 0;
}

/* Checks the program header table's entry size, count and place in the file. */
static int elf_check_phdr_table(const uint8_t *b, size_t head_len, uint64_t size,
				struct elf_info *out)
{
	out->phentsize = elf_le16(b + 54);
	out->phnum = elf_le16(b + 56);
	if (out->phentsize != ELF_PHDR_SIZE)
		return elf_reject(out, "e_phentsize is not 56");
	if (out->phnum == 0)
		return elf_reject(out, "no program headers");
	if (out->phnum > ELF_MAX_PHNUM)
		return elf_reject(out, "more than 64 program headers");
	if (!elf_range_in(elf_le64(b + 32), (uint64_t)out->phnum * ELF_PHDR_SIZE, size))
		return elf_reject(out, "program headers outside the file");
	if (!elf_range_in(elf_le64(b + 32), (uint64_t)out->phnum * ELF_PHDR_SIZE, head_len))
		return elf_reject(out, "program headers not within the first 4 KiB");
	return 0;
}

/* Decodes program header i of the (checked) table at e_phoff. */
static void elf_read_phdr(const uint8_t *b, unsigned i, struct elf_phdr *ph)
{
	const uint8_t *p = b + elf_le64(b + 32) + (uint64_t)i * ELF_PHDR_SIZE;
	*ph = (struct elf_phdr){.type = elf_le32(p),
				.flags = elf_le32(p + 4),
				.offset = elf_le64(p + 8),
				.vaddr = elf_le64(p + 16),
				.filesz = elf_le64(p + 32),
				.memsz = elf_le64(p + 40),
				.align = elf_le64(p + 48)};
}

/* ELF_PROT_* for p_flags. */
static unsigned elf_prot(uint32_t flags)
{
	return (flags & PF_R ? ELF_PROT_R : 0) | (flags & PF_W ? ELF_PROT_W : 0) |
	       (flags & PF_X ? ELF_PROT_X : 0);
}

/* First page of a segment. */
static uint64_t elf_seg_page_lo(const struct elf_segment *s)
{
	return ALIGN_DOWN(s->vaddr, ELF_PAGE_SIZE);
}

/* End of a segment's last page (vaddr + memsz is checked to be at most ELF_USER_TOP). */
static uint64_t elf_seg_page_hi(const struct elf_segment *s)
{
	return ALIGN_UP(s->vaddr + s->memsz, ELF_PAGE_SIZE);
}

/* Checks one PT_LOAD's sizes and addresses on their own. */
static int elf_check_load(const struct elf_phdr *ph, uint64_t size, struct elf_info *out)
{
	if (ph->filesz > ph->memsz)
		return elf_reject(out, "PT_LOAD p_filesz exceeds p_memsz");
	if (!elf_range_in(ph->offset, ph->filesz, size))
		return elf_reject(out, "PT_LOAD file range outside the file");
	if (ph->memsz > UINT64_MAX - ph->vaddr)
		return elf_reject(out, "PT_LOAD address range overflows");
	if (ph->vaddr + ph->memsz > ELF_USER_TOP)
		return elf_reject(out, "PT_LOAD beyond the user address space");
	if (ph->align & (ph->align - 1))
		return elf_reject(out, "PT_LOAD p_align is not a power of two");
	if (!IS_ALIGNED(ph->vaddr - ph->offset, ELF_PAGE_SIZE))
		return elf_reject(out, "PT_LOAD p_vaddr and p_offset differ modulo the page size");
	if ((ph->flags & (PF_W | PF_X)) == (PF_W | PF_X))
		return elf_reject(out, "PT_LOAD both writable and executable");
	return 0;
}

/* Checks a PT_LOAD and appends it to out->seg after the ones before it in the file. */
static int elf_add_load(const struct elf_phdr *ph, uint64_t size, struct elf_info *out)
{
	if (out->nseg == ELF_MAX_SEGMENTS)
		return elf_reject(out, "more than 16 PT_LOAD segments");
	int err = elf_check_load(ph, size, out);
	if (err)
		return err;
	struct elf_segment *s = &out->seg[out->nseg];
	*s = (struct elf_segment){.vaddr = ph->vaddr,
				  .memsz = ph->memsz,
				  .offset = ph->offset,
				  .filesz = ph->filesz,
				  .prot = elf_prot(ph->flags)};
	if (out->nseg > 0 && elf_seg_page_lo(s) < elf_seg_page_hi(s - 1))
		return elf_reject(out, "PT_LOAD segments not ascending or overlapping");
	out->nseg++;
	out->align = MAX(out->align, ph->align);
	return 0;
}

/* Takes in one program header; a PT_PHDR is kept in *phdr (type 0 there: none yet). */
static int elf_take_phdr(const struct elf_phdr *ph, uint64_t size, struct elf_info *out,
			 struct elf_phdr *phdr)
{
	switch (ph->type) {
	case PT_INTERP:
		return elf_reject(out, "PT_INTERP present: dynamically linked");
	case PT_LOAD:
		return elf_add_load(ph, size, out);
	case PT_GNU_STACK:
		out->exec_stack = ph->flags & PF_X;
		return 0;
	case PT_PHDR:
		if (phdr->type)
			return elf_reject(out, "more than one PT_PHDR");
		*phdr = *ph;
		return 0;
	default:
		return 0;
	}
}

/* Takes in every program header in file order; a PT_PHDR is left in *phdr (which the caller
 * zeroed). */
static int elf_scan_phdrs(const uint8_t *b, uint64_t size, struct elf_info *out,
			  struct elf_phdr *phdr)
{
	for (unsigned i = 0; i < out->phnum; i++) {
		struct elf_phdr ph;
		elf_read_phdr(b, i, &ph);
		int err = elf_take_phdr(&ph, size, out, phdr);
		if (err)
			return err;
	}
	if (out->nseg == 0)
		return elf_reject(out, "no PT_LOAD segment");
	return 0;
}

/* Sets lo and hi and checks the span they make. */
static int elf_check_span(struct elf_info *out)
{
	out->lo = elf_seg_page_lo(&out->seg[0]);
	out->hi = elf_seg_page_hi(&out->seg[out->nseg - 1]);
	if (!out->pie && out->lo == 0)
		return elf_reject(out, "ET_EXEC maps page 0");
	if (out->hi - out->lo > ELF_MAX_SPAN)
		return elf_reject(out, "PT_LOAD span larger than 64 GiB");
	return 0;
}

/* Checks that the entry point is in the file-backed part of an executable segment. */
static int elf_check_entry(struct elf_info *out)
{
	for (unsigned i = 0; i < out->nseg; i++) {
		const struct elf_segment *s = &out->seg[i];
		if (s->prot & ELF_PROT_X && out->entry >= s->vaddr &&
		    out->entry - s->vaddr < s->filesz)
			return 0;
	}
	return elf_reject(out, "entry point not in an executable segment");
}

/* Sets phdr_vaddr: PT_PHDR's p_vaddr, or where a PT_LOAD maps e_phoff. Either way the whole
 * table must be in the file-backed part of one PT_LOAD. */
static int elf_find_phdr_vaddr(const uint8_t *b, const struct elf_phdr *phdr, struct elf_info *out)
{
	uint64_t len = (uint64_t)out->phnum * ELF_PHDR_SIZE, phoff = elf_le64(b + 32);
	for (unsigned i = 0; i < out->nseg; i++) {
		const struct elf_segment *s = &out->seg[i];
		if (phdr->type && phdr->vaddr >= s->vaddr &&
		    elf_range_in(phdr->vaddr - s->vaddr, len, s->filesz)) {
			out->phdr_vaddr = phdr->vaddr;
			return 0;
		}
		if (!phdr->type && phoff >= s->offset &&
		    elf_range_in(phoff - s->offset, len, s->filesz)) {
			out->phdr_vaddr = s->vaddr + (phoff - s->offset);
			return 0;
		}
	}
	return elf_reject(out, phdr->type ? "PT_PHDR not inside a PT_LOAD"
					  : "program headers not inside a PT_LOAD");
}

int elf_parse(const void *head, size_t head_len, uint64_t size, uint16_t machine,
	      struct elf_info *out)
{
	const uint8_t *b = head;
	struct elf_phdr phdr = {0};
	int err;

	memset(out, 0, sizeof(*out));
	out->align = ELF_PAGE_SIZE;
	head_len = (size_t)MIN((uint64_t)head_len, size);
	if (!b || head_len < ELF_EHDR_SIZE)
		return elf_reject(out, "too short for an ELF header");
	if ((err = elf_check_ehdr(b, machine, out)) ||
	    (err = elf_check_phdr_table(b, head_len, size, out)) ||
	    (err = elf_scan_phdrs(b, size, out, &phdr)) || (err = elf_check_span(out)) ||
	    (err = elf_check_entry(out)) || (err = elf_find_phdr_vaddr(b, &phdr, out)))
		return err;
	return 0;
}
