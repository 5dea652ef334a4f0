/*
 * The syscall descriptions: one line per syscall of the kernel's table (the guest ISA's
 * uapi/<isa>/syscalls.h), and the flag sets their arguments draw from, with the values
 * of Linux's ABI as the host's headers give them. prog_check_table (prog.c) proves every
 * syscall of the table has a line here or a reason in desc_skipped.
 */
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syslog.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <amphi/arch.h>

#include "desc.h"

#define SYSCALL(nr, name) NR_##name = nr,
enum desc_nr {
#include GUEST_SYSCALLS
};
#undef SYSCALL

#define SET(id, ...)                                                                        \
	static const uint64_t set_##id[] = {__VA_ARGS__};
SET(S_OPEN, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK,
    O_DSYNC, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_PATH, O_TMPFILE, O_SYNC, O_NOATIME)
SET(S_PROT, PROT_READ, PROT_WRITE, PROT_EXEC, PROT_GROWSDOWN)
SET(S_MAP, MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_NORESERVE,
    MAP_POPULATE, MAP_STACK, MAP_FIXED_NOREPLACE, MAP_32BIT, MAP_LOCKED)
SET(S_AT, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH, AT_EACCESS,
    AT_NO_AUTOMOUNT)
SET(S_WHENCE, SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE, 5)
SET(S_ACCESS, F_OK, R_OK, W_OK, X_OK)
SET(S_FCNTL, F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW,
    F_DUPFD_CLOEXEC, F_GETOWN, F_SETOWN, F_GETPIPE_SZ, F_SETPIPE_SZ, 1234)
SET(S_IOCTL, TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP, TIOCSPGRP,
    TIOCSCTTY, TIOCNOTTY, FIONREAD, FIONBIO, TIOCGSID, TCFLSH, TCXONC, 0x4600, 0x4601,
    0x4602, 0x80081272 /* BLKGETSIZE64 */, 0x1260 /* BLKGETSIZE */, 0x125d /* BLKRRPART */)
SET(S_MADV, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED,
    MADV_FREE, MADV_REMOVE, MADV_DONTFORK, MADV_HUGEPAGE, 1000)
SET(S_MREMAP, MREMAP_MAYMOVE, MREMAP_FIXED, 4 /* MREMAP_DONTUNMAP */)
SET(S_MSYNC, MS_ASYNC, MS_INVALIDATE, MS_SYNC)
SET(S_WAIT, WNOHANG, WUNTRACED, WCONTINUED, WEXITED, WSTOPPED, WNOWAIT, __WALL, __WCLONE)
SET(S_SIGHOW, SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK, 3)
SET(S_SIGSETSIZE, 8, 0, 4, 16)
SET(S_RLIMIT, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_NOFILE,
    RLIMIT_AS, RLIMIT_NPROC, RLIMIT_MEMLOCK, RLIMIT_NLIMITS, 100)
SET(S_RUSAGE, RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD, 7)
SET(S_SYSLOG, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SET(S_PRCTL, PR_SET_NAME, PR_GET_NAME, PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_SET_DUMPABLE,
    PR_GET_DUMPABLE, PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS,
    PR_GET_NO_NEW_PRIVS, PR_SET_TIMERSLACK, PR_GET_TIMERSLACK, 9999)
SET(S_ARCHPRCTL, 0x1001 /* SET_GS */, 0x1002 /* SET_FS */, 0x1003 /* GET_FS */,
    0x1004 /* GET_GS */, 0x1011 /* GET_CPUID */, 0x1012 /* SET_CPUID */, 0x3001)
SET(S_MOUNT, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC,
    MS_PRIVATE, MS_SHARED, MS_SILENT, MS_NOATIME)
SET(S_UMOUNT, MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW)
SET(S_FUTEX, FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP,
    FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET, FUTEX_WAIT | FUTEX_PRIVATE_FLAG,
    FUTEX_WAKE | FUTEX_PRIVATE_FLAG, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, FUTEX_LOCK_PI, 99)
SET(S_CLOCK, CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
    CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, 77,
    (uint64_t)-1)
SET(S_TIMERFL, TIMER_ABSTIME)
SET(S_IDTYPE, P_ALL, P_PID, P_PGID, 3 /* P_PIDFD */, 9)
SET(S_PIPE2, O_CLOEXEC, O_NONBLOCK, O_DIRECT)
SET(S_RENAME, 1 /* RENAME_NOREPLACE */, 2 /* RENAME_EXCHANGE */, 4 /* RENAME_WHITEOUT */)
SET(S_GRND, GRND_NONBLOCK, GRND_RANDOM, 4 /* GRND_INSECURE */)
SET(S_STATX, 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800, 0xfff,
    0x80000000)
SET(S_CLOSE_RANGE, 2 /* CLOSE_RANGE_UNSHARE */, 4 /* CLOSE_RANGE_CLOEXEC */)
SET(S_POLL, POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLWRNORM)
SET(S_CLOEXEC, O_CLOEXEC, O_NONBLOCK)
SET(S_MLOCK, 1 /* MLOCK_ONFAULT */)
/* the first: a thread as pthread_create makes it; the rest one flag each */
SET(S_CLONE, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM,
    SIGCHLD, CLONE_VM, CLONE_FILES, CLONE_SIGHAND, CLONE_THREAD, CLONE_VFORK, CLONE_FS,
    CLONE_PARENT, CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID,
    CLONE_SYSVSEM, 0x80 /* an exit signal of no name */)

/* File system types: strings, so these are indices into desc_fstypes. */
SET(S_FSTYPE, 0, 1, 2, 3, 4, 5)
const char *const desc_fstypes[] = {"ramfs", "proc", "devtmpfs", "ext2", "tmpfs", "nosuchfs"};

/* Names of every syscall of the kernel's table. */
#define SYSCALL(nr, name) #name,
const char *const desc_table_names[] = {
#include GUEST_SYSCALLS
};
#undef SYSCALL
const unsigned desc_table_size = sizeof(desc_table_names) / sizeof(desc_table_names[0]);

#define SETDEF(id) [id] = {#id, set_##id, sizeof(set_##id) / sizeof(set_##id[0])}
const struct value_set desc_sets[] = {
    SETDEF(S_OPEN),	   SETDEF(S_PROT),	SETDEF(S_MAP),	     SETDEF(S_AT),
    SETDEF(S_WHENCE),	   SETDEF(S_ACCESS),	SETDEF(S_FCNTL),     SETDEF(S_IOCTL),
    SETDEF(S_MADV),	   SETDEF(S_MREMAP),	SETDEF(S_MSYNC),     SETDEF(S_WAIT),
    SETDEF(S_SIGHOW),	   SETDEF(S_SIGSETSIZE), SETDEF(S_RLIMIT),   SETDEF(S_RUSAGE),
    SETDEF(S_SYSLOG),	   SETDEF(S_PRCTL),	SETDEF(S_ARCHPRCTL), SETDEF(S_MOUNT),
    SETDEF(S_UMOUNT),	   SETDEF(S_FSTYPE),	SETDEF(S_FUTEX),     SETDEF(S_CLOCK),
    SETDEF(S_TIMERFL),	   SETDEF(S_IDTYPE),	SETDEF(S_PIPE2),     SETDEF(S_RENAME),
    SETDEF(S_GRND),	   SETDEF(S_STATX),	SETDEF(S_CLOSE_RANGE), SETDEF(S_POLL),
    SETDEF(S_CLOEXEC),	   SETDEF(S_MLOCK),	SETDEF(S_CLONE),
};

#define INT {A_INT, 0}
#define LEN {A_LEN, 0}
#define FD {A_FD, 0}
#define PATH {A_PATH, 0}
#define BIN(len_arg) {A_BUF_IN, len_arg}
#define BOUT(len_arg) {A_BUF_OUT, len_arg}
#define SIN(size) {A_STRUCT_IN, size}
#define SOUT(size) {A_STRUCT_OUT, size}
#define SIO(size) {A_STRUCT_IO, size}
#define FL(set) {A_FLAGS, set}
#define EN(set) {A_ENUM, set}
#define MODE {A_MODE, 0}
#define PID {A_PID, 0}
#define SIG {A_SIG, 0}
#define ADDR {A_ADDR, 0}
#define UID {A_UID, 0}
#define IOV(count_arg) {A_IOVEC, count_arg}
#define POLLFDS(count_arg) {A_POLLFD, count_arg}
#define FDPAIR {A_FDPAIR, 0}
#define FSTYPE {A_STR, S_FSTYPE}

#define CALL(name, ret, ...) {#name, NR_##name, ret, {__VA_ARGS__}}

/* struct sizes of the x86_64 ABI */
#define STAT 144
#define TIMESPEC 16
#define SIGACTION 32
#define SIGSET 8
#define RUSAGE 144
#define RLIMIT 16
#define SIGINFO 128
#define STATFS 120
#define STATX 256
#define FDSET 128

const struct call_desc desc_calls[] = {
    CALL(read, R_NONE, FD, BOUT(2), LEN),
    CALL(write, R_NONE, FD, BIN(2), LEN),
    CALL(open, R_FD, PATH, FL(S_OPEN), MODE),
    CALL(close, R_NONE, FD),
    CALL(stat, R_NONE, PATH, SOUT(STAT)),
    CALL(fstat, R_NONE, FD, SOUT(STAT)),
    CALL(lstat, R_NONE, PATH, SOUT(STAT)),
    CALL(poll, R_NONE, POLLFDS(1), LEN, INT),
    CALL(lseek, R_NONE, FD, INT, EN(S_WHENCE)),
    CALL(mmap, R_ADDR, ADDR, LEN, FL(S_PROT), FL(S_MAP), FD, INT),
    CALL(mprotect, R_NONE, ADDR, LEN, FL(S_PROT)),
    CALL(munmap, R_NONE, ADDR, LEN),
    CALL(brk, R_NONE, ADDR),
    CALL(rt_sigaction, R_NONE, SIG, SIN(SIGACTION), SOUT(SIGACTION), EN(S_SIGSETSIZE)),
    CALL(rt_sigprocmask, R_NONE, EN(S_SIGHOW), SIN(SIGSET), SOUT(SIGSET), EN(S_SIGSETSIZE)),
    CALL(ioctl, R_NONE, FD, EN(S_IOCTL), SIO(64)),
    CALL(pread64, R_NONE, FD, BOUT(2), LEN, INT),
    CALL(pwrite64, R_NONE, FD, BIN(2), LEN, INT),
    CALL(readv, R_NONE, FD, IOV(2), LEN),
    CALL(writev, R_NONE, FD, IOV(2), LEN),
    CALL(access, R_NONE, PATH, FL(S_ACCESS)),
    CALL(pipe, R_NONE, FDPAIR),
    CALL(select, R_NONE, INT, SIO(FDSET), SIO(FDSET), SIO(FDSET), SIN(TIMESPEC)),
    CALL(sched_yield, R_NONE),
    CALL(mremap, R_ADDR, ADDR, LEN, LEN, FL(S_MREMAP), ADDR),
    CALL(msync, R_NONE, ADDR, LEN, FL(S_MSYNC)),
    CALL(madvise, R_NONE, ADDR, LEN, EN(S_MADV)),
    CALL(dup, R_FD, FD),
    CALL(dup2, R_FD, FD, FD),
    CALL(pause, R_NONE),
    CALL(nanosleep, R_NONE, SIN(TIMESPEC), SOUT(TIMESPEC)),
    CALL(getpid, R_PID),
    CALL(sendfile, R_NONE, FD, FD, SIO(8), LEN),
    CALL(wait4, R_PID, PID, SOUT(4), FL(S_WAIT), SOUT(RUSAGE)),
    CALL(kill, R_NONE, PID, SIG),
    CALL(uname, R_NONE, SOUT(390)),
    CALL(fcntl, R_FD, FD, EN(S_FCNTL), INT),
    CALL(fsync, R_NONE, FD),
    CALL(fdatasync, R_NONE, FD),
    CALL(truncate, R_NONE, PATH, INT),
    CALL(ftruncate, R_NONE, FD, INT),
    CALL(getcwd, R_NONE, BOUT(1), LEN),
    CALL(chdir, R_NONE, PATH),
    CALL(fchdir, R_NONE, FD),
    CALL(rename, R_NONE, PATH, PATH),
    CALL(mkdir, R_NONE, PATH, MODE),
    CALL(rmdir, R_NONE, PATH),
    CALL(creat, R_FD, PATH, MODE),
    CALL(link, R_NONE, PATH, PATH),
    CALL(unlink, R_NONE, PATH),
    CALL(symlink, R_NONE, PATH, PATH),
    CALL(readlink, R_NONE, PATH, BOUT(2), LEN),
    CALL(chmod, R_NONE, PATH, MODE),
    CALL(fchmod, R_NONE, FD, MODE),
    CALL(chown, R_NONE, PATH, UID, UID),
    CALL(fchown, R_NONE, FD, UID, UID),
    CALL(lchown, R_NONE, PATH, UID, UID),
    CALL(umask, R_NONE, MODE),
    CALL(gettimeofday, R_NONE, SOUT(16), SOUT(8)),
    CALL(getrlimit, R_NONE, EN(S_RLIMIT), SOUT(RLIMIT)),
    CALL(getrusage, R_NONE, EN(S_RUSAGE), SOUT(RUSAGE)),
    CALL(sysinfo, R_NONE, SOUT(112)),
    CALL(times, R_NONE, SOUT(32)),
    CALL(getuid, R_NONE),
    CALL(syslog, R_NONE, EN(S_SYSLOG), BOUT(2), LEN),
    CALL(getgid, R_NONE),
    CALL(setuid, R_NONE, UID),
    CALL(geteuid, R_NONE),
    CALL(getegid, R_NONE),
    CALL(setpgid, R_NONE, PID, PID),
    CALL(getppid, R_PID),
    CALL(getpgrp, R_PID),
    CALL(setsid, R_PID),
    CALL(getgroups, R_NONE, LEN, SOUT(256)),
    CALL(getpgid, R_PID, PID),
    CALL(getsid, R_PID, PID),
    CALL(rt_sigpending, R_NONE, SOUT(SIGSET), EN(S_SIGSETSIZE)),
    CALL(rt_sigtimedwait, R_NONE, SIN(SIGSET), SOUT(SIGINFO), SIN(TIMESPEC), EN(S_SIGSETSIZE)),
    CALL(rt_sigsuspend, R_NONE, SIN(SIGSET), EN(S_SIGSETSIZE)),
    CALL(sigaltstack, R_NONE, SIN(24), SOUT(24)),
    CALL(mknod, R_NONE, PATH, MODE, INT),
    CALL(statfs, R_NONE, PATH, SOUT(STATFS)),
    CALL(fstatfs, R_NONE, FD, SOUT(STATFS)),
    CALL(mlock, R_NONE, ADDR, LEN),
    CALL(munlock, R_NONE, ADDR, LEN),
    CALL(prctl, R_NONE, EN(S_PRCTL), SIO(16), INT, INT, INT),
    CALL(arch_prctl, R_NONE, EN(S_ARCHPRCTL), ADDR),
    CALL(setrlimit, R_NONE, EN(S_RLIMIT), SIN(RLIMIT)),
    CALL(chroot, R_NONE, PATH),
    CALL(sync, R_NONE),
    CALL(settimeofday, R_NONE, SIN(16), SIN(8)),
    CALL(mount, R_NONE, PATH, PATH, FSTYPE, FL(S_MOUNT), ADDR),
    CALL(umount2, R_NONE, PATH, FL(S_UMOUNT)),
    CALL(gettid, R_PID),
    CALL(tkill, R_NONE, PID, SIG),
    CALL(time, R_NONE, SOUT(8)),
    CALL(futex, R_NONE, ADDR, EN(S_FUTEX), INT, SIN(TIMESPEC), ADDR, INT),
    CALL(sched_getaffinity, R_NONE, PID, LEN, BOUT(1)),
    CALL(getdents64, R_NONE, FD, BOUT(2), LEN),
    CALL(set_tid_address, R_NONE, ADDR),
    CALL(clock_settime, R_NONE, EN(S_CLOCK), SIN(TIMESPEC)),
    CALL(clock_gettime, R_NONE, EN(S_CLOCK), SOUT(TIMESPEC)),
    CALL(clock_getres, R_NONE, EN(S_CLOCK), SOUT(TIMESPEC)),
    CALL(clock_nanosleep, R_NONE, EN(S_CLOCK), FL(S_TIMERFL), SIN(TIMESPEC), SOUT(TIMESPEC)),
    CALL(tgkill, R_NONE, PID, PID, SIG),
    CALL(waitid, R_NONE, EN(S_IDTYPE), PID, SOUT(SIGINFO), FL(S_WAIT), SOUT(RUSAGE)),
    CALL(openat, R_FD, FD, PATH, FL(S_OPEN), MODE),
    CALL(mkdirat, R_NONE, FD, PATH, MODE),
    CALL(mknodat, R_NONE, FD, PATH, MODE, INT),
    CALL(fchownat, R_NONE, FD, PATH, UID, UID, FL(S_AT)),
    CALL(newfstatat, R_NONE, FD, PATH, SOUT(STAT), FL(S_AT)),
    CALL(unlinkat, R_NONE, FD, PATH, FL(S_AT)),
    CALL(renameat, R_NONE, FD, PATH, FD, PATH),
    CALL(linkat, R_NONE, FD, PATH, FD, PATH, FL(S_AT)),
    CALL(symlinkat, R_NONE, PATH, FD, PATH),
    CALL(readlinkat, R_NONE, FD, PATH, BOUT(3), LEN),
    CALL(fchmodat, R_NONE, FD, PATH, MODE),
    CALL(faccessat, R_NONE, FD, PATH, FL(S_ACCESS)),
    CALL(pselect6, R_NONE, INT, SIO(FDSET), SIO(FDSET), SIO(FDSET), ADDR, ADDR),
    CALL(ppoll, R_NONE, POLLFDS(1), LEN, SIN(TIMESPEC), SIN(SIGSET), EN(S_SIGSETSIZE)),
    CALL(set_robust_list, R_NONE, ADDR, LEN),
    CALL(utimensat, R_NONE, FD, PATH, SIN(32), FL(S_AT)),
    CALL(dup3, R_FD, FD, FD, FL(S_CLOEXEC)),
    CALL(pipe2, R_NONE, FDPAIR, FL(S_PIPE2)),
    CALL(preadv, R_NONE, FD, IOV(2), LEN, INT, INT),
    CALL(pwritev, R_NONE, FD, IOV(2), LEN, INT, INT),
    CALL(prlimit64, R_NONE, PID, EN(S_RLIMIT), SIN(RLIMIT), SOUT(RLIMIT)),
    CALL(syncfs, R_NONE, FD),
    CALL(renameat2, R_NONE, FD, PATH, FD, PATH, FL(S_RENAME)),
    CALL(getrandom, R_NONE, BOUT(1), LEN, FL(S_GRND)),
    CALL(statx, R_NONE, FD, PATH, FL(S_AT), FL(S_STATX), SOUT(STATX)),
    CALL(rseq, R_NONE, ADDR, LEN, INT, INT),
    CALL(close_range, R_NONE, FD, FD, FL(S_CLOSE_RANGE)),
    CALL(faccessat2, R_NONE, FD, PATH, FL(S_ACCESS), FL(S_AT)),
    /* served tasks: a clone's child serves calls too (task prefixes pick it), and exit
     * ends a task (the first one stays: it serves the host) */
    CALL(clone, R_TASK, FL(S_CLONE), ADDR, ADDR, ADDR, ADDR),
    CALL(fork, R_TASK),
    CALL(vfork, R_TASK),
    CALL(clone3, R_TASK, SIN(88), INT),
    CALL(exit, R_NONE, INT),
    CALL(exit_group, R_NONE, INT),
};
const unsigned desc_ncalls = sizeof(desc_calls) / sizeof(desc_calls[0]);

/* The served tasks stand for user code they do not have: these would need it. */
const struct call_skip desc_skipped[] = {
    {"execve", "replaces the task's program with a user program, which no served task runs"},
    {"execveat", "replaces the task's program with a user program, which no served task runs"},
    {"rt_sigreturn", "needs a signal frame on a user stack"},
};
const unsigned desc_nskipped = sizeof(desc_skipped) / sizeof(desc_skipped[0]);
