# Tests of the portable kernel: ktest=all in the hosted build, under memcheck and ASan with
# planted allocator bugs, the panic report, the lock checker's reports on every target,
# fair CPU shares where the clock cannot be stolen, and the planted race's seed search.


amphi_test(NAME hosted-ktest TIMEOUT 60 LABELS hosted ENVIRONMENT "${AMPHI_BOOT_ENV}"
           COMMAND ${AMPHI_BOOT} hosted ktest=all)

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
