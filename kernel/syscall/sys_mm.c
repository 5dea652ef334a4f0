/* Memory syscalls: brk, mmap (anonymous, private), munmap, mprotect. */
#include <amphi/errno.h>
#include <amphi/plat.h>
#include <amphi/vm.h>

#include "syscalls.h"

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_KNOWN (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | \
		   0x4000 /* MAP_NORESERVE */ | 0x100 /* MAP_GROWSDOWN */ | 0x8000 /* MAP_POPULATE */)

/* The VM_* protection of PROT_* bits; -EINVAL for unknown bits, -EACCES for W+X. */
static long mm_prot(unsigned long prot)
{
	if (prot & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EACCES; /* W^X */
	return (long)prot; /* the same bits as VM_READ, VM_WRITE, VM_EXEC */
}

long sys_brk(struct process *p, const unsigned long *a)
{
	struct vm_space *vm = p->vm;
	uintptr_t want = a[0], old_end = ALIGN_UP(vm->brk, PAGE_SIZE);

	if (want < vm->brk_start)
		return (long)vm->brk;
	uintptr_t new_end = ALIGN_UP(want, PAGE_SIZE);
	int err = 0;
	if (new_end > old_end) {
		err = plat_user_range_ok(old_end, new_end)
			  ? vm_area_add(vm, old_end, new_end, VM_READ | VM_WRITE, VMA_HEAP, NULL, 0, 0)
			  : -ENOMEM;
	} else if (new_end < old_end) {
		err = vm_unmap(vm, new_end, old_end);
	}
	if (!err)
		vm->brk = want;
	return (long)vm->brk;
}

long sys_mmap(struct process *p, const unsigned long *a)
{
	uintptr_t addr = a[0];
	size_t len = ALIGN_UP(a[1], PAGE_SIZE);
	unsigned long flags = a[3];
	long prot = mm_prot(a[2]);

	if (prot < 0)
		return prot;
	if (!a[1] || len < a[1] || (flags & ~(unsigned long)MAP_KNOWN) ||
	    !(flags & (MAP_SHARED | MAP_PRIVATE)) || !IS_ALIGNED(addr, PAGE_SIZE))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS) || (flags & MAP_SHARED))
		return -ENODEV; /* file and shared mappings arrive with the VFS */
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	if (!fixed)
		addr = vm_find_free(p->vm, len);
	if (!addr || addr + len < addr || !plat_user_range_ok(addr, addr + len))
		return -ENOMEM;
	if (flags & MAP_FIXED) {
		int err = vm_unmap(p->vm, addr, addr + len);
		if (err)
			return err;
	}
	int err = vm_area_add(p->vm, addr, addr + len, (unsigned)prot, 0, NULL, 0, 0);
	return err ? err : (long)addr;
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
	return len ? vm_protect(p->vm, a[0], a[0] + len, (unsigned)prot) : 0;
}
