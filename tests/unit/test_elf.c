/*
 * Unit tests of the ELF executable parser and the #! script reader (kernel/proc/elf.c,
 * elf_script.c), built with ASan and UBSan. Real executables (Debian's static busybox,
 * static, static-PIE and aarch64 programs built for the test, a dynamic /bin/true) are
 * parsed and every field is compared with what `readelf -lhW` prints for the same file.
 * Each rejection rule is then hit by an edited busybox header, and busybox's headers
 * truncated and corrupted in thousands of ways must give -ENOEXEC or a sane description.
 * Script lines are compared with what the host kernel does with the same script: its
 * interpreter, printargs, prints the argument vector it was started with.
 */
#include "unit.h"

#include <errno.h> /* the Linux values, as in <amphi/errno.h> */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <amphi/elf.h>

#if !defined(ELF_TEST_DIR) || !defined(READELF) || !defined(BUSYBOX) || !defined(HOST_TRUE)
#error "ELF_TEST_DIR, READELF, BUSYBOX and HOST_TRUE must be defined by the build"
#endif

#ifdef __x86_64__
#define HOST_MACHINE EM_X86_64
#else
#define HOST_MACHINE EM_AARCH64
#endif

#define PT_LOAD 1
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_PHDR 6
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define ET_DYN 3
#define PHDR_SIZE 56

/* ---------------------------------------------------------------- readelf, the reference */

/* The text after "key" and the blanks that follow it, when line (past its indent) starts
 * with key; else NULL. */
static const char *readelf_field(const char *line, const char *key)
{
	line += strspn(line, " ");
	if (strncmp(line, key, strlen(key)) != 0)
		return NULL;
	return line + strlen(key) + strspn(line + strlen(key), " ");
}

/* Takes in one "Program Headers" row of readelf -W (Type Offset VirtAddr PhysAddr FileSiz
 * MemSiz Flg Align); other lines are ignored. */
static void readelf_phdr_row(const char *line, struct elf_info *w, bool *have_phdr)
{
	char type[32];
	uint64_t off, vaddr, paddr, filesz, memsz, align;
	int n;
	if (sscanf(line,
		   " %31s 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 "%n",
		   type, &off, &vaddr, &paddr, &filesz, &memsz, &n) != 6)
		return;
	const char *flg = line + n + 1; /* three columns: R or ' ', W or ' ', E or ' ' */
	if (strlen(flg) < 4 || sscanf(flg + 3, " 0x%" SCNx64, &align) != 1)
		return;
	unsigned prot = (flg[0] == 'R' ? ELF_PROT_R : 0) | (flg[1] == 'W' ? ELF_PROT_W : 0) |
			(flg[2] == 'E' ? ELF_PROT_X : 0);
	if (strcmp(type, "LOAD") == 0 && w->nseg < ELF_MAX_SEGMENTS) {
		w->seg[w->nseg++] = (struct elf_segment){vaddr, memsz, off, filesz, prot};
		w->align = MAX(w->align, align);
	} else if (strcmp(type, "PHDR") == 0) {
		w->phdr_vaddr = vaddr;
		*have_phdr = true;
	} else if (strcmp(type, "GNU_STACK") == 0) {
		w->exec_stack = prot & ELF_PROT_X;
	}
}

/* Where the program headers at file offset phoff are in memory: inside the PT_LOAD whose
 * file range holds them. */
static uint64_t readelf_phdr_vaddr(const struct elf_info *w, uint64_t phoff)
{
	for (unsigned i = 0; i < w->nseg; i++) {
		const struct elf_segment *s = &w->seg[i];
		if (phoff >= s->offset && phoff + w->phnum * PHDR_SIZE <= s->offset + s->filesz)
			return s->vaddr + (phoff - s->offset);
	}
	return 0;
}

/* The elf_info that `readelf -lhW path` describes. Returns false when readelf fails. */
static bool readelf_expect(const char *path, struct elf_info *w)
{
	char cmd[1200], line[1024];
	const char *v;
	uint64_t phoff = 0;
	bool have_phdr = false;
	snprintf(cmd, sizeof(cmd), "'%s' -lhW '%s'", READELF, path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return false;
	memset(w, 0, sizeof(*w));
	w->align = ELF_PAGE_SIZE;
	while (fgets(line, sizeof(line), p)) {
		if ((v = readelf_field(line, "Type:")))
			w->pie = strncmp(v, "DYN", 3) == 0;
		else if ((v = readelf_field(line, "Entry point address:")))
			w->entry = strtoull(v, NULL, 0);
		else if ((v = readelf_field(line, "Start of program headers:")))
			phoff = strtoull(v, NULL, 0);
		else if ((v = readelf_field(line, "Size of program headers:")))
			w->phentsize = (unsigned)strtoul(v, NULL, 0);
		else if ((v = readelf_field(line, "Number of program headers:")))
			w->phnum = (unsigned)strtoul(v, NULL, 0);
		else
			readelf_phdr_row(line, w, &have_phdr);
	}
	if (pclose(p) != 0 || w->nseg == 0)
		return false;
	const struct elf_segment *last = &w->seg[w->nseg - 1];
	w->lo = ALIGN_DOWN(w->seg[0].vaddr, ELF_PAGE_SIZE);
	w->hi = ALIGN_UP(last->vaddr + last->memsz, ELF_PAGE_SIZE);
	if (!have_phdr)
		w->phdr_vaddr = readelf_phdr_vaddr(w, phoff);
	return true;
}

/* Compares one field of got and want, naming the file on a mismatch. */
#define SAME(field)                                                                           \
	do {                                                                                  \
		if (got->field != want->field) {                                              \
			printf("    # %s: " #field " is %#" PRIx64 ", readelf says %#" PRIx64 \
			       "\n",                                                          \
			       name, (uint64_t)got->field, (uint64_t)want->field);            \
			diffs++;                                                              \
		}                                                                             \
	} while (0)

/* Number of fields in which elf_parse's description differs from readelf's. */
static unsigned info_diffs(const char *name, const struct elf_info *got,
			   const struct elf_info *want)
{
	unsigned diffs = 0;
	SAME(pie);
	SAME(entry);
	SAME(phdr_vaddr);
	SAME(phnum);
	SAME(phentsize);
	SAME(lo);
	SAME(hi);
	SAME(align);
	SAME(exec_stack);
	SAME(nseg);
	for (unsigned i = 0; i < want->nseg && i < got->nseg; i++) {
		SAME(seg[i].vaddr);
		SAME(seg[i].memsz);
		SAME(seg[i].offset);
		SAME(seg[i].filesz);
		SAME(seg[i].prot);
	}
	return diffs;
}

/* Parses the file at path for machine; returns elf_parse's result and the description. */
static int parse_file(const char *path, uint16_t machine, struct elf_info *info)
{
	size_t len;
	uint8_t *img = unit_read_file(path, &len);
	if (!img)
		return -999;
	int err = elf_parse(img, len, len, machine, info);
	free(img);
	return err;
}

/* Parses the file at path and checks every field against readelf's reading of it. */
static void check_like_readelf(const char *path, uint16_t machine, struct elf_info *got)
{
	struct elf_info want;
	int err = parse_file(path, machine, got);
	if (err)
		printf("    # %s: %d (%s)\n", path, err, got->error ? got->error : "");
	CU_ASSERT_EQUAL_FATAL(err, 0);
	CU_ASSERT_PTR_NULL(got->error);
	CU_ASSERT_FATAL(readelf_expect(path, &want));
	CU_ASSERT_EQUAL(info_diffs(path, got, &want), 0);
}

static void test_busybox(void)
{
	struct elf_info info;
	check_like_readelf(BUSYBOX, HOST_MACHINE, &info);
	CU_ASSERT_FALSE(info.pie); /* Debian's busybox-static is ET_EXEC */
	CU_ASSERT(info.lo > 0);
	CU_ASSERT(info.nseg >= 2);
}

static void test_static(void)
{
	struct elf_info info;
	check_like_readelf(ELF_TEST_DIR "/static", HOST_MACHINE, &info);
	CU_ASSERT_FALSE(info.pie);
	CU_ASSERT_FALSE(info.exec_stack);
}

static void test_static_pie(void)
{
	struct elf_info info;
	check_like_readelf(ELF_TEST_DIR "/static-pie", HOST_MACHINE, &info);
	CU_ASSERT(info.pie);
	CU_ASSERT_EQUAL(info.lo, 0);
}

static void test_static_execstack(void)
{
	struct elf_info info;
	check_like_readelf(ELF_TEST_DIR "/static-execstack", HOST_MACHINE, &info);
	CU_ASSERT(info.exec_stack);
}

static void test_aarch64(void)
{
	struct elf_info info;
	check_like_readelf(ELF_TEST_DIR "/aarch64-static", EM_AARCH64, &info);
	CU_ASSERT_EQUAL(info.align, 0x10000);
	CU_ASSERT_EQUAL(parse_file(ELF_TEST_DIR "/aarch64-static", EM_X86_64, &info), -ENOEXEC);
	CU_ASSERT_STRING_EQUAL(info.error, "wrong machine");
}

static void test_dynamic_refused(void)
{
	struct elf_info info;
	CU_ASSERT_EQUAL(parse_file(HOST_TRUE, HOST_MACHINE, &info), -ENOEXEC);
	CU_ASSERT_STRING_EQUAL(info.error, "PT_INTERP present: dynamically linked");
}

/* ---------------------------------------------------------------- edited busybox headers */

/* Offsets of a program header's fields. */
enum {
	P_TYPE = 0,
	P_FLAGS = 4,
	P_OFFSET = 8,
	P_VADDR = 16,
	P_FILESZ = 32,
	P_MEMSZ = 40,
	P_ALIGN = 48
};

/* Offset of field f of program header i in busybox (its table is at 64). */
#define PH(i, f) (64 + PHDR_SIZE * (i) + (f))

/* Busybox, read once. */
static const uint8_t *busybox(size_t *len)
{
	static uint8_t *img;
	static size_t img_len;
	if (!img)
		img = unit_read_file(BUSYBOX, &img_len);
	*len = img_len;
	return img;
}

/* A new copy of busybox (freed with free()), or NULL when it cannot be read. */
static uint8_t *busybox_copy(size_t *len)
{
	const uint8_t *bb = busybox(len);
	uint8_t *img = bb ? malloc(*len) : NULL;
	if (img)
		memcpy(img, bb, *len);
	return img;
}

/* The little-endian value of width bytes at b + off. */
static uint64_t get(const uint8_t *b, size_t off, int width)
{
	uint64_t v = 0;
	for (int i = width - 1; i >= 0; i--)
		v = v << 8 | b[off + (size_t)i];
	return v;
}

/* Stores v little-endian in width bytes at b + off. */
static void put(uint8_t *b, size_t off, int width, uint64_t v)
{
	for (int i = 0; i < width; i++, v >>= 8)
		b[off + (size_t)i] = (uint8_t)v;
}

/* Adds d to the width-byte field at b + off. */
static void add(uint8_t *b, size_t off, int width, uint64_t d)
{
	put(b, off, width, get(b, off, width) + d);
}

/* An edit of busybox: changes the image (and may shorten *len). */
typedef void (*edit_fn)(uint8_t *b, size_t *len);

/* One edit of busybox: fn, or (without fn) storing value in the width-byte field at off. */
struct edit {
	const char *name;
	edit_fn fn;
	size_t off;
	int width;
	uint64_t value;
	const char *why; /* the reason it must be refused for (NULL: it must be accepted) */
};

/* Parses an exactly-sized copy of busybox changed by ed, for machine. */
static int parse_edited(const struct edit *ed, uint16_t machine, struct elf_info *info)
{
	size_t len;
	uint8_t *img = busybox_copy(&len);
	if (!img)
		return -999;
	if (ed->fn)
		ed->fn(img, &len);
	else
		put(img, ed->off, ed->width, ed->value);
	uint8_t *exact = malloc(len ? len : 1); /* a shortened image ends where ASan can see */
	memcpy(exact, img, len);
	free(img);
	int err = elf_parse(exact, len, len, machine, info);
	free(exact);
	return err;
}

/* Checks that the edited busybox is refused for machine with the edit's reason. */
static void expect_refused(const struct edit *ed, uint16_t machine)
{
	struct elf_info info;
	int err = parse_edited(ed, machine, &info);
	if (err != -ENOEXEC || !info.error || strcmp(info.error, ed->why) != 0)
		printf("    # %s: got %d (%s), want -ENOEXEC (%s)\n", ed->name, err,
		       info.error ? info.error : "no reason", ed->why);
	CU_ASSERT_EQUAL(err, -ENOEXEC);
	CU_ASSERT_PTR_NOT_NULL_FATAL(info.error);
	CU_ASSERT_STRING_EQUAL(info.error, ed->why);
}

/* The edits that need more than one constant field, each as its name says. Program headers
 * 0-3 are busybox's PT_LOADs, 8 its GNU_STACK (test_busybox_layout checks). */
static void e_short(uint8_t *b, size_t *len)
{
	(void)b, *len = 63;
}
static void e_phoff_past_end(uint8_t *b, size_t *len)
{
	put(b, 32, 8, *len - 100);
}
static void e_no_load(uint8_t *b, size_t *len)
{
	(void)len;
	for (int i = 0; i < 4; i++)
		put(b, PH(i, P_TYPE), 4, PT_NOTE);
}

/* Replaces the program headers with n read-only PT_LOADs of a page each, all mapping the
 * file's first 0x400 bytes (which hold the table), the last one executable with the entry. */
static void many_loads(uint8_t *b, unsigned n)
{
	put(b, 56, 2, n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = b + PH(i, 0);
		memset(p, 0, PHDR_SIZE);
		put(p, P_TYPE, 4, PT_LOAD);
		put(p, P_FLAGS, 4, i == n - 1 ? PF_R | PF_X : PF_R);
		put(p, P_VADDR, 8, 0x400000 + 0x1000 * i);
		put(p, P_FILESZ, 8, 0x400);
		put(p, P_MEMSZ, 8, 0x400);
		put(p, P_ALIGN, 8, 0x1000);
	}
	put(b, 24, 8, 0x400000 + 0x1000 * (n - 1));
}
static void e_16_loads(uint8_t *b, size_t *len)
{
	(void)len, many_loads(b, 16);
}
static void e_17_loads(uint8_t *b, size_t *len)
{
	(void)len, many_loads(b, 17);
}
static void e_filesz_over_memsz(uint8_t *b, size_t *len)
{
	(void)len, put(b, PH(3, P_FILESZ), 8, get(b, PH(3, P_MEMSZ), 8) + 1);
}
static void e_offset_past_end(uint8_t *b, size_t *len)
{
	put(b, PH(1, P_OFFSET), 8, *len - 0x10);
}
static void e_past_user_half(uint8_t *b, size_t *len)
{
	(void)len;
	put(b, PH(3, P_VADDR), 8, ELF_USER_TOP - 0x1000 + (get(b, PH(3, P_VADDR), 8) & 0xfff));
}
static void e_incongruent(uint8_t *b, size_t *len)
{
	(void)len, add(b, PH(1, P_VADDR), 8, 0x10);
}
static void e_descending(uint8_t *b, size_t *len)
{
	uint8_t tmp[PHDR_SIZE];
	(void)len;
	memcpy(tmp, b + PH(0, 0), PHDR_SIZE);
	memcpy(b + PH(0, 0), b + PH(1, 0), PHDR_SIZE);
	memcpy(b + PH(1, 0), tmp, PHDR_SIZE);
}
static void e_overlap(uint8_t *b, size_t *len)
{
	(void)len, add(b, PH(2, P_VADDR), 8, -(uint64_t)0x1000);
}
static void e_share_page(uint8_t *b, size_t *len)
{
	(void)len, add(b, PH(3, P_VADDR), 8, -(uint64_t)0x1000);
}
static void e_dyn_page_0(uint8_t *b, size_t *len)
{
	(void)len, put(b, 16, 2, ET_DYN), put(b, PH(0, P_VADDR), 8, 0);
}
static void e_far_segment(uint8_t *b, size_t *len)
{
	(void)len, add(b, PH(3, P_VADDR), 8, 64ull << 30);
}
static void e_entry_readonly(uint8_t *b, size_t *len)
{
	(void)len, put(b, 24, 8, get(b, PH(0, P_VADDR), 8));
}
static void e_entry_past_text(uint8_t *b, size_t *len)
{
	(void)len, put(b, 24, 8, get(b, PH(1, P_VADDR), 8) + get(b, PH(1, P_FILESZ), 8));
}
static void e_pt_phdr(uint8_t *b, size_t *len)
{
	(void)len;
	put(b, PH(7, P_TYPE), 4, PT_PHDR);
	put(b, PH(7, P_VADDR), 8, get(b, PH(0, P_VADDR), 8) + 0x100);
}
static void e_pt_phdr_outside(uint8_t *b, size_t *len)
{
	e_pt_phdr(b, len), put(b, PH(7, P_VADDR), 8, 0x300000);
}
static void e_two_pt_phdr(uint8_t *b, size_t *len)
{
	e_pt_phdr(b, len), memcpy(b + PH(5, 0), b + PH(7, 0), PHDR_SIZE);
}

/* Busybox's layout, which the edits assume: the table at 64, four PT_LOADs first, then six
 * other headers with GNU_STACK at 8. */
static void test_busybox_layout(void)
{
	size_t len;
	const uint8_t *b = busybox(&len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(get(b, 32, 8), 64);
	CU_ASSERT_EQUAL(get(b, 56, 2), 10);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(get(b, PH(i, P_TYPE), 4), PT_LOAD);
	for (int i = 4; i < 10; i++)
		CU_ASSERT_NOT_EQUAL(get(b, PH(i, P_TYPE), 4), PT_LOAD);
	CU_ASSERT_EQUAL(get(b, PH(8, P_TYPE), 4), 0x6474e551);
}

#define NOT_EXEC "not an executable (ET_EXEC or ET_DYN)"
#define OUTSIDE "PT_LOAD file range outside the file"
#define OVERLAP "PT_LOAD segments not ascending or overlapping"
#define TOO_WIDE "PT_LOAD span larger than 64 GiB"
#define BAD_ENTRY "entry point not in an executable segment"

/* One edit per rule elf_parse enforces, with the reason it gives. */
static const struct edit refused[] = {
    {"short", e_short, 0, 0, 0, "too short for an ELF header"},
    {"magic", NULL, 1, 1, 'e', "not an ELF file"},
    {"elf32", NULL, 4, 1, 1, "not ELF64"},
    {"big endian", NULL, 5, 1, 2, "not little-endian"},
    {"ident version", NULL, 6, 1, 0, "unknown ELF version"},
    {"e_version", NULL, 20, 4, 2, "unknown ELF version"},
    {"i386", NULL, 18, 2, 3, "wrong machine"},
    {"ET_REL", NULL, 16, 2, 1, NOT_EXEC},
    {"ET_CORE", NULL, 16, 2, 4, NOT_EXEC},
    {"phentsize", NULL, 54, 2, 64, "e_phentsize is not 56"},
    {"phnum 0", NULL, 56, 2, 0, "no program headers"},
    {"phnum 65", NULL, 56, 2, 65, "more than 64 program headers"},
    {"phoff", e_phoff_past_end, 0, 0, 0, "program headers outside the file"},
    {"phoff overflow", NULL, 32, 8, UINT64_MAX - 8, "program headers outside the file"},
    {"PT_INTERP", NULL, PH(4, P_TYPE), 4, PT_INTERP, "PT_INTERP present: dynamically linked"},
    {"no PT_LOAD", e_no_load, 0, 0, 0, "no PT_LOAD segment"},
    {"17 PT_LOADs", e_17_loads, 0, 0, 0, "more than 16 PT_LOAD segments"},
    {"filesz", e_filesz_over_memsz, 0, 0, 0, "PT_LOAD p_filesz exceeds p_memsz"},
    {"offset", e_offset_past_end, 0, 0, 0, OUTSIDE},
    {"offset overflow", NULL, PH(1, P_OFFSET), 8, UINT64_MAX - 0xfff, OUTSIDE},
    {"vaddr overflow", NULL, PH(3, P_VADDR), 8, UINT64_MAX - 8, "PT_LOAD address range overflows"},
    {"user half", e_past_user_half, 0, 0, 0, "PT_LOAD beyond the user address space"},
    {"p_align", NULL, PH(0, P_ALIGN), 8, 0x1800, "PT_LOAD p_align is not a power of two"},
    {"congruence", e_incongruent, 0, 0, 0,
     "PT_LOAD p_vaddr and p_offset differ modulo the page size"},
    {"descending", e_descending, 0, 0, 0, OVERLAP},
    {"overlap", e_overlap, 0, 0, 0, OVERLAP},
    {"shared page", e_share_page, 0, 0, 0, OVERLAP},
    {"W^X", NULL, PH(1, P_FLAGS), 4, PF_R | PF_W | PF_X, "PT_LOAD both writable and executable"},
    {"page 0", NULL, PH(0, P_VADDR), 8, 0, "ET_EXEC maps page 0"},
    {"64 GiB apart", e_far_segment, 0, 0, 0, TOO_WIDE},
    {"65 GiB memsz", NULL, PH(3, P_MEMSZ), 8, 65ull << 30, TOO_WIDE},
    {"entry read-only", e_entry_readonly, 0, 0, 0, BAD_ENTRY},
    {"entry past text", e_entry_past_text, 0, 0, 0, BAD_ENTRY},
    {"entry 0", NULL, 24, 8, 0, BAD_ENTRY},
    {"phdrs unmapped", NULL, PH(0, P_FILESZ), 8, 0x100, "program headers not inside a PT_LOAD"},
    {"PT_PHDR outside", e_pt_phdr_outside, 0, 0, 0, "PT_PHDR not inside a PT_LOAD"},
    {"two PT_PHDR", e_two_pt_phdr, 0, 0, 0, "more than one PT_PHDR"},
};

static void test_every_rule(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		expect_refused(&refused[i], HOST_MACHINE);
	expect_refused(&(struct edit){"other machine", NULL, 0, 1, 0x7f, "wrong machine"},
		       HOST_MACHINE == EM_X86_64 ? EM_AARCH64 : EM_X86_64);
}

/* Parses busybox with the constant edit (off, width, value), or fn when it is given. */
static int parse_with(edit_fn fn, size_t off, int width, uint64_t value, struct elf_info *info)
{
	return parse_edited(&(struct edit){"", fn, off, width, value, NULL}, HOST_MACHINE, info);
}

static void test_accepted_edits(void)
{
	struct elf_info info;
	CU_ASSERT_EQUAL(parse_with(NULL, 0, 1, 0x7f, &info), 0);  /* unchanged */
	CU_ASSERT_EQUAL(info.phdr_vaddr, info.seg[0].vaddr + 64); /* from e_phoff */
	CU_ASSERT_EQUAL(parse_with(e_pt_phdr, 0, 0, 0, &info), 0);
	CU_ASSERT_EQUAL(info.phdr_vaddr, info.seg[0].vaddr + 0x100); /* PT_PHDR wins */
	CU_ASSERT_EQUAL(parse_with(NULL, PH(8, P_FLAGS), 4, PF_R | PF_W | PF_X, &info), 0);
	CU_ASSERT(info.exec_stack);
	CU_ASSERT_EQUAL(parse_with(NULL, 16, 2, ET_DYN, &info), 0);
	CU_ASSERT(info.pie);
	CU_ASSERT_EQUAL(parse_with(e_dyn_page_0, 0, 0, 0, &info), 0); /* relative to a bias */
	CU_ASSERT_EQUAL(info.lo, 0);
	CU_ASSERT_EQUAL(parse_with(NULL, PH(0, P_ALIGN), 8, 0, &info), 0); /* 0: no alignment */
	CU_ASSERT_EQUAL(parse_with(e_16_loads, 0, 0, 0, &info), 0);
	CU_ASSERT_EQUAL(info.nseg, 16);
	CU_ASSERT_EQUAL(info.hi - info.lo, 16 * ELF_PAGE_SIZE);
	CU_ASSERT_EQUAL(info.seg[15].prot, ELF_PROT_R | ELF_PROT_X);
}

/* ---------------------------------------------------------------- truncated and corrupted */

/* True when the n bytes at addr lie inside the file-backed part of s. */
static bool in_file_part(uint64_t addr, uint64_t n, const struct elf_segment *s)
{
	return addr >= s->vaddr && addr - s->vaddr <= s->filesz &&
	       n <= s->filesz - (addr - s->vaddr);
}

/* Number of ways an accepted description breaks the rules for an image of size bytes. */
static unsigned insane(const struct elf_info *in, size_t size)
{
	unsigned bad = in->error != NULL;
	bad += in->nseg < 1 || in->nseg > ELF_MAX_SEGMENTS || in->phentsize != PHDR_SIZE;
	bad += in->phnum < 1 || in->phnum > 64;
	bad += in->lo % ELF_PAGE_SIZE || in->hi % ELF_PAGE_SIZE || in->lo > in->hi;
	bad += in->hi > ELF_USER_TOP || in->hi - in->lo > ELF_MAX_SPAN || (!in->pie && !in->lo);
	bool entry_ok = false, phdr_ok = false;
	for (unsigned i = 0; i < in->nseg && i < ELF_MAX_SEGMENTS; i++) {
		const struct elf_segment *s = &in->seg[i];
		bad += s->filesz > s->memsz || s->offset > size || s->filesz > size - s->offset;
		bad += s->vaddr < in->lo || s->memsz > in->hi - s->vaddr;
		bad += (s->prot & (ELF_PROT_W | ELF_PROT_X)) == (ELF_PROT_W | ELF_PROT_X);
		bad += (s->vaddr - s->offset) % ELF_PAGE_SIZE != 0;
		bad += i > 0 && ALIGN_DOWN(s->vaddr, ELF_PAGE_SIZE) <
				    ALIGN_UP(s[-1].vaddr + s[-1].memsz, ELF_PAGE_SIZE);
		entry_ok |= (s->prot & ELF_PROT_X) && in_file_part(in->entry, 1, s);
		phdr_ok |= in_file_part(in->phdr_vaddr, (uint64_t)in->phnum * PHDR_SIZE, s);
	}
	return bad + !entry_ok + !phdr_ok;
}

/* Parses [img, img + len) and returns 1 when the outcome is neither a sane description
 * nor -ENOEXEC with a reason. */
static unsigned parse_badly(const uint8_t *img, size_t len)
{
	struct elf_info info;
	int err = elf_parse(img, len, len, HOST_MACHINE, &info);
	if (err == 0)
		return insane(&info, len) != 0;
	return err != -ENOEXEC || !info.error;
}

static void test_truncated_at_every_length(void)
{
	size_t len;
	const uint8_t *bb = busybox(&len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bb);
	unsigned bad = 0;
	for (size_t keep = 0; keep <= 4096 && keep <= len; keep++) {
		uint8_t *copy = malloc(keep ? keep : 1);
		memcpy(copy, bb, keep);
		bad += parse_badly(copy, keep);
		free(copy);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(parse_badly(NULL, 0), 0);
}

/* Size of busybox's headers: the ELF header and the program header table. */
static size_t header_bytes(const uint8_t *bb)
{
	return 64 + PHDR_SIZE * get(bb, 56, 2);
}

static void test_every_header_byte_corrupted(void)
{
	size_t len;
	uint8_t *img = busybox_copy(&len);
	const uint8_t *bb = busybox(&len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	unsigned bad = 0;
	for (size_t off = 0; off < header_bytes(bb); off++)
		for (unsigned mask = 1; mask <= 0x100; mask <<= 1) {
			img[off] ^= (uint8_t)(mask == 0x100 ? 0xff : mask);
			bad += parse_badly(img, len);
			img[off] = bb[off];
		}
	CU_ASSERT_EQUAL(bad, 0);
	free(img);
}

/* Writes a random value at a random field-aligned place of the headers: 1 to 4 random
 * bytes, or a 2-, 4- or 8-byte value near a boundary the rules care about. */
static void corrupt_headers(uint8_t *img, size_t hdr, uint64_t *seed)
{
	static const uint64_t values[] = {0,
					  1,
					  2,
					  3,
					  6,
					  56,
					  64,
					  0x1000,
					  0x1001,
					  0x400000,
					  ELF_USER_TOP,
					  ELF_USER_TOP - 1,
					  ELF_MAX_SPAN,
					  UINT64_MAX,
					  UINT64_MAX - 0xfff,
					  0x8000000000000000ull};
	if (unit_random(seed) % 2) {
		for (int k = (int)(unit_random(seed) % 4); k >= 0; k--)
			img[unit_random(seed) % hdr] = (uint8_t)unit_random(seed);
		return;
	}
	int width = 2 << (unit_random(seed) % 3);
	size_t off = (unit_random(seed) % (hdr - 8)) & ~(size_t)(width - 1);
	uint64_t v = unit_random(seed) % 3 ? values[unit_random(seed) % ARRAY_SIZE(values)]
					   : unit_random(seed);
	put(img, off, width, v + (unit_random(seed) % 3) - 1);
}

static void test_random_header_corruption(void)
{
	size_t len;
	uint8_t *img = busybox_copy(&len);
	const uint8_t *bb = busybox(&len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t hdr = header_bytes(bb);
	unsigned bad = 0, accepted = 0;
	for (int iter = 0; iter < 20000; iter++) {
		for (int n = 1 + (int)(unit_random(&seed) % 3); n > 0; n--)
			corrupt_headers(img, hdr, &seed);
		struct elf_info info;
		accepted += elf_parse(img, len, len, HOST_MACHINE, &info) == 0;
		bad += parse_badly(img, len);
		memcpy(img, bb, hdr);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(accepted > 0); /* some corruptions hit bytes no rule reads */
	free(img);
}

/* ---------------------------------------------------------------- #! scripts */

/* Parses the len bytes of text from an exactly-sized copy, with buffers of the given sizes. */
static int script(const char *text, size_t len, char *interp, size_t icap, char *arg, size_t acap)
{
	char *copy = malloc(len ? len : 1);
	memcpy(copy, text, len);
	int err = elf_script_parse(copy, len, interp, icap, arg, acap);
	free(copy);
	return err;
}

/* Expects text (a string literal) to name interpreter want_interp and argument want_arg. */
#define EXPECT_SCRIPT(text, want_interp, want_arg)                                              \
	do {                                                                                    \
		char i_[256], a_[256];                                                          \
		CU_ASSERT_EQUAL(script(text, sizeof(text) - 1, i_, sizeof(i_), a_, sizeof(a_)), \
				0);                                                             \
		CU_ASSERT_STRING_EQUAL(i_, want_interp);                                        \
		CU_ASSERT_STRING_EQUAL(a_, want_arg);                                           \
	} while (0)

/* Expects text (a string literal) to be refused with err. */
#define EXPECT_SCRIPT_ERR(text, err)                                                            \
	do {                                                                                    \
		char i_[256], a_[256];                                                          \
		CU_ASSERT_EQUAL(script(text, sizeof(text) - 1, i_, sizeof(i_), a_, sizeof(a_)), \
				err);                                                           \
	} while (0)

static void test_script_lines(void)
{
	EXPECT_SCRIPT("#!/bin/sh\necho hi\n", "/bin/sh", "");
	EXPECT_SCRIPT("#! /bin/sh -e  \n", "/bin/sh", "-e");
	EXPECT_SCRIPT("#!/usr/bin/env  python3 -u\n", "/usr/bin/env", "python3 -u");
	EXPECT_SCRIPT("#!\t/bin/awk\t-f\t\n", "/bin/awk", "-f");
	EXPECT_SCRIPT("#!/bin/sh", "/bin/sh", "");	    /* no newline: the file ends */
	EXPECT_SCRIPT("#!/bin/sh -e  ", "/bin/sh", "-e  "); /* no newline: nothing trimmed */
	EXPECT_SCRIPT("#!/bin/sh\r\n", "/bin/sh\r", "");    /* a CR is part of the name */
	EXPECT_SCRIPT("#!/bin/sh\0 -e\n", "/bin/sh", "");   /* a NUL ends the line */
	EXPECT_SCRIPT_ERR("#!\n/bin/sh\n", -ENOEXEC);
	EXPECT_SCRIPT_ERR("#! \t \n", -ENOEXEC);
	/* an empty name: Linux goes on to open "" and fails (EACCES or ENOENT) */
	EXPECT_SCRIPT_ERR("#!", -ENOEXEC);
	EXPECT_SCRIPT_ERR("#!\0/bin/sh\n", -ENOEXEC);
	EXPECT_SCRIPT_ERR("#", -ENOEXEC);
	EXPECT_SCRIPT_ERR("", -ENOEXEC);
	EXPECT_SCRIPT_ERR("# !/bin/sh\n", -ENOEXEC);
	EXPECT_SCRIPT_ERR("\x7f"
			  "ELF\2\1\1",
			  -ENOEXEC);
}

static void test_script_buffers(void)
{
	static const char text[] = "#!/bin/sh -e\n";
	char i[8], a[3];
	CU_ASSERT_EQUAL(script(text, sizeof(text) - 1, i, 8, a, 3), 0);
	CU_ASSERT_STRING_EQUAL(i, "/bin/sh");
	CU_ASSERT_STRING_EQUAL(a, "-e");
	CU_ASSERT_EQUAL(script(text, sizeof(text) - 1, i, 7, a, 3), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(script(text, sizeof(text) - 1, i, 8, a, 2), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(script("#!/bin/sh\n", 10, i, 8, a, 1), 0); /* "" fits in 1 byte */
	CU_ASSERT_EQUAL(script("#!/bin/sh\n", 10, i, 8, a, 0), -ENAMETOOLONG);
}

/* Directory of the scripts the host runs, and the interpreter they name. */
#define SCRIPT_DIR ELF_TEST_DIR "/scripts"
#define PRINTARGS ELF_TEST_DIR "/static"

/* Runs the script at path with no arguments and no environment; returns in out what the
 * host printed: printargs's lines, or "errno N" when execve failed. */
static void host_run(const char *path, char *out, size_t cap)
{
	int fd[2];
	size_t n = 0;
	ssize_t got;
	CU_ASSERT_FATAL(pipe(fd) == 0);
	fflush(stdout); /* or the child would print it again */
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		char *argv[] = {(char *)path, NULL}, *envp[] = {NULL};
		execve(path, argv, envp);
		printf("errno %d\n", errno);
		fflush(stdout);
		_exit(127);
	}
	close(fd[1]);
	while (n + 1 < cap && (got = read(fd[0], out + n, cap - 1 - n)) > 0)
		n += (size_t)got;
	out[n] = '\0';
	close(fd[0]);
	waitpid(pid, NULL, 0);
}

/* What host_run should print for the script [text, text + len) at path, by
 * elf_script_parse's reading of it. */
static void expected_run(const char *text, size_t len, const char *path, char *out, size_t cap)
{
	char interp[ELF_SCRIPT_LINE_MAX], arg[ELF_SCRIPT_LINE_MAX];
	int err = script(text, len, interp, sizeof(interp), arg, sizeof(arg));
	if (err)
		snprintf(out, cap, "errno %d\n", -err);
	else if (access(interp, X_OK) != 0)
		snprintf(out, cap, "errno %d\n", ENOENT);
	else if (arg[0])
		snprintf(out, cap, "[%s]\n[%s]\n[%s]\n", interp, arg, path);
	else
		snprintf(out, cap, "[%s]\n[%s]\n", interp, path);
}

/* Prints text as KTAP diagnostic lines. */
static void print_lines(const char *text)
{
	for (const char *nl; *text; text = nl + 1) {
		nl = strchr(text, '\n');
		if (!nl)
			nl = text + strlen(text) - 1;
		printf("    #   %.*s\n", (int)(nl - text), text);
	}
}

/* Writes text (with every '@' replaced by interp) as executable script number n, runs it on
 * the host and compares with expected_run. */
static void compare_with_host(unsigned n, const char *text, size_t len, const char *interp)
{
	char path[512], body[2048], want[2048], got[2048];
	size_t blen = 0;
	for (size_t i = 0; i < len && blen + strlen(interp) < sizeof(body); i++)
		if (text[i] == '@')
			blen += (size_t)sprintf(body + blen, "%s", interp);
		else
			body[blen++] = text[i];
	snprintf(path, sizeof(path), SCRIPT_DIR "/script-%u", n);
	FILE *f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite(body, 1, blen, f);
	fclose(f);
	chmod(path, 0755);
	expected_run(body, blen, path, want, sizeof(want));
	host_run(path, got, sizeof(got));
	if (strcmp(got, want) != 0) {
		printf("    # script-%u: the host printed:\n", n);
		print_lines(got);
		printf("    # elf_script_parse says:\n");
		print_lines(want);
	}
	CU_ASSERT_STRING_EQUAL(got, want);
}

/* PRINTARGS behind enough extra leading slashes to be len bytes long. */
static const char *printargs_path(size_t len)
{
	static char path[1024];
	size_t extra = len - strlen(PRINTARGS);
	memset(path, '/', extra);
	strcpy(path + extra, PRINTARGS);
	return path;
}

/* Script text: prefix, then n copies of c, then suffix. */
static const char *line(const char *prefix, char c, size_t n, const char *suffix)
{
	static char text[1024];
	size_t p = strlen(prefix);
	memcpy(text, prefix, p);
	memset(text + p, c, n);
	strcpy(text + p + n, suffix);
	return text;
}

static void test_scripts_like_the_host(void)
{
	static const char *const short_lines[] = {
	    "#!@\n",
	    "#! @ -e  \n",
	    "#!@  python3 -u\n",
	    "#!@",
	    "#!@ -x",
	    "#!@ -e  ",
	    "#!\t@\t-f\t\n",
	    "#!@ a\tb \t\n",
	    "#!@\r\n",
	    "#!\n",
	    "#!  \t \n",
	    "#!\t\t\n",
	    "# !@\n",
	    "#!@ -e\nexit 1\n",
	    "#!@\t\t\n",
	    "#!/nonexistent -e\n",
	};
	size_t plen = strlen(PRINTARGS), room = ELF_SCRIPT_LINE_MAX - 1; /* bytes 0..254 */
	unsigned n = 0;
	mkdir(SCRIPT_DIR, 0755);
	for (size_t i = 0; i < ARRAY_SIZE(short_lines); i++)
		compare_with_host(n++, short_lines[i], strlen(short_lines[i]), PRINTARGS);
	compare_with_host(n++, "#!@\0 -e\n", 8, PRINTARGS);
	/* long lines: cut at 255 bytes, whether a newline comes later or not at all */
	compare_with_host(n++, line("#!@ ", 'x', 300, ""), 4 + 300, PRINTARGS);
	compare_with_host(n++, line("#!@ ", 'x', 300, "\n"), 4 + 301, PRINTARGS);
	for (size_t k = room - 4 - plen; k <= room - 2 - plen; k++)
		compare_with_host(n++, line("#!@ ", 'x', k, "\nrest"), 4 + k + 5, PRINTARGS);
	compare_with_host(n++, line("#!", ' ', 300, ""), 302, PRINTARGS);
	/* interpreter names that end before byte 255, at it, or run past it */
	for (size_t name = room - 4; name <= room; name++) {
		const char *p = printargs_path(name);
		compare_with_host(n++, "#!@ -e", 6, p);
		compare_with_host(n++, "#!@\n", 4, p);
		compare_with_host(n++, "#!@", 3, p);
	}
	compare_with_host(n++, "#!@", 3, printargs_path(400));
}

int unit_register(void)
{
	static CU_TestInfo real[] = {
	    {"busybox", test_busybox},
	    {"static", test_static},
	    {"static_pie", test_static_pie},
	    {"static_execstack", test_static_execstack},
	    {"aarch64", test_aarch64},
	    {"dynamic_refused", test_dynamic_refused},
	    CU_TEST_INFO_NULL,
	};
	static CU_TestInfo rules[] = {
	    {"busybox_layout", test_busybox_layout},
	    {"every_rule", test_every_rule},
	    {"accepted_edits", test_accepted_edits},
	    CU_TEST_INFO_NULL,
	};
	static CU_TestInfo corrupt[] = {
	    {"truncated_at_every_length", test_truncated_at_every_length},
	    {"every_header_byte_corrupted", test_every_header_byte_corrupted},
	    {"random_header_corruption", test_random_header_corruption},
	    CU_TEST_INFO_NULL,
	};
	static CU_TestInfo scripts[] = {
	    {"script_lines", test_script_lines},
	    {"script_buffers", test_script_buffers},
	    {"scripts_like_the_host", test_scripts_like_the_host},
	    CU_TEST_INFO_NULL,
	};
	if (unit_add_suite("elf_like_readelf", real) || unit_add_suite("elf_rules", rules) ||
	    unit_add_suite("elf_corrupt", corrupt) || unit_add_suite("elf_script", scripts))
		return -1;
	return 0;
}
