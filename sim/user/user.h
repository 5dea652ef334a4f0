/*
 * user.h: user mode in the hosted machine, shared by the engine (engine.c) and the guest
 * ISA's part (x86_64.c, aarch64.c). User code runs in Unicorn, one engine per simulated CPU,
 * over host windows: PROT_NONE reservations mapped into the engine as one region each,
 * where pages of the RAM memfd are mapped on demand after the kernel's own tables say so.
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

/* A range of guest code to drop from an engine's translations: [lo, hi), empty if lo >= hi. */
struct user_drop {
	uintptr_t lo, hi;
};

/* One CPU's engine and windows. */
struct sim_user_cpu {
	uc_engine *uc;
	uint8_t *win[2];	     /* host bases of the low and high windows */
	struct vm_space *loaded;     /* the address space the windows hold (and that runs) */
	uint64_t loaded_id;	     /* its id (a freed space's address may be reused) */
	uint64_t loaded_gen;	     /* its generation when they were loaded */
	uintptr_t loaded_code;	     /* its code key */
	/* per window: the span of guest code translated since the last drop (one span over
	 * both windows would be ~128 TiB, which removing from the code cache walks page by
	 * page) */
	uintptr_t code_lo[2], code_hi[2];
	uintptr_t exec_lo, exec_hi;  /* a range known executable in the loaded space */
	uintptr_t touched_lo[2], touched_hi[2]; /* window offsets mapped since the last wipe */
	int stop;		     /* SIM_USER_RUNNING or a plat_user_stop */
	uintptr_t fault_addr;
	unsigned fault_access;
	int fault_error;
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
	/* adds the hooks that trap syscalls into stop = PLAT_USER_SYSCALL; 0 or a uc_err */
	int (*add_hooks)(struct sim_user_cpu *u);
	/* loads regs into the engine / saves the engine's registers into regs */
	void (*load)(uc_engine *uc, const struct user_regs *regs);
	void (*save)(uc_engine *uc, struct user_regs *regs);
	/* after a stop at a syscall: completes the instruction's own effects on regs */
	void (*after_syscall)(struct user_regs *regs);
};

extern const struct sim_user_isa sim_user_isa;

/* Records a stop of kind stop and asks the engine to stop at the next boundary. */
void sim_user_stop(struct sim_user_cpu *u, int stop);
