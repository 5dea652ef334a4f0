/*
 * User mode in the hosted machine: Unicorn engines, one per simulated CPU and kept across
 * processes (its translations survive), over two host windows each.
 *
 * A window is a PROT_NONE, MAP_NORESERVE reservation mapped into the engine as ONE region
 * (Unicorn 2.0.1 slows superlinearly with many regions). The first touch of a page by user
 * code faults on the host; the handler asks the kernel (vm_resolve: the kernel's own tables
 * and areas decide) and maps the physical page of the RAM memfd there with the rights the
 * page-table entry gives. An access the kernel refuses is completed on a scratch page and
 * the engine stops, reporting the fault. Execute rights are checked per translated block.
 *
 * The windows hold one address space at a time; running another one (or the same one after
 * its generation moved: a translation was removed or narrowed elsewhere) wipes them, and
 * drops the translated code when the code differs. A syscall that can neither sleep nor
 * change mappings (syscall_fast) completes inside the hook, without stopping; other
 * syscalls, refused faults, interrupts and the time budget stop the engine, and the
 * kernel thread handles them outside it, so nothing the kernel does can re-enter it.
 * A change to a space is shot down on every CPU whose windows hold it (user_loaded_ids)
 * before the change returns: each unmaps the range from its own windows (the engine's TLB
 * holds host addresses, so its next access faults there) and drops its translated code of
 * it, or, when its engine is running (the change reached it inside a fault or a fast
 * syscall), stops the engine and drops the code after.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <amphi/arch.h>
#include <amphi/plat.h>
#include <amphi/syscall.h>
#include <amphi/vm.h>

#include "sim.h"
#include "user.h"

#define USER_BUDGET_BLOCKS 512 /* translated blocks between scheduling points */
/* a space with at most this many pages has them all mapped into the windows when it is
 * loaded; a larger one gets its pages mapped as they are touched */
#define USER_PRELOAD_PAGES 2048
#define USER_ENGINE_HEAP (1280u << 10) /* about what opening an engine allocates */

static struct sim_user_cpu user_cpus[SIM_MAX_CPUS];
static const uintptr_t win_start[2] = {SIM_USER_LO_START, SIM_USER_HI_START};
static const uintptr_t win_end[2] = {SIM_USER_LO_END, SIM_USER_HI_END};
static struct sigaction prev_segv, prev_bus;
/* The id of the space each CPU's windows hold (0: none), for vm_shootdown. */
static uint64_t user_loaded_ids[SIM_MAX_CPUS];

bool plat_user_range_ok(uintptr_t start, uintptr_t end)
{
	for (int w = 0; w < 2; w++) {
		if (start >= win_start[w] && end <= win_end[w] && start < end)
			return true;
	}
	return false;
}

uintptr_t plat_user_stack_top(void)
{
	return SIM_USER_HI_END - SIM_PAGE_SIZE;
}

void sim_user_stop(struct sim_user_cpu *u, int stop)
{
	if (u->stop == SIM_USER_RUNNING)
		u->stop = stop;
	uc_emu_stop(u->uc);
}

void sim_user_syscall(struct sim_user_cpu *u)
{
	unsigned long nr, args[6];
	long result;

	sim_user_isa.syscall_args(u->uc, &nr, args);
	enum syscall_fast_result done = syscall_fast(nr, args, &result);
	if (done == SYSCALL_FAST_NO) {
		sim_user_stop(u, PLAT_USER_SYSCALL);
		return;
	}
	sim_user_isa.syscall_return(u->uc, result);
	if (done == SYSCALL_FAST_DONE_SIGNAL ||
	    __atomic_load_n(&sim_cpu_self()->irq_line, __ATOMIC_ACQUIRE))
		sim_user_stop(u, PLAT_USER_INTERRUPT);
}

/* The window and offset of guest address va; false when no window covers it. */
static bool user_window_of(uintptr_t va, int *w, uintptr_t *off)
{
	for (int i = 0; i < 2; i++) {
		if (va >= win_start[i] && va < win_end[i]) {
			*w = i;
			*off = va - win_start[i];
			return true;
		}
	}
	return false;
}

/* Maps [at, at + len) of a window with mmap(prot, flags, fd, off); a refusal ends the
 * machine (the windows are reserved, so only a host out of resources refuses). */
static void user_host_map(uint8_t *at, size_t len, int prot, int flags, int fd, off_t off)
{
	if (mmap(at, len, prot, flags | MAP_FIXED, fd, off) == MAP_FAILED) {
		perror("amphi: mapping user memory");
		exit(SIM_EXIT_HOST);
	}
}

/* Makes [off, off + len) of e's window w inaccessible again, as reserved. */
static void user_host_unmap(struct sim_user_engine *e, int w, uintptr_t off, size_t len)
{
	user_host_map(e->win[w] + off, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
}

/* Makes e's window w inaccessible again over what was touched. */
static void user_wipe_window(struct sim_user_engine *e, int w)
{
	if (e->touched_lo[w] >= e->touched_hi[w])
		return;
	user_host_unmap(e, w, e->touched_lo[w], e->touched_hi[w] - e->touched_lo[w]);
	e->touched_lo[w] = UINTPTR_MAX;
	e->touched_hi[w] = 0;
}

/* Makes the pages of e's windows over guest range [start, end) inaccessible again. */
static void user_unmap_range(struct sim_user_engine *e, uintptr_t start, uintptr_t end)
{
	for (int w = 0; w < 2; w++) {
		uintptr_t lo = MAX(start, win_start[w]), hi = MIN(end, win_end[w]);
		if (lo < hi)
			user_host_unmap(e, w, lo - win_start[w], hi - lo);
	}
}

/* Forgets engine e's translated code in [lo, hi). */
static void user_drop_code(struct sim_user_engine *e, uintptr_t lo, uintptr_t hi)
{
	for (int w = 0; w < 2; w++) {
		uintptr_t from = MAX(lo, e->code_lo[w]), to = MIN(hi, e->code_hi[w]);
		if (from < to)
			uc_ctl_remove_cache(e->uc, from, to);
	}
}

void sim_user_drop_all_code(struct sim_user_engine *e)
{
	user_drop_code(e, 0, UINTPTR_MAX);
}

/* Forgets every span of e's translated code (after dropping it all). */
static void user_forget_code(struct sim_user_engine *e)
{
	for (int w = 0; w < 2; w++) {
		e->code_lo[w] = UINTPTR_MAX;
		e->code_hi[w] = 0;
	}
}

/* Reserves a window of size bytes; NULL when the host refuses. */
static uint8_t *user_window_create(uintptr_t size)
{
	uint8_t *win = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (win == MAP_FAILED)
		return NULL;
	tool_ignore_range(win, size);
	return win;
}

/* Reserves e's two windows. False, with neither reserved, when the host refuses (Valgrind
 * manages less address space than Linux gives: a few engines' windows fill it). */
static bool user_engine_reserve(struct sim_user_engine *e)
{
	for (int w = 0; w < 2; w++) {
		e->win[w] = user_window_create(win_end[w] - win_start[w]);
		e->touched_lo[w] = UINTPTR_MAX;
		e->touched_hi[w] = 0;
	}
	if (e->win[0] && e->win[1])
		return true;
	for (int w = 0; w < 2; w++) {
		if (e->win[w]) {
			tool_unignore_range(e->win[w], win_end[w] - win_start[w]);
			munmap(e->win[w], win_end[w] - win_start[w]);
		}
		e->win[w] = NULL;
	}
	return false;
}

static unsigned long user_hwcap, user_hwcap2; /* what the CPU model executes */

/* Has the ISA part probe the CPU model on the first engine opened; an engine opened
 * meanwhile on another CPU waits for the result. */
static void user_probe_once(uc_engine *uc)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static bool probed;

	pthread_mutex_lock(&lock);
	if (!probed)
		user_hwcap = sim_user_isa.probe(uc, &user_hwcap2);
	probed = true;
	pthread_mutex_unlock(&lock);
}

static void user_on_block(uc_engine *uc, uint64_t addr, uint32_t size, void *data);
static bool user_on_invalid(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
			    int64_t value, void *data);

/* How user_map_pages maps. */
enum user_map_how {
	USER_MAP_RAM,	   /* RAM, each page filled in the host's tables at its first touch */
	USER_MAP_RAM_NOW,  /* RAM, filled in the host's tables at once (pages about to be used) */
	USER_MAP_SCRATCH,  /* a private zero page */
};

/* Maps the len bytes of guest pages from va in the running engine's windows, noting them
 * as touched: onto RAM from physical page pa with prot (VM_* bits), or, for a scratch page,
 * onto a private zero page so that a refused access completes harmlessly while the engine
 * stops. */
static void user_map_pages(struct sim_user_cpu *u, uintptr_t va, paddr_t pa, size_t len,
			   unsigned prot, enum user_map_how how)
{
	struct sim_user_engine *e = u->eng;
	int w;
	uintptr_t off;

	va &= ~(SIM_PAGE_SIZE - 1);
	if (!user_window_of(va, &w, &off) || len > win_end[w] - va)
		return;
	if (how == USER_MAP_SCRATCH)
		user_host_map(e->win[w] + off, len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else {
		sim_ram_settle(pa, len); /* the window maps the memfd: nothing fills it later */
		user_host_map(e->win[w] + off, len, PROT_READ | ((prot & VM_WRITE) ? PROT_WRITE : 0),
			      MAP_SHARED | (how == USER_MAP_RAM_NOW ? MAP_POPULATE : 0), sim_ram_fd(),
			      (off_t)(pa - SIM_RAM_BASE));
	}
	e->touched_lo[w] = MIN(e->touched_lo[w], off);
	e->touched_hi[w] = MAX(e->touched_hi[w], off + len);
	if (how == USER_MAP_SCRATCH)
		u->scratch = va + 1; /* +1: page 0 is a valid one */
}

/* Pages gathered into a run that one host mapping maps: contiguous in guest and physical
 * addresses, with the same write right. */
struct user_run {
	struct sim_user_cpu *u;
	uintptr_t va;
	paddr_t pa;
	size_t len; /* 0: no run yet */
	unsigned write;
	enum user_map_how how; /* USER_MAP_RAM or USER_MAP_RAM_NOW */
};

/* Maps the run gathered so far, if any, and starts an empty one. */
static void user_run_flush(struct user_run *r)
{
	if (r->len)
		user_map_pages(r->u, r->va, r->pa, r->len, r->write, r->how);
	r->len = 0;
}

/* Adds page to the run r (ctx), mapping the run first when page does not continue it. */
static void user_run_add(const struct vm_page_ref *page, void *ctx)
{
	struct user_run *r = ctx;
	unsigned write = page->prot & VM_WRITE;

	if (r->len &&
	    (page->va != r->va + r->len || page->pa != r->pa + r->len || write != r->write))
		user_run_flush(r);
	if (!r->len)
		*r = (struct user_run){r->u, page->va, page->pa, 0, write, r->how};
	r->len += SIM_PAGE_SIZE;
}

/* Maps the n pages vm_resolve_around gave (pages[0] the missed one, the others in address
 * order), in address order so that neighbours share host mappings. */
static void user_map_around(struct sim_user_cpu *u, const struct vm_page_ref *pages, int n)
{
	struct user_run run = {.u = u, .how = USER_MAP_RAM_NOW};
	bool missed_done = false;

	for (int i = 1; i < n; i++) {
		if (!missed_done && pages[0].va < pages[i].va) {
			user_run_add(&pages[0], &run);
			missed_done = true;
		}
		user_run_add(&pages[i], &run);
	}
	if (!missed_done)
		user_run_add(&pages[0], &run);
	user_run_flush(&run);
}

/* Maps every page vm has mapped into u's windows, as runs: cheaper than a host fault for
 * each page the program touches again after a switch. */
static void user_preload(struct sim_user_cpu *u, struct vm_space *vm)
{
	struct user_run run = {.u = u, .how = USER_MAP_RAM};

	for (int w = 0; w < 2; w++)
		vm_for_each_mapped(vm, win_start[w], win_end[w], user_run_add, &run);
	user_run_flush(&run);
}

/* Reserves the windows of engine e of u, opens it (probing the CPU model on the first
 * engine opened), maps the windows into it and hooks it; e runs next. False, with e left
 * unopened, when the host refuses the windows. */
static bool user_engine_open(struct sim_user_cpu *u, struct sim_user_engine *e)
{
	uc_hook h;

	if (!user_engine_reserve(e))
		return false;
	if (uc_open(sim_user_isa.arch, sim_user_isa.mode, &e->uc) != UC_ERR_OK ||
	    uc_ctl_set_cpu_model(e->uc, sim_user_isa.cpu_model) != UC_ERR_OK) {
		fprintf(stderr, "amphi: cannot open a CPU engine\n");
		exit(SIM_EXIT_HOST);
	}
	user_probe_once(e->uc);
	for (int w = 0; w < 2; w++) {
		if (uc_mem_map_ptr(e->uc, win_start[w], win_end[w] - win_start[w], UC_PROT_ALL,
				   e->win[w]) != UC_ERR_OK) {
			fprintf(stderr, "amphi: cannot map a user window into a CPU engine\n");
			exit(SIM_EXIT_HOST);
		}
	}
	user_forget_code(e);
	u->eng = e;
	u->uc = e->uc;
	if (sim_user_isa.add_hooks(u) != UC_ERR_OK ||
	    uc_hook_add(e->uc, &h, UC_HOOK_BLOCK, (void *)user_on_block, u, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(e->uc, &h, UC_HOOK_MEM_INVALID, (void *)user_on_invalid, u, 1, 0) !=
		UC_ERR_OK) {
		fprintf(stderr, "amphi: cannot hook the CPU engine\n");
		exit(SIM_EXIT_HOST);
	}
	return true;
}

/* Opens the first engine of u. */
static void user_engine_open_first(struct sim_user_cpu *u)
{
	u->drop_pending = (struct user_drop){UINTPTR_MAX, 0};
	if (!user_engine_open(u, &u->engines[0])) {
		fprintf(stderr, "amphi: cannot reserve the user windows of a CPU engine\n");
		exit(SIM_EXIT_HOST);
	}
}

/* CPU 0's first engine, opened on a helper thread while the machine boots (opening one
 * fills megabytes of fresh tables); CPU 0 waits for it at its first use. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool pending; /* the helper has not finished; read unlocked with acquire */
} user_early = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};

/* The helper thread: opens CPU 0's first engine and says so. */
static void *user_early_open(void *unused)
{
	(void)unused;
	sim_heap_prefault(USER_ENGINE_HEAP);
	user_engine_open_first(&user_cpus[0]);
	pthread_mutex_lock(&user_early.lock);
	__atomic_store_n(&user_early.pending, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&user_early.done);
	pthread_mutex_unlock(&user_early.lock);
	return NULL;
}

/* Returns once CPU 0's early engine, if one is being opened, is ready. */
static void user_early_wait(void)
{
	if (!__atomic_load_n(&user_early.pending, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&user_early.lock);
	while (user_early.pending)
		pthread_cond_wait(&user_early.done, &user_early.lock);
	pthread_mutex_unlock(&user_early.lock);
}

void sim_user_open_early(void)
{
	pthread_attr_t attr;
	pthread_t thread;

	__atomic_store_n(&user_early.pending, true, __ATOMIC_RELAXED);
	if (pthread_attr_init(&attr) ||
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) ||
	    pthread_create(&thread, &attr, user_early_open, NULL))
		__atomic_store_n(&user_early.pending, false, __ATOMIC_RELAXED); /* at first use */
	pthread_attr_destroy(&attr);
}

/* Opens the first engine of u, on first use. */
static void user_engine_init(struct sim_user_cpu *u)
{
	if (u == &user_cpus[0])
		user_early_wait();
	if (!u->uc)
		user_engine_open_first(u);
}

/* True when e's windows hold vm (a freed space's address may be reused: its id tells). */
static bool user_engine_holds(const struct sim_user_engine *e, const struct vm_space *vm)
{
	return e->held == vm && e->held_id == vm->id;
}

/* Set once the host refused an engine's windows: no more engines are opened. */
static bool user_engines_full;

/* How well engine e of u suits a space with code key that e does not hold; higher is
 * better, ties go to the least recently used, -1 never. Translations are dearer to lose than
 * windows: first an engine with translations of key that holds no space, then one that
 * holds another space but did not run last (the space being left is likely to run again
 * soon: the other end of a pipe, a parent waiting for its child), then one never opened,
 * then one holding no space (its translations dropped), then the one that ran last with
 * translations of key (its windows wiped), then any. */
static int user_engine_rank(const struct sim_user_cpu *u, const struct sim_user_engine *e,
			    uintptr_t key)
{
	if (!e->uc)
		return __atomic_load_n(&user_engines_full, __ATOMIC_RELAXED) ? -1 : 3;
	bool idle = !e->held;
	if (e->code_key == key)
		return idle ? 5 : e != u->eng ? 4 : 1;
	return idle ? 2 : 0;
}

/* The engine of u to run vm, whose code key is key: the one whose windows hold vm, else
 * the best ranked one (user_engine_rank), opened if need be. */
static struct sim_user_engine *user_engine_for(struct sim_user_cpu *u, struct vm_space *vm,
					       uintptr_t key)
{
	for (;;) {
		struct sim_user_engine *best = NULL;
		int best_rank = -1;
		for (int i = 0; i < SIM_USER_ENGINES; i++) {
			struct sim_user_engine *e = &u->engines[i];
			if (e->uc && user_engine_holds(e, vm))
				return e;
			int rank = user_engine_rank(u, e, key);
			if (rank > best_rank ||
			    (rank >= 0 && rank == best_rank && e->last_used < best->last_used)) {
				best = e;
				best_rank = rank;
			}
		}
		/* engines[0] is open: best is set */
		if (best->uc || user_engine_open(u, best))
			return best;
		__atomic_store_n(&user_engines_full, true, __ATOMIC_RELAXED);
	}
}

/* Makes u run vm in the engine user_engine_for picks (dropping that engine's code when it
 * may differ), whose windows then hold vm: wiped and loaded again unless they already held
 * vm at its current generation. */
static void user_load_space(struct sim_user_cpu *u, struct vm_space *vm)
{
	uint64_t *id = &user_loaded_ids[u - user_cpus];

	/* published before the generation is read: a change whose shootdown missed this CPU
	 * moved the generation on before, and the windows are wiped below */
	if (__atomic_load_n(id, __ATOMIC_RELAXED) != vm->id)
		__atomic_store_n(id, vm->id, __ATOMIC_SEQ_CST);
	uint64_t gen = __atomic_load_n(&vm->generation, __ATOMIC_SEQ_CST);
	uintptr_t key = __atomic_load_n(&vm->code_key, __ATOMIC_ACQUIRE);

	struct sim_user_engine *e = u->eng;
	if (user_engine_holds(e, vm) && e->held_gen == gen && e->code_key == key)
		return;
	e = user_engine_for(u, vm, key);
	bool stale = !user_engine_holds(e, vm) || e->held_gen != gen;
	if (stale) {
		user_wipe_window(e, 0);
		user_wipe_window(e, 1);
	}
	if (!key || e->code_key != key) {
		user_drop_code(e, 0, UINTPTR_MAX);
		user_forget_code(e);
		e->code_key = key;
	}
	e->last_used = ++u->loads;
	e->held = vm;
	e->held_id = vm->id;
	e->held_gen = gen;
	e->held_root = vm->root;
	u->eng = e;
	u->uc = e->uc;
	u->exec_lo = u->exec_hi = 0;
	if (stale && __atomic_load_n(&vm->resident, __ATOMIC_RELAXED) <= USER_PRELOAD_PAGES)
		user_preload(u, vm);
}

void sim_user_trap(struct sim_user_cpu *u, int trap, uintptr_t addr)
{
	if (u->stop != SIM_USER_RUNNING)
		return;
	u->fault_addr = addr;
	u->fault_access = 0;
	u->fault_error = trap;
	sim_user_stop(u, PLAT_USER_TRAP);
}

void sim_user_fault(struct sim_user_cpu *u, uintptr_t va, unsigned access, int error)
{
	if (u->stop != SIM_USER_RUNNING)
		return;
	u->fault_addr = va;
	u->fault_access = access;
	u->fault_error = error;
	sim_user_stop(u, PLAT_USER_FAULT);
}

/* A host fault at guest address va (write: a store) on u: maps the page, and the ones
 * around it that the kernel can map cheaply, if the kernel allows the access; else reports
 * the fault. */
static void user_resolve(struct sim_user_cpu *u, uintptr_t va, bool write)
{
	struct vm_page_ref pages[VM_AROUND_PAGES];
	unsigned access = write ? VM_WRITE : VM_READ;
	int n = vm_resolve_around(u->eng->held, va, access, pages);

	if (n > 0 && (pages[0].prot & access)) {
		user_map_around(u, pages, n);
		return;
	}
	user_map_pages(u, va, 0, SIM_PAGE_SIZE, 0, USER_MAP_SCRATCH);
	sim_user_fault(u, va, access, n < 0 ? n : -EACCES);
}

/* The executing CPU's user state when it is running user code and addr lies in one of its
 * windows (the guest address in *va); NULL otherwise. */
static struct sim_user_cpu *user_fault_owner(uintptr_t addr, uintptr_t *va)
{
	struct sim_cpu *self = sim_cpu_self();
	struct sim_user_cpu *u = self ? &user_cpus[self->id] : NULL;

	if (!u || !u->running)
		return NULL;
	const struct sim_user_engine *e = u->eng;
	for (int w = 0; w < 2; w++) {
		if (addr >= (uintptr_t)e->win[w] &&
		    addr < (uintptr_t)e->win[w] + (win_end[w] - win_start[w])) {
			*va = win_start[w] + (addr - (uintptr_t)e->win[w]);
			return u;
		}
	}
	return NULL;
}

/* Passes a signal the user windows do not explain to the handler installed before. */
static void user_chain(const struct sigaction *prev, int sig, siginfo_t *si, void *uc)
{
	if (prev->sa_flags & SA_SIGINFO) {
		prev->sa_sigaction(sig, si, uc);
		return;
	}
	if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
		prev->sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL); /* re-raised when the faulting access repeats */
}

/* SIGSEGV/SIGBUS: a first touch of a window page by user code, or somebody else's. It
 * runs the kernel's vm_resolve, which is sound here: the fault is synchronous, in the
 * engine, with the CPU's interrupts masked and no kernel lock held by this CPU. */
static void user_on_fault(int sig, siginfo_t *si, void *ucontext)
{
	uintptr_t va;
	struct sim_user_cpu *u = user_fault_owner((uintptr_t)si->si_addr, &va);

	if (!u) {
		if (sig == SIGSEGV && sim_ram_settle_fault(si->si_addr))
			return; /* RAM a file fills lazily, now in place */
		user_chain(sig == SIGSEGV ? &prev_segv : &prev_bus, sig, si, ucontext);
		return;
	}
	int saved = errno;
	user_resolve(u, va, sim_fault_is_write(ucontext));
	errno = saved;
}

/* Every translated block: checks execute rights, and at the end of a budget lets the
 * schedule and the clock move on and stops for a pending interrupt. */
static void user_on_block(uc_engine *uc, uint64_t addr, uint32_t size, void *data)
{
	struct sim_user_cpu *u = data;

	(void)uc;
	(void)size;
	if (addr < u->exec_lo || addr >= u->exec_hi) {
		int err = vm_exec_area(u->eng->held, addr, &u->exec_lo, &u->exec_hi);
		if (err) {
			sim_user_fault(u, addr, VM_EXEC, err);
			return;
		}
		int w;
		uintptr_t off;
		if (user_window_of(addr, &w, &off)) {
			u->eng->code_lo[w] = MIN(u->eng->code_lo[w], u->exec_lo);
			u->eng->code_hi[w] = MAX(u->eng->code_hi[w], u->exec_hi);
		}
	}
	if (++u->blocks < USER_BUDGET_BLOCKS)
		return;
	u->blocks = 0;
	struct sim_cpu *self = sim_cpu_self();
	sim_sched_point_cpu(self, PLAT_POINT_YIELD);
	if (__atomic_load_n(&self->irq_line, __ATOMIC_ACQUIRE))
		sim_user_stop(u, PLAT_USER_INTERRUPT);
}

/* An access outside every window: no user mapping can be there. */
static bool user_on_invalid(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
			    int64_t value, void *data)
{
	unsigned access = type == UC_MEM_WRITE_UNMAPPED ? VM_WRITE
			  : type == UC_MEM_FETCH_UNMAPPED ? VM_EXEC : VM_READ;

	(void)uc;
	(void)size;
	(void)value;
	sim_user_fault(data, addr, access, -EFAULT);
	return false;
}

/* Drops the scratch page a refused access left behind. */
static void user_drop_scratch(struct sim_user_cpu *u)
{
	if (!u->scratch)
		return;
	user_unmap_range(u->eng, u->scratch - 1, u->scratch - 1 + SIM_PAGE_SIZE);
	u->scratch = 0;
}

/* Drops the translated code that shootdowns reaching the running engine asked for. */
static void user_drop_pending(struct sim_user_cpu *u)
{
	struct user_drop *d = &u->drop_pending;

	if (d->lo >= d->hi)
		return;
	user_drop_code(u->eng, d->lo, d->hi);
	*d = (struct user_drop){UINTPTR_MAX, 0};
}

/* The stop for an engine error err (an instruction it cannot run, or an invalid access
 * the hook recorded). */
static int user_error_stop(struct sim_user_cpu *u, uc_err err)
{
	if (u->stop != SIM_USER_RUNNING)
		return u->stop;
	if (err == UC_ERR_INSN_INVALID || err == UC_ERR_EXCEPTION)
		return PLAT_USER_ILLEGAL;
	u->fault_error = -EFAULT;
	u->fault_access = VM_READ;
	return PLAT_USER_FAULT;
}

int plat_user_run(struct vm_space *vm, struct user_regs *regs, struct plat_user_fault *fault)
{
	plat_irq_disable();
	struct sim_user_cpu *u = &user_cpus[sim_cpu_self()->id];
	user_engine_init(u);
	user_load_space(u, vm);
	u->stop = SIM_USER_RUNNING;
	sim_user_isa.load(u, regs);
	u->running = true;
	sim_gdbstub_user_enter(u->eng);
	uc_err err = uc_emu_start(u->uc, arch_user_pc(regs), 0, 0, 0);
	sim_gdbstub_user_exit();
	u->running = false;
	sim_user_isa.save(u->uc, regs);
	user_drop_scratch(u);
	user_drop_pending(u);
	int stop = err == UC_ERR_OK ? u->stop : user_error_stop(u, err);
	if (stop == SIM_USER_RUNNING)
		stop = PLAT_USER_INTERRUPT; /* the engine ended on its own (x86 hlt) */
	if (stop == PLAT_USER_SYSCALL)
		sim_user_isa.after_syscall(regs);
	if (stop == PLAT_USER_FAULT || stop == PLAT_USER_TRAP)
		*fault = (struct plat_user_fault){u->fault_addr, u->fault_access, u->fault_error};
	plat_irq_enable();
	return stop;
}

/* Makes sure the CPU model has been probed (opening this CPU's engine if it has none). */
static void user_probe(void)
{
	irqflags_t flags = plat_irq_save();

	user_engine_init(&user_cpus[sim_cpu_self()->id]);
	plat_irq_restore(flags);
}

unsigned long plat_user_hwcap(void)
{
	user_probe();
	return user_hwcap;
}

unsigned long plat_user_hwcap2(void)
{
	user_probe();
	return user_hwcap2;
}

const char *plat_user_platform(void)
{
	return sim_user_isa.platform;
}

/* A change for user_shootdown_cpu. */
struct user_shootdown {
	struct vm_space *vm;
	uintptr_t start, end;
	bool code;
};

/* Makes the executing CPU's running engine forget [s->start, s->end) of s->vm if its
 * windows hold it (an engine that holds it but does not run reloads it when next used, as
 * its generation then lags):
 * unmapped, and the translated code there dropped (after the run when the engine is
 * running: the change reached this CPU inside the engine, a fault or a fast syscall, and
 * the engine must not be re-entered, so it stops at the end of the block). */
static void user_shootdown_cpu(void *arg)
{
	const struct user_shootdown *s = arg;
	struct sim_user_cpu *u = &user_cpus[sim_cpu_self()->id];

	if (u == &user_cpus[0])
		user_early_wait();
	struct sim_user_engine *e = u->eng;
	if (!u->uc || !user_engine_holds(e, s->vm))
		return;
	for (int w = 0; w < 2; w++) { /* only what was mapped since the last wipe */
		if (e->touched_lo[w] >= e->touched_hi[w])
			continue;
		uintptr_t lo = MAX(s->start, win_start[w] + e->touched_lo[w]);
		uintptr_t hi = MIN(s->end, win_start[w] + e->touched_hi[w]);
		if (lo < hi)
			user_host_unmap(e, w, lo - win_start[w], hi - lo);
	}
	if (s->code && u->running) {
		u->drop_pending.lo = MIN(u->drop_pending.lo, s->start);
		u->drop_pending.hi = MAX(u->drop_pending.hi, s->end);
		uc_emu_stop(u->uc);
	} else if (s->code) {
		user_drop_code(u->eng, s->start, s->end);
	}
	u->exec_lo = u->exec_hi = 0;
	/* caught up, unless an earlier change never reached this CPU (tlb_shootdown=off) */
	uint64_t gen = __atomic_load_n(&s->vm->generation, __ATOMIC_ACQUIRE);
	if (e->held_gen + 1 == gen)
		e->held_gen = gen;
}

void plat_mmu_invalidate(struct vm_space *vm, uintptr_t start, uintptr_t end, bool code)
{
	struct user_shootdown s = {vm, start, end, code};

	vm_shootdown(user_loaded_ids, vm->id, user_shootdown_cpu, &s);
}

/* Each engine keeps its own FP/SIMD state; nothing is live outside it. */
void plat_user_save_fp(void)
{
}

/* The hosted machine's roots hold user space only: the kernel runs in the host process. */
void plat_mmu_root_init(void *root)
{
	(void)root;
}

/* The windows hold no root, but the executing CPU's engines that hold the ending space
 * now hold none: the first choice for the next space (another CPU's engines keep it until
 * they load another, its id telling it apart from a later space at its address). */
void plat_mmu_root_release(paddr_t root)
{
	struct sim_cpu *self = sim_cpu_self();

	for (int i = 0; self && i < SIM_USER_ENGINES; i++) {
		struct sim_user_engine *e = &user_cpus[self->id].engines[i];
		if (e->held && e->held_root == root)
			e->held = NULL;
	}
}

/* At exit: hands the windows back to Valgrind's checking. */
static void user_exit(void)
{
	user_early_wait();
	for (unsigned i = 0; i < SIM_MAX_CPUS; i++) {
		for (int e = 0; e < SIM_USER_ENGINES; e++) {
			const struct sim_user_engine *eng = &user_cpus[i].engines[e];
			for (int w = 0; w < 2 && eng->uc; w++)
				tool_unignore_range(eng->win[w], win_end[w] - win_start[w]);
		}
	}
}

void sim_user_init(void)
{
	struct sigaction sa = {.sa_sigaction = user_on_fault};

	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	atexit(user_exit);
	if (sigaction(SIGSEGV, &sa, &prev_segv) < 0 || sigaction(SIGBUS, &sa, &prev_bus) < 0) {
		perror("amphi: user fault handler");
		exit(SIM_EXIT_HOST);
	}
}
