/*
 * sim.h: interfaces between the files of the hosted platform. Host side only: it may be
 * included next to libc headers, so it includes no <amphi/...> header (their errno and
 * FDT names clash with the host's and libfdt's).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_NORETURN __attribute__((noreturn))

#include "tools.h" /* SIM_ASAN, SIM_TSAN and the checkers' hooks */

/* Process exit statuses besides the kernel's power-off statuses (0 pass, 1 fail, 3 panic). */
#define SIM_EXIT_USAGE 2 /* bad command-line options */
#define SIM_EXIT_HOST 4	 /* the host refused a resource the machine needs (memfd, mmap) */

#define SIM_PAGE_SIZE 4096UL

/* --- options.c --- */

#define SIM_MEM_DEFAULT (128ULL << 20)
#define SIM_MEM_MIN (4ULL << 20)
#define SIM_MEM_MAX (64ULL << 30)
#define SIM_CMDLINE_MAX 4096 /* bytes, including the NUL */

struct sim_options {
	uint64_t mem_size;   /* bytes of RAM, a multiple of SIM_PAGE_SIZE */
	const char *cmdline; /* kernel command line; "" when none */
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

/* --- fdt_gen.c (the only file that sees libfdt; its symbols are kept local) --- */

/* What the generated device tree describes. */
struct sim_dt_desc {
	uint64_t ram_base, ram_size;
	const char *bootargs;
};

/* Writes the machine's DTB into buf (cap bytes). Returns its size, or a negative
 * libfdt error code. */
int sim_fdt_build(void *buf, size_t cap, const struct sim_dt_desc *desc);

/* Message for a negative libfdt error code. */
const char *sim_fdt_strerror(int err);

/* --- boot.c --- */

/* Builds the DTB for cmdline and places it at the top of RAM; returns its host address. */
void *sim_boot_place_dtb(const char *cmdline);

/* Moves onto a fresh kernel boot stack and calls kmain(bootinfo). Never returns. */
SIM_NORETURN void sim_boot_start(void *bootinfo);

/* --- stack.c: kernel stacks, known to Valgrind, ASan and the fault handler --- */

struct sim_stack {
	uint8_t *lo, *hi; /* usable range [lo, hi); the guard page sits just below lo */
	unsigned valgrind_id;
};

/* Maps a stack of size bytes (rounded up to pages) above a guard page and registers it.
 * Returns 0 or -errno. */
int sim_stack_create(struct sim_stack *s, size_t size);

/* True when [addr, addr+len) lies inside one registered stack's usable range. */
bool sim_stack_holds(uintptr_t addr, size_t len);

/* True when addr lies in the guard page of a registered stack. */
bool sim_stack_in_guard(uintptr_t addr);

/* Switches to s and calls fn(arg) with a zero frame pointer, so frame-pointer walks end
 * there. fn must not return. fn must call sim_stack_entered() first. */
SIM_NORETURN void sim_stack_enter(struct sim_stack *s, void (*fn)(void *), void *arg);

/* Completes the switch started by sim_stack_enter (ASan fiber bookkeeping). */
void sim_stack_entered(void);

/* ISA routine (sim/host/<isa>/stack_switch.S): sets the stack pointer to top, clears the frame
 * pointer and calls fn(arg); traps if fn returns. */
SIM_NORETURN void sim_stack_call(void *top, void (*fn)(void *), void *arg);

/* --- console.c --- */

/* Opens /dev/null on any of fds 0-2 that is closed, so no later file lands there and is
 * mistaken for the console. Exits SIM_EXIT_HOST when even that fails. */
void sim_console_claim_std_fds(void);

/* Puts a terminal stdin into raw-ish mode (no line editing, no echo) and arranges for it
 * to be restored at exit and on fatal signals. */
void sim_console_init(void);

/* Restores the terminal mode saved by sim_console_init. Async-signal-safe. */
void sim_console_restore(void);

/* --- symbolize.c --- */

/* Loads the symbolizer state for this executable; failures only degrade backtraces. */
void sim_symbolize_init(void);

/* Like plat_symbolize, for an exact instruction address rather than a return address. */
int sim_symbolize_exact(uintptr_t pc, char *buf, size_t len);

/* --- fault.c --- */

/* Installs the kernel-fault handler for SIGSEGV, SIGBUS, SIGILL and SIGFPE on an alternate
 * stack (not under a sanitizer, which reports those itself). */
void sim_fault_init(void);

/* ISA part (sim/host/<isa>/fault_regs.c): program counter and frame pointer of a signal's
 * interrupted context (a ucontext_t). */
void sim_fault_regs(const void *ucontext, uintptr_t *pc, uintptr_t *fp);
