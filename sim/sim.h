/*
 * sim.h: interfaces between the files of the hosted platform. Host side only: it may be
 * included next to libc headers, so it includes no <amphi/...> header (their errno and
 * FDT names clash with the host's and libfdt's).
 */
#pragma once

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_NORETURN __attribute__((noreturn))

#include "tools.h" /* SIM_ASAN, SIM_TSAN and the checkers' hooks */

/* Process exit statuses besides the kernel's power-off statuses (0 pass, 1 fail, 3 panic). */
#define SIM_EXIT_USAGE 2    /* bad command-line options */
#define SIM_EXIT_HOST 4	    /* the host refused a resource the machine needs (memfd, mmap) */
#define SIM_EXIT_DEADLOCK 5 /* the watchdog saw no CPU make progress */

#define SIM_PAGE_SIZE 4096UL

/* --- options.c --- */

#define SIM_MEM_DEFAULT (128ULL << 20)
#define SIM_MEM_MIN (4ULL << 20)
#define SIM_MEM_MAX (64ULL << 30)
#define SIM_CMDLINE_MAX 4096 /* bytes, including the NUL */

#define SIM_MAX_CPUS 64 /* PLAT_MAX_CPUS */
#define SIM_SEED_DEFAULT 1
#define SIM_WATCHDOG_DEFAULT_S 10
#define SIM_WATCHDOG_MAX_S 86400

enum sim_sched_mode {
	SIM_SCHED_DETERMINISTIC, /* one CPU at a time, switches picked by a seeded PRNG */
	SIM_SCHED_PARALLEL,	 /* every CPU runs on its thread concurrently */
};

enum sim_time_mode {
	SIM_TIME_VIRTUAL, /* advances only with simulated events */
	SIM_TIME_REAL,	  /* the host's CLOCK_MONOTONIC */
};

#define SIM_INITRD_MAX 8 /* --initrd options */
#define SIM_DISK_MAX 8	 /* --disk options */

/* A --disk FILE[,ro][,fail-after=N] option. */
struct sim_disk_opt {
	const char *path;
	bool read_only;
	int64_t fail_after; /* write requests that succeed before every write fails; -1: no limit */
};

enum sim_display_mode {
	SIM_DISPLAY_NONE,      /* no GPU device */
	SIM_DISPLAY_OFFSCREEN, /* a virtio-gpu whose display is a host buffer */
	SIM_DISPLAY_SDL,       /* that buffer also shown in an SDL window, with a keyboard */
};

#define SIM_DISPLAY_WIDTH 640 /* --resolution default */
#define SIM_DISPLAY_HEIGHT 400
#define SIM_DISPLAY_MAX 4096

#define SIM_GDB_FOLLOW_MAX 32 /* bytes of a --gdb-follow pid or name, its NUL included */

struct sim_options {
	uint64_t mem_size;   /* bytes of RAM, a multiple of SIM_PAGE_SIZE */
	const char *cmdline; /* kernel command line; "" when none */
	unsigned cpus;	     /* 1 .. SIM_MAX_CPUS */
	enum sim_sched_mode sched;
	enum sim_time_mode time;
	uint64_t seed;	     /* of the deterministic schedule */
	unsigned watchdog_s; /* seconds without progress before the hang report; 0 = off */
	char **exec_argv;    /* `amphi exec`: the program and its arguments, else NULL */
	int exec_argc;
	bool builtin_initramfs; /* load SIM_BUILTIN_INITRAMFS first (--no-initramfs: false) */
	const char *initrd[SIM_INITRD_MAX]; /* --initrd archives, in order */
	int initrd_count;
	const char *trace_hash_file; /* --trace-hash: where the hash goes at power-off, or NULL */
	const char *init_path; /* the RAM disk's program to run first (not under exec), or NULL */
	struct sim_disk_opt disk[SIM_DISK_MAX]; /* --disk options, in order */
	int disk_count;
	enum sim_display_mode display;
	bool display_auto; /* display chosen for a desktop session, not asked for: a window
			      that cannot open leaves it offscreen */
	uint32_t display_width, display_height; /* --resolution */
	const char *screenshot; /* --screenshot: the PNG written at power-off, or NULL */
	const char *keys;	/* --keys: the script the keyboard types, or NULL (none) */
	const char *gdb;	/* --gdb: the stub's "PORT" or "unix:PATH", or NULL */
	bool gdb_wait;		/* --gdb-wait: stop before kmain (or the followed process's
				   first instruction) until GDB continues */
	const char *gdb_follow; /* --gdb-follow: the user process GDB sees ("PID" or a name,
				   shorter than SIM_GDB_FOLLOW_MAX bytes) */
};

/* Parses argv into *opts. Prints usage and exits 0 for --help/--version; prints one
 * line naming the problem and exits SIM_EXIT_USAGE for bad options. */
void sim_options_parse(int argc, char **argv, struct sim_options *opts);

/* --- ram.c --- */

/* Guest physical address of the first byte of RAM (as on QEMU arm virt). */
#define SIM_RAM_BASE 0x40000000ULL

/* Creates RAM: a memfd of size bytes mapped once, shared; exits SIM_EXIT_HOST on failure. */
void sim_ram_init(uint64_t size);

/* The memfd backing RAM (file offset = physical address - SIM_RAM_BASE). */
int sim_ram_fd(void);

/* Bytes of RAM. */
uint64_t sim_ram_size(void);

/* Host address of physical address pa, or NULL when [pa, pa+len) is not all RAM. */
void *sim_ram_ptr(uint64_t pa, uint64_t len);

/* Says that the len bytes of RAM from physical address pa (both page aligned, after any
 * range deferred before) hold the bytes of host file fd from offset off, to be copied in
 * when first needed (fd stays open); false when no more ranges can be deferred (or none
 * at all, under a checker that cannot resume code after a fault), and the caller must
 * copy them. The ranges take effect, made inaccessible in the direct map, at
 * sim_ram_defer_commit: call that once, after the last sim_ram_defer and before the kernel
 * starts. */
bool sim_ram_defer(uint64_t pa, int fd, uint64_t off, uint64_t len);
void sim_ram_defer_commit(void);

/* Copies in whatever deferred file bytes [pa, pa + len) of RAM still lacks: before the
 * host reaches that RAM other than through the direct map (async-signal-safe). */
void sim_ram_settle(uint64_t pa, uint64_t len);

/* For a fault at addr: true when addr lies in the deferred range of the direct map, whose
 * bytes are now in place, so the access can be retried (async-signal-safe). */
bool sim_ram_settle_fault(const void *addr);

/* Allocates the host pages behind [p, p + len) at once (RAM, or any host memory), where the
 * host can, so that first writes there take no page fault each (a hint: failure changes
 * nothing). */
void sim_ram_populate(void *p, uint64_t len);

/* --- fdt_gen.c (the only file that sees libfdt; its symbols are kept local) --- */

/* What the generated device tree describes. */
struct sim_dt_desc {
	uint64_t ram_base, ram_size;
	const char *bootargs;
	unsigned cpus;
	uint64_t gicd_base, gicd_size, gicc_base, gicc_size;
	unsigned timer_irq; /* the timer's PPI as an INTID */
	uint64_t initrd_start, initrd_end; /* physical; equal when there is none */
	const char *exec_path; /* the first program's path in the initial RAM disk, or NULL */
	const char *exec_argv; /* its argv as a string list */
	size_t exec_argv_len;  /* bytes of it, NULs included */
	const char *exec_envp; /* its environment (the host's) as a string list */
	size_t exec_envp_len;
	unsigned virtio_count; /* virtio-mmio windows, SIM_VIRTIO_SIZE bytes each from */
	uint64_t virtio_base;  /* virtio_base, interrupting on SPI virtio_first_spi + n */
	unsigned virtio_first_spi;
};

/* Writes the machine's DTB into buf (cap bytes). Returns its size, or a negative
 * libfdt error code. */
int sim_fdt_build(void *buf, size_t cap, const struct sim_dt_desc *desc);

/* Message for a negative libfdt error code. */
const char *sim_fdt_strerror(int err);

/* --- boot.c --- */

/* Builds the DTB for the machine the options describe and places it at the top of RAM,
 * with the initial RAM disk of `amphi exec` below it; returns the DTB's host address. */
void *sim_boot_place_dtb(const struct sim_options *opts);

/* --- initrd.c: the initial RAM disk --- */

/* Lays the initial RAM disk out in RAM, page aligned, ending at or below top: the built-in
 * initramfs, the --initrd archives, and the program of `amphi exec` (an archive holding it
 * under sim_exec_name). Returns its size (0 when there is nothing) and its start in *start.
 * Exits with a clear line when a file cannot be read (status SIM_EXEC_CANNOT_RUN for the
 * program, as a shell) or when it does not fit. */
uint64_t sim_initrd_place(const struct sim_options *opts, uint64_t top, uint64_t *start);

/* --- exec.c: `amphi exec PROGRAM [ARGS...]` --- */

#define SIM_EXEC_CANNOT_RUN 127 /* as a shell reports a command it cannot run */

/* The host path of the program: found through PATH when it has no slash. Exits with status
 * SIM_EXEC_CANNOT_RUN when there is none. */
const char *sim_exec_path(const struct sim_options *opts);

/* The name the program has in the initial RAM disk (its base name). */
const char *sim_exec_name(const struct sim_options *opts);

/* The n strings of v as a device-tree string list (malloc'ed, *len bytes). */
char *sim_string_list(char *const *v, int n, size_t *len);

/* Moves onto a fresh kernel boot stack and calls kmain(bootinfo). Never returns. */
SIM_NORETURN void sim_boot_start(void *bootinfo);

/* --- stack.c: kernel stacks, known to Valgrind, ASan and the fault handler --- */

struct sim_stack {
	uint8_t *lo, *hi; /* usable range [lo, hi); the guard page sits just below lo */
	unsigned valgrind_id;
	unsigned slot; /* in the registry */
};

/* Maps a stack of size bytes (rounded up to pages) above a guard page and registers it.
 * Returns 0 or -errno. Thread-safe. */
int sim_stack_create(struct sim_stack *s, size_t size);

/* Unregisters and unmaps the stack sim_stack_create put in registry slot slot.
 * Thread-safe. */
void sim_stack_destroy(unsigned slot);

/* The usable range [*lo, *hi) of the live stack that holds addr (its top included);
 * false when none does. */
bool sim_stack_find(uintptr_t addr, uintptr_t *lo, uintptr_t *hi);

/* True when [addr, addr+len) lies inside one registered stack's usable range. */
bool sim_stack_holds(uintptr_t addr, size_t len);

/* True when addr lies in the guard page of a registered stack. */
bool sim_stack_in_guard(uintptr_t addr);

/* A live stack as sim_stack_list reports it. */
struct sim_stack_info {
	uintptr_t lo, hi;
	unsigned slot;
};
#define SIM_MAX_STACKS_LISTED 4096

/* Fills info with up to max live stacks; returns how many, or -ENOSPC when more live.
 * Call while the machine stands still. */
int sim_stack_list(struct sim_stack_info *info, int max);

/* Switches to s and calls fn(arg) with a zero frame pointer, so frame-pointer walks end
 * there. fn must not return. fn must call sim_stack_entered() first. */
SIM_NORETURN void sim_stack_enter(struct sim_stack *s, void (*fn)(void *), void *arg);

/* Completes the switch started by sim_stack_enter (ASan fiber bookkeeping). */
void sim_stack_entered(void);

/* ISA routine (sim/host/<isa>/stack_switch.S): sets the stack pointer to top, clears the frame
 * pointer and calls fn(arg); traps if fn returns. */
SIM_NORETURN void sim_stack_call(void *top, void (*fn)(void *), void *arg);

/* --- hostcall.c: the kernel as a library (lib/) --- */

struct plat_hostcall;
struct plat_hostcall_task;

/* Enters the kernel at kmain with bootinfo on a boot stack of its own and returns when the
 * machine is first still, its served process waiting for a request: 0, -ENOMEM for no
 * stack, -ECHILD when the kernel came back without serving. The calling thread must be
 * CPU 0's. */
int sim_hostcall_boot(void *bootinfo);

/* Has served task call->task run call, once it is free, and runs the machine until the
 * call ended: its result (-ESHUTDOWN once stopped, -ESRCH for no such task). A call that
 * can never end (nothing left to happen in the machine) ends the program with a message. */
long sim_hostcall(struct plat_hostcall *call);

/* Hands call to its served task and runs the machine until it is still: 0, with
 * call->done telling whether the call ended (until it has, the kernel may write call), or
 * -ESHUTDOWN once stopped, -ESRCH when the task is none, -EBUSY when it serves a call. */
int sim_hostcall_issue(struct plat_hostcall *call);

/* Lets the machine go on (time passing) until it is still again: 0, -ESHUTDOWN, or
 * -EDEADLK when nothing could ever happen there (no CPU can run, no timer is armed). */
int sim_hostcall_run(void);

/* Ends every served task but the first (as exit(0); their blocked calls end as
 * interrupted) and runs the machine until it is still: 0 or -ESHUTDOWN. The tasks leave
 * as they run: sim_hostcall_run until sim_hostcall_tasks shows them gone. */
int sim_hostcall_end_tasks(void);

/* The served tasks as the machine last stood still (PLAT_HOSTCALL_TASKS of them). */
const struct plat_hostcall_task *sim_hostcall_tasks(void);

/* Serves no more requests: the machine stands still from now on. */
void sim_hostcall_stop(void);

/* --- mem/heap.c --- */

/* Makes large blocks come from malloc's arenas and arenas keep what is freed, so that
 * memory sim_heap_prefault populated is what later allocations get. Call first in main. */
void sim_heap_init(void);

/* Makes the calling thread's malloc arena hold bytes of populated memory, so the
 * allocations that follow take no page faults (a no-op where the host cannot populate). */
void sim_heap_prefault(size_t bytes);

/* --- mem/memcheck.c --- */

/* Under ASan, makes each report on kernel memory end with where the block the bad access
 * hit was last freed (the kernel's allocator is its own, so ASan cannot say). */
void sim_memcheck_init(void);

/* --- snap/snapshot.c: the whole machine saved and put back (the fuzz build) --- */

struct sim_snapshot_stats {
	uint64_t restores; /* resets done */
	uint64_t pages;	   /* pages found written and put back, over all resets */
	uint64_t bytes;	   /* bytes copied back, over all resets */
	uint64_t hot;	   /* pages no longer tracked, copied back at every reset */
};

/* Saves the machine as it stands: RAM, the kernel's and the machine's globals, the kernel
 * stacks (with their ASan shadow). Only while it stands still (between host calls).
 * Returns 0, -EALREADY, -ENOMEM, or -ENOTSUP outside the fuzz build (fuzz/). */
int sim_snapshot_take(void);

/* Puts the machine back as sim_snapshot_take saved it; aborts when the host refuses. */
void sim_snapshot_restore(void);

/* True when resets copy only the pages written since the last one (userfaultfd's
 * asynchronous write protection), false when they copy everything. */
bool sim_snapshot_tracks_writes(void);

/* True when the stack at lo belongs to the snapshot: sim_stack_destroy leaves it mapped. */
bool sim_snapshot_keeps_stack(uintptr_t lo);

/* What the resets have done so far. */
struct sim_snapshot_stats sim_snapshot_stats(void);

/* --- console.c --- */

/* Opens /dev/null on any of fds 0-2 that is closed, so no later file lands there and is
 * mistaken for the console. Exits SIM_EXIT_HOST when even that fails. */
void sim_console_claim_std_fds(void);

/* Puts a terminal stdin into raw-ish mode (no line editing, no echo) and arranges for it
 * to be restored at exit and on fatal signals. */
void sim_console_init(void);

/* Sends console output to fd instead of stdout (-1: drops it); before the machine starts. */
void sim_console_set_output(int fd);

/* Restores the terminal mode saved by sim_console_init. Async-signal-safe. */
void sim_console_restore(void);

/* The console bytes the machine produced so far, or the replayed run it repeats did
 * (the larger). */
uint64_t sim_console_written(void);

/* A replay: the first bytes of output were written already by the run it repeats, and
 * are dropped. */
void sim_console_skip(uint64_t bytes);

/* --- symbolize.c --- */

/* Loads the symbolizer state for this executable; failures only degrade backtraces. */
void sim_symbolize_init(void);

/* Like plat_symbolize, for an exact instruction address rather than a return address. */
int sim_symbolize_exact(uintptr_t pc, char *buf, size_t len);

/* --- fault.c --- */

/* Formats one line (up to 511 bytes) onto the console. */
__attribute__((format(printf, 1, 2))) void sim_console_printf(const char *fmt, ...);

/* Prints a backtrace on the console in panic's format: pc first (an exact instruction
 * address when exact, else a return address), then each caller found through the frame
 * records from fp that lie inside registered kernel stacks. */
void sim_backtrace_print(uintptr_t pc, uintptr_t fp, bool exact);

/* Installs the kernel-fault handler for SIGSEGV, SIGBUS, SIGILL and SIGFPE on an alternate
 * stack (not under a sanitizer, which reports those itself). */
void sim_fault_init(void);

/* ISA part (sim/host/<isa>/fault_regs.c): program counter and frame pointer of a signal's
 * interrupted context (a ucontext_t). */
void sim_fault_regs(const void *ucontext, uintptr_t *pc, uintptr_t *fp);

/* ISA part: true when the page fault of a signal's interrupted context was a store. */
bool sim_fault_is_write(const void *ucontext);

/* --- user/engine.c: user mode (plat/user.h) --- */

/* Installs the handler that resolves user code's page misses (before sim_fault_init's,
 * which it passes other faults on to). */
void sim_user_init(void);

/* Starts opening CPU 0's first engine on a helper thread, for a machine that will run a
 * user program: it is ready, or waited for, when CPU 0 first needs it. */
void sim_user_open_early(void);

/* --- cpu/cpu.c: the simulated CPUs, one host thread each --- */

enum sim_cpu_state {
	SIM_CPU_OFF,	  /* not started */
	SIM_CPU_RUNNABLE, /* may run (in deterministic mode: when it holds the baton) */
	SIM_CPU_IDLE,	  /* in plat_cpu_idle, waiting for an interrupt */
	SIM_CPU_PARKED,	  /* stopped for good */
};

struct sim_cpu {
	unsigned id;
	enum sim_cpu_state state; /* under the machine lock */
	pthread_t thread;
	pthread_cond_t wake; /* signalled when its state or the baton changes for it */
	/* the lazy interrupt mask (1 = unmasked): written by the CPU's own thread only */
	volatile sig_atomic_t irq_on;
	/* > 0 while the CPU's thread runs sim code that takes locks: a signal then defers */
	volatile sig_atomic_t in_sim;
	int irq_line; /* atomic: the GIC model has a deliverable interrupt */
	/* atomic: the one-shot timer's deadline (SIM_TIMER_OFF when disarmed), with
	 * SIM_TIMER_FIRED set once it came due and raised the line; its own CPU moves an
	 * unfired deadline later without the lock (compare-and-swap), every other change is
	 * made under the lock */
	uint64_t timer;
	bool waking; /* under the lock: kicked out of idle, not running yet */
	/* where the thread blocks inside the sim (0 while it runs), for the watchdog */
	uintptr_t wait_pc, wait_fp;
	volatile uintptr_t sampled_pc, sampled_fp; /* written by the watchdog's signal */
	volatile sig_atomic_t sampled;
	void *thread_fiber; /* TSan: the fiber of the thread's first context */
	/* progress notes (for the watchdog): written by the CPU's own thread only, with
	 * relaxed atomic stores, so noting progress takes no locked instruction */
	uint64_t progress;
};

struct sim_machine {
	pthread_mutex_t lock; /* every field below and the device models */
	unsigned ncpus;
	enum sim_sched_mode sched;
	enum sim_time_mode time;
	unsigned runnable; /* atomic: CPUs in SIM_CPU_RUNNABLE */
	unsigned waking;   /* atomic: CPUs kicked out of idle that have not run yet */
	bool quiet;	   /* `amphi exec`: the console carries the program's output alone */
	const char *trace_hash_file; /* also written here at power-off, or NULL */
	struct sim_cpu cpu[SIM_MAX_CPUS];
};

extern struct sim_machine sim_machine;

/* Sets the machine up from the options; the calling thread becomes CPU 0. */
void sim_cpus_init(const struct sim_options *opts);

/* The executing CPU, or NULL on a host thread that is no CPU (the watchdog's). Never
 * inlined: a kernel context can resume on another CPU's thread after a switch, so each
 * use must read the thread pointer afresh. */
struct sim_cpu *sim_cpu_self(void);

/* Takes / releases the machine lock; a CPU holding it takes no interrupt signal. */
void sim_lock(void);
void sim_unlock(void);

/* Lock held: moves cpu to state, keeping the count of runnable CPUs. */
void sim_cpu_set_state(struct sim_cpu *cpu, enum sim_cpu_state state);

/* Waits on the CPU's condition variable (lock held), recording where for the watchdog;
 * until is an absolute CLOCK_MONOTONIC time in ns, or UINT64_MAX for no limit. */
void sim_cpu_wait(struct sim_cpu *cpu, uint64_t until);

/* True in deterministic mode. */
static inline bool sim_deterministic(void)
{
	return sim_machine.sched == SIM_SCHED_DETERMINISTIC;
}

/* --- cpu/sched.c: the deterministic schedule, the trace hash, progress --- */

/* Seeds the schedule's PRNG. */
void sim_sched_init(uint64_t seed);

/* A scheduling point of kind why (enum plat_point) on the executing CPU. */
void sim_sched_point(int why);

/* sim_sched_point when the executing CPU self is known. */
void sim_sched_point_cpu(struct sim_cpu *self, int why);

/* Lock held: waits until self may run (runnable and, in deterministic mode, holding the
 * baton), passing the baton on, advancing virtual time or waiting for a timer meanwhile. */
void sim_sched_wait_turn(struct sim_cpu *self);

/* Lock held, deterministic: hands the baton from self to to, and waits for self's turn. */
void sim_sched_hand_to(struct sim_cpu *self, struct sim_cpu *to);

/* Lock held: the interrupt line of cpu went high; wakes it from idle. */
void sim_sched_kick(struct sim_cpu *cpu);

/* Lock held: folds one event into the trace hash (deterministic mode only). */
void sim_trace_event(uint64_t kind, uint64_t a, uint64_t b);

/* The trace hash so far. */
uint64_t sim_trace_hash(void);

/* Kinds of trace events. */
enum sim_trace_kind {
	SIM_TRACE_RUN = 1, /* a CPU got the baton at a point */
	SIM_TRACE_IRQ,	   /* a CPU acknowledged an interrupt */
	SIM_TRACE_TIME,	   /* virtual time jumped to a deadline */
	SIM_TRACE_START,   /* a CPU was started */
};

/* Notes that a CPU made progress (for the watchdog): any scheduling point but a spin,
 * an idle exit, a jump of virtual time, console input polled. Lock-free. */
void sim_progress_note(void);

/* sim_progress_note on the executing CPU self. */
static inline void sim_progress_note_cpu(struct sim_cpu *self)
{
	uint64_t n = __atomic_load_n(&self->progress, __ATOMIC_RELAXED);

	__atomic_store_n(&self->progress, n + 1, __ATOMIC_RELAXED);
}

/* Progress notes so far. */
uint64_t sim_progress_count(void);

/* --- time/clock.c: the monotonic clock and the per-CPU one-shot timers --- */

/* The timer's interrupt: PPI 14 (INTID 30), the ARM generic timer's non-secure one. */
#define SIM_TIMER_INTID 30

/* sim_cpu.timer: the flag of a fired deadline, and the value of a disarmed timer (later
 * than any deadline, which is clamped to it). */
#define SIM_TIMER_FIRED (1ULL << 63)
#define SIM_TIMER_OFF (SIM_TIMER_FIRED - 1)

/* Starts the clock in the given mode (and, for real time with parallel CPUs, the thread
 * that fires timers). */
void sim_time_init(enum sim_time_mode mode);

/* Nanoseconds since boot. */
uint64_t sim_time_now(void);

/* Virtual mode: moves the clock on by ns. Returns true when a timer came due (the caller
 * then calls sim_time_fire_due with the lock held). Lock-free. */
bool sim_time_tick(uint64_t ns);

/* Lock held: raises the timer line of every CPU whose deadline has passed. */
void sim_time_fire_due(void);

/* Lock held: virtual mode, every CPU idle: jumps the clock to the earliest armed deadline
 * and fires it. Returns false when no timer is armed (nothing can ever happen). */
bool sim_time_jump(void);

/* Lock held: true when some CPU's timer is armed and has not fired. */
bool sim_time_armed(void);

/* Lock held: the earliest armed deadline on the host's CLOCK_MONOTONIC (real mode), or
 * UINT64_MAX. */
uint64_t sim_time_next_host_deadline(void);

/* CLOCK_MONOTONIC in ns. */
uint64_t sim_host_now(void);

/* --- irq/gic.c: the GICv2 model --- */

#define SIM_GICD_BASE 0x08000000ULL /* where QEMU's virt board has them */
#define SIM_GICC_BASE 0x08010000ULL
#define SIM_GIC_REGION_SIZE 0x10000ULL

/* Resets the model for ncpus CPU interfaces. */
void sim_gic_init(unsigned ncpus);

/* Lock held: a register access by CPU cpu at offset off of the distributor or the CPU
 * interface; size is 1 or 4 bytes. */
uint32_t sim_gicd_read(unsigned cpu, uint64_t off, unsigned size);
void sim_gicd_write(unsigned cpu, uint64_t off, unsigned size, uint32_t v);
uint32_t sim_gicc_read(unsigned cpu, uint64_t off);
void sim_gicc_write(unsigned cpu, uint64_t off, uint32_t v);

/* Lock held: drives the level of private interrupt intid (16-31) of cpu. */
void sim_gic_set_level(unsigned cpu, unsigned intid, bool high);

/* Lock held: drives the level of shared interrupt intid (32 and up): level-sensitive, it
 * is pending while high and pends again at EOI if still high. */
void sim_gic_set_spi_level(unsigned intid, bool high);

/* --- irq/irq.c: interrupt masking and delivery --- */

/* Installs the interrupt entry (the controller driver's) that delivery calls. */
void sim_irq_set_entry(void (*entry)(void));

/* Takes pending interrupts on the executing CPU if they are unmasked. */
void sim_irq_take(void);

/* sim_irq_take for the executing CPU self, cheap when nothing is pending: returns the
 * executing CPU afterwards (taking an interrupt may have moved the context to another). */
static inline struct sim_cpu *sim_irq_poll(struct sim_cpu *self)
{
	if (!self->irq_on || !__atomic_load_n(&self->irq_line, __ATOMIC_ACQUIRE))
		return self;
	sim_irq_take();
	return sim_cpu_self();
}

/* Installs the parallel-mode interrupt signal handler. */
void sim_irq_init(void);

/* Lock held: cpu has a deliverable interrupt now; in parallel mode interrupts its thread. */
void sim_irq_raise(struct sim_cpu *cpu);

/* --- dev/virtio_mmio.c: the virtio-mmio transport model (as on QEMU's virt board) --- */

#define SIM_VIRTIO_BASE 0x0a000000ULL
#define SIM_VIRTIO_SIZE 0x200ULL
#define SIM_VIRTIO_SLOTS 16
#define SIM_VIRTIO_FIRST_SPI 16 /* slot n interrupts on SPI 16 + n, INTID 48 + n */
#define SIM_VQ_MAX_SEGS 64	/* buffers in one chain the models accept */

/* One buffer of a chain, in guest RAM. */
struct sim_vq_seg {
	uint8_t *host;
	uint32_t len;
	bool writable;
};

/* A descriptor chain the driver made available, checked: every buffer lies in RAM,
 * device-readable ones first. */
struct sim_vq_chain {
	unsigned n;
	uint64_t readable, writable; /* bytes of each kind */
	struct sim_vq_seg seg[SIM_VQ_MAX_SEGS];
};

struct sim_virtio;

#define SIM_VQ_HOLD (-2L) /* serve: nothing to give yet (an input device without events) */

/* A device type: its ID, features and handlers (all called with the machine lock held). */
struct sim_virtio_type {
	const char *name;
	uint32_t device_id;
	uint64_t features; /* offered, VIRTIO_F_VERSION_1 included */
	unsigned queues;
	/* config space bytes [off, off + size) (size 1 or 4), little-endian */
	uint32_t (*config_read)(struct sim_virtio *v, uint64_t off, unsigned size);
	/* serves chain c of queue q; returns the bytes written into its writable buffers,
	 * SIM_VQ_HOLD to leave the chain (and those after it) available until
	 * sim_virtio_serve, or another negative value for a request so malformed the device
	 * must be reset (after sim_virtio_break) */
	long (*serve)(struct sim_virtio *v, unsigned q, const struct sim_vq_chain *c);
};

/* Lock free, at start-up: puts a device of type t with model state model in the next
 * slot. Returns it, or NULL when the slots are all taken. */
struct sim_virtio *sim_virtio_add(const struct sim_virtio_type *t, void *model);

/* The model state of v, and its negotiated features. */
void *sim_virtio_model(const struct sim_virtio *v);
uint64_t sim_virtio_features(const struct sim_virtio *v);

/* Lock held: marks v broken (DEVICE_NEEDS_RESET, a config interrupt) with a console line
 * naming why; it serves nothing more until the driver resets it. */
void sim_virtio_break(struct sim_virtio *v, const char *why);

/* Lock held: the device's config space changed: a new generation and a config
 * interrupt. */
void sim_virtio_config_changed(struct sim_virtio *v);

/* Lock held: serves queue q's available chains again (after a held one), raising the
 * interrupt when any was used; nothing while the device or queue is not live. */
void sim_virtio_serve(struct sim_virtio *v, unsigned q);

/* Slots in use (the device tree lists them). */
unsigned sim_virtio_count(void);

/* Lock held: a register access to the virtio windows (size 1 or 4). */
uint32_t sim_virtio_read(unsigned cpu, uint64_t off, unsigned size);
void sim_virtio_write(unsigned cpu, uint64_t off, unsigned size, uint32_t v);

/* Copies len bytes at offset off of the chain's readable (writable == false) or writable
 * buffers from or into buf. Returns false when they hold fewer bytes. */
bool sim_vq_copy(const struct sim_vq_chain *c, bool writable, uint64_t off, void *buf,
		 uint64_t len, bool into_chain);

/* Calls fn on each piece of the chain's buffers of one kind in [off, off + len), in
 * order, stopping at the first that returns false; false then, or when they hold fewer
 * bytes. */
bool sim_vq_each(const struct sim_vq_chain *c, bool writable, uint64_t off, uint64_t len,
		 bool (*fn)(uint8_t *host, uint32_t n, uint64_t at, void *arg), void *arg);

/* --- dev/blk.c, dev/rng.c: the device models --- */

/* Opens the --disk files and adds a block device for each; exits with a clear line
 * (SIM_EXIT_USAGE) when one cannot be opened. */
void sim_blk_init(const struct sim_options *opts);

/* Lock held: disk n (0 for the first --disk) now reports sectors as its capacity, with a
 * config interrupt, as a resized QEMU drive does; false when there is no disk n. */
bool sim_blk_resize(int n, uint64_t sectors);

/* Adds the entropy device: bytes from a generator seeded by seed in deterministic mode
 * (deterministic schedule and virtual time), from the host's getrandom otherwise. */
void sim_rng_init(const struct sim_options *opts);

/* --- dev/gpu.c: the GPU and its display --- */

/* Adds the GPU device when the options ask for a display. */
void sim_gpu_init(const struct sim_options *opts);

/* Writes what the display shows as a PNG to path; false when there is no display or the
 * file cannot be written. */
bool sim_gpu_screenshot(const char *path);

/* At power-off: writes the --screenshot file, reporting a failure on stderr. */
void sim_gpu_poweroff(void);

/* From any host thread: copies the display (width * height words, 0x00RRGGBB) into dst
 * when it changed since generation *seen, which it updates; true then. */
bool sim_gpu_display_copy(uint32_t *dst, uint64_t *seen);

/* --- dev/sdl.c: the display's window --- */

/* Loads SDL2 (dlopen: no cost without a window) and opens a width x height window on its
 * own thread, which shows the display and sends its keys to the keyboard; closing the
 * window stops the machine. Returns NULL, or why SDL could not open one. */
const char *sim_sdl_start(uint32_t width, uint32_t height);

/* Before exit: shuts SDL down on the window's thread and waits for it; nothing without a
 * window, or the second time. */
void sim_sdl_stop(void);

/* --- dev/input.c: the keyboard --- */

/* Adds a virtio-input keyboard that types the --keys script, when there is one, and takes
 * the SDL window's keys; exits with a line naming the problem when the script cannot be
 * typed. */
void sim_input_init(const struct sim_options *opts);

/* Lock free, from any host thread: the keyboard sends key code (Linux's) with value (1
 * pressed, 0 released, 2 repeated); nothing when there is no keyboard. */
void sim_input_key(uint16_t code, uint32_t value);

/* --- debug/gdbstub.c: GDB's remote protocol, served from inside the process --- */

/* Starts the stub when opts->gdb is set: listens there and serves GDB on a thread of its
 * own; with opts->gdb_wait CPU 0 stops at kmain's first instruction (with gdb_follow: the
 * followed process at its first) until GDB continues it. Exits with a line when it cannot.
 * The calling thread must be CPU 0's. */
void sim_gdbstub_init(const struct sim_options *opts);

/* On a CPU's own thread before it runs kernel code: makes it known to the stub (and stops
 * it if the machine is stopped). Nothing without a stub. */
void sim_gdbstub_cpu_begin(unsigned id);

/* True while GDB holds the machine stopped (no progress is then no hang). */
bool sim_gdbstub_holding(void);

/* On a CPU's thread, around user code in its engine (a struct sim_user_engine *): lets the
 * stub stop the followed process (--gdb-follow) in its code. Nothing without a stub. */
void sim_gdbstub_user_enter(void *engine);
void sim_gdbstub_user_exit(void);

/* gdb_replay.c: running the machine again for reverse execution. Called after the options
 * are parsed, before anything else: a machine that may be reversed executes itself again
 * once, without address randomisation, so that every replay has the same addresses. */
void sim_gdb_replay_prepare(const struct sim_options *opts, char **argv);

/* True when this machine can be replayed; else *why_not (when not NULL) says why. */
bool sim_gdb_replay_ready(const char **why_not);

/* The descriptor of the request a replay was started with, or -1 (a first run). */
int sim_gdb_replay_input(void);

/* Runs the machine again from the start with request (len bytes) for it, keeping the
 * descriptors keep1 and keep2 open across; returns only on failure, -errno. */
int sim_gdb_replay_exec(const void *request, size_t len, int keep1, int keep2);

/* gdb_proc.c: processes as the stub names them (spec: a pid, or a name that is the process's
 * or its program's base name). True when the calling CPU runs a task of the process spec
 * names, with its pid, name and address space (a struct vm_space *). */
bool sim_gdb_current_process(const char *spec, unsigned *pid, const char **comm, void **vm);

/* The first live process spec names, found with every CPU stopped (without the lock of the
 * pid table), and its first thread's saved user registers (a struct user_regs *). */
bool sim_gdb_find_process(const char *spec, unsigned *pid, const char **comm, void **vm,
			  void **regs);

/* Guest ISA part (debug/gdb_guest_<guest isa>.c): the target description of user code and
 * its registers in that numbering, read from a struct user_regs. */
const char *sim_gdb_guest_xml(void);
unsigned sim_gdb_guest_reg_count(void);
unsigned sim_gdb_guest_reg_size(unsigned n); /* bytes */
int sim_gdb_guest_reg_get(const void *user_regs, unsigned n, uint8_t *buf); /* bytes, or -1 */
/* writes register n of a struct user_regs: 0, or -1 for one the process may not change */
int sim_gdb_guest_reg_set(void *user_regs, unsigned n, const uint8_t *buf);

/* ISA part (sim/host/<isa>/gdb_regs.c): the target description, and the registers in its
 * numbering, read from and written into a signal context (a ucontext_t). */
const char *sim_gdb_target_xml(void);
unsigned sim_gdb_reg_count(void);
unsigned sim_gdb_reg_size(unsigned n); /* bytes */
int sim_gdb_reg_get(const void *ucontext, unsigned n, uint8_t *buf); /* bytes, or -1 */
int sim_gdb_reg_set(void *ucontext, unsigned n, const uint8_t *buf); /* 0 or -1 */
bool sim_gdb_reg_in_fpstate(unsigned n); /* register n lives in the FP/SSE state */
uintptr_t sim_gdb_pc(const void *ucontext);
uintptr_t sim_gdb_sp(const void *ucontext);
void sim_gdb_set_pc(void *ucontext, uintptr_t pc);
/* Sets or clears single-stepping (the trap after one instruction) in the context. */
void sim_gdb_set_step(void *ucontext, bool step);
/* True when a SIGTRAP is the trap of a single step. */
bool sim_gdb_trap_is_step(const siginfo_t *si);
/* The address of the breakpoint instruction whose trap left the context. */
uintptr_t sim_gdb_break_addr(const void *ucontext);
extern const uint8_t sim_gdb_break_insn[]; /* the breakpoint instruction */
extern const unsigned sim_gdb_break_len;   /* its bytes */

/* --- debug/watchdog.c --- */

/* Starts the watchdog thread (seconds = 0: none). */
void sim_watchdog_init(unsigned seconds);
