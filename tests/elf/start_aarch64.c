/* The smallest static aarch64 executable (no C library): exits with status 0. For the ELF
 * parser's tests, as an executable for another machine than the host. */
void _start(void)
{
	for (;;)
		__asm__ volatile("mov x8, #93\n\tmov x0, #0\n\tsvc #0" ::: "x0", "x8", "memory");
}
