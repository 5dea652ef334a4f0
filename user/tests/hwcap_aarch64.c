/*
 * What AT_HWCAP promises, executed: prints AT_HWCAP, AT_HWCAP2 and AT_PLATFORM, then, for
 * every AT_HWCAP bit set, the result of an instruction of that feature on fixed inputs, and
 * what Linux lets every program run at EL0 (cache type, dc zva, counter, TPIDR_EL0, hints).
 * Run on qemu-aarch64 with the same CPU model as the reference, the output must match byte
 * for byte. A bit set that this program cannot exercise fails it (exit 1), so nothing is
 * advertised unchecked. Built static for aarch64 with the crypto and CRC extensions.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

typedef uint8_t v16 __attribute__((vector_size(16)));

/* Prints the 16 bytes of v. */
static void print_v(const char *name, v16 v)
{
	printf("%s:", name);
	for (int i = 0; i < 16; i++)
		printf(" %02x", v[i]);
	printf("\n");
}

static const v16 in_a = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
			 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
static const v16 in_b = {0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08,
			 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x80};

static void run_fp(void)
{
	double r, a = 1.5, b = 2.25, c = 0.125;
	uint64_t bits;

	__asm__("fmadd %d0, %d1, %d2, %d3" : "=w"(r) : "w"(a), "w"(b), "w"(c));
	memcpy(&bits, &r, sizeof(bits));
	printf("fp: fmadd %#llx\n", (unsigned long long)bits);
}

static void run_asimd(void)
{
	v16 r;

	__asm__("mul %0.8h, %1.8h, %2.8h\n\tadd %0.16b, %0.16b, %1.16b"
		: "=&w"(r) : "w"(in_a), "w"(in_b));
	print_v("asimd: mul+add", r);
}

static void run_aes(void)
{
	v16 r = in_a;

	__asm__("aese %0.16b, %1.16b\n\taesmc %0.16b, %0.16b" : "+w"(r) : "w"(in_b));
	print_v("aes: aese+aesmc", r);
	__asm__("aesd %0.16b, %1.16b\n\taesimc %0.16b, %0.16b" : "+w"(r) : "w"(in_b));
	print_v("aes: aesd+aesimc", r);
}

static void run_pmull(void)
{
	v16 r;

	__asm__("pmull %0.1q, %1.1d, %2.1d" : "=w"(r) : "w"(in_a), "w"(in_b));
	print_v("pmull: pmull", r);
	__asm__("pmull2 %0.1q, %1.2d, %2.2d" : "=w"(r) : "w"(in_a), "w"(in_b));
	print_v("pmull: pmull2", r);
}

static void run_sha1(void)
{
	v16 r = in_a;
	float e = 1.0f; /* any 32 bits in s-register */

	__asm__("sha1c %q0, %s1, %2.4s\n\tsha1su0 %0.4s, %2.4s, %2.4s"
		: "+w"(r) : "w"(e), "w"(in_b));
	print_v("sha1: sha1c+sha1su0", r);
}

static void run_sha2(void)
{
	v16 r = in_a, s = in_b;

	__asm__("sha256h %q0, %q1, %2.4s\n\tsha256su0 %1.4s, %0.4s"
		: "+w"(r), "+w"(s) : "w"(in_b));
	print_v("sha2: sha256h", r);
	print_v("sha2: sha256su0", s);
}

static void run_crc32(void)
{
	uint32_t r = 0xffffffff, c = 0xffffffff;
	uint64_t data = 0x0123456789abcdefULL;

	__asm__("crc32x %w0, %w0, %1" : "+r"(r) : "r"(data));
	__asm__("crc32cx %w0, %w0, %1" : "+r"(c) : "r"(data));
	printf("crc32: crc32x %#x crc32cx %#x\n", r, c);
}

static void run_cpuid(void)
{
	uint64_t midr, isar0;

	__asm__ volatile("mrs %0, midr_el1" : "=r"(midr));
	__asm__ volatile("mrs %0, id_aa64isar0_el1" : "=r"(isar0));
	printf("cpuid: midr_el1 %#llx id_aa64isar0_el1 %#llx\n", (unsigned long long)midr,
	       (unsigned long long)isar0);
}

#define MRS(reg)                                                   \
	({                                                         \
		uint64_t v_;                                       \
		__asm__ volatile("mrs %0, " #reg : "=r"(v_));      \
		v_;                                                \
	})

/* What every program may run at EL0 on Linux, whatever AT_HWCAP says. */
static void run_el0(void)
{
	static uint8_t buf[256] __attribute__((aligned(256)));
	uint64_t tp = MRS(tpidr_el0), t0, t1, tp2;
	int zeroed = 0;

	printf("el0: ctr_el0 %#llx dczid_el0 %#llx cntfrq_el0 %llu\n",
	       (unsigned long long)MRS(ctr_el0), (unsigned long long)MRS(dczid_el0),
	       (unsigned long long)MRS(cntfrq_el0));
	t0 = MRS(cntvct_el0);
	t1 = MRS(cntvct_el0);
	printf("el0: cntvct_el0 does not go back: %d\n", t1 >= t0);
	memset(buf, 0xff, sizeof(buf));
	__asm__ volatile("dc zva, %0" : : "r"(buf + 64) : "memory");
	for (unsigned i = 0; i < sizeof(buf); i++)
		zeroed += buf[i] == 0;
	printf("el0: dc zva zeroed %d bytes\n", zeroed);
	__asm__ volatile("yield\n\tisb\n\tdmb ish\n\tdsb sy\n\tdc cvau, %0\n\tic ivau, %0\n\tdsb ish"
			 : : "r"(buf) : "memory");
	__asm__ volatile("msr tpidr_el0, %0" : : "r"(0x1234UL));
	tp2 = MRS(tpidr_el0);
	__asm__ volatile("msr tpidr_el0, %0" : : "r"(tp)); /* the C library's TLS again */
	printf("el0: tpidr_el0 written and read %#llx, fpcr %#llx\n", (unsigned long long)tp2,
	       (unsigned long long)MRS(fpcr));
}

/* AT_HWCAP bits (Linux arch/arm64/include/uapi/asm/hwcap.h) and their exercise. */
static const struct {
	int bit;
	void (*run)(void);
} features[] = {
	{0, run_fp},	{1, run_asimd}, {3, run_aes},	 {4, run_pmull},
	{5, run_sha1},	{6, run_sha2},	{7, run_crc32}, {11, run_cpuid},
};

int main(void)
{
	unsigned long hwcap = getauxval(AT_HWCAP), left = hwcap;
	const char *platform = (const char *)getauxval(AT_PLATFORM);

	printf("AT_HWCAP %#lx AT_HWCAP2 %#lx AT_PLATFORM %s\n", hwcap, getauxval(AT_HWCAP2),
	       platform ? platform : "(none)");
	run_el0();
	for (unsigned i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		if (!(hwcap & (1UL << features[i].bit)))
			continue;
		features[i].run();
		left &= ~(1UL << features[i].bit);
	}
	if (left || getauxval(AT_HWCAP2)) {
		printf("not ok - advertised but not exercised: AT_HWCAP %#lx AT_HWCAP2 %#lx\n", left,
		       getauxval(AT_HWCAP2));
		return 1;
	}
	return 0;
}
