/*
 * The gdbstub: GDB's remote serial protocol served from inside the hosted machine
 * (--gdb PORT or --gdb unix:PATH). Kernel code is host code here, so the stub speaks
 * of host registers and patches breakpoints into the kernel's own text; each simulated
 * CPU is one GDB thread ("cpu0", "cpu1"...).
 *
 * The stub runs on a host thread of its own. While GDB looks, every started CPU thread
 * is parked in a signal handler: a stop signal parks a running one, a breakpoint (int3,
 * SIGTRAP) or a finished single step (the trap flag) parks the one that hit it and has the
 * stub stop the others. A parked thread's registers are those of the signal context it was
 * interrupted in; GDB's register writes and the trap flag go into that context, and take
 * effect when the handler returns. Memory goes through process_vm_readv/writev on the
 * process itself, so an address that is not mapped gives GDB an error, never a fault;
 * text pages are made writable only around a breakpoint's patch.
 *
 * The stub's thread takes no lock a parked CPU could hold (no machine lock, no malloc, no
 * stdio while the machine is stopped). Threads that are no CPU (the watchdog, the SDL
 * window) are not stopped; one that runs into a breakpoint waits until it is removed.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <amphi/arch.h>
#include <amphi/init.h>
#include <amphi/vm.h>

#include "sim.h"
#include "user/user.h"

#define GDB_PACKET_MAX 0x4000 /* PacketSize offered to GDB */
#define GDB_BREAKS_MAX 256
#define GDB_BREAK_LEN_MAX 4
#define GDB_ALT_STACK_SIZE (64 * 1024) /* the handlers park on it, not on a kernel stack */
#define GDB_STOP_SIGNAL (SIGRTMIN + 2)
#define GDB_EXIT_KILLED (128 + SIGKILL) /* GDB's kill ends the process like SIGKILL */
#define GDB_RESIGNAL_NS 50000000L	/* a stop not yet acknowledged is signalled again */
#define GDB_USER_BREAKS_MAX 64

enum gdb_cpu_state { GDB_CPU_RUNNING, GDB_CPU_PARKED };
enum gdb_action { GDB_STAY, GDB_CONTINUE, GDB_STEP };
enum gdb_event { GDB_EV_NONE, GDB_EV_BREAK, GDB_EV_STEP, GDB_EV_TRAP };

struct gdb_cpu {
	uint32_t tid;		/* atomic: the host thread's id once it started, else 0 */
	uint32_t state;		/* atomic, a futex word: enum gdb_cpu_state */
	void *uc;		/* while parked: the signal context it is parked in */
	int event;		/* enum gdb_event: why it parked, when it reported */
	enum gdb_action action; /* what the next resume does with it */
};

struct gdb_break {
	uintptr_t addr; /* 0: a free slot */
	uint8_t saved[GDB_BREAK_LEN_MAX];
	bool internal; /* the stub's own (--gdb-wait), unknown to GDB */
};

static struct {
	bool enabled;
	bool wait_first; /* --gdb-wait: the first session starts at kmain */
	int listen_fd, conn_fd, event_fd;
	uint32_t stopping;   /* atomic: a stop is in force; stop signals park */
	uint32_t parked_seq; /* atomic futex word: bumped by each CPU that parks */
	int event_cpu;	     /* atomic: the CPU whose trap stopped the machine, or -1 */
	struct gdb_cpu cpu[SIM_MAX_CPUS];
	struct gdb_break brk[GDB_BREAKS_MAX];
	int g_cpu, c_cpu; /* the threads of Hg (registers) and Hc */
	bool no_ack;
	bool waiting; /* atomic: GDB waits for a stop reply (the machine runs) */
	char stop_reply[64];
	char in[GDB_PACKET_MAX + 8], out[2 * GDB_PACKET_MAX + 8];
	uint8_t rx[4096]; /* received bytes not yet consumed */
	size_t rx_len, rx_pos;
	uint8_t auxv[4096];
	size_t auxv_len;
	char address[128]; /* as given, for the messages */
} gdb = {.listen_fd = -1, .conn_fd = -1, .event_fd = -1, .event_cpu = -1};

static __thread int gdb_self = -1; /* the CPU this thread is, or -1 */

/* Following a user process: GDB then sees that process alone, as one thread with the guest
 * ISA's registers and the process's memory, and its breakpoints and steps are checked
 * by a Unicorn hook before each of its instructions. */
static struct {
	char spec[SIM_GDB_FOLLOW_MAX]; /* the process: a pid or a name; "" for none */
	bool active;		       /* the session follows it (chosen when GDB connects) */
	uint32_t pid;		       /* atomic: its pid once it ran user code, else 0 */
	void *vm;		       /* atomic: its address space (a struct vm_space *) */
	char name[SIM_GDB_FOLLOW_MAX];
	bool step;				      /* atomic: stop at its next instruction */
	bool interrupted;			      /* that stop is GDB's Ctrl-C */
	uintptr_t brk[GDB_USER_BREAKS_MAX];	      /* its breakpoints (0: a free slot) */
	void *hooked[SIM_MAX_CPUS][SIM_USER_ENGINES]; /* each CPU's engines with the hook */
	struct user_regs regs;			      /* its registers where it stopped */
	bool regs_valid;
	/* where GDB's writes to regs go: the task's saved registers when it stopped in the
	 * kernel (its return to user mode loads them), else the engine of CPU regs_cpu,
	 * stopped in its code hook, which loads them when regs_dirty */
	struct user_regs *task_regs;
	int regs_cpu;
	bool regs_dirty;
} follow;

/* Per CPU: it runs the followed process's user code (written by the CPU's thread). */
static bool gdb_in_followed[SIM_MAX_CPUS];

/* --- parking: the CPU threads' side --- */

/* Sleeps on *word while it holds v (for at most ns nanoseconds when ns > 0). */
static void futex_wait(uint32_t *word, uint32_t v, long ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L};

	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, v, ns > 0 ? &ts : NULL, NULL, 0);
}

/* Wakes every thread sleeping on *word. */
static void futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/* On CPU c's thread: marks it parked with its context uc (a signal's, or NULL in a
 * Unicorn hook), so that the stub counts it stopped and a stop signal leaves it be. */
static void cpu_park_begin(struct gdb_cpu *c, void *uc)
{
	c->uc = uc;
	__atomic_store_n(&c->state, GDB_CPU_PARKED, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&gdb.parked_seq, 1, __ATOMIC_SEQ_CST);
	futex_wake(&gdb.parked_seq);
}

/* Waits, parked, until the stub releases CPU c. */
static void cpu_park_wait(struct gdb_cpu *c)
{
	int saved_errno = errno;

	while (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == GDB_CPU_PARKED)
		futex_wait(&c->state, GDB_CPU_PARKED, 0);
	errno = saved_errno;
}

/* On the calling CPU self, parked from event (a trap, or a stop in its user code): makes
 * it the one the stub reports, unless another CPU's event came first. True when it is. */
static bool cpu_report(int self, int event)
{
	int none = -1;

	gdb.cpu[self].event = event;
	return __atomic_compare_exchange_n(&gdb.event_cpu, &none, self, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

/* Wakes the stub for the reported event. */
static void cpu_report_wake(void)
{
	uint64_t one = 1;
	ssize_t n = write(gdb.event_fd, &one, sizeof(one));

	(void)n; /* the counter cannot overflow: the stub reads it at each stop */
}

/* The slot of the breakpoint at addr, or -1. */
static int break_find(uintptr_t addr)
{
	for (int i = 0; i < GDB_BREAKS_MAX; i++)
		if (gdb.brk[i].addr == addr)
			return i;
	return -1;
}

/* The stop signal: parks a running CPU while a stop is in force. */
static void on_stop_signal(int sig, siginfo_t *si, void *uc)
{
	int self = gdb_self;

	(void)sig, (void)si;
	if (self < 0 || !__atomic_load_n(&gdb.stopping, __ATOMIC_SEQ_CST) ||
	    __atomic_load_n(&gdb.cpu[self].state, __ATOMIC_SEQ_CST) == GDB_CPU_PARKED)
		return; /* a late signal of a stop that is over, or parked in a hook already */
	cpu_park_begin(&gdb.cpu[self], uc);
	cpu_park_wait(&gdb.cpu[self]);
}

/* SIGTRAP: a breakpoint or a finished single step. The CPU that hit it reports it (the
 * first one, when several do at once) and parks; another one's breakpoint is hit again
 * when it resumes, if it is still there. */
static void on_trap(int sig, siginfo_t *si, void *uc)
{
	int self = gdb_self, event = GDB_EV_TRAP;

	(void)sig;
	if (sim_gdb_trap_is_step(si)) {
		sim_gdb_set_step(uc, false);
		event = GDB_EV_STEP;
	} else if (break_find(sim_gdb_break_addr(uc)) >= 0) {
		sim_gdb_set_pc(uc, sim_gdb_break_addr(uc));
		event = GDB_EV_BREAK;
	}
	if (self < 0) { /* no CPU: wait for the breakpoint to go, then run the instruction */
		struct timespec ms = {.tv_nsec = 1000000};
		if (event == GDB_EV_BREAK)
			nanosleep(&ms, NULL);
		return;
	}
	cpu_park_begin(&gdb.cpu[self], uc);
	if (cpu_report(self, event))
		cpu_report_wake();
	cpu_park_wait(&gdb.cpu[self]);
}

/* Gives the calling thread an alternate signal stack unless it has one: the handlers park
 * on it, so a parked CPU adds nothing to its (small) kernel stack. */
static void alt_stack_ensure(void)
{
	stack_t old, ss = {.ss_size = GDB_ALT_STACK_SIZE};

	if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE))
		return;
	ss.ss_sp = mmap(NULL, GDB_ALT_STACK_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) < 0) {
		fputs("amphi: --gdb: no signal stack for a CPU thread\n", stderr);
		exit(SIM_EXIT_HOST);
	}
}

void sim_gdbstub_cpu_begin(unsigned id)
{
	if (!gdb.enabled)
		return;
	alt_stack_ensure();
	gdb_self = (int)id;
	__atomic_store_n(&gdb.cpu[id].tid, (uint32_t)gettid(), __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&gdb.stopping, __ATOMIC_SEQ_CST)) /* the stub may have missed it */
		pthread_kill(pthread_self(), GDB_STOP_SIGNAL);
}

bool sim_gdbstub_holding(void)
{
	return gdb.enabled && (__atomic_load_n(&gdb.stopping, __ATOMIC_RELAXED) ||
			       __atomic_load_n(&gdb.event_cpu, __ATOMIC_RELAXED) >= 0);
}

/* --- stopping and resuming: the stub's side --- */

/* Stops every started CPU and waits until each is parked. */
static void world_stop(void)
{
	__atomic_store_n(&gdb.stopping, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		uint32_t seq = __atomic_load_n(&gdb.parked_seq, __ATOMIC_SEQ_CST);
		bool all = true;
		for (unsigned i = 0; i < sim_machine.ncpus; i++) {
			struct gdb_cpu *c = &gdb.cpu[i];
			uint32_t tid = __atomic_load_n(&c->tid, __ATOMIC_SEQ_CST);
			if (!tid || __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == GDB_CPU_PARKED)
				continue;
			all = false;
			syscall(SYS_tgkill, getpid(), tid, GDB_STOP_SIGNAL);
		}
		if (all)
			return;
		futex_wait(&gdb.parked_seq, seq, GDB_RESIGNAL_NS);
	}
}

/* True when CPU i has started and is parked. */
static bool cpu_parked(int i)
{
	return i >= 0 && (unsigned)i < sim_machine.ncpus && gdb.cpu[i].tid &&
	       __atomic_load_n(&gdb.cpu[i].state, __ATOMIC_ACQUIRE) == GDB_CPU_PARKED;
}

/* Releases the parked CPUs as their actions say (GDB_STAY ones stay parked). */
static void world_resume(void)
{
	uint64_t drained;

	while (read(gdb.event_fd, &drained, sizeof(drained)) > 0)
		;
	__atomic_store_n(&gdb.event_cpu, -1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&gdb.stopping, 0, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < sim_machine.ncpus; i++) {
		struct gdb_cpu *c = &gdb.cpu[i];
		if (!cpu_parked((int)i) || c->action == GDB_STAY)
			continue;
		if (c->uc) /* not parked in the followed process's hook */
			sim_gdb_set_step(c->uc, c->action == GDB_STEP);
		c->event = GDB_EV_NONE;
		__atomic_store_n(&c->state, GDB_CPU_RUNNING, __ATOMIC_RELEASE);
		futex_wake(&c->state);
	}
}

/* --- memory --- */

/* Copies [addr, addr + len) of the process's memory into (write false) or out of buf,
 * a page at a time; returns the bytes moved before the first page that is not mapped
 * (or, for a write, not writable). */
static size_t mem_copy(uintptr_t addr, uint8_t *buf, size_t len, bool write)
{
	size_t done = 0;

	while (done < len) {
		size_t n = MIN(len - done, SIM_PAGE_SIZE - (addr + done) % SIM_PAGE_SIZE);
		struct iovec local = {buf + done, n}, remote = {(void *)(addr + done), n};
		ssize_t got = write ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0)
				    : process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		if (got <= 0)
			break;
		done += (size_t)got;
	}
	return done;
}

/* The protection of the mapping holding addr, from /proc/self/maps; -1 when none does. */
static int mem_prot(uintptr_t addr)
{
	static char buf[8192];
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC), prot = -1;
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (prot < 0 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)n;
		buf[len] = '\0';
		char *line = buf, *nl;
		while (prot < 0 && (nl = strchr(line, '\n'))) {
			unsigned long lo, hi;
			char perms[5];
			if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && addr >= lo &&
			    addr < hi)
				prot = (perms[0] == 'r' ? PROT_READ : 0) |
				       (perms[1] == 'w' ? PROT_WRITE : 0) |
				       (perms[2] == 'x' ? PROT_EXEC : 0);
			line = nl + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
	}
	close(fd);
	return prot;
}

/* Writes n bytes at addr, inside one page that is mapped readable but maybe not writable
 * (kernel text): the page is made writable for the copy only. Returns 0 or -1. */
static int mem_poke(uintptr_t addr, const uint8_t *src, size_t n)
{
	int prot = mem_prot(addr);
	void *page = (void *)(addr & ~(SIM_PAGE_SIZE - 1));

	if (prot < 0 || !(prot & PROT_READ))
		return -1;
	if (!(prot & PROT_WRITE) && mprotect(page, SIM_PAGE_SIZE, prot | PROT_WRITE) < 0)
		return -1;
	memcpy((void *)addr, src, n);
	if (!(prot & PROT_WRITE))
		mprotect(page, SIM_PAGE_SIZE, prot);
	__builtin___clear_cache((char *)addr, (char *)addr + n);
	return 0;
}

/* Writes len bytes at addr, read-only pages included; returns the bytes written. */
static size_t mem_write_raw(uintptr_t addr, const uint8_t *src, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t n = MIN(len - done, SIM_PAGE_SIZE - (addr + done) % SIM_PAGE_SIZE);
		if (mem_copy(addr + done, (uint8_t *)src + done, n, true) != n &&
		    mem_poke(addr + done, src + done, n) < 0)
			break;
		done += n;
	}
	return done;
}

/* Reads like mem_copy, showing the original bytes where breakpoints are inserted. */
static size_t mem_read(uintptr_t addr, uint8_t *buf, size_t len)
{
	size_t got = mem_copy(addr, buf, len, false);

	for (int i = 0; i < GDB_BREAKS_MAX; i++)
		for (unsigned k = 0; gdb.brk[i].addr && k < sim_gdb_break_len; k++)
			if (gdb.brk[i].addr + k >= addr && gdb.brk[i].addr + k < addr + got)
				buf[gdb.brk[i].addr + k - addr] = gdb.brk[i].saved[k];
	return got;
}

/* Writes GDB's bytes; where a breakpoint is inserted its saved bytes change instead. */
static size_t mem_write(uintptr_t addr, const uint8_t *src, size_t len)
{
	static uint8_t copy[GDB_PACKET_MAX];

	memcpy(copy, src, len);
	for (int i = 0; i < GDB_BREAKS_MAX; i++)
		for (unsigned k = 0; gdb.brk[i].addr && k < sim_gdb_break_len; k++)
			if (gdb.brk[i].addr + k >= addr && gdb.brk[i].addr + k < addr + len) {
				gdb.brk[i].saved[k] = copy[gdb.brk[i].addr + k - addr];
				copy[gdb.brk[i].addr + k - addr] = sim_gdb_break_insn[k];
			}
	return mem_write_raw(addr, copy, len);
}

/* Inserts a breakpoint at addr; 0, or -1 when its memory cannot be read and patched. */
static int break_insert(uintptr_t addr, bool internal)
{
	int slot = break_find(addr), free_slot = break_find(0);

	if (slot >= 0)
		return 0;
	if (free_slot < 0 || !addr)
		return -1;
	struct gdb_break *b = &gdb.brk[free_slot];
	if (mem_copy(addr, b->saved, sim_gdb_break_len, false) != sim_gdb_break_len ||
	    mem_write_raw(addr, sim_gdb_break_insn, sim_gdb_break_len) != sim_gdb_break_len)
		return -1;
	b->internal = internal;
	__atomic_store_n(&b->addr, addr, __ATOMIC_RELEASE);
	return 0;
}

/* Removes the breakpoint in slot i, putting the original bytes back. */
static void break_remove_slot(int i)
{
	struct gdb_break *b = &gdb.brk[i];

	mem_write_raw(b->addr, b->saved, sim_gdb_break_len);
	__atomic_store_n(&b->addr, 0, __ATOMIC_RELEASE);
}

/* Removes every breakpoint GDB inserted (internal ones too when all). */
static void break_remove_all(bool all)
{
	for (int i = 0; i < GDB_BREAKS_MAX; i++)
		if (gdb.brk[i].addr && (all || !gdb.brk[i].internal))
			break_remove_slot(i);
}

/* --- following a user process --- */

/* True when the followed process has a breakpoint at addr. */
static bool follow_break_at(uintptr_t addr)
{
	for (int i = 0; i < GDB_USER_BREAKS_MAX; i++)
		if (__atomic_load_n(&follow.brk[i], __ATOMIC_RELAXED) == addr)
			return true;
	return false;
}

/* Before each instruction of user code in an engine that ran the followed process: stops
 * there for a breakpoint or a step, with the process's registers saved for GDB. */
static void follow_on_code(uc_engine *uc, uint64_t addr, uint32_t size, void *data)
{
	int self = gdb_self;

	(void)size, (void)data;
	if (self < 0 || !gdb_in_followed[self])
		return;
	bool step = __atomic_load_n(&follow.step, __ATOMIC_ACQUIRE);
	if (!step && !follow_break_at(addr))
		return;
	cpu_park_begin(&gdb.cpu[self], NULL);
	if (cpu_report(self, step ? GDB_EV_STEP : GDB_EV_BREAK)) {
		sim_user_isa.save(uc, &follow.regs);
		follow.regs_valid = true;
		follow.task_regs = NULL;
		follow.regs_cpu = self;
		follow.regs_dirty = false;
		__atomic_store_n(&follow.step, false, __ATOMIC_RELEASE);
		cpu_report_wake();
	}
	cpu_park_wait(&gdb.cpu[self]);
	if (follow.regs_dirty && follow.regs_cpu == self) { /* GDB changed them */
		sim_user_isa.load_regs(uc, &follow.regs);
		follow.regs_dirty = false;
	}
}

/* Puts the code hook on the calling CPU's engine e, once, dropping what it translated
 * without it. */
static void follow_hook(struct sim_user_engine *e)
{
	void **slots = follow.hooked[gdb_self];
	uc_hook h;
	int k;

	for (k = 0; k < SIM_USER_ENGINES && slots[k]; k++)
		if (slots[k] == e->uc)
			return;
	if (k == SIM_USER_ENGINES)
		return; /* every engine of this CPU is hooked already */
	if (uc_hook_add(e->uc, &h, UC_HOOK_CODE, (void *)follow_on_code, NULL, 1, 0) != UC_ERR_OK)
		return;
	sim_user_drop_all_code(e);
	slots[k] = e->uc;
}

void sim_gdbstub_user_enter(void *engine)
{
	unsigned pid;
	const char *comm;
	void *vm;

	if (!gdb.enabled || gdb_self < 0)
		return;
	__atomic_store_n(&gdb_in_followed[gdb_self], false, __ATOMIC_RELAXED);
	if (!follow.spec[0] || !sim_gdb_current_process(follow.spec, &pid, &comm, &vm))
		return;
	uint32_t followed = __atomic_load_n(&follow.pid, __ATOMIC_ACQUIRE);
	if (followed && followed != pid)
		return; /* another process of that name came first */
	if (!followed) {
		snprintf(follow.name, sizeof(follow.name), "%s", comm);
		__atomic_store_n(&follow.pid, pid, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&follow.vm, vm, __ATOMIC_RELEASE); /* exec replaces it */
	__atomic_store_n(&gdb_in_followed[gdb_self], true, __ATOMIC_RELAXED);
	follow_hook(engine);
}

void sim_gdbstub_user_exit(void)
{
	if (gdb.enabled && gdb_self >= 0)
		__atomic_store_n(&gdb_in_followed[gdb_self], false, __ATOMIC_RELAXED);
}

/* Copies [va, va + len) of the followed process's memory into (write false) or out of buf,
 * through its page tables; returns the bytes moved before the first page not mapped. */
static size_t follow_mem_copy(uintptr_t va, uint8_t *buf, size_t len, bool write)
{
	struct vm_space *vm = __atomic_load_n(&follow.vm, __ATOMIC_ACQUIRE);
	size_t done = 0;

	while (vm && done < len && va + done < USER_VA_END) {
		uintptr_t a = va + done;
		size_t n = MIN(len - done, SIM_PAGE_SIZE - a % SIM_PAGE_SIZE);
		pte_t e = pt_lookup(vm->root, a - a % SIM_PAGE_SIZE);
		uint8_t *host =
		    arch_pte_valid(e) ? sim_ram_ptr(arch_pte_addr(e) + a % SIM_PAGE_SIZE, n) : NULL;
		if (!host)
			break;
		memcpy(write ? host : buf + done, write ? buf + done : host, n);
		done += n;
	}
	return done;
}

/* Z0 / z0 in the followed process: its breakpoint table; 0, or -1 when it is full. */
static int follow_break_set(uintptr_t addr, bool insert)
{
	if (insert && follow_break_at(addr))
		return 0;
	for (int i = 0; i < GDB_USER_BREAKS_MAX; i++)
		if (follow.brk[i] == (insert ? 0 : addr)) {
			__atomic_store_n(&follow.brk[i], insert ? addr : 0, __ATOMIC_RELEASE);
			return 0;
		}
	return insert ? -1 : 0;
}

/* Stops the machine to show the followed process (GDB connected, or pressed Ctrl-C) and
 * returns true when it can be shown: it stopped in its code meanwhile, or it is in the
 * kernel (or waits there) and shows the registers the kernel saved when it left user
 * code. False when it runs user code now, or does not exist yet: the machine then runs
 * on until its next instruction. */
static bool follow_stop(void)
{
	unsigned pid;
	const char *comm;
	void *vm;
	void *regs;

	world_stop();
	if (__atomic_load_n(&gdb.event_cpu, __ATOMIC_SEQ_CST) >= 0)
		return true;
	bool in_user = false;
	for (unsigned i = 0; i < sim_machine.ncpus; i++)
		in_user |= __atomic_load_n(&gdb_in_followed[i], __ATOMIC_RELAXED);
	if (!in_user && sim_gdb_find_process(follow.spec, &pid, &comm, &vm, &regs)) {
		if (!follow.pid) {
			snprintf(follow.name, sizeof(follow.name), "%s", comm);
			__atomic_store_n(&follow.pid, pid, __ATOMIC_RELEASE);
		}
		if (follow.pid == pid) {
			__atomic_store_n(&follow.vm, vm, __ATOMIC_RELEASE);
			memcpy(&follow.regs, regs, sizeof(follow.regs));
			follow.regs_valid = true;
			follow.task_regs = regs;
			follow.regs_cpu = -1;
			return true;
		}
	}
	__atomic_store_n(&follow.step, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < sim_machine.ncpus; i++)
		gdb.cpu[i].action = GDB_CONTINUE;
	world_resume();
	return false;
}

/* --- the past: what reverse execution replays --- */

#define GDB_PAST_STOPS 4096  /* stops of a session that reverse execution can go back over */
#define GDB_PAST_ADDRS 32768 /* the breakpoint addresses of all its resumes */
#define GDB_PAST_MAGIC 0x616d706869726576ULL
#define GDB_COUNT_STEPS_MAX 500000 /* steps a reverse-stepi after a continue counts through */

enum gdb_replay_mode { GDB_REPLAY_NONE, GDB_REPLAY_GOTO, GDB_REPLAY_SCAN, GDB_REPLAY_COUNT };

enum gdb_past_broken {
	GDB_PAST_OK,
	GDB_PAST_INTERRUPTED,
	GDB_PAST_WRITTEN,
	GDB_PAST_RELEASED,
	GDB_PAST_FULL,
	GDB_PAST_DIVERGED,
};

static const char *const past_broken_why[] = {
    [GDB_PAST_INTERRUPTED] = "the machine was stopped by an interrupt (Ctrl-C or a connection), "
			     "at a point no replay finds again",
    [GDB_PAST_WRITTEN] = "GDB changed registers or memory, which a replay does not repeat",
    [GDB_PAST_RELEASED] = "the machine ran without GDB (a detach)",
    [GDB_PAST_FULL] = "the session's history is full",
    [GDB_PAST_DIVERGED] = "a replay did not find the run it repeats again",
};

/* One resume of the machine and the stop it ended in. */
struct gdb_past_stop {
	uint8_t action[SIM_MAX_CPUS];  /* enum gdb_action of each CPU */
	uint32_t brk_first, brk_count; /* its breakpoints: past.addrs[brk_first...] */
	uint32_t repeat;	       /* >1: made that many times, a step of cpu each */
	int32_t cpu, event;	       /* the CPU that stopped, and why (enum gdb_event) */
	uint64_t pc, sp, hash;	       /* that CPU's pc and stack pointer, the trace hash there */
};

/* The session's past since kmain, and the request a replay carries out. Stop 0 is the
 * start (CPU 0 at kmain, --gdb-wait); stop k is where resume k, made at stop k - 1, ended.
 * The whole struct is what a replay inherits. */
static struct {
	uint64_t magic;
	uint32_t count;	     /* stops recorded (0: none, no reverse execution) */
	uint32_t addrs_used; /* of addrs */
	int32_t broken;	     /* enum gdb_past_broken: why the past cannot be replayed */
	/* the request */
	int32_t mode;			 /* enum gdb_replay_mode */
	int32_t target;			 /* GOTO: the stop to go to; SCAN: the current one */
	int32_t target_hits;		 /* GOTO: then this many hits of the scanned breakpoints */
	int32_t target_steps;		 /* GOTO: or this many steps of the next resume's CPU */
	bool at_start, swbreak;		 /* GOTO: what the stop reply of the arrival says */
	uint32_t scan_first, scan_count; /* GDB's breakpoints when it asked (in addrs) */
	uint64_t console;		 /* console bytes written already */
	int32_t conn_fd, listen_fd;
	bool no_ack;
	bool affinity_saved;
	bool too_far;	    /* a reverse-stepi counted too many steps: refused where it was asked */
	cpu_set_t affinity; /* the machine's host CPUs, before a replay pinned it to one */
	struct gdb_past_stop stop[GDB_PAST_STOPS];
	uintptr_t addrs[GDB_PAST_ADDRS];
} past;

/* Marks the past as one that cannot be replayed from now on, for reason why. */
static void past_break(enum gdb_past_broken why)
{
	if (!past.broken)
		past.broken = (int32_t)why;
}

/* True when addr is one of the n addresses at past.addrs[first]. */
static bool past_has(uint32_t first, uint32_t n, uintptr_t addr)
{
	for (uint32_t i = 0; i < n; i++)
		if (past.addrs[first + i] == addr)
			return true;
	return false;
}

/* Stores the breakpoints inserted now (the stub's own aside) in past.addrs, or finds them
 * there as the last resume had them; false when there is no room. */
static bool past_add_breaks(uint32_t *first, uint32_t *count)
{
	uint32_t n = 0, at = past.addrs_used;

	for (int i = 0; i < GDB_BREAKS_MAX; i++) {
		if (!gdb.brk[i].addr || gdb.brk[i].internal)
			continue;
		if (at + n == GDB_PAST_ADDRS)
			return false;
		past.addrs[at + n++] = gdb.brk[i].addr;
	}
	*first = at;
	*count = n;
	if (past.count > 0) {
		const struct gdb_past_stop *last = &past.stop[past.count - 1];
		if (last->brk_count == n && memcmp(&past.addrs[last->brk_first], &past.addrs[at],
						   n * sizeof(uintptr_t)) == 0) {
			*first = last->brk_first;
			return true;
		}
	}
	past.addrs_used += n;
	return true;
}

/* Fills stop k of the past with where CPU cpu (parked) stopped. */
static void past_set_stop(struct gdb_past_stop *k, int cpu)
{
	k->cpu = cpu;
	k->event = gdb.cpu[cpu].event;
	k->pc = sim_gdb_pc(gdb.cpu[cpu].uc);
	k->sp = sim_gdb_sp(gdb.cpu[cpu].uc);
	k->hash = sim_trace_hash();
}

/* The session's start, CPU 0 at kmain: stop 0 of the past, when the machine can be
 * replayed. */
static void past_record_start(void)
{
	if (!sim_gdb_replay_ready(NULL))
		return;
	past.addrs_used = 0;
	past_set_stop(&past.stop[0], 0);
	past.count = 1;
}

/* Before a resume: its CPUs' actions and breakpoints. */
static void past_record_resume(void)
{
	if (!past.count || past.broken)
		return;
	struct gdb_past_stop *k = &past.stop[past.count];
	if (past.count == GDB_PAST_STOPS || !past_add_breaks(&k->brk_first, &k->brk_count)) {
		past_break(GDB_PAST_FULL);
		return;
	}
	k->repeat = 1;
	for (unsigned i = 0; i < sim_machine.ncpus; i++)
		k->action[i] = (uint8_t)gdb.cpu[i].action;
}

/* After it: the stop it ended in, at a trap of CPU cpu. */
static void past_record_stop(int cpu)
{
	if (!past.count || past.broken)
		return;
	past_set_stop(&past.stop[past.count], cpu);
	past.count++;
}

/* --- packets --- */

/* The next byte from GDB; -1 when the connection ended. */
static int conn_getc(void)
{
	if (gdb.rx_pos == gdb.rx_len) {
		ssize_t n;
		do
			n = read(gdb.conn_fd, gdb.rx, sizeof(gdb.rx));
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return -1;
		gdb.rx_len = (size_t)n;
		gdb.rx_pos = 0;
	}
	return gdb.rx[gdb.rx_pos++];
}

/* Writes all of buf to GDB; false when the connection ended. */
static bool conn_write(const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(gdb.conn_fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static const char hex_digits[] = "0123456789abcdef";

/* The value of hex digit c (either case), or -1. */
static int hex_digit(int c)
{
	const char *d = c > 0 && c < 128 ? strchr(hex_digits, tolower(c)) : NULL;

	return d ? (int)(d - hex_digits) : -1;
}

/* Receives one packet's payload into gdb.in (NUL-terminated), acknowledging it; false
 * when the connection ended. */
static bool packet_receive(size_t *len)
{
	for (;;) {
		int c;
		while ((c = conn_getc()) != '$')
			if (c < 0)
				return false;
		uint8_t sum = 0;
		size_t n = 0;
		while ((c = conn_getc()) >= 0 && c != '#') {
			if (n < GDB_PACKET_MAX)
				gdb.in[n++] = (char)c;
			sum = (uint8_t)(sum + c);
		}
		int hi = hex_digit(conn_getc()), lo = hex_digit(conn_getc());
		if (c < 0)
			return false;
		gdb.in[n] = '\0';
		bool good = hi >= 0 && lo >= 0 && (uint8_t)(hi * 16 + lo) == sum;
		if (!gdb.no_ack && !conn_write(good ? "+" : "-", 1))
			return false;
		if (good) {
			*len = n;
			return true;
		}
	}
}

/* Sends a packet with payload data (escaped already); waits for GDB's ack, sending again
 * on a '-'. False when the connection ended. */
static bool packet_send(const char *data, size_t len)
{
	static char frame[sizeof(gdb.out) + 4];
	uint8_t sum = 0;

	frame[0] = '$';
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + (uint8_t)data[i]);
	memcpy(frame + 1, data, len);
	snprintf(frame + 1 + len, 4, "#%02x", sum);
	for (;;) {
		if (!conn_write(frame, len + 4))
			return false;
		if (gdb.no_ack)
			return true;
		int c;
		while ((c = conn_getc()) != '+' && c != '-')
			if (c < 0)
				return false;
		if (c == '+')
			return true;
	}
}

/* Sends a NUL-terminated reply. */
static bool reply(const char *s)
{
	return packet_send(s, strlen(s));
}

/* Hex-encodes len bytes of src at dst (2 * len characters, no NUL). */
static void hex_encode(char *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		dst[2 * i] = hex_digits[src[i] >> 4];
		dst[2 * i + 1] = hex_digits[src[i] & 15];
	}
}

/* Decodes len bytes of hex at src into dst; false when a character is no hex digit. */
static bool hex_decode(uint8_t *dst, const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hex_digit(src[2 * i]), lo = hex_digit(src[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		dst[i] = (uint8_t)(hi * 16 + lo);
	}
	return true;
}

/* Parses a hex number at *p, moving *p past it; false when there is none. */
static bool parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;

	*v = 0;
	while (hex_digit(**p) >= 0)
		*v = *v * 16 + (uint64_t)hex_digit(*(*p)++);
	return *p != s;
}

/* Replies to qXfer:OBJECT:read:ANNEX:off,len with the slice of the object (size bytes),
 * binary-escaped. */
static bool reply_xfer(const char *args, const void *object, size_t size)
{
	const uint8_t *obj = object;
	uint64_t off, len;

	if (!parse_hex(&args, &off) || *args++ != ',' || !parse_hex(&args, &len))
		return reply("E00");
	len = MIN(len, (uint64_t)GDB_PACKET_MAX - 16);
	if (off >= size)
		return reply("l");
	size_t n = 0, i = (size_t)off, end = (size_t)MIN(off + len, (uint64_t)size);
	gdb.out[n++] = end == size ? 'l' : 'm';
	for (; i < end && n < GDB_PACKET_MAX - 2; i++) {
		uint8_t c = obj[i];
		if (c == '#' || c == '$' || c == '}' || c == '*') {
			gdb.out[n++] = '}';
			c ^= 0x20;
		}
		gdb.out[n++] = (char)c;
	}
	if (i < end) /* escapes made it longer than fits: say there is more */
		gdb.out[0] = 'm';
	return packet_send(gdb.out, n);
}

/* --- the commands --- */

/* The CPU of GDB thread id tid (cpu + 1); 0 and -1 mean any started one. -1 when there
 * is none. */
static int thread_cpu(int64_t tid)
{
	if (follow.active) /* one thread, the process: where it stopped */
		return tid <= 1 ? MAX(gdb.g_cpu, 0) : -1;
	if (tid <= 0)
		return cpu_parked(gdb.g_cpu) ? gdb.g_cpu : 0;
	if ((uint64_t)tid > sim_machine.ncpus || !gdb.cpu[tid - 1].tid)
		return -1;
	return (int)tid - 1;
}

/* Parses a thread id (hex, or -1) at *p. */
static int64_t parse_thread(const char **p)
{
	uint64_t v;

	if (**p == '-' && (*p)[1] == '1') {
		*p += 2;
		return -1;
	}
	return parse_hex(p, &v) ? (int64_t)v : -2;
}

/* The thread list as qXfer:threads:read gives it; its length in *len. */
static const char *threads_xml(size_t *len)
{
	static char xml[SIM_MAX_CPUS * 64 + 64];
	size_t n = (size_t)snprintf(xml, sizeof(xml), "<?xml version=\"1.0\"?>\n<threads>\n");

	if (follow.active) {
		n += (size_t)snprintf(xml + n, sizeof(xml) - n,
				      "<thread id=\"1\" name=\"%s\"/>\n</threads>\n", follow.name);
		*len = n;
		return xml;
	}
	for (unsigned i = 0; i < sim_machine.ncpus; i++)
		if (gdb.cpu[i].tid)
			n += (size_t)snprintf(xml + n, sizeof(xml) - n,
					      "<thread id=\"%x\" name=\"cpu%u\"/>\n", i + 1, i);
	n += (size_t)snprintf(xml + n, sizeof(xml) - n, "</threads>\n");
	*len = n;
	return xml;
}

/* qfThreadInfo: every started CPU. */
static bool reply_thread_list(void)
{
	size_t n = 0;

	gdb.out[n++] = 'm';
	if (follow.active)
		return reply("m1");
	for (unsigned i = 0; i < sim_machine.ncpus; i++)
		if (gdb.cpu[i].tid)
			n += (size_t)snprintf(gdb.out + n, sizeof(gdb.out) - n, "%s%x",
					      n > 1 ? "," : "", i + 1);
	return packet_send(gdb.out, n);
}

/* qThreadExtraInfo: the CPU's scheduling state, hex-encoded. */
static bool reply_thread_extra(const char *args)
{
	static const char *const names[] = {"off", "runnable", "idle", "parked"};
	int cpu = thread_cpu(parse_thread(&args));
	char text[32];

	if (cpu < 0)
		return reply("E01");
	if (follow.active) {
		int len = snprintf(text, sizeof(text), "pid %u", follow.pid);
		hex_encode(gdb.out, (const uint8_t *)text, (size_t)len);
		return packet_send(gdb.out, 2 * (size_t)len);
	}
	unsigned state = (unsigned)__atomic_load_n(&sim_machine.cpu[cpu].state, __ATOMIC_RELAXED);
	int n = snprintf(text, sizeof(text), "%s", state < 4 ? names[state] : "?");
	hex_encode(gdb.out, (const uint8_t *)text, (size_t)n);
	return packet_send(gdb.out, 2 * (size_t)n);
}

/* Register r of the selected thread into v: the parked CPU's, or the followed process's;
 * its size, or -1 when it is not known (its bytes are then 'x'). */
static int register_get(unsigned r, uint8_t *v)
{
	if (follow.active)
		return follow.regs_valid ? sim_gdb_guest_reg_get(&follow.regs, r, v) : -1;
	if (!cpu_parked(gdb.g_cpu) || !gdb.cpu[gdb.g_cpu].uc)
		return -1;
	return sim_gdb_reg_get(gdb.cpu[gdb.g_cpu].uc, r, v);
}

/* The number of registers and the size of register r, in the session's description. */
static unsigned register_count(void)
{
	return follow.active ? sim_gdb_guest_reg_count() : sim_gdb_reg_count();
}

static unsigned register_size(unsigned r)
{
	return follow.active ? sim_gdb_guest_reg_size(r) : sim_gdb_reg_size(r);
}

/* True when the selected thread's registers can be written (a CPU parked in a signal, or
 * the followed process where it stopped). */
static bool registers_writable(void)
{
	if (follow.active)
		return follow.regs_valid;
	return cpu_parked(gdb.g_cpu) && gdb.cpu[gdb.g_cpu].uc;
}

/* Writes register r of the selected thread (registers_writable): into the parked CPU's
 * signal context, or into the followed process's registers and from there to where they
 * live (see follow.task_regs). 0, or -1 for a register that cannot change. */
static int register_set(unsigned r, const uint8_t *v)
{
	if (!follow.active)
		return sim_gdb_reg_set(gdb.cpu[gdb.g_cpu].uc, r, v);
	if (sim_gdb_guest_reg_set(&follow.regs, r, v) < 0)
		return -1;
	if (follow.task_regs)
		*follow.task_regs = follow.regs;
	else
		follow.regs_dirty = true;
	return 0;
}

/* g: every register of the selected thread ('x' for those not known). */
static bool reply_registers(void)
{
	uint8_t v[16];
	size_t n = 0;

	for (unsigned r = 0; r < register_count(); r++) {
		size_t size = register_size(r);
		if (register_get(r, v) < 0)
			memset(gdb.out + n, 'x', 2 * size);
		else
			hex_encode(gdb.out + n, v, size);
		n += 2 * size;
	}
	return packet_send(gdb.out, n);
}

/* True when register r holds the size bytes at v. */
static bool register_holds(unsigned r, const uint8_t *v, size_t size)
{
	uint8_t now[16];

	return register_get(r, now) >= 0 && !memcmp(now, v, size);
}

/* G: writes every register of the selected thread. A register that refuses a write keeps
 * its value; E01 when the packet gave it another (the others are written). */
static bool write_registers(const char *hex, size_t len)
{
	uint8_t v[16];
	bool refused = false;

	if (!registers_writable())
		return reply("E01");
	past_break(GDB_PAST_WRITTEN);
	for (unsigned r = 0; r < register_count(); r++) {
		size_t size = register_size(r);
		if (len < 2 * size)
			break;
		if (hex_decode(v, hex, size) && register_set(r, v) < 0)
			refused |= !register_holds(r, v, size);
		hex += 2 * size;
		len -= 2 * size;
	}
	return reply(refused ? "E01" : "OK");
}

/* p / P: one register of the selected thread. */
static bool one_register(const char *args, bool write)
{
	uint64_t r;
	uint8_t v[16];

	if (!parse_hex(&args, &r) || r >= register_count())
		return reply("E01");
	size_t size = register_size((unsigned)r);
	if (write) {
		past_break(GDB_PAST_WRITTEN);
		if (!registers_writable() || *args++ != '=' || strlen(args) < 2 * size ||
		    !hex_decode(v, args, size) || register_set((unsigned)r, v) < 0)
			return reply("E01");
		return reply("OK");
	}
	if (register_get((unsigned)r, v) < 0) {
		memset(gdb.out, 'x', 2 * size);
		return packet_send(gdb.out, 2 * size);
	}
	hex_encode(gdb.out, v, size);
	return packet_send(gdb.out, 2 * size);
}

/* m addr,len: memory; E14 (EFAULT) when not even its first byte is mapped. */
static bool reply_memory(const char *args)
{
	static uint8_t buf[GDB_PACKET_MAX / 2];
	uint64_t addr, len;

	if (!parse_hex(&args, &addr) || *args++ != ',' || !parse_hex(&args, &len))
		return reply("E01");
	size_t n = (size_t)MIN(len, sizeof(buf));
	size_t got = follow.active ? follow_mem_copy((uintptr_t)addr, buf, n, false)
				   : mem_read((uintptr_t)addr, buf, n);
	if (!got && len)
		return reply("E14");
	hex_encode(gdb.out, buf, got);
	return packet_send(gdb.out, 2 * got);
}

/* M addr,len:hex: writes memory. */
static bool write_memory(const char *args)
{
	static uint8_t buf[GDB_PACKET_MAX / 2];
	uint64_t addr, len;

	if (!parse_hex(&args, &addr) || *args++ != ',' || !parse_hex(&args, &len) ||
	    *args++ != ':' || len > sizeof(buf) || strlen(args) < 2 * len ||
	    !hex_decode(buf, args, (size_t)len))
		return reply("E01");
	past_break(GDB_PAST_WRITTEN);
	size_t done = follow.active ? follow_mem_copy((uintptr_t)addr, buf, (size_t)len, true)
				    : mem_write((uintptr_t)addr, buf, (size_t)len);
	return reply(done == len ? "OK" : "E14");
}

/* Z0 / z0 addr,kind: software breakpoints; other kinds are not supported (empty reply). */
static bool breakpoint(const char *args, bool insert)
{
	uint64_t addr;

	if (args[0] != '0' || args[1] != ',')
		return reply("");
	args += 2;
	if (!parse_hex(&args, &addr))
		return reply("E01");
	if (follow.active)
		return reply(follow_break_set((uintptr_t)addr, insert) == 0 ? "OK" : "E01");
	if (insert)
		return reply(break_insert((uintptr_t)addr, false) == 0 ? "OK" : "E14");
	int slot = break_find((uintptr_t)addr);
	if (slot >= 0)
		break_remove_slot(slot);
	return reply("OK");
}

/* Sets each parked CPU's action from vCont's actions ("c", "s:2", "C05:1"...): the first
 * that names it, or names no thread, applies; no action leaves it stopped. False when
 * malformed. */
static bool parse_vcont(const char *p)
{
	for (unsigned i = 0; i < sim_machine.ncpus; i++)
		gdb.cpu[i].action = GDB_STAY;
	bool set[SIM_MAX_CPUS] = {false};
	while (*p == ';') {
		char kind = *++p;
		uint64_t sig;
		int64_t tid = -1;
		p++;
		if (kind == 'C' || kind == 'S')
			parse_hex(&p, &sig); /* a signal for the kernel means nothing here */
		else if (kind != 'c' && kind != 's')
			return false;
		if (*p == ':') {
			p++;
			tid = parse_thread(&p);
		}
		enum gdb_action a = kind == 's' || kind == 'S' ? GDB_STEP : GDB_CONTINUE;
		if (follow.active) { /* the process steps; every CPU runs */
			if (a == GDB_STEP)
				__atomic_store_n(&follow.step, true, __ATOMIC_RELEASE);
			a = GDB_CONTINUE;
		}
		for (unsigned i = 0; i < sim_machine.ncpus; i++)
			if (!set[i] && (tid <= 0 || (uint64_t)tid == i + 1)) {
				gdb.cpu[i].action = a;
				set[i] = true;
			}
	}
	return *p == '\0';
}

/* Formats the stop reply for CPU cpu stopped with signal sig. */
static void stop_reply_set(int cpu, int sig, bool swbreak)
{
	snprintf(gdb.stop_reply, sizeof(gdb.stop_reply), "T%02xthread:%x;%s", sig,
		 follow.active ? 1 : cpu + 1, swbreak ? "swbreak:;" : "");
	gdb.g_cpu = gdb.c_cpu = cpu;
}

/* The machine was resumed: waits for a CPU's trap or GDB's Ctrl-C, stops the machine and
 * reports why. False when the connection ended (the machine is stopped then). */
static bool wait_for_stop(void)
{
	struct pollfd fds[2] = {{.fd = gdb.conn_fd, .events = POLLIN},
				{.fd = gdb.event_fd, .events = POLLIN}};

	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			world_stop();
			return false;
		}
		if (fds[1].revents & POLLIN)
			break;
		if (fds[0].revents) {
			int c = conn_getc();
			if (c < 0) {
				world_stop();
				return false;
			}
			if (c == 0x03 && follow.active) {
				follow.interrupted = true;
				if (follow_stop())
					break;
				continue; /* it stops at its next instruction */
			}
			if (c == 0x03) { /* Ctrl-C */
				world_stop();
				int cpu = __atomic_load_n(&gdb.event_cpu, __ATOMIC_SEQ_CST);
				if (cpu >= 0) /* a trap came first: report it instead */
					break;
				stop_reply_set(cpu_parked(gdb.c_cpu) ? gdb.c_cpu : 0, SIGINT,
					       false);
				past_break(GDB_PAST_INTERRUPTED);
				return reply(gdb.stop_reply);
			}
		}
	}
	world_stop();
	__atomic_store_n(&follow.step, false, __ATOMIC_RELEASE); /* a step asked but not taken */
	int cpu = __atomic_load_n(&gdb.event_cpu, __ATOMIC_SEQ_CST);
	bool interrupted = follow.interrupted;
	follow.interrupted = false;
	if (cpu < 0) /* the followed process, stopped in the kernel (follow_stop) */
		stop_reply_set(0, SIGINT, false);
	else
		stop_reply_set(cpu, interrupted ? SIGINT : SIGTRAP,
			       !interrupted && gdb.cpu[cpu].event == GDB_EV_BREAK);
	if (cpu < 0 || interrupted)
		past_break(GDB_PAST_INTERRUPTED);
	else
		past_record_stop(cpu);
	return reply(gdb.stop_reply);
}

/* Resumes the machine as the actions set and waits for it to stop again. */
static bool resume(void)
{
	past_record_resume();
	__atomic_store_n(&gdb.waiting, true, __ATOMIC_SEQ_CST);
	world_resume();
	bool ok = wait_for_stop();
	__atomic_store_n(&gdb.waiting, false, __ATOMIC_SEQ_CST);
	return ok;
}

/* At the process's exit (power-off) while GDB waits for the machine to stop: tells it the
 * program exited with status, as W<status> (GDB's "exited normally" / "with code"). */
static void gdb_on_exit(int status, void *unused)
{
	char packet[16];
	unsigned code = (unsigned)status & 0xff;

	(void)unused;
	if (gdb.conn_fd < 0 || !__atomic_load_n(&gdb.waiting, __ATOMIC_SEQ_CST))
		return;
	snprintf(packet, sizeof(packet), "$W%02x#%02x", code,
		 ('W' + hex_digits[code >> 4] + hex_digits[code & 15]) & 0xff);
	ssize_t n = send(gdb.conn_fd, packet, strlen(packet), MSG_NOSIGNAL);
	(void)n; /* GDB may be gone already */
}

/* Replies to a monitor command with text (hex-encoded, as qRcmd output is). */
static bool monitor_reply(const char *text)
{
	size_t len = strlen(text);

	hex_encode(gdb.out, (const uint8_t *)text, len);
	return packet_send(gdb.out, 2 * len);
}

static const char *reverse_why_not(void);

/* qRcmd: the monitor commands (hex-encoded at hex). */
static bool monitor(const char *hex)
{
	static char cmd[128], text[256];
	size_t len = strlen(hex) / 2;

	if (len >= sizeof(cmd) || !hex_decode((uint8_t *)cmd, hex, len))
		return reply("E01");
	cmd[len] = '\0';
	if (strncmp(cmd, "follow ", 7) == 0 && strlen(cmd + 7) < sizeof(follow.spec)) {
		bool off = strcmp(cmd + 7, "off") == 0;
		snprintf(follow.spec, sizeof(follow.spec), "%s", off ? "" : cmd + 7);
		__atomic_store_n(&follow.pid, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&follow.vm, NULL, __ATOMIC_RELEASE);
		snprintf(text, sizeof(text),
			 off ? "amphi: following no process from the next connection\n"
			     : "amphi: following process %s from the next connection (disconnect, "
			       "then target remote again)\n",
			 follow.spec);
		return monitor_reply(text);
	}
	if (strcmp(cmd, "follow") == 0) {
		if (!follow.spec[0])
			return monitor_reply(
			    "amphi: following no process: the kernel (host code)\n");
		int n = snprintf(text, sizeof(text), "amphi: following %s%s", follow.spec,
				 follow.active ? "" : " from the next connection");
		if (follow.pid) /* it ran user code since it was chosen */
			n += snprintf(text + n, sizeof(text) - (size_t)n, " (pid %u)", follow.pid);
		snprintf(text + n, sizeof(text) - (size_t)n, "\n");
		return monitor_reply(text);
	}
	if (strcmp(cmd, "reverse") == 0) {
		const char *why = reverse_why_not();
		if (why)
			snprintf(text, sizeof(text), "amphi: reverse execution is off: %s\n", why);
		else
			snprintf(text, sizeof(text),
				 "amphi: reverse execution is on: %u stops since kmain can be "
				 "replayed\n",
				 past.count);
		return monitor_reply(text);
	}
	return monitor_reply(
	    "amphi monitor commands:\n"
	    "  follow PID|NAME  see that user process alone (from the next "
	    "connection)\n"
	    "  follow off       see the kernel again (from the next connection)\n"
	    "  follow           what is followed\n"
	    "  reverse          whether reverse execution is possible, and why not\n");
}

/* Handles the q and Q packets. */
static bool query(const char *p)
{
	size_t len;

	if (strncmp(p, "qSupported", 10) == 0) {
		snprintf(gdb.out, sizeof(gdb.out),
			 "PacketSize=%x;qXfer:features:read+;qXfer:threads:read+;%s%s"
			 "swbreak+;QStartNoAckMode+;vContSupported+",
			 GDB_PACKET_MAX, follow.active ? "" : "qXfer:auxv:read+;",
			 sim_gdb_replay_ready(NULL) ? "ReverseStep+;ReverseContinue+;" : "");
		return reply(gdb.out);
	}
	if (strcmp(p, "QStartNoAckMode") == 0) {
		bool ok = reply("OK");
		gdb.no_ack = true;
		return ok;
	}
	if (strncmp(p, "qXfer:features:read:target.xml:", 31) == 0) {
		const char *xml = follow.active ? sim_gdb_guest_xml() : sim_gdb_target_xml();
		return reply_xfer(p + 31, xml, strlen(xml));
	}
	if (strncmp(p, "qXfer:threads:read::", 20) == 0) {
		const char *xml = threads_xml(&len);
		return reply_xfer(p + 20, xml, len);
	}
	if (strncmp(p, "qRcmd,", 6) == 0)
		return monitor(p + 6);
	if (strncmp(p, "qXfer:auxv:read::", 17) == 0 && !follow.active)
		return reply_xfer(p + 17, gdb.auxv, gdb.auxv_len);
	if (strcmp(p, "qfThreadInfo") == 0)
		return reply_thread_list();
	if (strcmp(p, "qsThreadInfo") == 0)
		return reply("l");
	if (strncmp(p, "qThreadExtraInfo,", 17) == 0)
		return reply_thread_extra(p + 17);
	if (strcmp(p, "qC") == 0) {
		snprintf(gdb.out, sizeof(gdb.out), "QC%x", follow.active ? 1 : gdb.g_cpu + 1);
		return reply(gdb.out);
	}
	if (strcmp(p, "qAttached") == 0)
		return reply("1");
	if (strncmp(p, "qSymbol", 7) == 0)
		return reply("OK");
	return reply("");
}

/* --- reverse execution --- */

/* Writes "amphi: cannot execute in reverse: why" on GDB's console; false when the
 * connection ended. */
static bool reverse_say(const char *why)
{
	char text[384];
	int len = snprintf(text, sizeof(text), "amphi: cannot execute in reverse: %s\n", why);
	size_t n = (size_t)MIN(len, (int)sizeof(text) - 1);

	gdb.out[0] = 'O';
	hex_encode(gdb.out + 1, (const uint8_t *)text, n);
	return packet_send(gdb.out, 1 + 2 * n);
}

/* Refuses a reverse request: says why on GDB's console, then fails it. */
static bool reverse_refuse(const char *why)
{
	return reverse_say(why) && reply("E01");
}

/* NULL when the past can be replayed now, else why not. */
static const char *reverse_why_not(void)
{
	const char *why;

	if (!sim_gdb_replay_ready(&why))
		return why;
	if (past.broken)
		return past_broken_why[past.broken];
	if (!past.count)
		return "the machine ran before this session (only the first session of --gdb-wait "
		       "starts at kmain)";
	return NULL;
}

/* The stop reply at the start of the past, where nothing is before: GDB says "No more
 * reverse-execution history". */
static bool reverse_at_start(void)
{
	int cpu = past.stop[0].cpu;

	snprintf(gdb.stop_reply, sizeof(gdb.stop_reply), "T%02xthread:%x;replaylog:begin;", SIGTRAP,
		 cpu + 1);
	gdb.g_cpu = gdb.c_cpu = cpu;
	return reply(gdb.stop_reply);
}

/* Runs the machine again from the start to carry out the request in past, keeping GDB's
 * connection; note_breaks: GDB's breakpoints now are the ones to scan for and to put back
 * at the arrival. Returns (refusing) only when it cannot. */
static bool reverse_replay(bool note_breaks)
{
	past.magic = GDB_PAST_MAGIC;
	past.console = sim_console_written();
	past.conn_fd = gdb.conn_fd;
	past.listen_fd = gdb.listen_fd;
	past.no_ack = gdb.no_ack;
	if (!past.affinity_saved)
		past.affinity_saved =
		    sched_getaffinity(0, sizeof(past.affinity), &past.affinity) == 0;
	if (note_breaks && !past_add_breaks(&past.scan_first, &past.scan_count))
		return reverse_refuse(past_broken_why[GDB_PAST_FULL]);
	int err = sim_gdb_replay_exec(&past, sizeof(past), gdb.conn_fd, gdb.listen_fd);
	past.mode = GDB_REPLAY_NONE;
	return reverse_refuse(strerror(-err));
}

/* bc: back to the last point before this stop where a CPU was at one of GDB's breakpoints,
 * or to the start. A first replay (SCAN) finds it, a second (GOTO) stops there. */
static bool reverse_continue(void)
{
	past.mode = GDB_REPLAY_SCAN;
	past.target = (int32_t)past.count - 1;
	return reverse_replay(true);
}

/* bs: back to the instruction the current thread ran before this stop. After a step of it
 * that is the stop before (or one step less of a repeated resume); after a breakpoint it hit,
 * a replay (COUNT) steps it through the resume that ended there to count its instructions,
 * and a second one stops one short. */
static bool reverse_step(void)
{
	const struct gdb_past_stop *last = &past.stop[past.count - 1];
	int cpu = gdb.c_cpu >= 0 ? gdb.c_cpu : last->cpu;

	if (last->cpu != cpu)
		return reverse_refuse("this thread did not stop here: the instruction it ran "
				      "before is not known");
	past.target = (int32_t)past.count - 1;
	if (last->event == GDB_EV_STEP && last->action[cpu] == GDB_STEP) {
		past.mode = GDB_REPLAY_GOTO;
		past.target = (int32_t)past.count - 2;
		past.target_hits = 0;
		past.target_steps = (int32_t)MAX(last->repeat, 1u) - 1;
		past.at_start = past.swbreak = false;
	} else {
		past.mode = GDB_REPLAY_COUNT;
	}
	return reverse_replay(true);
}

/* --- replaying the past (in the process a reverse request started) --- */

static char replay_diverged[256]; /* where a replay found another run than it repeats */

/* Waits for a CPU's report after a resume and stops the machine; the reporting CPU. */
static int replay_wait(void)
{
	struct pollfd fd = {.fd = gdb.event_fd, .events = POLLIN};

	while (poll(&fd, 1, -1) < 0 && errno == EINTR)
		;
	world_stop();
	return __atomic_load_n(&gdb.event_cpu, __ATOMIC_SEQ_CST);
}

/* Inserts the n breakpoints at past.addrs[first]. */
static void replay_insert(uint32_t first, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		break_insert(past.addrs[first + i], false);
}

/* Arms resume k as it was made: its breakpoints (and the scanned ones when scan) and its
 * CPUs' actions. */
static void replay_arm(const struct gdb_past_stop *k, bool scan)
{
	break_remove_all(false);
	replay_insert(k->brk_first, k->brk_count);
	if (scan)
		replay_insert(past.scan_first, past.scan_count);
	for (unsigned i = 0; i < sim_machine.ncpus; i++)
		gdb.cpu[i].action = (enum gdb_action)k->action[i];
}

/* True when CPU cpu stopped as stop k of the past did: same CPU, event, pc, trace hash, and
 * stack pointer (the addresses are the same in every replay, or GDB's values would lie). */
static bool replay_matches(const struct gdb_past_stop *k, int cpu)
{
	const void *uc = cpu >= 0 ? gdb.cpu[cpu].uc : NULL;

	if (uc && cpu == k->cpu && gdb.cpu[cpu].event == k->event && sim_gdb_pc(uc) == k->pc &&
	    sim_gdb_sp(uc) == k->sp && sim_trace_hash() == k->hash)
		return true;
	snprintf(replay_diverged, sizeof(replay_diverged),
		 "at stop %u: cpu%d, event %d, pc %#lx, sp %#lx, trace hash %016llx instead of "
		 "cpu%d, event %d, pc %#lx, sp %#lx, %016llx",
		 past.count, cpu, uc ? gdb.cpu[cpu].event : -1,
		 uc ? (unsigned long)sim_gdb_pc(uc) : 0UL, uc ? (unsigned long)sim_gdb_sp(uc) : 0UL,
		 (unsigned long long)sim_trace_hash(), k->cpu, k->event, (unsigned long)k->pc,
		 (unsigned long)k->sp, (unsigned long long)k->hash);
	return false;
}

/* True when CPU cpu stopped at a scanned breakpoint that resume k did not have. */
static bool replay_extra_hit(const struct gdb_past_stop *k, int cpu)
{
	uintptr_t pc = sim_gdb_pc(gdb.cpu[cpu].uc);

	return gdb.cpu[cpu].event == GDB_EV_BREAK &&
	       past_has(past.scan_first, past.scan_count, pc) &&
	       !past_has(k->brk_first, k->brk_count, pc);
}

/* Steps CPU cpu alone over the breakpoint it stopped at (recording that in the past when
 * record), then arms resume k again. */
static void replay_step_over(int cpu, const struct gdb_past_stop *k, bool scan, bool record)
{
	int slot = break_find(sim_gdb_pc(gdb.cpu[cpu].uc));

	if (slot >= 0)
		break_remove_slot(slot);
	for (unsigned i = 0; i < sim_machine.ncpus; i++)
		gdb.cpu[i].action = (int)i == cpu ? GDB_STEP : GDB_STAY;
	if (record)
		past_record_resume();
	world_resume();
	int stepped = replay_wait();
	if (record && stepped >= 0)
		past_record_stop(stepped);
	replay_arm(k, scan);
}

/* True when parked CPU i sits at a scanned breakpoint that resume k did not have. */
static bool replay_at_extra(const struct gdb_past_stop *k, unsigned i)
{
	if (!cpu_parked((int)i) || !gdb.cpu[i].uc)
		return false;
	uintptr_t pc = sim_gdb_pc(gdb.cpu[i].uc);
	return past_has(past.scan_first, past.scan_count, pc) &&
	       !past_has(k->brk_first, k->brk_count, pc);
}

/* Resumes the machine as resume k was (recorded in the past when record), with the
 * scanned breakpoints too when scan. A CPU that sits at a scanned breakpoint would trap
 * at once, where it stands: when it continues, it first steps over it alone, as GDB does;
 * when it steps, it steps without it. */
static void replay_resume(const struct gdb_past_stop *k, bool scan, bool record)
{
	replay_arm(k, scan);
	for (unsigned i = 0; scan && i < sim_machine.ncpus; i++)
		if (k->action[i] == GDB_CONTINUE && replay_at_extra(k, i))
			replay_step_over((int)i, k, scan, record);
	for (unsigned i = 0; scan && i < sim_machine.ncpus; i++)
		if (k->action[i] == GDB_STEP && replay_at_extra(k, i))
			break_remove_slot(break_find(sim_gdb_pc(gdb.cpu[i].uc)));
	if (record)
		past_record_resume();
	world_resume();
}

/* Runs the stub's thread and every started CPU's on the host CPU the stub runs on (pin),
 * or on the machine's own CPUs again: a replay hands the machine between them at every
 * stop, which costs tens of microseconds between two host CPUs and a few on one. */
static void replay_pin(bool pin)
{
	cpu_set_t one;
	const cpu_set_t *set = &past.affinity;

	if (pin) {
		CPU_ZERO(&one);
		CPU_SET(MAX(sched_getcpu(), 0), &one);
		set = &one;
	} else if (!past.affinity_saved) {
		return;
	}
	sched_setaffinity(0, sizeof(*set), set);
	for (unsigned i = 0; i < sim_machine.ncpus; i++)
		if (gdb.cpu[i].tid)
			sched_setaffinity((pid_t)gdb.cpu[i].tid, sizeof(*set), set);
}

/* A point of the past: stop `stop`, then `hits` hits of the scanned breakpoints or `steps`
 * single steps of its CPU in the resume after it. */
struct gdb_point {
	int stop, hits, steps;
};

/* True when CPU cpu stopped from a single step of resume k's CPU (not the last of a
 * repeated one, which replay_matches checks). */
static bool replay_stepped(const struct gdb_past_stop *k, int cpu)
{
	if (cpu == k->cpu && gdb.cpu[cpu].event == GDB_EV_STEP)
		return true;
	snprintf(replay_diverged, sizeof(replay_diverged),
		 "at stop %u: cpu%d (event %d) instead of a step of cpu%d", past.count, cpu,
		 cpu >= 0 ? gdb.cpu[cpu].event : -1, k->cpu);
	return false;
}

/* Replays resume n of the past (all its repeats), checked to stop where it did. In a scan
 * the scanned breakpoints are inserted too, and each point where a CPU is at one of them
 * goes into *cand. False when the replay diverged. */
static bool replay_resume_n(int n, bool scan, struct gdb_point *cand)
{
	const struct gdb_past_stop *k = &past.stop[n];
	uint32_t repeat = MAX(k->repeat, 1u), r = 1;
	int hits = 0, cpu;

	for (;;) {
		replay_resume(k, scan, false);
		cpu = replay_wait();
		if (cpu >= 0 && scan && replay_extra_hit(k, cpu)) {
			*cand =
			    (struct gdb_point){n - 1, ++hits, 0}; /* the next resume steps over */
			continue;
		}
		if (r == repeat)
			return replay_matches(k, cpu);
		if (!replay_stepped(k, cpu))
			return false;
		if (scan && past_has(past.scan_first, past.scan_count, sim_gdb_pc(gdb.cpu[cpu].uc)))
			*cand = (struct gdb_point){n - 1, 0, (int)r};
		r++;
	}
}

/* Replays resumes 1 to last of the past; stops 0 to last then stand as the past. In a scan
 * the last point before stop last where a CPU is at a scanned breakpoint goes into *cand
 * (whose stop stays -1 when there is none). False when the replay diverged (the past is
 * then the stops that matched). */
static bool replay_past(int last, bool scan, struct gdb_point *cand)
{
	uint32_t scan_n = scan ? past.scan_count : 0;

	past.count = 0;
	if (!replay_matches(&past.stop[0], __atomic_load_n(&gdb.event_cpu, __ATOMIC_SEQ_CST)))
		return false;
	if (last > 0 && past_has(past.scan_first, scan_n, past.stop[0].pc))
		*cand = (struct gdb_point){0, 0, 0};
	for (int n = 1; n <= last; n++) {
		past.count = (uint32_t)n;
		if (!replay_resume_n(n, scan, cand))
			return false;
		if (n < last && past_has(past.scan_first, scan_n, past.stop[n].pc))
			*cand = (struct gdb_point){n, 0, 0};
	}
	past.count = (uint32_t)last + 1;
	return true;
}

/* After the stop the past ends in: runs its next resume with the scanned breakpoints too,
 * up to the hits-th hit of one of them, recording each stop and step-over on the way. False
 * when it stopped otherwise. */
static bool replay_hits(int hits)
{
	static struct gdb_past_stop k;

	k = past.stop[past.count]; /* recording overwrites it */
	for (int n = 1;; n++) {
		replay_resume(&k, true, true);
		int cpu = replay_wait();
		if (cpu < 0 || !replay_extra_hit(&k, cpu))
			return false;
		past_record_stop(cpu);
		if (n == hits)
			return true;
	}
}

/* After the stop the past ends in: steps the CPU of its next resume through it (the
 * others as that resume had them), steps times, or with steps < 0 until it reaches that
 * resume's stop (GDB_REPLAY_COUNT: how many steps that took goes into *steps, or -2 after
 * GDB_COUNT_STEPS_MAX). Records the steps as one repeated resume when record. False when it
 * stopped otherwise. */
static bool replay_steps(int *steps, bool record)
{
	static struct gdb_past_stop k;
	int cpu = -1, n = 0;

	k = past.stop[past.count]; /* recording overwrites it */
	k.action[k.cpu] = GDB_STEP;
	replay_arm(&k, false);
	if (record)
		past_record_resume();
	while (*steps < 0 || n < *steps) {
		world_resume();
		cpu = replay_wait();
		if (!replay_stepped(&k, cpu))
			return false;
		if (++n > GDB_COUNT_STEPS_MAX) {
			*steps = -2; /* too far: the caller goes back */
			return true;
		}
		if (*steps < 0 && sim_gdb_pc(gdb.cpu[cpu].uc) == k.pc && sim_trace_hash() == k.hash)
			break;
	}
	*steps = n;
	if (record && n > 0) {
		past.stop[past.count].repeat = (uint32_t)n;
		past_record_stop(cpu);
	}
	return true;
}

enum gdb_replay_end { GDB_REPLAY_ARRIVED, GDB_REPLAY_DIVERGED, GDB_REPLAY_ANSWERED };

/* Starts the replay that goes to point to (GDB_REPLAY_GOTO), the stop reply saying at_start
 * or swbreak; returns only when it cannot, having refused GDB's request. */
static void replay_goto(struct gdb_point to, bool at_start, bool swbreak)
{
	past.mode = GDB_REPLAY_GOTO;
	past.target = to.stop;
	past.target_hits = to.hits;
	past.target_steps = to.steps;
	past.at_start = at_start;
	past.swbreak = swbreak;
	reverse_replay(false); /* returns when it cannot: here, at the stop GDB knows */
}

/* Carries out the request this replay was started with: arrived, diverged, or answered
 * already (a scan or a count that found its target starts the next replay, and returns
 * only when it could not, standing where GDB's request found the machine). */
static enum gdb_replay_end replay_request(void)
{
	struct gdb_point cand = {-1, 0, 0};
	int steps = past.target_steps;
	bool arrived;

	switch (past.mode) {
	case GDB_REPLAY_GOTO:
		arrived = replay_past(past.target, false, &cand) &&
			  (past.target_hits ? replay_hits(past.target_hits)
					    : steps == 0 || replay_steps(&steps, true));
		return arrived ? GDB_REPLAY_ARRIVED : GDB_REPLAY_DIVERGED;
	case GDB_REPLAY_SCAN:
		if (!replay_past(past.target, true, &cand))
			return GDB_REPLAY_DIVERGED;
		replay_goto(cand.stop < 0 ? (struct gdb_point){0, 0, 0} : cand, cand.stop < 0,
			    cand.stop >= 0);
		return GDB_REPLAY_ANSWERED;
	default: /* GDB_REPLAY_COUNT: the steps up to stop target, then one less */
		steps = -1;
		if (!replay_past(past.target - 1, false, &cand) || !replay_steps(&steps, false))
			return GDB_REPLAY_DIVERGED;
		past.too_far = steps == -2; /* then back where GDB stands, to refuse there */
		replay_goto((struct gdb_point){past.target - (past.too_far ? 0 : 1), 0,
					       past.too_far ? 0 : steps - 1},
			    false, false);
		return GDB_REPLAY_ANSWERED;
	}
}

/* Removes GDB's breakpoints and lets every CPU run on (detach, or GDB went away). */
static void session_release(void)
{
	past_break(GDB_PAST_RELEASED);
	break_remove_all(false);
	memset(follow.brk, 0, sizeof(follow.brk));
	__atomic_store_n(&follow.step, false, __ATOMIC_RELEASE);
	follow.regs_valid = follow.interrupted = false;
	for (unsigned i = 0; i < sim_machine.ncpus; i++)
		gdb.cpu[i].action = GDB_CONTINUE;
	world_resume();
}

/* Handles one packet of len bytes in gdb.in; false when the session is over. */
static bool handle_packet(size_t len)
{
	const char *p = gdb.in;
	int64_t tid;

	switch (p[0]) {
	case '?':
		return reply(gdb.stop_reply);
	case 'q':
	case 'Q':
		return query(p);
	case 'H':
		tid = parse_thread(&(const char *){p + 2});
		if ((p[1] != 'g' && p[1] != 'c') || (tid > 0 && thread_cpu(tid) < 0))
			return reply("E01");
		if (p[1] == 'g')
			gdb.g_cpu = thread_cpu(tid);
		else
			gdb.c_cpu = thread_cpu(tid);
		return reply("OK");
	case 'T':
		tid = parse_thread(&(const char *){p + 1});
		return reply(tid > 0 && thread_cpu(tid) >= 0 ? "OK" : "E01");
	case 'g':
		return reply_registers();
	case 'G':
		return write_registers(p + 1, len - 1);
	case 'p':
		return one_register(p + 1, false);
	case 'P':
		return one_register(p + 1, true);
	case 'm':
		return reply_memory(p + 1);
	case 'M':
		return write_memory(p + 1);
	case 'Z':
		return breakpoint(p + 1, true);
	case 'z':
		return breakpoint(p + 1, false);
	case 'c':
		parse_vcont(";c");
		return resume();
	case 's':
		parse_vcont(";c"); /* the others stay, the current thread steps */
		for (unsigned i = 0; i < sim_machine.ncpus; i++)
			gdb.cpu[i].action = (int)i == gdb.c_cpu ? GDB_STEP : GDB_STAY;
		return resume();
	case 'b': /* bc, bs: reverse execution */
		if (strcmp(p, "bc") != 0 && strcmp(p, "bs") != 0)
			return reply("");
		if (reverse_why_not())
			return reverse_refuse(reverse_why_not());
		if (past.count == 1)
			return reverse_at_start();
		return p[1] == 'c' ? reverse_continue() : reverse_step();
	case 'D':
		reply("OK");
		session_release();
		return false;
	case 'k':
		sim_console_restore();
		_exit(GDB_EXIT_KILLED);
	case 'v':
		if (strcmp(p, "vCont?") == 0)
			return reply("vCont;c;C;s;S");
		if (strncmp(p, "vCont;", 6) == 0) {
			if (!parse_vcont(p + 5))
				return reply("E01");
			return resume();
		}
		if (strncmp(p, "vKill", 5) == 0) {
			reply("OK");
			sim_console_restore();
			_exit(GDB_EXIT_KILLED);
		}
		return reply("");
	default:
		return reply("");
	}
}

/* Serves GDB's packets until the session ends, then lets the machine run on. */
static void session_serve(void)
{
	size_t len;

	while (packet_receive(&len) && handle_packet(len))
		;
	if (__atomic_load_n(&gdb.stopping, __ATOMIC_SEQ_CST))
		session_release();
}

/* Serves one GDB connection. The machine is stopped at its start (at kmain for the first
 * session of --gdb-wait) and left running at its end. */
static void session(void)
{
	gdb.no_ack = false;
	gdb.rx_len = gdb.rx_pos = 0;
	follow.active = follow.spec[0] != '\0';
	if (follow.active) {
		/* shown where it is; --gdb-wait (a step pending): at its first instruction */
		bool shown = !__atomic_load_n(&follow.step, __ATOMIC_ACQUIRE) &&
			     __atomic_load_n(&gdb.event_cpu, __ATOMIC_SEQ_CST) < 0 && follow_stop();
		if (!shown) {
			struct pollfd fd = {.fd = gdb.event_fd, .events = POLLIN};
			while (poll(&fd, 1, -1) < 0 && errno == EINTR)
				;
			world_stop();
		}
		__atomic_store_n(&follow.step, false, __ATOMIC_RELEASE);
		gdb.wait_first = false;
		stop_reply_set(0, SIGTRAP, false);
	} else if (gdb.wait_first) { /* CPU 0 parks at kmain's internal breakpoint */
		struct pollfd fd = {.fd = gdb.event_fd, .events = POLLIN};
		while (poll(&fd, 1, -1) < 0 && errno == EINTR)
			;
		gdb.wait_first = false;
		world_stop();
		break_remove_all(true);
		stop_reply_set(0, SIGTRAP, false);
		past_record_start();
	} else {
		world_stop();
		stop_reply_set(0, SIGTRAP, false);
	}
	session_serve();
}

/* A replay: carries out the reverse request it was started with, answers it with the stop
 * it arrived at, and serves GDB on the connection it inherited. */
static void replay_session(void)
{
	struct pollfd fd = {.fd = gdb.event_fd, .events = POLLIN};

	gdb.no_ack = past.no_ack;
	gdb.rx_len = gdb.rx_pos = 0;
	follow.active = false;
	__atomic_store_n(&gdb.waiting, true, __ATOMIC_SEQ_CST); /* an exit is GDB's to know */
	while (poll(&fd, 1, -1) < 0 && errno == EINTR)
		;
	gdb.wait_first = false;
	world_stop();
	break_remove_all(true);
	replay_pin(true);
	enum gdb_replay_end end = replay_request();
	replay_pin(false);
	__atomic_store_n(&gdb.waiting, false, __ATOMIC_SEQ_CST);
	int cpu = __atomic_load_n(&gdb.event_cpu, __ATOMIC_SEQ_CST);
	break_remove_all(false);
	replay_insert(past.scan_first, past.scan_count); /* GDB's breakpoints, as it left them */
	past.mode = GDB_REPLAY_NONE;
	if (end == GDB_REPLAY_ANSWERED) { /* refused: it could not execute the next replay */
		past.too_far = false;
		session_serve();
		return;
	}
	bool ok = end == GDB_REPLAY_ARRIVED, said = true;
	char why[sizeof(replay_diverged) + 160];
	if (!ok) { /* the stop reply shows GDB where it stands */
		past_break(GDB_PAST_DIVERGED);
		snprintf(why, sizeof(why), "the replay diverged %s; the machine stands there",
			 replay_diverged);
		said = reverse_say(why);
	} else if (past.too_far) {
		past.too_far = false;
		snprintf(why, sizeof(why),
			 "the continue that ended here ran more than %d instructions, too many to "
			 "step through; reverse-continue to a breakpoint nearer first",
			 GDB_COUNT_STEPS_MAX);
		if (reverse_refuse(why))
			session_serve();
		return;
	}
	stop_reply_set(MAX(cpu, 0), SIGTRAP, ok && past.swbreak);
	if (ok && past.at_start)
		snprintf(gdb.stop_reply + strlen(gdb.stop_reply),
			 sizeof(gdb.stop_reply) - strlen(gdb.stop_reply), "replaylog:begin;");
	if (said && reply(gdb.stop_reply))
		session_serve();
}

/* The stub's thread: one GDB connection after another. */
static void *gdb_thread(void *unused)
{
	(void)unused;
	if (sim_gdb_replay_input() >= 0) {
		gdb.conn_fd = past.conn_fd;
		replay_session();
		close(gdb.conn_fd);
		gdb.conn_fd = -1;
	}
	for (;;) {
		int fd = accept4(gdb.listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* fails on unix */
		gdb.conn_fd = fd;
		session();
		close(fd);
		gdb.conn_fd = -1;
	}
	return NULL;
}

/* --- start-up --- */

/* Reports a failure to set the stub up and exits. */
static SIM_NORETURN void gdb_fail(const char *what)
{
	fprintf(stderr, "amphi: --gdb %s: %s: %s\n", gdb.address, what, strerror(errno));
	exit(SIM_EXIT_HOST);
}

/* Opens the listening socket for "PORT" (loopback TCP) or "unix:PATH". A unix socket is
 * bound under a name of its own and linked at PATH once it listens, so that a client that
 * waits for PATH to appear never finds it refusing connections (and an existing PATH is
 * an error, as for bind). */
static void gdb_listen(const char *address)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_un *un = (struct sockaddr_un *)&ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	bool unix_socket = strncmp(address, "unix:", 5) == 0;
	char path[sizeof(un->sun_path)];
	int one = 1;

	snprintf(gdb.address, sizeof(gdb.address), "%s", address);
	if (unix_socket) {
		snprintf(path, sizeof(path), "%s", address + 5);
		un->sun_family = AF_UNIX;
		if (snprintf(un->sun_path, sizeof(un->sun_path), "%s.%d", path, (int)getpid()) >=
		    (int)sizeof(un->sun_path))
			snprintf(un->sun_path, sizeof(un->sun_path), "%s", path); /* no room */
		gdb.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	} else {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)atoi(address));
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		gdb.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (gdb.listen_fd >= 0)
			setsockopt(gdb.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	}
	if (gdb.listen_fd < 0)
		gdb_fail("socket");
	if (bind(gdb.listen_fd, (struct sockaddr *)&ss, unix_socket ? sizeof(*un) : sizeof(*in)) <
	    0)
		gdb_fail("cannot listen there");
	if (listen(gdb.listen_fd, 1) < 0)
		gdb_fail("listen");
	if (unix_socket && strcmp(un->sun_path, path) != 0) {
		int err = link(un->sun_path, path) < 0 ? errno : 0;
		unlink(un->sun_path);
		errno = err;
		if (err)
			gdb_fail("cannot listen there");
	}
}

/* Exits with a line when a debugger already traces the process: its SIGTRAP handling and
 * the stub's breakpoints would fight over the same traps. */
static void gdb_refuse_tracer(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	const char *tracer;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	tracer = strstr(buf, "TracerPid:");
	if (tracer && atoi(tracer + 10) != 0) {
		fprintf(stderr,
			"amphi: --gdb: a debugger already traces this process (pid %d); "
			"use one or the other\n",
			atoi(tracer + 10));
		exit(SIM_EXIT_USAGE);
	}
}

/* Installs the stop signal's and SIGTRAP's handlers; while one runs (a CPU is parked) no
 * other asynchronous signal is taken, so no interrupt runs kernel code meanwhile. */
static void gdb_handlers(void)
{
	struct sigaction stop = {.sa_sigaction = on_stop_signal,
				 .sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK};
	struct sigaction trap = {.sa_sigaction = on_trap,
				 .sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK};

	sigfillset(&stop.sa_mask);
	sigdelset(&stop.sa_mask, SIGSEGV);
	sigdelset(&stop.sa_mask, SIGBUS);
	sigdelset(&stop.sa_mask, SIGILL);
	sigdelset(&stop.sa_mask, SIGFPE);
	trap.sa_mask = stop.sa_mask;
	if (sigaction(GDB_STOP_SIGNAL, &stop, NULL) < 0 || sigaction(SIGTRAP, &trap, NULL) < 0)
		gdb_fail("signal handlers");
}

/* A replay: reads the request it was started with from fd, and takes over the stub's
 * sockets and the console bytes written already; exits when the request is unreadable. */
static void replay_load(int fd)
{
	char *p = (char *)&past;
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(past) && (n = read(fd, p + got, sizeof(past) - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got != sizeof(past) || past.magic != GDB_PAST_MAGIC) {
		errno = EINVAL;
		gdb_fail("the replay's request is unreadable");
	}
	gdb.listen_fd = past.listen_fd;
	fcntl(past.listen_fd, F_SETFD, FD_CLOEXEC);
	fcntl(past.conn_fd, F_SETFD, FD_CLOEXEC);
	sim_console_skip(past.console);
}

void sim_gdbstub_init(const struct sim_options *opts)
{
	pthread_t thread;
	sigset_t all, old;

	if (!opts->gdb)
		return;
	gdb_refuse_tracer();
	snprintf(gdb.address, sizeof(gdb.address), "%s", opts->gdb);
	if (sim_gdb_replay_input() >= 0)
		replay_load(sim_gdb_replay_input());
	else
		gdb_listen(opts->gdb);
	int fd = open("/proc/self/auxv", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, gdb.auxv, sizeof(gdb.auxv));
	if (fd >= 0)
		close(fd);
	gdb.auxv_len = n > 0 ? (size_t)n : 0;
	gdb.event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (gdb.event_fd < 0)
		gdb_fail("eventfd");
	gdb_handlers();
	on_exit(gdb_on_exit, NULL);
	gdb.enabled = true;
	sim_gdbstub_cpu_begin(0); /* the calling thread is CPU 0's */
	if (opts->gdb_follow) {
		snprintf(follow.spec, sizeof(follow.spec), "%s", opts->gdb_follow);
		follow.step = opts->gdb_wait; /* stop at the process's first instruction */
	} else if (opts->gdb_wait) {
		gdb.wait_first = true;
		if (break_insert((uintptr_t)kmain, true) < 0)
			gdb_fail("cannot place a breakpoint at kmain");
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* the stub's thread takes no signal */
	if (pthread_create(&thread, NULL, gdb_thread, NULL))
		gdb_fail("thread");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_setname_np(thread, "gdbstub");
	if (sim_gdb_replay_input() >= 0)
		return; /* the run it repeats said it */
	fprintf(stderr, "amphi: gdbstub on %s%s%s%s%s\n",
		strncmp(gdb.address, "unix:", 5) ? "127.0.0.1:" : "", gdb.address,
		opts->gdb_follow ? ", following process " : "",
		opts->gdb_follow ? opts->gdb_follow : "",
		!opts->gdb_wait	   ? ""
		: opts->gdb_follow ? ", waiting for gdb at its first instruction"
				   : ", waiting for gdb before kmain");
}
