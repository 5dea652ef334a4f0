/*
 * Static ELF64 executables and #! scripts, as exec sees them: elf_parse validates an image
 * held entirely in memory and describes what to map; elf_script_parse reads a script's
 * interpreter line. Nothing in the image is trusted: every offset, size and address is
 * checked (with overflow checks) before use, so a corrupt file gets -ENOEXEC and a reason.
 *
 * Only static executables are supported: ET_EXEC, or ET_DYN without PT_INTERP (static-PIE,
 * which relocates itself; every address in its elf_info is relative to the load bias).
 */
#pragma once

#include <amphi/types.h>

/* e_machine values. */
#define EM_X86_64 62
#define EM_AARCH64 183

/* Auxiliary vector tags, the Linux values. */
#define AT_NULL 0
#define AT_IGNORE 1
#define AT_EXECFD 2
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_EXECFN 31
#define AT_MINSIGSTKSZ 51

#define ELF_PAGE_SIZE 4096ull
#define ELF_USER_TOP 0x0000800000000000ull /* end of the 47-bit user half */
#define ELF_MAX_SPAN (64ull << 30)	   /* largest [lo, hi) accepted */
#define ELF_MAX_PHNUM 64
#define ELF_HEAD_MAX 4096 /* bytes of a file exec reads to parse it */
#define ELF_MAX_SEGMENTS 16
#define ELF_SCRIPT_LINE_MAX 256 /* bytes of a script Linux reads for its #! line */

#define ELF_PROT_R 1
#define ELF_PROT_W 2
#define ELF_PROT_X 4

/* One PT_LOAD: [vaddr, vaddr + memsz) in memory, its first filesz bytes from the file at
 * offset (the rest zero). vaddr and offset are congruent modulo ELF_PAGE_SIZE. */
struct elf_segment {
	uint64_t vaddr, memsz, offset, filesz;
	unsigned prot; /* ELF_PROT_* */
};

/* What elf_parse found. On -ENOEXEC only error is meaningful. */
struct elf_info {
	bool pie; /* ET_DYN (static-PIE): every address below is relative to a load bias */
	uint64_t entry;
	uint64_t phdr_vaddr; /* where the program headers are in memory (for AT_PHDR) */
	unsigned phnum, phentsize;
	uint64_t lo, hi; /* page-aligned span [lo, hi) covering every PT_LOAD */
	/* Largest PT_LOAD p_align, at least ELF_PAGE_SIZE: a PIE's load bias that is a
	 * multiple of it keeps every segment as aligned as the linker laid it out. */
	uint64_t align;
	bool exec_stack; /* PT_GNU_STACK asks for an executable stack (absent: false) */
	unsigned nseg;
	struct elf_segment seg[ELF_MAX_SEGMENTS]; /* in file order, ascending vaddr */
	const char *error; /* why elf_parse returned -ENOEXEC (a static string), else NULL */
};

/* Validates the ELF64 file of size bytes, whose first head_len bytes are at head, as a
 * static executable for e_machine machine and describes its loadable segments in *out.
 * Returns 0, or -ENOEXEC with the reason in out->error. Beyond the header checks: at most
 * ELF_MAX_PHNUM program headers, all in the file and in its first ELF_HEAD_MAX bytes (exec
 * reads no more to decide; linkers put them right after the header); no PT_INTERP; 1 to ELF_MAX_SEGMENTS PT_LOADs, each inside the file and the
 * user half, p_filesz <= p_memsz, p_align 0 or a power of two, p_vaddr = p_offset modulo
 * the page size, not both writable and executable, and on pages after the previous one's;
 * a span of at most ELF_MAX_SPAN that leaves page 0 alone (ET_EXEC); the entry point in the
 * file-backed part of an executable PT_LOAD, and so are the program headers (PT_PHDR's
 * p_vaddr, or e_phoff's place in a PT_LOAD). */
int elf_parse(const void *head, size_t head_len, uint64_t size, uint16_t machine,
	      struct elf_info *out);

/* Reads the "#!" line of the script [image, image+size) as Linux's binfmt_script does. It
 * looks at the first ELF_SCRIPT_LINE_MAX bytes (zeros past the end of the file): the line
 * ends at the first newline; without one it is the first ELF_SCRIPT_LINE_MAX - 1 bytes, and
 * the script is refused when the interpreter's name does not end (in a blank or NUL) within
 * them. Blanks (spaces, tabs) that end the line are dropped (not when a file without a
 * newline ends before it: then zeros end it). The interpreter is the first word after "#!"
 * (a NUL also ends it, and the line); the argument is the rest of the line after the blanks
 * that follow it, "" when there is none. interp and arg receive them NUL-terminated.
 * Returns 0, -ENOEXEC when the image is not a script or names no interpreter, or
 * -ENAMETOOLONG when one does not fit its buffer.
 * Two corners differ from Linux: an empty name ("#!" then a NUL or the end of the file) is
 * refused here, where Linux goes on to open "" and fails; and blanks after the name that
 * run into a NUL give arg "", where Linux passes an empty argument. */
int elf_script_parse(const void *image, size_t size, char *interp, size_t interp_cap, char *arg,
		     size_t arg_cap);
