/*
 * The syscall program: an input is read byte by byte as calls, each a description of
 * desc.c (one byte picks it) and its arguments decoded by kind. Calls run as they are
 * decoded, so descriptors, pids and mappings they return become resources that later
 * arguments pick. Buffers travel as the served process's buffers (copied into its user
 * memory, so every pointer is a checked user pointer); pointers inside structures
 * (iovec) point into the scratch area, a mapping the process makes once, before the
 * snapshot. A call still blocked after PROG_TIMEOUT_NS of virtual time is interrupted.
 *
 * Each call is issued by a served task: the served process's first (task 0) unless a
 * byte from PROG_TASK_MARK on precedes it and names another, one that a clone, fork or
 * vfork of the program made. A call whose task blocks does not hold the program up: the
 * next call goes on (a call on a busy task waits for its last one to end first), and a
 * blocked call's result is noted when it ends. At the end every call still blocked is
 * waited for (its timeout ends it), then every task but the first is ended and its
 * children reaped, so the machine holds nothing of the program's tasks.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <amphi/arch.h>
#include <amphi/plat/hostcall.h>

#include "desc.h"
#include "fuzz_machine.h"
#include "prog.h"

#define PROG_TIMEOUT_NS 2000000ULL /* 2 ms of virtual time */
#define PROG_MAX_RES 16
#define PROG_BUF_MAX 4096
#define PROG_SCRATCH_SIZE (64u << 10)
#define PROG_REAP_MAX 64    /* zombies reaped at the end, at most */
/* Still points the program lets pass waiting for one thing (a busy task, its blocked
 * calls): a call's timeout ends most waits at the first; one still waiting after these
 * waits for ever (a kernel timer that keeps firing moves time on, but nothing else) */
#define PROG_RUN_MAX 64


static const char *const prog_paths[] = {
    "/tmp/file", "/tmp/dir", "/tmp/dir/sub", "/tmp/link", "/tmp/fifo", "/tmp/new",
    "/tmp/dir/new", "/", ".", "..", "", "/dev/null", "/dev/console", "/proc/self/stat",
    "/proc/mounts", "/tmp/dir/exec", "file", "dir/sub/../new", "/tmp/link/x", "/nonexistent/x",
};
#define PROG_NPATHS (sizeof(prog_paths) / sizeof(prog_paths[0]))

/* The calls a program may make (prog_enable): every described one when none is named. */
static bool prog_call_on[256];
static const struct call_desc *prog_enabled[256];
static unsigned prog_nenabled;

struct prog_call;

/* The program's state while it runs. */
struct prog {
	const uint8_t *data;
	size_t size, at;
	long fds[PROG_MAX_RES];
	unsigned nfds;
	long pids[PROG_MAX_RES];
	unsigned npids;
	uint64_t addrs[PROG_MAX_RES];
	unsigned naddrs;
	uint64_t scratch; /* the scratch area's user address */
	FILE *out;
	struct prog_call *calls; /* issued so far: ncalls */
	unsigned ncalls;
	bool made_tasks; /* a clone, fork or vfork succeeded */
	struct prog_span *span; /* when only the layout is decoded: the call's span */
};

/* One call being built: its arguments and its buffers' host copies. */
struct prog_call {
	const struct call_desc *d;
	unsigned long args[6];
	struct plat_hostcall_buf buf[PLAT_HOSTCALL_BUFS];
	unsigned nbufs;
	uint8_t mem[PLAT_HOSTCALL_BUFS][PROG_BUF_MAX];
	char note[6][48]; /* how an argument prints when not as a number */
	int fdpair_buf;	  /* the buffer of an A_FDPAIR, or -1 */
	unsigned task;	  /* the served task issuing it */
	struct plat_hostcall hc; /* the request: the kernel writes it until hc.done */
	bool blocked;	  /* had not ended when the machine was first still after its issue */
	bool noted;	  /* its end was noted (result, resources, printed) */
};

/* Notes, when the layout is decoded, that the next input byte picks a resource. */
static void note_selector(struct prog *p)
{
	struct prog_span *s = p->span;

	if (s && s->nselectors < PROG_SPAN_SELECTORS && p->at < p->size)
		s->selector[s->nselectors++] = (uint32_t)p->at;
}

/* The next input byte (0 when the input is used up). */
static uint8_t take8(struct prog *p)
{
	return p->at < p->size ? p->data[p->at++] : 0;
}

/* The next n input bytes, little-endian. */
static uint64_t take_n(struct prog *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)take8(p) << (8 * i);
	return v;
}

/* Copies up to n input bytes to dst, zero-filling what the input lacks. */
static void take_bytes(struct prog *p, uint8_t *dst, size_t n)
{
	size_t have = p->at < p->size ? p->size - p->at : 0;
	size_t k = n < have ? n : have;

	memcpy(dst, p->data + p->at, k);
	memset(dst + k, 0, n - k);
	p->at += k;
}

static const uint64_t prog_boundary[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x1001, 0x7fff, 0x8000, 0xffff,
    0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, (uint64_t)-1, (uint64_t)-2,
    (uint64_t)-4095, (uint64_t)-4096, 0x7fffffffffffffff, 0x8000000000000000,
};

/* An integer: small values and boundaries mostly, sometimes any. */
static uint64_t take_int(struct prog *p)
{
	uint8_t b = take8(p);

	switch (b & 7) {
	case 0: case 1: case 2:
		return b >> 3;
	case 3: case 4:
		return prog_boundary[(b >> 3) % (sizeof(prog_boundary) / sizeof(prog_boundary[0]))];
	case 5:
		return take_n(p, 4);
	case 6:
		return take_n(p, 8);
	default:
		return (uint64_t)(b >> 3) << 12; /* pages */
	}
}

/* A byte count up to max: small mostly. */
static size_t take_len(struct prog *p, size_t max)
{
	uint8_t b = take8(p);
	size_t n = b < 0xc0 ? b : b < 0xf0 ? (size_t)(b - 0xc0) * 128 : max;

	return n > max ? max : n;
}

/* A descriptor: one the program opened, a standard or special one. */
static long take_fd(struct prog *p)
{
	static const long special[] = {-1, AT_FDCWD, 0, 1, 2, 3, 255, 1 << 20, 0x7fffffff, -2};
	note_selector(p);
	uint8_t b = take8(p);

	if (b < 0xc0 && p->nfds)
		return p->fds[b % p->nfds];
	return special[b % (sizeof(special) / sizeof(special[0]))];
}

/* A pid: one the program met, or a special one. */
static long take_pid(struct prog *p)
{
	static const long special[] = {0, -1, 1, 2, 99999, -99999, 0x7fffffff, -0x7fffffff};
	note_selector(p);
	uint8_t b = take8(p);

	if (b < 0x80 && p->npids)
		return p->pids[b % p->npids];
	return special[b % (sizeof(special) / sizeof(special[0]))];
}

/* A user address: in the scratch area, in a mapping the program made, or wild. */
static uint64_t take_addr(struct prog *p)
{
	static const uint64_t wild[] = {0, 1, 0x1000, 0x7fffffffe000, 0x800000000000,
					0xffff800000000000, (uint64_t)-4096, (uint64_t)-1};
	uint8_t b = take8(p);

	if (b < 0x60)
		return p->scratch + (uint64_t)take8(p) * 64;
	if (b < 0xc0 && p->naddrs)
		return p->addrs[b % p->naddrs] + ((uint64_t)(b & 3) << 12);
	return wild[b % (sizeof(wild) / sizeof(wild[0]))];
}

/* An OR of members of set s, or (rarely) any value. */
static uint64_t take_flags(struct prog *p, const struct value_set *s)
{
	uint16_t pick = (uint16_t)take_n(p, 2);
	uint64_t v = 0;

	if (pick == 0xffff)
		return take_n(p, 4);
	for (unsigned i = 0; i < s->n && i < 15; i++)
		v |= pick & (1u << i) ? s->v[i] : 0;
	return v;
}

/* Adds a result to the resources of its kind. */
static void add_res(long *arr, unsigned *n, long v)
{
	if (*n < PROG_MAX_RES)
		arr[(*n)++] = v;
	else
		arr[v % PROG_MAX_RES] = v;
}

/* Reserves a buffer of len bytes for argument arg; its host copy, or NULL when the call
 * has no buffer left (the argument then gets a wild address). */
static uint8_t *call_buf(struct prog_call *c, unsigned arg, size_t len, unsigned flags)
{
	if (c->nbufs == PLAT_HOSTCALL_BUFS)
		return NULL;
	unsigned i = c->nbufs++;
	c->buf[i] = (struct plat_hostcall_buf){c->mem[i], len, arg, flags};
	memset(c->mem[i], 0, len);
	return c->mem[i];
}

/* Decodes a path argument into a buffer: one of the tree's, or bytes of the input. */
static void take_path(struct prog *p, struct prog_call *c, unsigned i)
{
	uint8_t b = take8(p);
	char path[256];

	if (b < 0xe0) {
		snprintf(path, sizeof(path), "%s", prog_paths[b % PROG_NPATHS]);
	} else {
		size_t n = take_len(p, sizeof(path) - 1);
		take_bytes(p, (uint8_t *)path, n);
		path[n] = 0;
	}
	uint8_t *m = call_buf(c, i, strlen(path) + 1, PLAT_HOSTCALL_IN);
	if (!m) {
		c->args[i] = take_addr(p);
		return;
	}
	memcpy(m, path, strlen(path) + 1);
	snprintf(c->note[i], sizeof(c->note[i]), "\"%.40s\"", path);
}

/* An iovec array over the scratch area; its count goes to argument count_arg. */
static void take_iovec(struct prog *p, struct prog_call *c, unsigned i, unsigned count_arg)
{
	unsigned n = take8(p) % 5;
	uint8_t *m = call_buf(c, i, n * sizeof(struct iovec), PLAT_HOSTCALL_IN);

	c->args[count_arg] = n;
	if (!m) {
		c->args[i] = take_addr(p);
		return;
	}
	for (unsigned k = 0; k < n; k++) {
		struct iovec v = {(void *)(uintptr_t)take_addr(p), take_len(p, PROG_SCRATCH_SIZE)};
		memcpy(m + k * sizeof(v), &v, sizeof(v));
	}
	snprintf(c->note[i], sizeof(c->note[i]), "iovec[%u]", n);
}

/* A pollfd array of the program's descriptors; its count goes to argument count_arg. */
static void take_pollfds(struct prog *p, struct prog_call *c, unsigned i, unsigned count_arg)
{
	unsigned n = take8(p) % 5;
	uint8_t *m = call_buf(c, i, n * sizeof(struct pollfd), PLAT_HOSTCALL_IN | PLAT_HOSTCALL_OUT);

	c->args[count_arg] = n;
	if (!m) {
		c->args[i] = take_addr(p);
		return;
	}
	for (unsigned k = 0; k < n; k++) {
		struct pollfd f = {(int)take_fd(p), (short)take_flags(p, &desc_sets[S_POLL]), 0};
		memcpy(m + k * sizeof(f), &f, sizeof(f));
	}
	snprintf(c->note[i], sizeof(c->note[i]), "pollfd[%u]", n);
}

/* A mode: permission bits, with a file type one time in four. */
static uint64_t take_mode(struct prog *p)
{
	static const uint64_t types[] = {S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFLNK,
					 S_IFSOCK, 0};
	uint16_t v = (uint16_t)take_n(p, 2);

	return (v & 07777) | ((v >> 12) == 0xf ? types[(v >> 9) & 7] : 0);
}

/* Decodes argument i of c by its kind. */
static void take_arg(struct prog *p, struct prog_call *c, unsigned i)
{
	const struct arg_desc *a = &c->d->arg[i];
	uint8_t *m;
	size_t n;

	switch (a->kind) {
	case A_NONE:
	case A_LEN:
		break; /* set by the buffer naming it, or below */
	case A_INT:
		c->args[i] = take_int(p);
		break;
	case A_FD:
		c->args[i] = (unsigned long)take_fd(p);
		break;
	case A_PATH:
		take_path(p, c, i);
		break;
	case A_STR:
		n = desc_sets[a->aux].v[take8(p) % desc_sets[a->aux].n];
		m = call_buf(c, i, strlen(desc_fstypes[n]) + 1, PLAT_HOSTCALL_IN);
		if (m)
			memcpy(m, desc_fstypes[n], strlen(desc_fstypes[n]) + 1);
		else
			c->args[i] = take_addr(p);
		break;
	case A_BUF_IN:
	case A_BUF_OUT:
		n = take_len(p, PROG_BUF_MAX);
		m = call_buf(c, i, n, a->kind == A_BUF_IN ? PLAT_HOSTCALL_IN : PLAT_HOSTCALL_OUT_RESULT);
		if (m && a->kind == A_BUF_IN)
			take_bytes(p, m, n);
		if (!m)
			c->args[i] = take_addr(p);
		c->args[a->aux] = n;
		break;
	case A_STRUCT_IN:
	case A_STRUCT_OUT:
	case A_STRUCT_IO:
		m = call_buf(c, i, a->aux,
			     a->kind == A_STRUCT_IN	 ? PLAT_HOSTCALL_IN
			     : a->kind == A_STRUCT_OUT ? PLAT_HOSTCALL_OUT
						       : PLAT_HOSTCALL_IN | PLAT_HOSTCALL_OUT);
		if (m && a->kind != A_STRUCT_OUT)
			take_bytes(p, m, a->aux);
		if (!m)
			c->args[i] = take_addr(p);
		break;
	case A_FLAGS:
		c->args[i] = take_flags(p, &desc_sets[a->aux]);
		break;
	case A_ENUM:
		n = take8(p);
		c->args[i] = n == 0xff ? take_n(p, 4) : desc_sets[a->aux].v[n % desc_sets[a->aux].n];
		break;
	case A_MODE:
		c->args[i] = take_mode(p);
		break;
	case A_PID:
		c->args[i] = (unsigned long)take_pid(p);
		break;
	case A_SIG:
		c->args[i] = take8(p) % 70;
		break;
	case A_ADDR:
		c->args[i] = take_addr(p);
		break;
	case A_UID:
		c->args[i] = (uint64_t[]){0, 1, 1000, 65534, (uint32_t)-1, (uint64_t)-1}[take8(p) % 6];
		break;
	case A_IOVEC:
		take_iovec(p, c, i, a->aux);
		break;
	case A_POLLFD:
		take_pollfds(p, c, i, a->aux);
		break;
	case A_FDPAIR:
		c->fdpair_buf = (int)c->nbufs;
		if (!call_buf(c, i, 2 * sizeof(int), PLAT_HOSTCALL_OUT)) {
			c->fdpair_buf = -1;
			c->args[i] = take_addr(p);
		}
		break;
	}
}

/* Notes what c returned as a resource for later calls. */
static void note_result(struct prog *p, const struct prog_call *c, long r)
{
	if (r < 0)
		return;
	if (c->d->ret == R_FD)
		add_res(p->fds, &p->nfds, r);
	else if ((c->d->ret == R_PID || c->d->ret == R_TASK) && r > 0)
		add_res(p->pids, &p->npids, r);
	else if (c->d->ret == R_ADDR)
		add_res((long *)p->addrs, &p->naddrs, r);
	p->made_tasks |= c->d->ret == R_TASK;
	if (c->fdpair_buf >= 0) {
		int fds[2];
		memcpy(fds, c->mem[c->fdpair_buf], sizeof(fds));
		add_res(p->fds, &p->nfds, fds[0]);
		add_res(p->fds, &p->nfds, fds[1]);
	}
}

/* Prints c (call number i) in a readable form: with its result once it ended, as blocked
 * when it had not ended at its first still point. */
static void print_call(FILE *out, const struct prog_call *c, unsigned i)
{
	fprintf(out, "[%u] t%u %s(", i, c->task, c->d->name);
	for (unsigned a = 0; a < 6 && c->d->arg[a].kind != A_NONE; a++) {
		unsigned k = c->d->arg[a].kind, b = 0;
		while (b < c->nbufs && c->buf[b].arg != a)
			b++;
		if (c->note[a][0])
			fprintf(out, "%s%s", a ? ", " : "", c->note[a]);
		else if (b < c->nbufs)
			fprintf(out, "%sbuf[%zu]", a ? ", " : "", c->buf[b].len);
		else if (k == A_FD || k == A_PID || k == A_SIG || k == A_LEN)
			fprintf(out, "%s%ld", a ? ", " : "", (long)c->args[a]);
		else
			fprintf(out, "%s%#lx", a ? ", " : "", c->args[a]);
	}
	long r = c->hc.result;
	const char *later = c->blocked ? " (after blocking)" : "";
	if (!c->hc.done)
		fprintf(out, ") blocks\n");
	else if (r < 0 && r > -4096)
		fprintf(out, ") = %ld (%s)%s\n", r, strerror((int)-r), later);
	else
		fprintf(out, ") = %ld%s\n", r, later);
}

/* The description of the syscall called name, or NULL. */
static const struct call_desc *prog_find(const char *name)
{
	for (unsigned i = 0; i < desc_ncalls; i++) {
		if (!strcmp(desc_calls[i].name, name))
			return &desc_calls[i];
	}
	return NULL;
}

int prog_check_table(FILE *out)
{
	int missing = 0;

	for (unsigned i = 0; i < desc_table_size; i++) {
		const char *name = desc_table_names[i];
		const char *why = NULL;
		for (unsigned k = 0; k < desc_nskipped && !why; k++)
			why = strcmp(desc_skipped[k].name, name) ? NULL : desc_skipped[k].why;
		if (prog_find(name))
			continue;
		fprintf(out, "%s: %s\n", name, why ? why : "NO DESCRIPTION");
		missing += !why;
	}
	return missing;
}

/* Maps the scratch area (once per program: it is undone by the reset). */
static void map_scratch(struct prog *p)
{
	struct plat_hostcall call = {
	    .nr = prog_find("mmap")->nr,
	    .args = {0, PROG_SCRATCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     (unsigned long)-1, 0}};
	long r = fuzz_machine_call(&call);

	p->scratch = r > 0 ? (uint64_t)r : 0;
}

/* Folds n bytes at p into the FNV-1a hash h. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ULL;
	return h;
}

/* Notes call i's end (once): its resources, its line. */
static void note_end(struct prog *p, unsigned i)
{
	struct prog_call *c = &p->calls[i];

	if (c->noted || !c->hc.done)
		return;
	c->noted = true;
	note_result(p, c, c->hc.result);
	if (p->out)
		print_call(p->out, c, i);
}

/* Notes the end of every call that ended, call first (the one just issued). */
static void note_ends(struct prog *p, unsigned first)
{
	note_end(p, first);
	for (unsigned i = 0; i < p->ncalls; i++)
		note_end(p, i);
}

/* The served task the task byte b names: among the live tasks in slot order, the
 * (b - PROG_TASK_MARK)-th, counted round. */
static unsigned pick_task(uint8_t b)
{
	const struct plat_hostcall_task *tasks = fuzz_machine_tasks();
	unsigned live[PLAT_HOSTCALL_TASKS], n = 0;

	for (unsigned i = 0; i < PLAT_HOSTCALL_TASKS; i++) {
		if (tasks[i].tid)
			live[n++] = i;
	}
	return n ? live[(unsigned)(b - PROG_TASK_MARK) % n] : 0;
}

/* Issues c, once its task ended its last call; the machine is still when it returns. A
 * call its task can never take (its last one waits for ever) ends with -EDEADLK. */
static void issue(struct prog *p, struct prog_call *c)
{
	int err = 0;

	c->hc = (struct plat_hostcall){.nr = c->d->nr, .timeout_ns = PROG_TIMEOUT_NS,
				       .task = c->task};
	memcpy(c->hc.args, c->args, sizeof(c->hc.args));
	memcpy(c->hc.buf, c->buf, sizeof(c->hc.buf));
	for (unsigned n = 0; !err && fuzz_machine_tasks()[c->task].busy; n++)
		err = n < PROG_RUN_MAX ? fuzz_machine_run() : -EDEADLK;
	if (!err)
		err = fuzz_machine_issue(&c->hc);
	if (err) {
		c->hc.result = err;
		c->hc.done = true;
	}
	c->blocked = !c->hc.done;
	if (c->blocked && p->out)
		print_call(p->out, c, p->ncalls - 1);
	note_ends(p, p->ncalls - 1);
}

/* True when a call of the program has not ended. */
static bool calls_pending(const struct prog *p)
{
	for (unsigned i = 0; i < p->ncalls; i++) {
		if (!p->calls[i].hc.done)
			return true;
	}
	return false;
}

/* True when a served task other than the first is there. */
static bool extra_tasks(void)
{
	const struct plat_hostcall_task *tasks = fuzz_machine_tasks();

	for (unsigned i = 1; i < PLAT_HOSTCALL_TASKS; i++) {
		if (tasks[i].tid)
			return true;
	}
	return false;
}

/* Runs the machine while cond holds and something can happen, PROG_RUN_MAX still points
 * at most, noting calls that end. */
static void run_while(struct prog *p, bool (*cond)(const struct prog *p))
{
	for (unsigned n = 0; n < PROG_RUN_MAX && cond(p) && fuzz_machine_run() == 0; n++)
		note_ends(p, 0);
}

/* Calls pending, or tasks other than the first left: the end is not reached. */
static bool tasks_or_calls(const struct prog *p)
{
	return calls_pending(p) || extra_tasks();
}

/* Reaps the zombies the program's processes left (the first task waits, WNOHANG). */
static void reap_children(void)
{
	for (unsigned i = 0; i < PROG_REAP_MAX; i++) {
		struct plat_hostcall call = {.nr = prog_find("wait4")->nr,
					     .args = {(unsigned long)-1, 0, WNOHANG | __WALL, 0},
					     .timeout_ns = PROG_TIMEOUT_NS};
		if (fuzz_machine_call(&call) <= 0)
			return;
	}
}

/* The program's end: waits for its blocked calls (their timeouts end them), ends every
 * task but the first and reaps what they leave. A call or task that will not end is a
 * kernel bug: reported, and the run aborts. */
static void finish(struct prog *p)
{
	run_while(p, calls_pending);
	if (extra_tasks()) {
		fuzz_machine_end_tasks();
		run_while(p, tasks_or_calls);
	}
	note_ends(p, 0);
	if (tasks_or_calls(p)) {
		fprintf(stderr, "fuzz: %s will not end: the machine has nothing more to do\n",
			calls_pending(p) ? "a blocked call" : "a served task");
		abort();
	}
	if (p->made_tasks)
		reap_children();
}

/* Folds call c's result, whether it blocked, and its buffers into the hash h. */
static uint64_t hash_call(uint64_t h, const struct prog_call *c)
{
	h = hash_bytes(h, &c->hc.result, sizeof(c->hc.result));
	h = hash_bytes(h, &c->blocked, sizeof(c->blocked));
	h = hash_bytes(h, &c->task, sizeof(c->task));
	for (unsigned b = 0; b < c->nbufs; b++)
		h = hash_bytes(h, c->mem[b], c->buf[b].len);
	return h;
}

/* The call call byte b picks: its description's, or when that call is not enabled, one
 * of the enabled calls (so a seed keeps its meaning under a subset that holds its calls). */
static const struct call_desc *pick_call(uint8_t b)
{
	unsigned i = b % desc_ncalls;

	if (!prog_nenabled || (i < 256 && prog_call_on[i]))
		return &desc_calls[i];
	return prog_enabled[b % prog_nenabled];
}

int prog_enable(const char *names)
{
	char name[64];

	for (const char *at = names; at && *at;) {
		size_t n = strcspn(at, ",");
		snprintf(name, sizeof(name), "%.*s", (int)n, at);
		const struct call_desc *d = prog_find(name);
		if (!d || d - desc_calls >= 256) {
			fprintf(stderr, "fuzz: no described syscall '%s' (AMPHI_FUZZ_SYSCALLS)\n", name);
			return -EINVAL;
		}
		if (!prog_call_on[d - desc_calls]) {
			prog_call_on[d - desc_calls] = true;
			prog_enabled[prog_nenabled++] = d;
		}
		at += n + (at[n] == ',');
	}
	return 0;
}

/* Decodes the next call into c (its task picked among the live ones unless only the
 * layout is decoded). */
static void decode_call(struct prog *p, struct prog_call *c)
{
	c->fdpair_buf = -1;
	c->nbufs = 0;
	uint8_t b = take8(p);
	if (b >= PROG_TASK_MARK) {
		c->task = p->span ? 0 : pick_task(b);
		b = take8(p);
	}
	c->d = pick_call(b);
	for (unsigned i = 0; i < 6; i++)
		take_arg(p, c, i);
}

unsigned prog_layout(const uint8_t *data, size_t size, struct prog_span *spans)
{
	static struct prog_call c; /* its buffers are written, never read */
	struct prog p = {.data = data, .size = size};
	unsigned n = 0;

	while (p.at < p.size && n < PROG_MAX_CALLS) {
		p.span = &spans[n++];
		*p.span = (struct prog_span){.start = (uint32_t)p.at};
		decode_call(&p, &c);
		p.span->task_byte = data[p.span->start] >= PROG_TASK_MARK;
		p.span->end = (uint32_t)p.at;
	}
	return n;
}

/* Where each call of the last program run began, for prog_check_layout. */
static uint32_t run_starts[PROG_MAX_CALLS];
static unsigned run_ncalls;
static bool run_stopped; /* the machine stopped it before its end */

int prog_check_layout(const uint8_t *data, size_t size)
{
	struct prog_span spans[PROG_MAX_CALLS];
	unsigned n = prog_layout(data, size, spans);

	for (unsigned i = 0; i < n || i < run_ncalls; i++) {
		if (i >= run_ncalls && run_stopped)
			break;
		if (i >= n || i >= run_ncalls || spans[i].start != run_starts[i])
			return (int)i;
	}
	return -1;
}

int prog_run(const uint8_t *data, size_t size, FILE *out, uint64_t *results)
{
	static struct prog_call calls[PROG_MAX_CALLS];
	struct prog p = {.data = data, .size = size, .out = out, .calls = calls};
	uint64_t h = 0xcbf29ce484222325ULL;

	map_scratch(&p);
	run_stopped = false;
	while (p.at < p.size && p.ncalls < PROG_MAX_CALLS) {
		run_starts[p.ncalls] = (uint32_t)p.at;
		struct prog_call *c = &calls[p.ncalls++];
		memset(c, 0, sizeof(*c));
		decode_call(&p, c);
		issue(&p, c);
		run_stopped = c->hc.result == -ESHUTDOWN;
		if (run_stopped)
			break; /* the machine stopped */
	}
	run_ncalls = p.ncalls;
	finish(&p);
	for (unsigned i = 0; i < p.ncalls; i++)
		h = hash_call(h, &calls[i]);
	if (results)
		*results = h;
	return (int)p.ncalls;
}
