/*
 * Command-line options of the hosted machine. Sizes are parsed by the kernel's own
 * cmdline_parse_size, so "128M" means the same here as on the kernel command line.
 * RAM must be a whole number of 4 KiB pages between 4M and 64G: an odd size is refused
 * rather than rounded, so the machine always has exactly the RAM that was asked for.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <amphi/arch.h>
#include <amphi/cmdline.h>

#include "sim.h"

#define SIM_VERSION "0.1"
#define OPT_NO_INITRAMFS 0x100 /* getopt codes of long options without a letter */
#define OPT_TRACE_HASH 0x101
#define OPT_INIT 0x102
#define OPT_DISK 0x103
#define OPT_DISPLAY 0x104
#define OPT_RESOLUTION 0x105
#define OPT_SCREENSHOT 0x106
#define OPT_KEYS 0x107
#define OPT_GDB 0x108
#define OPT_GDB_WAIT 0x109
#define OPT_GDB_FOLLOW 0x10a
#define INIT_DEFAULT "/bin/sh" /* run when neither a command line nor --init says otherwise */

static const char sim_usage[] =
    "usage: amphi [options] [-- kernel command line words...]\n"
    "       amphi exec [options] [--] PROGRAM [ARGS...]\n"
    "\n"
    "Runs the Amphi kernel as a process (the hosted " ARCH_NAME " machine, " GUEST_ARCH_NAME
    " guest).\n"
    "\n"
    "options:\n"
    "  -m, --mem SIZE   RAM size with an optional K, M, G or T suffix (default 128M);\n"
    "                   a multiple of 4K between 4M and 64G\n"
    "  --cpus N         simulated CPUs, 1 to 64 (default 1), one host thread each\n"
    "  --sched MODE     deterministic (default): one CPU runs at a time, switching at\n"
    "                   points a seeded PRNG picks; parallel: CPUs run concurrently\n"
    "  --seed S         seed of the deterministic schedule, 0 to 2^64-1 (default 1)\n"
    "  --time MODE      virtual (default): a clock that advances only with simulated\n"
    "                   events; real: the host's monotonic clock\n"
    "  --watchdog SECS  report every CPU's backtrace and held locks and exit 5 when no\n"
    "                   CPU makes progress for SECS seconds (default 10, 0 = off)\n"
    "  --initrd FILE    a cpio newc archive (as `cpio -o -H newc` writes) unpacked into\n"
    "                   the root file system over the built-in initramfs; up to 8\n"
    "  --no-initramfs   leave the built-in initramfs (busybox) out\n"
    "  --disk FILE[,ro][,fail-after=N]\n"
    "                   a virtio block device backed by FILE (read-only with ,ro); up\n"
    "                   to 8, /dev/vda first. fail-after=N: after N write requests have\n"
    "                   succeeded, every later write and flush fails (VIRTIO_BLK_S_IOERR)\n"
    "  --init PATH|none the program of the initramfs to run as the first process; by\n"
    "                   default /bin/sh (the busybox shell) when no kernel command line\n"
    "                   is given, none otherwise (then the kernel's monitor runs)\n"
    "  --trace-hash FILE  write the deterministic schedule's trace hash to FILE at power-off\n"
    "                   (it is printed on the console too, except under exec)\n"
    "  --display MODE   none: no display; offscreen: a virtio GPU whose\n"
    "                   display is kept in memory, with the console shown on it; sdl:\n"
    "                   that display in a window (SDL2), whose keys go to a virtio\n"
    "                   keyboard. Default: sdl on a terminal of a desktop session\n"
    "                   ($DISPLAY or $WAYLAND_DISPLAY) without exec, else none\n"
    "  --resolution WxH the display's size in pixels (default 640x400)\n"
    "  --screenshot FILE  write the display as a PNG to FILE at power-off (implies\n"
    "                   --display offscreen unless a display is chosen)\n"
    "  --keys TEXT      a virtio keyboard that types TEXT at boot (\\n Enter, \\t Tab,\n"
    "                   \\e Esc, \\\\ and \\^ themselves, ^X Ctrl with the letter X)\n"
    "  --gdb PORT|unix:PATH  serve GDB's remote protocol on the loopback TCP PORT or the\n"
    "                   unix socket PATH: the CPUs are threads, kernel code is x86_64\n"
    "                   host code (target remote :PORT with gdb on this program)\n"
    "  --gdb-wait       with --gdb: stop before the kernel's first instruction until\n"
    "                   GDB continues it (with --gdb-follow: before the process's first\n"
    "                   instruction)\n"
    "  --gdb-follow PID|NAME  GDB sees that user process alone (by pid, or the first\n"
    "                   whose name or program's base name is NAME): its " GUEST_ARCH_NAME " registers\n"
    "                   and memory, breakpoints and steps in its code (also: monitor follow)\n"
    "  -h, --help       show this help and exit\n"
    "  -V, --version    show the version and exit\n"
    "\n"
    "Words after -- are joined with spaces into the kernel command line, e.g.\n"
    "  amphi -- ktest=all\n"
    "\n"
    "exec boots the kernel quietly and runs PROGRAM, a static Linux " GUEST_ARCH_NAME
    " executable\n"
    "of the host (found through PATH when it has no slash), as the first process with\n"
    "ARGS (argv[0] is PROGRAM as given); the console is its standard input and output,\n"
    "and amphi exits with its status (128+N when signal N ended it; 127 when it could\n"
    "not be started).\n"
    "\n"
    "exit status: the kernel's power-off status (0 pass, 1 fail, 3 panic or fault),\n"
    "2 for bad options, 4 when the host cannot provide the machine's resources,\n"
    "5 when the watchdog found the machine hung.\n";

/* Reports a bad option with the hint and exits with SIM_EXIT_USAGE. */
static SIM_NORETURN __attribute__((format(printf, 1, 2))) void opt_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("amphi: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("; try --help\n", stderr);
	va_end(ap);
	exit(SIM_EXIT_USAGE);
}

/* Parses the --mem value; exits on a malformed or out-of-range size. */
static uint64_t opt_parse_mem(const char *arg)
{
	uint64_t size;
	int err = cmdline_parse_size(arg, &size);

	if (err == -ERANGE)
		opt_fail("--mem %s: too large (at most 64G)", arg);
	if (err)
		opt_fail("--mem %s: not a size (e.g. 512M or 2G)", arg);
	if (size < SIM_MEM_MIN)
		opt_fail("--mem %s: too small (at least 4M)", arg);
	if (size > SIM_MEM_MAX)
		opt_fail("--mem %s: too large (at most 64G)", arg);
	if (size % SIM_PAGE_SIZE)
		opt_fail("--mem %s: not a multiple of the 4K page size", arg);
	return size;
}

/* Parses a decimal number for option name into [min, max]; exits when it is not one. */
static uint64_t opt_parse_number(const char *name, const char *arg, uint64_t min, uint64_t max)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (!*arg || *end || arg[0] == '-' || arg[0] == '+' || arg[0] == ' ')
		opt_fail("--%s %s: not a number", name, arg);
	if (errno == ERANGE || v < min || v > max)
		opt_fail("--%s %s: out of range (%llu to %llu)", name, arg, (unsigned long long)min,
			 (unsigned long long)max);
	return v;
}

/* Parses a value that must be one of two words; returns 0 for first, 1 for second. */
static int opt_parse_choice(const char *name, const char *arg, const char *first,
			    const char *second)
{
	if (strcmp(arg, first) == 0)
		return 0;
	if (strcmp(arg, second) == 0)
		return 1;
	opt_fail("--%s %s: unknown mode (%s or %s)", name, arg, first, second);
}

/* Records a --disk FILE[,ro][,fail-after=N] option; the options are cut off arg (argv is
 * writable). */
static void opt_add_disk(struct sim_options *opts, char *arg)
{
	struct sim_disk_opt d = {.path = arg, .fail_after = -1};
	char *opt = strchr(arg, ',');

	if (opts->disk_count == SIM_DISK_MAX)
		opt_fail("at most %d --disk files", SIM_DISK_MAX);
	if (opt)
		*opt++ = '\0';
	while (opt) {
		char *next = strchr(opt, ',');
		if (next)
			*next++ = '\0';
		char *end;
		if (strcmp(opt, "ro") == 0 && !d.read_only) {
			d.read_only = true;
		} else if (strncmp(opt, "fail-after=", 11) == 0 && d.fail_after < 0 &&
			   opt[11] >= '0' && opt[11] <= '9') {
			errno = 0;
			unsigned long long n = strtoull(opt + 11, &end, 10);
			if (*end || errno || n > INT64_MAX)
				opt_fail("bad --disk %s: fail-after=%s is not a count", arg, opt + 11);
			d.fail_after = (int64_t)n;
		} else {
			opt_fail("bad --disk %s option '%s' (want FILE[,ro][,fail-after=N])", arg, opt);
		}
		opt = next;
	}
	if (!*arg)
		opt_fail("bad --disk: no FILE (want FILE[,ro][,fail-after=N])");
	opts->disk[opts->disk_count++] = d;
}

/* True when the machine runs interactively in a desktop session: its console is a
 * terminal and a display server is named ($DISPLAY, $WAYLAND_DISPLAY), and it boots to a
 * shell rather than exec'ing one program (which behaves as a plain command). Tests and
 * CI have no terminal or no display, so they get none. */
static bool opt_desktop_session(bool exec)
{
	const char *x11 = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");

	return !exec && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) &&
	       ((x11 && *x11) || (wayland && *wayland));
}

/* Parses a --display mode; exits on an unknown one. */
static enum sim_display_mode opt_parse_display(const char *arg)
{
	static const char *const names[] = {
	    [SIM_DISPLAY_NONE] = "none", [SIM_DISPLAY_OFFSCREEN] = "offscreen", [SIM_DISPLAY_SDL] = "sdl"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(arg, names[i]) == 0)
			return (enum sim_display_mode)i;
	opt_fail("--display %s: unknown mode (none, offscreen or sdl)", arg);
}

/* Parses --resolution WxH; exits on a malformed or out-of-range size. */
static void opt_parse_resolution(struct sim_options *opts, const char *arg)
{
	unsigned long w, h;
	char *end;

	w = strtoul(arg, &end, 10);
	if (end == arg || *end != 'x' || end[1] < '0' || end[1] > '9')
		opt_fail("--resolution %s: not a size (e.g. 640x400)", arg);
	h = strtoul(end + 1, &end, 10);
	if (*end)
		opt_fail("--resolution %s: not a size (e.g. 640x400)", arg);
	if (w < 8 || h < 16 || w > SIM_DISPLAY_MAX || h > SIM_DISPLAY_MAX)
		opt_fail("--resolution %s: out of range (8x16 to %dx%d)", arg, SIM_DISPLAY_MAX,
			 SIM_DISPLAY_MAX);
	opts->display_width = (uint32_t)w;
	opts->display_height = (uint32_t)h;
}

/* Checks a --gdb address: a TCP port (1-65535) or unix:PATH; exits when it is neither. */
static const char *opt_parse_gdb(const char *arg)
{
	if (strncmp(arg, "unix:", 5) == 0) {
		if (!arg[5] || strlen(arg + 5) >= 108) /* sun_path */
			opt_fail("--gdb %s: the socket path must have 1 to 107 bytes", arg);
		return arg;
	}
	opt_parse_number("gdb", arg, 1, 65535);
	return arg;
}

/* Joins words with single spaces into a static string; exits when it is too long. */
static const char *opt_join_cmdline(int count, char **words)
{
	static char line[SIM_CMDLINE_MAX];
	size_t len = 0;

	for (int i = 0; i < count; i++) {
		size_t n = strlen(words[i]);
		if (n + 1 > sizeof(line) - len) /* the word and its space or NUL */
			opt_fail("kernel command line too long (at most %zu bytes)",
				 sizeof(line) - 1);
		memcpy(line + len, words[i], n);
		len += n;
		line[len++] = i + 1 < count ? ' ' : '\0';
	}
	return line; /* static, so "" when there are no words */
}

/* Names the unknown option getopt_long just rejected, for the error message. */
static const char *opt_unknown_name(char **argv)
{
	static char short_name[3] = "-?";

	if (optopt) { /* a short option, possibly inside a cluster like -hx */
		short_name[1] = (char)optopt;
		return short_name;
	}
	return argv[optind - 1];
}

/* `amphi exec`: the words left after the options are the program and its arguments. */
static void opt_take_program(int argc, char **argv, struct sim_options *opts)
{
	if (optind >= argc)
		opt_fail("exec needs a program to run");
	opts->exec_argv = argv + optind;
	opts->exec_argc = argc - optind;
	opts->cmdline = "quiet";
}

void sim_options_parse(int argc, char **argv, struct sim_options *opts)
{
	static const struct option longopts[] = {
	    {"mem", required_argument, NULL, 'm'},
	    {"cpus", required_argument, NULL, 'c'},
	    {"sched", required_argument, NULL, 'S'},
	    {"seed", required_argument, NULL, 's'},
	    {"time", required_argument, NULL, 't'},
	    {"watchdog", required_argument, NULL, 'w'},
	    {"initrd", required_argument, NULL, 'i'},
	    {"disk", required_argument, NULL, OPT_DISK},
	    {"no-initramfs", no_argument, NULL, OPT_NO_INITRAMFS},
	    {"trace-hash", required_argument, NULL, OPT_TRACE_HASH},
	    {"init", required_argument, NULL, OPT_INIT},
	    {"display", required_argument, NULL, OPT_DISPLAY},
	    {"resolution", required_argument, NULL, OPT_RESOLUTION},
	    {"screenshot", required_argument, NULL, OPT_SCREENSHOT},
	    {"keys", required_argument, NULL, OPT_KEYS},
	    {"gdb", required_argument, NULL, OPT_GDB},
	    {"gdb-wait", no_argument, NULL, OPT_GDB_WAIT},
	    {"gdb-follow", required_argument, NULL, OPT_GDB_FOLLOW},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	const char *init = NULL;

	*opts = (struct sim_options){
	    .mem_size = SIM_MEM_DEFAULT,
	    .cmdline = "",
	    .cpus = 1,
	    .sched = SIM_SCHED_DETERMINISTIC,
	    .time = SIM_TIME_VIRTUAL,
	    .seed = SIM_SEED_DEFAULT,
	    .watchdog_s = SIM_WATCHDOG_DEFAULT_S,
	    .builtin_initramfs = true,
	    .display_width = SIM_DISPLAY_WIDTH,
	    .display_height = SIM_DISPLAY_HEIGHT,
	};
	int display = -1; /* not chosen */
	bool exec = argc > 1 && strcmp(argv[1], "exec") == 0;
	if (exec) { /* the options follow the command word */
		argc--;
		argv++;
	}
	opterr = 0; /* our own messages, one line each */
	while ((c = getopt_long(argc, argv, "+:m:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			opts->mem_size = opt_parse_mem(optarg);
			break;
		case 'c':
			opts->cpus = (unsigned)opt_parse_number("cpus", optarg, 1, SIM_MAX_CPUS);
			break;
		case 'S':
			opts->sched = opt_parse_choice("sched", optarg, "deterministic", "parallel")
					  ? SIM_SCHED_PARALLEL
					  : SIM_SCHED_DETERMINISTIC;
			break;
		case 's':
			opts->seed = opt_parse_number("seed", optarg, 0, UINT64_MAX);
			break;
		case 't':
			opts->time = opt_parse_choice("time", optarg, "virtual", "real")
					 ? SIM_TIME_REAL
					 : SIM_TIME_VIRTUAL;
			break;
		case 'w':
			opts->watchdog_s =
			    (unsigned)opt_parse_number("watchdog", optarg, 0, SIM_WATCHDOG_MAX_S);
			break;
		case 'i':
			if (opts->initrd_count == SIM_INITRD_MAX)
				opt_fail("at most %d --initrd archives", SIM_INITRD_MAX);
			opts->initrd[opts->initrd_count++] = optarg;
			break;
		case OPT_DISK:
			opt_add_disk(opts, optarg);
			break;
		case OPT_INIT:
			init = optarg;
			break;
		case OPT_DISPLAY:
			display = (int)opt_parse_display(optarg);
			break;
		case OPT_RESOLUTION:
			opt_parse_resolution(opts, optarg);
			break;
		case OPT_SCREENSHOT:
			opts->screenshot = optarg;
			break;
		case OPT_KEYS:
			opts->keys = optarg;
			break;
		case OPT_GDB:
			opts->gdb = opt_parse_gdb(optarg);
			break;
		case OPT_GDB_WAIT:
			opts->gdb_wait = true;
			break;
		case OPT_GDB_FOLLOW:
			if (!*optarg || strlen(optarg) >= SIM_GDB_FOLLOW_MAX)
				opt_fail("--gdb-follow %s: a pid or a name of 1 to %d bytes", optarg,
					 SIM_GDB_FOLLOW_MAX - 1);
			opts->gdb_follow = optarg;
			break;
		case OPT_TRACE_HASH:
			opts->trace_hash_file = optarg;
			break;
		case OPT_NO_INITRAMFS:
			opts->builtin_initramfs = false;
			break;
		case 'h':
			fputs(sim_usage, stdout);
			exit(0);
		case 'V':
			printf("amphi %s (hosted %s, %s guest)\n", SIM_VERSION, ARCH_NAME,
			       GUEST_ARCH_NAME);
			exit(0);
		case ':':
			opt_fail("option %s needs a value", argv[optind - 1]);
		default:
			if (optopt == 'h' || optopt == 'V' || optopt == OPT_NO_INITRAMFS ||
			    optopt == OPT_GDB_WAIT) /* --help=x */
				opt_fail("option %.*s takes no value",
					 (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
			opt_fail("unknown option %s", opt_unknown_name(argv));
		}
	}
	if (opts->gdb_wait && !opts->gdb)
		opt_fail("--gdb-wait needs --gdb");
	if (opts->gdb_follow && !opts->gdb)
		opt_fail("--gdb-follow needs --gdb");
	if (opts->screenshot && display == SIM_DISPLAY_NONE)
		opt_fail("--screenshot needs a display (--display offscreen)");
	if (display < 0) { /* a screenshot needs a display; a desktop session gets a window */
		opts->display_auto = !opts->screenshot && opt_desktop_session(exec);
		display = opts->screenshot    ? SIM_DISPLAY_OFFSCREEN
			  : opts->display_auto ? SIM_DISPLAY_SDL
					       : SIM_DISPLAY_NONE;
	}
	opts->display = (enum sim_display_mode)display;
	if (exec) {
		opt_take_program(argc, argv, opts);
		return;
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0)
		opt_fail("unexpected argument '%s' (kernel command line words go after --)",
			 argv[optind]);
	opts->cmdline = opt_join_cmdline(argc - optind, argv + optind);
	if (!init)
		init = opts->cmdline[0] || !opts->builtin_initramfs ? "none" : INIT_DEFAULT;
	opts->init_path = strcmp(init, "none") == 0 ? NULL : init;
}
