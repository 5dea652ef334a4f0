/*
 * AT_HWCAP on x86_64 is CPUID leaf 1 EDX as the kernel keeps it: Linux may clear bits of
 * features it disables, never add one. Checks that on the CPU the program runs on, and with
 * "--amphi" that the word is exactly the CPU's (Amphi clears nothing). Also AT_HWCAP2 (no
 * bit) and AT_PLATFORM. Prints TAP; exits 1 when a check failed.
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#ifndef AT_HWCAP2
#define AT_HWCAP2 26
#endif

static int failed, count;

/* Prints one TAP line for check ok. */
static void check(const char *what, int ok)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++count, what);
	failed |= !ok;
}

int main(int argc, char **argv)
{
	unsigned a, b, c, d;
	unsigned long hwcap = getauxval(AT_HWCAP);
	const char *platform = (const char *)getauxval(AT_PLATFORM);
	int amphi = argc > 1 && strcmp(argv[1], "--amphi") == 0;

	__cpuid(1, a, b, c, d);
	printf("# cpuid 1 edx %#x, AT_HWCAP %#lx\n", d, hwcap);
	check("AT_HWCAP only names bits of cpuid 1 edx", (hwcap & ~(unsigned long)d) == 0);
	if (amphi) {
		check("AT_HWCAP is cpuid 1 edx", hwcap == d);
		check("no AT_HWCAP2 bit", getauxval(AT_HWCAP2) == 0);
	}
	check("AT_PLATFORM is x86_64", platform && strcmp(platform, "x86_64") == 0);
	printf("1..%d\n", count);
	return failed;
}
