/* The x86_64 Linux file ABI where it differs from aarch64's: the open flags whose values
 * differ (arch/x86/include/uapi/asm/fcntl.h takes the generic ones) and struct stat
 * (arch/x86/include/uapi/asm/stat.h). Included through GUEST_UAPI_FS. */
#pragma once

#include <amphi/types.h>

#define O_DIRECT 040000
#define O_LARGEFILE 0100000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000

struct uapi_stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint64_t st_nlink;
	uint32_t st_mode;
	uint32_t st_uid;
	uint32_t st_gid;
	uint32_t pad0;
	uint64_t st_rdev;
	int64_t st_size;
	int64_t st_blksize;
	int64_t st_blocks;
	int64_t st_atime_sec, st_atime_nsec;
	int64_t st_mtime_sec, st_mtime_nsec;
	int64_t st_ctime_sec, st_ctime_nsec;
	int64_t unused[3];
};
_Static_assert(sizeof(struct uapi_stat) == 144, "x86_64 struct stat is 144 bytes");
