/* ktest: the plat_user_run contract on a few instructions of the guest ISA, without a
 * process: a syscall stops the run after the instruction, a store to a page the space
 * allows is filled on the way, one it does not is a fault, an undefined instruction is
 * illegal, and an interrupt (a kernel timer) ends an endless loop. */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/ktest.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/timer.h>
#include <amphi/vm.h>

#define CODE_VA 0x400000UL
#define DATA_VA 0x500000UL
#define UNMAPPED_VA 0x1000UL
#define RUNS_MAX 100000 /* interrupt and budget stops before the timer must have fired */

/* The guest ISA's instructions: "syscall; undefined", "store reg1 to [reg0]; undefined"
 * and "branch to itself", with the size of one instruction before the undefined one. */
#if GUEST_ELF_MACHINE == 62
static const uint8_t code_syscall[] = {0x0f, 0x05, 0x0f, 0x0b}; /* syscall; ud2 */
static const uint8_t code_store[] = {0x48, 0x89, 0x18, 0x0f, 0x0b}; /* mov %rbx,(%rax); ud2 */
static const uint8_t code_loop[] = {0xeb, 0xfe};		     /* jmp . */
#define SYSCALL_SIZE 2
#define STORE_SIZE 3

/* Sets the syscall number, and reg0/reg1 of code_store. */
static void regs_set(struct user_regs *r, uint64_t nr, uint64_t reg0, uint64_t reg1)
{
	r->rax = reg0 ? reg0 : nr;
	r->rbx = reg1;
}
#else
static const uint8_t code_syscall[] = {0x01, 0x00, 0x00, 0xd4, 0, 0, 0, 0}; /* svc #0; udf */
static const uint8_t code_store[] = {0x01, 0x00, 0x00, 0xf9, 0, 0, 0, 0};   /* str x1,[x0]; udf */
static const uint8_t code_loop[] = {0x00, 0x00, 0x00, 0x14};		     /* b . */
#define SYSCALL_SIZE 4
#define STORE_SIZE 4

/* Sets the syscall number, and reg0/reg1 of code_store. */
static void regs_set(struct user_regs *r, uint64_t nr, uint64_t reg0, uint64_t reg1)
{
	r->x[8] = nr;
	r->x[0] = reg0;
	r->x[1] = reg1;
}
#endif

/* A space with code at CODE_VA (read + execute) and a data page at DATA_VA; panics when
 * there is no memory for it (the test cannot go on). */
static struct vm_space *space_with(struct ktest *t, const uint8_t *code, size_t len)
{
	struct vm_space *vm = vm_space_create();

	if (!vm)
		panic("user_run ktest: no memory for an address space");
	KTEST_EXPECT_EQ(t, vm_area_add(vm, CODE_VA, CODE_VA + PAGE_SIZE, VM_READ | VM_WRITE, 0,
				       NULL, 0, 0),
			0);
	KTEST_EXPECT_EQ(t, vm_copy_to_user(vm, CODE_VA, code, len), 0);
	KTEST_EXPECT_EQ(t, vm_protect(vm, CODE_VA, CODE_VA + PAGE_SIZE, VM_READ | VM_EXEC, NULL),
			0);
	KTEST_EXPECT_EQ(t, vm_area_add(vm, DATA_VA, DATA_VA + PAGE_SIZE, VM_READ | VM_WRITE, 0,
				       NULL, 0, 0),
			0);
	return vm;
}

/* Runs regs in vm until a stop other than an interrupt; returns it. */
static int run_to_stop(struct vm_space *vm, struct user_regs *regs, struct plat_user_fault *f)
{
	int stop;

	for (int i = 0; i < RUNS_MAX; i++)
		if ((stop = plat_user_run(vm, regs, f)) != PLAT_USER_INTERRUPT)
			return stop;
	return PLAT_USER_INTERRUPT;
}

static void user_run_syscall_then_illegal(struct ktest *t)
{
	static struct user_regs regs;
	struct plat_user_fault f;
	struct vm_space *vm = space_with(t, code_syscall, sizeof(code_syscall));

	arch_user_regs_init(&regs, CODE_VA, DATA_VA + PAGE_SIZE);
	regs_set(&regs, 12345, 0, 0);
	KTEST_EXPECT_EQ(t, run_to_stop(vm, &regs, &f), PLAT_USER_SYSCALL);
	KTEST_EXPECT_EQ(t, arch_syscall_nr(&regs), 12345);
	KTEST_EXPECT_EQ(t, arch_user_pc(&regs), CODE_VA + SYSCALL_SIZE);
	KTEST_EXPECT_EQ(t, run_to_stop(vm, &regs, &f), PLAT_USER_ILLEGAL);
	KTEST_EXPECT_EQ(t, arch_user_pc(&regs), CODE_VA + SYSCALL_SIZE);
	vm_space_put(vm);
}

static void user_run_store_fills_the_page(struct ktest *t)
{
	static struct user_regs regs;
	struct plat_user_fault f;
	uint64_t got = 0;
	struct vm_space *vm = space_with(t, code_store, sizeof(code_store));

	arch_user_regs_init(&regs, CODE_VA, DATA_VA + PAGE_SIZE);
	regs_set(&regs, 0, DATA_VA + 8, 0x1122334455667788ULL);
	KTEST_EXPECT_EQ(t, run_to_stop(vm, &regs, &f), PLAT_USER_ILLEGAL);
	KTEST_EXPECT_EQ(t, arch_user_pc(&regs), CODE_VA + STORE_SIZE);
	KTEST_EXPECT_EQ(t, vm_copy_from_user(vm, &got, DATA_VA + 8, sizeof(got)), 0);
	KTEST_EXPECT(t, got == 0x1122334455667788ULL);
	vm_space_put(vm);
}

static void user_run_store_to_nothing_faults(struct ktest *t)
{
	static struct user_regs regs;
	struct plat_user_fault f = {0};
	struct vm_space *vm = space_with(t, code_store, sizeof(code_store));

	arch_user_regs_init(&regs, CODE_VA, DATA_VA + PAGE_SIZE);
	regs_set(&regs, 0, UNMAPPED_VA + 16, 1);
	KTEST_EXPECT_EQ(t, run_to_stop(vm, &regs, &f), PLAT_USER_FAULT);
	KTEST_EXPECT_EQ(t, f.addr, UNMAPPED_VA + 16);
	KTEST_EXPECT_EQ(t, f.access, VM_WRITE);
	KTEST_EXPECT_EQ(t, f.error, -EFAULT);
	KTEST_EXPECT_EQ(t, arch_user_pc(&regs), CODE_VA); /* the store did not complete */
	vm_space_put(vm);
}

static bool timer_fired;

/* Records that the timer's interrupt came. */
static void user_run_timer(struct ktimer *timer)
{
	(void)timer;
	atomic_store(&timer_fired, true);
}

static void user_run_interrupt_ends_a_loop(struct ktest *t)
{
	static struct user_regs regs;
	static struct ktimer timer;
	struct plat_user_fault f;
	struct vm_space *vm = space_with(t, code_loop, sizeof(code_loop));
	int i = 0;

	arch_user_regs_init(&regs, CODE_VA, DATA_VA + PAGE_SIZE);
	atomic_store(&timer_fired, false);
	ktimer_init(&timer, user_run_timer);
	preempt_disable(); /* the timer interrupts this CPU: the loop must stay on it */
	ktimer_start(&timer, plat_time_ns() + 2000000);
	while (!atomic_load(&timer_fired) && i++ < RUNS_MAX)
		KTEST_EXPECT_EQ(t, plat_user_run(vm, &regs, &f), PLAT_USER_INTERRUPT);
	preempt_enable();
	KTEST_EXPECT(t, atomic_load(&timer_fired));
	KTEST_EXPECT_EQ(t, arch_user_pc(&regs), CODE_VA);
	ktimer_cancel(&timer);
	vm_space_put(vm);
}

static const struct ktest_case user_run_cases[] = {
    KTEST_CASE(user_run_syscall_then_illegal),
    KTEST_CASE(user_run_store_fills_the_page),
    KTEST_CASE(user_run_store_to_nothing_faults),
    KTEST_CASE(user_run_interrupt_ends_a_loop),
    {0},
};
KTEST_SUITE(user_run_suite, "user_run", user_run_cases);
