/* A user program for the gdbstub's follow tests: main calls a function and checks its
 * result, so a session can break in main, step into add and read its variables. */
#include <stdio.h>

static int calls;

/* a + b, counting the calls. */
__attribute__((noinline)) int add(int a, int b)
{
	calls++;
	return a + b;
}

int main(int argc, char **argv)
{
	int sum = add(argc, 41);

	printf("gdbuser: %s: %d after %d call\n", argv[0], sum, calls);
	return sum == 42 ? 0 : 1;
}
