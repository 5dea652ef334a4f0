/*
 * exec: a static ELF program into a fresh address space, with the initial stack Linux lays
 * out (System V ABI): argc, argv pointers, NULL, envp pointers, NULL, the auxiliary vector,
 * then the strings, AT_RANDOM's 16 bytes and the platform name near the top.
 */
#include <amphi/elf.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/proc.h>
#include <amphi/random.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#define EXEC_ARGS_MAX (256UL << 10) /* argv and envp strings together, 1/32 of 8 MiB */
/* The main thread's stack area is RLIMIT_STACK's soft limit, within these bounds. */
#define EXEC_STACK_MIN (2 * EXEC_ARGS_MAX)
#define EXEC_STACK_MAX (64UL << 20)
#define EXEC_PIE_BASE 0x200000000ULL /* where static-PIE programs are placed */
#define EXEC_AUXV_MAX 24
/* the strings, a pointer to each (at most EXEC_ARGS_MAX / 8 of them) and room for auxv */
#define EXEC_STACK_BUF (2 * EXEC_ARGS_MAX + 64 * 1024)

/* The stack being built: a kernel buffer that becomes the top of the user stack. */
struct exec_stack {
	uint8_t *buf;	 /* size bytes, at most EXEC_STACK_BUF */
	size_t size;	 /* of buf */
	size_t used;	 /* bytes at the top of buf in use */
	uintptr_t top;	 /* user address of buf[size] */
	uintptr_t arg_start, arg_end; /* where the argv strings went (/proc/<pid>/cmdline) */
};

/* Pushes len bytes at the top of the stack; returns their user address, or 0 when full. */
static uintptr_t exec_push(struct exec_stack *s, const void *data, size_t len)
{
	if (len > s->size - s->used)
		return 0;
	s->used += len;
	memcpy(s->buf + s->size - s->used, data, len);
	return s->top - s->used;
}

/* Counts the strings of a NULL-terminated vector. */
static size_t exec_count(const char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Pushes the strings of v (n of them) and stores their user addresses in addrs. Returns 0
 * or -E2BIG. */
static int exec_push_strings(struct exec_stack *s, const char *const *v, size_t n,
			     uint64_t *addrs)
{
	for (size_t i = n; i-- > 0;) {
		addrs[i] = exec_push(s, v[i], strlen(v[i]) + 1);
		if (!addrs[i] || s->used > EXEC_ARGS_MAX)
			return -E2BIG;
	}
	return 0;
}

/* Bytes of the vector v's strings, counted until they pass limit. */
static size_t exec_strings_bytes(const char *const *v, size_t limit)
{
	size_t n = 0;

	for (size_t i = 0; v && v[i] && n <= limit; i++)
		n += strlen(v[i]) + 1;
	return n;
}

/* Bytes the initial stack of path, argv and envp can take (the buffer it is built in, so
 * that building touches no more memory than it fills), at most EXEC_STACK_BUF: past that,
 * building reports -E2BIG whatever the buffer. */
static size_t exec_stack_bytes(const char *path, const char *const *argv,
			       const char *const *envp)
{
	/* the strings, the platform name, AT_RANDOM's bytes and the 16-byte alignment */
	size_t bytes = strlen(path) + 1 + strlen(plat_user_platform()) + 1 + 16 + 15 +
		       exec_strings_bytes(argv, EXEC_STACK_BUF) +
		       exec_strings_bytes(envp, EXEC_STACK_BUF);
	/* argc, the pointers (no more than the strings) and their NULLs, and the auxv */
	size_t words = 3 + MIN(exec_count(argv) + exec_count(envp), bytes) + EXEC_AUXV_MAX * 2;

	return MIN(bytes + words * 8, (size_t)EXEC_STACK_BUF);
}

/* Fills auxv (pairs, AT_NULL last) for the program described by info at load bias. */
static size_t exec_auxv(uint64_t *auxv, const struct process *p, const struct elf_info *info,
			uintptr_t bias, uintptr_t random, uintptr_t platform, uintptr_t execfn)
{
	const uint64_t pairs[][2] = {
	    {AT_PHDR, info->phdr_vaddr + bias},
	    {AT_PHENT, info->phentsize},
	    {AT_PHNUM, info->phnum},
	    {AT_PAGESZ, PAGE_SIZE},
	    {AT_BASE, 0},
	    {AT_FLAGS, 0},
	    {AT_ENTRY, info->entry + bias},
	    {AT_UID, p->uid},
	    {AT_EUID, p->euid},
	    {AT_GID, 0},
	    {AT_EGID, 0},
	    {AT_SECURE, 0},
	    {AT_CLKTCK, 100},
	    {AT_HWCAP, plat_user_hwcap()},
	    {AT_HWCAP2, plat_user_hwcap2()},
	    {AT_RANDOM, random},
	    {AT_PLATFORM, platform},
	    {AT_EXECFN, execfn},
	    {AT_NULL, 0},
	};
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		auxv[n++] = pairs[i][0];
		auxv[n++] = pairs[i][1];
	}
	return n;
}

/* Lays out the initial stack into s and returns the stack pointer, or 0 with *err set. */
static uintptr_t exec_build_stack(struct exec_stack *s, const struct process *p,
				  const struct elf_info *info, uintptr_t bias, const char *path,
				  const char *const *argv, const char *const *envp, int *err)
{
	size_t argc = exec_count(argv), envc = exec_count(envp);
	uint8_t random[16];
	const char *platform = plat_user_platform();
	uint64_t auxv[EXEC_AUXV_MAX * 2];

	*err = -E2BIG;
	if (argc + envc > EXEC_ARGS_MAX / sizeof(uint64_t))
		return 0;
	uint64_t *ptrs = kmalloc((argc + envc + 1) * sizeof(uint64_t));
	*err = -ENOMEM;
	if (!ptrs)
		return 0;
	random_bytes(random, sizeof(random));
	uintptr_t execfn = exec_push(s, path, strlen(path) + 1);
	*err = exec_push_strings(s, envp, envc, ptrs + argc);
	size_t args_from = s->used;
	if (!*err)
		*err = exec_push_strings(s, argv, argc, ptrs);
	s->arg_start = s->top - s->used;
	s->arg_end = s->top - args_from;
	uintptr_t plat_at = exec_push(s, platform, strlen(platform) + 1);
	uintptr_t random_at = exec_push(s, random, sizeof(random));
	size_t nauxv = exec_auxv(auxv, p, info, bias, random_at, plat_at, execfn);
	/* what follows is 8-byte words: argc, argv, NULL, envp, NULL, auxv; sp 16-aligned */
	size_t words = 1 + argc + 1 + envc + 1 + nauxv;
	s->used = ALIGN_UP(s->used + words * 8, 16) - words * 8;
	uint64_t zero = 0, count = argc;
	bool ok = !*err && execfn && plat_at && random_at;
	ok = ok && exec_push(s, auxv, nauxv * 8) && exec_push(s, &zero, 8);
	ok = ok && (!envc || exec_push(s, ptrs + argc, envc * 8)) && exec_push(s, &zero, 8);
	ok = ok && (!argc || exec_push(s, ptrs, argc * 8));
	uintptr_t sp = ok ? exec_push(s, &count, 8) : 0;
	kfree(ptrs);
	if (!sp && !*err)
		*err = -E2BIG;
	return sp;
}

/* Adds an area for each loadable segment of the program image at bias. */
static int exec_map_segments(struct vm_space *vm, struct vm_object *file,
			     const struct elf_info *info, uintptr_t bias)
{
	for (unsigned i = 0; i < info->nseg; i++) {
		const struct elf_segment *seg = &info->seg[i];
		uintptr_t start = ALIGN_DOWN(seg->vaddr + bias, PAGE_SIZE);
		uintptr_t end = ALIGN_UP(seg->vaddr + seg->memsz + bias, PAGE_SIZE);
		uintptr_t skip = seg->vaddr + bias - start; /* file bytes before vaddr in its page */
		unsigned prot = ((seg->prot & ELF_PROT_R) ? VM_READ : 0) |
				((seg->prot & ELF_PROT_W) ? VM_WRITE : 0) |
				((seg->prot & ELF_PROT_X) ? VM_EXEC : 0);
		if (!plat_user_range_ok(start, end))
			return -ENOEXEC;
		int err = vm_area_add(vm, start, end, prot, 0, file, seg->offset - skip,
				      seg->filesz + skip);
		if (err)
			return err == -ENOMEM ? err : -ENOEXEC;
	}
	return 0;
}

/* The object holding the guest's rt_sigreturn call, made at the first call and shared by
 * every process; NULL when out of memory. */
static struct vm_object *exec_sigreturn_object(void)
{
	static const uint8_t code[] = GUEST_SIGRETURN_CODE;
	static struct spinlock lock = SPINLOCK_INIT("exec_sigreturn");
	static struct vm_object *obj;

	irqflags_t irq = spin_lock_irqsave(&lock);
	if (!obj) {
		obj = vm_object_create();
		if (obj && vm_object_write(obj, 0, code, sizeof(code)) != (long)sizeof(code)) {
			vm_object_put(obj);
			obj = NULL;
		}
	}
	spin_unlock_irqrestore(&lock, irq);
	return obj;
}

/* Maps the rt_sigreturn page below the mmap top (executable, read-only) where the guest has
 * one: a handler whose action names no sa_restorer returns through it, as through Linux's
 * vDSO trampoline (aarch64 libcs rely on that). */
static int exec_map_sigreturn(struct vm_space *vm)
{
	uintptr_t at = vm->mmap_top - PAGE_SIZE;

	if (!GUEST_SIGRETURN_PAGE)
		return 0;
	struct vm_object *obj = exec_sigreturn_object();
	if (!obj)
		return -ENOMEM;
	int err = vm_area_add(vm, at, at + PAGE_SIZE, VM_READ | VM_EXEC, 0, obj, 0, PAGE_SIZE);
	if (err)
		return err;
	vm->sigreturn = at;
	vm->mmap_top = at - PAGE_SIZE * 16;
	return 0;
}

/* The size of p's main stack area: its RLIMIT_STACK soft limit, in page-aligned bounds. */
static size_t exec_stack_size(const struct process *p)
{
	uint64_t want =
	    ALIGN_DOWN(MIN(rlimit_cur(p, RLIMIT_STACK), (uint64_t)EXEC_STACK_MAX), PAGE_SIZE);

	return (size_t)MAX(want, (uint64_t)EXEC_STACK_MIN);
}

/* Builds the address space of the program: segments, heap start, stack. Returns 0 with
 * the initial stack pointer in *sp, or a negative errno. */
static int exec_build_space(struct vm_space *vm, const struct process *p, struct vm_object *file,
			    const struct elf_info *info, uintptr_t bias, const char *path,
			    const char *const *argv, const char *const *envp, uintptr_t *sp)
{
	size_t stack_size = exec_stack_size(p);
	uintptr_t top = plat_user_stack_top();
	struct exec_stack s = {.size = exec_stack_bytes(path, argv, envp), .top = top};
	int err = exec_map_segments(vm, file, info, bias);

	if (err)
		return err;
	/* a segment where the stack or the sigreturn page goes (-EEXIST) is the image's fault */
	err = vm_area_add(vm, top - stack_size, top, VM_READ | VM_WRITE, VMA_STACK, NULL, 0, 0);
	if (err)
		return err == -ENOMEM ? err : -ENOEXEC;
	vm->brk_start = vm->brk = info->hi + bias;
	vm->mmap_top = top - stack_size - PAGE_SIZE * 16;
	err = exec_map_sigreturn(vm);
	if (err)
		return err == -ENOMEM ? err : -ENOEXEC;
	/* after the last executable area */
	vm->code_key = (uintptr_t)(vm_object_id(file) << 1) ^ bias;
	s.buf = kmalloc(s.size);
	if (!s.buf)
		return -ENOMEM;
	*sp = exec_build_stack(&s, p, info, bias, path, argv, envp, &err);
	if (*sp)
		err = vm_copy_to_user(vm, *sp, s.buf + s.size - s.used, s.used);
	vm->arg_start = s.arg_start;
	vm->arg_end = s.arg_end;
	kfree(s.buf);
	return err;
}

/* The last path component of path. */
static const char *exec_basename(const char *path)
{
	const char *base = path;

	for (const char *c = path; *c; c++) {
		if (*c == '/')
			base = c + 1;
	}
	return base;
}

/* Reads the start of file and parses it into *info. Returns 0, -ENOEXEC (with the reason in
 * info->error), -ENOMEM. */
static int exec_parse(struct vm_object *file, struct elf_info *info)
{
	uint8_t *head = kmalloc(ELF_HEAD_MAX);

	if (!head)
		return -ENOMEM;
	long got = vm_object_read(file, 0, head, ELF_HEAD_MAX);
	int err = got < 0 ? (int)got
			  : elf_parse(head, (size_t)got, vm_object_size(file), GUEST_ELF_MACHINE, info);
	kfree(head);
	return err;
}

int exec_image(struct task *t, struct vm_object *file, const char *path,
	       const char *const *argv, const char *const *envp, const char **why)
{
	struct process *p = t->proc;
	struct elf_info info = {0};
	uintptr_t sp = 0;

	if (strlen(path) >= PROC_PATH_MAX)
		return -ENAMETOOLONG;
	int err = exec_parse(file, &info);
	if (why)
		*why = info.error ? info.error : "";
	if (err)
		return err;
	uintptr_t bias = info.pie ? EXEC_PIE_BASE : 0;
	struct vm_space *vm = vm_space_create();
	if (!vm)
		return -ENOMEM;
	err = exec_build_space(vm, p, file, &info, bias, path, argv, envp, &sp);
	if (!err &&
	    (vm->total_vm > rlimit_cur(p, RLIMIT_AS) || vm->data_vm > rlimit_cur(p, RLIMIT_DATA)))
		err = -ENOMEM; /* the image and stack alone pass RLIMIT_AS or RLIMIT_DATA */
	if (err) {
		vm_space_put(vm);
		return err;
	}
	struct vm_space *old = p->vm;
	struct vm_object *old_file = p->exe_file;
	vm_object_get(file);
	irqflags_t flags = spin_lock_irqsave(&proc_lock);
	p->vm = vm;
	p->exe_file = file;
	spin_unlock_irqrestore(&proc_lock, flags);
	if (old)
		vm_space_put(old);
	if (old_file)
		vm_object_put(old_file);
	arch_user_regs_init(&t->regs, info.entry + bias, sp);
	kstrlcpy(p->exe, path, sizeof(p->exe));
	kstrlcpy(p->comm, exec_basename(path), sizeof(p->comm));
	return 0;
}
