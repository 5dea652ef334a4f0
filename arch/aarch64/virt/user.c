/* User mode on aarch64 (EL0) is not there yet: no program is ever started on this
 * platform, so plat_user_run is never reached with a process. */
#include <amphi/arch.h>
#include <amphi/panic.h>
#include <amphi/plat.h>

int plat_user_run(struct vm_space *vm, struct user_regs *regs, struct plat_user_fault *fault)
{
	(void)vm;
	(void)regs;
	(void)fault;
	panic("plat_user_run: user mode is not implemented on this platform yet");
}

bool plat_user_range_ok(uintptr_t start, uintptr_t end)
{
	(void)start;
	(void)end;
	return false;
}

uintptr_t plat_user_stack_top(void)
{
	return 0;
}

unsigned long plat_user_hwcap(void)
{
	return 0;
}

unsigned long plat_user_hwcap2(void)
{
	return 0;
}

const char *plat_user_platform(void)
{
	return ARCH_NAME;
}

void plat_mmu_invalidate(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	(void)vm;
	(void)start;
	(void)end;
}

void plat_mmu_root_init(void *root)
{
	(void)root;
}

void plat_mmu_root_release(paddr_t root)
{
	(void)root;
}
