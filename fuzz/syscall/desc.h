/*
 * desc.h: how the syscall target describes a syscall: what each argument is (a descriptor,
 * a path, a buffer and the argument holding its length, flags from a set...) and what the
 * result is (a new descriptor, pid or mapping), in the spirit of syzkaller's descriptions.
 */
#pragma once

#include <stdint.h>

enum arg_kind {
	A_NONE,
	A_INT,	      /* any integer, small and boundary values preferred */
	A_LEN,	      /* a byte count (set by the buffer that names it) */
	A_FD,	      /* a descriptor from an earlier call, or a special value */
	A_PATH,	      /* a path of the tree, or one from the input */
	A_STR,	      /* a string from set aux (file system types) */
	A_BUF_IN,     /* bytes from the input; aux: the argument holding its length */
	A_BUF_OUT,    /* room for the kernel to fill; aux: the argument holding its length */
	A_STRUCT_IN,  /* aux bytes from the input */
	A_STRUCT_OUT, /* aux bytes for the kernel to fill */
	A_STRUCT_IO,  /* aux bytes from the input, read back after */
	A_FLAGS,      /* an OR of members of flag set aux */
	A_ENUM,	      /* one member of set aux */
	A_MODE,	      /* permission bits, sometimes a file type */
	A_PID,	      /* a pid from an earlier call, or a special value */
	A_SIG,	      /* a signal number */
	A_ADDR,	      /* a user address: the scratch area, a mapping, or a wild value */
	A_UID,	      /* a user or group id */
	A_IOVEC,      /* an iovec array over the scratch area; aux: the count's argument */
	A_POLLFD,     /* a pollfd array of known descriptors; aux: the count's argument */
	A_FDPAIR,     /* int[2] the kernel fills with two new descriptors */
};

/* The value sets of desc_sets. */
enum set_id {
	S_OPEN, S_PROT, S_MAP, S_AT, S_WHENCE, S_ACCESS, S_FCNTL, S_IOCTL, S_MADV, S_MREMAP,
	S_MSYNC, S_WAIT, S_SIGHOW, S_SIGSETSIZE, S_RLIMIT, S_RUSAGE, S_SYSLOG, S_PRCTL,
	S_ARCHPRCTL, S_MOUNT, S_UMOUNT, S_FSTYPE, S_FUTEX, S_CLOCK, S_TIMERFL, S_IDTYPE, S_PIPE2,
	S_RENAME, S_GRND, S_STATX, S_CLOSE_RANGE, S_POLL, S_CLOEXEC, S_MLOCK, S_CLONE,
};

/* What a result is: R_TASK, the id of a task a clone made (a served task too). */
enum ret_kind { R_NONE, R_FD, R_PID, R_ADDR, R_TASK };

struct arg_desc {
	uint8_t kind; /* enum arg_kind */
	uint16_t aux;
};

struct call_desc {
	const char *name;
	unsigned long nr;
	uint8_t ret; /* enum ret_kind */
	struct arg_desc arg[6];
};

/* A set of flag or enum values. */
struct value_set {
	const char *name;
	const uint64_t *v;
	unsigned n;
};

/* A syscall of the kernel's table the target leaves out, and why. */
struct call_skip {
	const char *name;
	const char *why;
};

extern const struct call_desc desc_calls[];
extern const unsigned desc_ncalls;
extern const struct value_set desc_sets[];
extern const struct call_skip desc_skipped[];
extern const unsigned desc_nskipped;
extern const char *const desc_fstypes[];
extern const char *const desc_table_names[]; /* every syscall of the kernel's table */
extern const unsigned desc_table_size;
