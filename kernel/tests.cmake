# Tests of the portable kernel: ktest=all in the hosted build, under memcheck and ASan with
# planted allocator bugs, the panic report, the lock checker's reports on every target,
# fair CPU shares where the clock cannot be stolen, and the planted race's seed search.


amphi_test(NAME hosted-ktest TIMEOUT 60 LABELS hosted ENVIRONMENT "${AMPHI_BOOT_ENV}"
           COMMAND ${AMPHI_BOOT} hosted ktest=all)
# The VFS suite on 4 CPUs with seeds whose schedules put a FIFO's writer between a reader's
# attach and its wait (vfs.fifo_partner_before_wait: seeds 3 to 6 hung before the fix).
foreach(seed 3 5)
  amphi_test(NAME hosted-ktest-vfs-smp4-seed${seed} TIMEOUT 60 LABELS hosted
             ENVIRONMENT "${AMPHI_BOOT_ENV}" "AMPHI_SIM_ARGS=--cpus 4 --seed ${seed}"
             COMMAND ${AMPHI_BOOT} hosted ktest=vfs)
endforeach()

# Memory checkers.
if(AMPHI_VALGRIND)
  amphi_test(NAME hosted-memcheck TIMEOUT 300 LABELS valgrind
             COMMAND ${MEMCHECK} ${AMPHI_HOSTED_BIN} -- ktest=all)
  # Planted bugs: the allocator annotations must make memcheck see them.
  amphi_test(NAME memcheck-use-after-free TIMEOUT 120 LABELS valgrind
             RUN_ARGS --no-ktap --expect-exit 99 --expect-output "Invalid read"
             COMMAND ${MEMCHECK} ${AMPHI_HOSTED_BIN} -- ktest=kmalloc_bugs.use_after_free)
  amphi_test(NAME memcheck-double-free TIMEOUT 120 LABELS valgrind
             RUN_ARGS --no-ktap --expect-exit 99 --expect-output "Invalid free"
             COMMAND ${MEMCHECK} ${AMPHI_HOSTED_BIN} -- ktest=kmalloc_bugs.double_free)
endif()

# The hosted-asan preset's kernel (build it first: cmake --preset hosted-asan).
amphi_test(NAME hosted-asan TIMEOUT 120 LABELS asan
           COMMAND ${AMPHI_HOSTED_ASAN_BIN} -- ktest=all)
amphi_test(NAME asan-use-after-free TIMEOUT 60 LABELS asan
           RUN_ARGS --no-ktap --expect-exit nonzero --expect-output "ERROR: AddressSanitizer"
           COMMAND ${AMPHI_HOSTED_ASAN_BIN} -- ktest=kmalloc_bugs.use_after_free)
amphi_test(NAME asan-double-free TIMEOUT 60 LABELS asan
           RUN_ARGS --no-ktap --expect-exit nonzero --expect-output "ERROR: AddressSanitizer"
           COMMAND ${AMPHI_HOSTED_ASAN_BIN} -- ktest=kmalloc_bugs.double_free)


# A failed assertion panics with a backtrace (symbolized in the hosted build) and powers off
# with the panic status 3: the hosted process exits 3, isa-debug-exit gives (3 << 1) | 1,
# and on aarch64 only the power-off line carries it.
amphi_test(NAME hosted-panic TIMEOUT 60 LABELS hosted ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 3 ${PANIC_OUTPUT}
                    --expect-output "panic_check_invariant+0x"
                    --expect-output "(kernel/lib/panic_ktest.c:"
           COMMAND ${AMPHI_BOOT} hosted ktest=panic.assert_fails)

# Each planted lock bug must end in the checker's panic, naming both locks and both sites.
amphi_test(NAME hosted-lockdep-order TIMEOUT 60 LABELS hosted ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 3
                    --expect-output "panic: lock order inversion: \"bug_lock_a\" taken while holding \"bug_lock_b\""
                    --expect-output "taking \"bug_lock_a\" at lock_order_inversion+0x"
                    --expect-output "held \"bug_lock_a\" at lock_order_inversion+0x"
                    --expect-output "then took \"bug_lock_b\" at lock_order_inversion+0x"
           COMMAND ${AMPHI_BOOT} hosted ktest=lockdep_bugs.lock_order_inversion)
amphi_test(NAME hosted-lockdep-sleep TIMEOUT 60 LABELS hosted ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 3
                    --expect-output "panic: sleeping while holding spinlock \"bug_lock_a\""
                    --expect-output "at sleep_under_spinlock+0x"
           COMMAND ${AMPHI_BOOT} hosted ktest=lockdep_bugs.sleep_under_spinlock)
amphi_test(NAME hosted-lockdep-recursion TIMEOUT 60 LABELS hosted ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 3
                    --expect-output "panic: recursive locking: \"bug_lock_b\" taken again by its holder"
           COMMAND ${AMPHI_BOOT} hosted ktest=lockdep_bugs.recursive_spinlock)
# A thread that would switch away inside a no-sleep section (a syscall run inside the CPU
# model's trap) ends in the scheduler's panic.
amphi_test(NAME hosted-sched-no-sleep TIMEOUT 60 LABELS hosted ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 3
                    --expect-output "would switch away inside a no-sleep section"
           COMMAND ${AMPHI_BOOT} hosted ktest=sched_bugs.sleep_in_no_sleep)
# With lockdep=off the same inversion goes unreported: proof the report comes from the checker.
amphi_test(NAME hosted-lockdep-off TIMEOUT 60 LABELS hosted ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 1 --expect-output "the lock order inversion was not caught"
           COMMAND ${AMPHI_BOOT} hosted lockdep=off ktest=lockdep_bugs.lock_order_inversion)
foreach(arch x86_64 aarch64)
  execute_process(COMMAND ${AMPHI_BOOT} --pass-exit ${arch} OUTPUT_VARIABLE pass_exit
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(panic_exit 0)
  if(arch STREQUAL "x86_64")
    set(panic_exit 7)
  endif()
  amphi_test(NAME ${arch}-lockdep-order TIMEOUT 120 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
             RUN_ARGS --no-ktap --expect-exit ${panic_exit}
                      --expect-output "panic: lock order inversion: \"bug_lock_a\" taken while holding \"bug_lock_b\""
                      --expect-output "amphi: power off, status 3"
             COMMAND ${AMPHI_BOOT} ${arch} ktest=lockdep_bugs.lock_order_inversion)
  amphi_test(NAME ${arch}-lockdep-sleep TIMEOUT 120 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
             RUN_ARGS --no-ktap --expect-exit ${panic_exit}
                      --expect-output "panic: sleeping while holding spinlock \"bug_lock_a\""
                      --expect-output "amphi: power off, status 3"
             COMMAND ${AMPHI_BOOT} ${arch} ktest=lockdep_bugs.sleep_under_spinlock)
endforeach()


# Fair CPU shares (equal weights, and 3:1 by nice), measured where nothing outside can steal
# guest time: the hosted virtual clock on 1 and 4 CPUs, and QEMU counting instructions.
amphi_test(NAME hosted-sched-fair TIMEOUT 120 LABELS hosted
           COMMAND ${AMPHI_HOSTED_BIN} -- ktest=sched_fair)
amphi_test(NAME hosted-sched-fair-cpus4 TIMEOUT 120 LABELS hosted
           COMMAND ${AMPHI_HOSTED_BIN} --cpus 4 -- ktest=sched_fair)
foreach(target x86_64-smp4 aarch64-smp4)
  execute_process(COMMAND ${AMPHI_BOOT} --pass-exit ${target} OUTPUT_VARIABLE pass_exit
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  amphi_test(NAME ${target}-sched-fair TIMEOUT 180 LABELS qemu
             ENVIRONMENT "${AMPHI_BOOT_ENV};AMPHI_QEMU_ICOUNT=1"
             RUN_ARGS --expect-exit ${pass_exit}
             COMMAND ${AMPHI_BOOT} ${target} ktest=sched_fair)
endforeach()

# The planted race (ktest=smp_race, an unlocked increment) is found by a seed search of the
# deterministic schedule, and the failing seed replays with the same failure and trace hash.
amphi_test(NAME hosted-race-seed-search TIMEOUT 300 LABELS hosted
           RUN_ARGS --no-ktap --expect-output "replays identically"
           COMMAND sh ${CMAKE_SOURCE_DIR}/kernel/smp/race_search_test.sh ${AMPHI_HOSTED_BIN} 100
                   --cpus 2)

# Block devices: partition tables made by the host's sfdisk and sgdisk, read through a
# loop device by busybox inside the kernel, compared with the host's view of them.
find_program(AMPHI_SFDISK sfdisk PATHS /sbin /usr/sbin)
find_program(AMPHI_SGDISK sgdisk PATHS /sbin /usr/sbin)
if(AMPHI_SFDISK AND AMPHI_SGDISK)
  amphi_test(NAME hosted-block-partitions TIMEOUT 120 LABELS hosted
             RUN_ARGS --no-ktap --expect-output "ok - mbr" --expect-output "ok - gpt"
             COMMAND sh ${CMAKE_SOURCE_DIR}/kernel/block/tests/partitions.sh
                     ${AMPHI_HOSTED_BIN} ${CMAKE_BINARY_DIR}/block-partitions)
endif()

# ext2 against e2fsprogs: a tree built by busybox on a loop-mounted image made by mke2fs
# must pass e2fsck -fn and read back through debugfs as the same script's tree on the
# host (1 KiB and 4 KiB blocks); damaged images must fail to mount (or to open the damaged
# file) cleanly.
find_program(AMPHI_MKE2FS mke2fs PATHS /sbin /usr/sbin)
find_program(AMPHI_DEBUGFS debugfs PATHS /sbin /usr/sbin)
if(AMPHI_MKE2FS AND AMPHI_DEBUGFS)
  foreach(bs 1024 4096)
    amphi_test(NAME hosted-ext2-tree-${bs} TIMEOUT 400 LABELS hosted
               RUN_ARGS --no-ktap --expect-output "ok - e2fsck -fn finds the image clean"
                        --expect-output "ok - e2fsck -fn catches a planted"
                        --expect-output "ok - the tree read back is the host's"
                        --expect-output "ok - hard links and ownership as made"
               COMMAND sh ${CMAKE_SOURCE_DIR}/kernel/fs/ext2/tests/ext2_tree.sh
                       ${AMPHI_HOSTED_BIN} ${CMAKE_BINARY_DIR}/ext2-tree-${bs} ${bs})
  endforeach()
  amphi_test(NAME hosted-ext2-corrupt TIMEOUT 200 LABELS hosted
             RUN_ARGS --no-ktap --expect-output "ok - every damaged image failed cleanly"
             COMMAND sh ${CMAKE_SOURCE_DIR}/kernel/fs/ext2/tests/ext2_corrupt.sh
                     ${AMPHI_HOSTED_BIN} ${CMAKE_BINARY_DIR}/ext2-corrupt)
  # The same tree under QEMU: busybox booted by harness/qemu-exec with the image beside it.
  amphi_test(NAME qemu-x86_64-ext2-tree TIMEOUT 900 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
             RUN_ARGS --no-ktap --expect-output "ok - hard links and ownership as made"
             COMMAND sh ${CMAKE_SOURCE_DIR}/kernel/fs/ext2/tests/ext2_tree.sh
                     ${CMAKE_SOURCE_DIR}/harness/qemu-exec ${CMAKE_BINARY_DIR}/ext2-tree-x86_64
                     1024 x86_64)
  set(arm64_busybox ${CMAKE_SOURCE_DIR}/build/deps/busybox-static-arm64/bin)
  if(EXISTS ${arm64_busybox}/busybox)
    amphi_test(NAME qemu-aarch64-ext2-tree TIMEOUT 900 LABELS qemu
               ENVIRONMENT "${AMPHI_BOOT_ENV};PATH=${arm64_busybox}:$ENV{PATH}"
               RUN_ARGS --no-ktap --expect-output "ok - hard links and ownership as made"
               COMMAND sh ${CMAKE_SOURCE_DIR}/kernel/fs/ext2/tests/ext2_tree.sh
                       ${CMAKE_SOURCE_DIR}/harness/qemu-exec ${CMAKE_BINARY_DIR}/ext2-tree-aarch64
                       4096 aarch64)
  endif()
  # A disk that fails every write after N requests (--disk IMG,fail-after=N) and a machine
  # killed with SIGKILL mid-storm: fsync reports EIO, the machine powers off (or dies),
  # and after e2fsck -fy the image is clean and every file reported fsynced is intact.
  set(EXT2_FAIL bash ${CMAKE_SOURCE_DIR}/kernel/fs/ext2/tests/ext2_fail.sh)
  set(EXT2_STORM ${CMAKE_BINARY_DIR}/user/fsync_storm)
  set(EXT2_FAIL_OK --expect-output "ok - every fsynced file survived the failing disk"
                   --expect-output "ok - the checker catches a planted loss")
  set(EXT2_KILL_OK --expect-output "ok - every fsynced file survived kill -9"
                   --expect-output "ok - the checker catches a planted loss")
  amphi_test(NAME hosted-ext2-fail-after TIMEOUT 200 LABELS hosted RUN_ARGS --no-ktap ${EXT2_FAIL_OK}
             COMMAND ${EXT2_FAIL} fail ${EXT2_STORM} ${CMAKE_BINARY_DIR}/ext2-fail ${AMPHI_HOSTED_BIN})
  amphi_test(NAME hosted-ext2-kill TIMEOUT 200 LABELS hosted RUN_ARGS --no-ktap ${EXT2_KILL_OK}
             COMMAND ${EXT2_FAIL} kill ${EXT2_STORM} ${CMAKE_BINARY_DIR}/ext2-kill ${AMPHI_HOSTED_BIN})
  amphi_test(NAME asan-ext2-fail-after TIMEOUT 300 LABELS asan RUN_ARGS --no-ktap ${EXT2_FAIL_OK}
             COMMAND ${EXT2_FAIL} fail ${EXT2_STORM} ${CMAKE_BINARY_DIR}/ext2-fail-asan
                     ${AMPHI_HOSTED_ASAN_BIN})
  if(AMPHI_VALGRIND)
    amphi_test(NAME memcheck-ext2-fail-after TIMEOUT 600 LABELS valgrind
               ENVIRONMENT "FAIL_AFTER=10" RUN_ARGS --no-ktap ${EXT2_FAIL_OK}
               COMMAND ${EXT2_FAIL} fail ${EXT2_STORM} ${CMAKE_BINARY_DIR}/ext2-fail-memcheck
                       ${MEMCHECK} ${AMPHI_HOSTED_BIN})
  endif()
  # root=/dev/vda: an image made by mke2fs -d with busybox and a script as /sbin/init is
  # mounted as the root (ro, rw, from a partition) and its init runs; a missing root
  # device or file system type panics with the devices listed.
  if(AMPHI_SFDISK)
    set(EXT2_ROOT bash ${CMAKE_SOURCE_DIR}/kernel/fs/ext2/tests/root.sh)
    set(EXT2_ROOT_OK --expect-output "ok - the kernel mounts root=/dev/vda and runs its init")
    amphi_test(NAME hosted-ext2-root TIMEOUT 120 LABELS hosted RUN_ARGS --no-ktap ${EXT2_ROOT_OK}
               COMMAND ${EXT2_ROOT} hosted ${CMAKE_BINARY_DIR}/ext2-root ${AMPHI_HOSTED_BIN})
    amphi_test(NAME asan-ext2-root TIMEOUT 200 LABELS asan RUN_ARGS --no-ktap ${EXT2_ROOT_OK}
               COMMAND ${EXT2_ROOT} hosted ${CMAKE_BINARY_DIR}/ext2-root-asan
                       ${AMPHI_HOSTED_ASAN_BIN})
    find_program(AMPHI_BUSYBOX busybox PATHS /bin /usr/bin REQUIRED)
    get_filename_component(root_host_busybox ${AMPHI_BUSYBOX} DIRECTORY)
    amphi_test(NAME qemu-x86_64-ext2-root TIMEOUT 600 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
               RUN_ARGS --no-ktap ${EXT2_ROOT_OK}
               COMMAND ${EXT2_ROOT} qemu ${CMAKE_BINARY_DIR}/ext2-root-x86_64 x86_64
                       ${root_host_busybox})
    if(EXISTS ${CMAKE_SOURCE_DIR}/build/deps/busybox-static-arm64/bin/busybox)
      amphi_test(NAME qemu-aarch64-ext2-root TIMEOUT 600 LABELS qemu
                 ENVIRONMENT "${AMPHI_BOOT_ENV}" RUN_ARGS --no-ktap ${EXT2_ROOT_OK}
                 COMMAND ${EXT2_ROOT} qemu ${CMAKE_BINARY_DIR}/ext2-root-aarch64 aarch64
                         ${CMAKE_SOURCE_DIR}/build/deps/busybox-static-arm64/bin)
    endif()
  endif()
  # Generated damaged images (kernel/fs/ext2/tests/ext2_mangle.py, seeded): each mounts
  # and takes a fixed set of operations, or fails cleanly; regression images replayed.
  set(EXT2_FUZZ bash ${CMAKE_SOURCE_DIR}/kernel/fs/ext2/tests/ext2_fuzz.sh)
  set(EXT2_FUZZ_OK --expect-output "ok - every generated damaged image mounted or failed cleanly")
  amphi_test(NAME hosted-ext2-fuzz TIMEOUT 200 LABELS hosted RUN_ARGS --no-ktap ${EXT2_FUZZ_OK}
             COMMAND ${EXT2_FUZZ} ${CMAKE_BINARY_DIR}/ext2-fuzz 1 80 ${AMPHI_HOSTED_BIN})
  amphi_test(NAME asan-ext2-fuzz TIMEOUT 300 LABELS asan RUN_ARGS --no-ktap ${EXT2_FUZZ_OK}
             COMMAND ${EXT2_FUZZ} ${CMAKE_BINARY_DIR}/ext2-fuzz-asan 2 40 ${AMPHI_HOSTED_ASAN_BIN})
  # The damaged images again in the ASan+UBSan build: no report either.
  amphi_test(NAME asan-ext2-corrupt TIMEOUT 300 LABELS asan
             RUN_ARGS --no-ktap --expect-output "ok - every damaged image failed cleanly"
             COMMAND sh ${CMAKE_SOURCE_DIR}/kernel/fs/ext2/tests/ext2_corrupt.sh
                     ${AMPHI_HOSTED_ASAN_BIN} ${CMAKE_BINARY_DIR}/ext2-corrupt-asan)
endif()
