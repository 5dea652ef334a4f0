/*
 * The kernel side of the ELF target: execve of the input by the served process, through
 * the kernel's own path (task_execve: #! lines, the ELF checks, the new address space, the
 * initial stack), then a check of what it built. Built as kernel code (its headers), but not
 * instrumented: coverage comes from the loader only.
 */
#include <amphi/elf.h>
#include <amphi/errno.h>
#include <amphi/panic.h>
#include <amphi/proc.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#include "elf_exec.h"

#define FUZZ_ELF_EDGE 8192u /* bytes checked at each end of a segment's file and zero parts */
#define FUZZ_ELF_ERRNO_MAX 133 /* the largest Linux errno (EHWPOISON) */

/* Panics unless the user range [uva, uva + len) of vm reads as want (NULL: zeros). */
static void elf_check_bytes(struct vm_space *vm, uintptr_t uva, const uint8_t *want, size_t len,
			    const char *what)
{
	uint8_t buf[256];

	for (size_t done = 0; done < len;) {
		size_t n = MIN(len - done, sizeof(buf));
		int err = vm_copy_from_user(vm, buf, uva + done, n);
		if (err)
			panic("fuzz elf: %s at %#lx not readable: error %d", what,
			      (unsigned long)(uva + done), err);
		for (size_t i = 0; i < n; i++) {
			uint8_t expect = want ? want[done + i] : 0;
			if (buf[i] != expect)
				panic("fuzz elf: %s at %#lx reads %#x, not %#x", what,
				      (unsigned long)(uva + done + i), buf[i], expect);
		}
		done += n;
	}
}

/* Checks the first and last FUZZ_ELF_EDGE bytes of [uva, uva + len) (all of a short one). */
static void elf_check_ends(struct vm_space *vm, uintptr_t uva, const uint8_t *want, uint64_t len,
			   const char *what)
{
	if (len <= 2 * FUZZ_ELF_EDGE) {
		elf_check_bytes(vm, uva, want, (size_t)len, what);
		return;
	}
	uint64_t tail = len - FUZZ_ELF_EDGE;
	elf_check_bytes(vm, uva, want, FUZZ_ELF_EDGE, what);
	elf_check_bytes(vm, uva + tail, want ? want + tail : NULL, FUZZ_ELF_EDGE, what);
}

/* Checks that each readable segment of info, at bias, holds its file bytes then zeros (with
 * r->plant, that its first byte is the file's flipped). */
static void elf_check_segments(struct vm_space *vm, const struct elf_info *info, uintptr_t bias,
			       const struct fuzz_elf_run *r)
{
	const uint8_t *image = r->image;

	for (unsigned i = 0; i < info->nseg; i++) {
		const struct elf_segment *s = &info->seg[i];
		if (!(s->prot & ELF_PROT_R))
			continue;
		if (r->plant && s->filesz) {
			uint8_t flipped = image[s->offset] ^ 1;
			elf_check_bytes(vm, s->vaddr + bias, &flipped, 1, "file bytes");
		}
		elf_check_ends(vm, s->vaddr + bias, image + s->offset, s->filesz, "file bytes");
		elf_check_ends(vm, s->vaddr + bias + s->filesz, NULL, s->memsz - s->filesz,
			       "zero fill");
	}
}

/* Checks that the stack at sp starts with argc 2 and argv[0] = path. */
static void elf_check_stack(struct vm_space *vm, uintptr_t sp, const char *path)
{
	uint64_t words[2];
	char arg0[64];

	if (sp & 15)
		panic("fuzz elf: initial stack pointer %#lx not 16-byte aligned", (unsigned long)sp);
	if (vm_copy_from_user(vm, words, sp, sizeof(words)))
		panic("fuzz elf: the initial stack at %#lx is not readable", (unsigned long)sp);
	if (words[0] != 2)
		panic("fuzz elf: argc on the stack is %lu, not 2", (unsigned long)words[0]);
	long n = vm_copy_string(vm, arg0, words[1], sizeof(arg0));
	if (n < 0 || strcmp(arg0, path))
		panic("fuzz elf: argv[0] on the stack is not %s (%ld)", path, n);
}

/* Checks execve's result err against what elf_parse said of the image (parsed, info). */
static void elf_check_result(const struct fuzz_elf_run *r, long err, int parsed)
{
	bool script = r->size >= 2 && r->image[0] == '#' && r->image[1] == '!';

	if (err > 0 || err < -FUZZ_ELF_ERRNO_MAX)
		panic("fuzz elf: execve returned %ld, not 0 or an errno", err);
	if (script && !err)
		panic("fuzz elf: a script ran with no interpreter to run it");
	if (!script && parsed && err != -ENOEXEC)
		panic("fuzz elf: execve of a file elf_parse refuses returned %ld, not -ENOEXEC",
		      err);
	if (!script && !parsed && err && err != -ENOEXEC && err != -ENOMEM)
		panic("fuzz elf: execve of a valid image returned %ld", err);
}

long fuzz_elf_exec(void *arg)
{
	const struct fuzz_elf_run *r = arg;
	struct task *t = task_current();
	const char *const argv[] = {r->path, "fuzz", NULL};
	const char *const envp[] = {"FUZZ=1", NULL};
	struct elf_info info;
	int parsed = elf_parse(r->image, MIN(r->size, (size_t)ELF_HEAD_MAX), r->size,
			       GUEST_ELF_MACHINE, &info);

	long err = task_execve(t, r->path, argv, envp);
	elf_check_result(r, err, parsed);
	if (err)
		return err;
	uintptr_t pc = arch_user_pc(&t->regs), bias = pc - info.entry;
	if (!info.pie && bias)
		panic("fuzz elf: ET_EXEC starts at %#lx, not its entry %#lx", (unsigned long)pc,
		      (unsigned long)info.entry);
	elf_check_segments(t->proc->vm, &info, bias, r);
	elf_check_stack(t->proc->vm, arch_user_sp(&t->regs), r->path);
	return 0;
}
