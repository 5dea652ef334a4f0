/* The aarch64 Linux file ABI where it differs from x86_64's: the generic open flags
 * (include/uapi/asm-generic/fcntl.h, as arm64 overrides them) and the generic struct stat
 * (include/uapi/asm-generic/stat.h). Included through GUEST_UAPI_FS. */
#pragma once

#include <amphi/types.h>

#define O_DIRECTORY 040000
#define O_NOFOLLOW 0100000
#define O_DIRECT 0200000
#define O_LARGEFILE 0400000

struct uapi_stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint32_t st_mode;
	uint32_t st_nlink;
	uint32_t st_uid;
	uint32_t st_gid;
	uint64_t st_rdev;
	uint64_t pad1;
	int64_t st_size;
	int32_t st_blksize;
	int32_t pad2;
	int64_t st_blocks;
	int64_t st_atime_sec, st_atime_nsec;
	int64_t st_mtime_sec, st_mtime_nsec;
	int64_t st_ctime_sec, st_ctime_nsec;
	uint32_t unused[2];
};
_Static_assert(sizeof(struct uapi_stat) == 128, "aarch64 struct stat is 128 bytes");
