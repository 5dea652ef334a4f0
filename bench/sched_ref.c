/*
 * Host references for bench/sched: the cost of a context switch with glibc swapcontext,
 * with the kernel's own switch routine (arch_ctx_switch) alone, and of a wake-up handed
 * between two host threads through a futex. Prints "<name> <median ns>" over 11 rounds.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define ROUNDS 11
#define SWITCHES 200000
#define HANDOFFS 20000
#define STACK_SIZE (64 * 1024)

void arch_ctx_switch(uintptr_t *from_sp, uintptr_t to_sp);
uintptr_t arch_ctx_init_stack(uintptr_t stack_top, void (*entry)(void *), void *arg);

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Prints the median of ROUNDS figures. */
static void report(const char *name, uint64_t *v)
{
	qsort(v, ROUNDS, sizeof(*v), cmp_u64);
	printf("%s %llu\n", name, (unsigned long long)v[ROUNDS / 2]);
}

/* --- swapcontext ping-pong --- */

static ucontext_t uc_main, uc_peer;

static void uc_peer_body(void)
{
	for (;;)
		swapcontext(&uc_peer, &uc_main);
}

static uint64_t bench_swapcontext(void)
{
	static char stack[STACK_SIZE];

	getcontext(&uc_peer);
	uc_peer.uc_stack.ss_sp = stack;
	uc_peer.uc_stack.ss_size = sizeof(stack);
	uc_peer.uc_link = NULL;
	makecontext(&uc_peer, uc_peer_body, 0);
	uint64_t start = now_ns();
	for (int i = 0; i < SWITCHES; i++)
		swapcontext(&uc_main, &uc_peer);
	return (now_ns() - start) / (2 * SWITCHES);
}

/* --- the kernel's switch routine alone --- */

static uintptr_t sp_main, sp_peer;

static void asm_peer_body(void *arg)
{
	(void)arg;
	for (;;)
		arch_ctx_switch(&sp_peer, sp_main);
}

static uint64_t bench_asm_switch(void)
{
	static char stack[STACK_SIZE] __attribute__((aligned(16)));

	sp_peer = arch_ctx_init_stack((uintptr_t)stack + sizeof(stack), asm_peer_body, NULL);
	uint64_t start = now_ns();
	for (int i = 0; i < SWITCHES; i++)
		arch_ctx_switch(&sp_main, sp_peer);
	return (now_ns() - start) / (2 * SWITCHES);
}

/* --- futex handoff between two threads --- */

static int turn; /* 0: main's turn, 1: the peer's */

static void futex_wait(int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Passes the turn to want^1 each time it gets it. */
static void handoff_loop(int want)
{
	for (int i = 0; i < HANDOFFS; i++) {
		while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != want)
			futex_wait(&turn, !want);
		__atomic_store_n(&turn, !want, __ATOMIC_RELEASE);
		futex_wake(&turn);
	}
}

static void *handoff_peer(void *arg)
{
	(void)arg;
	handoff_loop(1);
	return NULL;
}

static uint64_t bench_futex_handoff(void)
{
	pthread_t peer;

	turn = 0;
	uint64_t start = now_ns();
	pthread_create(&peer, NULL, handoff_peer, NULL);
	handoff_loop(0);
	pthread_join(peer, NULL);
	return (now_ns() - start) / (2 * HANDOFFS);
}

int main(void)
{
	uint64_t v[ROUNDS];

	for (int r = 0; r < ROUNDS; r++)
		v[r] = bench_swapcontext();
	report("host_swapcontext_ns", v);
	for (int r = 0; r < ROUNDS; r++)
		v[r] = bench_asm_switch();
	report("host_asm_switch_ns", v);
	for (int r = 0; r < ROUNDS; r++)
		v[r] = bench_futex_handoff();
	report("host_futex_handoff_ns", v);
	return 0;
}
