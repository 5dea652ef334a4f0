/*
 * amphi-virt: boots fleets of Amphi kernels through libvirt.
 *
 *   amphi-virt [--uri URI]... [-n N] [-j J] [--arch x86_64|aarch64|both]
 *              [--cmdline TEXT] [--timeout SECS] [--mem MIB] [--log-dir DIR]
 *              [--host-log-dir DIR] [--name PREFIX] [--verbose]
 *              [--x86_64-kernel ELF] [--aarch64-kernel IMAGE]
 *
 * Boot i runs on URI i mod U (U URIs) and boots arch number (i / U) mod (number of arches):
 * each round over the URIs one arch, so every URI boots every arch once N >= U x arches.
 * Each URI runs up to J boots at once. A URI that cannot be opened is reported once and its
 * boots fail with the reason; the other URIs' boots still run. Exit status: 0 every boot
 * passed, 1 one failed (or its URI was unusable), 2 bad usage, 128 + signal when interrupted
 * (after every domain was destroyed).
 */
#define _GNU_SOURCE
#include "virt.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const virt_arch_names[VIRT_ARCH_COUNT] = {"x86_64", "aarch64"};

const char *virt_arch_name(enum virt_arch arch)
{
	return virt_arch_names[arch];
}

/* Prints the usage text to f. */
static void virt_usage(FILE *f)
{
	fprintf(f,
		"usage: amphi-virt [--uri URI]... [-n N] [-j J] [--arch x86_64|aarch64|both]\n"
		"                  [--cmdline TEXT] [--timeout SECS] [--mem MIB] [--log-dir DIR]\n"
		"                  [--host-log-dir DIR] [--name PREFIX] [--verbose]\n"
		"                  [--x86_64-kernel ELF] [--aarch64-kernel IMAGE]\n");
}

/* Reports a usage error and exits 2. */
static __attribute__((noreturn, format(printf, 1, 2))) void virt_bad_usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "amphi-virt: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	virt_usage(stderr);
	exit(2);
}

/* Value of option argv[*i], which must have one. */
static const char *virt_optarg(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		virt_bad_usage("%s needs a value", argv[*i]);
	return argv[++*i];
}

/* Parses a whole number in [lo, hi] for option opt. */
static int virt_parse_int(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < lo || v > hi)
		virt_bad_usage("bad %s '%s' (a whole number from %ld to %ld)", opt, s, lo, hi);
	return (int)v;
}

/* Parses the per-boot timeout in seconds (fractions allowed). */
static double virt_parse_timeout(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0) || v > 86400)
		virt_bad_usage("bad --timeout '%s' (seconds, 0 < t <= 86400)", s);
	return v;
}

/* Sets the arches to boot from x86_64, aarch64 or both. */
static void virt_parse_arch(struct virt_opts *o, const char *s)
{
	bool both = strcmp(s, "both") == 0;
	o->arch[VIRT_X86_64] = both || strcmp(s, "x86_64") == 0;
	o->arch[VIRT_AARCH64] = both || strcmp(s, "aarch64") == 0;
	if (!o->arch[VIRT_X86_64] && !o->arch[VIRT_AARCH64])
		virt_bad_usage("bad --arch '%s' (x86_64, aarch64 or both)", s);
}

/* The image path as libvirt needs it: absolute. A relative path is resolved here, so it must
 * exist on this machine; an absolute one is taken as it is (it names a file on the hosts). */
static char *virt_kernel_path(const char *opt, const char *s)
{
	if (s[0] == '/')
		return strdup(s);
	char *abs = realpath(s, NULL);
	if (!abs)
		virt_bad_usage("%s '%s': not found here (give an absolute path on the hosts)", opt,
			       s);
	return abs;
}

/* Sets the domain name prefix: 1 or more letters, digits, '-', '_' or '.'. */
static void virt_parse_name(struct virt_opts *o, const char *p)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
	size_t n = strlen(p);
	if (n == 0 || n >= sizeof(o->name_prefix) || strspn(p, allowed) != n)
		virt_bad_usage("bad --name '%s' (1 to %zu of A-Z a-z 0-9 - _ .)", p,
			       sizeof(o->name_prefix) - 1);
	memcpy(o->name_prefix, p, n + 1);
}

/* Handles option argv[*i], one of those that take a value; false when it is none of them. */
static bool virt_parse_valued(int argc, char **argv, int *i, struct virt_opts *o)
{
	const char *a = argv[*i];
	if (strcmp(a, "--uri") == 0) {
		if (o->uri_count == VIRT_MAX_URIS)
			virt_bad_usage("more than %d --uri", VIRT_MAX_URIS);
		o->uri[o->uri_count++] = virt_optarg(argc, argv, i);
	} else if (strcmp(a, "-n") == 0)
		o->boots = virt_parse_int(a, virt_optarg(argc, argv, i), 1, VIRT_MAX_BOOTS);
	else if (strcmp(a, "-j") == 0)
		o->jobs = virt_parse_int(a, virt_optarg(argc, argv, i), 1, VIRT_MAX_BOOTS);
	else if (strcmp(a, "--arch") == 0)
		virt_parse_arch(o, virt_optarg(argc, argv, i));
	else if (strcmp(a, "--cmdline") == 0)
		o->cmdline = virt_optarg(argc, argv, i);
	else if (strcmp(a, "--timeout") == 0)
		o->timeout_s = virt_parse_timeout(virt_optarg(argc, argv, i));
	else if (strcmp(a, "--mem") == 0)
		o->mem_mib = virt_parse_int(a, virt_optarg(argc, argv, i), 16, 65536);
	else if (strcmp(a, "--host-log-dir") == 0)
		o->host_log_dir = virt_optarg(argc, argv, i);
	else if (strcmp(a, "--log-dir") == 0)
		o->log_dir = virt_optarg(argc, argv, i);
	else if (strcmp(a, "--name") == 0)
		virt_parse_name(o, virt_optarg(argc, argv, i));
	else if (strcmp(a, "--x86_64-kernel") == 0)
		o->kernel[VIRT_X86_64] = virt_kernel_path(a, virt_optarg(argc, argv, i));
	else if (strcmp(a, "--aarch64-kernel") == 0)
		o->kernel[VIRT_AARCH64] = virt_kernel_path(a, virt_optarg(argc, argv, i));
	else
		return false;
	return true;
}

void virt_parse_args(int argc, char **argv, struct virt_opts *o)
{
	*o = (struct virt_opts){.boots = 1,
				.jobs = 1,
				.cmdline = "ktest=all",
				.timeout_s = 120,
				.mem_mib = 128,
				.host_log_dir = "/var/log/libvirt/qemu",
				.arch = {true, true}};
	snprintf(o->name_prefix, sizeof(o->name_prefix), "amphi-virt-%d", (int)getpid());
	for (int i = 1; i < argc; i++) {
		if (virt_parse_valued(argc, argv, &i, o))
			continue;
		if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0)
			o->verbose = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			virt_usage(stdout);
			exit(0);
		} else
			virt_bad_usage("unknown option '%s'", argv[i]);
	}
	if (o->uri_count == 0)
		o->uri[o->uri_count++] = "qemu:///system";
	for (int a = 0; a < VIRT_ARCH_COUNT; a++)
		if (o->arch[a] && !o->kernel[a])
			virt_bad_usage("no --%s-kernel for --arch %s", virt_arch_name(a),
				       virt_arch_name(a));
}

int main(int argc, char **argv)
{
	static struct virt_opts opts;
	virt_parse_args(argc, argv, &opts);
	int status = virt_fleet_run(&opts);
	for (int a = 0; a < VIRT_ARCH_COUNT; a++)
		free(opts.kernel[a]);
	return status;
}
