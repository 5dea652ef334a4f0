/*
 * Planted bad accesses: each mode must end the process with SIGSEGV, as on Linux (ill:
 * with SIGILL).
 *   fault null      writes through a NULL pointer
 *   fault kernel    reads a kernel address
 *   fault nx        calls into a writable (so not executable) page
 *   fault rodata    writes to a string literal
 *   fault ill       executes an undefined instruction
 *   fault div       divides by zero (SIGFPE on x86_64; aarch64 gives 0 and exits 0)
 *   fault brk       executes a breakpoint instruction (SIGTRAP)
 *   fault priv      executes a privileged instruction (x86_64 hlt: SIGSEGV; aarch64 reads
 *                   SCTLR_EL1: SIGILL)
 *   fault io        touches the hardware directly (x86_64 out to port 0x80: SIGSEGV; aarch64
 *                   masks interrupts with msr daifset: SIGILL)
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__aarch64__)
#define RET_INSN 0xd65f03c0u /* ret */
#define UNDEFINED_INSN ".inst 0x00000000" /* udf #0 */
#define BREAKPOINT_INSN "brk #0"
#define PRIVILEGED() __asm__ volatile("mrs x0, sctlr_el1" ::: "x0")
#define HARDWARE() __asm__ volatile("msr daifset, #2")
#else
#define RET_INSN 0xc3u /* ret (the first byte; the rest are never reached) */
#define UNDEFINED_INSN "ud2"
#define BREAKPOINT_INSN "int3"
#define PRIVILEGED() __asm__ volatile("hlt")
#define HARDWARE() __asm__ volatile("outb %%al, $0x80" ::"a"(0))
#endif

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "null";

	if (strcmp(mode, "null") == 0)
		*(volatile int *)0 = 1;
	if (strcmp(mode, "kernel") == 0)
		return *(volatile int *)0xffff800000001000UL;
	if (strcmp(mode, "nx") == 0) {
		uint32_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				   -1, 0);
		p[0] = RET_INSN;
		((void (*)(void))p)();
	}
	if (strcmp(mode, "rodata") == 0)
		*(volatile char *)"literal" = 'L';
	if (strcmp(mode, "ill") == 0)
		__asm__ volatile(UNDEFINED_INSN);
	if (strcmp(mode, "div") == 0) {
		volatile int zero = 0;
		return 7 / zero;
	}
	if (strcmp(mode, "brk") == 0)
		__asm__ volatile(BREAKPOINT_INSN);
	if (strcmp(mode, "priv") == 0)
		PRIVILEGED();
	if (strcmp(mode, "io") == 0)
		HARDWARE();
	return 0; /* not reached when the mode faults */
}
