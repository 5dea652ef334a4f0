/*
 * Planted bad accesses: each mode must end the process with SIGSEGV, as on Linux.
 *   fault null      writes through a NULL pointer
 *   fault kernel    reads a kernel address
 *   fault nx        calls into a writable (so not executable) page
 *   fault rodata    writes to a string literal
 */
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "null";

	if (strcmp(mode, "null") == 0)
		*(volatile int *)0 = 1;
	if (strcmp(mode, "kernel") == 0)
		return *(volatile int *)0xffff800000001000UL;
	if (strcmp(mode, "nx") == 0) {
		unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		p[0] = 0xc3; /* ret */
		((void (*)(void))p)();
	}
	if (strcmp(mode, "rodata") == 0)
		*(volatile char *)"literal" = 'L';
	return 0; /* not reached when the access faults */
}
