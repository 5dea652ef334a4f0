/* Memory syscalls: brk, mmap (anonymous, and of regular files, private or shared), munmap,
 * mprotect, mremap, madvise, and msync/mlock/munlock (all memory is resident and a file's
 * pages are its page cache, so they only check their arguments). RLIMIT_AS bounds the bytes
 * all areas cover, RLIMIT_DATA those of private writable ones (the heap among them), as
 * Linux since 4.7. */
#include <amphi/errno.h>
#include <amphi/fs.h>
#include <amphi/plat.h>
#include <amphi/vm.h>

#include "sys_fs.h"

#include "syscalls.h"

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_SHARED_VALIDATE 0x03
/* Flags taken as hints or acted on; MAP_SHARED_VALIDATE refuses others (EOPNOTSUPP), and
 * otherwise unknown flags are ignored, as Linux does (glibc passes MAP_STACK). */
#define MAP_KNOWN (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | \
		   0x4000 /* MAP_NORESERVE */ | 0x100 /* MAP_GROWSDOWN */ | 0x8000 /* MAP_POPULATE */ | \
		   0x800 /* MAP_DENYWRITE */ | 0x1000 /* MAP_EXECUTABLE */ | 0x2000 /* MAP_LOCKED */ | \
		   0x10000 /* MAP_NONBLOCK */ | 0x20000 /* MAP_STACK */)

/* The VM_* protection of PROT_* bits; -EINVAL for unknown bits, -EACCES for W+X. */
static long mm_prot(unsigned long prot)
{
	if (prot & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EACCES; /* W^X */
	return (long)prot; /* the same bits as VM_READ, VM_WRITE, VM_EXEC */
}

/* The limits p's new areas must keep (RLIMIT_AS and RLIMIT_DATA). */
static struct vm_limits mm_limits(const struct process *p)
{
	return (struct vm_limits){rlimit_cur(p, RLIMIT_AS), rlimit_cur(p, RLIMIT_DATA)};
}

/* brk(want): the new break, or the old one when it cannot move there (below the heap's
 * start, past a limit, over a mapping, out of memory). */
long sys_brk(struct process *p, const unsigned long *a)
{
	struct vm_space *vm = p->vm;
	uintptr_t want = a[0], old_end = ALIGN_UP(vm->brk, PAGE_SIZE);

	if (want < vm->brk_start)
		return (long)vm->brk;
	uintptr_t new_end = ALIGN_UP(want, PAGE_SIZE);
	int err = 0;
	if (new_end > old_end) {
		struct vm_limits lim = mm_limits(p);
		err = plat_user_range_ok(old_end, new_end)
			  ? vm_may_map(vm, old_end, new_end, VM_READ | VM_WRITE, VMA_HEAP, &lim)
			  : -ENOMEM;
		if (!err)
			err = vm_area_add(vm, old_end, new_end, VM_READ | VM_WRITE, VMA_HEAP, NULL,
					  0, 0);
	} else if (new_end < old_end) {
		err = vm_unmap(vm, new_end, old_end);
	}
	if (!err)
		vm->brk = want;
	return (long)vm->brk;
}

/* The memory object mmap maps: a regular file's or a device's (a reference in *obj), a new one for shared
 * anonymous memory, or none (private anonymous). Returns 0 or mmap's errno. */
static long mm_object(struct process *p, const unsigned long *a, size_t len,
		      struct vm_object **obj)
{
	unsigned long flags = a[3];

	*obj = NULL;
	if (flags & MAP_ANONYMOUS) {
		if (!(flags & MAP_SHARED))
			return 0;
		*obj = vm_object_create();
		if (!*obj)
			return -ENOMEM;
		return vm_object_truncate(*obj, len);
	}
	if (!IS_ALIGNED(a[5], PAGE_SIZE))
		return -EINVAL;
	struct file *f = sys_file(p, a[4]);
	if (!f)
		return -EBADF;
	struct inode *inode = f->path.inode;
	unsigned acc = f->flags & O_ACCMODE;
	long err = 0;
	if ((f->flags & O_PATH) || acc == O_WRONLY)
		err = -EACCES;
	else if ((flags & MAP_SHARED) && (a[2] & PROT_WRITE) && acc != O_RDWR)
		err = -EACCES;
	else if (inode && S_ISCHR(inode->mode)) /* a device with memory (a framebuffer) */
		err = f->ops->mmap_object && (*obj = f->ops->mmap_object(f)) ? 0 : -ENODEV;
	else if (!inode || !S_ISREG(inode->mode) || !inode->data)
		err = -ENODEV;
	if (!err && !*obj) {
		vm_object_get(inode->data);
		*obj = inode->data;
	}
	file_put(f);
	return err;
}

/* Adds the mapping of obj (NULL: anonymous) at offset off with prot, at addr (a hint
 * unless MAP_FIXED) for len bytes. Returns the address or an errno. */
static long mm_map(struct process *p, uintptr_t addr, size_t len, unsigned prot,
		   unsigned long flags, struct vm_object *obj, uint64_t off)
{
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	if (!fixed)
		addr = vm_find_free(p->vm, len);
	if (!addr || addr + len < addr || !plat_user_range_ok(addr, addr + len))
		return -ENOMEM;
	unsigned vma = (flags & MAP_SHARED) ? VMA_SHARED : 0;
	struct vm_limits lim = mm_limits(p);
	int limit_err = vm_may_map(p->vm, addr, addr + len, prot, vma, &lim);
	if (limit_err)
		return limit_err; /* before MAP_FIXED drops what was there, as Linux */
	if (flags & MAP_FIXED) {
		int err = vm_unmap(p->vm, addr, addr + len);
		if (err)
			return err;
	}
	size_t file_len = obj ? (size_t)MIN((uint64_t)len, VM_OBJECT_MAX_SIZE - off) : 0;
	int err = vm_area_add(p->vm, addr, addr + len, prot, vma, obj, obj ? off : 0, file_len);
	return err ? err : (long)addr;
}

long sys_mmap(struct process *p, const unsigned long *a)
{
	uintptr_t addr = a[0];
	size_t len = ALIGN_UP(a[1], PAGE_SIZE);
	unsigned long flags = a[3];
	long prot = mm_prot(a[2]);

	if (prot < 0)
		return prot;
	if ((flags & MAP_SHARED_VALIDATE) == MAP_SHARED_VALIDATE &&
	    (flags & ~(unsigned long)MAP_KNOWN))
		return -EOPNOTSUPP;
	if (!a[1] || len < a[1] || !(flags & (MAP_SHARED | MAP_PRIVATE)) ||
	    !IS_ALIGNED(addr, PAGE_SIZE))
		return -EINVAL;
	struct vm_object *obj = NULL;
	long err = mm_object(p, a, len, &obj);
	if (err)
		return err;
	err = mm_map(p, addr, len, (unsigned)prot, flags, obj, a[5]);
	if (obj)
		vm_object_put(obj);
	return err;
}

long sys_munmap(struct process *p, const unsigned long *a)
{
	size_t len = ALIGN_UP(a[1], PAGE_SIZE);

	if (!a[1] || len < a[1] || !IS_ALIGNED(a[0], PAGE_SIZE))
		return -EINVAL;
	return vm_unmap(p->vm, a[0], a[0] + len);
}

long sys_mprotect(struct process *p, const unsigned long *a)
{
	size_t len = ALIGN_UP(a[1], PAGE_SIZE);
	long prot = mm_prot(a[2]);

	if (prot < 0)
		return prot;
	if (!IS_ALIGNED(a[0], PAGE_SIZE) || len < a[1] || a[0] + len < a[0])
		return -EINVAL;
	struct vm_limits lim = mm_limits(p);
	return len ? vm_protect(p->vm, a[0], a[0] + len, (unsigned)prot, &lim) : 0;
}

#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2

long sys_mremap(struct process *p, const unsigned long *a)
{
	size_t old_len = ALIGN_UP(a[1], PAGE_SIZE), new_len = ALIGN_UP(a[2], PAGE_SIZE);
	unsigned long flags = a[3];

	if ((flags & ~(unsigned long)(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) || old_len < a[1] ||
	    new_len < a[2] || ((flags & MREMAP_FIXED) && !a[4]))
		return -EINVAL;
	struct vm_limits lim = mm_limits(p);
	return vm_remap(p->vm, a[0], old_len, new_len, flags & MREMAP_MAYMOVE,
			(flags & MREMAP_FIXED) ? a[4] : 0, &lim);
}

#define MADV_DONTNEED 4
#define MADV_FREE 8
/* Advice taken as a hint: NORMAL, RANDOM, SEQUENTIAL, WILLNEED, MERGEABLE, UNMERGEABLE,
 * HUGEPAGE, NOHUGEPAGE, DONTDUMP, DODUMP. */
#define MADV_HINTS                                                                              \
	((1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) | (1u << 12) | (1u << 13) | (1u << 14) | \
	 (1u << 15) | (1u << 16) | (1u << 17))

/* The page-aligned range [a[0], a[0] + a[1]) of a madvise/msync/mlock call; -EINVAL for a
 * misaligned start or a wrapping length. */
static long mm_range(const unsigned long *a, uintptr_t *end)
{
	size_t len = ALIGN_UP(a[1], PAGE_SIZE);

	if (!IS_ALIGNED(a[0], PAGE_SIZE) || len < a[1] || a[0] + len < a[0])
		return -EINVAL;
	*end = a[0] + len;
	return 0;
}

long sys_madvise(struct process *p, const unsigned long *a)
{
	uintptr_t end;
	long err = mm_range(a, &end);

	if (err)
		return err;
	if (a[2] == MADV_DONTNEED || a[2] == MADV_FREE) /* FREE may drop at once */
		return end > a[0] ? vm_discard(p->vm, a[0], end) : 0;
	return a[2] < 32 && (MADV_HINTS & (1u << a[2])) ? 0 : -EINVAL;
}

#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4

long sys_msync(struct process *p, const unsigned long *a)
{
	uintptr_t end;
	long err = mm_range(a, &end);

	if (err || (a[2] & ~(unsigned long)(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
	    ((a[2] & MS_ASYNC) && (a[2] & MS_SYNC)))
		return -EINVAL;
	return end == a[0] || vm_mapped(p->vm, a[0], end) ? 0 : -ENOMEM;
}

/* mlock and munlock: every page stays resident already. */
long sys_mlock(struct process *p, const unsigned long *a)
{
	uintptr_t end;
	unsigned long aligned[2] = {ALIGN_DOWN(a[0], PAGE_SIZE), a[1] + (a[0] & (PAGE_SIZE - 1))};
	long err = mm_range(aligned, &end);

	if (err)
		return err;
	return end == aligned[0] || vm_mapped(p->vm, aligned[0], end) ? 0 : -ENOMEM;
}

long sys_munlock(struct process *p, const unsigned long *a)
{
	return sys_mlock(p, a);
}
