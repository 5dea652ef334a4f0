/*
 * user.h: user mode in the hosted machine, shared by the engine (engine.c) and the guest
 * ISA's part (x86_64.c, aarch64.c). User code runs in Unicorn engines, a few per simulated
 * CPU, each over its own host windows: PROT_NONE reservations mapped into the engine as one
 * region each, where pages of the RAM memfd are mapped on demand after the kernel's own
 * tables say so.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <unicorn/unicorn.h>

struct user_regs;
struct vm_space;

/* The user address ranges the windows cover: low (program, heap) and high (mmap, stack). */
#define SIM_USER_LO_START 0x0ULL
#define SIM_USER_LO_END (16ULL << 30)
#define SIM_USER_HI_START 0x7ffc00000000ULL
#define SIM_USER_HI_END 0x800000000000ULL

/* Why the engine stopped, as plat_user_stop plus "nothing yet". */
#define SIM_USER_RUNNING (-1)

/* Engines each CPU keeps. Each has its own windows, which keep the pages of the space it
 * last ran mapped while other spaces run (switching back costs no host faults), and its own
 * translations, of one code key (a program and its forks). */
#define SIM_USER_ENGINES 4

/* A range of guest code to drop from an engine's translations: [lo, hi), empty if lo >= hi. */
struct user_drop {
	uintptr_t lo, hi;
};

/* One engine of a CPU and the code it holds translations of. */
struct sim_user_engine {
	uc_engine *uc;		 /* NULL until first used */
	uintptr_t code_key;	 /* the vm code key its translations are of (0: none) */
	uint64_t last_used;	 /* the CPU's load count when it last ran: the oldest is reused */
	/* per window: the span of guest code translated since the last drop (one span over
	 * both windows would be ~128 TiB, which removing from the code cache walks page by
	 * page) */
	uintptr_t code_lo[2], code_hi[2];
	uc_context *clean;	 /* its state once prepared, or NULL (the ISA part's) */
	bool exception_taken;	 /* an exception stopped it: the next load restores clean */
	uint8_t *win[2];	 /* host bases of its low and high windows */
	struct vm_space *held;	 /* the address space its windows hold, or NULL */
	uint64_t held_id;	 /* its id (a freed space's address may be reused) */
	uint64_t held_gen;	 /* the generation of it the windows are up to date with */
	uint64_t held_root;	 /* its root table (a physical address), to notice its end */
	uintptr_t touched_lo[2], touched_hi[2]; /* window offsets mapped since the last wipe */
};

/* One CPU's engines and windows. */
struct sim_user_cpu {
	uc_engine *uc;		     /* the engine that runs: eng->uc */
	struct sim_user_engine *eng; /* the engine that runs, its windows holding the space */
	struct sim_user_engine engines[SIM_USER_ENGINES];
	uint64_t loads;		     /* spaces loaded so far */
	uintptr_t exec_lo, exec_hi;  /* a range known executable in the loaded space */
	int stop;		     /* SIM_USER_RUNNING or a plat_user_stop */
	uintptr_t fault_addr;	     /* a refused access, or a trap's si_addr */
	unsigned fault_access;
	int fault_error;	     /* -errno of a refused access, or a plat_user_trap */
	uintptr_t scratch;	     /* a guest page backed by scratch memory to drop, or 0 */
	unsigned blocks;	     /* translated blocks entered since the last point */
	bool running;		     /* inside uc_emu_start */
	struct user_drop drop_pending; /* code a shootdown asked to drop while running */
};

/* The guest ISA's part. */
struct sim_user_isa {
	uc_arch arch;
	uc_mode mode;
	int cpu_model;	      /* the Unicorn CPU model of every engine (uc_ctl_set_cpu_model) */
	const char *platform; /* AT_PLATFORM */
	/* returns AT_HWCAP (*hwcap2: AT_HWCAP2): what the CPU model executes, read once, on
	 * the first engine opened, before it has windows or hooks; it may map and unmap
	 * memory outside the windows */
	unsigned long (*probe)(uc_engine *uc, unsigned long *hwcap2);
	/* prepares a new engine for user code: its privilege level, and the hooks that trap
	 * syscalls and exceptions; 0 or a uc_err */
	int (*add_hooks)(struct sim_user_cpu *u);
	/* loads regs into u's engine / saves the engine's registers into regs */
	void (*load)(struct sim_user_cpu *u, const struct user_regs *regs);
	void (*save)(uc_engine *uc, struct user_regs *regs);
	/* loads regs into engine uc and nothing else (a debugger's change, inside a hook) */
	void (*load_regs)(uc_engine *uc, const struct user_regs *regs);
	/* after a stop at a syscall: completes the instruction's own effects on regs */
	void (*after_syscall)(struct user_regs *regs);
	/* inside the syscall hook: reads the number and the six arguments / completes the
	 * instruction with result as a return to user mode would */
	void (*syscall_args)(uc_engine *uc, unsigned long *nr, unsigned long *args);
	void (*syscall_return)(uc_engine *uc, long result);
};

extern const struct sim_user_isa sim_user_isa;

/* Drops every translation engine e holds (a hook added since must see all code). */
void sim_user_drop_all_code(struct sim_user_engine *e);

/* Records a stop of kind stop and asks the engine to stop at the next boundary. */
void sim_user_stop(struct sim_user_cpu *u, int stop);

/* Records a refused access of user code (error: -EFAULT, -EACCES...) and stops the engine
 * with PLAT_USER_FAULT. */
void sim_user_fault(struct sim_user_cpu *u, uintptr_t va, unsigned access, int error);

/* Records trap (a plat_user_trap) of user code at address addr (si_addr) and stops the
 * engine with PLAT_USER_TRAP. */
void sim_user_trap(struct sim_user_cpu *u, int trap, uintptr_t addr);

/* The syscall hook: completes the syscall inside the engine when the kernel can
 * (syscall_fast), stopping afterwards only when a signal or an interrupt is due; else
 * stops with PLAT_USER_SYSCALL. */
void sim_user_syscall(struct sim_user_cpu *u);
