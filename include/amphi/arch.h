/*
 * arch.h: the instruction-set contract. Each ISA implements it in arch/<isa>/include/isa/,
 * and that code is compiled into both the bare-metal build and the hosted build for the
 * same ISA. Hot paths are static inline there; this header states their contracts.
 * Page tables, user frames, the syscall ABI and signal frames join as they land.
 */
#pragma once

#include <amphi/types.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)

/* One saved frame-pointer record: every supported ISA keeps {caller fp, return address}
 * at the frame pointer when built with -fno-omit-frame-pointer. */
struct arch_frame_record {
	const struct arch_frame_record *next;
	uintptr_t return_address;
};

/*
 * The executing CPU: what kernel code needs from the processor it runs on. On metal that is
 * the target ISA; the hosted build always executes on the host CPU (x86_64 or aarch64),
 * whatever guest ISA it models, and takes this half from arch/<host isa>/.
 * Atomics are the compiler's __atomic builtins, which every supported ISA implements
 * inline (<amphi/atomic.h> names the ones the kernel uses).
 *
 * <isa/cpu.h> defines ARCH_NAME (e.g. "x86_64"), ARCH_ELF_MACHINE (e_machine of the ISA's
 * ELF files) and the inline hooks declared here, so the compiler checks each definition.
 */

/* Spin-loop hint; no other effect. */
static inline void arch_cpu_relax(void);

/* Full memory barrier for normal memory. */
static inline void arch_barrier(void);

/* The calling function's frame record, the start of a backtrace walk. */
static inline const struct arch_frame_record *arch_frame_pointer(void);

#include <isa/cpu.h>

/* Implemented in arch/<isa>/cpu/switch.S: */

/* Pushes the callee-saved registers and the return address on the executing stack, stores
 * the stack pointer into *from_sp (the last store to that stack), loads to_sp and returns
 * into the context saved there. */
void arch_ctx_switch(uintptr_t *from_sp, uintptr_t to_sp);

/* Lays out, below stack_top (16-byte aligned), a frame that arch_ctx_switch resumes as a
 * call of entry(arg) with a zero frame pointer (the outermost frame of a backtrace).
 * Returns the stack pointer to pass to arch_ctx_switch. */
uintptr_t arch_ctx_init_stack(uintptr_t stack_top, void (*entry)(void *arg), void *arg);

/*
 * The guest ISA: what a user program sees. Page tables are 4 levels of 512 entries over a
 * 48-bit address space with 4 KiB pages on every supported ISA (x86_64 4-level paging,
 * aarch64 4 KiB granule), so the walk is portable (kernel/mm/pgtable.c) and only the entry
 * format is the ISA's. Portable C with no inline assembly: the hosted build models either
 * guest ISA on either host. <guest/guest.h> (arch/<isa>/guest/include) defines
 * GUEST_ARCH_NAME, GUEST_ELF_MACHINE, struct user_regs and the inline hooks below.
 */

typedef uint64_t pte_t;

#define PT_LEVELS 4	    /* level 3 is the root, level 0 maps pages */
#define PT_ENTRIES 512	    /* per table, one page each */
#define USER_VA_END (1ULL << 47) /* user addresses are [0, USER_VA_END) */

/* Access and protection bits of a mapping (prot) and of an access (access). */
#define VM_READ 1u
#define VM_WRITE 2u
#define VM_EXEC 4u
#define VM_USER 8u /* user mode may access it */

/* An entry pointing to the next-level table at physical address table. */
static inline pte_t arch_pte_table(paddr_t table);

/* A level-0 entry mapping the page at physical address page with prot (VM_* bits; a
 * present page is always readable). */
static inline pte_t arch_pte_page(paddr_t page, unsigned prot);

/* True when e maps something (a table or a page). */
static inline bool arch_pte_valid(pte_t e);

/* True when e, an entry of a level-level table, points to a next-level table. */
static inline bool arch_pte_is_table(pte_t e, unsigned level);

/* The physical address e points to. */
static inline paddr_t arch_pte_addr(pte_t e);

/* The VM_* protection of a page entry e. */
static inline unsigned arch_pte_prot(pte_t e);

struct user_regs;

/* The syscall number, argument i (0-5) and result of a syscall stopped at r. */
static inline unsigned long arch_syscall_nr(const struct user_regs *r);
static inline unsigned long arch_syscall_arg(const struct user_regs *r, unsigned i);
static inline void arch_syscall_set_result(struct user_regs *r, long result);

/* Sets r for a new program starting at pc with stack pointer sp. */
static inline void arch_user_regs_init(struct user_regs *r, uintptr_t pc, uintptr_t sp);

/* The program counter and stack pointer of r. */
static inline uintptr_t arch_user_pc(const struct user_regs *r);
static inline uintptr_t arch_user_sp(const struct user_regs *r);

/* The thread pointer (x86_64 FS base, aarch64 TPIDR_EL0) of r. */
static inline void arch_user_set_tls(struct user_regs *r, uintptr_t tls);
static inline uintptr_t arch_user_tls(const struct user_regs *r);

/* Resets the FP/SIMD state of r to a new program's (a frame without one). */
static inline void arch_user_regs_init_fp(struct user_regs *r);

/* Sets the stack pointer of r (clone's new stack). */
static inline void arch_user_set_sp(struct user_regs *r, uintptr_t sp);

/* The result a syscall stopped at r returns (after arch_syscall_set_result). */
static inline long arch_syscall_result(const struct user_regs *r);

/* Makes r execute the syscall instruction it stopped after again, with number nr and
 * first argument arg0 as they were (a syscall restarted after a signal). */
static inline void arch_syscall_restart(struct user_regs *r, unsigned long nr,
					unsigned long arg0);

struct vm_space;

/* A signal frame to push (arch/<isa>/guest/signal.c lays it out as Linux's rt_sigframe). */
struct arch_sigframe {
	int signo;
	const uint8_t *siginfo; /* ARCH_SIGINFO_SIZE bytes: Linux's siginfo_t */
	uint64_t handler, flags, restorer; /* the action (SA_* flags) */
	uint64_t mask;			   /* restored by rt_sigreturn */
	uintptr_t sp;			   /* the frame goes below this */
	bool on_altstack;		   /* sp is the alternate stack's top */
	uintptr_t ss_sp;		   /* uc_stack: the alternate stack */
	size_t ss_size;
	int ss_flags;
	/* a memory fault's address and access (VM_READ, VM_WRITE, VM_EXEC), and whether the
	 * page was mapped (an access it forbids); access 0 when the signal is no fault */
	uintptr_t fault_addr;
	unsigned fault_access;
	bool fault_mapped;
	unsigned fault_trap; /* the plat_user_trap of a trap's signal, else 0 */
};

#define ARCH_SIGINFO_SIZE 128

/* Pushes a signal frame for f on the user stack of vm and sets r to run the handler
 * (arguments, stack, return address). Returns 0, or -EFAULT when the frame cannot be
 * written (r unchanged). */
int arch_signal_push(struct vm_space *vm, struct user_regs *r, const struct arch_sigframe *f);

/* rt_sigreturn: restores r and *mask from the frame the handler's return left at r's stack
 * pointer. Returns 0, or -EFAULT for a frame that cannot be read or is invalid (r may be
 * partly restored: the caller kills the task). */
int arch_signal_pop(struct vm_space *vm, struct user_regs *r, uint64_t *mask);

#include <guest/guest.h>
