/*
 * Prints each of its arguments on a line of its own, in brackets. Built as a static and a
 * static-PIE executable for the ELF parser's tests, and the interpreter their #! scripts
 * name, so the host kernel's reading of a script line shows in what it prints.
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		printf("[%s]\n", argv[i]);
	return 0;
}
