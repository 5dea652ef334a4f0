/* planted.h: bugs planted on purpose, to prove that the fuzzers find what they should.
 *
 * They exist only in the fuzz build (fuzz/CMakeLists.txt defines AMPHI_PLANTED_BUGS for the
 * kernel's objects there) and only one named by the kernel command line
 * (planted_bugs=NAME) is armed, so the fuzz targets find real bugs otherwise. Everywhere
 * else planted_armed is false at compile time and the planted paths are dropped. */
#pragma once

#include <amphi/types.h>

/* The planted bugs. */
enum planted_bug {
	PLANTED_NONE,
	PLANTED_GETRANDOM, /* getrandom with GRND_NONBLOCK | GRND_RANDOM over 256 bytes writes one
			    * byte past its stack chunk (an off-by-one in a bounds check) */
	PLANTED_DUP3,	   /* dup3(fd, fd, O_CLOEXEC) drops a reference the descriptor table
			    * still counts on: the file is freed, and the descriptor's next
			    * use reads freed memory (a use after free behind two calls) */
	PLANTED_FDT_COMPAT, /* the FDT reader's string-list match goes on past a last string
			     * without its NUL: the scan runs off the end of the blob */
	PLANTED_READ_UNREF, /* a blocking read of a pipe gives its reference to the file back
			     * before it sleeps, counting on the descriptor table's, and reads the
			     * file's flags after: a close of the descriptor by another task
			     * sharing the table while it sleeps frees the file under it (a race
			     * one task alone cannot reach) */
};

#ifdef AMPHI_PLANTED_BUGS
extern enum planted_bug planted_bug_armed;

/* Arms the bug the command line names with planted_bugs=NAME (none without it). */
void planted_bugs_init(const char *cmdline);

static inline bool planted_armed(enum planted_bug bug)
{
	return planted_bug_armed == bug;
}
#else
static inline void planted_bugs_init(const char *cmdline)
{
	(void)cmdline;
}

static inline bool planted_armed(enum planted_bug bug)
{
	(void)bug;
	return false;
}
#endif
